/* Renderers of the model: text for people, JSON for programs. */
#ifndef OVC_CLI_RENDER_H
#define OVC_CLI_RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "read/model.h"
#include "read/runs.h"
#include "read/symbolize.h"
#include "analyze/suite.h"

/** Sites per process in the text report unless told otherwise. */
#define OVC_TOP_TEXT_DEFAULT 10
/** Sites per process in the JSON report unless told otherwise (`--all`:
 * every one): a suite of thousands of processes stays a document of a few
 * MiB. */
#define OVC_TOP_JSON_DEFAULT 5
/** Frames of each site's stack in the JSON report unless told otherwise. */
#define OVC_FRAMES_JSON_DEFAULT 8
/** Sites merged over all processes in the JSON report ("top_sites")
 * unless told otherwise. */
#define OVC_TOP_MERGED_JSON_DEFAULT 100
/** Frames of each site's stack in the text report unless told otherwise. */
#define OVC_FRAMES_DEFAULT 8
/** top_sites or max_frames: no limit. */
#define OVC_ALL SIZE_MAX
/** Rows of the text report's table of processes unless told otherwise. */
#define OVC_ROWS_DEFAULT 20

struct ovc_render_opts {
	const char *dir;   /**< where the logs are, for hints; may be NULL */
	size_t max_detail; /**< processes shown in full; 0 means 8 */
	bool top_set;      /**< top_sites was given; else the defaults */
	size_t top_sites;  /**< sites per process (OVC_ALL: every one) */
	bool frames_set;   /**< max_frames was given; else the default */
	size_t max_frames; /**< stack lines per site in text (OVC_ALL) */
	enum ovc_site_sort sort; /**< order of sites; 0 is by untouched */
	struct ovc_symbolizer *sym; /**< NULL: the renderer makes its own */
	enum ovc_proc_sort proc_sort; /**< order of processes; 0 is by gap */
	size_t max_rows; /**< rows of the process table; 0 means
			      OVC_ROWS_DEFAULT; OVC_ALL: every process */
	bool leaks;      /**< text: the leak view instead of the report */
	/** The runs the paths held when only the newest was read (runs->kept
	 * not NULL): the report says so first. NULL: nothing to say. */
	const struct ovc_runs_seen *runs;
};

/** What a flame graph weighs each stack by. */
enum ovc_flame_weight {
	OVC_WEIGHT_UNTOUCHED,
	OVC_WEIGHT_REQUESTED,
	OVC_WEIGHT_TOUCHED,
};

/** Writes the text report of M (linked) to OUT: per process image the
 * command, how it ended, calls, requested and peak figures, touched ratio,
 * overcommit gap and verdicts; then the machine. Returns false on a write
 * error. */
bool ovc_render_text(const struct ovc_model *m, FILE *out,
		     const struct ovc_render_opts *o);

/** Writes M (linked) as one JSON document (docs/report-json.md) to OUT,
 * with the sites of each process ranked and limited by O (may be NULL).
 * Returns false on a write error or when out of memory. */
bool ovc_render_json(const struct ovc_model *m, FILE *out,
		     const struct ovc_render_opts *o);

/** Writes the "sites" section of process P to OUT: the top sites by
 * O->sort with their figures and stacks (innermost frame first),
 * symbolized with SYM (may be NULL: module + offset only). */
void ovc_render_text_sites(const struct ovc_proc *p, FILE *out,
			   const struct ovc_render_opts *o);

/** Writes the "leaked" line and the sites of process P that leaked (still
 * live at exit, never freed), most leaked bytes first, at most
 * O->top_sites of them, with their stacks. */
void ovc_render_text_leaks(const struct ovc_proc *p, FILE *out,
			   const struct ovc_render_opts *o);

/** Writes the sites of every process of M as folded stacks to OUT, one
 * line `root;...;leaf COUNT` per distinct stack, outermost frame first
 * after the executable's name, COUNT the bytes of WEIGHT (stacks that
 * weigh nothing are left out; identical stacks are merged). Returns false
 * on a write error or when out of memory. */
bool ovc_render_flame(const struct ovc_model *m, FILE *out,
		      enum ovc_flame_weight weight, struct ovc_symbolizer *sym);

