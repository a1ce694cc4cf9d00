/* A test that builds strings: many small allocations, all used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char *v[500];
	for (int i = 0; i < 500; i++) {
		v[i] = malloc(64);
		if (!v[i])
			return 1;
		snprintf(v[i], 64, "string %d", i);
	}
	int ok = strcmp(v[499], "string 499") == 0;
	for (int i = 0; i < 500; i++)
		free(v[i]);
	return ok ? 0 : 1;
}
