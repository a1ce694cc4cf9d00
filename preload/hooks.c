/* The functions libovc.so exports for memory: the malloc family, counted
 * and forwarded to the real allocator, and the mmap family, whose
 * mappings are followed (the exports of the process's life are
 * hooks-process.c). Thin on purpose: the work is in the core. */
/* meson builds with _FILE_OFFSET_BITS=64, which renames mmap to mmap64 in
 * glibc's headers; here each hook must carry its own name. (On 64-bit
 * targets off_t is 64 bits either way.) */
#undef _FILE_OFFSET_BITS
#include "account.h"
#include "base.h"
#include "blocks.h"
#include "boot.h"
#include "budget.h"
#include "config.h"
#include "hooks.h"
#include "lazyfree.h"
#include "lifecycle.h"
#include "mapping.h"
#include "procstat.h"
#include "stack.h"

#include <errno.h>
#include <malloc.h>
#include <sys/mman.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string.h>

/* Allocations of at least this size refresh the process-wide peak of live
 * bytes when several threads count (glibc's mmap threshold). */
#define PEAK_CHECK_BYTES (128 * 1024)

/* The calling thread's counters, or NULL while ovc itself runs (the guard)
 * or when they cannot be had. */
static inline struct ovc_tc *counting(void)
{
	if (OVC_UNLIKELY(ovc_tls_guard))
		return NULL;
	struct ovc_tc *t = ovc_tls_tc;
	if (OVC_UNLIKELY(!t)) {
		/* guarded: a signal handler that allocates while this thread
		 * holds the registry lock forwards untracked */
		ovc_tls_guard++;
		t = ovc_account_register();
		ovc_tls_guard--;
	}
	return t;
}

static inline void live_add(struct ovc_tc *t, int64_t d)
{
	int64_t live = OVC_LOAD(t->live) + d;
	OVC_STORE(t->live, live);
	if (live > OVC_LOAD(t->peak))
		OVC_STORE(t->peak, live);
	int64_t asked = live + OVC_LOAD(ovc_committed_now);
	if (asked > OVC_LOAD(t->peak_asked))
		OVC_STORE(t->peak_asked, asked);
}

/* Live bytes only fall: no peak to compare. */
static inline void live_sub(struct ovc_tc *t, int64_t d)
{
	OVC_STORE(t->live, OVC_LOAD(t->live) - d);
}

/* Counts one call of FN that asked for N bytes and got P (NULL: failed).
 * Requested bytes are those of calls that succeeded: a refused request of
 * SIZE_MAX bytes would otherwise wrap the sum. */
static inline void count_alloc(struct ovc_tc *t, enum ovc_func fn, size_t n,
			       void *p)
{
	OVC_BUMP(t->calls[fn], 1);
	if (OVC_UNLIKELY(!p)) {
		OVC_BUMP(t->failed[fn], 1);
		return;
	}
	OVC_BUMP_SAT(t->requested[fn], n);
	live_add(t, (int64_t)ovc_usable(p));
	if (OVC_UNLIKELY(n >= PEAK_CHECK_BYTES) && ovc_account_multi())
		ovc_account_peak_check();
	if (OVC_UNLIKELY(ovc_track_wanted(t, n))) {
		ovc_track_alloc(t, p, n);
		/* A block of OVC_SAMPLER_NOW_BYTES is one whose touching
		 * the timeline must show (the article's program writes its
		 * 2 GiB without another call): its sampler starts now. A
		 * smaller one is a slow path (start.c: a young image samples
		 * itself). */
		if (OVC_UNLIKELY(ovc_sampler_due))
			ovc_lifecycle_poke(n >= OVC_SAMPLER_NOW_BYTES ? OVC_WAIT_LONG
								      : 0);
	}
}

/* ---- honest allocation (OVC_BUDGET, OVC_PREFAULT): the slow path ---- */

#define HONEST(t) (OVC_UNLIKELY(ovc_honest) && (t))

/* Reserves N bytes of the budget for a call of FN; when that would pass
 * the budget, counts the call as failed, logs it, sets ENOMEM and returns
 * false: the caller returns NULL as glibc does when memory is short. */
static bool honest_before(struct ovc_tc *t, enum ovc_func fn, size_t n)
{
	if (ovc_honest_reserve(n))
		return true;
	count_alloc(t, fn, n, NULL);
	ovc_honest_refused(fn, n, ovc_lifecycle_ns());
	errno = ENOMEM;
	return false;
}

