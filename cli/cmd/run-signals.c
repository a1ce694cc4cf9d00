/* `ovc run` as its command's parent (run-signals.h): the signals it
 * passes on to the command, and stopping when the command stops after one
 * of them. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <unistd.h>

#include "cmd/run-signals.h"

static volatile sig_atomic_t child_pid;
/* A stop signal sent to ovc alone was passed on: when the command stops,
 * ovc stops with it (ovc_run_stopped_with). */
static volatile sig_atomic_t stop_forwarded;

/* The signals `ovc run` passes on to its command, as a wrapper that stays
 * the command's parent should (timeout(1) forwards the terminating ones):
 * every signal that ends, stops, continues or informs a process, the
 * real-time ones included. Not SIGKILL and SIGSTOP (they cannot be caught),
 * SIGCHLD (ovc's own), and not the faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP, SIGABRT, SIGSYS): those are about ovc itself. A signal ignored
 * when ovc starts (nohup) stays ignored, in ovc and in the command. */
static const int forwarded_fixed[] = {
	SIGHUP,  SIGINT,  SIGQUIT, SIGTERM,   SIGUSR1, SIGUSR2, SIGALRM,
	SIGPIPE, SIGWINCH, SIGCONT, SIGTSTP,  SIGTTIN, SIGTTOU, SIGURG,
	SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGIO,  SIGPWR,  SIGSTKFLT,
};

static bool stops(int sig)
{
	return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Stops ovc as SIG's default action would (SIG is one of the stop
 * signals), and restores the handler when ovc is continued. Safe in a
 * handler of SIG, which blocks it. */
static void stop_self(int sig)
{
	int e = errno;
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, sig);
	if (sig == SIGSTOP) {
		raise(SIGSTOP);
		errno = e;
		return;
	}
	struct sigaction dfl = {.sa_handler = SIG_DFL}, mine;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, &mine);
	sigprocmask(SIG_BLOCK, &s, &old);
	raise(sig); /* pending until unblocked */
	sigprocmask(SIG_UNBLOCK, &s, NULL); /* stops here until SIGCONT */
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigaction(sig, &mine, NULL);
	errno = e;
}

static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int e = errno;
	/* A signal from the terminal or the kernel (SI_KERNEL) already
	 * reached the whole foreground process group, the command included;
	 * one the kernel raised for ovc's own doing (a write to a closed
	 * pipe: SI_USER from ovc's pid) is ovc's. Forward only what was sent
	 * to ovc by someone else. */
	bool own = si && si->si_code == SI_USER && si->si_pid == getpid();
	bool kernel = !si || si->si_code == SI_KERNEL;
	if (child_pid > 0 && !kernel && !own) {
		if (stops(sig))
			stop_forwarded = 1;
		kill(child_pid, sig);
	}
	errno = e;
	/* A stop signal from the terminal stops ovc with the job, as it
	 * would without the handler. One sent to ovc alone is the command's
	 * to take or not: ovc stops when the command does
	 * (ovc_run_stopped_with). */
	if (stops(sig) && kernel)
		stop_self(sig);
}

void ovc_run_forwarding_list(struct ovc_forwarding *f)
{
	f->n = 0;
	int rt = SIGRTMAX - SIGRTMIN + 1;
	size_t nfixed = sizeof forwarded_fixed / sizeof forwarded_fixed[0];
	for (size_t i = 0; i < nfixed + (size_t)(rt > 0 ? rt : 0); i++) {
		int sig = i < nfixed ? forwarded_fixed[i]
				     : SIGRTMIN + (int)(i - nfixed);
		struct sigaction cur;
		if (sigaction(sig, NULL, &cur) != 0 || cur.sa_handler == SIG_IGN)
			continue;
		if (f->n < sizeof f->sig / sizeof f->sig[0])
			f->sig[f->n++] = sig;
	}
}

void ovc_run_forward_to(struct ovc_forwarding *f, pid_t pid)
{
	child_pid = pid;
	struct sigaction sa = {.sa_sigaction = forward,
			       .sa_flags = SA_SIGINFO | SA_RESTART};
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < f->n; i++)
		sigaction(f->sig[i], &sa, &f->saved[i]);
}

void ovc_run_forward_end(const struct ovc_forwarding *f)
{
	child_pid = 0;
	for (size_t i = 0; i < f->n; i++)
		sigaction(f->sig[i], &f->saved[i], NULL);
}

void ovc_run_stopped_with(pid_t pid, int sig)
{
	if (!stop_forwarded)
		return;
	stop_forwarded = 0;
	if (sig != SIGSTOP && !stops(sig))
		sig = SIGTSTP;
	stop_self(sig);
	kill(pid, SIGCONT);
}
