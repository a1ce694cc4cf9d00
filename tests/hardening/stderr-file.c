/* Puts a data file of its own on descriptor 2 (closes stderr, opens
 * argv[1], which takes the lowest free number), writes "data\n" to it,
 * allocates, and exits: nothing but "data\n" may end up in that file
 * (ovc's summary line or a warning at exit went to whatever fd 2 was). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	close(2);
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd != 2)
		return 3;
	if (write(2, "data\n", 5) != 5)
		return 4;
	for (int i = 0; i < 100; i++)
		free(malloc((size_t)1 << (i % 20)));
	puts("done");
	return 0;
}
