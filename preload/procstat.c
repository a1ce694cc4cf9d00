/* Facts from /proc: the process's memory (statm), the machine's memory and
 * overcommit settings, the process start time; read with plain syscalls
 * into stack buffers, never allocating. */
#include "procstat.h"
#include "sampler-link.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t ovc_read_file(const char *path, char *buf, size_t cap)
{
	ssize_t total = -1;
	int fd = ovc_sys_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		total = 0;
		while ((size_t)total + 1 < cap) {
			size_t want = cap - 1 - (size_t)total;
			long n = ovc_sys_read(fd, buf + total, want);
			if (n == -EINTR)
				continue;
			if (n <= 0)
				break;
			total += n;
			/* The files read here give all that is asked while they
			 * have more: regular files, sysctl and cgroup files, and
			 * the /proc files made as one record (meminfo, stat,
			 * cgroup, cmdline). A short read is their end, and a
			 * second read to see 0 is a system call of every start
			 * for nothing. Not for a /proc file of many records
			 * (maps, smaps): it stops at each page of them. */
			if ((size_t)n < want)
				break;
		}
		buf[total] = '\0';
		ovc_sys_close(fd);
	}
	return total;
}


static uint64_t parse_u64(const char **p)
{
	const char *s = *p;
	uint64_t v = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	*p = s;
	return v;
}

/* The page size and USER_HZ are ABI constants on x86: no call of sysconf,
 * whose page of libc's code a short process would otherwise fault in for
 * them (12 us on a VM, docs/performance.md). */
long ovc_page_size(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return 4096;
#else
	static long ps;
	if (!ps) {
		long v = sysconf(_SC_PAGESIZE);
		ps = v > 0 ? v : 4096;
	}
	return ps;
#endif
}

long ovc_clk_tck(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return 100;
#else
	return sysconf(_SC_CLK_TCK);
#endif
}

/* /proc/self/statm, status and smaps_rollup: the sampler process reads
 * them through descriptors of its own; a program thread (at start, exit,
 * exec, and the ticks of a sampler thread) opens them for the moment of
 * the read: the program keeps no descriptor of ovc's (log.c). */
struct kept {
	const char *path;
	enum ovc_fd which; /* the sampler's descriptor */
};

static const struct kept statm = {"/proc/self/statm", OVC_FD_STATM};
static const struct kept status = {"/proc/self/status", OVC_FD_STATUS};
static const struct kept rollup = {"/proc/self/smaps_rollup", OVC_FD_ROLLUP};
/* smaps_rollup is read in fork children only (its walk costs). */
static bool rollup_on;

/* Reads K's file from its start into BUF (CAP bytes, NUL-terminated);
 * its length, or -1. */
static long kept_read(const struct kept *k, char *buf, size_t cap)
{
	int fd;
	bool own = ovc_sampler_fd(k->which, &fd);
	if (!own)
		fd = ovc_sys_open(k->path, O_RDONLY | O_CLOEXEC, 0);
	long n = fd < 0 ? -1 : ovc_sys_pread(fd, buf, cap - 1, 0);
	if (!own && fd >= 0)
		ovc_sys_close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

bool ovc_statm_read(struct ovc_statm *out)
{
	char buf[256];
	if (kept_read(&statm, buf, sizeof buf) < 0)
		return false;
	const char *p = buf;
	uint64_t ps = (uint64_t)ovc_page_size();
	out->vm = parse_u64(&p) * ps;
	out->rss = parse_u64(&p) * ps;
	out->shared = parse_u64(&p) * ps;
	return true;
}

/* The "kB" figure of the status line that starts with KEY (with its
 * colon), in bytes; false when the line is missing. */
static bool status_field(const char *buf, const char *key, uint64_t *out)
{
	size_t n = strlen(key);
	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, key, n) == 0) {
			const char *q = p + n;
			*out = parse_u64(&q) * 1024;
			return true;
		}
	}
	return false;
}

static bool status_parse(const char *buf, struct ovc_status *out)
{
	memset(out, 0, sizeof *out);
	/* VmPeak and VmHWM: Linux 2.6.x; RssAnon: 4.5; HugetlbPages: 4.4. */
	if (!status_field(buf, "VmPeak:", &out->vm_peak) ||
	    !status_field(buf, "VmHWM:", &out->rss_hwm))
		return false;
	out->has_anon = status_field(buf, "RssAnon:", &out->rss_anon);
	status_field(buf, "HugetlbPages:", &out->hugetlb);
	return true;
}

bool ovc_status_read(struct ovc_status *out)
{
	char buf[4096];
	return kept_read(&status, buf, sizeof buf) >= 0 && status_parse(buf, out);
}

