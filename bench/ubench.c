/* The benchmark's malloc microbenchmark: a fixed, seeded mix of malloc,
 * calloc, realloc and free calls over a working set of live blocks, per
 * thread, so that the cost a malloc interposer adds to each call shows.
 *
 * Usage: ubench small THREADS OPS   each thread does OPS calls over 16,000
 *                                   slots (about 10,000 live blocks) of
 *                                   8 B to 4 KiB
 *        ubench large OPS           one thread, 64 slots of 128 KiB to
 *                                   4 MiB, a quarter of each block written
 *        ubench mixed OPS           one thread, OPS calls: one in 20 on 8
 *                                   slots of 64 KiB to 16 MiB (a sixteenth
 *                                   to a quarter of each block's pages
 *                                   written, freed again at the slot's next
 *                                   turn), the rest as `small` on 16,000
 *                                   slots
 *
 * Built with -fno-builtin so that gcc neither folds malloc/free pairs nor
 * turns malloc+memset into calloc: the calls made are the ones written.
 * Prints the number of calls and a checksum (so nothing is optimised away). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SMALL_SLOTS 16000 /* a slot is full 1/1.6 of the time: ~10,000 live */
#define LARGE_SLOTS 64
#define KIB ((size_t)1024)

struct worker {
	pthread_t thread;
	unsigned seed;
	long ops;
	uint64_t checksum;
};

/* xorshift64*: fast, and the same sequence on every run. */
static inline uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* Mostly 8 to 256 bytes, one in eight up to 4 KiB: the shape of the small
 * allocations of most programs. */
static size_t small_size(uint64_t *s)
{
	uint64_t r = next(s);
	if ((r & 7) != 0)
		return 8 + (r >> 8) % 249;
	return 256 + (r >> 8) % 3841;
}

/* One call of the small mix on SLOT, drawn from R (and S for sizes): a
 * malloc or calloc into an empty slot, else free (10 in 16) or realloc. */
static inline void small_op(unsigned char **slot, uint64_t *s, uint64_t r,
			    long i, uint64_t *sum)
{
	size_t k = (r >> 16) % SMALL_SLOTS;
	unsigned op = r & 15;
	unsigned char *p = slot[k];

	if (!p) {
		size_t n = small_size(s);
		/* a quarter calloc, the rest malloc */
		p = op < 4 ? calloc(1, n) : malloc(n);
		if (!p)
			return;
		p[0] = (unsigned char)i; /* a program writes what it asks for */
		p[n - 1] = (unsigned char)k;
		slot[k] = p;
	} else if (op < 10) { /* 10 in 16: free */
		*sum += p[0];
		free(p);
		slot[k] = NULL;
	} else { /* 6 in 16: realloc to a new size */
		size_t n = small_size(s);
		unsigned char *q = realloc(p, n);
		if (!q)
			return;
		q[n - 1] = (unsigned char)i;
		*sum += q[0];
		slot[k] = q;
	}
}

static void *small_run(void *arg)
{
	struct worker *w = arg;
	uint64_t s = 0x9e3779b97f4a7c15ull ^ w->seed;
	unsigned char **slot = calloc(SMALL_SLOTS, sizeof *slot);
	uint64_t sum = 0;

	if (!slot)
		return NULL;
	for (long i = 0; i < w->ops; i++)
		small_op(slot, &s, next(&s), i, &sum);
	for (size_t k = 0; k < SMALL_SLOTS; k++)
		free(slot[k]);
	free(slot);
	w->checksum = sum;
	return NULL;
}

/* Writes one byte to each page of the first quarter of P's N bytes. */
static void touch_quarter(unsigned char *p, size_t n, long page)
{
	for (size_t off = 0; off < n / 4; off += (size_t)page)
		p[off] = 1;
}

static void large_run(struct worker *w)
{
	uint64_t s = 0x243f6a8885a308d3ull;
	unsigned char *slot[LARGE_SLOTS] = { 0 };
	size_t size[LARGE_SLOTS] = { 0 };
	long page = sysconf(_SC_PAGESIZE);
	uint64_t sum = 0;

	for (long i = 0; i < w->ops; i++) {
		uint64_t r = next(&s);
		size_t k = (r >> 16) % LARGE_SLOTS;
		unsigned op = r & 15;
		/* 128 KiB to 4 MiB: 128 KiB << 0..4, plus up to 128 KiB */
		size_t n = (128 * KIB << ((r >> 8) % 5)) + (r >> 32) % (128 * KIB);

		if (!slot[k]) {
			unsigned char *p = op < 4 ? calloc(1, n) : malloc(n);
			if (!p)
				continue;
			touch_quarter(p, n, page);
			slot[k] = p;
			size[k] = n;
		} else if (op < 11) { /* 11 in 16: free */
			sum += slot[k][0];
			free(slot[k]);
			slot[k] = NULL;
		} else {
			unsigned char *q = realloc(slot[k], n);
			if (!q)
				continue;
			touch_quarter(q, n, page);
			slot[k] = q;
			size[k] = n;
		}
	}
	for (size_t k = 0; k < LARGE_SLOTS; k++) {
		if (slot[k])
			sum += slot[k][size[k] / 8];
		free(slot[k]);
	}
	w->checksum = sum;
}

