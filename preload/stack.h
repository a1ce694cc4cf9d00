/* Layer 3, the tracking core: call stacks, modules and the site table (stack.c). Called from the hooks;
 * each prototype says whether it is hook-safe, what lock it takes, and
 * whether the sampler may call it. *
 * The contract words of the preload's headers (docs/architecture.md,
 * "Layers"): "hook-safe" (may run inside a hooked call: allocates only from
 * ovc's arena or pages, never through the hooked functions; keeps errno);
 * "locks" (which of ovc's locks it takes; none of the host's); "sampler"
 * (may run in the sampler process: no thread-local storage, no libc lock);
 * "signal-safe" (may run in a signal handler that interrupted ovc). */
#ifndef OVC_PRELOAD_STACK_H
#define OVC_PRELOAD_STACK_H

#include "arena.h"
#include "base.h"

struct ovc_tc;

#define OVC_MAX_FRAMES 256

#define uthash_malloc(sz) ovc_arena_alloc(sz)
#define uthash_free(ptr, sz) ovc_arena_release(ptr, sz)
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (ovc_hash_oom = true)
/* Site keys are arrays of return addresses (8-byte words): a word-wise
 * multiply-xor hash is several times cheaper than uthash's bytewise
 * Jenkins hash over a 264-byte key, and a site lookup happens on every
 * tracked allocation. */
static inline unsigned ovc_words_hash(const void *key, size_t len)
{
	const uintptr_t *w = key;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
	for (size_t i = 0; i < len / sizeof *w; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (unsigned)h;
}
#define HASH_FUNCTION(keyptr, keylen, hashv)                                   \
	((hashv) = ovc_words_hash((keyptr), (size_t)(keylen)))
extern bool ovc_hash_oom OVC_HIDDEN;
#include <uthash.h>

enum ovc_site_flags {
	OVC_SITE_SAMPLED = 1, /**< holds sampled (small) allocations: estimated */
	OVC_SITE_SHARED = 2,  /**< holds blocks smaller than their pages */
	OVC_SITE_LAZY_SHARED = 4, /**< pages freed with MADV_FREE were shared out
				     among its blocks and others (lazyfree.c) */
};

/** One call stack that reached an allocation function, and its figures.
 * Byte and block figures are weighted by the inverse sampling probability,
 * so for sampled allocations they are estimates. Under the blocks lock. */
struct ovc_site {
	UT_hash_handle hh;
	uint32_t id;
	int n;
	bool written; /**< its `site` record is in the current log */
	bool dirty;   /**< figures changed since the last `ss` record */
	uint8_t flags;
	uint8_t kind; /**< enum ovc_site_kind: which family allocated */
	double blocks, requested, live, peak_live;
	double live_blocks; /**< blocks not yet freed (malloc family) */
	double live_var;    /**< sampling variance of live (blocks.c) */
	double touched_freed; /**< touched bytes of blocks already freed */
	double touched_live;  /**< last probe of the live blocks */
	double reused_freed;  /**< resident at allocation, of freed blocks */
	double reused_live;   /**< the same of the live blocks (last probe) */
	double probed_live;   /**< live bytes probed at least once */
	double committed, peak_committed; /**< mappings: accessible bytes */
	uint64_t ss_ns;       /**< when its last `ss` record was written */
	double ss_live, ss_touched; /**< its live and live_touched figures */
	struct ovc_site *next_dirty; /**< the list of dirty sites (blocks.c) */
	uintptr_t ips[];      /**< n frames, then the kind (part of the key) */
};

enum ovc_site_kind {
	OVC_KIND_MALLOC = 0, /**< the malloc family */
	OVC_KIND_MMAP = 1,   /**< mmap: anonymous private mappings */
	OVC_KIND_MAPPED = 2, /**< mmap: file-backed or shared mappings */
};

/** Loads libunwind now when the program's allocator is not glibc's (see
 * stack.c). In the constructor, after ovc_boot_check_chunks. */
void ovc_stack_init(void) OVC_HIDDEN;
/** Captures up to MAX return addresses of the caller of the hooked
 * function (ovc's frames dropped) into IPS; returns how many. Call under
 * the guard. MAY_ALLOC: the caller holds no lock of the allocator's (the
 * malloc family's hooks), so libunwind may load and allocate its
 * per-thread cache through the program's malloc; false from the mmap
 * family's hooks, which an allocator calls under its own lock: then
 * nothing is loaded or allocated (0 frames while libunwind is not loaded). */
int ovc_stack_capture(uintptr_t *ips, int max, bool may_alloc) OVC_HIDDEN;
/** Whether PC lies in libunwind (once loaded): the mmap family's calls
 * from there are ovc's own, not the program's. Lock-free (relaxed loads);
 * hook-safe. */
bool ovc_stack_is_unwinder(uintptr_t pc) OVC_HIDDEN;
/** The site of a stack, created (and its `site` record and any new `mod`
 * records written) when new; NULL when ovc's memory is exhausted. Under
 * the blocks lock. */
struct ovc_site *ovc_site_get(const uintptr_t *ips, int n,
			      enum ovc_site_kind kind) OVC_HIDDEN;
/** The site of a stack that thread T met recently, found without a lock
 * (sites are never freed, their keys never change); NULL when not among
 * T's recent sites or when its `site` record must be written again. */
struct ovc_site *ovc_site_recent(struct ovc_tc *t, const uintptr_t *ips,
				 int n, enum ovc_site_kind kind) OVC_HIDDEN;
/** Adds S (may be NULL) to T's recent sites and returns it. Under the
 * blocks lock. */
struct ovc_site *ovc_site_remember(struct ovc_tc *t, struct ovc_site *s) OVC_HIDDEN;
/** Marks S's figures changed: the ticker writes its `ss` record. Under the
 * blocks lock; S may be NULL. */
void ovc_site_dirty(struct ovc_site *s) OVC_HIDDEN;
/** Iteration over all sites, under the blocks lock. */
struct ovc_site *ovc_site_first(void) OVC_HIDDEN;
struct ovc_site *ovc_site_next(struct ovc_site *s) OVC_HIDDEN;
/** In a fork child: the new log has no module or site records yet. */
void ovc_stack_fork_child(void) OVC_HIDDEN;
struct dl_phdr_info;
/** The GNU build id in the notes of a loaded object (*LEN bytes), or NULL.
 * Reads the loaded notes only: no lock, no allocation, hook-safe. */
const unsigned char *ovc_build_id(struct dl_phdr_info *info, size_t *len) OVC_HIDDEN;

#endif
