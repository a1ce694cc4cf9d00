/* Internal interfaces of the preload's core (everything but the exported
 * hooks). Each prototype says whether it may be called from a hook: such
 * code never allocates through the hooked functions, never takes a lock the
 * host could hold, and leaves errno as it found it. */
#ifndef OVC_PRELOAD_CORE_H
#define OVC_PRELOAD_CORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include "ovc/log-format.h"
#include "ovc/options.h"
#include "ovc/pagemap-scan.h"
#include "sys.h"

#define OVC_HIDDEN __attribute__((visibility("hidden")))
#define OVC_LIKELY(x) __builtin_expect(!!(x), 1)
#define OVC_UNLIKELY(x) __builtin_expect(!!(x), 0)
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

/* ---- lock.c: the lock of ovc's hot tables ---- */

/** A futex lock: inline and uncontended, one atomic instruction to take and
 * one to give back (pthread_mutex also keeps an owner and a user count);
 * contended, it spins briefly (the sections it guards are short) before
 * sleeping in the kernel. Not recursive; no allocation; errno untouched
 * (raw system calls). */
struct ovc_lock {
	int v; /**< 0 free, 1 held, 2 held and someone may sleep on it */
};
#define OVC_LOCK_INIT {0}

void ovc_lock_wait(struct ovc_lock *l) OVC_HIDDEN;
void ovc_lock_wake(struct ovc_lock *l) OVC_HIDDEN;

static inline bool ovc_lock_try(struct ovc_lock *l)
{
	int free_ = 0;
	return __atomic_compare_exchange_n(&l->v, &free_, 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void ovc_lock_take(struct ovc_lock *l)
{
	if (OVC_UNLIKELY(!ovc_lock_try(l)))
		ovc_lock_wait(l);
}

static inline void ovc_lock_give(struct ovc_lock *l)
{
	if (OVC_UNLIKELY(__atomic_exchange_n(&l->v, 0, __ATOMIC_RELEASE) == 2))
		ovc_lock_wake(l);
}

/** In a fork child: only the forking thread is left, and it holds nothing. */
static inline void ovc_lock_reset(struct ovc_lock *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELAXED);
}

/* ---- boot.c: the real functions, and memory for dlsym's own calls ---- */

struct ovc_real {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	void (*free)(void *);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*malloc_usable_size)(void *);
	void (*exit_)(int) __attribute__((noreturn));
	void (*Exit_)(int) __attribute__((noreturn));
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execvp)(const char *, char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
	int (*posix_spawn)(pid_t *, const char *, const void *, const void *,
			   char *const[], char *const[]);
	int (*posix_spawnp)(pid_t *, const char *, const void *, const void *,
			    char *const[], char *const[]);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	void *(*mremap)(void *, size_t, size_t, int, ...);
	int (*mprotect)(void *, size_t, int);
	int (*pthread_create)(pthread_t *, const pthread_attr_t *,
			      void *(*)(void *), void *);
	void (*pthread_exit)(void *) __attribute__((noreturn));
};

/** The next definitions of the hooked functions; valid once ovc_booted. */
extern struct ovc_real ovc_real OVC_HIDDEN;
/** True once every ovc_real pointer is set. */
extern bool ovc_booted OVC_HIDDEN;

/** Resolves ovc_real with dlsym(RTLD_NEXT). Returns false while a boot is
 * in progress on this thread (dlsym itself allocates: serve it from
 * ovc_boot_alloc) or when a function cannot be found (then the hooks fall
 * back to the bootstrap buffer and the process cannot go on for long; a
 * warning says why). Hook-safe. */
bool ovc_boot(void) OVC_HIDDEN;

/** Zeroed memory from a static buffer, for allocations made before the real
 * functions are known. NULL when the buffer is spent. Hook-safe. */
void *ovc_boot_alloc(size_t size, size_t align) OVC_HIDDEN;
#define OVC_BOOT_BYTES (64 * 1024)
extern char ovc_boot_buf[OVC_BOOT_BYTES] OVC_HIDDEN;
/** True when P came from ovc_boot_alloc; such blocks are never freed.
 * Inline: free asks it of every pointer. */
