/* The diagnosis of a process against the machine's memory, drawn from
 * what the reader kept of it (read/proc-extra.h): how it ended (killed,
 * likely by the OOM killer, its memory cgroup), the commit analysis (what
 * strict overcommit and the RAM would have allowed) and the budget it ran
 * under. Told in text and JSON by render/render-diagnose.c. */
#ifndef OVC_CLI_DIAGNOSE_H
#define OVC_CLI_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "read/model.h"
#include "read/proc-extra.h"

/** The diagnosis of one process against the machine. Unknown bytes -1. */
struct ovc_diagnosis {
	/* how it ended */
	bool killed;      /**< log ended abruptly, or SIGKILL seen by ovc run */
	bool sigkill;     /**< ovc run saw SIGKILL */
	bool near_memory; /**< peak resident >= 90% of MemAvailable at start
			       or of MemTotal */
	bool likely_oom;  /**< killed, and near_memory, near_cgroup,
			       cgroup_oom_kills > 0 or sigkill */
	/* its memory cgroup: the files are read when the diagnosis is made,
	 * after the process died (v2: memory.max, memory.peak,
	 * memory.events; v1: memory.limit_in_bytes,
	 * memory.max_usage_in_bytes, memory.oom_control) */
	int cgroup_version;        /**< 0: none recorded */
	const char *cgroup_dir;
	int64_t cgroup_max_bytes;  /**< its limit (now, else at start); -1 none */
	int64_t cgroup_peak_bytes; /**< the cgroup's peak usage; -1 unknown */
	int64_t cgroup_oom_kills;  /**< OOM kills in it since the process
				        started; -1 unknown */
	bool near_cgroup;          /**< peak resident >= 90% of its limit */
	int64_t last_t_ns;     /**< time of the last sample */
	int64_t last_live_bytes, last_rss_bytes, last_anon_bytes;
	int64_t peak_rss_bytes;
	/* the machine, from the log */
	int64_t mem_total_bytes, mem_available_bytes, commit_limit_bytes;
	/* commit analysis */
	int64_t peak_live_bytes;
	int64_t above_commit_limit_bytes; /**< peak live - CommitLimit, or 0 */
	int64_t above_mem_available_bytes; /**< peak live - MemAvailable, or 0 */
	int64_t above_mem_total_bytes;     /**< peak live - MemTotal, or 0 */
	const struct ovc_alloc_event *over_commit; /**< NULL when none */
	const struct ovc_alloc_event *over_mem_total;
	/* budget */
	const struct ovc_proc_extra *extra; /**< NULL when none */
};

/** Diagnoses P (of linked model M). */
void ovc_diagnose(const struct ovc_model *m, const struct ovc_proc *p,
		  struct ovc_diagnosis *d);

/** Fills ORDER (room for p->nsites) with the indexes of P's sites that held
 * touched memory at their last `ss` record, most first. Returns the count. */
size_t ovc_diag_rank_live_touched(const struct ovc_proc *p, size_t *order);

/** Touched bytes of site S still live at its last record: `live_touched`
 * when logged, else its touched bytes bounded by its live bytes. */
int64_t ovc_site_live_touched(const struct ovc_site *s);

#endif
