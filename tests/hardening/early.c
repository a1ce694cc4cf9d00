/* A library (LD_PRELOAD'ed next to libovc.so) whose constructor and
 * destructor allocate: one of the two preload orders runs its constructor
 * before ovc's and its destructor after ovc's. Says nothing. */
#include <stdlib.h>
#include <string.h>

static char *kept;

__attribute__((constructor)) static void early_init(void)
{
	kept = malloc(64);
	void *c = calloc(16, 16);
	void *r = realloc(NULL, 500);
	r = realloc(r, 200 * 1024);
	if (kept)
		strcpy(kept, "early");
	free(c);
	free(r);
}

__attribute__((destructor)) static void early_fini(void)
{
	for (int i = 0; i < 100; i++) {
		void *p = malloc(16 + (size_t)i);
		free(p);
	}
	void *big = malloc(1 << 20);
	free(big);
	free(kept);
}