static inline bool ovc_boot_owns(const void *p)
{
	return (uintptr_t)p - (uintptr_t)ovc_boot_buf < OVC_BOOT_BYTES;
}
/** Usable size of a block from ovc_boot_alloc. */
size_t ovc_boot_size(const void *p) OVC_HIDDEN;

/* ---- arena.c: ovc's own memory, never from the hooked functions ---- */

/** Zeroed, 64-byte aligned memory from mmap'd chunks; never freed. NULL when
 * mmap fails. Takes the arena lock (held over fork by the atfork handlers).
 * Hook-safe; errno untouched. */
void *ovc_arena_alloc(size_t size) OVC_HIDDEN;
/** Memory straight from mmap for large temporary buffers; NULL on failure.
 * Hook-safe; errno untouched. */
void *ovc_pages_alloc(size_t size) OVC_HIDDEN;
void ovc_pages_free(void *p, size_t size) OVC_HIDDEN;
/** Fork handlers of the arena lock. */
void ovc_arena_fork_prepare(void) OVC_HIDDEN;
void ovc_arena_fork_parent(void) OVC_HIDDEN;
void ovc_arena_fork_child(void) OVC_HIDDEN;

/** Returns memory from ovc_arena_alloc: large blocks go back to the system,
 * small ones are kept (the arena only grows). For uthash's bucket arrays. */
void ovc_arena_release(void *p, size_t size) OVC_HIDDEN;

/** Usable size of block P of the real allocator. When the real allocator
 * is glibc's (checked at start), read from the chunk header in front of
 * the block: malloc_usable_size also loads the next chunk's header to
 * check the block is in use, a cache miss the program would not take. */
extern bool ovc_glibc_chunks OVC_HIDDEN;
static inline size_t ovc_usable(void *p)
{
	if (OVC_LIKELY(ovc_glibc_chunks)) {
		size_t head = ((const size_t *)p)[-1];
		size_t size = head & ~(size_t)7;
		return (head & 2) ? size - 2 * sizeof(size_t) /* mmapped */
				  : size - sizeof(size_t);
	}
	return ovc_real.malloc_usable_size(p);
}
/** Whether the program runs under valgrind (its preload is in LD_PRELOAD),
 * which replaces malloc and runs the program's system calls itself. */
bool ovc_valgrind(void) OVC_HIDDEN;
/** Decides ovc_glibc_chunks by comparing with malloc_usable_size. */
void ovc_boot_check_chunks(void) OVC_HIDDEN;
/** The file name (the loader's l_name: "" for the program) and load base
 * of the module holding ADDR; false when none does. At start only. */
bool ovc_module_of(const void *addr, const char **name, const void **base) OVC_HIDDEN;
/** Whether the program's malloc is ovc's and the one after it glibc's: no
 * other allocator (linked, or preloaded before or after libovc.so) stands
 * in the way. Calls ovc_module_of and dlsym: at start only. */
bool ovc_boot_glibc_malloc(void) OVC_HIDDEN;

/* ---- account.c: exact counters, per thread ---- */

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
/** Whether more than one thread has counted in this image. */
bool ovc_account_multi(void) OVC_HIDDEN;
/** Creates the thread-exit key; called once from the constructor. */
void ovc_account_init(void) OVC_HIDDEN;
/** In a fork child: zero every counter, keep the inherited live bytes, and
 * leave the forking thread as the only one. Runs after the fork handlers
 * reset the locks. */
void ovc_account_fork_child(void) OVC_HIDDEN;
void ovc_account_fork_prepare(void) OVC_HIDDEN;
void ovc_account_fork_parent(void) OVC_HIDDEN;

struct ovc_host;

/* ---- stack.c: call stacks, modules and the site table ---- */

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
 * from there are ovc's own, not the program's. */
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
/** The GNU build id in the notes of a loaded object (*LEN bytes), or NULL. */
const unsigned char *ovc_build_id(struct dl_phdr_info *info, size_t *len) OVC_HIDDEN;

/* ---- unwind.c: call stacks from .eh_frame rules (x86-64) ---- */

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
 * due (at most every 10 ms). */
