/* Blocks still live at exit, with known figures, for `ovc report --leaks`,
 * `ovc check --max-leaked` and the leaked/bytes of `ovc pprof`:
 *
 *   leak_small()      10240 blocks of 1 KiB, never freed    (10 MiB, sampled)
 *   leak_large()      3 blocks of 4 MiB, never freed        (12 MiB, exact)
 *   free_all()        10240 blocks of 1 KiB and 3 of 4 MiB, all freed
 *   freed_at_exit()   3 blocks of 2 MiB, freed by an atexit handler
 *   freed_in_dtor()   3 blocks of 2 MiB, freed by a destructor
 *
 * Only the first two leak: memory that exit handlers free is not a leak.
 * The line of each malloc call carries a "site:" comment, each site
 * function is called from one place only (one call stack, one site). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *leak_small(size_t n);
char *leak_large(size_t n);
char *free_all(size_t n);
char *freed_at_exit(size_t n);
char *freed_in_dtor(size_t n);

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)
#define NSMALL 10240
#define NLARGE 3

/* Global, so the compiler keeps the blocks. */
char *small_kept[NSMALL], *large_kept[NLARGE];
static char *exit_blocks[NLARGE], *dtor_blocks[NLARGE];

static void fail(size_t n)
{
	fprintf(stderr, "leaks: malloc(%zu) failed\n", n);
	exit(1);
}

__attribute__((noinline, noclone)) char *leak_small(size_t n)
{
	char *p = malloc(n); /* site: leak_small */

	if (p == NULL)
		fail(n);
	memset(p, 1, n);
	return p;
}

__attribute__((noinline, noclone)) char *leak_large(size_t n)
{
	char *p = malloc(n); /* site: leak_large */

	if (p == NULL)
		fail(n);
	memset(p, 1, n);
	return p;
}

__attribute__((noinline, noclone)) char *free_all(size_t n)
{
	char *p = malloc(n); /* site: free_all */

	if (p == NULL)
		fail(n);
	memset(p, 1, n);
	return p;
}

__attribute__((noinline, noclone)) char *freed_at_exit(size_t n)
{
	char *p = malloc(n); /* site: freed_at_exit */

	if (p == NULL)
		fail(n);
	return p;
}

__attribute__((noinline, noclone)) char *freed_in_dtor(size_t n)
{
	char *p = malloc(n); /* site: freed_in_dtor */

	if (p == NULL)
		fail(n);
	return p;
}

static void at_exit(void)
{
	for (int i = 0; i < NLARGE; i++)
		free(exit_blocks[i]);
}

__attribute__((destructor)) static void dtor(void)
{
	for (int i = 0; i < NLARGE; i++)
		free(dtor_blocks[i]);
}

int main(void)
{
	static char *tmp[NSMALL];
	/* volatile: a loop of 3 calls unrolled would make 3 call stacks */
	volatile int nlarge = NLARGE;

	for (int i = 0; i < NSMALL; i++)
		small_kept[i] = leak_small(KIB);
	for (int i = 0; i < nlarge; i++)
		large_kept[i] = leak_large(4 * MIB);
	for (int i = 0; i < NSMALL; i++)
		tmp[i] = free_all(KIB);
	for (int i = 0; i < NSMALL; i++)
		free(tmp[i]);
	for (int i = 0; i < nlarge; i++)
		tmp[i] = free_all(4 * MIB);
	for (int i = 0; i < NLARGE; i++)
		free(tmp[i]);
	for (int i = 0; i < nlarge; i++) {
		exit_blocks[i] = freed_at_exit(2 * MIB);
		dtor_blocks[i] = freed_in_dtor(2 * MIB);
	}
	atexit(at_exit);
	printf("leaks: %d small and %d large blocks left\n", NSMALL, NLARGE);
	return 0;
}
