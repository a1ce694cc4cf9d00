/* Layer 3, the tracking core: pages the program freed with MADV_FREE, not
 * touched any more while the kernel holds them (lazyfree.c). The ranges come
 * from the madvise hook; the sampler reads their VMAs' LazyFree from
 * /proc/self/smaps (its own descriptor, sampler-link.h); the probes of
 * blocks and mappings take those pages off. The lazy lock is the last of
 * every order: nothing is taken under it. Contract words: residency.h. */
#ifndef OVC_PRELOAD_LAZYFREE_H
#define OVC_PRELOAD_LAZYFREE_H

#include "base.h"

/** Non-zero while ranges freed with MADV_FREE are kept: a probe asks
 * ovc_lazy_bytes only then. */
extern int ovc_lazy_active OVC_HIDDEN;
/** The program's madvise(P, LEN, ADVICE) succeeded: MADV_FREE ranges are
 * kept (a small fixed table; the closest ones are joined when it is
 * full), MADV_DONTNEED and MADV_REMOVE ones forgotten. Hook-safe (call
 * under the guard); locks: the lazy lock; no allocation, errno untouched. */
void ovc_lazy_advised(void *p, size_t len, int advice) OVC_HIDDEN;
/** Forgets the ranges in [LO, HI): unmapped, or mapped anew. Hook-safe;
 * locks: the lazy lock. */
void ovc_lazy_forget(uintptr_t lo, uintptr_t hi) OVC_HIDDEN;
/** Ticker step: reads /proc/self/smaps when ranges are kept and a read is
 * due (a range not read yet, or pages written again to look for; at most
 * one read in 20 of its cost), or always when FORCE (the end); true when
 * it read, and the blocks should be probed. Never holds a lock while it
 * reads. Sampler: yes. */
bool ovc_lazy_tick(bool force) OVC_HIDDEN;
/** Before the last probe of [LO, HI) (a free, an unmap): reads smaps now
 * if a range in it was freed after the last read and a read is allowed.
 * Hook-safe; may take milliseconds (the kernel walks the page tables). */
void ovc_lazy_sync(uintptr_t lo, uintptr_t hi) OVC_HIDDEN;
/** Lazily freed bytes among the resident pages wholly inside [LO, HI),
 * as of the last read: the LazyFree of each VMA holding kept ranges,
 * shared among the probed ranges by their resident bytes in the kept
 * ranges. Sets *SHARED when a VMA's kept ranges reach outside [LO, HI)
 * (the figure is then an estimate). 0 at once when no range is kept.
 * Hook-safe; sampler: yes; signal-safe: it never waits long for the lazy
 * lock (counts nothing when it cannot have it). */
int64_t ovc_lazy_bytes(uintptr_t lo, uintptr_t hi, bool *shared) OVC_HIDDEN;
/** Fork handlers (from the blocks' own, after the blocks locks): the
 * lazy lock is held over the fork; in the child it is reset, the ranges
 * kept (its pages are copies, freed as the parent's were) and read again. */
void ovc_lazy_fork_prepare(void) OVC_HIDDEN;
void ovc_lazy_fork_parent(void) OVC_HIDDEN;
void ovc_lazy_fork_child(void) OVC_HIDDEN;

#endif