bool ovc_unwind_wants_refresh(void) OVC_HIDDEN;
/** In a fork child, before anything else of unwind.c runs. */
void ovc_unwind_fork_child(void) OVC_HIDDEN;
/** Forgets the stack bounds of T: its block goes to another thread. */
void ovc_unwind_thread_reset(struct ovc_tc *t) OVC_HIDDEN;

/* ---- blocks.c: tracked blocks, sampling and their sites' figures ---- */

/** Allocations of at least this many bytes are tracked (OVC_LARGE);
 * SIZE_MAX until the constructor ran. */
extern size_t ovc_large_bytes OVC_HIDDEN;
/** Counting filter over block addresses: zero means surely not tracked.
 * Indexed by page number, so that the frees of neighbouring blocks read
 * one cache line, and small (64 KiB) so that it stays in cache: free asks
 * it of every pointer. */
extern uint8_t *ovc_block_filter OVC_HIDDEN;
#define OVC_FILTER_BITS 16

static inline size_t ovc_block_slot(const void *p)
{
	return (size_t)((uintptr_t)p >> 12) & (((size_t)1 << OVC_FILTER_BITS) - 1);
}

/** Whether P may be a tracked block (false positives are possible). */
static inline bool ovc_track_maybe(const void *p)
{
	const uint8_t *f = ovc_block_filter;
	return f && __atomic_load_n(&f[ovc_block_slot(p)], __ATOMIC_RELAXED);
}

/** Whether an allocation of N bytes by thread T is tracked: every large
 * one, and small ones when T's byte countdown runs out. Hook-safe. */
static inline bool ovc_track_wanted(struct ovc_tc *t, size_t n)
{
	if (n >= ovc_large_bytes)
		return true;
	int64_t left = t->sample_left - (int64_t)n;
	t->sample_left = left;
	return left < 0;
}

/** Tracks block P of N requested bytes: its stack, its site. Slow path;
 * hook-safe (guarded, takes the blocks lock). */
void ovc_track_alloc(struct ovc_tc *t, void *p, size_t n) OVC_HIDDEN;
/** Called once by the thread that makes the image multi-threaded
 * (ovc_account_multi turns true), after setting it: waits until a
 * tracking call of the one thread so far, which held the blocks lock
 * alone, is over. Hook-safe (takes the blocks lock). */
void ovc_blocks_went_multi(void) OVC_HIDDEN;
/** Forgets P if tracked, after probing how much of it was touched. Call
 * before the real free. Hook-safe. */
void ovc_track_free(void *p) OVC_HIDDEN;
/** Ticker step: probes live blocks for at most BUDGET_NS when PROBE (going
 * on where the last probing tick stopped), and writes `ss` records (time
 * T_NS since start) of changed sites. Returns false when a round of
 * probing over every block is under way (the budget ran out first). */
bool ovc_blocks_tick(uint64_t budget_ns, bool probe, uint64_t t_ns) OVC_HIDDEN;
/** At the end of an image: probes every live block within BUDGET_NS (the
 * rest stays unprobed and is reported so) and writes the sites. */
void ovc_blocks_final(uint64_t budget_ns, uint64_t t_ns, bool nested) OVC_HIDDEN;
/** Reads OVC_LARGE, OVC_SAMPLE, OVC_FRAMES into effect; from the
 * constructor. */
void ovc_blocks_init(void) OVC_HIDDEN;
void ovc_blocks_fork_prepare(void) OVC_HIDDEN;
void ovc_blocks_fork_parent(void) OVC_HIDDEN;
void ovc_blocks_fork_child(void) OVC_HIDDEN;

/** The site of the caller of the hooked function (stack captured now),
 * or -1. Slow; hook-safe under the guard. */
int64_t ovc_site_id_here(void) OVC_HIDDEN;
/** Machine facts read at start, for the `over` records. */
void ovc_blocks_set_limits(uint64_t commit_limit, uint64_t mem_total) OVC_HIDDEN;

/** The blocks lock, also guarding the mapping table and every site. */
void ovc_blocks_lock(void) OVC_HIDDEN;
void ovc_blocks_unlock(void) OVC_HIDDEN;
/** Whether tracking runs (the constructor ran and ovc has its memory). */
bool ovc_blocks_enabled(void) OVC_HIDDEN;

