/* `ovc check`: gates for CI over logs already written: exit 0 when every
 * limit holds, 1 when one fails, 2 on bad usage or unreadable input. */
#include <string.h>

#include "read/model.h"
#include "analyze/gate.h"
#include "render/render-gate.h"
#include "cmd/commands.h"

static void check_usage(FILE *f)
{
	fputs("usage: ovc check LIMIT... [--only PATTERN] [--total] "
	      "[--junit FILE]\n"
	      "                 [--run ID] [PATH...]\n"
	      "  PATH        a log file, or a directory of logs (default: "
	      "ovc-out)\n"
	      "  --run ID    only the logs of that run\n",
	      f);
	fputs(ovc_gates_help, f);
	fputs("Each limit applies to every process image (one log), or to the "
	      "totals with\n--total. One line per failure: process, figure, "
	      "limit.\n"
	      "exit status: 0 every limit holds, 1 one fails (or no process "
	      "was\nselected), 2 bad usage or unreadable logs.\n",
	      f);
}

int ovc_cmd_check(int argc, char **argv)
{
	struct ovc_gates g = {0};
	const char *run = NULL;
	struct ovc_opts op = OVC_OPTS(argc, argv, "check", check_usage);
	for (const char *a; (a = ovc_opts_next(&op)); op.i++) {
		int rc = ovc_gates_parse_opt(&g, argc, argv, &op.i, "check");
		if (rc < 0)
			return OVC_EXIT_USAGE;
		if (rc > 0)
			continue;
		if (!ovc_opts_source(&op, &run, NULL))
			return ovc_opts_bad(&op, a);
	}
	if (op.help)
		return OVC_EXIT_OK;
	if (!ovc_gates_any(&g)) {
		fputs("ovc: check: no limit given\n", stderr);
		check_usage(stderr);
		return OVC_EXIT_USAGE;
	}
	struct ovc_model *m;
	int rc = ovc_read_operands(argc, argv, op.i, run, &m);
	if (!m)
		return OVC_EXIT_USAGE;
	if (rc != 0) {
		/* An input could not be read: a gate over part of the logs
		 * would not mean much. */
		ovc_model_destroy(m);
		return OVC_EXIT_USAGE;
	}
	rc = ovc_gates_check(&g, m, stdout);
	fflush(stdout);
	ovc_model_destroy(m);
	return rc;
}
