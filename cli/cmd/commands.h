/* The subcommands of the ovc command and what they share. */
#ifndef OVC_CLI_COMMANDS_H
#define OVC_CLI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "render/render.h"

/** Exit statuses of the CLI (STYLE.md). */
#define OVC_EXIT_OK 0
#define OVC_EXIT_FINDING 1
#define OVC_EXIT_USAGE 2

/** `ovc run [-o DIR] [--json] [-q] [--] CMD [ARG...]`. ARGV[0] is "run".
 * Returns CMD's exit status (128 + signal when killed), 127 when CMD does
 * not exist, 126 when it cannot be executed, 2 on bad usage. */
int ovc_cmd_run(int argc, char **argv);

/** `ovc report [--json] [--run ID] [--top N] [--frames N] [--sort KEY]
 * [PATH...]`. ARGV[0] is "report". Returns 0, or 2 on bad usage, when an
 * input could not be read or nothing was found. */
int ovc_cmd_report(int argc, char **argv);

/** `ovc flame [--weight KEY] [-o FILE] [--run ID] [PATH...]`: folded stacks
 * of the sites for flamegraph.pl, inferno or speedscope. ARGV[0] is
 * "flame". Returns 0, or 2 on bad usage, when an input could not be read,
 * nothing was found or the output cannot be written. */
int ovc_cmd_flame(int argc, char **argv);

/** `ovc plot [-o FILE] [--html|--svg] [--max N] [--run ID] [PATH...]`:
 * charts of the processes' memory over time. ARGV[0] is "plot". Returns 0,
 * or 2 on bad usage, unreadable input or when FILE cannot be written. */
int ovc_cmd_plot(int argc, char **argv);

/** `ovc pprof [-o FILE|DIR] [--merge] [--run ID] [--no-symbolize]
 * [PATH...]`: the sites as pprof profiles (pprof.h), one per process image
 * or merged. ARGV[0] is "pprof". Returns 0, or 2 on bad usage, unreadable
 * input or when a profile cannot be written. */
int ovc_cmd_pprof(int argc, char **argv);

/** Reads the logs in PATHS (run RUN only when not NULL) and writes the
 * report with its charts as one HTML page to FILE ("-": stdout), sites as
 * RO says. Returns 0, or 2 when an input could not be read, nothing was
 * found or FILE cannot be written. */
int ovc_report_html(char *const *paths, size_t n, const char *run,
		    const char *file, const struct ovc_render_opts *ro);

/** Parses the count of `--top` or `--frames`: a non-negative integer, or
 * "all" (OVC_ALL). Returns false on anything else. */
bool ovc_parse_limit(const char *text, size_t *out);

/** `ovc demo`: the two experiments of the article, each under `ovc run`. */
int ovc_cmd_demo(int argc, char **argv);

/** `ovc __demo reserve|touch`: the experiments themselves, run inside the
 * preload; plain malloc only. */
int ovc_cmd_demo_child(int argc, char **argv);

/** `ovc check LIMIT... [--only P] [--total] [--junit FILE] [PATH...]`:
 * gates over logs (gate.h). ARGV[0] is "check". Returns 0 when every limit
 * holds, 1 when one fails, 2 on bad usage or unreadable input. */
int ovc_cmd_check(int argc, char **argv);

/** `ovc diff [--json] [--fail-over PERCENT] BASE NEW`: two runs (log
 * directories or saved `ovc report --json` files) compared per executable
 * and per site. ARGV[0] is "diff". Returns 0, 1 when a figure grew by more
 * than PERCENT, 2 on bad usage or unreadable input. */
int ovc_cmd_diff(int argc, char **argv);

/** `ovc snapshot [--json] [--watch SECONDS [--count N] [-o DIR]] PID...`:
 * the memory of running processes from /proc (snapshot.h). ARGV[0] is
 * "snapshot". Returns 0, or 2 on bad usage or when a process cannot be
 * read (no such process, not allowed, a kernel thread, a zombie). */
