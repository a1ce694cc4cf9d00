/* Layer 3, the tracking core: OVC_BUDGET and OVC_PREFAULT (budget.c). Called from the
 * hooks only when ovc_honest is set; each takes the budget's lock where it
 * touches its table. Called from the hooks;
 * each prototype says whether it is hook-safe, what lock it takes, and
 * whether the sampler may call it. *
 * The contract words of the preload's headers (docs/architecture.md,
 * "Layers"): "hook-safe" (may run inside a hooked call: allocates only from
 * ovc's arena or pages, never through the hooked functions; keeps errno);
 * "locks" (which of ovc's locks it takes; none of the host's); "sampler"
 * (may run in the sampler process: no thread-local storage, no libc lock);
 * "signal-safe" (may run in a signal handler that interrupted ovc). */
#ifndef OVC_PRELOAD_BUDGET_H
#define OVC_PRELOAD_BUDGET_H

#include "base.h"

#include "ovc/log-format.h"

struct ovc_host;

/** Non-zero when a budget or prefault is on: the hooks take the slow path. */
extern int ovc_honest OVC_HIDDEN;
/** Reads OVC_BUDGET and OVC_PREFAULT against the machine H; from the
 * constructor only. The functions below are hook-safe: the block table
 * is in pages from mmap, under the budget's own lock (held over fork by
 * its handlers), errno untouched. */
void ovc_honest_init(const struct ovc_host *h) OVC_HIDDEN;
/** Reserves N bytes of the budget; false (nothing reserved) when that would
 * exceed it. Atomic: threads racing to the budget never pass it; no lock. */
bool ovc_honest_reserve(size_t n) OVC_HIDDEN;
void ovc_honest_unreserve(size_t n) OVC_HIDDEN;
/** Records that live block P holds N reserved bytes. */
void ovc_honest_adopt(void *p, size_t n) OVC_HIDDEN;
/** Reserved bytes of live block P, or -1 when unknown. */
int64_t ovc_honest_size(void *p) OVC_HIDDEN;
/** P (holding OLD reserved bytes, 0 when unknown) became Q of N bytes;
 * the N - OLD growth was reserved before the call. */
void ovc_honest_resized(void *p, void *q, size_t n, int64_t old) OVC_HIDDEN;
/** P is freed: gives its bytes back to the budget. */
void ovc_honest_forget(void *p) OVC_HIDDEN;
/** Populates block P of N bytes when prefault is on and N >= OVC_LARGE;
 * false when the memory cannot be had (the caller frees P, returns NULL). */
bool ovc_honest_prefault(void *p, size_t n) OVC_HIDDEN;
/** Logs a refused allocation with its site (captures the stack: takes
 * the blocks lock, then the log lock). Under the guard. */
void ovc_honest_refused(enum ovc_func fn, size_t n, uint64_t t_ns) OVC_HIDDEN;
void ovc_honest_fork_prepare(void) OVC_HIDDEN;
void ovc_honest_fork_parent(void) OVC_HIDDEN;
void ovc_honest_fork_child(void) OVC_HIDDEN;
/** Nanoseconds since this image's log began. */

#endif
