/* The sampler process: a clone(2) child that shares the program's memory,
 * started, stopped and asked to drain the log from here, under the rules
 * of ticker.c's opening comment (no TLS, no libc lock, sealed with
 * seccomp). */
#include "arena.h"
#include "base.h"
#include "boot.h"
#include "log.h"
#include "procstat.h"
#include "sampler-link.h"
#include "sampler.h"
#include "sys.h"

#include "ovc/pagemap-scan.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <dlfcn.h>
#include <sys/single_threaded.h>
#include <sys/wait.h>
#include <time.h>

/* ---- a process ---- */

#if SAMPLER_PROCESS
#define SP_STACK (256 * 1024)
#define SP_GUARD (1024 * 1024) /* inaccessible, below its thread pointer */
#define SP_PAGE 4096

static struct {
	pid_t pid;    /* the sampler */
	pid_t owner;  /* the program */
	int alive;    /* cleared by the kernel when the sampler exits */
	int gave_up;  /* it could not seal itself after all, and exited */
	int stop;     /* set (and woken) to make it exit */
	int wake;     /* futex word it sleeps on: stop or drain asked */
	int drain;    /* set (and woken) to make it write the log out */
	char *stack;  /* SP_STACK bytes */
	char *tls;    /* SP_GUARD + SP_PAGE bytes */
	int fd[OVC_FD_COUNT_ + 2]; /* its own descriptors; then the program's
				    * pidfd and /proc/PID/stat */
} sp;

#define SP_FD_PIDFD OVC_FD_COUNT_
#define SP_FD_STAT (OVC_FD_COUNT_ + 1)

static bool in_sampler(void)
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	return sp.stack && here - (uintptr_t)sp.stack < SP_STACK;
}

static bool sampler_fd(enum ovc_fd which, int *fd)
{
	if (!in_sampler())
		return false;
	*fd = sp.fd[which];
	return true;
}

/* Sets *WORD to V and wakes its waiter (sp.stop: the sampler). The
 * futexes between the program and the sampler are not "private": the
 * kernel's wake-up at the sampler's exit (CLONE_CHILD_CLEARTID) is not
 * either. */
static void sp_say(int *word, int v)
{
	__atomic_store_n(word, v, __ATOMIC_RELEASE);
	__atomic_fetch_add(&sp.wake, 1, __ATOMIC_RELEASE);
	ovc_sys_futex(&sp.wake, FUTEX_WAKE, 1, NULL, 0);
}

/* struct pidfd_info of Linux 6.15 (linux/pidfd.h), as far as exit_code. */
struct sp_pidfd_info {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid,
		fsgid;
	int32_t exit_code;
};
#define SP_PIDFD_INFO_EXIT (1ull << 3)
#define SP_PIDFD_GET_INFO _IOWR(0xFF, 11, struct sp_pidfd_info)

#define ALLOW(nr)                                                              \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),                       \
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define ARG_LO(i) offsetof(struct seccomp_data, args[i])
#define ARG_HI(i) (offsetof(struct seccomp_data, args[i]) + 4)

/* What the sampler may do; anything else fails with ENOSYS. */
static bool seal(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		ALLOW(SYS_read),
		ALLOW(SYS_pread64),
		ALLOW(SYS_write),
		ALLOW(SYS_fstat),
		ALLOW(SYS_futex),
		ALLOW(SYS_clock_gettime),
		ALLOW(SYS_clock_nanosleep),
		ALLOW(SYS_getpid),
		ALLOW(SYS_getppid),
		ALLOW(SYS_kcmp),
		ALLOW(SYS_mincore),
		ALLOW(SYS_exit),
		ALLOW(SYS_exit_group),
		ALLOW(SYS_restart_syscall),
		/* ioctl: PAGEMAP_SCAN and PIDFD_GET_INFO only; prlimit64:
		 * this process, reading only. Jumps go to the last two:
		 * refuse, allow. */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)OVC_PAGEMAP_SCAN, 11, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)SP_PIDFD_GET_INFO, 10, 9),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prlimit64, 0, 8),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 6),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(0)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(2)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
	if (OVC_SYS_(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0) != 0)
		return false;
	return OVC_SYS_(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog, 0, 0,
			0) == 0;
}

