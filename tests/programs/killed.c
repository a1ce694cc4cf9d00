/* A program that is killed: it allocates and touches 64 MiB every 100 ms up to
 * a total (640 MiB unless told otherwise), prints "ready <pid>" on stdout
 * (flushed), then waits forever for a SIGKILL. No exit, no end record: what
 * is in its ovc log is all the preload wrote while it lived.
 *
 * (After 120 s of waiting it dies of SIGALRM, should nobody kill it.)
 *
 * Usage: killed [MIB [self]]   MIB: total to touch, 64..960, a multiple of
 *                              64; "self": SIGKILL itself right after
 *                              printing "ready" instead of waiting */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STEP_MIB 64
#define ONE_MIB ((size_t)1 << 20)

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 640;
	int self = argc > 2 && strcmp(argv[2], "self") == 0;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct timespec step = { 0, 100 * 1000 * 1000 };

	if (mib < STEP_MIB || mib > 960 || mib % STEP_MIB != 0) {
		fprintf(stderr, "killed: MIB must be a multiple of %d in 64..960\n",
			STEP_MIB);
		return 2;
	}
	for (long done = 0; done < mib; done += STEP_MIB) {
		char *p = malloc(STEP_MIB * ONE_MIB);
		if (p == NULL) {
			fprintf(stderr, "killed: malloc failed\n");
			return 1;
		}
		for (size_t j = 0; j < STEP_MIB * ONE_MIB; j += page)
			((volatile char *)p)[j] = 1;
		nanosleep(&step, NULL);
	}
	printf("ready %ld\n", (long)getpid());
	fflush(stdout);
	if (self)
		raise(SIGKILL);
	/* A safety net, not part of the test: a test that failed before its
	 * kill must not leave 640 MiB behind for long. */
	alarm(120);
	for (;;)
		pause();
}