/* After the real call: gives back the reservation when it failed, and
 * populates a large block when prefault is on (freeing it and returning
 * NULL with ENOMEM when its memory cannot be had). */
static void *honest_after(void *p, size_t n)
{
	if (!p) {
		ovc_honest_unreserve(n);
		return NULL;
	}
	if (!ovc_honest_prefault(p, n)) {
		ovc_real.free(p);
		ovc_honest_unreserve(n);
		errno = ENOMEM;
		return NULL;
	}
	ovc_honest_adopt(p, n);
	return p;
}

EXPORT void *malloc(size_t n)
{
	if (!ready())
		return ovc_boot_alloc(n, 16);
	struct ovc_tc *t = counting();
	if (HONEST(t) && !honest_before(t, OVC_FN_MALLOC, n))
		return NULL;
	void *p = ovc_real.malloc(n);
	if (HONEST(t))
		p = honest_after(p, n);
	if (t)
		count_alloc(t, OVC_FN_MALLOC, n, p);
	return p;
}

EXPORT void *calloc(size_t n, size_t size)
{
	if (!ready()) {
		size_t bytes;
		if (__builtin_mul_overflow(n, size, &bytes))
			return NULL;
		return ovc_boot_alloc(bytes, 16); /* static: already zero */
	}
	struct ovc_tc *t = counting();
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes))
		bytes = 0; /* refused by calloc: nothing was requested */
	if (HONEST(t) && !honest_before(t, OVC_FN_CALLOC, bytes))
		return NULL;
	void *p = ovc_real.calloc(n, size);
	if (HONEST(t))
		p = honest_after(p, bytes);
	if (t)
		count_alloc(t, OVC_FN_CALLOC, bytes, p);
	return p;
}

/* realloc and reallocarray: P resized to N bytes, counted as FN. */
static void *resize(enum ovc_func fn, void *p, size_t n)
{
	struct ovc_tc *t = counting();
	int64_t reserved = 0;
	if (HONEST(t)) {
		reserved = p ? ovc_honest_size(p) : 0;
		if (reserved < 0)
			reserved = 0;
		if ((int64_t)n > reserved &&
		    !honest_before(t, fn, n - (size_t)reserved))
			return NULL; /* p is left as it was, as on ENOMEM */
	}
	size_t old = p ? ovc_usable(p) : 0;
	/* The block may move or be freed: probe it while it is still there. */
	if (t && p && OVC_UNLIKELY(ovc_track_maybe(p)))
		ovc_track_free(p);
	void *q = ovc_real.realloc(p, n);
	if (HONEST(t)) {
		if (q) {
			ovc_honest_resized(p, q, n, reserved);
			ovc_honest_prefault(q, n); /* p is gone: no way back */
		} else if (p && n == 0) {
			ovc_honest_forget(p);
		} else if ((int64_t)n > reserved) {
			ovc_honest_unreserve(n - (size_t)reserved);
		}
	}
	if (!t)
		return q;
	OVC_BUMP(t->calls[fn], 1);
	if (q) {
		OVC_BUMP_SAT(t->requested[fn], n);
		live_add(t, (int64_t)ovc_usable(q) - (int64_t)old);
		if (OVC_UNLIKELY(n >= PEAK_CHECK_BYTES) && ovc_account_multi())
			ovc_account_peak_check();
		if (OVC_UNLIKELY(ovc_track_wanted(t, n)))
			ovc_track_alloc(t, q, n);
	} else if (p && n == 0) {
		live_sub(t, (int64_t)old); /* glibc frees on realloc(p, 0) */
	} else {
		OVC_BUMP(t->failed[fn], 1);
	}
	return q;
}

/* A block from the bootstrap buffer moves to the real allocator. */
static void *resize_boot(void *p, size_t n)
{
	void *q = ovc_real.malloc(n);
	if (q) {
		size_t old = ovc_boot_size(p);
		memcpy(q, p, old < n ? old : n);
	}
	return q;
}

EXPORT void *realloc(void *p, size_t n)
{
	if (!ready()) {
		void *q = ovc_boot_alloc(n, 16);
		if (q && p)
			memcpy(q, p, ovc_boot_size(p) < n ? ovc_boot_size(p) : n);
		return q;
	}
	if (OVC_UNLIKELY(p && ovc_boot_owns(p)))
		return resize_boot(p, n);
	return resize(OVC_FN_REALLOC, p, n);
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes)) {
		if (ready()) {
			struct ovc_tc *t = counting();
			if (t) {
				OVC_BUMP(t->calls[OVC_FN_REALLOCARRAY], 1);
				OVC_BUMP(t->failed[OVC_FN_REALLOCARRAY], 1);
			}
		}
		errno = ENOMEM;
		return NULL;
	}
	if (!ready() || OVC_UNLIKELY(p && ovc_boot_owns(p)))
		return realloc(p, bytes);
	return resize(OVC_FN_REALLOCARRAY, p, bytes);
}

