/* Waits for a signal, for the tests of what `ovc run` forwards.
 *
 *   sigwait catch SIG...    catches each SIG, prints "ready" (flushed),
 *                           waits; on the first one caught prints "got N"
 *                           and exits N
 *   sigwait default SIG...  sets each SIG to its default action (no core
 *                           file), prints "ready", waits: the signal ends
 *                           it
 *
 * It gives up after 60 s (exit 99). SIG are numbers. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_signal(int sig)
{
	if (!got)
		got = sig;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	bool catch = strcmp(argv[1], "catch") == 0;
	struct rlimit no_core = {0, 0};
	setrlimit(RLIMIT_CORE, &no_core);
	sigset_t all;
	sigemptyset(&all);
	for (int i = 2; i < argc; i++) {
		int sig = atoi(argv[i]);
		struct sigaction sa = {0};
		sa.sa_handler = catch ? on_signal : SIG_DFL;
		sigemptyset(&sa.sa_mask);
		if (sigaction(sig, &sa, NULL) != 0)
			return 2;
		sigaddset(&all, sig);
	}
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	printf("ready\n");
	fflush(stdout);
	for (int t = 0; t < 60000 && !got; t++)
		usleep(1000);
	if (!got)
		return 99;
	printf("got %d\n", (int)got);
	fflush(stdout);
	return got;
}