/* ---- mapping.c: mappings the program makes itself ---- */

/** The program mapped LEN bytes at P (mmap succeeded): tracked with its
 * stack when anonymous and private (or OVC_MMAP=all). Hook-safe. */
void ovc_map_added(void *p, size_t len, int prot, int flags, int fd) OVC_HIDDEN;
/** The program is about to unmap [P, P+LEN): probes and forgets it. */
void ovc_map_removed(void *p, size_t len) OVC_HIDDEN;
/** mremap moved or resized OLD (OLD_LEN bytes) to Q (NEW_LEN bytes). */
void ovc_map_moved(void *old, size_t old_len, void *q, size_t new_len) OVC_HIDDEN;
/** mprotect set PROT on [P, P+LEN): committed when not PROT_NONE. */
void ovc_map_protected(void *p, size_t len, int prot) OVC_HIDDEN;
/** Probes tracked mappings for at most BUDGET_NS (ALL: every one). Under
 * the blocks lock. */
void ovc_maps_probe(uint64_t budget_ns, bool all) OVC_HIDDEN;
/** Mapped, peak mapped, committed and peak committed bytes. */
void ovc_maps_totals(int64_t out[4]) OVC_HIDDEN;
/** In a fork child, after the sites were reset. Under the blocks lock. */
void ovc_maps_fork_child(void) OVC_HIDDEN;

/* ---- follow.c: which processes write logs, and untraced programs ---- */

/** Whether the image of EXE with PID writes a log (OVC_FOLLOW, OVC_ONLY). */
bool ovc_follow_wanted(const char *exe, pid_t pid) OVC_HIDDEN;
/** Before exec or spawn of FILE (searched in PATH when SEARCH): writes an
 * `untraced` record when the loader will not preload into it (static,
 * setuid, setgid). Hook-safe. */
void ovc_follow_exec(const char *file, bool search, char *const *envp,
		     uint64_t t_ns) OVC_HIDDEN;

/* ---- budget.c: OVC_BUDGET and OVC_PREFAULT ---- */

/** Non-zero when a budget or prefault is on: the hooks take the slow path. */
extern int ovc_honest OVC_HIDDEN;
void ovc_honest_init(const struct ovc_host *h) OVC_HIDDEN;
/** Reserves N bytes of the budget; false (nothing reserved) when that would
 * exceed it. Atomic: threads racing to the budget never pass it. */
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
/** Logs a refused allocation with its site. */
void ovc_honest_refused(enum ovc_func fn, size_t n, uint64_t t_ns) OVC_HIDDEN;
void ovc_honest_fork_prepare(void) OVC_HIDDEN;
void ovc_honest_fork_parent(void) OVC_HIDDEN;
void ovc_honest_fork_child(void) OVC_HIDDEN;
/** Nanoseconds since this image's log began. */
uint64_t ovc_lifecycle_ns(void) OVC_HIDDEN;

/* ---- residency.c: touched bytes, from the kernel ---- */

/* PAGEMAP_SCAN's structs and ioctl: ovc/pagemap-scan.h. */

/** Resident (present or swapped, not the shared zero page) bytes of the
 * pages wholly inside [LO, HI). Hook-safe; errno untouched. */
int64_t ovc_probe_range(uintptr_t lo, uintptr_t hi) OVC_HIDDEN;
/** Resident bytes of the pages wholly inside [LO, HI) as mincore(2) sees
 * them: one system call and no descriptor (a program thread's probe with
 * PAGEMAP_SCAN opens and closes /proc/self/pagemap: three), for the probe
 * of a block as it is allocated. Counts a page mapping the shared zero
 * page and not one swapped out, as PAGEMAP_SCAN does not. Hook-safe;
 * errno untouched. */
int64_t ovc_probe_quick(uintptr_t lo, uintptr_t hi) OVC_HIDDEN;
/** Opens /proc/self/pagemap (at a high descriptor) before the program's
 * threads run. */
void ovc_probe_init(void) OVC_HIDDEN;
/** A program thread about to probe many blocks opens /proc/self/pagemap
 * once for them all (hold), and closes it after (release). */
