/* Holds a known amount of memory for a while, for the suite's peaks at
 * one moment: mallocs MIB MiB, writes one byte in every page, sleeps MS
 * milliseconds, frees it and exits 0. Two of them one after another never
 * hold their memory together; two started at once do.
 *
 * Usage: hold MIB MS   (MIB 1..1024, MS 0..10000) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	long mib = argc > 2 ? atol(argv[1]) : -1;
	long ms = argc > 2 ? atol(argv[2]) : -1;
	if (mib < 1 || mib > 1024 || ms < 0 || ms > 10000) {
		fputs("usage: hold MIB MS   (MIB 1..1024, MS 0..10000)\n",
		      stderr);
		return 2;
	}
	size_t n = (size_t)mib << 20;
	volatile char *p = malloc(n);
	if (!p)
		return 1;
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
	free((void *)p);
	return 0;
}
