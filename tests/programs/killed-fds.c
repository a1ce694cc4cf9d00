/* A program killed while it holds many open files: it allocates and touches
 * 64 MiB (which starts ovc's sampler at once), opens /dev/null as many times
 * as it may (at most 16,000), prints "ready <pid> <files>" on stdout
 * (flushed), then waits for a SIGKILL.
 *
 * The kernel closes a dying program's files after it dropped its memory
 * and before it hands its children on: with thousands of files that takes
 * milliseconds, and ovc's sampler, which shares the program's memory, sees
 * that memory gone before it sees its parent change. It must still write
 * the program's end (preload/sampler.c, owner_memory_gone).
 *
 * (After 60 s of waiting it dies of SIGALRM, should nobody kill it.)
 *
 * Usage: killed-fds */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_FILES 16000
#define BLOCK ((size_t)64 << 20)

int main(void)
{
	char *p = malloc(BLOCK);
	struct rlimit r;
	long files = 0;

	if (p == NULL) {
		fprintf(stderr, "killed-fds: malloc failed\n");
		return 1;
	}
	memset(p, 1, BLOCK);
	/* The soft limit up to the hard one, which needs no privilege. */
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
	while (files < MAX_FILES && open("/dev/null", O_RDONLY) >= 0)
		files++;
	printf("ready %ld %ld\n", (long)getpid(), files);
	fflush(stdout);
	alarm(60);
	for (;;)
		pause();
}
