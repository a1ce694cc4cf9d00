/* Touches MIB mebibytes (argument, default 512), one 1 MiB block at a
 * time, writing every page; prints "touched MIB MiB" if it lives that long.
 * In a memory cgroup with a lower limit, the OOM killer ends it first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 512;
	for (long i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			fprintf(stderr, "hog: out of memory at %ld MiB\n", i);
			return 1;
		}
		memset(p, 1, 1 << 20);
	}
	printf("touched %ld MiB\n", mib);
	return 0;
}