#define MIXED_LARGE_SLOTS 8

/* One thread: OPS calls, one in 20 on a large slot (malloc of 64 KiB to
 * 16 MiB with part of its pages written, or free of the slot's block), the
 * rest small calls as in small_run. Blocks of this size mostly come from
 * glibc's heap once its mmap threshold has risen (a freed mmapped block
 * raises it), so most large calls reuse memory already resident: the cost
 * of a tool's tracking shows, not the kernel's page zeroing. */
static void mixed_run(struct worker *w)
{
	uint64_t s = 0x452821e638d01377ull;
	unsigned char **slot = calloc(SMALL_SLOTS, sizeof *slot);
	unsigned char *big[MIXED_LARGE_SLOTS] = { 0 };
	size_t big_n[MIXED_LARGE_SLOTS] = { 0 };
	long page = sysconf(_SC_PAGESIZE);
	uint64_t sum = 0;

	if (!slot)
		return;
	for (long i = 0; i < w->ops; i++) {
		uint64_t r = next(&s);
		if (i % 20 == 19) {
			size_t k = (r >> 16) % MIXED_LARGE_SLOTS;
			if (big[k]) {
				sum += big[k][big_n[k] / 2];
				free(big[k]);
				big[k] = NULL;
				continue;
			}
			/* 64 KiB << 0..7, plus up to as much again: 64 KiB to
			 * 16 MiB, each power of two as likely */
			size_t base = 64 * KIB << ((r >> 8) % 8);
			size_t n = base + (r >> 32) % base;
			unsigned char *p = malloc(n);
			if (!p)
				continue;
			/* a sixteenth to a quarter of its pages written */
			size_t part = n / 16 * (1 + (r >> 4) % 4);
			for (size_t off = 0; off < part; off += (size_t)page)
				p[off] = 1;
			p[n / 2] = (unsigned char)i;
			big[k] = p;
			big_n[k] = n;
			continue;
		}
		small_op(slot, &s, r, i, &sum);
	}
	for (size_t k = 0; k < MIXED_LARGE_SLOTS; k++)
		free(big[k]);
	for (size_t k = 0; k < SMALL_SLOTS; k++)
		free(slot[k]);
	free(slot);
	w->checksum = sum;
}

static void usage(void)
{
	fputs("usage: ubench small THREADS OPS | ubench large OPS | ubench mixed OPS\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "small") == 0) {
		int threads = atoi(argv[2]);
		long ops = atol(argv[3]);
		if (threads < 1 || threads > 64 || ops < 1)
			usage();
		struct worker *w = calloc((size_t)threads, sizeof *w);
		if (!w)
			return 1;
		for (int t = 0; t < threads; t++) {
			w[t].seed = (unsigned)t + 1;
			w[t].ops = ops;
		}
		/* Thread 0 is the main thread: a 1-thread run starts no thread
		 * at all, so nothing but the allocation calls differs. */
		for (int t = 1; t < threads; t++)
			if (pthread_create(&w[t].thread, NULL, small_run, &w[t]))
				return 1;
		small_run(&w[0]);
		uint64_t sum = w[0].checksum;
		for (int t = 1; t < threads; t++) {
			pthread_join(w[t].thread, NULL);
			sum += w[t].checksum;
		}
		printf("%ld calls, checksum %llu\n", ops * threads,
		       (unsigned long long)sum);
		free(w);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "large") == 0) {
		struct worker w = { .ops = atol(argv[2]) };
		if (w.ops < 1)
			usage();
		large_run(&w);
		printf("%ld calls, checksum %llu\n", w.ops,
		       (unsigned long long)w.checksum);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "mixed") == 0) {
		struct worker w = { .ops = atol(argv[2]) };
		if (w.ops < 1)
			usage();
		mixed_run(&w);
		printf("%ld calls, checksum %llu\n", w.ops,
		       (unsigned long long)w.checksum);
		return 0;
	}
	usage();
	return 2;
}