void ovc_probe_hold(void) OVC_HIDDEN;
void ovc_probe_release(void) OVC_HIDDEN;
void ovc_probe_fork_child(void) OVC_HIDDEN;

/* ---- fmt.c: JSON lines into fixed buffers, no allocation ---- */

struct ovc_buf {
	char *p;
	size_t len, cap;
	bool overflow; /**< something did not fit: the line must not be written */
};

/** Starts an empty buffer over MEM of CAP bytes. */
void ovc_buf_init(struct ovc_buf *b, char *mem, size_t cap) OVC_HIDDEN;
/** Appends raw text. */
void ovc_buf_raw(struct ovc_buf *b, const char *s) OVC_HIDDEN;
void ovc_buf_rawn(struct ovc_buf *b, const char *s, size_t n) OVC_HIDDEN;
void ovc_buf_u64(struct ovc_buf *b, uint64_t v) OVC_HIDDEN;
void ovc_buf_i64(struct ovc_buf *b, int64_t v) OVC_HIDDEN;
/** Appends S (N bytes) as a JSON string with quotes; bytes that are not
 * valid UTF-8 are written as \u00XX of their value. */
void ovc_buf_jstr(struct ovc_buf *b, const char *s, size_t n) OVC_HIDDEN;
/** Appends `,"KEY":` (without the comma when the object just opened). */
void ovc_buf_key(struct ovc_buf *b, const char *key) OVC_HIDDEN;
/** Appends an array of N unsigned numbers. */
void ovc_buf_u64s(struct ovc_buf *b, const uint64_t *v, size_t n) OVC_HIDDEN;
/** Appends an array of N strings (NUL-terminated). */
void ovc_buf_strs(struct ovc_buf *b, const char *const *v, size_t n) OVC_HIDDEN;

/* ---- procstat.c: facts from /proc, no allocation ---- */

struct ovc_statm {
	uint64_t vm, rss, shared; /**< bytes */
};

struct ovc_host {
	uint64_t mem_total, mem_available, commit_limit, committed_as;
	int overcommit_memory, overcommit_ratio;
	long page_size;
	/* The memory cgroup of the process (docs/log-format.md, `proc`):
	 * version 0 when none was found. */
	int cgroup_version;       /**< 1 or 2 */
	char cgroup_dir[512];     /**< its directory under /sys/fs/cgroup */
	int64_t cgroup_max;       /**< its limit in bytes; -1: none, unreadable */
	int64_t cgroup_oom_kill;  /**< its oom_kill count; -1: unreadable */
};

/** Reads /proc/self/statm in bytes. False when it cannot be read. Hook-safe
 * (open/read/close). */
bool ovc_statm_read(struct ovc_statm *out) OVC_HIDDEN;
/** The page size (sysconf, cached). */
long ovc_page_size(void) OVC_HIDDEN;
/** The kernel's figures of /proc/self/status, in bytes. */
struct ovc_status {
	uint64_t vm_peak;  /**< VmPeak: the largest address space so far */
	uint64_t rss_hwm;  /**< VmHWM: the largest resident so far */
	uint64_t rss_anon; /**< RssAnon: anonymous resident now */
	uint64_t hugetlb;  /**< HugetlbPages: hugetlbfs pages, not in VmRSS */
	bool has_anon;     /**< RssAnon was there (Linux 4.5+) */
};
/** Reads /proc/self/status (the sampler's own descriptor, else one opened
 * for the moment); false when it cannot be read or lacks VmPeak and VmHWM. Never allocates;
 * raw system calls; a 4 KiB stack buffer. Callable from the sampler. */
bool ovc_status_read(struct ovc_status *out) OVC_HIDDEN;
/** Private_Dirty of /proc/self/smaps_rollup in bytes: pages this process
 * alone maps and has written; -1 when unreadable or outside a fork child
 * (ovc_rollup_fork_child says it is one). The kernel
 * walks the page tables for it: its cost grows with resident memory. */
