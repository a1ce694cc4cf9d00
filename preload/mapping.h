/* Layer 3, the tracking core: mappings the program makes itself (mapping.c). Each takes
 * the blocks lock unless it says it is called under it. Called from the hooks;
 * each prototype says whether it is hook-safe, what lock it takes, and
 * whether the sampler may call it. *
 * The contract words of the preload's headers (docs/architecture.md,
 * "Layers"): "hook-safe" (may run inside a hooked call: allocates only from
 * ovc's arena or pages, never through the hooked functions; keeps errno);
 * "locks" (which of ovc's locks it takes; none of the host's); "sampler"
 * (may run in the sampler process: no thread-local storage, no libc lock);
 * "signal-safe" (may run in a signal handler that interrupted ovc). */
#ifndef OVC_PRELOAD_MAPPING_H
#define OVC_PRELOAD_MAPPING_H

#include "account.h"
#include "base.h"

/** The program mapped LEN bytes at P (mmap succeeded), on thread T:
 * counted; tracked with its stack when anonymous and private (or
 * OVC_MMAP=all) and of at least OVC_LARGE bytes or sampled by T's byte
 * countdown. Hook-safe. */
void ovc_map_added(struct ovc_tc *t, void *p, size_t len, int prot, int flags,
		   int fd) OVC_HIDDEN;
/** The program is about to unmap [P, P+LEN): probes and forgets it.
 * Hook-safe; takes the blocks lock. */
void ovc_map_removed(void *p, size_t len) OVC_HIDDEN;
/** mremap moved or resized OLD (OLD_LEN bytes) to Q (NEW_LEN bytes).
 * Hook-safe; takes the blocks lock. */
void ovc_map_moved(void *old, size_t old_len, void *q, size_t new_len) OVC_HIDDEN;
/** mprotect set PROT on [P, P+LEN): committed when not PROT_NONE.
 * Hook-safe; takes the blocks lock. */
void ovc_map_protected(void *p, size_t len, int prot) OVC_HIDDEN;
/** Probes tracked mappings for at most BUDGET_NS (ALL: every one). Under
 * the blocks lock. */
void ovc_maps_probe(uint64_t budget_ns, bool all) OVC_HIDDEN;
/** Mapped, peak mapped, committed and peak committed bytes. No lock (plain
 * reads of figures written under the blocks lock); sampler-safe. */
void ovc_maps_totals(int64_t out[4]) OVC_HIDDEN;
/** In a fork child, after the sites were reset. Under the blocks lock. */
void ovc_maps_fork_child(void) OVC_HIDDEN;

#endif
