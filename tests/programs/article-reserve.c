/* The article's first program: malloc 1 GiB until malloc returns NULL, never
 * free, never touch, print how many succeeded. On x86-64 Linux with the
 * default overcommit heuristic this reserves about 128 TiB of address space
 * (~131,000 blocks) while using almost no memory.
 *
 * Usage: article-reserve [MAX_GIB]   (stop earlier after MAX_GIB blocks) */
#include <stdio.h>
#include <stdlib.h>

#define ONE_GIB ((size_t)1 << 30)

int main(int argc, char **argv)
{
	long max_gib = argc > 1 ? atol(argv[1]) : -1;
	long total = 0;

	/* Nothing is printed before the loop: stdio's buffer is the only
	 * allocation of the program's own besides the blocks. */
	while (max_gib < 0 || total < max_gib) {
		void *p = malloc(ONE_GIB);
		if (p == NULL)
			break;
		total++;
	}
	printf("%ld GiB allocated\n", total);
	return 0;
}
