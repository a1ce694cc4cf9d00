/* Allocates blocks until malloc returns NULL, then reports what it got:
 * under OVC_BUDGET this is where the program's error path is taken.
 *
 *   honest BLOCK_MIB THREADS [touch]
 *
 * Each of THREADS threads mallocs blocks of BLOCK_MIB MiB until one fails
 * (at most 4096 blocks each), never touching them unless "touch" is given.
 * Prints "N blocks of M MiB, then malloc failed: <strerror>" (or "...,
 * never failed" when the cap is reached) and exits 0. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP 4096

static size_t block;
static int touch;
static int got[64];
static int failed_errno[64];

static void *grab(void *arg)
{
	int id = (int)(long)arg;
	for (int i = 0; i < CAP; i++) {
		errno = 0;
		char *p = malloc(block);
		if (!p) {
			failed_errno[id] = errno;
			return NULL;
		}
		if (touch)
			for (size_t o = 0; o < block; o += 4096)
				p[o] = 1;
		got[id]++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	block = (size_t)strtoul(argv[1], NULL, 10) << 20;
	int threads = atoi(argv[2]);
	touch = argc > 3 && strcmp(argv[3], "touch") == 0;
	if (threads < 1 || threads > 64 || block == 0)
		return 2;
	pthread_t t[64];
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, grab, (void *)(long)i);
	int total = 0, fails = 0, err = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		total += got[i];
		if (failed_errno[i]) {
			fails++;
			err = failed_errno[i];
		}
	}
	if (fails)
		printf("%d blocks of %s MiB, then malloc failed: %s\n", total,
		       argv[1], strerror(err));
	else
		printf("%d blocks of %s MiB, never failed\n", total, argv[1]);
	return 0;
}
