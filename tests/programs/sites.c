/* Three allocation sites that touch known fractions of their blocks, for
 * the per-site figures of `ovc report --json` and `ovc flame`:
 *
 *   touch_all()      4 blocks of  64 MiB, every page written   (ratio 1)
 *   touch_none()     4 blocks of 256 MiB, never written        (ratio 0)
 *   touch_quarter()  4 blocks of 128 MiB, first quarter written (ratio 0.25)
 *
 * Of each site's blocks the first two are freed before exit (probed on
 * free) and the last two stay live (probed at exit). 1.75 GiB requested,
 * 384 MiB touched. All are above OVC_LARGE, so the figures are exact.
 *
 * The line of each malloc call carries a "site:" comment: the tests find the
 * line they expect there. Each site function is called from one place only,
 * so that it makes one call stack (one site). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

char *touch_all(size_t n);
char *touch_none(size_t n);
char *touch_quarter(size_t n);

#define MIB ((size_t)1 << 20)
#define NBLOCKS 4
#define NFREED 2

/* Where the blocks go: global, so the compiler cannot drop a store. */
char *all_blocks[NBLOCKS], *none_blocks[NBLOCKS], *quarter_blocks[NBLOCKS];

static void write_pages(char *p, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < n; i += page)
		((volatile char *)p)[i] = 1;
}

static void fail(size_t n)
{
	fprintf(stderr, "sites: malloc(%zu) failed\n", n);
	exit(1);
}

__attribute__((noinline, noclone)) char *touch_all(size_t n)
{
	char *p = malloc(n); /* site: touch_all */

	if (p == NULL)
		fail(n);
	write_pages(p, n);
	return p;
}

__attribute__((noinline, noclone)) char *touch_none(size_t n)
{
	char *p = malloc(n); /* site: touch_none */

	if (p == NULL)
		fail(n);
	return p;
}

__attribute__((noinline, noclone)) char *touch_quarter(size_t n)
{
	char *p = malloc(n); /* site: touch_quarter */

	if (p == NULL)
		fail(n);
	write_pages(p, n / 4);
	return p;
}

int main(void)
{
	for (int i = 0; i < NBLOCKS; i++) {
		all_blocks[i] = touch_all(64 * MIB);
		none_blocks[i] = touch_none(256 * MIB);
		quarter_blocks[i] = touch_quarter(128 * MIB);
	}
	for (int i = 0; i < NFREED; i++) {
		free(all_blocks[i]);
		free(none_blocks[i]);
		free(quarter_blocks[i]);
	}
	printf("sites: %d blocks per site, %d freed\n", NBLOCKS, NFREED);
	return 0;
}
