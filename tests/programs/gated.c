/* Reserves RESERVE MiB in one malloc, writes to the first TOUCH MiB of it,
 * and exits 0; with a third argument "kill", kills itself with SIGKILL
 * instead (a process that dies without finishing its log). For the gates
 * of `ovc check`: peak live about RESERVE MiB, touched about TOUCH MiB.
 *
 * Usage: gated RESERVE_MIB TOUCH_MIB [kill] */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	size_t reserve = strtoul(argv[1], NULL, 10) << 20;
	size_t touch = strtoul(argv[2], NULL, 10) << 20;
	char *p = malloc(reserve);
	if (!p)
		return 1;
	if (touch > reserve)
		touch = reserve;
	memset(p, 1, touch);
	if (argc > 3 && strcmp(argv[3], "kill") == 0) {
		usleep(50000); /* let the ticker write a sample */
		raise(SIGKILL);
	}
	/* Hold the memory over a few ticks of the ticker. */
	usleep(30000);
	free(p);
	return 0;
}
