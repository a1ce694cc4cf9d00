/* Gates for CI: limits on the figures of processes (or of their totals),
 * checked against a model, with one line per failure and an optional
 * JUnit XML file. Used by `ovc check` and `ovc run --check`. */
#ifndef OVC_CLI_GATE_H
#define OVC_CLI_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "read/model.h"

/** The limits, in the order they are checked and reported. */
enum ovc_limit {
	OVC_LIM_PEAK_LIVE,       /**< --max-peak-live SIZE */
	OVC_LIM_PEAK_RSS,        /**< --max-peak-rss SIZE */
	OVC_LIM_UNTOUCHED,       /**< --max-untouched SIZE: overcommit gap */
	OVC_LIM_TOUCHED_RATIO,   /**< --min-touched-ratio R */
	OVC_LIM_COMMIT_FRACTION, /**< --max-commit-fraction R */
	OVC_LIM_LEAKED,          /**< --max-leaked SIZE: live at exit */
	OVC_LIM_ABRUPT,          /**< --no-abrupt-end */
	OVC_LIM_COUNT
};

struct ovc_gates {
	bool set[OVC_LIM_COUNT];
	int64_t bytes[OVC_LIM_COUNT]; /**< size limits */
	double ratio[OVC_LIM_COUNT];  /**< ratio limits */
	bool total;        /**< limits apply to the totals, not each process */
	const char *only;  /**< comma-separated globs on the exe; NULL: all */
	const char *junit; /**< JUnit XML file to write; NULL: none */
};

/** Parses the gate option at ARGV[*I] ("--max-peak-live 1G",
 * "--max-peak-live=1G", "--check LIST", "--only P", "--total",
 * "--junit FILE"), advancing *I past its value. Returns 1 when it was one,
 * 0 when ARGV[*I] is no gate option, -1 when its value is bad (said on
 * stderr, prefixed by "ovc: CMD: "). */
int ovc_gates_parse_opt(struct ovc_gates *g, int argc, char **argv, int *i,
			const char *cmd);

/** Parses LIST, "max-peak-live=1G,min-touched-ratio=0.5,no-abrupt-end,
 * total,only=PATTERN" (the value of --check; PATTERN may not hold a comma
 * there). Returns false (said on stderr) on a bad item. */
bool ovc_gates_parse_list(struct ovc_gates *g, const char *list,
			  const char *cmd);

/** Whether any limit is set. */
bool ovc_gates_any(const struct ovc_gates *g);

/** The lines of `--help` describing the gate options. */
extern const char ovc_gates_help[];

/** Checks the limits of G against the processes of M (linked): writes one
 * line per failure ("FAIL process: figure > limit") and a closing summary
 * to OUT, and the JUnit file when G->junit is set. Returns 0 when every
 * limit holds, 1 when one fails or no process was selected, 2 when the
 * JUnit file cannot be written. */
int ovc_gates_check(const struct ovc_gates *g, const struct ovc_model *m,
		    FILE *out);

#endif
