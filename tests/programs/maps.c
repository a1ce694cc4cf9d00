/* Maps memory itself, as language runtimes and databases do.
 *
 *   maps anon      map 8 GiB anonymously (map_big), touch its first 1 GiB,
 *                  unmap 2 GiB in the middle; map 64 MiB (map_growing),
 *                  touch it all, grow it to 256 MiB with mremap; exit
 *                  with everything else still mapped.
 *   maps reserve   reserve 16 GiB PROT_NONE (reserve_heap), mprotect the
 *                  first 512 MiB read-write, touch 256 MiB of it.
 *   maps small     map 4,096 anonymous mappings of 96 KiB (map_small),
 *                  below OVC_LARGE: 384 MiB, one page of each touched
 *                  (16 MiB), all kept to the exit.
 *
 * Prints one line saying what it did. */

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define MiB ((size_t)1 << 20)
#define GiB ((size_t)1 << 30)

__attribute__((noinline)) static char *map_big(void)
{
	return mmap(NULL, 8 * GiB, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}

__attribute__((noinline)) static char *map_growing(void)
{
	return mmap(NULL, 64 * MiB, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

__attribute__((noinline)) static char *reserve_heap(void)
{
	return mmap(NULL, 16 * GiB, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}

#define SMALL_MAPS 4096
#define SMALL_BYTES ((size_t)96 << 10)

__attribute__((noinline)) static char *map_small(void)
{
	return mmap(NULL, SMALL_BYTES, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* site: map_small */
}

static void touch(char *p, size_t n)
{
	for (size_t o = 0; o < n; o += 4096)
		p[o] = 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "anon") == 0) {
		char *big = map_big();
		if (big == MAP_FAILED)
			return 1;
		touch(big, GiB);
		if (munmap(big + 4 * GiB, 2 * GiB) != 0)
			return 1;
		char *g = map_growing();
		if (g == MAP_FAILED)
			return 1;
		touch(g, 64 * MiB);
		g = mremap(g, 64 * MiB, 256 * MiB, MREMAP_MAYMOVE);
		if (g == MAP_FAILED)
			return 1;
		printf("mapped 8 GiB, touched 1 GiB, unmapped 2 GiB; grew 64 MiB to 256 MiB\n");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "reserve") == 0) {
		char *r = reserve_heap();
		if (r == MAP_FAILED)
			return 1;
		if (mprotect(r, 512 * MiB, PROT_READ | PROT_WRITE) != 0)
			return 1;
		touch(r, 256 * MiB);
		printf("reserved 16 GiB, committed 512 MiB, touched 256 MiB\n");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "small") == 0) {
		for (int i = 0; i < SMALL_MAPS; i++) {
			char *m = map_small();
			if (m == MAP_FAILED)
				return 1;
			m[0] = 1;
		}
		printf("mapped %d x 96 KiB, touched a page of each\n", SMALL_MAPS);
		return 0;
	}
	fprintf(stderr, "usage: maps anon|reserve|small\n");
	return 2;
}
