/* A wait that a signal's handler cuts short: installs a SIGUSR1 handler
 * and sleeps SECONDS (default 3) with nanosleep. Exits 0 when the sleep
 * came back early with EINTR after the handler ran, 1 when it slept its
 * whole time, 2 on a usage or set-up error; says which on stdout.
 *
 * The test runs it under the preload with strace injecting SIGUSR1 at the
 * clone(2) of ovc's sampler, which the sleep starts (hostile suite,
 * test_signals_wait_cut_short): the handler then runs inside ovc's hook,
 * before the sleep's own system call, and the sleep must still end at
 * once, as it would had the signal come at its start. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long seconds = argc > 1 ? atol(argv[1]) : 3;
	if (seconds < 1 || seconds > 600) {
		fprintf(stderr, "sleepsig: SECONDS must be 1..600\n");
		return 2;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0) {
		perror("sleepsig: sigaction");
		return 2;
	}
	struct timespec req = {seconds, 0}, rem = {0, 0};
	double t0 = now_s();
	int r = nanosleep(&req, &rem);
	int err = errno;
	double took = now_s() - t0;
	if (r == -1 && err == EINTR && handled) {
		printf("sleepsig: cut short by the handler after %.3f s, %ld s left\n",
		       took, (long)rem.tv_sec);
		return 0;
	}
	printf("sleepsig: nanosleep returned %d (%s) after %.3f s, handler %s\n",
	       r, r ? strerror(err) : "no error", took, handled ? "ran" : "did not run");
	return 1;
}
