/* `ovc flame`: the sites of the logs as folded stacks for flame graphs. */
#include <errno.h>
#include <string.h>

#include "read/model.h"
#include "render/render.h"
#include "cmd/commands.h"

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
	struct ovc_opts op = OVC_OPTS(argc, argv, "flame", flame_usage);
	for (const char *a; (a = ovc_opts_next(&op)); op.i++) {
		const char *v = NULL;
		if (ovc_opts_source(&op, &run, &outpath))
			continue;
		if (!(v = ovc_opts_value(&op, "--weight")))
			return ovc_opts_bad(&op, a);
		if (!parse_weight(v, &weight)) {
			fprintf(stderr, "ovc: flame: --weight wants untouched, "
					"requested or touched, not '%s'\n",
				v);
			return OVC_EXIT_USAGE;
		}
	}
	if (op.help)
		return OVC_EXIT_OK;
	struct ovc_model *m;
	FILE *out;
	int rc = ovc_read_operands_to(argc, argv, op.i, run, outpath, &m, &out);
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
