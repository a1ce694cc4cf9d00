/* Figures at the top of the u64 range.
 *
 * numbers refuse   asks malloc for the 7 sizes below (SIZE_MAX down to
 *                  2 GiB): all above a budget of 1 GiB (OVC_BUDGET=1G);
 *                  prints "refused N".
 * numbers munmap N unmaps a 16 TiB range where nothing is mapped, N times
 *                  (each call succeeds: 16 TiB counted each time), after
 *                  one mmap of a page and one malloc; prints "munmap N". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "refuse") == 0) {
		static const size_t sizes[] = {
			SIZE_MAX, SIZE_MAX - 4096, (size_t)INT64_MAX + 1,
			(size_t)INT64_MAX, (size_t)1 << 62, (size_t)2 << 30,
			(size_t)3 << 30,
		};
		int refused = 0;
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			void *p = malloc(sizes[i]);
			if (!p)
				refused++;
			free(p);
		}
		printf("refused %d\n", refused);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "munmap") == 0) {
		long n = atol(argv[2]);
		void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *block = malloc(100);
		if (page == MAP_FAILED || !block)
			return 1;
		/* 16 TiB at 64 TiB: above anything mapped in a small
		 * program, below the 128 TiB of user address space. */
		char *far = (char *)((uintptr_t)64 << 40);
		for (long i = 0; i < n; i++)
			if (munmap(far, (size_t)16 << 40) != 0)
				return 1;
		free(block);
		munmap(page, 4096);
		printf("munmap %ld\n", n);
		return 0;
	}
	fprintf(stderr, "usage: numbers refuse | numbers munmap N\n");
	return 2;
}
