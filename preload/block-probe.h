/* Layer 3, the tracking core: a tracked block as the block table keeps it
 * (blocks.c), and its touched bytes measured from the kernel
 * (block-probe.c). For blocks.c alone, which calls them as it always did:
 * under the lock of the block's shard, the blocks lock where a site's
 * figures change. Hook-safe: raw system calls, no allocation. */
#ifndef OVC_PRELOAD_BLOCK_PROBE_H
#define OVC_PRELOAD_BLOCK_PROBE_H

#include "base.h"
#include "stack.h"

/** One tracked block, a slot of the block table: open addressing with
 * linear probing, keyed by address (0 = empty). 32 bytes, two to a cache
 * line: with OVC_SAMPLE=1 every free looks one up, and the table is larger
 * than the cache. */
struct ovc_block {
	uintptr_t addr;
	uint64_t size;
	struct ovc_site *site;
	int32_t resident_pg; /* resident whole pages at the last probe; -1
				before the first */
	uint32_t reused_pg;  /* resident whole pages when it was allocated */
};

/** The figures of one probe of a block: its touched bytes (resident pages
 * that were not resident when it was allocated) and its reused ones
 * (resident then: a reused heap chunk, written by its last owner). */
struct ovc_probed {
	double touched, reused;
	int32_t pages;
};

/** Probes block B (a system call): its touched and reused bytes now.
 * *SHARED: it has no whole page, its site's figures are resident pages;
 * *LAZY_SHARED: its lazily freed pages are an estimate. */
struct ovc_probed ovc_block_probe(const struct ovc_block *b, bool *shared,
				  bool *lazy_shared) OVC_HIDDEN;
/** The figures of block B's last probe (zero before the first); no system
 * call. */
struct ovc_probed ovc_block_last_probe(const struct ovc_block *b) OVC_HIDDEN;
/** Probes block B and adds what changed since its last probe to its
 * site's figures. Under the blocks lock. */
void ovc_block_site_probe(struct ovc_block *b) OVC_HIDDEN;

#endif
