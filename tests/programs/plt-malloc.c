/* A program built without PIE that takes malloc's address, as Debian's
 * python3 does: its "malloc" is then an undefined symbol whose address is
 * its PLT stub, and dlsym(RTLD_DEFAULT, "malloc") answers that stub. Its
 * calls still reach the preloaded malloc, and ovc must see that glibc's
 * malloc is behind it: under another allocator ovc loads libunwind at
 * start, under glibc's at the first stack capture that needs it.
 *
 * Prints "libunwind mapped" or "libunwind not mapped" (from
 * /proc/self/maps, read with system calls at the start of main), then
 * mallocs and frees 100 blocks of 100 B through the address it took and
 * exits 0. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Set in main's code, not in initialised data: without PIE, code that
 * takes a function's address makes the linker give the symbol the
 * address of a PLT stub of the program's (data would get a relocation). */
void *(*volatile alloc_fn)(size_t);
void (*volatile free_fn)(void *);

static char maps[1 << 20];

int main(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;
	while (fd >= 0 && len < sizeof maps - 1 &&
	       (n = read(fd, maps + len, sizeof maps - 1 - len)) > 0)
		len += (size_t)n;
	maps[len] = '\0';
	if (fd >= 0)
		close(fd);
	int mapped = strstr(maps, "libunwind") != NULL;
	alloc_fn = malloc;
	free_fn = free;
	for (int i = 0; i < 100; i++)
		free_fn(alloc_fn(100));
	printf("libunwind %s\n", mapped ? "mapped" : "not mapped");
	return 0;
}
