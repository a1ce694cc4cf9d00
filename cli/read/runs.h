/* The runs a set of logs holds: several `ovc run` (or test wrappers) that
 * wrote to one directory, told apart by the run id every log carries, and
 * the choice of the newest when a report is to show one. */
#ifndef OVC_CLI_RUNS_H
#define OVC_CLI_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "read/model.h"

/** One run met while reading: its run file, or logs carrying its id. */
struct ovc_run_seen {
	char *run;             /**< the run id; "" for logs made without
				    `ovc run` (the preload used bare) */
	int64_t start_unix_ns; /**< the run file's start, else its earliest
				    log's; -1 when unknown */
	size_t logs;           /**< process logs of the run met */
	bool has_file;         /**< its run file was met */
	char *command;         /**< the run file's command, space-joined and
				    cut at 200 bytes; NULL without one */
};

/** Every run met while reading, in order of first meeting, and which one
 * was kept. */
struct ovc_runs_seen {
	struct ovc_run_seen *v;
	size_t n, cap;
	/** The run kept when only the newest was asked for and there were
	 * several (an element of v); NULL when every run was kept. */
	const struct ovc_run_seen *kept;
};

/** Counts a run file (FILE true; COMMAND its argv, may be NULL) or a log
 * (FILE false) of run RUN started at START_UNIX_NS (-1: unknown) in S.
 * Out of memory: the run is not counted. */
void ovc_runs_note(struct ovc_runs_seen *s, const char *run, bool file,
		   int64_t start_unix_ns, char *const *argv, size_t argc);

/** Adds the runs of SRC to DST (their logs counted, run files kept), in
 * SRC's order. */
void ovc_runs_merge(struct ovc_runs_seen *dst, const struct ovc_runs_seen *src);

/** The newest run of S: the latest start, run files' starts before those
 * of logs; NULL when S is empty. */
const struct ovc_run_seen *ovc_runs_newest(const struct ovc_runs_seen *s);

/** Removes from M (not linked yet) every process image and run file of
 * another run than RUN. */
void ovc_model_keep_run(struct ovc_model *m, const char *run);

/** Frees what S holds (S itself is the caller's) and empties it. */
void ovc_runs_seen_free(struct ovc_runs_seen *s);

#endif
