/* The sampling estimator's truth: three sites of small blocks, 200 MiB
 * each (100 MiB of 256-byte blocks, then 100 MiB of 4 KiB blocks), all
 * live at exit; site_none writes none of its bytes, site_half the first
 * half of each block, site_full all of it. Each site's requested bytes are
 * 200 MiB exactly; what is written: 0, 100 and 200 MiB. Run with
 * different OVC_SEED values, the sites' estimates scatter around that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB ((size_t)1 << 20)

char *site_none(size_t n);
char *site_half(size_t n);
char *site_full(size_t n);

static char *must(char *p)
{
	if (!p) {
		fputs("estimator: malloc failed\n", stderr);
		exit(1);
	}
	return p;
}

__attribute__((noinline, noclone)) char *site_none(size_t n)
{
	return must(malloc(n)); /* site: none written */
}

__attribute__((noinline, noclone)) char *site_half(size_t n)
{
	char *p = must(malloc(n)); /* site: half written */
	memset(p, 1, n / 2);
	return p;
}

__attribute__((noinline, noclone)) char *site_full(size_t n)
{
	char *p = must(malloc(n)); /* site: all written */
	memset(p, 1, n);
	return p;
}

int main(void)
{
	static const size_t sizes[2] = {256, 4096};
	char *(*const sites[3])(size_t) = {site_none, site_half, site_full};
	for (int s = 0; s < 3; s++)
		for (int k = 0; k < 2; k++)
			for (size_t i = 0; i < 100 * MIB / sizes[k]; i++)
				sites[s](sizes[k]);
	puts("estimator: 3 sites of 200 MiB, 0%, 50%, 100% written");
	return 0;
}
