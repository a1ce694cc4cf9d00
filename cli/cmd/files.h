/* The inputs and outputs of the ovc commands: logs read into a linked
 * model, output files opened and closed with one error line, run records
 * appended, directories made. */
#ifndef OVC_CLI_FILES_H
#define OVC_CLI_FILES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "read/model.h"
#include "read/runs.h"

/** Reads the logs in PATHS (only those of run RUN when not NULL) into a new
 * linked model in *OUT. Returns 0, 2 when an input could not be read (the
 * model holds the others), or 2 with *OUT NULL when out of memory or, with
 * REQUIRE_LOGS, when no log was found (said on stderr). */
int ovc_read_logs(char *const *paths, size_t n, const char *run,
		  bool require_logs, struct ovc_model **out);

/** ovc_read_logs, and with RUN NULL and NEWEST, only the newest run when
 * the logs hold several; RUNS (may be NULL) gets every run met and the
 * one kept (runs.h). */
int ovc_read_logs_runs(char *const *paths, size_t n, const char *run,
		       bool newest, struct ovc_runs_seen *runs,
		       bool require_logs, struct ovc_model **out);

/** Reads the logs in PATHS (only those of run RUN when not NULL) into a new
 * linked model in *OUT. Returns 0, 2 when an input could not be read (the
 * model holds the others), or 2 with *OUT NULL when no log was found (said
 * on stderr) or out of memory. */
int ovc_read_model(char *const *paths, size_t n, const char *run,
		   struct ovc_model **out);

/** OUTPATH opened for writing (NULL or "-": stdout), or NULL after one
 * `ovc: PATH: cannot create: ...` line on stderr. */
FILE *ovc_open_output(const char *outpath);

/** ovc_read_model, then ovc_open_output(OUTPATH) into *OUT: *M is NULL
 * (and the model destroyed) when either fails, and the result is the exit
 * code to return then; otherwise ovc_read_model's result. */
int ovc_read_model_to(char *const *paths, size_t n, const char *run,
		      const char *outpath, struct ovc_model **m, FILE **out);

/** ovc_read_model on the operands ARGV[I..ARGC), or on "ovc-out" when
 * there are none (ovc_paths_or_default). */
int ovc_read_operands(int argc, char **argv, int i, const char *run,
		      struct ovc_model **m);

/** ovc_read_model_to on the operands ARGV[I..ARGC), or on "ovc-out" when
 * there are none (ovc_paths_or_default). */
int ovc_read_operands_to(int argc, char **argv, int i, const char *run,
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
