/* The sampling decision of tracked blocks: what of it is not inline in
 * sampling.h (the mean, and the first state of a thread's generator). */
#include "config.h"
#include "procstat.h"
#include "sampling.h"

uint64_t ovc_sample_mean; /* 0: no sampling; 1: every allocation */

/* The first state of a thread's generator: from OVC_SEED and the thread's
 * rank among the threads that sampled (splitmix64), so that a seed gives
 * a single-threaded program the same samples again; before the options
 * are read, from the clock. Never 0 (xorshift's fixed point). */
uint64_t ovc_sample_seed(uint64_t *s)
{
	static unsigned threads;
	if (!ovc_cfg.seed)
		return (uintptr_t)s ^ ovc_now_ns() ^ 0x2545f4914f6cdd1dull;
	uint64_t z = ovc_cfg.seed + 0x9e3779b97f4a7c15ull *
		     (1 + __atomic_fetch_add(&threads, 1, __ATOMIC_RELAXED));
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z ? z : 1;
}
