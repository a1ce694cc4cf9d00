/* calloc(1, 1 GiB), twice from one site, never written: glibc serves it
 * with a fresh mmap, which the kernel already zeroes, so none of it becomes
 * resident (but for the chunk header glibc writes on the first page). The
 * first block is freed (probed on free), the second stays live (probed at
 * exit). */
#include <stdio.h>
#include <stdlib.h>

char *zeroed_gib(void);

#define GIB ((size_t)1 << 30)

char *blocks[2];

__attribute__((noinline, noclone)) char *zeroed_gib(void)
{
	char *p = calloc(1, GIB); /* site: zeroed_gib */

	if (p == NULL) {
		fprintf(stderr, "calloc-untouched: calloc failed\n");
		exit(1);
	}
	return p;
}

int main(void)
{
	for (int i = 0; i < 2; i++)
		blocks[i] = zeroed_gib();
	free(blocks[0]);
	printf("calloc-untouched: 2 GiB requested, 1 GiB live\n");
	return 0;
}
