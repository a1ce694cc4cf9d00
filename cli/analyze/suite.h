/* A run of many processes seen as a whole: the order of processes, the
 * process tree (exec chains, who started whom, untraced programs), totals
 * over processes and the sites of all processes merged by executable and
 * symbolized stack. Read by the text and JSON reports, gates and diff. */
#ifndef OVC_CLI_SUITE_H
#define OVC_CLI_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "read/model.h"
#include "read/symbolize.h"

/** Orders of the processes (images) of a report. */
enum ovc_proc_sort {
	OVC_PSORT_GAP,       /**< largest overcommit gap first (default) */
	OVC_PSORT_LIVE,      /**< largest peak live first */
	OVC_PSORT_RSS,       /**< largest peak resident first */
	OVC_PSORT_REQUESTED, /**< most bytes requested first */
	OVC_PSORT_TIME,      /**< longest duration first */
};

/** Parses a process sort key ("gap", "live", "rss", "requested", "time");
 * false when NAME is none of them. */
bool ovc_proc_sort_parse(const char *name, enum ovc_proc_sort *out);

/** Name of a process sort key. */
const char *ovc_proc_sort_name(enum ovc_proc_sort key);

/** What sort KEY puts first ("largest overcommit gap first"). */
const char *ovc_proc_sort_what(enum ovc_proc_sort key);

/** Fills ORDER (room for m->nprocs) with the indexes of M's processes,
 * first by KEY (ties: larger gap, then log order). */
void ovc_rank_procs(const struct ovc_model *m, enum ovc_proc_sort key,
		    size_t *order);

/** The image ended without finishing its log: killed by a signal (known
 * from the run file) or no `end` record, successor or run file at all. */
bool ovc_proc_abrupt(const struct ovc_proc *p);

/** Whether P's executable matches one of the comma-separated shell globs
 * of PATTERNS (fnmatch(3)), tried on the whole path and on its last
 * component. NULL or "" matches everything. */
bool ovc_proc_matches(const struct ovc_proc *p, const char *patterns);

/** One process: the chain of its images (exec replaces one by the next). */
struct ovc_tree_node {
	size_t *images;     /**< indexes in m->procs, first image first */
	size_t nimages;
	size_t parent;      /**< node index; SIZE_MAX for a root */
	size_t parent_image; /**< index in m->procs of the parent's image
				  that started it; SIZE_MAX for a root */
	size_t *children;   /**< node indexes, in order of start */
	size_t nchildren;
};

/** The process tree of a linked model. */
struct ovc_tree {
	struct ovc_tree_node *nodes; /**< in order of their first image */
	size_t n;
	size_t *node_of;   /**< node index of each m->procs[i] */
	size_t *roots;     /**< node indexes without a known parent */
	size_t nroots;
};

/** Builds the tree of M (linked): the parent of a process is the image
 * named by its first image's fork link or parent_log, else the image of
 * process ppid (same run) that was running when it started. NULL when out
 * of memory. */
struct ovc_tree *ovc_tree_build(const struct ovc_model *m);

/** Whether untraced record U of image P is the program P's exec went to
 * (the end of its exec chain, not a child): P ended by exec into U's
 * path, no traced image followed, and U is the last record for that
 * path. */
bool ovc_untraced_exec_target(const struct ovc_proc *p,
			      const struct ovc_untraced *u);

/** The why of an untraced program without a record: the image that
 * exec'd it has no successor log here (ovc_proc_exec_unlogged). */
#define OVC_UNTRACED_NO_LOG "no_log"

/** Whether P ended by exec into a program of which no log is here and no
 * untraced record of P says why: that program is untraced too, its why
 * OVC_UNTRACED_NO_LOG (left out by OVC_ONLY or OVC_FOLLOW, or its log is
 * in another directory or lost). */
bool ovc_proc_exec_unlogged(const struct ovc_proc *p);

