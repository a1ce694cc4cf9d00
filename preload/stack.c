/* Call stacks and sites: libunwind captures the return addresses, a uthash
 * table in ovc's own memory deduplicates them into sites, and the loaded
 * modules (path, build id, load address) are logged so the CLI can
 * symbolize after the process is gone.
 *
 * libunwind is loaded with dlopen(RTLD_LOCAL), not linked: linked, its
 * exported backtrace and _Unwind_* functions would stand in the program's
 * global scope in front of glibc's and libgcc's. With glibc's malloc it is
 * loaded at the first capture, so that a short-lived process that never
 * captures does not pay for it (about 0.1 ms). With another allocator
 * (jemalloc, tcmalloc, mimalloc, linked or preloaded) it is loaded by the
 * constructor: such an allocator calls mmap while it holds a lock of its
 * own, ovc's mmap hook captures a stack there, and dlopen allocates through
 * that same allocator (issue 19: jemalloc deadlocked on its own mutex).
 * For the same reason a capture from the mmap family's hooks under such an
 * allocator steps frame by frame (unw_init_local, unw_step: no allocation)
 * instead of calling unw_backtrace, whose per-thread cache lives in
 * libunwind's thread-local storage, which glibc allocates with malloc at a
 * thread's first use (and again after the program dlopens a library with
 * thread-local storage). */
#include "account.h"
#include "arena.h"
#include "base.h"
#include "boot.h"
#include "fmt.h"
#include "log.h"
#include "stack.h"
#include "unwind.h"

#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <dlfcn.h>

#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
/* Only the types and the exported names: libunwind is not linked. */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#define OVC_UNW_STEPS 1
#define OVC_STR_(x) #x
#define OVC_STR(x) OVC_STR_(x)
#endif

/* uthash's memory is ovc's own (stack.h); a failed allocation leaves the
 * table as it was and the caller goes without a site. */
bool ovc_hash_oom;

struct ovc_module {
	int id;
	uintptr_t base, lo, hi;
};

#define MAX_MODULES 4096
static struct ovc_module mods[MAX_MODULES] OVC_TABLE("stack"); /* sorted by lo */
static int n_mods;
static int next_mod_id;
static uintptr_t self_lo, self_hi;

static struct ovc_site *sites;
static uint32_t next_site_id;

/* ---- modules ---- */

static void write_module(int id, const char *path, uintptr_t base,
			 uintptr_t lo, uintptr_t hi, const unsigned char *bid,
			 size_t bid_len)
{
	static const char hex[] = "0123456789abcdef";
	/* Sized by the path (six bytes for each escaped one) and the build
	 * id: deeper stack pages are first touches in a short program. No
	 * more than before, 4.5 KiB: a path that needs more is not written. */
	size_t path_len = strnlen(path, 4096);
	size_t cap = path_len * 6 + 512 < 4096 + 512 ? path_len * 6 + 512 : 4096 + 512;
	char line[cap];
	struct ovc_buf b;
	ovc_buf_record(&b, line, sizeof line, OVC_REC_MODULE);
	ovc_buf_key_u64(&b, "id", (uint64_t)id);
	ovc_buf_key(&b, "path");
	ovc_buf_jstr(&b, path, path_len);
	ovc_buf_key_u64(&b, "base", base);
	ovc_buf_key_u64(&b, "lo", lo);
	ovc_buf_key_u64(&b, "hi", hi);
	ovc_buf_key(&b, "build_id");
	ovc_buf_raw(&b, "\"");
	for (size_t i = 0; i < bid_len && i < 64; i++) {
		char h[2] = {hex[bid[i] >> 4], hex[bid[i] & 15]};
		ovc_buf_rawn(&b, h, 2);
	}
	ovc_buf_raw(&b, "\"}\n");
	ovc_record_write(&b);
}

/* The GNU build id in the PT_NOTE segments of a loaded object. */
const unsigned char *ovc_build_id(struct dl_phdr_info *info, size_t *len)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		const char *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			const char *name = p + sizeof *nh;
			const unsigned char *desc =
				(const unsigned char *)name + ((nh->n_namesz + 3) & ~3u);
			if ((const char *)desc + nh->n_descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(name, "GNU", 4) == 0) {
				*len = nh->n_descsz;
				return desc;
			}
			p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	*len = 0;
	return NULL;
}