unsigned ovc_proc_now(struct ovc_statm *sm, struct ovc_status *st)
{
	char buf[4096];
	unsigned got = 0;
	uint64_t file, shmem;
	if (kept_read(&status, buf, sizeof buf) >= 0) {
		if (status_parse(buf, st))
			got |= OVC_GOT_STATUS;
		/* statm's three figures are these counters (Linux 4.5+) */
		if (status_field(buf, "VmSize:", &sm->vm) &&
		    status_field(buf, "VmRSS:", &sm->rss) &&
		    status_field(buf, "RssFile:", &file) &&
		    status_field(buf, "RssShmem:", &shmem)) {
			sm->shared = file + shmem;
			got |= OVC_GOT_STATM;
		}
	}
	if (!(got & OVC_GOT_STATM) && ovc_statm_read(sm))
		got |= OVC_GOT_STATM;
	return got;
}

int64_t ovc_rollup_private_dirty(void)
{
	char buf[4096];
	uint64_t v;
	if (!rollup_on)
		return -1; /* not a fork child */
	if (kept_read(&rollup, buf, sizeof buf) < 0 ||
	    !status_field(buf, "Private_Dirty:", &v))
		return -1;
	return (int64_t)v;
}

void ovc_rollup_fork_child(void)
{
	rollup_on = true;
}

/* Value in bytes of the meminfo line KEY ("MemTotal:"), 0 if missing. */
static uint64_t meminfo(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);
	if (!p)
		return 0;
	p += strlen(key);
	return parse_u64(&p) * 1024;
}

/* The number after the line that starts with KEY (with its space: "oom_kill
 * " is not "oom_kill_disable"), or -1. */
static int64_t line_value(const char *buf, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, key, n) == 0 && p[n] >= '0' && p[n] <= '9') {
			const char *q = p + n;
			return (int64_t)parse_u64(&q);
		}
	}
	return -1;
}

bool ovc_path_join(char *path, size_t cap, const char *dir, const char *file)
{
	size_t a = strlen(dir), b = strlen(file);
	if (a + 1 + b + 1 > cap)
		return false;
	memcpy(path, dir, a);
	path[a] = '/';
	memcpy(path + a + 1, file, b + 1);
	return true;
}

/* Reads FILE of the cgroup directory DIR into BUF; its length, or -1. */
static ssize_t cgroup_file(const char *dir, const char *file, char *buf,
			   size_t cap)
{
	char path[640];
	return ovc_path_join(path, sizeof path, dir, file)
		       ? ovc_read_file(path, buf, cap)
		       : -1;
}

/* Reads the oom_kill count of H's cgroup directory into H, through BUF
 * (CAP bytes): the caller's, so the start's stack goes no deeper. */
static void oom_read(struct ovc_host *h, char *buf, size_t cap)
{
	h->cgroup_oom_kill =
		cgroup_file(h->cgroup_dir,
			    h->cgroup_version == 1 ? "memory.oom_control" : "memory.events",
			    buf, cap) > 0
			? line_value(buf, "oom_kill ")
			: -1;
}

/* Whether KNOWN, an earlier reading, is of the cgroup directory OUT now
 * names (version VERSION): then its limit is OUT's, and only the oom_kill
 * count, which is the image's own, is read (through BUF, CAP bytes). */
static bool same_cgroup(struct ovc_host *out, const struct ovc_host *known,
			int version, char *buf, size_t cap)
{
	if (!known || known->cgroup_version != version ||
	    strcmp(known->cgroup_dir, out->cgroup_dir) != 0)
		return false;
	out->cgroup_version = version;
	out->cgroup_max = known->cgroup_max;
	oom_read(out, buf, cap);
	return true;
}

/* Finds the memory cgroup of the process from /proc/self/cgroup: the v1
 * hierarchy with the memory controller where there is one, else the v2
 * one, under the usual mount points (/sys/fs/cgroup/memory; /sys/fs/cgroup
 * or, on a hybrid machine, /sys/fs/cgroup/unified). Reads its limit (or
 * takes KNOWN's, a reading of the same directory) and its oom_kill count,
 * which `ovc report` compares with the count after the process died.
 * Reads through BUF (BUF_CAP bytes), the caller's. */
