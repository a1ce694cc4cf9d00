/* Finds the real allocation functions with dlsym(RTLD_NEXT) and serves the
 * allocations dlsym makes before they are known from a static buffer. */
#include "boot.h"
#include "log.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

struct ovc_real ovc_real;
bool ovc_booted;

/* dlsym calls calloc for its error buffer (glibc's dlerror machinery) and
 * libc may allocate during the first lookups: 64 KiB covers them many times
 * over. Blocks carry their size in a 16-byte header; they are never freed. */
char ovc_boot_buf[OVC_BOOT_BYTES] __attribute__((aligned(64))) OVC_TABLE("boot");
#define boot_buf ovc_boot_buf
static size_t boot_used;
static __thread int boot_busy;

void *ovc_boot_alloc(size_t size, size_t align)
{
	if (align < 16)
		align = 16;
	if (align > 4096 || (align & (align - 1)))
		return NULL;
	size_t old = __atomic_load_n(&boot_used, __ATOMIC_RELAXED);
	for (;;) {
		size_t start = (old + 16 + align - 1) & ~(align - 1);
		if (size > sizeof boot_buf || start + size > sizeof boot_buf)
			return NULL;
		size_t end = (start + size + 15) & ~(size_t)15;
		if (__atomic_compare_exchange_n(&boot_used, &old, end, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			memcpy(boot_buf + start - sizeof(size_t), &size, sizeof size);
			return boot_buf + start;
		}
	}
}

size_t ovc_boot_size(const void *p)
{
	size_t n;
	memcpy(&n, (const char *)p - sizeof n, sizeof n);
	return n;
}

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

bool ovc_boot(void)
{
	if (ovc_booted)
		return true;
	if (boot_busy)
		return false;
	boot_busy = 1;
	struct ovc_real r;
	/* POSIX allows converting dlsym's object pointer to a function pointer;
	 * the union keeps -Wpedantic quiet. */
#define RESOLVE(field, name)                                                   \
	do {                                                                   \
		void *sym_ = next(name);                                       \
		memcpy(&r.field, &sym_, sizeof sym_);                          \
	} while (0)
	RESOLVE(malloc, "malloc");
	RESOLVE(calloc, "calloc");
	RESOLVE(realloc, "realloc");
	RESOLVE(reallocarray, "reallocarray");
	RESOLVE(free, "free");
	RESOLVE(posix_memalign, "posix_memalign");
	RESOLVE(aligned_alloc, "aligned_alloc");
	RESOLVE(memalign, "memalign");
	RESOLVE(valloc, "valloc");
	RESOLVE(pvalloc, "pvalloc");
	RESOLVE(malloc_usable_size, "malloc_usable_size");
	RESOLVE(exit_, "_exit");
	RESOLVE(Exit_, "_Exit");
	RESOLVE(execve, "execve");
	RESOLVE(fexecve, "fexecve");
	RESOLVE(mmap, "mmap");
	RESOLVE(munmap, "munmap");
	RESOLVE(mprotect, "mprotect");
	/* the others at their first call: ovc_boot_later_all lists them */
#undef RESOLVE
	boot_busy = 0;
	if (!r.malloc || !r.calloc || !r.realloc || !r.free ||
	    !r.posix_memalign || !r.memalign || !r.malloc_usable_size) {
		ovc_warn_once(OVC_WARN_BOOT,
			      "cannot find the real malloc functions with dlsym; "
			      "allocations cannot be served");
		return false;
	}
	ovc_real = r;
	__atomic_store_n(&ovc_booted, true, __ATOMIC_RELEASE);
	return true;
}

void *ovc_boot_later(void **slot, const char *name)
{
	int saved = errno;
	void *sym = next(name);
	errno = saved;
	if (sym)
		__atomic_store_n(slot, sym, __ATOMIC_RELEASE);
	return sym;
}

void ovc_boot_later_all(void)
{
	(void)OVC_REAL_LATER(execvpe);
	(void)OVC_REAL_LATER(posix_spawn);
	(void)OVC_REAL_LATER(posix_spawnp);
	(void)OVC_REAL_LATER(mremap);
	(void)OVC_REAL_LATER(madvise);
	(void)OVC_REAL_LATER(pthread_create);
	(void)OVC_REAL_LATER(pthread_exit);
}

bool ovc_glibc_chunks;
bool ovc_glibc_layout;

bool ovc_module_of(const void *addr, const char **name, const void **base)
{
#ifdef DLFO_EH_SEGMENT_TYPE
	/* glibc 2.35+: a binary search over the loaded objects. dladdr also
	 * looks for the nearest symbol, walking the module's whole symbol
	 * table (libc's has thousands): five calls of it were tens of
	 * microseconds of every process's start. */
	struct dl_find_object fo;
	if (_dl_find_object((void *)addr, &fo) != 0 || !fo.dlfo_link_map)
		return false;
	*name = fo.dlfo_link_map->l_name;
	*base = fo.dlfo_map_start;
#else
	Dl_info info;
	if (!dladdr(addr, &info))
		return false;
	*name = info.dli_fname;
	*base = info.dli_fbase;
#endif
	return *name != NULL;
}

/* The names of the loaded objects after the program, in load order (the
 * order of the global scope at start). */
struct objects {
	const char *name[64];
	int n;
};

static int list_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct objects *o = arg;
	if (info->dlpi_name && info->dlpi_name[0] &&
	    o->n < (int)(sizeof o->name / sizeof o->name[0]))
		o->name[o->n++] = info->dlpi_name;
	return 0;
}

