/* `ovc plot`: the memory of the traced processes over time, as an SVG
 * document or an HTML page embedding it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read/model.h"
#include "render/render-html.h"
#include "render/render-svg.h"
#include "cmd/commands.h"

static void plot_usage(FILE *f)
{
	fputs("usage: ovc plot [-o FILE] [--html|--svg] [--max N] "
	      "[--only PATTERN] [--run ID]\n"
	      "                [PATH...]\n"
	      "  PATH      a log file, or a directory of logs (default: "
	      "ovc-out)\n"
	      "  -o FILE   write to FILE (default: stdout); a name ending in "
	      ".html\n"
	      "            makes an HTML page, else SVG\n"
	      "  --html    an HTML page embedding the charts\n"
	      "  --svg     an SVG document (the default)\n"
	      "  --max N   chart at most N processes, largest overcommit gap "
	      "first\n"
	      "            (default 8; 'all')\n"
	      "  --only PATTERN  only processes whose executable or command "
	      "line\n"
	      "            matches a shell glob (comma-separated: any of "
	      "them),\n"
	      "            e.g. 'test_*' or '*json.tool*'\n"
	      "  --run ID  only the logs of that run\n"
	      "One chart per process: live requested, virtual, resident and "
	      "anonymous\n"
	      "resident bytes over time, against MemTotal and CommitLimit. "
	      "Processes with\n"
	      "fewer than 5 samples (that ended within a few OVC_INTERVALs) "
	      "have no course\n"
	      "over time and are only named.\n",
	      f);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

int ovc_cmd_plot(int argc, char **argv)
{
	const char *run = NULL, *outpath = NULL, *only = NULL;
	int html = -1; /* -1: from the output's name */
	size_t max = 8;
	struct ovc_opts op = OVC_OPTS(argc, argv, "plot", plot_usage);
	for (const char *a; (a = ovc_opts_next(&op)); op.i++) {
		if (strcmp(a, "--html") == 0) {
			html = 1;
			continue;
		}
		if (strcmp(a, "--svg") == 0) {
			html = 0;
			continue;
		}
		const char *v;
		if (ovc_opts_source(&op, &run, &outpath)) {
			continue;
		} else if ((v = ovc_opts_value(&op, "--only"))) {
			only = v;
		} else if ((v = ovc_opts_value(&op, "--max"))) {
			if (!ovc_opt_limit("plot", "--max", v, 1,
					   "a positive number", &max))
				return OVC_EXIT_USAGE;
		} else {
			return ovc_opts_bad(&op, a);
		}
	}
	if (op.help)
		return OVC_EXIT_OK;
	if (html < 0)
		html = outpath && (ends_with(outpath, ".html") ||
				   ends_with(outpath, ".htm"));
	struct ovc_model *m = NULL;
	FILE *out = NULL;
	int rc = ovc_read_operands_to(argc, argv, op.i, run, outpath, &m, &out);
	struct ovc_symbolizer *sym = m ? ovc_sym_new() : NULL;
	if (!m)
		return rc;
	struct ovc_render_opts o = {.max_detail = max, .sym = sym};
	bool ok = html ? ovc_render_html(m, out, &o, true, only)
		       : ovc_render_svg(m, out, max, only, sym);
	if (only && m->nprocs) {
		size_t *order = malloc(m->nprocs * sizeof *order);
		struct ovc_svg_picked w = {.matched = 1};
		if (order)
			ovc_svg_pick(m, max, only, order, &w);
		free(order);
		if (!w.matched) {
			fprintf(stderr, "ovc: plot: no process matches --only "
					"'%s' (executables and command lines "
					"are matched as shell globs: try "
					"'*%s*')\n",
				only, only);
			rc = OVC_EXIT_USAGE;
		}
	}
	ovc_sym_free(sym);
	ovc_model_destroy(m);
	if (!ovc_close_output(out, outpath, ok, "chart"))
		return OVC_EXIT_USAGE;
	return rc;
}
