/* Streaming, tolerant reader of ovc logs and run files into the model. */
#ifndef OVC_CLI_LOGREAD_H
#define OVC_CLI_LOGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "read/model.h"
#include "read/runs.h"

/** Longest line read by default; a longer one is skipped with a warning. */
#define OVC_READ_MAX_LINE (1u << 20)
/** Warnings about bad lines printed per file by default; the rest are
 * counted in one closing line. */
#define OVC_READ_MAX_WARNINGS 10

struct ovc_read_opts {
	FILE *err;          /**< where messages go; NULL means stderr */
	const char *run;    /**< keep only logs with this run id; NULL: all */
	unsigned max_warnings; /**< per file; 0 means OVC_READ_MAX_WARNINGS */
	size_t max_line;    /**< 0 means OVC_READ_MAX_LINE */
	/** With run NULL: when the paths hold logs of several runs, keep
	 * only the newest (ovc_runs_newest; read with the run files' ids
	 * first, so the others are skipped after their first line). */
	bool newest_run;
	/** When not NULL: every run met is noted here, those skipped too,
	 * and with newest_run the one kept (runs->kept). */
	struct ovc_runs_seen *runs;
};

enum ovc_read_status {
	OVC_READ_OK,          /**< read into the model */
	OVC_READ_FILTERED,    /**< a log of another run (opts->run) */
	OVC_READ_NOT_LOG,     /**< first line is not an ovc proc/run record */
	OVC_READ_BAD_VERSION, /**< an ovc log of a version this ovc cannot read */
	OVC_READ_ERROR,       /**< cannot open or read, or out of memory */
};

/** Reads the log or run file at PATH into M, line by line, keeping only
 * aggregates. Bad lines are skipped with a warning `ovc: PATH:LINE: ...`;
 * a torn last line is skipped silently. Where the file is not a log, has an
 * unknown version or cannot be read, prints one `ovc: PATH: ...` message and
 * adds nothing. Never aborts on bad input. */
enum ovc_read_status ovc_logread_file(struct ovc_model *m, const char *path,
				      const struct ovc_read_opts *o);

/** Reads every path of PATHS: a file is read with ovc_logread_file(); a
 * directory contributes each `ovc.*.jsonl` and `ovc-run.*.jsonl` in it (a
 * file there that is not a log is warned about and skipped). A file reached
 * twice is read once. Stores in *NLOGS (may be NULL) how many files were
 * read into M. Returns 0, or 2 when a path given explicitly could not be
 * read or is not a log (the others are still read). */
int ovc_logread_paths(struct ovc_model *m, char *const *paths, size_t n,
		      const struct ovc_read_opts *o, size_t *nlogs);

#endif