EXPORT void free(void *p)
{
	if (OVC_UNLIKELY(!p)) {
		if (ovc_booted) {
			struct ovc_tc *t = counting();
			if (t)
				OVC_BUMP(t->calls[OVC_FN_FREE], 1);
		}
		return;
	}
	if (OVC_UNLIKELY(ovc_boot_owns(p)) || !ready())
		return; /* bootstrap blocks are never reused */
	struct ovc_tc *t = counting();
	if (HONEST(t))
		ovc_honest_forget(p);
	if (t) {
		OVC_BUMP(t->calls[OVC_FN_FREE], 1);
		live_sub(t, (int64_t)ovc_usable(p));
		/* Probed before the real free, so the address cannot be reused
		 * by another thread in between. */
		if (OVC_UNLIKELY(ovc_track_maybe(p)))
			ovc_track_free(p);
	}
	ovc_real.free(p);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	if (!ready()) {
		void *p = ovc_boot_alloc(n, align);
		if (!p)
			return ENOMEM;
		*out = p;
		return 0;
	}
	struct ovc_tc *t = counting();
	int saved = errno; /* posix_memalign reports by its result, not errno */
	if (HONEST(t) && !honest_before(t, OVC_FN_POSIX_MEMALIGN, n)) {
		errno = saved;
		return ENOMEM;
	}
	int err = ovc_real.posix_memalign(out, align, n);
	if (HONEST(t)) {
		void *p = honest_after(err ? NULL : *out, n);
		if (!err && !p)
			err = ENOMEM;
		errno = saved;
	}
	if (t)
		count_alloc(t, OVC_FN_POSIX_MEMALIGN, n, err ? NULL : *out);
	return err;
}

/* aligned_alloc, memalign, valloc and pvalloc: forwarded one to one. */
#define ALIGNED_HOOK(name, FN, params, args, bytes, boot_align)                \
	EXPORT void *name params                                               \
	{                                                                      \
		if (!ready())                                                  \
			return ovc_boot_alloc(bytes, boot_align);              \
		struct ovc_tc *t = counting();                                 \
		if (HONEST(t) && !honest_before(t, FN, bytes))                 \
			return NULL;                                           \
		void *p = ovc_real.name args;                                  \
		if (HONEST(t))                                                 \
			p = honest_after(p, bytes);                            \
		if (t)                                                         \
			count_alloc(t, FN, bytes, p);                          \
		return p;                                                      \
	}

ALIGNED_HOOK(aligned_alloc, OVC_FN_ALIGNED_ALLOC, (size_t align, size_t n),
	     (align, n), n, align)
ALIGNED_HOOK(memalign, OVC_FN_MEMALIGN, (size_t align, size_t n), (align, n),
	     n, align)
ALIGNED_HOOK(valloc, OVC_FN_VALLOC, (size_t n), (n), n, 4096)
ALIGNED_HOOK(pvalloc, OVC_FN_PVALLOC, (size_t n), (n), n, 4096)

EXPORT size_t malloc_usable_size(void *p)
{
	if (p && ovc_boot_owns(p))
		return ovc_boot_size(p);
	if (!ready())
		return 0;
	return ovc_real.malloc_usable_size(p);
}

/* ---- the mmap family, as called by the program ---- */

static inline void count_map(struct ovc_tc *t, enum ovc_map_func fn,
			     bool failed, size_t bytes)
{
	OVC_BUMP(t->map_calls[fn], 1);
	if (failed)
		OVC_BUMP(t->map_failed[fn], 1);
	else
		OVC_BUMP_SAT(t->map_bytes[fn], bytes);
}

/* The counters for a call of the mmap family: NULL in ovc's own code,
 * including libunwind's, whose caches are mapped and unmapped (at thread
 * exit, outside any guard) on ovc's behalf. */
#define map_counting()                                                         \
	(ovc_stack_is_unwinder((uintptr_t)__builtin_return_address(0))        \
		 ? NULL                                                        \
		 : counting())

/* Whether mappings are followed now (after the constructor, not in ovc's
 * own code, OVC_MMAP not none). */
