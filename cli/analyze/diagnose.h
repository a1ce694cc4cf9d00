/* What a process's log tells about memory limits: the reduced samples for
 * charts, the `over` and `refuse` records and the budget it ran under, and
 * the diagnosis drawn from them (how it ended, commit analysis, budget
 * refusals) in text, JSON and for the HTML report. */
#ifndef OVC_CLI_DIAGNOSE_H
#define OVC_CLI_DIAGNOSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "read/model.h"
#include "read/series.h"
#include "read/symbolize.h"

/** `refuse` records kept per process (the rest are counted). */
#define OVC_REFUSE_KEEP 10
/** Refusals shown in the text and HTML reports. */
#define OVC_REFUSE_SHOW 5
/** Sites named as holding touched memory at the end of a killed process. */
#define OVC_DIAG_SITES 3

/** The limits of an `over` record. */
enum ovc_over_limit {
	OVC_OVER_COMMIT_LIMIT, /**< "commit_limit" */
	OVC_OVER_MEM_TOTAL,    /**< "mem_total" */
	OVC_OVER_COUNT,
};

/** An allocation that took live bytes above a limit (`over`), or one the
 * budget refused (`refuse`). Unknown numbers are -1. */
struct ovc_alloc_event {
	bool seen;
	int64_t t_ns;
	char fn[16];         /**< the allocation function, "" when unknown */
	int64_t size_bytes;  /**< what it asked for */
	int64_t live_bytes;  /**< live bytes when it was made */
	int64_t limit_bytes; /**< the limit crossed, or the budget */
	int64_t site;        /**< site id in the log, -1 when none */
};

/** The memory cgroup a process ran in, from its `proc` record. */
struct ovc_cgroup {
	int version;            /**< 1 or 2; 0 when not recorded */
	char dir[512];          /**< its directory under /sys/fs/cgroup */
	int64_t max_bytes;      /**< its limit at start, -1 when none */
	int64_t oom_kill_start; /**< its oom_kill count at start, -1 unknown */
};

/** What the reader keeps for charts and the diagnosis, per process. */
struct ovc_proc_extra {
	struct ovc_series *series; /**< NULL when out of memory */
	struct ovc_alloc_event over[OVC_OVER_COUNT];
	uint64_t nrefuse; /**< `refuse` records read */
	struct ovc_alloc_event refuse[OVC_REFUSE_KEEP]; /**< the first ones */
	int64_t budget_bytes; /**< proc record's "budget", -1 when none */
	char budget_mode[16]; /**< "size", "commit", "avail", or "" */
	bool prefault;        /**< proc record's "prefault" */
	struct ovc_cgroup cgroup;
};

/** The extra data of P, made on first use; NULL when out of memory. */
struct ovc_proc_extra *ovc_proc_extra(struct ovc_proc *p);

/** Frees X; NULL is a no-op. */
void ovc_proc_extra_destroy(struct ovc_proc_extra *x);

/** Records an `s` sample of P for its charts (values -1 where missing). */
void ovc_proc_note_sample(struct ovc_proc *p, int64_t t_ns, int64_t live,
			  int64_t vm, int64_t rss, int64_t shared);

/** Records, for P's charts, peaks that fell between two samples, drawn at
 * T_NS (values -1 where there is none). */
void ovc_proc_note_peak(struct ovc_proc *p, int64_t t_ns,
			const int64_t values[OVC_SER_COUNT]);

/** Records an `over` record of P for limit LIMIT ("commit_limit" or
 * "mem_total"; others are ignored); the first of each limit is kept. */
void ovc_proc_note_over(struct ovc_proc *p, const char *limit,
			const struct ovc_alloc_event *e);

/** Records a `refuse` record of P. */
void ovc_proc_note_refuse(struct ovc_proc *p, const struct ovc_alloc_event *e);

/** Records the memory cgroup of P's `proc` record. */
void ovc_proc_note_cgroup(struct ovc_proc *p, const struct ovc_cgroup *c);

/** Records the budget fields of P's `proc` record. */
void ovc_proc_note_budget(struct ovc_proc *p, int64_t budget_bytes,
			  const char *mode, bool prefault);

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

/** Writes "function (file:line)" (or module+offset) of the innermost frame
 * of site S of P into BUF; "site ID" when it has no frames. Returns BUF. */
char *ovc_site_label(struct ovc_symbolizer *sym, const struct ovc_proc *p,
		     const struct ovc_site *s, char *buf, size_t size);

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
