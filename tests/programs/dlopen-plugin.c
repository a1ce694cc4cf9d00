/* Loads the plugin named on the command line with dlopen, has it allocate
 * 32 MiB twice, frees the first block, closes the plugin (dlclose unmaps it:
 * it is the only user) and exits with the second block still live. The site
 * must still symbolize to plugin_alloc in the plugin's source.
 *
 * Usage: dlopen-plugin PATH-OF-liballoc-plugin.so */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#define MIB ((size_t)1 << 20)

void *kept;

int main(int argc, char **argv)
{
	void *(*plugin_alloc)(size_t);
	void *handle, *first;

	if (argc != 2) {
		fprintf(stderr, "usage: dlopen-plugin PLUGIN\n");
		return 2;
	}
	handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		fprintf(stderr, "dlopen-plugin: %s\n", dlerror());
		return 1;
	}
	*(void **)&plugin_alloc = dlsym(handle, "plugin_alloc");
	if (plugin_alloc == NULL) {
		fprintf(stderr, "dlopen-plugin: %s\n", dlerror());
		return 1;
	}
	first = plugin_alloc(32 * MIB);
	kept = plugin_alloc(32 * MIB);
	if (first == NULL || kept == NULL) {
		fprintf(stderr, "dlopen-plugin: plugin_alloc failed\n");
		return 1;
	}
	free(first);
	if (dlclose(handle) != 0) {
		fprintf(stderr, "dlopen-plugin: %s\n", dlerror());
		return 1;
	}
	printf("dlopen-plugin: 2 blocks of 32 MiB, 1 live after dlclose\n");
	return 0;
}