static inline bool mapping_on(struct ovc_tc *t)
{
	return t && ovc_cfg.mmap_mode != OVC_MMAP_NONE && ovc_blocks_enabled();
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (!ready()) {
		long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
		if ((unsigned long)r > -4096ul) {
			errno = (int)-r;
			return MAP_FAILED;
		}
		return (void *)r;
	}
	struct ovc_tc *t = map_counting();
	void *p = ovc_real.mmap(addr, len, prot, flags, fd, off);
	if (t) {
		int saved = errno;
		count_map(t, OVC_MFN_MMAP, p == MAP_FAILED, len);
		if (p != MAP_FAILED && mapping_on(t))
			ovc_map_added(t, p, len, prot, flags, fd);
		if (OVC_UNLIKELY(ovc_sampler_due))
			ovc_lifecycle_poke(p != MAP_FAILED &&
						   len >= OVC_SAMPLER_NOW_BYTES &&
							   (flags & MAP_ANONYMOUS)
						   ? OVC_WAIT_LONG
						   : 0);
		errno = saved;
	}
	return p;
}

/* glibc on 64-bit targets: mmap64 is mmap. */
EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
		    off_t off) __attribute__((alias("mmap")));

EXPORT int munmap(void *p, size_t len)
{
	if (!ready())
		return (int)syscall(SYS_munmap, p, len);
	struct ovc_tc *t = map_counting();
	int saved = errno;
	/* Probed before the real munmap: afterwards the pages are gone. */
	if (mapping_on(t))
		ovc_map_removed(p, len);
	errno = saved;
	int r = ovc_real.munmap(p, len);
	if (t) {
		saved = errno;
		count_map(t, OVC_MFN_MUNMAP, r != 0, len);
		errno = saved;
	}
	return r;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *target = NULL;
	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		target = va_arg(ap, void *);
		va_end(ap);
	}
	if (!ready()) {
		long r = syscall(SYS_mremap, old, old_len, new_len, flags, target);
		if ((unsigned long)r > -4096ul) {
			errno = (int)-r;
			return MAP_FAILED;
		}
		return (void *)r;
	}
	struct ovc_tc *t = map_counting();
	int saved = errno;
	size_t kept = old_len;
	if (new_len < old_len && mapping_on(t)) {
		/* The tail goes away: probe it while it is there. */
		uintptr_t ps = (uintptr_t)ovc_page_size();
		uintptr_t cut = ((uintptr_t)old + new_len + ps - 1) & ~(ps - 1);
		uintptr_t end = ((uintptr_t)old + old_len + ps - 1) & ~(ps - 1);
		if (cut < end)
			ovc_map_removed((void *)cut, end - cut);
		kept = cut - (uintptr_t)old;
	}
	errno = saved;
	void *q = OVC_REAL_LATER(mremap)(old, old_len, new_len, flags, target);
	if (t) {
		saved = errno;
		count_map(t, OVC_MFN_MREMAP, q == MAP_FAILED, new_len);
		if (q != MAP_FAILED && mapping_on(t))
			ovc_map_moved(old, kept, q, new_len);
		errno = saved;
	}
	return q;
}

EXPORT int mprotect(void *p, size_t len, int prot)
{
	if (!ready())
		return (int)syscall(SYS_mprotect, p, len, prot);
	struct ovc_tc *t = map_counting();
	int r = ovc_real.mprotect(p, len, prot);
	if (t) {
		int saved = errno;
		count_map(t, OVC_MFN_MPROTECT, r != 0, len);
		if (r == 0 && mapping_on(t))
			ovc_map_protected(p, len, prot);
		errno = saved;
	}
	return r;
}

/* madvise: MADV_FREE'd pages stay resident until the kernel reclaims them;
 * lazyfree.c keeps the ranges so that probes do not count them as
 * touched. (posix_madvise cannot free lazily: glibc passes only the
 * POSIX_MADV_* advice, and ignores POSIX_MADV_DONTNEED.) */
EXPORT int madvise(void *p, size_t len, int advice)
{
	if (!ready())
		return (int)syscall(SYS_madvise, p, len, advice);
	int r = OVC_REAL_LATER(madvise)(p, len, advice);
	if (r == 0 && OVC_LIKELY(!ovc_tls_guard)) {
		int saved = errno;
		ovc_tls_guard++;
		ovc_lazy_advised(p, len, advice);
		ovc_tls_guard--;
		errno = saved;
	}
	return r;
}