int ovc_cmd_snapshot(int argc, char **argv);

struct ovc_gates;

/** What ovc_run_command() runs and how it reports. */
struct ovc_run_opts {
	const char *out_dir; /**< NULL: "ovc-out" in the current directory */
	bool json;           /**< report as JSON */
	bool quiet;          /**< no report */
	FILE *report;        /**< where the report goes; NULL: stderr */
	char **cmd;          /**< NULL-terminated command, cmd[0] non-NULL */
	const struct ovc_gates *gates; /**< checked after the run; NULL: none */
	bool no_status;      /**< no live status line even on a terminal */
};

/** Runs O->cmd with libovc.so preloaded, waits, writes the run file and the
 * report; see ovc_cmd_run() for the return value. */
int ovc_run_command(const struct ovc_run_opts *o);

/** Reads the logs in PATHS (only those of run RUN when not NULL), links
 * them and writes the report to OUT as text or JSON, its sites as RO says
 * (may be NULL: the defaults). DIR names the log directory in hints (may
 * be NULL). Returns 0, or 2 when an input could not be read or (with
 * REQUIRE_LOGS) when no log was found. */
int ovc_report_paths(char *const *paths, size_t n, const char *run,
		     bool json, FILE *out, const char *dir, bool require_logs,
		     const struct ovc_render_opts *ro);

/** Reads the logs in PATHS (only those of run RUN when not NULL) into a new
 * linked model in *OUT. Returns 0, 2 when an input could not be read (the
 * model holds the others), or 2 with *OUT NULL when no log was found (said
 * on stderr) or out of memory. */
int ovc_read_model(char *const *paths, size_t n, const char *run,
		   struct ovc_model **out);

/** The value of option NAME at ARGV[*I] ("NAME V" or "NAME=V"), with *I
 * advanced past it; NULL when ARGV[*I] is not that option. *MISSING is set
 * when the option is there without a value (the caller says so). */
const char *ovc_opt_value(int argc, char **argv, int *i, const char *name,
			  bool *missing);

/** Says on stderr that option ARG of command CMD needs a value (MISSING)
 * or is unknown, then prints USAGE there; returns OVC_EXIT_USAGE. */
int ovc_opt_bad(const char *cmd, const char *arg, bool missing,
		void (*usage)(FILE *));

/** The paths ARGV[I..ARGC), or the default log directory "ovc-out" when
 * there are none; their number in *N. */
char *const *ovc_paths_or_default(int argc, char **argv, int i, size_t *n);

/** OUTPATH opened for writing (NULL or "-": stdout), or NULL after one
 * `ovc: PATH: cannot create: ...` line on stderr. */
FILE *ovc_open_output(const char *outpath);

/** ovc_read_model, then ovc_open_output(OUTPATH) into *OUT: *M is NULL
 * (and the model destroyed) when either fails, and the result is the exit
 * code to return then; otherwise ovc_read_model's result. */
int ovc_read_model_to(char *const *paths, size_t n, const char *run,
		      const char *outpath, struct ovc_model **m, FILE **out);

/** Flushes and closes OUT from ovc_open_output(OUTPATH) (stdout stays
 * open). OK says whether writing went well so far; false (after one
 * `ovc: PATH: cannot write the WHAT` line on stderr) when it did not or
 * the flush or close failed. */
bool ovc_close_output(FILE *out, const char *outpath, bool ok,
		      const char *what);

/** Appends record O (consumed) to FD as one line with one write(2).
 * False when it could not be written whole. */
bool ovc_write_record(int fd, json_t *o);

/** DIR made absolute (against the current directory; malloc'd), or NULL
 * when out of memory or the current directory is gone. */
char *ovc_absolute_dir(const char *dir);

/** Makes PATH and its missing parents as directories of mode MODE, like
 * `mkdir -p`. Returns 0 or -1 with errno set. */
int ovc_mkdir_p(const char *path, unsigned mode);

#endif
