/* Layer 3, the tracking core: tracked blocks, the sampling decision and their sites'
 * figures (blocks.c). ovc_track_maybe and ovc_track_wanted are the hot
 * path's: inline, no lock, no call. Called from the hooks;
 * each prototype says whether it is hook-safe, what lock it takes, and
 * whether the sampler may call it. *
 * The contract words of the preload's headers (docs/architecture.md,
 * "Layers"): "hook-safe" (may run inside a hooked call: allocates only from
 * ovc's arena or pages, never through the hooked functions; keeps errno);
 * "locks" (which of ovc's locks it takes; none of the host's); "sampler"
 * (may run in the sampler process: no thread-local storage, no libc lock);
 * "signal-safe" (may run in a signal handler that interrupted ovc). */
#ifndef OVC_PRELOAD_BLOCKS_H
#define OVC_PRELOAD_BLOCKS_H

#include "account.h"
#include "base.h"
#include "stack.h"

/** Allocations of at least this many bytes are tracked (OVC_LARGE);
 * SIZE_MAX until the constructor ran. */
extern size_t ovc_large_bytes OVC_HIDDEN;
/** Counting filter over block addresses: zero means surely not tracked.
 * Indexed by page number, so that the frees of neighbouring blocks read
 * one cache line, and small (64 KiB) so that it stays in cache: free asks
 * it of every pointer. */
extern uint8_t *ovc_block_filter OVC_HIDDEN;
#define OVC_FILTER_BITS 16

static inline size_t ovc_block_slot(const void *p)
{
	return (size_t)((uintptr_t)p >> 12) & (((size_t)1 << OVC_FILTER_BITS) - 1);
}

/** Whether P may be a tracked block (false positives are possible). */
static inline bool ovc_track_maybe(const void *p)
{
	const uint8_t *f = ovc_block_filter;
	return f && __atomic_load_n(&f[ovc_block_slot(p)], __ATOMIC_RELAXED);
}

/** Whether an allocation of N bytes by thread T is tracked: every large
 * one, and small ones when T's byte countdown runs out. Hook-safe. */
static inline bool ovc_track_wanted(struct ovc_tc *t, size_t n)
{
	if (n >= ovc_large_bytes)
		return true;
	int64_t left = t->sample_left - (int64_t)n;
	t->sample_left = left;
	return left < 0;
}

/** After ovc_track_wanted said yes to a small allocation (or mapping) of
 * N bytes: draws thread T's next countdown and returns the weight of the
 * sampled allocation (ovc_sample_weight), or 0 when it is not sampled
 * after all (a thread's first countdown, drawn now, or ovc not started
 * yet). Hook-safe: the thread's own state, no lock. */
double ovc_track_sampled(struct ovc_tc *t, size_t n) OVC_HIDDEN;
/** Tracks block P of N requested bytes: its stack, its site. Slow path;
 * hook-safe (guarded, takes the blocks lock). */
void ovc_track_alloc(struct ovc_tc *t, void *p, size_t n) OVC_HIDDEN;
/** Called once by the thread that makes the image multi-threaded
 * (ovc_account_multi turns true), after setting it: waits until a
 * tracking call of the one thread so far, which held the blocks lock
 * alone, is over. Hook-safe (takes the blocks lock). */
void ovc_blocks_went_multi(void) OVC_HIDDEN;
/** Forgets P if tracked, after probing how much of it was touched. Call
 * before the real free. Hook-safe. */
void ovc_track_free(void *p) OVC_HIDDEN;
/** Ticker step: probes live blocks for at most BUDGET_NS when PROBE (going
 * on where the last probing tick stopped), and writes `ss` records (time
 * T_NS since start) of changed sites. Returns false when a round of
 * probing over every block is under way (the budget ran out first). */
bool ovc_blocks_tick(uint64_t budget_ns, bool probe, uint64_t t_ns) OVC_HIDDEN;
/** At the end of an image: probes every live block within BUDGET_NS (the
 * rest stays unprobed and is reported so) and writes the sites. */
void ovc_blocks_final(uint64_t budget_ns, uint64_t t_ns, bool nested) OVC_HIDDEN;
/** Reads OVC_LARGE, OVC_SAMPLE, OVC_FRAMES into effect; from the
 * constructor. */
void ovc_blocks_init(void) OVC_HIDDEN;
void ovc_blocks_fork_prepare(void) OVC_HIDDEN;
void ovc_blocks_fork_parent(void) OVC_HIDDEN;
void ovc_blocks_fork_child(void) OVC_HIDDEN;

/** The site of the caller of the hooked function (stack captured now),
 * or -1. Slow; hook-safe under the guard. */
int64_t ovc_site_id_here(void) OVC_HIDDEN;
/** Machine facts read at start, for the `over` records. */
void ovc_blocks_set_limits(uint64_t commit_limit, uint64_t mem_total) OVC_HIDDEN;

/** The blocks lock, also guarding the mapping table and every site. */
void ovc_blocks_lock(void) OVC_HIDDEN;
void ovc_blocks_unlock(void) OVC_HIDDEN;
/** Whether tracking runs (the constructor ran and ovc has its memory). */
bool ovc_blocks_enabled(void) OVC_HIDDEN;

/* Between the files of the tracked blocks (blocks.c, site-records.c; the
 * sampling's are sampling.h); not for other parts. */

/** After a large allocation of SIZE at site S: writes an `over` record the
 * first time live bytes pass a machine limit (site-records.c). Under the
 * blocks lock. */
void ovc_over_check(size_t size, const struct ovc_site *s) OVC_HIDDEN;
/** In a fork child: the limits may be passed again in its log. */
void ovc_over_fork_child(void) OVC_HIDDEN;
/** The sites whose figures changed since their `ss` record, linked by
 * next_dirty (site-records.c). Under the blocks lock. */
extern struct ovc_site *ovc_dirty_sites OVC_HIDDEN;
/** Writes the `ss` records of the dirty sites that are due, or of all of
 * them when FINAL (site-records.c). Under the blocks lock; takes the log
 * lock for each batch. */
void ovc_sites_write(uint64_t now, bool final) OVC_HIDDEN;

#endif
