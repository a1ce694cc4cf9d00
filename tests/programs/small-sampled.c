/* One site making many small allocations: ROUNDS times (default 1), 100 MiB
 * in 64-byte blocks (1,638,400 mallocs of 64 bytes), all freed again before
 * the next round, so at most 100 MiB of them (125 MiB of heap with glibc's
 * headers) is live at once and nothing of them is live at exit.
 *
 * The allocations are far below OVC_LARGE: at the default OVC_SAMPLE ovc
 * attributes them to their site by byte-weighted sampling, with
 * OVC_SAMPLE=1 every one of them is tracked.
 *
 * The array of pointers comes from mmap, not malloc, so that the program's
 * only small allocations of note are the ones of make_small().
 *
 * Usage: small-sampled [ROUNDS]   (1..64) */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

void make_small(void **ptrs, size_t n);
void free_small(void **ptrs, size_t n);

#define BLOCK_BYTES 64
#define ROUND_BYTES ((size_t)100 << 20)
#define NBLOCKS (ROUND_BYTES / BLOCK_BYTES)

__attribute__((noinline, noclone)) void make_small(void **ptrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ptrs[i] = malloc(BLOCK_BYTES); /* site: make_small */
		if (ptrs[i] == NULL) {
			fprintf(stderr, "small-sampled: malloc failed\n");
			exit(1);
		}
	}
}

__attribute__((noinline, noclone)) void free_small(void **ptrs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ptrs[i]);
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 1;
	void **ptrs;

	if (rounds < 1 || rounds > 64) {
		fprintf(stderr, "small-sampled: ROUNDS must be 1..64\n");
		return 2;
	}
	ptrs = mmap(NULL, NBLOCKS * sizeof *ptrs, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ptrs == MAP_FAILED) {
		perror("small-sampled: mmap");
		return 1;
	}
	for (long r = 0; r < rounds; r++) {
		make_small(ptrs, NBLOCKS);
		free_small(ptrs, NBLOCKS);
	}
	printf("small-sampled: %ld x %zu blocks of %d bytes\n", rounds,
	       (size_t)NBLOCKS, BLOCK_BYTES);
	return 0;
}
