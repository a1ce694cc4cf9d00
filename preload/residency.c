/* Touched bytes of an address range, asked of the kernel: PAGEMAP_SCAN on
 * /proc/self/pagemap (Linux 6.7+; it skips unpopulated page tables, so an
 * untouched GiB costs microseconds), else mincore(2). */
#include "boot.h"
#include "procstat.h"
#include "residency.h"
#include "sampler-link.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

/* struct ovc_page_region and OVC_PAGE_IS_*: ovc/pagemap-scan.h (residency.h). */

static int scan_broken; /* the ioctl is not supported: use mincore */

/* Pages of mincore's status bytes on the stack: one call's worth. Also the
 * most a block may have for its probe to be mincore's (ovc_probe_block):
 * mincore writes a byte for every page, mapped or not, where PAGEMAP_SCAN
 * skips unpopulated page tables (the article's untouched GiB: 380 us with
 * mincore, 16 us with the scan), and the scan's open and close cost about
 * what mincore's walk of 4096 pages does. */
#define QUICK_PAGES 4096

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
		struct ovc_pm_scan_arg a = ovc_pm_scan_arg_for(
			lo, hi, vec, 64, OVC_PAGE_IS_PRESENT | OVC_PAGE_IS_SWAPPED);
		a.category_inverted = OVC_PAGE_IS_PFNZERO; /* not the zero page */
		a.category_mask = OVC_PAGE_IS_PFNZERO;
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
	unsigned char vec[QUICK_PAGES];
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

/* ---- a block's probe with mincore, where it counts the same ----
 *
 * In a private anonymous range (glibc's heap and mapped chunks) the two
 * differ only by pages that map the shared zero page (read, never
 * written: mincore counts them, PAGEMAP_SCAN does not) and pages swapped
 * out (PAGEMAP_SCAN counts them, mincore only those still in the swap
 * cache). Where the kernel maps no zero page on a read fault
 * (pvm_no_zero_page=1) and no swap is configured, they count the same, and
 * a program thread's probe of a freed block is one system call, not three
 * (open, PAGEMAP_SCAN, close: 20 us of ubench-large's blocks on the 2-core
 * VM, two thirds of it the open and close). Decided at a program thread's
 * SCANS_FIRST-th such probe, with one page mapped, read and scanned
 * (40 us). The huge zero page needs no try of its own: the kernel maps it
 * on a read fault only where it would map the small one
 * (mm_forbids_zeropage gates both, do_anonymous_page and
 * do_huge_pmd_anonymous_page; checked here with MADV_HUGEPAGE: 2 MiB read
 * are a huge page of its own, and that try cost 250 us, too much for every
 * short process). Swap is looked at again every second. */

enum { SAME_UNKNOWN, SAME_NO, SAME_YES };
static int same_kind = SAME_UNKNOWN; /* zero pages: decided once */
/* Deciding, and reading /proc/meminfo for the swap, cost a short process
 * (grep: one or two blocks freed) about 50 us, more than the scans it
 * saves: its first probes scan, and the decision waits for the fourth. */
#define SCANS_FIRST 4
static unsigned scans_first; /* probes asked for before the decision */
static uint64_t swap_seen_ns;	     /* when SwapTotal was last read */
static int swap_none;		     /* SwapTotal was 0 then */

/* Whether [P, P + LEN), just read, maps the zero page anywhere: PAGEMAP_SCAN
 * on descriptor FD; true when that cannot be told. */
static bool maps_zero(int fd, void *p, size_t len)
{
	struct ovc_page_region vec[4];
	struct ovc_pm_scan_arg a = {
		.size = sizeof a,
		.start = (uintptr_t)p,
		.end = (uintptr_t)p + len,
		.vec = (uintptr_t)vec,
		.vec_len = 4,
		.category_anyof_mask = OVC_PAGE_IS_PFNZERO | OVC_PAGE_IS_PRESENT,
		.return_mask = OVC_PAGE_IS_PFNZERO | OVC_PAGE_IS_PRESENT,
	};
	long n = ovc_sys_ioctl(fd, OVC_PAGEMAP_SCAN, &a);
	if (n <= 0)
		return true; /* not even the page read is there: unknown */
	for (long i = 0; i < n; i++)
		if (vec[i].categories & OVC_PAGE_IS_PFNZERO)
			return true;
	return false;
}

/* Maps a page, reads it and says whether that mapped the zero page. */
static bool read_maps_zero(int fd, size_t len)
{
	long r = ovc_sys_mmap(NULL, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
	if (r < 0 && r > -4096)
		return true;
	(void)*(volatile const char *)r;
	bool zero = maps_zero(fd, (void *)r, len);
	ovc_sys_munmap((void *)r, len);
	return zero;
}

static int decide_kind(void)
{
	if (__atomic_load_n(&scan_broken, __ATOMIC_RELAXED))
		return SAME_YES; /* mincore is all there is */
	int fd = ovc_sys_open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return SAME_UNKNOWN; /* out of descriptors: ask again later */
	bool zero = read_maps_zero(fd, (size_t)ovc_page_size());
	ovc_sys_close(fd);
	return zero ? SAME_NO : SAME_YES;
}

/* Whether no swap is configured (SwapTotal 0), read at most once a second. */
static bool no_swap(void)
{
	uint64_t now = ovc_now_ns();
	uint64_t seen = __atomic_load_n(&swap_seen_ns, __ATOMIC_RELAXED);
	if (!seen || now - seen > 1000000000u) {
		char buf[4096];
		const char *s = NULL;
		if (ovc_read_file("/proc/meminfo", buf, sizeof buf) > 0)
			s = strstr(buf, "\nSwapTotal:");
		bool none = false;
		if (s) {
			s += 11;
			while (*s == ' ')
				s++;
			none = s[0] == '0' && s[1] == ' ';
		}
		__atomic_store_n(&swap_none, none, __ATOMIC_RELAXED);
		__atomic_store_n(&swap_seen_ns, now ? now : 1, __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&swap_none, __ATOMIC_RELAXED);
}

/* Whether this thread's probe of a block may be mincore's. */
static bool mincore_same(void)
{
	if (ovc_in_sampler() || held_fd >= 0)
		return false; /* a descriptor at hand: the scan is one call */
	/* glibc's blocks are private anonymous memory; another allocator's
	 * may be a file's */
	if (!__atomic_load_n(&ovc_glibc_layout, __ATOMIC_RELAXED))
		return false;
	int k = __atomic_load_n(&same_kind, __ATOMIC_RELAXED);
	if (k == SAME_UNKNOWN) {
		if (__atomic_add_fetch(&scans_first, 1, __ATOMIC_RELAXED) <
		    SCANS_FIRST)
			return false;
		k = decide_kind();
		__atomic_store_n(&same_kind, k, __ATOMIC_RELAXED);
	}
	return k == SAME_YES && no_swap();
}

int64_t ovc_probe_block(uintptr_t lo, uintptr_t hi)
{
	if (hi - lo > (uintptr_t)QUICK_PAGES * (uintptr_t)ovc_page_size() ||
	    !mincore_same())
		return ovc_probe_range(lo, hi);
	return ovc_probe_quick(lo, hi);
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
