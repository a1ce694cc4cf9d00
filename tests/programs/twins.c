/* Two allocation sites that look the same to a stack's first words:
 * twin_a() and twin_b() have the same code and frame and are called in
 * turn from one loop, so the stack pointer is the same at every one of
 * their mallocs and only the return addresses on the stack tell the two
 * stacks apart. ovc's unwinder keeps the stacks it found per thread and
 * takes one again when the words it read are all still there
 * (preload/unwind.c, "memo"): a memo keyed by the stack pointer alone
 * would give one twin's site to the other's blocks.
 *
 * CALLS mallocs of 48 bytes at each twin (100,000 by default), every one
 * freed at once: under OVC_SAMPLE=1 each site has exactly CALLS blocks of
 * 48 bytes and nothing live at exit.
 *
 * Usage: twins [CALLS]   (1..10000000) */
#include <stdio.h>
#include <stdlib.h>

#define BLOCK_BYTES 48

void *twin_a(size_t n);
void *twin_b(size_t n);

__attribute__((noinline, noclone)) void *twin_a(size_t n)
{
	void *p = malloc(n); /* site: twin_a */
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

__attribute__((noinline, noclone)) void *twin_b(size_t n)
{
	void *p = malloc(n); /* site: twin_b */
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 100000;

	if (calls < 1 || calls > 10000000) {
		fprintf(stderr, "twins: CALLS must be 1..10000000\n");
		return 2;
	}
	for (long i = 0; i < calls; i++) {
		void *a = twin_a(BLOCK_BYTES);
		void *b = twin_b(BLOCK_BYTES);

		if (!a || !b) {
			fprintf(stderr, "twins: malloc failed\n");
			return 1;
		}
		free(a);
		free(b);
	}
	printf("twins: %ld x 2 blocks of %d bytes\n", calls, BLOCK_BYTES);
	return 0;
}
