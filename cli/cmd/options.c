/* The command line of the ovc commands (options.h). */
#include "cmd/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render/render.h"

/* Largest count accepted by --top and --frames; more means "all". */
#define LIMIT_MAX 100000000

bool ovc_parse_limit(const char *text, size_t *out)
{
	if (strcmp(text, "all") == 0) {
		*out = OVC_ALL;
		return true;
	}
	if (text[0] < '0' || text[0] > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (*end || errno)
		return false;
	*out = v > LIMIT_MAX ? OVC_ALL : (size_t)v;
	return true;
}

bool ovc_opt_limit(const char *cmd, const char *opt, const char *v,
		   size_t min, const char *wants, size_t *out)
{
	if (ovc_parse_limit(v, out) && *out >= min)
		return true;
	fprintf(stderr, "ovc: %s: %s wants %s or 'all', not '%s'\n", cmd, opt,
		wants, v);
	return false;
}

int ovc_opt_bad(const char *cmd, const char *arg, bool missing,
		void (*usage)(FILE *))
{
	if (missing)
		fprintf(stderr, "ovc: %s: %s needs a value\n", cmd, arg);
	else
		fprintf(stderr, "ovc: %s: unknown option '%s'\n", cmd, arg);
	usage(stderr);
	return OVC_EXIT_USAGE;
}

char *const *ovc_paths_or_default(int argc, char **argv, int i, size_t *n)
{
	static char def[] = "ovc-out";
	static char *defv[] = {def};
	*n = i < argc ? (size_t)(argc - i) : 1;
	return i < argc ? argv + i : defv;
}

const char *ovc_opt_value(int argc, char **argv, int *i, const char *name,
			  bool *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

const char *ovc_opt_next(int argc, char **argv, int *i, void (*usage)(FILE *),
			 bool *help)
{
	if (*i >= argc)
		return NULL;
	const char *a = argv[*i];
	if (strcmp(a, "--") == 0) {
		++*i;
		return NULL;
	}
	if (a[0] != '-' || a[1] == '\0')
		return NULL;
	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		usage(stdout);
		*help = true;
		return NULL;
	}
	return a;
}

const char *ovc_opt_output(int argc, char **argv, int *i, bool *missing)
{
	const char *v = ovc_opt_value(argc, argv, i, "-o", missing);
	return v ? v : ovc_opt_value(argc, argv, i, "--output", missing);
}
