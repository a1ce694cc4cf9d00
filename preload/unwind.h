/* Layer 3, the tracking core: call stacks from .eh_frame rules, x86-64 (unwind.c). Called from the hooks;
 * each prototype says whether it is hook-safe, what lock it takes, and
 * whether the sampler may call it. *
 * The contract words of the preload's headers (docs/architecture.md,
 * "Layers"): "hook-safe" (may run inside a hooked call: allocates only from
 * ovc's arena or pages, never through the hooked functions; keeps errno);
 * "locks" (which of ovc's locks it takes; none of the host's); "sampler"
 * (may run in the sampler process: no thread-local storage, no libc lock);
 * "signal-safe" (may run in a signal handler that interrupted ovc). */
#ifndef OVC_PRELOAD_UNWIND_H
#define OVC_PRELOAD_UNWIND_H

#include "base.h"

struct ovc_tc;

/** The return addresses of the calling thread's stack (the first in the
 * caller of this function) into OUT, at most WANT; -1 when this stack
 * needs libunwind (an unusual frame, a module not in the table, another
 * architecture). Hook-safe: no lock, no malloc (ovc's arena once per
 * thread), raw system calls only on a first sight. T: the thread's block. */
int ovc_unwind_fast(struct ovc_tc *t, void **out, int want) OVC_HIDDEN;
/** Re-reads the loaded modules with dl_iterate_phdr (a try-lock: returns
 * at once when another thread is at it). Call holding no ovc lock. */
void ovc_unwind_refresh(void) OVC_HIDDEN;
/** Whether a capture met an address in no known module and a refresh is
 * due (at most every 10 ms). Lock-free; hook-safe. */
bool ovc_unwind_wants_refresh(void) OVC_HIDDEN;
/** In a fork child, before anything else of unwind.c runs. */
void ovc_unwind_fork_child(void) OVC_HIDDEN;
/** Forgets the stack bounds of T: its block goes to another thread. */
void ovc_unwind_thread_reset(struct ovc_tc *t) OVC_HIDDEN;

#endif
