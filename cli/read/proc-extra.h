/* What the reader keeps of a process for its charts and its diagnosis,
 * beyond the figures of the model: the reduced samples, the `over` and
 * `refuse` records, the budget and the memory cgroup of its `proc` record.
 * The model's field `extra` (model.h); made on the first record that needs
 * it, freed with the process. */
#ifndef OVC_CLI_PROC_EXTRA_H
#define OVC_CLI_PROC_EXTRA_H

#include <stdbool.h>
#include <stdint.h>

#include "read/model.h"
#include "read/series.h"

/** `refuse` records kept per process (the rest are counted). */
#define OVC_REFUSE_KEEP 10

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

#endif
