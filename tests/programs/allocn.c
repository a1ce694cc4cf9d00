/* Makes exactly N calls of malloc (of 100 bytes) and N calls of free, and
 * nothing else that allocates (no stdio), so a test can assert its counts:
 * calls.malloc == N, calls.free == N, requested == 100 N.
 *
 * Usage: allocn N */
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	for (long i = 0; i < n; i++) {
		volatile char *p = malloc(100);
		if (!p)
			return 1;
		p[0] = 1;
		free((void *)p);
	}
	return 0;
}
