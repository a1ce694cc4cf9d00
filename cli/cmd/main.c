/* The ovc command: dispatches to its subcommands and prints help. */
#include <stdio.h>
#include <string.h>

#include "ovc/options.h"
#include "cmd/commands.h"

#ifndef OVC_VERSION
#define OVC_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
	fputs("usage: ovc <command> [options]\n"
	      "\n"
	      "Shows how much of the memory a program asked for it really "
	      "used (Linux overcommit).\n"
	      "\n"
	      "commands:\n"
	      "  run [-o DIR] [--json] [-q] [--] CMD [ARG...]\n"
	      "        run CMD (and every process it starts) with libovc.so "
	      "preloaded;\n"
	      "        logs go to DIR (default ./ovc-out), the report to "
	      "stderr;\n"
	      "        exits with CMD's status; with gates (--check LIMITS, "
	      "--max-peak-live\n"
	      "        SIZE, ...: see `ovc check`) 1 when the command succeeded "
	      "but a gate\n"
	      "        failed\n"
	      "  report [--json] [--leaks] [--html FILE] [--run ID] [--top N] "
	      "[--frames N]\n"
	      "        [--sort KEY] [PATH...]\n"
	      "        report the logs in PATH: files or directories "
	      "(default ./ovc-out),\n"
	      "        with the allocation sites that left the most memory "
	      "untouched;\n"
	      "        KEY is untouched, requested, touched or ratio (sites), "
	      "gap, live,\n"
	      "        rss, requested or time (processes); --leaks: what "
	      "each process\n"
	      "        still held at exit, never freed, by site\n"
	      "  flame [--weight untouched|requested|touched] [-o FILE] "
	      "[PATH...]\n"
	      "        the sites as folded stacks, for flamegraph.pl, "
	      "inferno or speedscope\n"
	      "  plot [-o FILE] [--html] [--max N] [PATH...]\n"
	      "        charts of live requested, virtual and resident memory "
	      "over time\n"
	      "        against MemTotal and CommitLimit (SVG, or an HTML "
	      "page)\n"
	      "  pprof [-o FILE|DIR] [--merge] [PATH...]\n"
	      "        the sites as pprof profiles (requested, touched, "
	      "untouched, leaked...)\n"
	      "        for go tool pprof, Pyroscope and Parca\n"
	      "  check LIMIT... [--only PATTERN] [--total] [--junit FILE] "
	      "[PATH...]\n"
	      "        gates for CI: exit 1 when a process breaks a limit "
	      "(--max-peak-live,\n"
	      "        --max-peak-rss, --max-untouched, --min-touched-ratio,\n"
	      "        --max-commit-fraction, --max-leaked, --no-abrupt-end); "
	      "`ovc check\n"
	      "        --help`\n"
	      "  diff [--json] [--fail-over PERCENT] BASE NEW\n"
	      "        compare two runs (log directories or saved `ovc report "
	      "--json`)\n"
	      "        per executable and per site\n"
	      "  snapshot [--json] [--watch SECONDS [--count N] [-o DIR]] "
	      "PID...\n"
	      "        the memory of a running process ovc did not start "
	      "(from /proc,\n"
	      "        no ptrace): reserved, committed, touched, overcommit "
	      "gap per\n"
	      "        mapping, heap and stacks; --watch logs it for report "
	      "and plot\n"
	      "  demo  two small experiments that show overcommit\n"
	      "  help [options]\n"
	      "        this text; `ovc help options` lists the OVC_* "
	      "environment variables\n"
	      "  --version\n"
	      "\n"
	      "exit status: 0 ok, 1 a finding, 2 bad usage or unreadable "
	      "input;\n"
	      "`ovc run` exits with the command's status (128 + N when "
	      "killed by signal N).\n",
	      out);
}

static const char *kind_name(enum ovc_opt_kind k)
{
	static const char *const names[] = {
		[OVC_OPT_PATH] = "path",     [OVC_OPT_MS] = "ms",
		[OVC_OPT_SIZE] = "bytes",    [OVC_OPT_COUNT] = "count",
		[OVC_OPT_CHOICE] = "choice", [OVC_OPT_STRING] = "text",
	};
	return k < sizeof names / sizeof *names ? names[k] : "?";
}

/* Writes TEXT wrapped at WIDTH columns, every line indented by INDENT. */
static void wrap(const char *text, int indent, int width)
{
	const char *p = text;
	while (*p) {
		int room = width - indent;
		const char *end = p, *cut = NULL;
		while (*end && end - p < room) {
			if (*end == ' ')
				cut = end;
			end++;
		}
		if (!*end)
			cut = end;
		else if (!cut)
			cut = end;
		printf("%*s%.*s\n", indent, "", (int)(cut - p), p);
		p = *cut == ' ' ? cut + 1 : cut;
	}
}

static void help_options(void)
{
	puts("Environment variables read by libovc.so (`ovc run` sets "
	     "OVC_OUTPUT and OVC_RUN):\n");
	for (int i = 0; i < OVC_OPT_COUNT_; i++) {
		const struct ovc_opt_def *d = &ovc_opt_defs[i];
		printf("  %s  (%s, default \"%s\"", d->env, kind_name(d->kind),
		       d->def);
		if (d->kind == OVC_OPT_CHOICE && d->choices)
			printf(", one of %s", d->choices);
		else if (d->max)
			printf(", %llu..%llu", (unsigned long long)d->min,
			       (unsigned long long)d->max);
		puts(")");
		wrap(d->help, 6, 78);
	}
	puts("\n`ovc run` also reads OVC_LIB: the libovc.so to preload "
	     "(default: the\nbuild tree's, then the installed one).");
}

/* The commands, by the name that calls them. */
static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"run", ovc_cmd_run},	  {"report", ovc_cmd_report},
	{"flame", ovc_cmd_flame}, {"check", ovc_cmd_check},
	{"diff", ovc_cmd_diff},	  {"plot", ovc_cmd_plot},
	{"pprof", ovc_cmd_pprof}, {"snapshot", ovc_cmd_snapshot},
	{"demo", ovc_cmd_demo},	  {"__demo", ovc_cmd_demo_child},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return OVC_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("ovc %s (log format version 1)\n", OVC_VERSION);
		return OVC_EXIT_OK;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		if (argc > 2 && strcmp(argv[2], "options") == 0) {
			help_options();
			return OVC_EXIT_OK;
		}
		if (argc > 2) {
			fprintf(stderr, "ovc: help: no help on '%s'\n", argv[2]);
			usage(stderr);
			return OVC_EXIT_USAGE;
		}
		usage(stdout);
		return OVC_EXIT_OK;
	}
	fprintf(stderr, "ovc: unknown command '%s'\n", cmd);
	usage(stderr);
	return OVC_EXIT_USAGE;
}