/* Opens the sampler's own descriptors (its table is empty). The log and
 * statm are needed; the rest only make it better. */
static bool sp_open(void)
{
	sp.fd[OVC_FD_STATM] =
		ovc_sys_open("/proc/self/statm", O_RDONLY | O_CLOEXEC, 0);
	sp.fd[OVC_FD_PAGEMAP] =
		ovc_sys_open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC, 0);
	sp.fd[OVC_FD_STATUS] =
		ovc_sys_open("/proc/self/status", O_RDONLY | O_CLOEXEC, 0);
	sp.fd[OVC_FD_ROLLUP] =
		ovc_sys_open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC, 0);
	sp.fd[OVC_FD_SMAPS] =
		ovc_sys_open("/proc/self/smaps", O_RDONLY | O_CLOEXEC, 0);
	return sp.fd[OVC_FD_LOG] >= 0 && sp.fd[OVC_FD_STATM] >= 0;
}

/* The program's /proc stat (opened by the program for the sampler) into
 * BUF (CAP bytes), NUL-terminated; its length, or -1 when it cannot be
 * read (the program was reaped). */
static long owner_stat(char *buf, size_t cap)
{
	long n = sp.fd[SP_FD_STAT] < 0
			 ? -1
			 : ovc_sys_pread(sp.fd[SP_FD_STAT], buf, cap - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* A millisecond's sleep, between the polls of a wait. */
static void nap_ms(void)
{
	struct timespec ts = {0, 1000000};
	OVC_SYS_(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, 0, 0, 0);
}

/* The program's wait(2) status once it is gone: from its /proc stat while
 * it is a zombie (the last field, exit_code), else from its pidfd once it
 * was reaped (Linux 6.15). -1 when neither says within 300 ms. */
static int owner_status(void)
{
	for (int tries = 0; tries < 300; tries++) {
		char buf[1024];
		long n = owner_stat(buf, sizeof buf);
		if (n > 0) {
			while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
				buf[--n] = '\0';
			long i = n;
			while (i > 0 && buf[i - 1] >= '0' && buf[i - 1] <= '9')
				i--;
			if (i < n && i > 0 && buf[i - 1] == ' ') {
				int v = 0;
				for (; i < n; i++)
					v = v * 10 + (buf[i] - '0');
				return v;
			}
		}
		struct sp_pidfd_info info = {.mask = SP_PIDFD_INFO_EXIT};
		if (sp.fd[SP_FD_PIDFD] >= 0 &&
		    ovc_sys_ioctl(sp.fd[SP_FD_PIDFD], SP_PIDFD_GET_INFO, &info) == 0 &&
		    (info.mask & SP_PIDFD_INFO_EXIT))
			return info.exit_code;
		nap_ms();
	}
	return -1;
}

/* Whether the program is gone: the sampler's parent is the program (the
 * kernel gives it to another of the program's threads when the one that
 * made it ends), until the whole program has exited. */
static bool owner_gone(void)
{
	return ovc_sys_getppid() != sp.owner;
}

/* Whether the program's memory is gone while the program still is: it is
 * being killed. The kernel drops a dying program's memory (exit_mm) before
 * it hands the program's children on (exit_notify); in between, kcmp says
 * the memory is another's, as after an exec, and the parent has not
 * changed yet. The program's /proc stat tells them apart: its address
 * space (vsize, field 23) reads 0 without memory, the new image's after an
 * exec. Also true when the stat cannot be read (the program was reaped),
 * and when the program's first thread ended before the others. */
static bool owner_memory_gone(void)
{
	char buf[1024];
	uint64_t vsize;
	return owner_stat(buf, sizeof buf) < 0 ||
	       (ovc_stat_u64(buf, 23, &vsize) && vsize == 0);
}

static __attribute__((noreturn)) void sp_exit(void)
{
	for (;;)
		OVC_SYS_(SYS_exit, 0, 0, 0, 0, 0, 0);
}

/* The program died while the sampler ran: write what it left, and its
 * end, and exit. */
static __attribute__((noreturn)) void sp_orphaned(void)
{
	ovc_ticker_step.died(owner_status());
	sp_exit();
}

static void sampler_waiting(void)
{
	if (in_sampler() && owner_gone())
		sp_orphaned();
}

/* The sampler process. See the rules at the top. */
static int sampler_main(void *arg)
{
	(void)arg;
	/* Its table is a copy of the program's: it keeps the log, the
	 * program's pidfd and stat, which the program opened for it (and
	 * closed its own copies of right after), and closes every other at
	 * once (a pipe the program closes must see its end). */
	int keep[3] = {sp.fd[OVC_FD_LOG], sp.fd[SP_FD_PIDFD], sp.fd[SP_FD_STAT]};
	for (int i = 1; i < 3; i++) /* sort */
		for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	unsigned from = 0;
	for (int i = 0; i <= 3; i++) {
		if (i < 3 && keep[i] < 0)
			continue;
		unsigned to = i < 3 ? (unsigned)keep[i] : ~0u;
		if (to > from && OVC_SYS_(SYS_close_range, from,
					  i < 3 ? to - 1 : to, 0, 0, 0, 0) != 0) {
			__atomic_store_n(&sp.gave_up, 1, __ATOMIC_RELEASE);
			return 0;
		}
		from = to + 1;
	}
	OVC_SYS_(SYS_prctl, PR_SET_NAME, "ovc-sampler", 0, 0, 0, 0);
	struct rlimit no_core = {0, 0}; /* a fault here must not dump the
					 * program's memory */
	OVC_SYS_(SYS_prlimit64, 0, RLIMIT_CORE, &no_core, 0, 0, 0);
	pid_t self = ovc_sys_getpid();
	if (!sp_open() || !seal()) {
		__atomic_store_n(&sp.gave_up, 1, __ATOMIC_RELEASE);
		return 0;
	}
	if (owner_gone()) /* it died while this one started */
		sp_orphaned();
	for (uint64_t next = ovc_ticker_next(ovc_now_ns());; next = ovc_ticker_next(next)) {
		struct timespec ts = ovc_ticker_at(next);
		for (;;) {
			int w = __atomic_load_n(&sp.wake, __ATOMIC_ACQUIRE);
			if (__atomic_load_n(&sp.stop, __ATOMIC_ACQUIRE))
				break;
			if (__atomic_exchange_n(&sp.drain, 0, __ATOMIC_ACQ_REL))
				ovc_log_flush();
			if (owner_gone())
				sp_orphaned();
			if (ovc_sys_futex(&sp.wake, FUTEX_WAIT_BITSET, w, &ts,
					  FUTEX_BITSET_MATCH_ANY) == -ETIMEDOUT)
				break;
		}
		if (__atomic_load_n(&sp.stop, __ATOMIC_ACQUIRE))
			break;
		/* After an exec the program's memory is another one. So it
		 * seems for a moment while the program is killed: then its end
		 * is written once its parent changes. Waited for at most 2 s,
		 * and not once the program asks the sampler to stop: its other
		 * threads may still run when its first thread ended. */
		long other = OVC_SYS_(SYS_kcmp, sp.owner, self, 1 /* KCMP_VM */,
				      0, 0, 0);
		if (other > 0 || other == -ESRCH) {
			for (int i = 0; i < 2000 && owner_memory_gone() &&
					!__atomic_load_n(&sp.stop, __ATOMIC_ACQUIRE);
			     i++) {
				if (owner_gone())
					sp_orphaned();
				nap_ms();
			}
			break;
		}
		if (owner_gone())
			sp_orphaned();
		ovc_ticker_step.tick(sp.owner);
		ovc_log_flush();
	}
	/* Asked to stop (exit, exec) or the memory is another's: what the
	 * program wrote last goes out from here, which can still write the
	 * log when the program cannot (a change of user). */
	if (owner_gone())
		sp_orphaned();
	ovc_log_flush();
	return 0;
}

static bool drain(size_t *len)
{
	if (!ovc_ticker_is_process() ||
	    !__atomic_load_n(&sp.alive, __ATOMIC_ACQUIRE) ||
	    in_sampler())
		return false;
	ovc_log_unlock();
	sp_say(&sp.drain, 1);
	uint64_t end = ovc_now_ns() + 200000000u;
	while (__atomic_load_n(len, __ATOMIC_ACQUIRE) != 0 &&
	       __atomic_load_n(&sp.alive, __ATOMIC_ACQUIRE) && ovc_now_ns() < end)
		nap_ms();
	ovc_log_lock();
	return true;
}

/* Waits until *WORD is no longer V, at most MS milliseconds. */
static void wait_while(int *word, int v, unsigned ms)
{
	uint64_t end = ovc_now_ns() + (uint64_t)ms * 1000000u;
	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == v) {
		uint64_t now = ovc_now_ns();
		if (now >= end)
			return;
		struct timespec ts = ovc_ticker_at(end - now);
		ovc_sys_futex(word, FUTEX_WAIT, v, &ts, 0);
	}
}

static void sp_release(void)
{
	ovc_pages_free(sp.stack, SP_STACK);
	ovc_pages_free(sp.tls, SP_GUARD + SP_PAGE);
	sp.stack = sp.tls = NULL;
}

/* Reaps the sampler, which cleared sp.alive on its way out (a clone
 * child: only __WCLONE waits for it). */
static void sp_reap(void)
{
	while (OVC_SYS_(SYS_wait4, sp.pid, 0, __WCLONE, 0, 0, 0) == -EINTR)
		;
}

/* Whether the sampler will be able to seal itself, asked here so that the
 * program need not wait for it (that wait was 0.3 ms of every process's
 * start): not under valgrind, no seccomp filter on the program yet (a
 * filtered program gets a thread, which its filter treats as its own),
 * filters with SECCOMP_RET_KILL_PROCESS (Linux 4.14), and close_range
 * (5.9). */
static bool can_seal(void)
{
	/* Valgrind runs clone(2) and seccomp(2) for the program itself and
	 * knows neither in this form; it says so on stderr. */
	if (ovc_valgrind())
		return false;
	uint32_t kill = SECCOMP_RET_KILL_PROCESS;
	return OVC_SYS_(SYS_prctl, PR_GET_SECCOMP, 0, 0, 0, 0, 0) == 0 &&
	       OVC_SYS_(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &kill, 0, 0,
			0) == 0 &&
	       OVC_SYS_(SYS_close_range, ~0u, ~0u, 0, 0, 0, 0) == 0;
}

bool ovc_sampler_start(void)
{
	if (sp.stack)
		return false; /* an earlier one did not exit when asked */
	if (!can_seal())
		return false;
	long st = ovc_sys_mmap(NULL, SP_STACK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK);
	long tl = ovc_sys_mmap(NULL, SP_GUARD + SP_PAGE, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
	sp.stack = (unsigned long)st > -4096ul ? NULL : (char *)st;
	sp.tls = (unsigned long)tl > -4096ul ? NULL : (char *)tl;
	if (!sp.stack || !sp.tls ||
	    ovc_sys_mprotect(sp.tls + SP_GUARD, SP_PAGE, PROT_READ | PROT_WRITE)) {
		sp_release();
		return false;
	}
	/* Its thread control block: the header of ours (the stack guard and
	 * pointer guard words that compiled code reads), pointing at itself,
	 * with no thread-local blocks (dtv) at all. */
	uintptr_t *tcb = (uintptr_t *)(void *)(sp.tls + SP_GUARD);
	const uintptr_t *ours;
	__asm__("mov %%fs:0, %0" : "=r"(ours));
	memcpy(tcb, ours, 64);
	tcb[0] = tcb[2] = (uintptr_t)tcb;
	tcb[1] = 0;
	/* What the services below ask of the sampler process
	 * (sampler-link.h): answered from here on. */
	OVC_STORE(ovc_sampler_link.in_sampler, in_sampler);
	OVC_STORE(ovc_sampler_link.fd, sampler_fd);
	OVC_STORE(ovc_sampler_link.waiting, sampler_waiting);
	OVC_STORE(ovc_sampler_link.drain, drain);
	sp.owner = ovc_sys_getpid();
	sp.alive = 1;
	sp.gave_up = 0;
	sp.stop = 0;
	sp.drain = 0;
	for (int i = 0; i < OVC_FD_COUNT_ + 2; i++)
		sp.fd[i] = -1;
	/* The log, opened and locked here for the sampler, which inherits it:
	 * the lock is held from the start (`ovc report` waits while a killed
	 * program's sampler still writes), and this copy is closed at once. */
	int lfd = ovc_log_open_fd();
	if (lfd < 0) {
		sp_release();
		return false;
	}
	OVC_SYS_(SYS_flock, lfd, LOCK_SH, 0, 0, 0, 0);
	sp.fd[OVC_FD_LOG] = lfd;
	/* How the program ends, for the sampler to learn when it is killed:
	 * its pidfd and its /proc stat, opened while it surely lives. */
	sp.fd[SP_FD_PIDFD] =
		(int)OVC_SYS_(SYS_pidfd_open, sp.owner, 0, 0, 0, 0, 0);
	sp.fd[SP_FD_STAT] = ovc_sys_open("/proc/self/stat", O_RDONLY | O_CLOEXEC, 0);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* exit signal 0: no SIGCHLD, and wait(2) without __WCLONE ignores it */
	int pid = clone(sampler_main, sp.stack + SP_STACK,
			CLONE_VM | CLONE_SETTLS | CLONE_CHILD_CLEARTID |
				CLONE_UNTRACED,
			NULL, NULL, tcb, &sp.alive);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < OVC_FD_COUNT_ + 2; i++)
		if (sp.fd[i] >= 0 && (i == OVC_FD_LOG || i >= OVC_FD_COUNT_))
			ovc_sys_close(sp.fd[i]);
	if (pid < 0) {
		sp_release();
		return false;
	}
	sp.pid = pid;
	return true;
}

void ovc_sampler_stop(bool wait)
{
	if (__atomic_load_n(&sp.gave_up, __ATOMIC_ACQUIRE))
		ovc_warn_once(OVC_WARN_TICKER,
			      "ovc's sampler process could not seal itself, so "
			      "this process was not sampled while it ran; "
			      "OVC_SAMPLER=thread samples with a thread");
	sp_say(&sp.stop, 1);
	/* A tick in progress may wait for a lock this thread holds (a signal
	 * handler's exec): then not at all, else a little, not for ever. */
	wait_while(&sp.alive, 1, wait ? 200 : 0);
	if (!__atomic_load_n(&sp.alive, __ATOMIC_ACQUIRE)) {
		sp_reap();
		sp_release();
	}
}

void ovc_sampler_fork_child(void)
{
	/* The parent's sampler's stack, copied: released whatever the
	 * mode says, since another thread of the parent may have been
	 * starting its sampler when this one forked (mapped, not yet
	 * PROCESS), and a stack left here would keep this child from ever
	 * starting its own. */
	if (sp.stack || sp.tls)
		sp_release();
}
#endif
