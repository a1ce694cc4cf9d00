/* Allocations around main: a constructor that runs before any other of
 * this program's, and a destructor that runs after main and the atexit
 * handlers. CTORDTOR_EXTRA=N makes the destructor do N more malloc/free
 * pairs (so a test can see that exactly those are counted).
 * Prints "ctordtor: main" and exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *early[100];

__attribute__((constructor(101))) static void first(void)
{
	for (int i = 0; i < 100; i++)
		early[i] = malloc(24 + (size_t)i);
	early[0] = realloc(early[0], 300 * 1024);
}

__attribute__((destructor(101))) static void last(void)
{
	for (int i = 0; i < 100; i++)
		free(early[i]);
	const char *e = getenv("CTORDTOR_EXTRA");
	long n = e ? atol(e) : 0;
	for (long i = 0; i < n; i++) {
		char *p = malloc(40);
		if (p)
			p[0] = 0;
		free(p);
	}
	void *big = calloc(1, 1 << 20);
	free(big);
}

int main(void)
{
	printf("ctordtor: main\n");
	return 0;
}