int64_t ovc_rollup_private_dirty(void) OVC_HIDDEN;
/** In a fork child: from now on smaps_rollup is read. */
void ovc_rollup_fork_child(void) OVC_HIDDEN;
/** Reads /proc/meminfo, /proc/sys/vm/overcommit_* and the memory cgroup's
 * limit and OOM kill count (/proc/self/cgroup, then two files of its
 * directory). Hook-safe. */
void ovc_host_read(struct ovc_host *out) OVC_HIDDEN;
/** Field 22 of /proc/self/stat (start time in clock ticks); 0 if unknown. */
uint64_t ovc_proc_start_ticks(void) OVC_HIDDEN;
/** Reads a whole small file into BUF (NUL-terminated); returns its length
 * or -1. Hook-safe. */
ssize_t ovc_read_file(const char *path, char *buf, size_t cap) OVC_HIDDEN;
/** Nanoseconds of CLOCK_MONOTONIC / CLOCK_REALTIME. */
uint64_t ovc_now_ns(void) OVC_HIDDEN;
uint64_t ovc_unix_ns(void) OVC_HIDDEN;

/* ---- log.c: the crash-tolerant appending writer ---- */

/** Creates a fresh log in DIR as OVC_LOG_PREFIX "<pid>.<k>" OVC_LOG_SUFFIX
 * with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, and closes it again: the
 * program keeps no descriptor of ovc's. Stores k in *K. False (errno set)
 * when no file can be created. */
bool ovc_log_open(const char *dir, pid_t pid, unsigned *k) OVC_HIDDEN;
/** Opens the log by path for writing (append), checked to be the file
 * ovc_log_open created; -errno when it cannot. For the sampler's own
 * descriptor and for the moment of a write. */
int ovc_log_open_fd(void) OVC_HIDDEN;
/** Appends one complete line (must end in '\n') to the log's buffer in
 * memory, writing the buffer out first when it is full (within
 * RLIMIT_FSIZE: the host must never get SIGXFSZ from ovc). On a failure
 * that cannot be mended, warns once and stops logging. Caller holds the
 * log lock. Hook-safe. */
void ovc_log_write(const char *line, size_t len) OVC_HIDDEN;
/** Writes LINE to the log file at once, past the buffer: for an end record
 * written where the log lock cannot be had (a signal handler interrupted
 * ovc). */
void ovc_log_write_now(const char *line, size_t len) OVC_HIDDEN;
/** Writes the buffer out: ovc_log_flush takes the log lock, the _locked
 * one is called with it held (or by the sampler once the program is
 * gone). */
void ovc_log_flush(void) OVC_HIDDEN;
void ovc_log_flush_locked(void) OVC_HIDDEN;
/** Whether records wait in the buffer. */
bool ovc_log_pending(void) OVC_HIDDEN;
/** Writes the line in B (which must end in '\n') unless it overflowed;
 * takes the log lock. Hook-safe. */
void ovc_record_write(struct ovc_buf *b) OVC_HIDDEN;
/** Forgets the current log and what its buffer holds (a fork child: the
 * parent writes it) before the child opens its own log. */
void ovc_log_forget(void) OVC_HIDDEN;
/** Whether a log is open and writable. */
bool ovc_log_active(void) OVC_HIDDEN;
/** The current log's path ("" when none). */
const char *ovc_log_path(void) OVC_HIDDEN;
/** Log lock, and its fork handlers. */
void ovc_log_lock(void) OVC_HIDDEN;
/** Takes the log lock if it is free; false otherwise. */
bool ovc_log_trylock(void) OVC_HIDDEN;
void ovc_log_unlock(void) OVC_HIDDEN;
void ovc_log_fork_child(void) OVC_HIDDEN;
/** Sends `ovc run` (OVC_RUN set) one message through its side channel:
 * WHY ("output": no log could be created; "log": the log stopped) and
 * MSG. Opens a socket for the moment. Hook-safe; not in the sampler. */
void ovc_side_send(const char *why, const char *msg) OVC_HIDDEN;

/** Remembers which file descriptor 2 is; from the constructor. */
void ovc_stderr_remember(void) OVC_HIDDEN;
/** Gives warning MSG at most once per KIND (a small integer below 64),
 * where OVC_WARN says: "ovc: warning: MSG" on the stderr the program
 * started with, a `warn` record in the log, or `ovc run`'s side channel
 * when the warning means there is no log. Hook-safe. */
