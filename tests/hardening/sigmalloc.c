/* Signal handlers that interrupt the malloc family (and so, under the
 * preload, ovc's own code holding its locks) and call only
 * async-signal-safe functions, some of which ovc hooks (_exit, execve).
 *
 * Usage: sigmalloc write MS     a timer fires every 50 us for MS ms; the
 *                               handler only write()s to a pipe; prints
 *                               "sigmalloc: write ok", exits 0
 *        sigmalloc _exit US     after US microseconds the handler calls
 *                               _exit(42) (the main thread never stops
 *                               allocating)
 *        sigmalloc execve US    after US microseconds the handler calls
 *                               execve(/bin/true); exit 0
 * The main thread allocates in a loop: small blocks and, one call in 16,
 * a large one (tracked by ovc: it takes ovc's locks). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int pipe_fd[2];
static volatile sig_atomic_t fired;
static char *const true_argv[] = {"true", NULL};
static char *const empty_env[] = {NULL};

static void on_write(int sig)
{
	(void)sig;
	char c = 'x';
	fired++;
	if (write(pipe_fd[1], &c, 1) < 0) {
		/* pipe full: fine */
	}
}

static void on_exit_sig(int sig)
{
	(void)sig;
	_exit(42);
}

static void on_exec_sig(int sig)
{
	(void)sig;
	execve("/bin/true", true_argv, empty_env);
	_exit(43);
}

static void arm(long first_us, long every_us)
{
	timer_t t;
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGALRM;
	if (timer_create(CLOCK_MONOTONIC, &ev, &t) != 0) {
		perror("timer_create");
		exit(2);
	}
	struct itimerspec its = {
		.it_value = {first_us / 1000000, (first_us % 1000000) * 1000},
		.it_interval = {every_us / 1000000, (every_us % 1000000) * 1000},
	};
	timer_settime(t, 0, &its, NULL);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void churn(unsigned long i)
{
	static void *keep[32];
	size_t n = (i % 16 == 0) ? 200 * 1024 : 16 + i % 500;
	void *p = (i % 3 == 0) ? calloc(1, n) : malloc(n);
	if (p)
		((char *)p)[0] = 1;
	unsigned k = (unsigned)(i % 32);
	free(keep[k]);
	keep[k] = p;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: sigmalloc write|_exit|execve N\n");
		return 2;
	}
	long n = atol(argv[2]);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_flags = SA_RESTART;
	if (strcmp(argv[1], "write") == 0) {
		if (pipe(pipe_fd) != 0)
			return 2;
		sa.sa_handler = on_write;
		sigaction(SIGALRM, &sa, NULL);
		arm(50, 50);
		double end = now_ms() + (double)n;
		for (unsigned long i = 0; now_ms() < end; i++)
			churn(i);
		signal(SIGALRM, SIG_IGN);
		printf("sigmalloc: write %s\n", fired > 0 ? "ok" : "no signal");
		return 0;
	}
	sa.sa_handler = strcmp(argv[1], "_exit") == 0 ? on_exit_sig : on_exec_sig;
	sigaction(SIGALRM, &sa, NULL);
	arm(n > 0 ? n : 1, 0);
	for (unsigned long i = 0;; i++)
		churn(i);
}
