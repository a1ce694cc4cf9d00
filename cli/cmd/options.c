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

char *const *ovc_paths_or_default(int argc, char **argv, int i, size_t *n)
{
	static char def[] = "ovc-out";
	static char *defv[] = {def};
	*n = i < argc ? (size_t)(argc - i) : 1;
	return i < argc ? argv + i : defv;
}

const char *ovc_opts_value(struct ovc_opts *o, const char *name)
{
	size_t n = strlen(name);
	const char *a = o->argv[o->i];
	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (o->i + 1 >= o->argc) {
		o->missing = true;
		return NULL;
	}
	return o->argv[++o->i];
}

const char *ovc_opts_next(struct ovc_opts *o)
{
	o->missing = false;
	if (o->i >= o->argc)
		return NULL;
	const char *a = o->argv[o->i];
	if (strcmp(a, "--") == 0) {
		o->i++;
		return NULL;
	}
	if (a[0] != '-' || a[1] == '\0')
		return NULL;
	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		o->usage(stdout);
		o->help = true;
		return NULL;
	}
	return a;
}

const char *ovc_opts_output(struct ovc_opts *o)
{
	const char *v = ovc_opts_value(o, "-o");
	return v ? v : ovc_opts_value(o, "--output");
}

bool ovc_opts_source(struct ovc_opts *o, const char **run,
		     const char **outpath)
{
	const char *v = ovc_opts_value(o, "--run");
	if (v)
		*run = v;
	else if (outpath && (v = ovc_opts_output(o)))
		*outpath = v;
	return v != NULL;
}

int ovc_opts_bad(const struct ovc_opts *o, const char *arg)
{
	if (o->missing)
		fprintf(stderr, "ovc: %s: %s needs a value\n", o->cmd, arg);
	else
		fprintf(stderr, "ovc: %s: unknown option '%s'\n", o->cmd,
			arg);
	o->usage(stderr);
	return OVC_EXIT_USAGE;
}

int ovc_opts_end(const struct ovc_opts *o, const char *what)
{
	if (o->help)
		return OVC_EXIT_OK;
	if (o->i < o->argc)
		return -1;
	fprintf(stderr, "ovc: %s: no %s given\n", o->cmd, what);
	o->usage(stderr);
	return OVC_EXIT_USAGE;
}