void ovc_warn_once(unsigned kind, const char *msg) OVC_HIDDEN;
/** Gives the warnings the sampler process could not give itself (it has
 * no stderr, and no socket): from a program thread, at its records and at
 * its end. Hook-safe. */
void ovc_warn_flush(void) OVC_HIDDEN;
/** Writes "ovc: MSG\n" to stderr with one write(2), only while descriptor 2
 * is still the file it was at start (ovc_stderr_remember): never into a
 * file the program put there later. Hook-safe. */
void ovc_say(const char *msg) OVC_HIDDEN;

enum ovc_warn_kind {
	OVC_WARN_OPTION = 0, /* 0..OVC_OPT_COUNT_-1: one per option */
	OVC_WARN_OUTPUT = 32,
	OVC_WARN_LOG_WRITE,
	OVC_WARN_LOG_REOPEN,
	OVC_WARN_FSIZE,
	OVC_WARN_ARENA,
	OVC_WARN_TICKER,
	OVC_WARN_BOOT,
	OVC_WARN_ENV,
	OVC_WARN_REFUSALS,
	OVC_WARN_UNWIND,
};

/* ---- ticker.c: the sampler ---- */

/** Starts the ticker: a process sharing the program's memory when it can
 * be had, else a thread; either with every signal blocked. Hook-safe (a
 * thread's own allocations pass untracked under the guard); saves errno. */
void ovc_ticker_start(void) OVC_HIDDEN;
/** Stops a sampler process before an exec (it would keep the old memory
 * and descriptors alive) or at the end; true when one was stopped, to
 * start again if the exec fails. WAIT: until it exited (at most 200 ms);
 * not when this thread may hold a lock the sampler waits for. A thread is
 * left alone: the exec or the exit ends it. */
bool ovc_ticker_pause(bool wait) OVC_HIDDEN;
/** From now on the ticker is a thread, never a process (the program
 * waits for clone children); a sampler process running is stopped and
 * reaped first. Returns whether a ticker was running. */
bool ovc_ticker_thread_only(void) OVC_HIDDEN;
/** Marks the ticker as not running (fork child: neither a thread nor the
 * sampler process is the child's). */
void ovc_ticker_fork_child(void) OVC_HIDDEN;

/** ovc's descriptors. The sampler process has copies of its own, made when
 * it started, which the program cannot close or replace. */
enum ovc_fd {
	OVC_FD_LOG,
	OVC_FD_STATM,
	OVC_FD_PAGEMAP,
	OVC_FD_STATUS,
	OVC_FD_ROLLUP, /* fork children only */
	OVC_FD_COUNT_
};
/** Called by the sampler process while it waits for a lock: if the
 * program is gone, writes its end (ovc_lifecycle_died) and exits the
 * sampler; else returns. No-op elsewhere. */
void ovc_sampler_waiting(void) OVC_HIDDEN;
/** Whether this code runs in the sampler process (its stack says so). No
 * thread-local storage, no system call. */
bool ovc_in_sampler(void) OVC_HIDDEN;
/** True when called in the sampler process; *FD is then its copy of
 * descriptor WHICH (-1: it has none). */
bool ovc_sampler_fd(enum ovc_fd which, int *fd) OVC_HIDDEN;
/** Asks the sampler process to write out the log's buffer, whose length
 * is *LEN, and waits (at most 200 ms, the log lock let go meanwhile) for
 * it to: for a program thread that cannot open the log itself. Caller
 * holds the log lock. False when there is no sampler process. */
bool ovc_ticker_drain(size_t *len) OVC_HIDDEN;
/** In the sampler process, once the program is gone: writes what the
 * program left in the buffer and, unless the program wrote one, the end
 * record that WSTATUS (a wait(2) status; -1: unknown) says. */
void ovc_lifecycle_died(int wstatus) OVC_HIDDEN;

/* ---- the life cycle: config.c (options), start.c (constructor, header,
 * fork, when the sampler starts), image.c (samples), end.c (exit, exec),
 * env.c (an exec's environment) ---- */

