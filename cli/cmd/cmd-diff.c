/* `ovc diff BASE NEW`: two runs compared per executable and per site
 * (analyze/diff.c), for regression gates. Either side is a log directory
 * (or log files), read into a model and compared as it is, or a saved
 * `ovc report --json`. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ovc/options.h"
#include "read/model.h"
#include "read/symbolize.h"
#include "analyze/diff.h"
#include "render/render-diff.h"
#include "cmd/commands.h"

/* Changes smaller than this many bytes, or than this share of the base,
 * are noise unless told otherwise: two runs of one command differ by
 * about that much. */
#define MIN_BYTES_DEFAULT (1024 * 1024)
#define MIN_PERCENT_DEFAULT 10.0

/* Adds PATH to EXES and SITES as side SIDE: a saved JSON report, or logs
 * read into a model and compared as they are. False (said on stderr) when
 * it cannot. */
static bool load(const char *path, struct ovc_symbolizer *sym, int side,
		 struct ovc_diff_table *exes, struct ovc_diff_table *sites)
{
	json_error_t err;
	json_t *doc = json_load_file(path, 0, &err);
	if (doc) {
		json_t *fv = json_object_get(doc, "format");
		const char *fmt = json_is_string(fv) ? json_string_value(fv)
						     : NULL;
		if (fmt && strcmp(fmt, "ovc-report") == 0) {
			if (!json_is_array(json_object_get(doc, "processes"))) {
				fprintf(stderr, "ovc: %s: a report without "
						"\"processes\"\n",
					path);
				json_decref(doc);
				return false;
			}
			bool ok = ovc_diff_add_report(doc, side, exes, sites);
			json_decref(doc);
			if (!ok)
				fputs("ovc: out of memory\n", stderr);
			return ok;
		}
		json_decref(doc);
	}
	char *paths[] = {(char *)path};
	struct ovc_model *m;
	int rc = ovc_read_model(paths, 1, NULL, &m);
	if (!m)
		return false;
	bool ok = rc == 0 && ovc_diff_add_model(m, sym, side, exes, sites);
	if (rc == 0 && !ok)
		fputs("ovc: out of memory\n", stderr);
	ovc_model_destroy(m);
	return ok;
}

/* Parses V ("10", "2.5%") of option OPT into *OUT; false (said on
 * stderr) when it is not a percentage. */
static bool percent(const char *opt, const char *v, double *out)
{
	char *end;
	errno = 0;
	double pc = v ? strtod(v, &end) : -1;
	if (!v || errno || end == v || (*end && strcmp(end, "%") != 0) ||
	    !(pc >= 0) || !isfinite(pc)) {
		fprintf(stderr, "ovc: diff: %s wants a percentage, not '%s'\n",
			opt, v ? v : "");
		return false;
	}
	*out = pc;
	return true;
}

static void diff_usage(FILE *f)
{
	fputs("usage: ovc diff [--json] [--all] [--fail-over PERCENT] "
	      "[--min-bytes SIZE] BASE NEW\n"
	      "  BASE, NEW    a log directory (or log file), or a saved "
	      "`ovc report --json`\n"
	      "  --json       the comparison as JSON (docs/report-json.md)\n"
	      "  --all        show unchanged executables, sites and figures "
	      "too\n"
	      "  --fail-over PERCENT  exit 1 when a figure (requested, peak "
	      "live, peak\n"
	      "               resident, overcommit gap; of a site: requested, "
	      "peak live,\n"
	      "               untouched) grew by more than PERCENT\n"
	      "  --min-bytes SIZE  changes smaller than SIZE are noise "
	      "(default 1M)\n"
	      "  --min-percent P   changes smaller than P% of BASE are noise "
	      "(default 10)\n"
	      "Executables are matched by exe path (images of one exe "
	      "aggregated), sites by\n"
	      "executable and stack: the function and file of each frame, not "
	      "addresses.\n"
	      "Sampled sites are estimates: a change within twice their "
	      "sampling error is\n"
	      "noise; a change beyond it is shown, never flagged. Two runs "
	      "of one command\n"
	      "print \"no change\" and exit 0.\n",
	      f);
}

int ovc_cmd_diff(int argc, char **argv)
{
	struct ovc_diff_opts o = {.min_bytes = MIN_BYTES_DEFAULT,
				  .min_percent = MIN_PERCENT_DEFAULT};
	struct ovc_opts op = OVC_OPTS(argc, argv, "diff", diff_usage);
	for (const char *a; (a = ovc_opts_next(&op)); op.i++) {
		const char *v = NULL;
		if (strcmp(a, "--json") == 0) {
			o.json = true;
		} else if (strcmp(a, "--all") == 0) {
			o.all = true;
		} else if ((v = ovc_opts_value(&op, "--fail-over")) ||
			   op.missing) {
			if (!percent("--fail-over", v, &o.fail_over))
				return OVC_EXIT_USAGE;
			o.fail_set = true;
		} else if ((v = ovc_opts_value(&op, "--min-percent")) ||
			   op.missing) {
			if (!percent("--min-percent", v, &o.min_percent))
				return OVC_EXIT_USAGE;
		} else if ((v = ovc_opts_value(&op, "--min-bytes")) ||
			   op.missing) {
			uint64_t mb;
			if (!v || !ovc_parse_size(v, &mb) || mb > INT64_MAX) {
				fprintf(stderr,
					"ovc: diff: --min-bytes wants a "
					"size, not '%s'\n",
					v ? v : "");
				return OVC_EXIT_USAGE;
			}
			o.min_bytes = (int64_t)mb;
		} else {
			return ovc_opts_bad(&op, a);
		}
	}
	if (op.help)
		return OVC_EXIT_OK;
	if (argc - op.i != 2) {
		fputs("ovc: diff: wants two runs, BASE and NEW\n", stderr);
		diff_usage(stderr);
		return OVC_EXIT_USAGE;
	}
	/* One side at a time: its model is gone before the other is read. */
	struct ovc_diff_table exes = {0};
	struct ovc_diff_table sites = {0};
	struct ovc_symbolizer *sym = ovc_sym_new();
	const char *base = argv[op.i], *new = argv[op.i + 1];
	int rc = OVC_EXIT_OK;
	if (!sym || !load(base, sym, 0, &exes, &sites) ||
	    !load(new, sym, 1, &exes, &sites)) {
		rc = OVC_EXIT_USAGE;
		goto out;
	}
	size_t flagged = 0;
	if (o.json) {
		if (!ovc_render_diff_json(stdout, base, new, &exes, &sites, &o,
					  &flagged))
			rc = OVC_EXIT_USAGE;
	} else {
		ovc_render_diff_text(stdout, base, new, &exes, &sites, &o,
				     &flagged);
	}
	if (fflush(stdout) != 0)
		rc = OVC_EXIT_USAGE;
	if (rc == OVC_EXIT_OK && o.fail_set && flagged)
		rc = OVC_EXIT_FINDING;
out:
	ovc_sym_free(sym);
	ovc_diff_table_free(&exes);
	ovc_diff_table_free(&sites);
	return rc;
}
