/* Layer 3, the tracking core: touched bytes, from the kernel (residency.c). In the sampler
 * process the probes use its own pagemap descriptor (sampler-link.h). Called from the hooks;
 * each prototype says whether it is hook-safe, what lock it takes, and
 * whether the sampler may call it. *
 * The contract words of the preload's headers (docs/architecture.md,
 * "Layers"): "hook-safe" (may run inside a hooked call: allocates only from
 * ovc's arena or pages, never through the hooked functions; keeps errno);
 * "locks" (which of ovc's locks it takes; none of the host's); "sampler"
 * (may run in the sampler process: no thread-local storage, no libc lock);
 * "signal-safe" (may run in a signal handler that interrupted ovc). */
#ifndef OVC_PRELOAD_RESIDENCY_H
#define OVC_PRELOAD_RESIDENCY_H

#include "base.h"

#include "ovc/pagemap-scan.h"

/* PAGEMAP_SCAN's structs and ioctl: ovc/pagemap-scan.h. */

/** Resident (present or swapped, not the shared zero page) bytes of the
 * pages wholly inside [LO, HI). Hook-safe; errno untouched. */
int64_t ovc_probe_range(uintptr_t lo, uintptr_t hi) OVC_HIDDEN;
/** ovc_probe_range for a block of the malloc family: the same figure, with
 * mincore(2) in a program thread where the kernel makes it count the same
 * (no zero page mapped on a read fault, no swap: residency.c) and the block
 * has at most 4096 pages, which needs no descriptor and one system call.
 * Hook-safe; errno untouched; the sampler may call it (it scans). */
int64_t ovc_probe_block(uintptr_t lo, uintptr_t hi) OVC_HIDDEN;
/** Resident bytes of the pages wholly inside [LO, HI) as mincore(2) sees
 * them: one system call and no descriptor (a program thread's probe with
 * PAGEMAP_SCAN opens and closes /proc/self/pagemap: three), for the probe
 * of a block as it is allocated. Counts a page mapping the shared zero
 * page and not one swapped out, as PAGEMAP_SCAN does not. Hook-safe;
 * errno untouched. */
int64_t ovc_probe_quick(uintptr_t lo, uintptr_t hi) OVC_HIDDEN;
/** Opens /proc/self/pagemap (at a high descriptor) before the program's
 * threads run. From the constructor only. */
void ovc_probe_init(void) OVC_HIDDEN;
/** A program thread about to probe many blocks opens /proc/self/pagemap
 * once for them all (hold), and closes it after (release). */
void ovc_probe_hold(void) OVC_HIDDEN;
void ovc_probe_release(void) OVC_HIDDEN;
void ovc_probe_fork_child(void) OVC_HIDDEN;

#endif
