/* `ovc plot`: the memory of the traced processes over time, as an SVG
 * document or an HTML page embedding it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/commands.h"
#include "read/model.h"
#include "render/render-html.h"
#include "render/render-svg.h"

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
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			plot_usage(stdout);
			return OVC_EXIT_OK;
		}
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
		if ((v = ovc_opt_value(argc, argv, &i, "-o", &missing)) ||
		    (v = ovc_opt_value(argc, argv, &i, "--output", &missing))) {
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
	if (html < 0)
		html = outpath && (ends_with(outpath, ".html") ||
				   ends_with(outpath, ".htm"));
	size_t n;
	char *const *paths = ovc_paths_or_default(argc, argv, i, &n);

	struct ovc_model *m;
	FILE *out;
	int rc = ovc_read_model_to(paths, n, run, outpath, &m, &out);
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

int ovc_report_html(char *const *paths, size_t n, const char *run,
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
	bool ok = ovc_render_html(m, out, &o, false);
	ovc_sym_free(sym);
	ovc_model_destroy(m);
	if (!ovc_close_output(out, file, ok, "HTML report"))
		return OVC_EXIT_USAGE;
	return rc;
}
