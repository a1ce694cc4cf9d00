/* ovc's own memory: mmap'd chunks carved by a bump pointer, never from the
 * hooked functions and never returned. */
#include "core.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;
static char *cur;
static size_t left;

/* Straight to the kernel: libovc.so exports mmap and munmap itself, so a
 * call by name from in here would land in its own hooks. */
void *ovc_pages_alloc(size_t size)
{
	int saved = errno;
	long r = syscall(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	errno = saved;
	return (unsigned long)r > -4096ul ? NULL : (void *)r;
}

void ovc_pages_free(void *p, size_t size)
{
	int saved = errno;
	if (p)
		syscall(SYS_munmap, p, size);
	errno = saved;
}

void *ovc_arena_alloc(size_t size)
{
	size = (size + 63) & ~(size_t)63;
	if (size > CHUNK)
		return ovc_pages_alloc(size);
	pthread_mutex_lock(&arena_lock);
	if (size > left) {
		char *c = ovc_pages_alloc(CHUNK);
		if (!c) {
			pthread_mutex_unlock(&arena_lock);
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
	pthread_mutex_unlock(&arena_lock);
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
	pthread_mutex_lock(&arena_lock);
}

void ovc_arena_fork_parent(void)
{
	pthread_mutex_unlock(&arena_lock);
}

void ovc_arena_fork_child(void)
{
	pthread_mutex_init(&arena_lock, NULL);
}
