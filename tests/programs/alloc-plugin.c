/* A plugin loaded with dlopen by dlopen-plugin: its allocation site lives in
 * a module that is gone (dlclose) by the time the process exits. */
#include <stdlib.h>

void *plugin_alloc(size_t n);

/* Calls made, so the malloc is not the function's last act (no tail call). */
int plugin_calls;

__attribute__((noinline, noclone)) void *plugin_alloc(size_t n)
{
	void *p = malloc(n); /* site: plugin_alloc */

	plugin_calls++;
	return p;
}
