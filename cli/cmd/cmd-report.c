/* `ovc report`: reads logs into the model and renders it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "read/model.h"
#include "render/render-html.h"
#include "render/render.h"
#include "cmd/commands.h"

/* The text or JSON report of the logs in PATHS (run RUN only when not
 * NULL; with NEWEST and RUN NULL, the newest run when they hold several)
 * to OUT. */
static int report(char *const *paths, size_t n, const char *run, bool newest,
		  bool json, FILE *out, const char *dir, bool require_logs,
		  const struct ovc_render_opts *ro)
{
	struct ovc_model *m;
	struct ovc_runs_seen runs = {0};
	int rc = ovc_read_logs_runs(paths, n, run, newest, &runs,
				    require_logs, &m);
	if (!m) {
		ovc_runs_seen_free(&runs);
		return rc;
	}
	struct ovc_render_opts o = {0};
	if (ro)
		o = *ro;
	o.dir = dir;
	o.runs = runs.kept ? &runs : NULL;
	bool ok = json ? ovc_render_json(m, out, &o)
		       : ovc_render_text(m, out, &o);
	fflush(out);
	ovc_model_destroy(m);
	ovc_runs_seen_free(&runs);
	if (!ok) {
		fputs("ovc: cannot write the report\n", stderr);
		return OVC_EXIT_USAGE;
	}
	return rc;
}

int ovc_report_paths(char *const *paths, size_t n, const char *run,
		     bool json, FILE *out, const char *dir, bool require_logs,
		     const struct ovc_render_opts *ro)
{
	return report(paths, n, run, false, json, out, dir, require_logs, ro);
}

/* `ovc report --html FILE`: the logs in PATHS (run RUN only when not NULL;
 * with NEWEST, the newest run) as one HTML page with its charts in FILE
 * ("-": stdout), sites as RO says. Returns 0, or 2 when an input could not
 * be read, nothing was found or FILE cannot be written. */
static int report_html(char *const *paths, size_t n, const char *run,
		       bool newest, const char *file,
		       const struct ovc_render_opts *ro)
{
	struct ovc_model *m;
	struct ovc_runs_seen runs = {0};
	int rc = ovc_read_logs_runs(paths, n, run, newest, &runs, true, &m);
	FILE *out = m ? ovc_open_output(file) : NULL;
	if (!out) {
		ovc_model_destroy(m);
		ovc_runs_seen_free(&runs);
		return m ? OVC_EXIT_USAGE : rc;
	}
	if (runs.kept) {
		/* The page is the newest run's: say so where it is asked
		 * for, as the text report's first line does. */
		fprintf(stderr, "ovc: %zu runs in the logs read: the HTML "
				"report shows the newest, run %s (`--run ID` "
				"for another, `--all-runs` for every one)\n",
			runs.n, runs.kept->run);
	}
	ovc_runs_seen_free(&runs);
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
	fputs("usage: ovc report [--json] [--leaks] [--html FILE] [--run ID | --all-runs]\n"
	      "                  [--top N] [--frames N] [--sort KEY[,KEY]] "
	      "[--processes N] [--all]\n"
	      "                  [PATH...]\n"
	      "  PATH        a log file, or a directory of logs (default: "
	      "ovc-out)\n"
	      "  --json      the report as JSON (see docs/report-json.md)\n"
	      "  --leaks     what each process still held at exit, never "
	      "freed, by site\n"
	      "  --html FILE the report with its charts as one HTML page in "
	      "FILE\n"
	      "              (nothing on stdout unless --json is given too)\n"
	      "  --run ID    only the logs of that run (a report of several "
	      "lists their ids)\n"
	      "  --all-runs  every run in PATH; by default, when one PATH "
	      "holds several\n"
	      "              runs, only the newest is reported (the first "
	      "line says so)\n"
	      "  --top N     allocation sites shown per process (default 10;\n"
	      "              in JSON 5; over all processes 5, in JSON 100); "
	      "'all'\n"
	      "  --frames N  stack frames shown per site, innermost first\n"
	      "              (default 8; 'all')\n"
	      "  --all       everything: every site, frame and process "
	      "(--top all\n"
	      "              --frames all --processes all)\n"
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
	bool json = false;
	bool all_runs = false;
	const char *run = NULL, *v, *html = NULL;
	struct ovc_render_opts ro = {0};
	struct ovc_opts op = OVC_OPTS(argc, argv, "report", report_usage);
	for (const char *a; (a = ovc_opts_next(&op)); op.i++) {
		if (ovc_opts_source(&op, &run, NULL)) {
			continue;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "--leaks") == 0) {
			ro.leaks = true;
		} else if (strcmp(a, "--all-runs") == 0) {
			all_runs = true;
		} else if (strcmp(a, "--all") == 0) {
			ro.top_set = ro.frames_set = true;
			ro.top_sites = ro.max_frames = ro.max_rows = OVC_ALL;
		} else if ((v = ovc_opts_value(&op, "--html"))) {
			html = v;
		} else if ((v = ovc_opts_value(&op, "--top"))) {
			if (!ovc_opt_limit("report", "--top", v, 0, "a number",
					   &ro.top_sites))
				return OVC_EXIT_USAGE;
			ro.top_set = true;
		} else if ((v = ovc_opts_value(&op, "--frames"))) {
			if (!ovc_opt_limit("report", "--frames", v, 0,
					   "a number", &ro.max_frames))
				return OVC_EXIT_USAGE;
			ro.frames_set = true;
		} else if ((v = ovc_opts_value(&op, "--sort"))) {
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
		} else if ((v = ovc_opts_value(&op, "--processes"))) {
			if (!ovc_opt_limit("report", "--processes", v, 1,
					   "a number above 0", &ro.max_rows))
				return OVC_EXIT_USAGE;
		} else {
			return ovc_opts_bad(&op, a);
		}
	}
	if (op.help)
		return OVC_EXIT_OK;
	if (run && all_runs) {
		fputs("ovc: report: --run and --all-runs cannot go together\n",
		      stderr);
		return OVC_EXIT_USAGE;
	}
	size_t n;
	char *const *paths = ovc_paths_or_default(argc, argv, op.i, &n);
	/* The newest run of a directory that holds several (one per test of
	 * a suite, runs of CI jobs): the default. Paths given one by one
	 * are the user's choice: all of them. */
	bool newest = !all_runs && n == 1;
	if (html) {
		int hrc = report_html(paths, n, run, newest, html, &ro);
		if (hrc != OVC_EXIT_OK || !json)
			return hrc;
	}
	return report(paths, n, run, newest, json, stdout,
		      n == 1 ? paths[0] : NULL, true, &ro);
}