static void cgroup_read(struct ovc_host *out, const struct ovc_host *known,
			char *buf, size_t buf_cap)
{
	ssize_t n = ovc_read_file("/proc/self/cgroup", buf, buf_cap);
	if (n <= 0)
		return;
	const char *v1 = NULL, *v2 = NULL;
	for (char *line = buf; line && *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2) {
			*c2 = '\0';
			const char *ctl = c1 + 1;
			if (strcmp(line, "0:") == 0) /* "0::/path" */
				v2 = c2 + 1;
			for (const char *m = strstr(ctl, "memory"); m;
			     m = strstr(m + 1, "memory"))
				if ((m == ctl || m[-1] == ',') &&
				    (m[6] == '\0' || m[6] == ','))
					v1 = c2 + 1;
		}
		line = end ? end + 1 : NULL;
	}
	static const char *const v2_roots[] = {"/sys/fs/cgroup",
					       "/sys/fs/cgroup/unified"};
	char val[256];
	char *dir = out->cgroup_dir;
	size_t cap = sizeof out->cgroup_dir;
	if (v1) {
		if (!ovc_path_join(dir, cap, "/sys/fs/cgroup/memory", v1[1] ? v1 + 1 : ""))
			return;
		if (same_cgroup(out, known, 1, buf, buf_cap))
			return;
		if (cgroup_file(dir, "memory.limit_in_bytes", val, sizeof val) <= 0)
			return;
		out->cgroup_version = 1;
		const char *p = val;
		uint64_t lim = parse_u64(&p);
		/* v1 writes "no limit" as PAGE_COUNTER_MAX pages, about 2^63 */
		out->cgroup_max = lim >= ((uint64_t)1 << 62) ? -1 : (int64_t)lim;
		oom_read(out, buf, buf_cap);
		return;
	}
	if (!v2)
		return;
	for (size_t i = 0; i < 2; i++) {
		if (!ovc_path_join(dir, cap, v2_roots[i], v2[1] ? v2 + 1 : ""))
			return;
		if (same_cgroup(out, known, 2, buf, buf_cap))
			return;
		if (cgroup_file(dir, "memory.max", val, sizeof val) <= 0)
			continue;
		out->cgroup_version = 2;
		const char *p = val;
		out->cgroup_max = val[0] >= '0' && val[0] <= '9'
					  ? (int64_t)parse_u64(&p)
					  : -1; /* "max" */
		oom_read(out, buf, buf_cap);
		return;
	}
	dir[0] = '\0';
}

void ovc_host_refresh_oom(struct ovc_host *h)
{
	char buf[4096];
	if (h->cgroup_oom_kill >= 0 && h->cgroup_version)
		oom_read(h, buf, sizeof buf);
}

static int read_int(const char *path)
{
	char buf[32];
	if (ovc_read_file(path, buf, sizeof buf) <= 0)
		return -1;
	const char *p = buf;
	if (*p < '0' || *p > '9')
		return -1;
	return (int)parse_u64(&p);
}

void ovc_host_read(struct ovc_host *out, const struct ovc_host *known)
{
	/* One buffer for meminfo and the cgroup's files, not one each: each
	 * page of stack the start goes deeper than the loader did is a page
	 * fault, about 12 us on a VM (docs/performance.md). */
	char buf[4096];
	memset(out, 0, sizeof *out);
	if (known) {
		out->mem_total = known->mem_total;
		out->mem_available = known->mem_available;
		out->commit_limit = known->commit_limit;
		out->committed_as = known->committed_as;
		out->overcommit_memory = known->overcommit_memory;
		out->overcommit_ratio = known->overcommit_ratio;
	} else {
		if (ovc_read_file("/proc/meminfo", buf, sizeof buf) > 0) {
			out->mem_total = meminfo(buf, "MemTotal:");
			out->mem_available = meminfo(buf, "MemAvailable:");
			out->commit_limit = meminfo(buf, "CommitLimit:");
			out->committed_as = meminfo(buf, "Committed_AS:");
		}
		out->overcommit_memory = read_int("/proc/sys/vm/overcommit_memory");
		out->overcommit_ratio = read_int("/proc/sys/vm/overcommit_ratio");
	}
	out->page_size = ovc_page_size();
	out->cgroup_max = -1;
	out->cgroup_oom_kill = -1;
	cgroup_read(out, known, buf, sizeof buf);
	if (!out->cgroup_version)
		out->cgroup_dir[0] = '\0';
}

bool ovc_stat_u64(const char *stat, int field, uint64_t *out)
{
	/* The command name (field 2) may hold spaces and parentheses: fields
	 * are counted from the last ')'. */
	const char *p = strrchr(stat, ')');
	if (!p || field < 3)
		return false;
	p++;
	for (int f = 3; f < field; f++) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
		if (!*p)
			return false;
	}
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	*out = parse_u64(&p);
	return true;
}

uint64_t ovc_proc_start_ticks(void)
{
	char buf[1024];
	uint64_t t;
	if (ovc_read_file("/proc/self/stat", buf, sizeof buf) <= 0)
		return 0;
	return ovc_stat_u64(buf, 22, &t) ? t : 0; /* field 22: starttime */
}

/* The first clock reads of an image are system calls, the rest go
 * through the vDSO. The vDSO's first read faults in its data pages: on
 * this project's VM that read cost about 39 us, a system call about
 * 1 us (docs/performance.md), and a short process (sh, sed, true) reads
 * the clock a few times in all. A program that reads the clock itself
 * has the pages already; it pays at most RAW_READS system calls more. */
#define RAW_READS 24
static unsigned raw_reads_left = RAW_READS;

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;
	unsigned left = __atomic_load_n(&raw_reads_left, __ATOMIC_RELAXED);
	if (!left || OVC_SYS_(SYS_clock_gettime, clk, &ts, 0, 0, 0, 0) != 0) {
		clock_gettime(clk, &ts);
	} else {
		/* Racing threads may both take one: a read more or less. */
		__atomic_store_n(&raw_reads_left, left - 1, __ATOMIC_RELAXED);
	}
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ovc_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t ovc_unix_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}
