/* `ovc report`: reads logs into the model and renders it. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "logread.h"
#include "model.h"
#include "render.h"

int ovc_report_paths(char *const *paths, size_t n, const char *run,
		     bool json, FILE *out, const char *dir, bool require_logs)
{
	struct ovc_model *m = ovc_model_create();
	if (!m) {
		fputs("ovc: out of memory\n", stderr);
		return OVC_EXIT_USAGE;
	}
	struct ovc_read_opts ro = {.err = stderr, .run = run};
	size_t nlogs = 0;
	int rc = ovc_logread_paths(m, paths, n, &ro, &nlogs);
	if (require_logs && nlogs == 0) {
		if (rc == 0) {
			fputs("ovc: no ovc logs found in", stderr);
			for (size_t i = 0; i < n; i++)
				fprintf(stderr, " %s", paths[i]);
			fputs(" (files named ovc.*.jsonl or ovc-run.*.jsonl; "
			      "make some with `ovc run -- CMD`)\n",
			      stderr);
		}
		ovc_model_destroy(m);
		return OVC_EXIT_USAGE;
	}
	ovc_model_link(m);
	struct ovc_render_opts o = {.dir = dir};
	bool ok = json ? ovc_render_json(m, out) : ovc_render_text(m, out, &o);
	fflush(out);
	ovc_model_destroy(m);
	if (!ok) {
		fputs("ovc: cannot write the report\n", stderr);
		return OVC_EXIT_USAGE;
	}
	return rc;
}

static void report_usage(FILE *f)
{
	fputs("usage: ovc report [--json] [--run ID] [PATH...]\n"
	      "  PATH   a log file, or a directory of logs (default: "
	      "ovc-out)\n"
	      "  --json the report as JSON (see docs/report-json.md)\n"
	      "  --run ID  only the logs of that run\n",
	      f);
}

int ovc_cmd_report(int argc, char **argv)
{
	bool json = false;
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
		if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "--run") == 0 && i + 1 < argc) {
			run = argv[++i];
		} else if (strncmp(a, "--run=", 6) == 0) {
			run = a + 6;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			report_usage(stdout);
			return OVC_EXIT_OK;
		} else {
			fprintf(stderr, "ovc: report: unknown option '%s'\n", a);
			report_usage(stderr);
			return OVC_EXIT_USAGE;
		}
	}
	static char def[] = "ovc-out";
	char *defv[] = {def};
	char *const *paths = i < argc ? argv + i : defv;
	size_t n = i < argc ? (size_t)(argc - i) : 1;
	return ovc_report_paths(paths, n, run, json, stdout,
				n == 1 ? paths[0] : NULL, true);
}
