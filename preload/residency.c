/* Touched bytes of an address range, asked of the kernel: PAGEMAP_SCAN on
 * /proc/self/pagemap (Linux 6.7+; it skips unpopulated page tables, so an
 * untouched GiB costs microseconds), else mincore(2). */
#include "core.h"

#include <errno.h>
#include <sys/ioctl.h>

/* struct ovc_page_region and OVC_PAGE_IS_*: ovc/pagemap-scan.h (core.h). */

/* Threads probe at once (frees in different shards of the block table,
 * the ticker): the descriptor and the flag are read and set atomically. */
static int pagemap_fd = -1;
static int scan_broken; /* the ioctl is not supported: use mincore */

static int pagemap(void)
{
	int fd;
	if (ovc_sampler_fd(OVC_FD_PAGEMAP, &fd))
		return fd;
	fd = __atomic_load_n(&pagemap_fd, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;
	fd = ovc_open_high("/proc/self/pagemap", 900);
	if (fd < 0)
		return -1;
	int none = -1;
	if (!__atomic_compare_exchange_n(&pagemap_fd, &none, fd, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		ovc_sys_close(fd); /* another thread opened it first */
		return none;
	}
	return fd;
}

/* Sums present and swapped pages of [lo, hi) with PAGEMAP_SCAN; -1 when the
 * ioctl cannot be used, -2 when there is no descriptor to use it on now
 * (the sampler process may not open one: the program's thread will).
 * Pages that map the shared zero page (read, never
 * written) are not counted: they cost no memory. */
static int64_t scan(uintptr_t lo, uintptr_t hi)
{
	struct ovc_page_region vec[64];
	int64_t total = 0;
	for (int attempt = 0; lo < hi;) {
		int fd = pagemap();
		if (fd < 0)
			return -2;
		struct ovc_pm_scan_arg a = {
			.size = sizeof a,
			.start = lo,
			.end = hi,
			.vec = (uintptr_t)vec,
			.vec_len = 64,
			.category_inverted = OVC_PAGE_IS_PFNZERO,
			.category_mask = OVC_PAGE_IS_PFNZERO,
			.category_anyof_mask = OVC_PAGE_IS_PRESENT | OVC_PAGE_IS_SWAPPED,
			.return_mask = OVC_PAGE_IS_PRESENT | OVC_PAGE_IS_SWAPPED,
		};
		long n = ovc_sys_ioctl(fd, OVC_PAGEMAP_SCAN, &a);
		if (n < 0) {
			if (n == -EINTR)
				continue;
			/* The program may have closed or replaced our descriptor:
			 * open it again once before giving up on the ioctl. */
			if ((n == -EBADF || n == -ENOTTY) && attempt++ == 0) {
				if (!ovc_in_sampler())
					__atomic_compare_exchange_n(
						&pagemap_fd, &fd, -1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
				continue;
			}
			return -1;
		}
		for (long i = 0; i < n; i++)
			total += (int64_t)(vec[i].end - vec[i].start);
		if (a.walk_end <= lo)
			break;
		lo = (uintptr_t)a.walk_end;
	}
	return total;
}

static int64_t by_mincore(uintptr_t lo, uintptr_t hi, long ps)
{
	unsigned char vec[4096];
	int64_t total = 0;
	while (lo < hi) {
		size_t pages = (hi - lo) / (uintptr_t)ps;
		if (pages > sizeof vec)
			pages = sizeof vec;
		if (ovc_sys_mincore((void *)lo, pages * (size_t)ps, vec) != 0)
			return total;
		for (size_t i = 0; i < pages; i++)
			total += (vec[i] & 1) ? ps : 0;
		lo += pages * (uintptr_t)ps;
	}
	return total;
}

int ovc_pagemap_fd(void)
{
	return __atomic_load_n(&pagemap_fd, __ATOMIC_ACQUIRE);
}

int64_t ovc_probe_range(uintptr_t lo, uintptr_t hi)
{
	long ps = ovc_page_size();
	lo = (lo + (uintptr_t)ps - 1) & ~((uintptr_t)ps - 1);
	hi &= ~((uintptr_t)ps - 1);
	int64_t r = 0;
	if (lo < hi) {
		r = -1;
		if (!__atomic_load_n(&scan_broken, __ATOMIC_RELAXED)) {
			r = scan(lo, hi);
			if (r == -1)
				__atomic_store_n(&scan_broken, 1, __ATOMIC_RELAXED);
		}
		if (r < 0)
			r = by_mincore(lo, hi, ps);
	}
	return r;
}

void ovc_probe_init(void)
{
	pagemap();
}

void ovc_probe_fork_child(void)
{
	/* /proc/self/pagemap opened by the parent still describes the parent;
	 * the descriptor is close-on-exec and left alone (the child may have
	 * put a file of its own at that number). Opened again now, while the
	 * child has one thread: later, an open's moment on the lowest free
	 * descriptor could meet the program's dup2 (EBUSY). */
	__atomic_store_n(&pagemap_fd, -1, __ATOMIC_RELAXED);
	ovc_probe_init();
}
