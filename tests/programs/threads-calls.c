/* Two threads, each making a known number of calls to every hooked function
 * (ITERATIONS times the per-iteration numbers below, all distinct so that a
 * count landing in the wrong function shows), freeing everything. Prints
 * nothing before the threads end, so that a run with 2K iterations makes
 * exactly K times the per-iteration calls more than a run with K: the
 * allocations of libc itself (stdio, thread start) are the same in both.
 *
 * Per iteration and thread:   calls  requested bytes  failed
 *   malloc                        1             1001
 *   calloc                        2             1443
 *   realloc                       3             6779
 *   reallocarray                  4              770
 *   free                         40                0   (one of free(NULL))
 *   posix_memalign                5             2220       1 (EINVAL)
 *   aligned_alloc                 6              576
 *   memalign                      7             5439
 *   valloc                        8             7104
 *   pvalloc                       9             8991
 *
 * Usage: threads-calls ITERATIONS
 * Exits 0 when every call behaved (alignment, failure), 1 otherwise. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 2

static long iterations;
static pthread_barrier_t start_line;
static size_t page_size;

static int aligned(const void *p, size_t alignment)
{
	return p != NULL && (uintptr_t)p % alignment == 0;
}

/* Marks a block as used, so nothing can call it dead. */
static void use(void *p)
{
	*(volatile char *)p = 1;
}

/* One iteration: the calls of the table above. Returns the number of
 * surprises (NULL where success was due, misalignment, ...). */
static int one_iteration(void)
{
	static const size_t pm_align[4] = { 16, 64, 256, 4096 };
	void *pm[4], *aa[6], *ma[7], *va[8], *pv[9], *bad = NULL;
	int bad_count = 0;

	char *a = malloc(1001);                        /* malloc 1 */
	char *c1 = calloc(3, 111);                     /* calloc 2 */
	char *c2 = calloc(5, 222);
	bad_count += a == NULL || c1 == NULL || c2 == NULL;
	if (bad_count)
		return bad_count;
	use(a), use(c1), use(c2);
	bad_count += c1[332] != 0 || c2[1109] != 0;
	a = realloc(a, 2002);                          /* realloc 3 */
	char *r = realloc(NULL, 333);
	bad_count += a == NULL || r == NULL;
	if (bad_count)
		return bad_count;
	r = realloc(r, 4444);
	bad_count += r == NULL;
	char *ra = reallocarray(NULL, 7, 11);          /* reallocarray 4 */
	for (size_t k = 2; k <= 4 && ra != NULL; k++)
		ra = reallocarray(ra, 7, 11 * k);
	bad_count += r == NULL || ra == NULL;
	if (bad_count)
		return bad_count;
	use(r), use(ra);

	for (int k = 0; k < 4; k++) {                  /* posix_memalign 5 */
		pm[k] = NULL;
		bad_count += posix_memalign(&pm[k], pm_align[k], 555) != 0;
		bad_count += !aligned(pm[k], pm_align[k]);
	}
	/* An alignment that is not a power of two times sizeof(void *):
	 * EINVAL, *memptr untouched. The one failed call per iteration. */
	bad_count += posix_memalign(&bad, 3, 0) != EINVAL || bad != NULL;
	for (int k = 0; k < 6; k++)                    /* aligned_alloc 6 */
		bad_count += !aligned(aa[k] = aligned_alloc(32, 96), 32);
	for (int k = 0; k < 7; k++)                    /* memalign 7 */
		bad_count += !aligned(ma[k] = memalign(128, 777), 128);
	for (int k = 0; k < 8; k++)                    /* valloc 8 */
		bad_count += !aligned(va[k] = valloc(888), page_size);
	for (int k = 0; k < 9; k++)                    /* pvalloc 9 */
		bad_count += !aligned(pv[k] = pvalloc(999), page_size);

	/* free 40: 1 + 2 + 1 + 1 + 4 + 6 + 7 + 8 + 9 = 39 blocks, and NULL */
	free(a), free(c1), free(c2), free(r), free(ra);
	for (int k = 0; k < 4; k++)
		free(pm[k]);
	for (int k = 0; k < 6; k++)
		free(aa[k]);
	for (int k = 0; k < 7; k++)
		free(ma[k]);
	for (int k = 0; k < 8; k++)
		free(va[k]);
	for (int k = 0; k < 9; k++)
		free(pv[k]);
	free(NULL);
	return bad_count;
}

static void *worker(void *arg)
{
	long *bad = arg;

	pthread_barrier_wait(&start_line);
	for (long i = 0; i < iterations; i++)
		*bad += one_iteration();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid[THREADS];
	long bad[THREADS] = { 0 };
	long total_bad = 0;

	if (argc != 2 || (iterations = atol(argv[1])) < 1) {
		fprintf(stderr, "usage: threads-calls ITERATIONS\n");
		return 2;
	}
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	pthread_barrier_init(&start_line, NULL, THREADS);
	for (int t = 0; t < THREADS; t++)
		if (pthread_create(&tid[t], NULL, worker, &bad[t]) != 0) {
			fprintf(stderr, "threads-calls: pthread_create failed\n");
			return 1;
		}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(tid[t], NULL);
		total_bad += bad[t];
	}
	pthread_barrier_destroy(&start_line);

	long n = THREADS * iterations;
	printf("threads-calls: %d threads x %ld iterations: malloc=%ld calloc=%ld "
	       "realloc=%ld reallocarray=%ld free=%ld posix_memalign=%ld "
	       "aligned_alloc=%ld memalign=%ld valloc=%ld pvalloc=%ld failed=%ld "
	       "requested=%ld surprises=%ld\n",
	       THREADS, iterations, n, 2 * n, 3 * n, 4 * n, 40 * n, 5 * n,
	       6 * n, 7 * n, 8 * n, 9 * n, n, 34323 * n, total_bad);
	return total_bad == 0 ? 0 : 1;
}
