/* Layer 3, the tracking core: exact counters per thread, the sampling countdown and ovc's
 * thread-local state (account.c). Called from the hooks;
 * each prototype says whether it is hook-safe, what lock it takes, and
 * whether the sampler may call it. *
 * The contract words of the preload's headers (docs/architecture.md,
 * "Layers"): "hook-safe" (may run inside a hooked call: allocates only from
 * ovc's arena or pages, never through the hooked functions; keeps errno);
 * "locks" (which of ovc's locks it takes; none of the host's); "sampler"
 * (may run in the sampler process: no thread-local storage, no libc lock);
 * "signal-safe" (may run in a signal handler that interrupted ovc). */
#ifndef OVC_PRELOAD_ACCOUNT_H
#define OVC_PRELOAD_ACCOUNT_H

#include "base.h"

#include "ovc/log-format.h"

/** One thread's counters, in ovc's arena, on a cache line of their own.
 * Only the owning thread writes them; the ticker sums them. A block whose
 * thread exited is handed to the next new thread: the sums stay right
 * because every field is cumulative. */
struct ovc_tc {
	uint64_t calls[OVC_FN_COUNT];
	uint64_t failed[OVC_FN_COUNT];
	uint64_t requested[OVC_FN_COUNT];
	int64_t live;     /**< usable bytes allocated minus freed by this thread */
	int64_t peak;     /**< largest live of this block (exact while single) */
	int64_t peak_asked; /**< largest live of this block plus the image's
			       committed mmap bytes, seen at its calls */
	uint64_t map_calls[OVC_MFN_COUNT];
	uint64_t map_failed[OVC_MFN_COUNT];
	uint64_t map_bytes[OVC_MFN_COUNT];
	int64_t sample_left; /**< bytes until the next sampled allocation */
	uint64_t rng;        /**< state of this thread's sampling generator */
	struct ovc_site **recent; /**< sites of recent stacks (stack.c), lazily */
	struct ovc_unw *unw; /**< rules and stack bounds (unwind.c), lazily */
	/** The site slot of the kept stack (unwind.c's memo) the last capture
	 * gave, NULL when it gave none: the site found for those frames once
	 * is theirs again (stack.c). */
	void **site_hint;
	struct ovc_tc *next; /**< registry list, push-only */
	int in_use;
} __attribute__((aligned(64)));

/** Counter totals of the whole image at one moment. */
struct ovc_totals {
	uint64_t calls[OVC_FN_COUNT];
	uint64_t failed[OVC_FN_COUNT];
	uint64_t requested[OVC_FN_COUNT];
	uint64_t map_calls[OVC_MFN_COUNT];
	uint64_t map_failed[OVC_MFN_COUNT];
	uint64_t map_bytes[OVC_MFN_COUNT];
	int64_t maps[4]; /**< mapped, peak mapped, committed, peak committed */
	int64_t live;
	int64_t peak_live;
	/** The largest live + committed (malloc family plus mmap family) at
	 * one moment: their joint peak, not the sum of two peaks. Exact
	 * while one thread counts, like peak_live. */
	int64_t peak_asked;
	/** Once several threads counted: the sum of the per-thread peaks,
	 * an upper bound of the true peak of live bytes (peak_live is then a
	 * lower one); peak_live while one thread counts. */
	int64_t peak_live_bound;
};

/** ovc's thread-local state, one initial-exec TLS object so that a hook
 * finds both fields with one address computation; reading it never
 * allocates. */
struct ovc_tls {
	struct ovc_tc *tc; /**< this thread's counters, NULL until registered */
	int guard; /**< non-zero while this thread runs ovc's own code: hooks
		      then forward untracked */
};
extern __thread struct ovc_tls ovc_tls OVC_HIDDEN;
#define ovc_tls_tc (ovc_tls.tc)
#define ovc_tls_guard (ovc_tls.guard)
/** Set while this image logs and its sampler has not started yet: the
 * sampler starts lazily (start.c, "when the sampler starts"). Read
 * only on slow paths (a tracked allocation, a map call, a new thread, a
 * waiting call), never on the hot path. */
extern int ovc_sampler_due OVC_HIDDEN;

/** Registers the calling thread and returns its block; NULL when ovc's
 * arena is exhausted (the call then goes uncounted). Hook-safe, slow path:
 * takes the registry lock; saves errno. */
struct ovc_tc *ovc_account_register(void) OVC_HIDDEN;
/** Live bytes of the whole image now (a sum over threads). Lock-free. */
int64_t ovc_account_live(void) OVC_HIDDEN;
/** Sums every block into *OUT. Lock-free; callable from any thread. */
void ovc_account_totals(struct ovc_totals *out) OVC_HIDDEN;
/** Updates the process-wide peak of live bytes from a fresh sum; called on
 * large allocations when several threads exist. Hook-safe. */
void ovc_account_peak_check(void) OVC_HIDDEN;
/** Raises the joint peak of live + committed with a fresh sum; called by
 * the mmap family when committed bytes grow (under the blocks lock).
 * Lock-free. */
void ovc_account_asked_check(int64_t committed) OVC_HIDDEN;
/** Committed bytes of the mmap family now (mapping.c); written under the
 * blocks lock, read by the hooks without it. */
extern int64_t ovc_committed_now OVC_HIDDEN;
/** Whether more than one thread has counted in this image. Lock-free;
 * hook-safe, sampler-safe. */
bool ovc_account_multi(void) OVC_HIDDEN;
/** Creates the thread-exit key; called once from the constructor. */
void ovc_account_init(void) OVC_HIDDEN;
/** In a fork child: zero every counter, keep the inherited live bytes, and
 * leave the forking thread as the only one. Runs after the fork handlers
 * reset the locks. */
void ovc_account_fork_child(void) OVC_HIDDEN;
void ovc_account_fork_prepare(void) OVC_HIDDEN;
void ovc_account_fork_parent(void) OVC_HIDDEN;

#endif