/** Writes the sections of the text report on a run of several processes
 * (render-suite.c): the top sites over all processes (merged by
 * executable and stack), the totals, the process tree (repeats
 * collapsed), the processes ranked by O->proc_sort and the untraced
 * programs. For one
 * process, only the tree and the untraced programs, when it started any;
 * for none, nothing. */
void ovc_render_text_suite(const struct ovc_model *m, FILE *out,
			   const struct ovc_render_opts *o);

/** Adds "tree", "totals", "untraced" and "top_sites" to the JSON report
 * DOC of M (docs/report-json.md). */
void ovc_render_json_suite(const struct ovc_model *m, json_t *doc,
			   const struct ovc_render_opts *o);

/** *TO: O (NULL: every default) with a symbolizer, O's own or a new one:
 * the options the renderers of one report pass on. Done with
 * ovc_render_opts_done(). */
void ovc_render_opts_resolve(const struct ovc_render_opts *o,
			     struct ovc_render_opts *to);

/** Frees the symbolizer ovc_render_opts_resolve() made for TO from O. */
void ovc_render_opts_done(const struct ovc_render_opts *o,
			  struct ovc_render_opts *to);

/** Parses the value of `--sort`: comma-separated keys, each a site key
 * (untouched, requested, touched, ratio: O->sort) or a process key (gap,
 * live, rss, requested, time: O->proc_sort); "requested" sets both. False
 * when a key is neither. */
bool ovc_render_parse_sort(const char *keys, struct ovc_render_opts *o);

/** Writes one figure line of the text report: "  LABEL   BYTES  NOTE"
 * (NOTE may be NULL), the columns of the report's. */
void ovc_render_bytes_line(FILE *out, const char *label_text, int64_t v,
			   const char *note);

/** The sites of P to list, best first by O's sort key (untouched when O
 * is NULL): a malloc'd array of site indexes (NULL when out of memory) to
 * free, *RANKED how many sites have figures, *SHOWN how many of them to
 * list (O's --top, else DEFAULT_TOP). */
size_t *ovc_render_rank_sites(const struct ovc_proc *p,
			      const struct ovc_render_opts *o,
			      size_t default_top, size_t *ranked,
			      size_t *shown);

/** How ovc_json_set_fields writes a field of a struct. */
enum ovc_json_kind {
	OVC_JSON_I64,         /**< int64_t: an integer */
	OVC_JSON_I64_OR_NULL, /**< int64_t: an integer, null when negative */
	OVC_JSON_SIZE,        /**< size_t: an integer */
	OVC_JSON_BOOL,        /**< bool: true or false */
};

/** One member of a JSON object, read from a field of a struct. */
struct ovc_json_field {
	const char *name;
	size_t offset; /**< offsetof() the field */
	enum ovc_json_kind kind;
};

/** Sets in O the N members FIELDS, in their order, from the struct at
 * BASE: one table where a run of json_object_set_new calls would do. */
void ovc_json_set_fields(json_t *o, const void *base,
			 const struct ovc_json_field *fields, size_t n);

/** The "host" object of H (docs/report-json.md; unknown figures null). */
json_t *ovc_render_host_json(const struct ovc_host *h);

/** Writes the lines of the text report that describe the machine H
 * (MemTotal, CommitLimit, Committed_AS with COMMITTED_AS_NOTE, the
 * overcommit mode), without a heading. */
void ovc_render_text_machine(FILE *out, const struct ovc_host *h,
			     const char *committed_as_note);

/** The "totals" object of T (docs/report-json.md). */
json_t *ovc_totals_json(const struct ovc_model *m, const struct ovc_totals *t);

/** Writes the diagnosis of P (of linked M) as lines of the text report:
 * the last moments of a killed process and its likely cause, the commit
 * analysis when a limit was crossed, the budget refusals. Nothing when
 * there is nothing to say. */
void ovc_diag_text(FILE *out, const struct ovc_model *m,
		   const struct ovc_proc *p, struct ovc_symbolizer *sym);

/** The diagnosis of P as the report's "diagnosis" object
 * (docs/report-json.md). */
json_t *ovc_diag_json(const struct ovc_model *m, const struct ovc_proc *p,
		      struct ovc_symbolizer *sym);

#endif
