/* A child that dies of a signal within its first interval, before ovc's
 * sampler would start: "segv" faults at once; "kill" spins (no call into
 * ovc) until its parent, told through a pipe that fork returned in the
 * child, sends it SIGKILL. The parent reaps it with
 * waitpid and prints "child signal N". Used by test-killed: the child's
 * end record is then written by its traced parent.
 *
 * Usage: early segv|kill */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "segv") && strcmp(argv[1], "kill"))) {
		fprintf(stderr, "usage: early segv|kill\n");
		return 2;
	}
	fflush(stdout);
	int ready[2];
	if (pipe(ready) != 0)
		return 1;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (argv[1][0] == 's')
			*(volatile int *)(uintptr_t)0 = 1;
		/* fork has returned: ovc wrote this child's header already */
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			__asm__ volatile("" ::: "memory");
	}
	if (argv[1][0] == 'k') {
		char c;
		if (read(ready[0], &c, 1) != 1)
			return 1;
		kill(pid, SIGKILL);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return 1;
	printf("child signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 0;
}