struct scan_ctx {
	int n; /* first: in the page of the first modules, not one of its own */
	struct ovc_module fresh[MAX_MODULES];
};

static struct scan_ctx scan_buf OVC_TABLE("stack"); /* under the site lock */

/* The address range [*LO, *HI) of a loaded object's PT_LOAD segments
 * (empty, LO >= HI, when it has none). */
static void load_range(const struct dl_phdr_info *info, uintptr_t *lo,
		       uintptr_t *hi)
{
	*lo = UINTPTR_MAX;
	*hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t s = info->dlpi_addr + ph->p_vaddr;
		if (s < *lo)
			*lo = s;
		if (s + ph->p_memsz > *hi)
			*hi = s + ph->p_memsz;
	}
}

static int on_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct scan_ctx *c = arg;
	uintptr_t lo, hi;
	load_range(info, &lo, &hi);
	if (lo >= hi || c->n >= MAX_MODULES)
		return 0;
	/* A module keeps its id while it stays at the same place. */
	int id = -1;
	for (int i = 0; i < n_mods; i++)
		if (mods[i].lo == lo && mods[i].hi == hi &&
		    mods[i].base == info->dlpi_addr) {
			id = mods[i].id;
			break;
		}
	if (id < 0) {
		id = next_mod_id++;
		const char *path = info->dlpi_name;
		char exe[4096];
		if (!path || !*path) {
			ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
			exe[n > 0 ? n : 0] = '\0';
			path = exe;
		}
		size_t bl;
		const unsigned char *bid = ovc_build_id(info, &bl);
		write_module(id, path, info->dlpi_addr, lo, hi, bid, bl);
	}
	struct ovc_module *m = &c->fresh[c->n++];
	m->id = id;
	m->base = info->dlpi_addr;
	m->lo = lo;
	m->hi = hi;
	return 0;
}

static int by_lo(const void *a, const void *b)
{
	const struct ovc_module *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Re-reads the list of loaded objects (after dlopen or dlclose) and logs
 * the ones not seen before. Under the site lock. */
static void refresh_modules(void)
{
	ovc_unwind_refresh();
	scan_buf.n = 0;
	dl_iterate_phdr(on_object, &scan_buf);
	/* insertion sort: the list is short and nearly sorted */
	for (int i = 1; i < scan_buf.n; i++) {
		struct ovc_module m = scan_buf.fresh[i];
		int j = i;
		while (j > 0 && by_lo(&scan_buf.fresh[j - 1], &m) > 0) {
			scan_buf.fresh[j] = scan_buf.fresh[j - 1];
			j--;
		}
		scan_buf.fresh[j] = m;
	}
	memcpy(mods, scan_buf.fresh, (size_t)scan_buf.n * sizeof mods[0]);
	n_mods = scan_buf.n;
}

static const struct ovc_module *module_of(uintptr_t ip)
{
	int lo = 0, hi = n_mods - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (ip < mods[mid].lo)
			hi = mid - 1;
		else if (ip >= mods[mid].hi)
			lo = mid + 1;
		else
			return &mods[mid];
	}
	return NULL;
}

/* ---- capture ---- */

