/* `ovc flame`: the sites of the logs as folded stacks for flame graphs. */
#include <errno.h>
#include <string.h>

#include "cmd/commands.h"
#include "read/model.h"
#include "render/render.h"

static void flame_usage(FILE *f)
{
	fputs("usage: ovc flame [--weight untouched|requested|touched] "
	      "[-o FILE] [--run ID]\n"
	      "                 [PATH...]\n"
	      "  PATH      a log file, or a directory of logs (default: "
	      "ovc-out)\n"
	      "  --weight  bytes each stack weighs: untouched (default), "
	      "requested\n"
	      "            or touched\n"
	      "  -o FILE   write to FILE instead of stdout\n"
	      "  --run ID  only the logs of that run\n"
	      "Writes one line 'exe;outer;...;inner BYTES' per stack, for "
	      "flamegraph.pl,\n"
	      "inferno-flamegraph or speedscope.\n",
	      f);
}

static bool parse_weight(const char *s, enum ovc_flame_weight *w)
{
	if (strcmp(s, "untouched") == 0)
		*w = OVC_WEIGHT_UNTOUCHED;
	else if (strcmp(s, "requested") == 0)
		*w = OVC_WEIGHT_REQUESTED;
	else if (strcmp(s, "touched") == 0)
		*w = OVC_WEIGHT_TOUCHED;
	else
		return false;
	return true;
}

int ovc_cmd_flame(int argc, char **argv)
{
	enum ovc_flame_weight weight = OVC_WEIGHT_UNTOUCHED;
	const char *run = NULL, *outpath = NULL;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		const char *v = NULL;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			flame_usage(stdout);
			return OVC_EXIT_OK;
		}
		bool missing = false;
		if ((v = ovc_opt_value(argc, argv, &i, "--weight", &missing))) {
			if (!parse_weight(v, &weight)) {
				fprintf(stderr, "ovc: flame: --weight wants "
						"untouched, requested or "
						"touched, not '%s'\n",
					v);
				return OVC_EXIT_USAGE;
			}
		} else if ((v = ovc_opt_value(argc, argv, &i, "-o", &missing)) ||
			   (v = ovc_opt_value(argc, argv, &i, "--output",
					      &missing))) {
			outpath = v;
		} else if ((v = ovc_opt_value(argc, argv, &i, "--run",
					      &missing))) {
			run = v;
		} else {
			return ovc_opt_bad("flame", a, missing, flame_usage);
		}
	}
	size_t n;
	char *const *paths = ovc_paths_or_default(argc, argv, i, &n);

	struct ovc_model *m;
	FILE *out;
	int rc = ovc_read_model_to(paths, n, run, outpath, &m, &out);
	if (!m)
		return rc;
	struct ovc_symbolizer *sym = ovc_sym_new();
	bool ok = ovc_render_flame(m, out, weight, sym);
	ovc_sym_free(sym);
	size_t nsites = 0;
	for (size_t p = 0; p < m->nprocs; p++)
		nsites += m->procs[p]->nsites;
	ovc_model_destroy(m);
	if (!ovc_close_output(out, outpath, ok, "stacks"))
		return OVC_EXIT_USAGE;
	if (nsites == 0)
		fputs("ovc: flame: the logs hold no allocation sites (no "
		      "allocation was large or sampled): no stacks\n",
		      stderr);
	return rc;
}
