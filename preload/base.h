/* Layer 0, base: the words every file of the preload uses (visibility,
 * branch hints, relaxed atomics for per-thread counters). Pure macros and
 * inline arithmetic: hook-safe, sampler-safe, signal-safe, no lock. *
 * The contract words of the preload's headers (docs/architecture.md,
 * "Layers"): "hook-safe" (may run inside a hooked call: allocates only from
 * ovc's arena or pages, never through the hooked functions; keeps errno);
 * "locks" (which of ovc's locks it takes; none of the host's); "sampler"
 * (may run in the sampler process: no thread-local storage, no libc lock);
 * "signal-safe" (may run in a signal handler that interrupted ovc). */
#ifndef OVC_PRELOAD_BASE_H
#define OVC_PRELOAD_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ovc/log-format.h"

#define OVC_HIDDEN __attribute__((visibility("hidden")))
#define OVC_LIKELY(x) __builtin_expect(!!(x), 1)
#define OVC_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* A table of a page or more that most processes never use, or use only
 * part of: put in `.lbss` (zeroed like .bss, placed after it), so the
 * small variables every process touches at start share a few pages of
 * .bss instead of one page each between the tables (an anonymous page
 * fault costs about 12 us on a VM; docs/performance.md). */
#define OVC_TABLE(tag) __attribute__((section(".lbss." tag)))
#define OVC_LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define OVC_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/* A counter only its own thread writes: a plain add, readable by the ticker
 * without tearing (aligned 64-bit stores are atomic on every target). */
#define OVC_BUMP(x, d) OVC_STORE(x, OVC_LOAD(x) + (d))
/** A + B, or UINT64_MAX where the sum would wrap: byte totals saturate
 * (600,000 munmap calls of 16 TiB sum to 1.05e19; a million wrap). The log
 * writes them unsigned and the reader takes the whole u64 range. */
static inline uint64_t ovc_sat_add(uint64_t a, uint64_t b)
{
	uint64_t s;
	return __builtin_add_overflow(a, b, &s) ? UINT64_MAX : s;
}
/* OVC_BUMP for a byte total. */
#define OVC_BUMP_SAT(x, d) OVC_STORE(x, ovc_sat_add(OVC_LOAD(x), (d)))

#endif
