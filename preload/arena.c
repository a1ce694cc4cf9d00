/* ovc's own memory: mmap'd chunks carved by a bump pointer, never from the
 * hooked functions and never returned. */
#include "arena.h"
#include "lock.h"
#include "log.h"
#include "sys.h"

#include <string.h>
#include <sys/mman.h>

#define CHUNK (256 * 1024)

static struct ovc_lock arena_lock = OVC_LOCK_INIT;
static char *cur;
static size_t left;

/* Straight to the kernel: libovc.so exports mmap and munmap itself, so a
 * call by name from in here would land in its own hooks. */
static void *pages(size_t size, int flags)
{
	long r = ovc_sys_mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | flags);
	return (unsigned long)r > -4096ul ? NULL : (void *)r;
}

void *ovc_pages_alloc(size_t size)
{
	return pages(size, 0);
}

void *ovc_pages_alloc_present(size_t size)
{
	return pages(size, MAP_POPULATE);
}

void ovc_pages_free(void *p, size_t size)
{
	if (p)
		ovc_sys_munmap(p, size);
}

void *ovc_arena_alloc(size_t size)
{
	size = (size + 63) & ~(size_t)63;
	if (size > CHUNK)
		return ovc_pages_alloc(size);
	ovc_lock_take(&arena_lock);
	if (size > left) {
		char *c = ovc_pages_alloc(CHUNK);
		if (!c) {
			ovc_lock_give(&arena_lock);
			ovc_warn_once(OVC_WARN_ARENA,
				      "out of memory for ovc's own records; "
				      "some calls go uncounted");
			return NULL;
		}
		cur = c;
		left = CHUNK;
	}
	void *p = cur;
	cur += size;
	left -= size;
	ovc_lock_give(&arena_lock);
	return p;
}

void ovc_arena_release(void *p, size_t size)
{
	size = (size + 63) & ~(size_t)63;
	if (size > CHUNK)
		ovc_pages_free(p, size);
}

void ovc_arena_fork_prepare(void)
{
	ovc_lock_take(&arena_lock);
}

void ovc_arena_fork_parent(void)
{
	ovc_lock_give(&arena_lock);
}

void ovc_arena_fork_child(void)
{
	ovc_lock_reset(&arena_lock);
}
