/* A well-behaved small program for the option and file tests: allocates
 * and touches a little, prints a fixed text on stdout, exits 0 (or with
 * the code given as its argument). With "files N" it also writes N KiB
 * to stdout in 1 KiB lines (for the file-size-limit test, where stdout is
 * a pipe). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char *big = malloc(4 << 20);
	if (!big)
		return 1;
	memset(big, 1, 1 << 20);
	for (int i = 0; i < 1000; i++)
		free(malloc(16 + (size_t)i));
	printf("hello: line one\nhello: line two\n");
	if (argc == 3 && strcmp(argv[1], "files") == 0) {
		long n = atol(argv[2]);
		char line[1024];
		memset(line, 'a', sizeof line - 1);
		line[sizeof line - 1] = '\n';
		for (long i = 0; i < n; i++)
			fwrite(line, 1, sizeof line, stdout);
	}
	free(big);
	return argc == 2 ? atoi(argv[1]) : 0;
}
