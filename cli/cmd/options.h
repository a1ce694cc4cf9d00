/* The command line of the ovc commands: exit statuses, option values
 * ("NAME V" or "NAME=V"), bad options, counts and the default paths. */
#ifndef OVC_CLI_OPTIONS_H
#define OVC_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/** Exit statuses of the CLI (STYLE.md). */
#define OVC_EXIT_OK 0
#define OVC_EXIT_FINDING 1
#define OVC_EXIT_USAGE 2

/** A command's option loop: its words, the word at hand, and what the
 * loop met. Set up with OVC_OPTS; the loop: `for (const char *a;
 * (a = ovc_opts_next(&op)); op.i++)`, then `if (op.help) return
 * OVC_EXIT_OK;` and the operands from ARGV[op.i]. */
struct ovc_opts {
	int argc;
	char **argv;
	int i;                 /**< the word at hand; then the first operand */
	const char *cmd;       /**< the command's name, for messages */
	void (*usage)(FILE *); /**< prints the command's usage */
	bool help;    /**< -h or --help was given: the usage is printed */
	bool missing; /**< the option at hand came without its value */
};

/** The option loop of command CMD over ARGV[1..ARGC). */
#define OVC_OPTS(argc, argv, cmd, usage)                                       \
	{ (argc), (argv), 1, (cmd), (usage), false, false }

/** The option at ARGV[O->i], or NULL where the options end: at the end, at
 * "--" (O->i is advanced past it), at "-" or a word that does not start
 * with '-' (O->i stays on it: the first operand), or at "-h" or "--help",
 * which print the usage on stdout and set O->help. */
const char *ovc_opts_next(struct ovc_opts *o);

/** The value of option NAME at ARGV[O->i] ("NAME V" or "NAME=V"), with
 * O->i advanced past it; NULL when the word is not that option. Sets
 * O->missing when the option is there without a value (the caller says
 * so, with ovc_opts_bad()). */
const char *ovc_opts_value(struct ovc_opts *o, const char *name);

/** The value of option "-o" or "--output", as ovc_opts_value() gives it. */
const char *ovc_opts_output(struct ovc_opts *o);

/** Takes the option at hand when it says which logs a command reads or
 * where it writes: "--run ID" into *RUN and, where OUTPATH is not NULL,
 * "-o FILE" or "--output FILE" into *OUTPATH. Returns whether it took it
 * (as ovc_opts_value(), O->missing when a value is not there). */
bool ovc_opts_source(struct ovc_opts *o, const char **run,
		     const char **outpath);

/** Says on stderr that option ARG needs a value (O->missing) or is
 * unknown, then prints the usage there; returns OVC_EXIT_USAGE. */
int ovc_opts_bad(const struct ovc_opts *o, const char *arg);

/** How a command that needs an operand, WHAT, ends where its options
 * leave it: OVC_EXIT_OK after -h or --help, OVC_EXIT_USAGE (after "ovc:
 * CMD: no WHAT given" and the usage on stderr) when the words from
 * ARGV[O->i] on hold no operand, and -1 where it goes on. */
int ovc_opts_end(const struct ovc_opts *o, const char *what);

/** Parses the count of `--top` or `--frames`: a non-negative integer, or
 * "all" (OVC_ALL). Returns false on anything else. */
bool ovc_parse_limit(const char *text, size_t *out);

/** Parses V, the value of option OPT of command CMD, as a count of at
 * least MIN into *OUT (ovc_parse_limit). Otherwise says "ovc: CMD: OPT
 * wants WANTS or 'all', not 'V'" on stderr and returns false. */
bool ovc_opt_limit(const char *cmd, const char *opt, const char *v,
		   size_t min, const char *wants, size_t *out);

/** The paths ARGV[I..ARGC), or the default log directory "ovc-out" when
 * there are none; their number in *N. */
char *const *ovc_paths_or_default(int argc, char **argv, int i, size_t *n);

#endif
