/* A long, busy process for the charts: for SECONDS (default 3) it keeps
 * changing its memory, allocating or freeing one of 64 blocks of up to
 * 1 MiB about every 0.1 ms and touching half of each, so that with
 * OVC_INTERVAL=1 its log holds thousands of samples. Halfway through it
 * holds one 128 MiB block, touched, for 20 ms and frees it: a short peak
 * that a reduced chart must keep.
 *
 * Usage: busy [SECONDS]   (1..60) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 64
#define MAX_BLOCK ((size_t)1 << 20)
#define SPIKE ((size_t)128 << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void touch(char *p, size_t n, size_t page)
{
	for (size_t j = 0; j < n; j += page)
		((volatile char *)p)[j] = 1;
}

int main(int argc, char **argv)
{
	long seconds = argc > 1 ? atol(argv[1]) : 3;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	static char *slot[SLOTS];
	struct timespec pause = { 0, 100 * 1000 };
	unsigned seed = 12345;
	int spiked = 0;

	if (seconds < 1 || seconds > 60) {
		fprintf(stderr, "busy: SECONDS must be 1..60\n");
		return 2;
	}
	double start = now_s(), end = start + (double)seconds;
	for (double t = start; t < end; t = now_s()) {
		int i = (int)(rand_r(&seed) % SLOTS);
		if (slot[i] != NULL) {
			free(slot[i]);
			slot[i] = NULL;
		} else {
			size_t n = 4096 + (size_t)rand_r(&seed) % MAX_BLOCK;
			slot[i] = malloc(n);
			if (slot[i] == NULL)
				return 1;
			touch(slot[i], n / 2, page);
		}
		if (!spiked && t - start >= (double)seconds / 2) {
			char *big = malloc(SPIKE);
			struct timespec hold = { 0, 20 * 1000 * 1000 };

			if (big == NULL)
				return 1;
			touch(big, SPIKE, page);
			nanosleep(&hold, NULL);
			free(big);
			spiked = 1;
		}
		nanosleep(&pause, NULL);
	}
	for (int i = 0; i < SLOTS; i++)
		free(slot[i]);
	printf("busy for %ld s\n", seconds);
	return 0;
}