/** The untraced programs P started, the one count every report uses:
 * its untraced records (those beyond OVC_MAX_UNTRACED included) and an
 * unlogged exec. */
size_t ovc_proc_untraced_count(const struct ovc_proc *p);

/** Why a program is untraced, in words for people, from the WHY of its
 * record ("static": "statically linked: nothing to preload into"); an
 * unknown WHY is returned as it is. */
const char *ovc_untraced_reason(const char *why);

/** Frees T; NULL is a no-op. */
void ovc_tree_free(struct ovc_tree *t);

/** Figures summed or maxed over processes. */
struct ovc_totals {
	size_t images;     /**< logs */
	size_t processes;  /**< exec chains (first images) */
	size_t untraced;   /**< untraced records (programs ovc could not see) */
	size_t abrupt;     /**< images per ovc_proc_abrupt() */
	int64_t requested_bytes;      /**< sum */
	int64_t peak_live_max_bytes;  /**< largest peak live of one image */
	int64_t peak_live_sum_bytes;  /**< sum of peak lives: an upper bound
					   of what was live at once */
	int64_t peak_rss_max_bytes, peak_rss_sum_bytes;
	int64_t gap_max_bytes, gap_sum_bytes; /**< overcommit gap */
	int64_t touched_sum_bytes;
	bool has_ratio;       /**< peak_live_sum_bytes > 0 */
	double touched_ratio; /**< touched_sum / peak_live_sum, in [0, 1] */
	/** The largest sums at one moment (ovc_totals_at_once): of live
	 * bytes and of resident bytes (each process's own) of the processes
	 * alive then; what --total gates check. At least the largest single
	 * peak. */
	int64_t peak_live_at_once_bytes, peak_rss_at_once_bytes;
	/** When those moments were, ns after the first process began; -1
	 * when not known (the largest single peak stands). */
	int64_t at_once_live_ns, at_once_rss_ns;
	bool at_once_from_samples; /**< computed from the samples' times */
	int64_t calls[OVC_FN_COUNT], calls_total, failed_total;
	size_t peak_live_max_proc; /**< index in m->procs; SIZE_MAX if none */
	size_t gap_max_proc, peak_rss_max_proc;
};

/** Computes the totals of the processes of M for which SELECTED[i] is true
 * (SELECTED NULL: all). */
void ovc_totals_compute(const struct ovc_model *m, const bool *selected,
			struct ovc_totals *t);

/** (at-once.c) Sets the at-once figures of T (computed by
 * ovc_totals_compute for the same SELECTED, which calls it): each
 * process's samples placed at their times (start_mono_ns + ns), a fork
 * child's figures its own, swept for the largest sums at one moment. Out
 * of memory: the largest single peaks. */
void ovc_totals_at_once(const struct ovc_model *m, const bool *selected,
			struct ovc_totals *t);

/** Sites of several processes with one executable and one symbolized
 * stack, merged: their figures summed. */
struct ovc_merged_site {
	char *key;         /**< exe, then function and file of each frame */
	size_t proc;       /**< index in m->procs of the first image with it */
	size_t site;       /**< index in that image's sites: its frames */
	size_t nprocs;     /**< images that had it */
	struct ovc_site_figures f; /**< sums (ratio over the sums) */
};

struct ovc_merged_sites {
	struct ovc_merged_site *v;
	size_t n;
};

/** Merges the sites (with figures) of M's processes by executable path
 * and stack, each frame named by its function (module + offset when
 * unknown) and source file and line, symbolized with SYM (may be NULL),
 * ranked by KEY. Returns false when out of memory (OUT empty). */
bool ovc_sites_merge(const struct ovc_model *m, struct ovc_symbolizer *sym,
		     enum ovc_site_sort key, struct ovc_merged_sites *out);

/** Frees what ovc_sites_merge() made. */
void ovc_merged_sites_free(struct ovc_merged_sites *ms);

#endif
