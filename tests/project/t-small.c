/* A test that allocates a little and uses all of it. */
#include <stdlib.h>
#include <string.h>

int main(void)
{
	for (int i = 0; i < 100; i++) {
		char *p = malloc(1000);
		if (!p)
			return 1;
		memset(p, i, 1000);
		free(p);
	}
	return 0;
}