/* The load base of the module whose malloc a call through the program's
 * PLT reaches, when the program's own "malloc" is an undefined symbol
 * with an address (a program built without PIE that takes malloc's
 * address, as python3 does: the address of its PLT stub); NULL when none
 * is found. dlsym(RTLD_DEFAULT) answers that stub; the loader binds the
 * calls to the first object after the program that defines malloc
 * itself. dlopen and dlsym run outside dl_iterate_phdr, which holds a
 * lock of the loader's. */
static const void *past_plt_stub(void)
{
	struct objects o = {.n = 0};
	dl_iterate_phdr(list_object, &o);
	for (int i = 0; i < o.n; i++) {
		void *h = dlopen(o.name[i], RTLD_LAZY | RTLD_NOLOAD);
		if (!h)
			continue; /* the vDSO */
		void *fn = dlsym(h, "malloc");
		dlclose(h);
		const char *name;
		const void *base;
		if (fn && ovc_module_of(fn, &name, &base) &&
		    strcmp(name, o.name[i]) == 0)
			return base; /* its own, not a dependency's */
	}
	return NULL;
}

bool ovc_boot_glibc_malloc(void)
{
	if (!ovc_booted)
		return false;
	void *next_fn, *first_fn = dlsym(RTLD_DEFAULT, "malloc");
	memcpy(&next_fn, &ovc_real.malloc, sizeof next_fn);
	const char *next, *first, *self;
	const void *next_base, *first_base, *self_base;
	if (!first_fn || !ovc_module_of(first_fn, &first, &first_base))
		return false;
	Dl_info info;
	const ElfW(Sym) *sym = NULL;
	if (!first[0] && dladdr1(first_fn, &info, (void **)&sym, RTLD_DL_SYMENT) &&
	    sym && sym->st_shndx == SHN_UNDEF)
		first_base = past_plt_stub();
	return first_base && ovc_module_of(next_fn, &next, &next_base) &&
	       strstr(next, "/libc.so.") &&
	       ovc_module_of((void *)ovc_boot, &self, &self_base) &&
	       first_base == self_base;
}

bool ovc_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");
	return preload && strstr(preload, "/vgpreload_");
}

/* Whether glibc's chunk header rule gives what malloc_usable_size says is
 * checked on the program's own first blocks, not on blocks ovc would make
 * for it: freeing a mapped chunk of ovc's (the check did one of 300,000 B)
 * raised glibc's mmap threshold for the whole program, and heap blocks made
 * only for the check were most of the check's cost at start. */
enum { CHUNKS_NO = 0, CHUNKS_VOTES = 8, CHUNKS_TRUSTED = 100 };
static uint32_t chunk_state; /* CHUNKS_NO, a count of blocks to agree, or TRUSTED */

void ovc_boot_check_chunks(void)
{
	/* Under valgrind, glibc's malloc is valgrind's, and reading in front
	 * of a block is an error it reports. */
	if (!ovc_booted || ovc_valgrind())
		return;
	/* Only glibc's chunks have that header: another allocator (jemalloc
	 * after us, a sanitizer's) may not even have a readable word there. */
	const char *name;
	const void *base;
	void *fn;
	memcpy(&fn, &ovc_real.malloc, sizeof fn);
	if (!ovc_module_of(fn, &name, &base) || !strstr(name, "/libc.so."))
		return;
	__atomic_store_n(&chunk_state, CHUNKS_VOTES, __ATOMIC_RELAXED);
	ovc_glibc_layout = true;
}

size_t ovc_usable_slow(void *p)
{
	size_t n = ovc_real.malloc_usable_size(p);
	uint32_t v = __atomic_load_n(&chunk_state, __ATOMIC_RELAXED);
	if (v == CHUNKS_NO || v == CHUNKS_TRUSTED)
		return n;
	size_t head = ((const size_t *)p)[-1];
	if (head & 2)
		return n; /* mapped: the fast rule leaves these to glibc */
	if ((head & ~(size_t)7) - sizeof(size_t) != n) {
		/* Not glibc's layout after all: never trusted. Stored after
		 * the state, so a vote that trusted it meanwhile is undone. */
		__atomic_store_n(&chunk_state, CHUNKS_NO, __ATOMIC_RELAXED);
		__atomic_store_n(&ovc_glibc_layout, false, __ATOMIC_RELAXED);
		__atomic_store_n(&ovc_glibc_chunks, false, __ATOMIC_RELEASE);
		return n;
	}
	if (__atomic_compare_exchange_n(&chunk_state, &v,
					v == 1 ? CHUNKS_TRUSTED : v - 1, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED) &&
	    v == 1) {
		__atomic_store_n(&ovc_glibc_chunks, true, __ATOMIC_RELEASE);
		if (__atomic_load_n(&chunk_state, __ATOMIC_RELAXED) == CHUNKS_NO)
			__atomic_store_n(&ovc_glibc_chunks, false, __ATOMIC_RELEASE);
	}
	return n;
}
