/* `ovc report`: reads logs into the model and renders it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "read/logread.h"
#include "read/model.h"
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

static void no_logs(char *const *paths, size_t n)
{
	fputs("ovc: no ovc logs found in", stderr);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %s", paths[i]);
	fputs(" (files named ovc.*.jsonl or ovc-run.*.jsonl; make some with "
	      "`ovc run -- CMD`)\n",
	      stderr);
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

FILE *ovc_open_output(const char *outpath)
{
	if (!outpath || strcmp(outpath, "-") == 0)
		return stdout;
	FILE *out = fopen(outpath, "we");
	if (!out)
		fprintf(stderr, "ovc: %s: cannot create: %s\n", outpath,
			strerror(errno));
	return out;
}

int ovc_read_model_to(char *const *paths, size_t n, const char *run,
		      const char *outpath, struct ovc_model **m, FILE **out)
{
	*out = NULL;
	int rc = ovc_read_model(paths, n, run, m);
	if (!*m)
		return rc;
	*out = ovc_open_output(outpath);
	if (!*out) {
		ovc_model_destroy(*m);
		*m = NULL;
		return OVC_EXIT_USAGE;
	}
	return rc;
}

bool ovc_close_output(FILE *out, const char *outpath, bool ok,
		      const char *what)
{
	if (fflush(out) != 0)
		ok = false;
	if (out != stdout && fclose(out) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "ovc: %s: cannot write the %s\n",
			outpath ? outpath : "stdout", what);
	return ok;
}

int ovc_read_model(char *const *paths, size_t n, const char *run,
		   struct ovc_model **out)
{
	*out = NULL;
	struct ovc_model *m = ovc_model_create();
	if (!m) {
		fputs("ovc: out of memory\n", stderr);
		return OVC_EXIT_USAGE;
	}
	struct ovc_read_opts ro = {.err = stderr, .run = run};
	size_t nlogs = 0;
	int rc = ovc_logread_paths(m, paths, n, &ro, &nlogs);
	if (nlogs == 0) {
		if (rc == 0)
			no_logs(paths, n);
		ovc_model_destroy(m);
		return OVC_EXIT_USAGE;
	}
	ovc_model_link(m);
	*out = m;
	return rc;
}

int ovc_report_paths(char *const *paths, size_t n, const char *run,
		     bool json, FILE *out, const char *dir, bool require_logs,
		     const struct ovc_render_opts *ro)
{
	struct ovc_model *m = ovc_model_create();
	if (!m) {
		fputs("ovc: out of memory\n", stderr);
		return OVC_EXIT_USAGE;
	}
	struct ovc_read_opts rdo = {.err = stderr, .run = run};
	size_t nlogs = 0;
	int rc = ovc_logread_paths(m, paths, n, &rdo, &nlogs);
	if (require_logs && nlogs == 0) {
		if (rc == 0)
			no_logs(paths, n);
		ovc_model_destroy(m);
		return OVC_EXIT_USAGE;
	}
	ovc_model_link(m);
	struct ovc_render_opts o = {0};
	if (ro)
		o = *ro;
	o.dir = dir;
	bool ok = json ? ovc_render_json(m, out, &o)
		       : ovc_render_text(m, out, &o);
	fflush(out);
	ovc_model_destroy(m);
	if (!ok) {
		fputs("ovc: cannot write the report\n", stderr);
		return OVC_EXIT_USAGE;
	}
	return rc;
}

static void report_usage(FILE *f)
{
	fputs("usage: ovc report [--json] [--leaks] [--html FILE] [--run ID] [--top N] [--frames N]\n"
	      "                  [--sort KEY[,KEY]] [--processes N] "
	      "[PATH...]\n"
	      "  PATH        a log file, or a directory of logs (default: "
	      "ovc-out)\n"
	      "  --json      the report as JSON (see docs/report-json.md)\n"
	      "  --leaks     what each process still held at exit, never "
	      "freed, by site\n"
	      "  --html FILE the report with its charts as one HTML page in "
	      "FILE\n"
	      "              (nothing on stdout unless --json is given too)\n"
	      "  --run ID    only the logs of that run\n"
	      "  --top N     allocation sites shown per process (default 10;\n"
	      "              in JSON 100); 'all' for every one\n"
	      "  --frames N  stack frames shown per site, innermost first\n"
	      "              (default 8; 'all'); JSON always has them all\n"
	      "  --sort KEY[,KEY]  order of the sites: untouched (most "
	      "untouched bytes\n"
	      "              first, default), requested, touched, ratio "
	      "(lowest first);\n"
	      "              of the processes: gap (largest overcommit gap "
	      "first,\n"
	      "              default), live, rss, requested, time\n"
	      "  --processes N  rows of the table of processes (default 20; "
	      "'all')\n",
	      f);
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

int ovc_cmd_report(int argc, char **argv)
{
	bool json = false, missing = false;
	const char *run = NULL, *v, *html = NULL;
	struct ovc_render_opts ro = {0};
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "--leaks") == 0) {
			ro.leaks = true;
		} else if ((v = ovc_opt_value(argc, argv, &i, "--run", &missing))) {
			run = v;
		} else if ((v = ovc_opt_value(argc, argv, &i, "--html", &missing))) {
			html = v;
		} else if ((v = ovc_opt_value(argc, argv, &i, "--top", &missing))) {
			if (!ovc_parse_limit(v, &ro.top_sites)) {
				fprintf(stderr, "ovc: report: --top wants a "
						"number or 'all', not '%s'\n",
					v);
				return OVC_EXIT_USAGE;
			}
			ro.top_set = true;
		} else if ((v = ovc_opt_value(argc, argv, &i, "--frames",
					  &missing))) {
			if (!ovc_parse_limit(v, &ro.max_frames)) {
				fprintf(stderr, "ovc: report: --frames wants a "
						"number or 'all', not '%s'\n",
					v);
				return OVC_EXIT_USAGE;
			}
			ro.frames_set = true;
		} else if ((v = ovc_opt_value(argc, argv, &i, "--sort", &missing))) {
			if (!ovc_render_parse_sort(v, &ro)) {
				fprintf(stderr, "ovc: report: --sort wants "
						"untouched, requested, touched "
						"or ratio (sites), gap, live, "
						"rss, requested or time "
						"(processes), comma-separated, "
						"not '%s'\n",
					v);
				return OVC_EXIT_USAGE;
			}
		} else if ((v = ovc_opt_value(argc, argv, &i, "--processes",
					  &missing))) {
			if (!ovc_parse_limit(v, &ro.max_rows) || !ro.max_rows) {
				fprintf(stderr, "ovc: report: --processes wants "
						"a number above 0 or 'all', "
						"not '%s'\n",
					v);
				return OVC_EXIT_USAGE;
			}
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			report_usage(stdout);
			return OVC_EXIT_OK;
		} else {
			return ovc_opt_bad("report", a, missing, report_usage);
		}
	}
	size_t n;
	char *const *paths = ovc_paths_or_default(argc, argv, i, &n);
	if (html) {
		int hrc = ovc_report_html(paths, n, run, html, &ro);
		if (hrc != OVC_EXIT_OK || !json)
			return hrc;
	}
	return ovc_report_paths(paths, n, run, json, stdout,
				n == 1 ? paths[0] : NULL, true, &ro);
}
