/* Inside the log reader (read/): the state of one file being read, field
 * access that checks each value of a record, and the parsers of each family
 * of records, which the line loop of logread.c calls. Not for use outside
 * read/: the model (model.h) is what the reader produces. */
#ifndef OVC_CLI_READER_H
#define OVC_CLI_READER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "read/model.h"

/* Sizes above this (1 EiB) are not from a real process: the line is bad. */
#define ABSURD_BYTES ((int64_t)1 << 60)
/* Times above this (about 146 years in ns) are bad too. */
#define ABSURD_NS ((int64_t)1 << 62)
/* Limits on what is kept of a header, whatever the line holds. */
#define MAX_STRING 4096
#define MAX_ARGV_BYTES (64 * 1024)
#define MAX_ARGC 4096
#define MAX_FUNCS 64
/* Hex digits of a module's build id kept; GNU build ids are 40. */
#define MAX_BUILD_ID 128

/* One file being read. */
struct reader {
	const char *path;
	FILE *err;
	unsigned max_warnings;
	size_t max_line;
	uint64_t lineno;
	unsigned warned;
	uint64_t suppressed;
	bool said_unknown_site, said_unknown_module, said_dup_site,
		said_site_cap, said_oom;
	char why[256]; /* what is wrong with the current line */
};

/* ---- messages and field access (fields.c) ---- */

/* Field access: MISSING leaves the output alone, BAD sets r->why. */
enum field { FLD_MISSING, FLD_OK, FLD_BAD };

/* Writes "ovc: " and the message to ERR, one line. */
void ovc_rd_say(FILE *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets what is wrong with the current line (r->why). */
void ovc_rd_why(struct reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reports the current line as bad (r->why), within the warning budget. */
void ovc_rd_bad_line(struct reader *r);

/* Says something about the current line once per file (flag *SAID): not a
 * bad line, the log is well formed but inconsistent or too large. */
void ovc_rd_say_once(struct reader *r, bool *said, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A header field that is present but wrong: warn, keep the default. */
void ovc_rd_header_field(struct reader *r, enum field f);

/* Parses one line with jansson, integers past INT64_MAX quoted first (read
 * back saturated by ovc_rd_int and ovc_rd_counts). NULL when not JSON. */
json_t *ovc_rd_load_line(const char *buf, size_t len, json_error_t *jerr);

/* Integer KEY of O in [MIN, MAX] into *OUT; past INT64_MAX it is INT64_MAX
 * when MAX is INT64_MAX, else out of range. */
enum field ovc_rd_int(struct reader *r, json_t *o, const char *key,
		      int64_t min, int64_t max, int64_t *out);

/* String KEY of O into *OUT (owned by O). */
enum field ovc_rd_str(struct reader *r, json_t *o, const char *key,
		      const char **out);

/* Boolean KEY of O into *OUT. */
enum field ovc_rd_bool(struct reader *r, json_t *o, const char *key,
		       bool *out);

/* Reads an array of strings (argv) into *ARGV and *ARGC, bounded. */
enum field ovc_rd_argv(struct reader *r, json_t *o, const char *key,
		       char ***argv, size_t *argc);

/* Reads an array of NFUNCS non-negative integers into OUT[NFUNCS]. */
enum field ovc_rd_counts(struct reader *r, json_t *o, const char *key,
			 size_t nfuncs, int64_t *out);

/* Copy of S cut to MAX bytes (at a UTF-8 boundary); NULL when out of
 * memory. */
char *ovc_rd_dup(const char *s, size_t max);

/* Replaces *DST with a bounded copy of SRC; false when out of memory. */
bool ovc_rd_set_string(char **dst, const char *src);

/* ---- the records; each returns false (r->why set) when the line is bad
 * ---- */

/* rec-proc.c: a process's life and a run file. */
/* Widens P's time span to NS. */
void ovc_rd_note_ns(struct ovc_proc *p, int64_t ns);
/* Of a record O of P with one string: its "ns" (noted) and its string
 * KEY into *S (left as it is when absent); false when either is bad. */
bool ovc_rd_ns_str(struct reader *r, json_t *o, struct ovc_proc *p,
		   const char *key, const char **s);
/* The `proc` record that opens a process log (bad fields: defaults). */
void ovc_rd_proc_header(struct reader *r, json_t *o, struct ovc_proc *p);
/* An `exec` record: the image is replaced. */
bool ovc_rd_exec(struct reader *r, json_t *o, struct ovc_proc *p);
/* An `end` record: how the image ended, its final figures. */
bool ovc_rd_end(struct reader *r, json_t *o, struct ovc_proc *p);
/* A `warn` record of the preload. */
bool ovc_rd_warn(struct reader *r, json_t *o, struct ovc_proc *p);
/* An `untraced` record: a program this image started that ovc cannot
 * follow. */
bool ovc_rd_untraced(struct reader *r, json_t *o, struct ovc_proc *p);
/* The `run` record that opens a run file (bad fields: defaults). */
void ovc_rd_run_header(struct reader *r, json_t *o, struct ovc_run *run);
/* A run file's `run_end` record. */
bool ovc_rd_run_end(struct reader *r, json_t *o, struct ovc_run *run);
/* A `side` record of a run file: a process without a log. */
bool ovc_rd_side(struct reader *r, json_t *o, struct ovc_run *run);

/* rec-sample.c: samples and limits. */
/* An `s` record; all fields are checked before any is applied. */
bool ovc_rd_sample(struct reader *r, json_t *o, struct ovc_proc *p);
/* An `over` or (REFUSE) `refuse` record: an allocation and the limit it
 * met. */
bool ovc_rd_alloc_event(struct reader *r, json_t *o, bool refuse,
			struct ovc_proc *p);

/* rec-sites.c: modules and sites. */
/* A `module` record: a mapped file frames point into. */
bool ovc_rd_module(struct reader *r, json_t *o, struct ovc_proc *p);
/* A `site` record: a call stack that allocated. */
bool ovc_rd_site(struct reader *r, json_t *o, struct ovc_proc *p);
/* An `ss` record: the figures of a site. */
bool ovc_rd_site_stats(struct reader *r, json_t *o, struct ovc_proc *p);
/* A `snapshot_end` record: why `ovc snapshot --watch` stopped. */
bool ovc_rd_snapshot_end(struct reader *r, json_t *o, struct ovc_proc *p);

struct ovc_read_opts;
struct stat;

/* Between the two files of the reader of logs: logread.c (one log, line by
 * line) and logpaths.c (which files: paths, directories, run files). */

/** Reads the log or run file F (named PATH) into M; IN_DIR: it was found
 * in a directory, not named. */
enum ovc_read_status ovc_logread_stream(struct ovc_model *m, const char *path,
					FILE *f, const struct ovc_read_opts *o,
					bool in_dir);
/** Opens PATH for reading without blocking on a FIFO and without following
 * it into a terminal; returns the stream or NULL (errno set). *ST: its
 * status; REGULAR_ONLY: refuse anything but a regular file. */
FILE *ovc_logread_open(const char *path, struct stat *st, bool regular_only);

#endif