enum { UNW_NONE, UNW_LOADING, UNW_READY, UNW_MISSING };
static int unwind_state;
static int (*unw_bt)(void **, int);
#ifdef OVC_UNW_STEPS
static int (*unw_ctx)(unw_context_t *);
static int (*unw_init)(unw_cursor_t *, unw_context_t *);
static int (*unw_next)(unw_cursor_t *);
static int (*unw_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
#endif
/* The program allocates with something else than glibc's malloc: libunwind
 * is loaded by the constructor, and the mmap family steps (see the top). */
static bool foreign_alloc;

/* libunwind's own range: the mappings it makes and frees for its caches
 * (munmap from a thread-exit destructor) are ovc's, not the program's. */
static uintptr_t unwinder_lo, unwinder_hi;

bool ovc_stack_is_unwinder(uintptr_t pc)
{
	return pc >= __atomic_load_n(&unwinder_lo, __ATOMIC_RELAXED) &&
	       pc < __atomic_load_n(&unwinder_hi, __ATOMIC_RELAXED);
}

/* Finds the loaded object holding address *ARG and stores its range in
 * ARG[1], ARG[2]. */
static int find_range(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	uintptr_t *a = arg, lo, hi;
	load_range(info, &lo, &hi);
	if (lo <= a[0] && a[0] < hi) {
		a[1] = lo;
		a[2] = hi;
		return 1;
	}
	return 0;
}

/* The function NAME of libunwind (handle H) into *FN; false when missing. */
static bool unw_sym(void *h, const char *name, void *fn)
{
	void *sym = dlsym(h, name);
	memcpy(fn, &sym, sizeof sym);
	return sym != NULL;
}

/* Loads libunwind once. A thread that finds another one loading it goes
 * without a stack rather than wait: the loader may hold locks the other
 * thread waits for. */
static bool unwind_ready(void)
{
#ifdef __SANITIZE_THREAD__
	/* libunwind is not instrumented, and its per-thread cache is freed by
	 * a TSD destructor that runs after TSan tore down the thread: the
	 * ThreadSanitizer build tracks blocks with empty stacks instead. */
	return false;
#endif
	int s = __atomic_load_n(&unwind_state, __ATOMIC_ACQUIRE);
	if (OVC_LIKELY(s == UNW_READY))
		return true;
	if (s != UNW_NONE ||
	    !__atomic_compare_exchange_n(&unwind_state, &s, UNW_LOADING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return false;
	uintptr_t self[3] = {(uintptr_t)ovc_stack_capture, 0, 0};
	dl_iterate_phdr(find_range, self);
	self_lo = self[1];
	self_hi = self[2];
	void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	if (!h || !unw_sym(h, "unw_backtrace", &unw_bt)) {
		ovc_warn_once(OVC_WARN_UNWIND,
			      "cannot load libunwind.so.8 (apt-get install "
			      "libunwind8): sites have no call stacks");
		__atomic_store_n(&unwind_state, UNW_MISSING, __ATOMIC_RELEASE);
		return false;
	}
#ifdef OVC_UNW_STEPS
	/* The names libunwind.h maps unw_getcontext and friends to. */
	if (!unw_sym(h, OVC_STR(unw_tdep_getcontext), &unw_ctx) ||
	    !unw_sym(h, OVC_STR(unw_init_local), &unw_init) ||
	    !unw_sym(h, OVC_STR(unw_step), &unw_next) ||
	    !unw_sym(h, OVC_STR(unw_get_reg), &unw_reg))
		unw_ctx = NULL;
#endif
	void *sym;
	memcpy(&sym, &unw_bt, sizeof sym);
	uintptr_t range[3] = {(uintptr_t)sym, 0, 0};
	dl_iterate_phdr(find_range, range);
	__atomic_store_n(&unwinder_hi, range[2], __ATOMIC_RELAXED);
	__atomic_store_n(&unwinder_lo, range[1], __ATOMIC_RELAXED);
	__atomic_store_n(&unwind_state, UNW_READY, __ATOMIC_RELEASE);
	return true;
}

#ifdef OVC_UNW_STEPS
/* The return addresses of the stack, frame by frame: libunwind's global
 * caches only (its own lock, mmap for its pools), no thread-local storage
 * and no malloc. */
static int __attribute__((noinline)) step_trace(void **raw, int want)
{
	unw_context_t uc;
	unw_cursor_t cur;
	if (!unw_ctx || unw_ctx(&uc) != 0 || unw_init(&cur, &uc) != 0)
		return 0;
	int n = 0;
	while (n < want) {
		unw_word_t ip;
		if (unw_reg(&cur, UNW_REG_IP, &ip) < 0 || !ip)
			break;
		raw[n++] = (void *)ip;
		if (unw_next(&cur) <= 0)
			break;
	}
	return n;
}
#endif

void ovc_stack_init(void)
{
	/* ovc's own range (its frames are dropped from every stack) and the
	 * modules' unwind rules, for captures that need no libunwind. */
	uintptr_t self[3] = {(uintptr_t)ovc_stack_capture, 0, 0};
	dl_iterate_phdr(find_range, self);
	self_lo = self[1];
	self_hi = self[2];
	foreign_alloc = !ovc_boot_glibc_malloc();
	if (!foreign_alloc)
		return; /* the unwind tables: at the first capture */
	/* Another allocator may hold its lock at a capture, where nothing
	 * may be made: the tables and libunwind now. */
	ovc_unwind_refresh();
	if (!unwind_ready())
		return;
#ifdef OVC_UNW_STEPS
	/* libunwind's one-time set-up (its pools, its address-space cache)
	 * now, while no allocator lock is held. */
	void *raw[4];
	step_trace(raw, 4);
#endif
}

int ovc_stack_capture(uintptr_t *ips, int max, bool may_alloc)
{
	void *raw[OVC_MAX_FRAMES + 8];
	int want = max + 8 < (int)(sizeof raw / sizeof raw[0]) ? max + 8
							       : (int)(sizeof raw / sizeof raw[0]);
	int n;
	struct ovc_tc *t = ovc_tls_tc;
	/* The hint the site lookup after this capture takes (ovc_site_recent,
	 * with the same thread's counters): the unwinder sets it again where
	 * a kept stack gave the frames. */
	if (t)
		t->site_hint = NULL;
	if (t && (n = ovc_unwind_fast(t, raw, want)) >= 0)
		goto own_frames;
	/* No table yet, or a module loaded since it was made: read the list
	 * (where no lock of another allocator may be held) and try again. */
	if ((may_alloc || !foreign_alloc) && ovc_unwind_wants_refresh()) {
		ovc_unwind_refresh();
		if (t && (n = ovc_unwind_fast(t, raw, want)) >= 0)
			goto own_frames;
	}
	if (may_alloc || !foreign_alloc) {
		if (!unwind_ready())
			return 0;
		n = unw_bt(raw, want);
	} else {
		/* Never load here: the allocator may hold its lock. */
		if (__atomic_load_n(&unwind_state, __ATOMIC_ACQUIRE) != UNW_READY)
			return 0;
#ifdef OVC_UNW_STEPS
		n = step_trace(raw, want);
#else
		return 0;
#endif
	}
own_frames:;
	/* Drop ovc's own frames (the hook and the core): frame 0 is the code
	 * that called the allocation function. */
	int skip = 0;
	while (skip < n && (uintptr_t)raw[skip] >= self_lo &&
	       (uintptr_t)raw[skip] < self_hi)
		skip++;
	int out = 0;
	for (int i = skip; i < n && out < max; i++)
		ips[out++] = (uintptr_t)raw[i];
	return out;
}

static void write_site(const struct ovc_site *s)
{
	/* Sized by the frames it has, not the most a stack may have: the
	 * stack pages below a short program's own are first touches. */
	char line[(size_t)s->n * 48 + 128];
	struct ovc_buf b;
	ovc_buf_record(&b, line, sizeof line, OVC_REC_SITE);
	ovc_buf_key_u64(&b, "id", s->id);
	ovc_buf_key(&b, "frames");
	ovc_buf_raw(&b, "[");
	for (int i = 0; i < s->n; i++) {
		const struct ovc_module *m = module_of(s->ips[i]);
		if (!m) {
			refresh_modules();
			m = module_of(s->ips[i]);
		}
		if (i)
			ovc_buf_raw(&b, ",");
		ovc_buf_raw(&b, "[");
		if (m) {
			ovc_buf_u64(&b, (uint64_t)m->id);
			ovc_buf_raw(&b, ",");
			ovc_buf_u64(&b, s->ips[i] - m->base);
		} else {
			ovc_buf_raw(&b, "-1,");
			ovc_buf_u64(&b, s->ips[i]);
		}
		ovc_buf_raw(&b, "]");
	}
	ovc_buf_raw(&b, "]");
	if (s->kind != OVC_KIND_MALLOC) {
		ovc_buf_key(&b, "kind");
		ovc_buf_raw(&b, s->kind == OVC_KIND_MMAP ? "\"mmap\"" : "\"mapped\"");
	}
	ovc_buf_raw(&b, "}\n");
	ovc_record_write(&b);
}

/* The key of a site is its frames followed by its kind: one stack that
 * both mallocs and maps makes two sites. Builds it in BUF (OVC_MAX_FRAMES
 * + 1 words) and returns its length in bytes. */
static size_t site_key(uintptr_t *buf, const uintptr_t *ips, int *n,
		       enum ovc_site_kind kind)
{
	if (*n > OVC_MAX_FRAMES)
		*n = OVC_MAX_FRAMES;
	memcpy(buf, ips, (size_t)*n * sizeof ips[0]);
	buf[*n] = (uintptr_t)kind;
	return ((size_t)*n + 1) * sizeof ips[0];
}

/* Slots of a thread's recent sites: a direct-mapped cache by key hash. */
#define RECENT 1024

struct ovc_site *ovc_site_recent(struct ovc_tc *t, const uintptr_t *ips,
				 int n, enum ovc_site_kind kind)
{
	/* The same frames as the capture the hint was left by: its site,
	 * unless that was of another kind. */
	struct ovc_site *s = t->site_hint ? *t->site_hint : NULL;
	if (s && s->kind == kind && __atomic_load_n(&s->written, __ATOMIC_RELAXED))
		return s;
	if (!t->recent)
		return NULL;
	uintptr_t key_buf[OVC_MAX_FRAMES + 1];
	size_t key = site_key(key_buf, ips, &n, kind);
	unsigned h = ovc_words_hash(key_buf, key);
	s = t->recent[h & (RECENT - 1)];
	if (!s || s->hh.hashv != h || s->n != n ||
	    memcmp(s->ips, key_buf, key) != 0 ||
	    !__atomic_load_n(&s->written, __ATOMIC_RELAXED))
		return NULL;
	if (t->site_hint)
		*t->site_hint = s;
	return s;
}

struct ovc_site *ovc_site_remember(struct ovc_tc *t, struct ovc_site *s)
{
	if (!s)
		return NULL;
	if (!t->recent)
		t->recent = ovc_arena_alloc(RECENT * sizeof *t->recent);
	if (t->recent)
		t->recent[s->hh.hashv & (RECENT - 1)] = s;
	if (t->site_hint)
		*t->site_hint = s;
	return s;
}

struct ovc_site *ovc_site_get(const uintptr_t *ips, int n,
			      enum ovc_site_kind kind)
{
	uintptr_t key_buf[OVC_MAX_FRAMES + 1];
	size_t key = site_key(key_buf, ips, &n, kind);
	struct ovc_site *s;
	HASH_FIND(hh, sites, key_buf, key, s);
	if (s) {
		if (!s->written) {
			write_site(s);
			__atomic_store_n(&s->written, true, __ATOMIC_RELAXED);
		}
		return s;
	}
	s = ovc_arena_alloc(sizeof *s + key);
	if (!s)
		return NULL;
	s->id = next_site_id++;
	s->n = n;
	s->kind = (uint8_t)kind;
	memcpy(s->ips, key_buf, key);
	ovc_hash_oom = false;
	HASH_ADD_KEYPTR(hh, sites, s->ips, key, s);
	if (ovc_hash_oom)
		return NULL;
	write_site(s);
	__atomic_store_n(&s->written, true, __ATOMIC_RELAXED);
	return s;
}

struct ovc_site *ovc_site_first(void)
{
	return sites;
}

struct ovc_site *ovc_site_next(struct ovc_site *s)
{
	return s->hh.next;
}

void ovc_stack_fork_child(void)
{
	ovc_unwind_fork_child();
	/* The child's log has seen no module and no site yet. */
	n_mods = 0;
	for (struct ovc_site *s = sites; s; s = s->hh.next)
		__atomic_store_n(&s->written, false, __ATOMIC_RELAXED);
	refresh_modules();
}
