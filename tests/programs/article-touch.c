/* The article's second program, bounded: malloc 1 GiB blocks up to a total
 * (2 GiB unless told otherwise) and write one byte to every page of every
 * block, so that all of the requested memory becomes resident. The article's
 * version goes on to 100 GiB and meets the OOM killer; this one must never.
 *
 * Usage: article-touch [MIB]   (total to allocate and touch, default 2048,
 *                               at most 8192; the last block may be smaller) */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ONE_MIB ((size_t)1 << 20)
#define BLOCK_MIB 1024
#define MAX_MIB 8192

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 2048;
	static char *blocks[MAX_MIB / BLOCK_MIB + 1];
	size_t sizes[MAX_MIB / BLOCK_MIB + 1];
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int n = 0;

	if (mib < 1 || mib > MAX_MIB) {
		fprintf(stderr, "article-touch: MIB must be 1..%d\n", MAX_MIB);
		return 2;
	}
	for (long left = mib; left > 0; left -= BLOCK_MIB) {
		size_t size = (size_t)(left < BLOCK_MIB ? left : BLOCK_MIB) * ONE_MIB;
		blocks[n] = malloc(size);
		if (blocks[n] == NULL) {
			fprintf(stderr, "article-touch: malloc(%zu) failed\n", size);
			return 1;
		}
		sizes[n++] = size;
	}
	for (int i = 0; i < n; i++)
		for (size_t j = 0; j < sizes[i]; j += page)
			((volatile char *)blocks[i])[j] = 1;
	/* Like the article, no free: the blocks are live and resident at
	 * exit, so the final sample holds the peak. */
	printf("%ld MiB allocated and touched in %d blocks\n", mib, n);
	return 0;
}
