/* Threads that allocate the way a busy program does, for running with an
 * allocator of its own (jemalloc, tcmalloc, mimalloc linked in or
 * preloaded): each of THREADS threads makes 20,000 calls of malloc,
 * calloc, realloc and free of 1 to 5,000 bytes, and LARGE blocks of 1 to 4
 * MiB (malloc, calloc, a realloc that grows one), writing a byte of each
 * page so the blocks are used. Everything is freed before the threads end.
 *
 * Prints one line with the calls it made itself, summed over the threads:
 *   malloc M calloc C realloc R free F
 * (free counts only calls with a non-NULL pointer; realloc(NULL, n) counts
 * as a realloc). Exits 0. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define CALLS 20000
#define SLOTS 64
#define LARGE 3

struct counts {
	long malloc_, calloc_, realloc_, free_;
};

static struct counts per_thread[THREADS];

static void use(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	p[n - 1] = 1;
}

static void *work(void *arg)
{
	long id = (long)arg;
	struct counts *c = &per_thread[id];
	uint32_t s = 2654435761u * (uint32_t)(id + 1);
	void *slot[SLOTS] = {0};
	size_t size[SLOTS] = {0};

	for (int i = 0; i < CALLS; i++) {
		s = s * 1103515245u + 12345u;
		int k = (int)((s >> 8) % SLOTS);
		size_t n = 1 + (s >> 16) % 5000;
		switch (i % 4) {
		case 0:
			if (slot[k])
				free(slot[k]), c->free_++;
			slot[k] = malloc(n), c->malloc_++;
			break;
		case 1:
			if (slot[k])
				free(slot[k]), c->free_++;
			slot[k] = calloc(1, n), c->calloc_++;
			break;
		case 2:
			slot[k] = realloc(slot[k], n), c->realloc_++;
			break;
		default:
			if (slot[k])
				free(slot[k]), c->free_++;
			slot[k] = NULL;
			n = 0;
			break;
		}
		if (slot[k]) {
			use(slot[k], n);
			size[k] = n;
		} else if (n) {
			fprintf(stderr, "allocs: out of memory\n");
			exit(1);
		}
	}
	for (int k = 0; k < SLOTS; k++)
		if (slot[k])
			free(slot[k]), c->free_++;
	(void)size;

	for (int j = 0; j < LARGE; j++) {
		size_t mib = 1 + (size_t)((id + j) % 4);
		unsigned char *a = malloc(mib << 20);
		unsigned char *b = calloc(mib, 1 << 20);
		c->malloc_++, c->calloc_++;
		if (!a || !b) {
			fprintf(stderr, "allocs: out of memory\n");
			exit(1);
		}
		use(a, mib << 20);
		a = realloc(a, (mib + 2) << 20);
		c->realloc_++;
		if (!a) {
			fprintf(stderr, "allocs: out of memory\n");
			exit(1);
		}
		use(a, (mib + 2) << 20);
		free(a), free(b);
		c->free_ += 2;
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, work, (void *)i) != 0) {
			fprintf(stderr, "allocs: cannot start a thread\n");
			return 1;
		}
	struct counts sum = {0};
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		sum.malloc_ += per_thread[i].malloc_;
		sum.calloc_ += per_thread[i].calloc_;
		sum.realloc_ += per_thread[i].realloc_;
		sum.free_ += per_thread[i].free_;
	}
	printf("malloc %ld calloc %ld realloc %ld free %ld\n", sum.malloc_,
	       sum.calloc_, sum.realloc_, sum.free_);
	return 0;
}
