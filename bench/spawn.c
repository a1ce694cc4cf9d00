/* A process's fixed cost, by hand: forks and execs one command N times,
 * one after another, with LD_PRELOAD set to LIB ("-": unset), and prints
 * what each run cost on average: wall time and CPU time in microseconds
 * (the children's, from getrusage) and minor page faults. The figures of
 * docs/performance.md's "Sixth round" were taken with it; the page faults
 * are steady from run to run where the times are not.
 *
 * Build: gcc -O2 -Wall -Wextra bench/spawn.c -o spawn
 * Usage: spawn N LIB CMD [ARG...]
 *   e.g. OVC_OUTPUT=/tmp/x ./spawn 300 build/preload/libovc.so /bin/true
 * Prints one line: WALL_US CPU_US MINFLT, each per run. Exits 1 when a run
 * could not be started or did not exit 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	char *end;
	long n = argc > 3 ? strtol(argv[1], &end, 10) : 0;
	if (argc < 4 || *end || n < 1) {
		fprintf(stderr, "usage: spawn N LIB CMD [ARG...]  (LIB - for none)\n");
		return 2;
	}
	if (strcmp(argv[2], "-") != 0)
		setenv("LD_PRELOAD", argv[2], 1);
	else
		unsetenv("LD_PRELOAD");
	struct rusage r0, r1;
	getrusage(RUSAGE_CHILDREN, &r0);
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("spawn: fork");
			return 1;
		}
		if (pid == 0) {
			execvp(argv[3], argv + 3);
			_exit(127);
		}
		int st;
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR) {
				perror("spawn: waitpid");
				return 1;
			}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "spawn: %s did not exit 0\n", argv[3]);
			return 1;
		}
	}
	double wall = now_s() - t0;
	getrusage(RUSAGE_CHILDREN, &r1);
	double cpu = tv_s(r1.ru_utime) - tv_s(r0.ru_utime) + tv_s(r1.ru_stime) -
		     tv_s(r0.ru_stime);
	printf("%.1f %.1f %.1f\n", wall / (double)n * 1e6, cpu / (double)n * 1e6,
	       (double)(r1.ru_minflt - r0.ru_minflt) / (double)n);
	return 0;
}
