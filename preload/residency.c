/* Touched bytes of an address range, asked of the kernel: PAGEMAP_SCAN on
 * /proc/self/pagemap (Linux 6.7+; it skips unpopulated page tables, so an
 * untouched GiB costs microseconds), else mincore(2). */
#include "procstat.h"
#include "residency.h"
#include "sampler-link.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

/* struct ovc_page_region and OVC_PAGE_IS_*: ovc/pagemap-scan.h (core.h). */

static int scan_broken; /* the ioctl is not supported: use mincore */

/* The sampler process probes through a descriptor of its own. A program
 * thread opens /proc/self/pagemap for the moment of a probe (about a
 * microsecond more than the ioctl), or once for a batch of probes
 * (ovc_probe_hold): the program keeps no descriptor of ovc's (log.c). */
static __thread int held_fd = -1;
static __thread bool hold; /* a batch: the descriptor opened at its first probe */

static int pagemap(bool *transient)
{
	int fd;
	*transient = false;
	if (ovc_sampler_fd(OVC_FD_PAGEMAP, &fd))
		return fd;
	if (held_fd >= 0)
		return held_fd;
	if (hold) {
		held_fd = ovc_sys_open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC, 0);
		return held_fd;
	}
	*transient = true;
	return ovc_sys_open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC, 0);
}

void ovc_probe_hold(void)
{
	/* Opened at the batch's first probe: an exit with no block to probe
	 * opens nothing. */
	if (!ovc_in_sampler())
		hold = true;
}

void ovc_probe_release(void)
{
	if (ovc_in_sampler())
		return;
	hold = false;
	if (held_fd >= 0) {
		ovc_sys_close(held_fd);
		held_fd = -1;
	}
}

/* Sums present and swapped pages of [lo, hi) with PAGEMAP_SCAN; -1 when the
 * ioctl cannot be used, -2 when there is no descriptor to use it on now
 * (the program has used up its descriptors): then mincore. Pages that map the shared zero page (read, never
 * written) are not counted: they cost no memory. */
static int64_t scan(uintptr_t lo, uintptr_t hi)
{
	struct ovc_page_region vec[64];
	int64_t total = 0;
	bool transient;
	int fd = pagemap(&transient);
	if (fd < 0)
		return -2;
	while (lo < hi) {
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
			total = n == -EBADF ? -2 : -1;
			break;
		}
		for (long i = 0; i < n; i++)
			total += (int64_t)(vec[i].end - vec[i].start);
		if (a.walk_end <= lo)
			break;
		lo = (uintptr_t)a.walk_end;
	}
	if (transient)
		ovc_sys_close(fd);
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

int64_t ovc_probe_quick(uintptr_t lo, uintptr_t hi)
{
	long ps = ovc_page_size();
	lo = (lo + (uintptr_t)ps - 1) & ~((uintptr_t)ps - 1);
	hi &= ~((uintptr_t)ps - 1);
	return lo < hi ? by_mincore(lo, hi, ps) : 0;
}

void ovc_probe_init(void)
{
}

void ovc_probe_fork_child(void)
{
	/* The forking thread's batch, if one was under way, is the parent's:
	 * its descriptor was copied into the child's table. */
	if (held_fd >= 0)
		ovc_sys_close(held_fd);
	held_fd = -1;
}
