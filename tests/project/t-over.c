/* A test that reserves 1 GiB "to be safe" and uses one megabyte of it: its
 * overcommit gap is about 1 GiB. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	size_t reserve = (size_t)1 << 30, used = (size_t)1 << 20;
	char *buf = malloc(reserve);
	if (!buf)
		return 1;
	memset(buf, 'x', used);
	usleep(30000); /* a few samples while it is held */
	int ok = buf[used - 1] == 'x';
	free(buf);
	return ok ? 0 : 1;
}
