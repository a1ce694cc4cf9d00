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
	fputs("usage: ovc plot [-o FILE] [--html|--svg] [--max N] [--run ID] "
	      "[PATH...]\n"
	      "  PATH      a log file, or a directory of logs (default: "
	      "ovc-out)\n"
	      "  -o FILE   write to FILE (default: stdout); a name ending in "
	      ".html\n"
	      "            makes an HTML page, else SVG\n"
	      "  --html    an HTML page embedding the charts\n"
	      "  --svg     an SVG document (the default)\n"
	      "  --max N   chart at most N processes, those with the largest "
	      "peak\n"
	      "            live (default 8; 'all')\n"
	      "  --run ID  only the logs of that run\n"
	      "One chart per process: live requested, virtual, resident and "
	      "anonymous\n"
	      "resident bytes over time, against MemTotal and CommitLimit.\n",
	      f);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

int ovc_cmd_plot(int argc, char **argv)
{
	const char *run = NULL, *outpath = NULL;
	int html = -1; /* -1: from the output's name */
	size_t max = 8;
	const char *a;
	bool help = false;
	int i = 1;
	for (; (a = ovc_opt_next(argc, argv, &i, plot_usage, &help)); i++) {
		if (strcmp(a, "--html") == 0) {
			html = 1;
			continue;
		}
		if (strcmp(a, "--svg") == 0) {
			html = 0;
			continue;
		}
		const char *v;
		bool missing = false;
		if ((v = ovc_opt_output(argc, argv, &i, &missing))) {
			outpath = v;
		} else if ((v = ovc_opt_value(argc, argv, &i, "--run",
					      &missing))) {
			run = v;
		} else if ((v = ovc_opt_value(argc, argv, &i, "--max",
					      &missing))) {
			if (!ovc_parse_limit(v, &max) || max == 0) {
				fprintf(stderr, "ovc: plot: --max wants a "
						"positive number or 'all', not "
						"'%s'\n",
					v);
				return OVC_EXIT_USAGE;
			}
		} else {
			return ovc_opt_bad("plot", a, missing, plot_usage);
		}
	}
	if (help)
		return OVC_EXIT_OK;
	if (html < 0)
		html = outpath && (ends_with(outpath, ".html") ||
				   ends_with(outpath, ".htm"));
	struct ovc_model *m;
	FILE *out;
	int rc = ovc_read_operands_to(argc, argv, i, run, outpath, &m, &out);
	if (!m)
		return rc;
	struct ovc_symbolizer *sym = ovc_sym_new();
	bool ok;
	if (html) {
		struct ovc_render_opts o = {.max_detail = max, .sym = sym};
		ok = ovc_render_html(m, out, &o, true);
	} else {
		ok = ovc_render_svg(m, out, max, sym);
	}
	ovc_sym_free(sym);
	ovc_model_destroy(m);
	if (!ovc_close_output(out, outpath, ok, "chart"))
		return OVC_EXIT_USAGE;
	return rc;
}
