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

/** The option at ARGV[*I] of a command's line, or NULL where the options
 * end: at the end, at "--" (*I is advanced past it), at "-" or a word that
 * does not start with '-' (*I stays on it: the first operand), or at "-h"
 * or "--help", which print USAGE on stdout and set *HELP (the command then
 * returns OVC_EXIT_OK). The loop: `for (; (a = ovc_opt_next(argc, argv,
 * &i, usage, &help)); i++)`. */
const char *ovc_opt_next(int argc, char **argv, int *i, void (*usage)(FILE *),
			 bool *help);

/** The value of option "-o" or "--output" at ARGV[*I], as
 * ovc_opt_value() gives it. */
const char *ovc_opt_output(int argc, char **argv, int *i, bool *missing);

/** The value of option NAME at ARGV[*I] ("NAME V" or "NAME=V"), with *I
 * advanced past it; NULL when ARGV[*I] is not that option. *MISSING is set
 * when the option is there without a value (the caller says so). */
const char *ovc_opt_value(int argc, char **argv, int *i, const char *name,
			  bool *missing);

/** Says on stderr that option ARG of command CMD needs a value (MISSING)
 * or is unknown, then prints USAGE there; returns OVC_EXIT_USAGE. */
int ovc_opt_bad(const char *cmd, const char *arg, bool missing,
		void (*usage)(FILE *));

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
