/* A process for `ovc snapshot` to look at: reserves memory with malloc,
 * touches part of it, starts a thread, then waits for orders on stdin.
 *
 * Usage: reserve-wait [RESERVE_MIB [TOUCH_MIB [READ_MIB [spin]]]]
 *   (defaults 8192, 1024, 16) malloc RESERVE_MIB MiB (one mmap'd block:
 *   committed, writable), write one byte in each page of its first
 *   TOUCH_MIB MiB, read (never write) the READ_MIB MiB after them (the
 *   shared zero page), map 1 GiB PROT_NONE (reserved, not committed), start
 *   one thread that blocks in pause() (with "spin": that spins on
 *   a CPU, so /proc shows no stack pointer for it), print "ready" and wait. Each line
 *   "touch N" on stdin writes the next N MiB and answers "touched"; at end
 *   of input it exits 0. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)

static void *waiter(void *arg)
{
	if (arg)
		for (;;)
			__asm__ volatile("" ::: "memory");
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	size_t reserve = (argc > 1 ? strtoull(argv[1], NULL, 10) : 8192) * MiB;
	size_t touch = (argc > 2 ? strtoull(argv[2], NULL, 10) : 1024) * MiB;
	size_t readn = (argc > 3 ? strtoull(argv[3], NULL, 10) : 16) * MiB;
	if (touch + readn > reserve)
		return 2;
	volatile char *p = malloc(reserve);
	if (!p)
		return 1;
	for (size_t o = 0; o < touch; o += 4096)
		p[o] = 1;
	unsigned sum = 0;
	for (size_t o = touch; o < touch + readn; o += 4096)
		sum += (unsigned)p[o];
	if (sum)
		return 1; /* fresh anonymous memory reads as zero */
	if (mmap(NULL, 1024 * MiB, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) ==
	    MAP_FAILED)
		return 1;
	pthread_t t;
	bool spin = argc > 4 && strcmp(argv[4], "spin") == 0;
	if (pthread_create(&t, NULL, waiter, spin ? &t : NULL) != 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	char line[64];
	size_t next = touch + readn;
	while (fgets(line, sizeof line, stdin)) {
		size_t n = 0;
		if (sscanf(line, "touch %zu", &n) == 1) {
			n *= MiB;
			for (size_t o = 0; o < n && next + o < reserve; o += 4096)
				p[next + o] = 1;
			next += n;
			printf("touched\n");
			fflush(stdout);
		}
	}
	return 0;
}
