/* Layer 1, services: facts from /proc and the clocks (procstat.c). No
 * allocation (stack buffers), no lock, raw system calls: hook-safe. In the
 * sampler process the readers use its own descriptors (sampler-link.h). */
#ifndef OVC_PRELOAD_PROCSTAT_H
#define OVC_PRELOAD_PROCSTAT_H

#include "base.h"

/* ---- procstat.c: facts from /proc, no allocation ---- */

struct ovc_statm {
	uint64_t vm, rss, shared; /**< bytes */
};

struct ovc_host {
	uint64_t mem_total, mem_available, commit_limit, committed_as;
	int overcommit_memory, overcommit_ratio;
	long page_size;
	/* The memory cgroup of the process (docs/log-format.md, `proc`):
	 * version 0 when none was found. */
	int cgroup_version;       /**< 1 or 2 */
	char cgroup_dir[512];     /**< its directory under /sys/fs/cgroup */
	int64_t cgroup_max;       /**< its limit in bytes; -1: none, unreadable */
	int64_t cgroup_oom_kill;  /**< its oom_kill count; -1: unreadable */
};

/** Reads /proc/self/statm in bytes. False when it cannot be read. Hook-safe
 * (open/read/close). */
bool ovc_statm_read(struct ovc_statm *out) OVC_HIDDEN;
/** The page size: 4096 on x86; elsewhere sysconf's, cached (read first
 * from the constructor). Hook-safe, sampler-safe once cached. */
long ovc_page_size(void) OVC_HIDDEN;
/** USER_HZ: the clock ticks of /proc/PID/stat in a second. */
long ovc_clk_tck(void) OVC_HIDDEN;
/** The kernel's figures of /proc/self/status, in bytes. */
struct ovc_status {
	uint64_t vm_peak;  /**< VmPeak: the largest address space so far */
	uint64_t rss_hwm;  /**< VmHWM: the largest resident so far */
	uint64_t rss_anon; /**< RssAnon: anonymous resident now */
	uint64_t hugetlb;  /**< HugetlbPages: hugetlbfs pages, not in VmRSS */
	bool has_anon;     /**< RssAnon was there (Linux 4.5+) */
};
/** Reads /proc/self/status (the sampler's own descriptor, else one opened
 * for the moment); false when it cannot be read or lacks VmPeak and VmHWM. Never allocates;
 * raw system calls; a 4 KiB stack buffer. Callable from the sampler. */
bool ovc_status_read(struct ovc_status *out) OVC_HIDDEN;
enum { OVC_GOT_STATUS = 1, OVC_GOT_STATM = 2 };
/** Both at once from one read of /proc/self/status: ST as ovc_status_read
 * gives it, and SM as ovc_statm_read would (VmSize, VmRSS, RssFile +
 * RssShmem: the counters statm shows), statm itself read only where status
 * lacks them. Returns what was read: OVC_GOT_STATUS | OVC_GOT_STATM.
 * Same contract as ovc_status_read. */
unsigned ovc_proc_now(struct ovc_statm *sm, struct ovc_status *st) OVC_HIDDEN;
/** Private_Dirty of /proc/self/smaps_rollup in bytes: pages this process
 * alone maps and has written; -1 when unreadable or outside a fork child
 * (ovc_rollup_fork_child says it is one). The kernel
 * walks the page tables for it: its cost grows with resident memory. */
int64_t ovc_rollup_private_dirty(void) OVC_HIDDEN;
/** In a fork child: from now on smaps_rollup is read. */
void ovc_rollup_fork_child(void) OVC_HIDDEN;
/** Reads /proc/meminfo, /proc/sys/vm/overcommit_* and the memory cgroup's
 * limit and OOM kill count (/proc/self/cgroup, then two files of its
 * directory). With KNOWN, an earlier reading (ovc_host_cache_get), only
 * /proc/self/cgroup and the OOM kill count are read: the rest is KNOWN's,
 * the cgroup's limit too where KNOWN is of the same cgroup. Hook-safe. */
void ovc_host_read(struct ovc_host *out, const struct ovc_host *known) OVC_HIDDEN;
/** The facts an image of this user left in DIR/.ovc-host (hostcache.c),
 * read at most MAX_AGE_NS ago on this boot: into OUT, and when they were
 * read (CLOCK_MONOTONIC) into READ_NS. False when there are none, or none
 * to trust. Hook-safe. */
bool ovc_host_cache_get(const char *dir, uint64_t max_age_ns,
			struct ovc_host *out, uint64_t *read_ns) OVC_HIDDEN;
/** Leaves H, read at READ_NS, in DIR/.ovc-host for the images that start
 * after this one; nothing where it cannot. Hook-safe. */
void ovc_host_cache_put(const char *dir, const struct ovc_host *h,
			uint64_t read_ns) OVC_HIDDEN;
/** Reads again the one fact of H that must be the image's own: the
 * cgroup's oom_kill count, which a report compares with the count after
 * the image died. At start and in a fork child. */
void ovc_host_refresh_oom(struct ovc_host *h) OVC_HIDDEN;
/** Field 22 of /proc/self/stat (start time in clock ticks); 0 if unknown. */
uint64_t ovc_proc_start_ticks(void) OVC_HIDDEN;
/** Field FIELD (3 or more, counted as proc(5) does) of STAT, the text of a
 * /proc/PID/stat, into OUT; false when it is missing or not a number.
 * Touches nothing but its arguments (the sampler process may call it). */
bool ovc_stat_u64(const char *stat, int field, uint64_t *out) OVC_HIDDEN;
/** DIR + "/" + FILE into PATH (CAP bytes); false when it does not fit. */
bool ovc_path_join(char *path, size_t cap, const char *dir,
		   const char *file) OVC_HIDDEN;
/** Reads a whole small file into BUF (NUL-terminated); returns its length
 * or -1. A short read is taken for the end: a regular file, a sysctl or
 * cgroup file, or a /proc file made as one record (not maps or smaps).
 * Hook-safe. */
ssize_t ovc_read_file(const char *path, char *buf, size_t cap) OVC_HIDDEN;
/** Nanoseconds of CLOCK_MONOTONIC / CLOCK_REALTIME (the vDSO). Hook-safe,
 * sampler-safe, signal-safe. */
uint64_t ovc_now_ns(void) OVC_HIDDEN;
uint64_t ovc_unix_ns(void) OVC_HIDDEN;

#endif
