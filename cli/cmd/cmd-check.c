/* `ovc check`: gates for CI over logs already written: exit 0 when every
 * limit holds, 1 when one fails, 2 on bad usage or unreadable input. */
#include <string.h>

#include "cmd/commands.h"
#include "analyze/gate.h"
#include "read/model.h"

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
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		int rc = ovc_gates_parse_opt(&g, argc, argv, &i, "check");
		if (rc < 0)
			return OVC_EXIT_USAGE;
		if (rc > 0)
			continue;
		if (strcmp(a, "--run") == 0 && i + 1 < argc) {
			run = argv[++i];
		} else if (strncmp(a, "--run=", 6) == 0) {
			run = a + 6;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			check_usage(stdout);
			return OVC_EXIT_OK;
		} else {
			fprintf(stderr, "ovc: check: unknown option '%s'\n", a);
			check_usage(stderr);
			return OVC_EXIT_USAGE;
		}
	}
	if (!ovc_gates_any(&g)) {
		fputs("ovc: check: no limit given\n", stderr);
		check_usage(stderr);
		return OVC_EXIT_USAGE;
	}
	size_t n;
	char *const *paths = ovc_paths_or_default(argc, argv, i, &n);
	struct ovc_model *m;
	int rc = ovc_read_model(paths, n, run, &m);
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
