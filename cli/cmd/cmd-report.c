/* `ovc report`: reads logs into the model and renders it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "read/model.h"
#include "render/render-html.h"
#include "render/render.h"
#include "cmd/commands.h"

int ovc_report_paths(char *const *paths, size_t n, const char *run,
		     bool json, FILE *out, const char *dir, bool require_logs,
		     const struct ovc_render_opts *ro)
{
	struct ovc_model *m;
	int rc = ovc_read_logs(paths, n, run, require_logs, &m);
	if (!m)
		return rc;
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

/* `ovc report --html FILE`: the logs in PATHS (run RUN only when not NULL)
 * as one HTML page with its charts in FILE ("-": stdout), sites as RO
 * says. Returns 0, or 2 when an input could not be read, nothing was found
 * or FILE cannot be written. */
static int report_html(char *const *paths, size_t n, const char *run,
		       const char *file, const struct ovc_render_opts *ro)
{
	struct ovc_model *m;
	FILE *out;
	int rc = ovc_read_model_to(paths, n, run, file, &m, &out);
	if (!m)
		return rc;
	struct ovc_render_opts o = {0};
	if (ro)
		o = *ro;
	o.dir = n == 1 ? paths[0] : NULL;
	struct ovc_symbolizer *sym = o.sym ? NULL : ovc_sym_new();
	if (sym)
		o.sym = sym;
	bool ok = ovc_render_html(m, out, &o, false, NULL);
	ovc_sym_free(sym);
	ovc_model_destroy(m);
	if (!ovc_close_output(out, file, ok, "HTML report"))
		return OVC_EXIT_USAGE;
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

int ovc_cmd_report(int argc, char **argv)
{
	bool json = false, missing = false;
	const char *run = NULL, *v, *html = NULL;
	struct ovc_render_opts ro = {0};
	const char *a;
	bool help = false;
	int i = 1;
	for (; (a = ovc_opt_next(argc, argv, &i, report_usage, &help)); i++) {
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
		} else {
			return ovc_opt_bad("report", a, missing, report_usage);
		}
	}
	if (help)
		return OVC_EXIT_OK;
	size_t n;
	char *const *paths = ovc_paths_or_default(argc, argv, i, &n);
	if (html) {
		int hrc = report_html(paths, n, run, html, &ro);
		if (hrc != OVC_EXIT_OK || !json)
			return hrc;
	}
	return ovc_report_paths(paths, n, run, json, stdout,
				n == 1 ? paths[0] : NULL, true, &ro);
}
