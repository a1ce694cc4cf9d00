/* Layer 2, memory: the real functions behind the hooks and the bootstrap
 * buffer for dlsym's own calls (boot.c). Stands over the log (a boot that
 * fails warns through it), which needs neither. */
#ifndef OVC_PRELOAD_BOOT_H
#define OVC_PRELOAD_BOOT_H

#include <pthread.h>

#include "base.h"

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
	int (*madvise)(void *, size_t, int);
	int (*pthread_create)(pthread_t *, const pthread_attr_t *,
			      void *(*)(void *), void *);
	void (*pthread_exit)(void *) __attribute__((noreturn));
};

/** The next definitions of the hooked functions; valid once ovc_booted,
 * but for those read with OVC_REAL_LATER. */
extern struct ovc_real ovc_real OVC_HIDDEN;
/** True once every ovc_real pointer but OVC_REAL_LATER's is set. */
extern bool ovc_booted OVC_HIDDEN;

/** Finds the next definition of NAME for the ovc_real field at SLOT, once:
 * for the functions a short process seldom calls (each dlsym at start was
 * one or two microseconds of every process). Not for a function a signal
 * handler may call (execve, fexecve, _exit, mmap, munmap, mprotect): dlsym
 * is not async-signal-safe. A fork child does not need to look one up
 * while another thread of its parent held the loader's lock: the fork
 * handler finds them all first (ovc_boot_later_all). Errno untouched. */
void *ovc_boot_later(void **slot, const char *name) OVC_HIDDEN;
#define OVC_REAL_LATER(field)                                                  \
	({                                                                     \
		__typeof__(ovc_real.field) f_;                                 \
		void *s_ = __atomic_load_n((void **)&ovc_real.field,            \
					   __ATOMIC_ACQUIRE);                  \
		if (OVC_UNLIKELY(!s_))                                         \
			s_ = ovc_boot_later((void **)&ovc_real.field, #field); \
		memcpy(&f_, &s_, sizeof f_);                                   \
		f_;                                                            \
	})
/** Finds every OVC_REAL_LATER function not found yet (a fork handler). */
void ovc_boot_later_all(void) OVC_HIDDEN;

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

/** Usable size of block P of the real allocator. When the real allocator
 * is glibc's (and the program's first blocks agreed), read from the chunk
 * header in front of a heap block: malloc_usable_size also loads the next
 * chunk's header to check the block is in use, a cache miss the program
 * would not take. A mapped chunk (rare: 128 KiB and more) asks glibc. */
extern bool ovc_glibc_chunks OVC_HIDDEN;
/** Whether the real malloc is glibc's, from the start (its first blocks
 * have not voted yet): enough to read a chunk's IS_MMAPPED bit. */
extern bool ovc_glibc_layout OVC_HIDDEN;
/** malloc_usable_size, and a vote on the header rule while it is not yet
 * trusted. Hook-safe: no allocation, no lock. */
size_t ovc_usable_slow(void *p) OVC_HIDDEN;
static inline size_t ovc_usable(void *p)
{
	if (OVC_LIKELY(ovc_glibc_chunks)) {
		size_t head = ((const size_t *)p)[-1];
		if (OVC_LIKELY(!(head & 2)))
			return (head & ~(size_t)7) - sizeof(size_t);
	}
	return ovc_usable_slow(p);
}
/** Whether the program runs under valgrind (its preload is in LD_PRELOAD),
 * which replaces malloc and runs the program's system calls itself.
 * Reads the environment (getenv): not in the sampler process. */
bool ovc_valgrind(void) OVC_HIDDEN;
/** Whether the real malloc is glibc's: then the program's first blocks
 * vote on ovc_glibc_chunks (ovc_usable_slow). From the constructor only. */
void ovc_boot_check_chunks(void) OVC_HIDDEN;
/** The file name (the loader's l_name: "" for the program) and load base
 * of the module holding ADDR; false when none does. At start only. */
bool ovc_module_of(const void *addr, const char **name, const void **base) OVC_HIDDEN;
/** Whether the program's malloc is ovc's and the one after it glibc's: no
 * other allocator (linked, or preloaded before or after libovc.so) stands
 * in the way. Calls ovc_module_of and dlsym: at start only. */
bool ovc_boot_glibc_malloc(void) OVC_HIDDEN;

#endif
