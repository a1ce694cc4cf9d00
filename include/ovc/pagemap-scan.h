/* The PAGEMAP_SCAN ioctl of /proc/PID/pagemap (Linux 6.7+, linux/fs.h):
 * Debian 12's kernel headers (6.1) lack it, so the stable uapi is declared
 * here once, for the preload (its own pages) and the CLI (`ovc snapshot`,
 * another process's pages). */
#ifndef OVC_PAGEMAP_SCAN_H
#define OVC_PAGEMAP_SCAN_H

#include <stdint.h>
#include <sys/ioctl.h>

/** PAGEMAP_SCAN's argument (struct pm_scan_arg of linux/fs.h). */
struct ovc_pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages,
		category_inverted, category_mask, category_anyof_mask,
		return_mask;
};

/** One run of pages of equal categories (struct page_region). */
struct ovc_page_region {
	uint64_t start, end, categories;
};

#define OVC_PAGEMAP_SCAN _IOWR('f', 16, struct ovc_pm_scan_arg)

/** PAGEMAP_SCAN's argument for the pages of [START, END) in any of the
 * categories ANYOF, returned with those categories into the N regions at
 * VEC. Inline; no allocation, no system call. */
static inline struct ovc_pm_scan_arg
ovc_pm_scan_arg_for(uint64_t start, uint64_t end, struct ovc_page_region *vec,
		    uint64_t n, uint64_t anyof)
{
	struct ovc_pm_scan_arg a = {
		.size = sizeof a,
		.start = start,
		.end = end,
		.vec = (uintptr_t)vec,
		.vec_len = n,
		.category_anyof_mask = anyof,
		.return_mask = anyof,
	};
	return a;
}

/* Page categories (PAGE_IS_* of linux/fs.h). */
#define OVC_PAGE_IS_PRESENT (1 << 3)
#define OVC_PAGE_IS_SWAPPED (1 << 4)
#define OVC_PAGE_IS_PFNZERO (1 << 5)
#define OVC_PAGE_IS_HUGE (1 << 6)

#endif