/** Copies SRC into DST (CAP bytes), cut and NUL-terminated. Hook-safe. */
void ovc_copy_str(char *dst, size_t cap, const char *src) OVC_HIDDEN;

/** Options in force, parsed once at start. */
struct ovc_config {
	char output[4096];
	uint64_t interval_ms;
	uint64_t verbose;
	uint64_t summary;
	uint64_t frames;
	uint64_t large_bytes;
	uint64_t sample_bytes;
	uint64_t follow;
	uint64_t mmap_mode;
	uint64_t sampler;        /**< enum ovc_sampler_mode */
	uint64_t warn;           /**< enum ovc_warn_mode */
	uint64_t prefault;
	uint64_t seed;           /**< OVC_SEED, or the one drawn at start */
	uint64_t budget_bytes;   /**< in force (0: none), from OVC_BUDGET */
	const char *budget_mode; /**< "size", "commit", "avail" or "" */
	char only[1024];
	char budget[64];
	char run[128];
};
extern struct ovc_config ovc_cfg OVC_HIDDEN;

/** Reads the OVC_* variables into ovc_cfg, warning about bad values. */
void ovc_options_load(struct ovc_config *cfg) OVC_HIDDEN;

/** One ticker step for the image of process OWNER (nothing when the image
 * is another's): writes a sample when something changed or a second
 * passed. Takes the log lock. Runs in the sampler process: no
 * thread-local storage, no libc locks (ticker.c). */
void ovc_lifecycle_tick(pid_t owner) OVC_HIDDEN;
/** A slow path or a waiting call of the program, seen while
 * ovc_sampler_due: starts the sampler when the image has lived its first
 * interval, or will have by the end of a wait of WAIT_NS (OVC_WAIT_LONG:
 * no end set, 0: not a wait). Hook-safe; saves errno. */
void ovc_lifecycle_poke(uint64_t wait_ns) OVC_HIDDEN;
#define OVC_WAIT_LONG UINT64_MAX
/** The program is about to wait for clone children (__WALL, __WCLONE: a
 * tracer), which would see a sampler process: it is stopped and reaped
 * now, and a thread samples from then on. Hook-safe. */
void ovc_lifecycle_clone_wait(void) OVC_HIDDEN;
/** Writes a final sample and an `end` record with CODE (VIA names the
 * function: "exit" or "_exit"); once per image. Hook-safe. */
void ovc_lifecycle_end(int code, const char *via) OVC_HIDDEN;
/** The program reaped child PID with wait status WSTATUS: a child killed
 * by a signal before its sampler started (its first interval) gets its
 * end record here, in its newest log, when that log is this process's
 * child's, has no end and no sampler holds it (end.c). Hook-safe; saves
 * errno. */
void ovc_lifecycle_child_died(pid_t pid, int wstatus) OVC_HIDDEN;
/** Remembers libovc.so's path and the OVC_* settings this image started
 * with, to add back where an exec's environment lacks them (env.c). */
void ovc_env_remember(void) OVC_HIDDEN;
/** The calling thread is about to end by VIA ("pthread_exit" or
 * "thread_return"): if glibc then ends the process with exit(0) because it
 * was the last thread, the end record says so. Hook-safe. */
void ovc_lifecycle_thread_ending(const char *via) OVC_HIDDEN;
/** Writes a final sample and an `exec` record for PATH (searched in PATH
 * when SEARCH), unless this is a vfork child sharing the parent's memory.
 * Hook-safe. */
void ovc_lifecycle_exec(const char *path, bool search,
			char *const *envp) OVC_HIDDEN;
/** After an exec that failed (and returned): starts again what
 * ovc_lifecycle_exec stopped. Hook-safe; saves errno. */
void ovc_lifecycle_exec_failed(void) OVC_HIDDEN;
/** An environment for an exec that keeps ovc loaded: ENVP itself when it
 * already has our LD_PRELOAD and OVC_* settings, otherwise a copy in ovc's
 * arena with them added. Hook-safe. */
char *const *ovc_lifecycle_exec_env(char *const *envp) OVC_HIDDEN;

#endif
