/* Three allocation sites of known sizes, each in a function of its own,
 * for `ovc diff`: reserve_a reserves 32 MiB times FACTOR (untouched),
 * touch_b reserves and writes 8 MiB, reserve_c reserves 16 MiB (untouched).
 * Running it with FACTOR 1 and 2 changes site reserve_a only.
 *
 * Usage: diffsite [FACTOR] */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB (1024 * 1024)

__attribute__((noinline, noclone)) static void *reserve_a(size_t factor)
{
	return malloc(32 * MIB * factor); /* site: reserve_a */
}

__attribute__((noinline, noclone)) static void *touch_b(void)
{
	char *p = malloc(8 * MIB); /* site: touch_b */
	if (p)
		memset(p, 1, 8 * MIB);
	return p;
}

__attribute__((noinline, noclone)) static void *reserve_c(void)
{
	return malloc(16 * MIB); /* site: reserve_c */
}

int main(int argc, char **argv)
{
	size_t factor = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;
	void *a = reserve_a(factor), *b = touch_b(), *c = reserve_c();
	if (!a || !b || !c)
		return 1;
	usleep(30000);
	free(a);
	free(b);
	free(c);
	return 0;
}
