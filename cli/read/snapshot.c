/* Reads a running process's memory from /proc/PID for `ovc snapshot`:
 * stat, status, statm, smaps (parsed by smaps.c), task/TID/syscall and
 * PAGEMAP_SCAN on pagemap. Only reads: no ptrace, nothing is written to
 * the process (proc(5); smaps and pagemap need the rights of ptrace's
 * read mode: root or the owner). */
#include "read/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ovc/pagemap-scan.h"

/* include/linux/sched.h: the task is a kernel thread (no mm). */
#define PF_KTHREAD_FLAG 0x00200000u
#define MAX_ARGV_BYTES (64 * 1024)
#define MAX_THREADS 100000

static void set_why(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Reads at most SIZE - 1 bytes of PATH into BUF (NUL-terminated). Returns
 * the length, or -1 with errno set. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = 0;
	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

/* /proc/PID/stat: state, ppid, flags and start time. The command name is
 * in parentheses and may hold anything, so fields are counted after the
 * last ')'. */
static bool read_stat(const char *dir, char *state, int64_t *ppid,
		      unsigned long *flags, int64_t *start)
{
	char path[128], buf[2048];
	snprintf(path, sizeof path, "%s/stat", dir);
	if (read_small(path, buf, sizeof buf) < 0)
		return false;
	char *p = strrchr(buf, ')');
	if (!p)
		return false;
	int pp = 0;
	unsigned long long st = 0;
	/* fields 3..22: state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime */
	if (sscanf(p + 1,
		   " %c %d %*d %*d %*d %*d %lu %*u %*u %*u %*u %*u %*u %*d "
		   "%*d %*d %*d %*d %*d %llu",
		   state, &pp, flags, &st) != 4)
		return false;
	*ppid = pp;
	*start = (int64_t)st;
	return true;
}

/* Real uid and thread-group id from /proc/PID/status. */
static void read_status(const char *dir, int64_t *uid, int64_t *tgid)
{
	char path[128], buf[4096];
	snprintf(path, sizeof path, "%s/status", dir);
	*uid = -1;
	*tgid = -1;
	if (read_small(path, buf, sizeof buf) < 0)
		return;
	char *l = strstr(buf, "\nUid:");
	long v;
	if (l && sscanf(l + 5, "%ld", &v) == 1)
		*uid = v;
	l = strstr(buf, "\nTgid:");
	if (l && sscanf(l + 6, "%ld", &v) == 1)
		*tgid = v;
}

static void read_cmdline(const char *dir, struct ovc_snap *s)
{
	char path[128];
	snprintf(path, sizeof path, "%s/cmdline", dir);
	char *buf = malloc(MAX_ARGV_BYTES + 1);
	if (!buf)
		return;
	ssize_t n = read_small(path, buf, MAX_ARGV_BYTES + 1);
	if (n <= 0) {
		free(buf);
		return;
	}
	size_t count = 0;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0' || i == n - 1)
			count++;
	s->argv = calloc(count + 1, sizeof *s->argv);
	if (!s->argv) {
		free(buf);
		return;
	}
	for (ssize_t i = 0; i < n && s->argc < count;) {
		size_t len = strnlen(buf + i, (size_t)(n - i));
		char *a = strndup(buf + i, len);
		if (!a)
			break;
		ovc_snap_make_utf8(a);
		s->argv[s->argc++] = a;
		i += (ssize_t)len + 1;
	}
	free(buf);
}

static char *read_exe(const char *dir)
{
	char path[128], buf[4096];
	snprintf(path, sizeof path, "%s/exe", dir);
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	ovc_snap_make_utf8(buf);
	return strdup(buf);
}

static void read_statm(const char *dir, struct ovc_snap *s)
{
	char path[128], buf[256];
	unsigned long long size, res, shared;
	snprintf(path, sizeof path, "%s/statm", dir);
	s->vm_bytes = s->rss_bytes = s->shared_bytes = -1;
	if (read_small(path, buf, sizeof buf) < 0 ||
	    sscanf(buf, "%llu %llu %llu", &size, &res, &shared) != 3)
		return;
	int64_t ps = s->host.page_size > 0 ? s->host.page_size : 4096;
	s->vm_bytes = (int64_t)size * ps;
	s->rss_bytes = (int64_t)res * ps;
	s->shared_bytes = (int64_t)shared * ps;
}

/* The stack pointer of thread TID from task/TID/syscall ("NR ARGS... SP
 * PC" while in a system call, "-1 SP PC" while blocked otherwise,
 * "running" while on a CPU: then unknown). */
static uint64_t thread_sp(const char *dir, int64_t tid)
{
	char path[128], buf[512];
	snprintf(path, sizeof path, "%s/task/%" PRId64 "/syscall", dir, tid);
	if (read_small(path, buf, sizeof buf) <= 0)
		return 0;
	char *tok[10];
	int n = 0;
	for (char *save, *t = strtok_r(buf, " \n", &save); t && n < 10;
	     t = strtok_r(NULL, " \n", &save))
		tok[n++] = t;
	if (n != 9 && n != 3)
		return 0;
	return strtoull(tok[n - 2], NULL, 0);
}

static int cmp_tid(const void *a, const void *b)
{
	const struct ovc_snap_thread *x = a, *y = b;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

static void read_threads(const char *dir, struct ovc_snap *s)
{
	char path[128];
	snprintf(path, sizeof path, "%s/task", dir);
	DIR *d = opendir(path);
	if (!d)
		return;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && s->nthreads < MAX_THREADS) {
		char *end;
		long tid = strtol(e->d_name, &end, 10);
		if (*end || tid <= 0)
			continue;
		if (s->nthreads == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct ovc_snap_thread *nt =
				realloc(s->threads, nc * sizeof *nt);
			if (!nt)
				break;
			s->threads = nt;
			cap = nc;
		}
		struct ovc_snap_thread *t = &s->threads[s->nthreads++];
		memset(t, 0, sizeof *t);
		t->tid = tid;
		t->map = -1;
		char cpath[128];
		snprintf(cpath, sizeof cpath, "%s/task/%ld/comm", dir, tid);
		if (read_small(cpath, t->comm, sizeof t->comm) > 0)
			t->comm[strcspn(t->comm, "\n")] = '\0';
		ovc_snap_make_utf8(t->comm);
		t->sp = thread_sp(dir, tid);
	}
	closedir(d);
	if (s->nthreads > 1)
		qsort(s->threads, s->nthreads, sizeof *s->threads, cmp_tid);
}

/* Sums the pages of [LO, HI) by category with PAGEMAP_SCAN: present (not
 * the zero page), swapped, and the shared zero page. False (errno set)
 * when the ioctl fails. */
static bool scan_range(int fd, uint64_t lo, uint64_t hi, int64_t *present,
		       int64_t *swapped, int64_t *zero)
{
	struct ovc_page_region vec[256];
	*present = *swapped = *zero = 0;
	while (lo < hi) {
		struct ovc_pm_scan_arg a = ovc_pm_scan_arg_for(
			lo, hi, vec, sizeof vec / sizeof vec[0],
			OVC_PAGE_IS_PRESENT | OVC_PAGE_IS_SWAPPED |
				OVC_PAGE_IS_PFNZERO);
		int n = ioctl(fd, OVC_PAGEMAP_SCAN, &a);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		for (int i = 0; i < n; i++) {
			int64_t b = (int64_t)(vec[i].end - vec[i].start);
			if (vec[i].categories & OVC_PAGE_IS_PFNZERO)
				*zero += b;
			else if (vec[i].categories & OVC_PAGE_IS_PRESENT)
				*present += b;
			else if (vec[i].categories & OVC_PAGE_IS_SWAPPED)
				*swapped += b;
		}
		if (a.walk_end <= lo)
			break;
		lo = a.walk_end;
	}
	return true;
}

static void scan_maps(const char *dir, struct ovc_snap *s)
{
	char path[128];
	snprintf(path, sizeof path, "%s/pagemap", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_why(s->pagemap_why, sizeof s->pagemap_why,
			"cannot open pagemap: %s", strerror(errno));
		return;
	}
	bool ok = true;
	for (size_t i = 0; i < s->nmaps && ok; i++) {
		struct ovc_snap_map *m = &s->maps[i];
		if (!m->anonymous)
			continue;
		int64_t p, sw, z;
		if (!scan_range(fd, m->lo, m->hi, &p, &sw, &z)) {
			/* ENOTTY/EINVAL: a kernel before 6.7. ENOMEM or
			 * EFAULT: the mapping went away meanwhile. */
			set_why(s->pagemap_why, sizeof s->pagemap_why,
				"PAGEMAP_SCAN failed: %s%s", strerror(errno),
				errno == ENOTTY || errno == EINVAL
					? " (needs Linux 6.7)"
					: "");
			ok = false;
			break;
		}
		m->pm_present_bytes = p;
		m->pm_swapped_bytes = sw;
		m->pm_zero_bytes = z;
	}
	close(fd);
	if (!ok)
		for (size_t i = 0; i < s->nmaps; i++)
			s->maps[i].pm_present_bytes =
				s->maps[i].pm_swapped_bytes =
					s->maps[i].pm_zero_bytes = -1;
	s->pagemap_scanned = ok;
}

void ovc_snap_read_host(struct ovc_host *h)
{
	char buf[8192];
	h->mem_total_bytes = h->mem_available_bytes = h->commit_limit_bytes =
		h->committed_as_bytes = h->overcommit_memory =
			h->overcommit_ratio = -1;
	h->known = true;
	long ps = sysconf(_SC_PAGESIZE);
	h->page_size = ps > 0 ? ps : 4096;
	if (read_small("/proc/meminfo", buf, sizeof buf) > 0) {
		static const struct {
			const char *key;
			size_t off;
		} keys[] = {
			{"MemTotal:", offsetof(struct ovc_host,
					       mem_total_bytes)},
			{"MemAvailable:", offsetof(struct ovc_host,
						   mem_available_bytes)},
			{"CommitLimit:", offsetof(struct ovc_host,
						  commit_limit_bytes)},
			{"Committed_AS:", offsetof(struct ovc_host,
						   committed_as_bytes)},
		};
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			const char *l = strstr(buf, keys[k].key);
			unsigned long long kb;
			if (l && (l == buf || l[-1] == '\n') &&
			    sscanf(l + strlen(keys[k].key), "%llu", &kb) == 1)
				*(int64_t *)((char *)h + keys[k].off) =
					(int64_t)kb * 1024;
		}
	}
	long v;
	if (read_small("/proc/sys/vm/overcommit_memory", buf, sizeof buf) > 0 &&
	    sscanf(buf, "%ld", &v) == 1)
		h->overcommit_memory = v;
	if (read_small("/proc/sys/vm/overcommit_ratio", buf, sizeof buf) > 0 &&
	    sscanf(buf, "%ld", &v) == 1)
		h->overcommit_ratio = v;
}

/* Why smaps could not be opened with EACCES or EPERM. */
static enum ovc_snap_error denied(const struct ovc_snap *s, char *why,
				  size_t size)
{
	long me = (long)geteuid();
	if (me == 0 || me == s->uid)
		set_why(why, size,
			"permission denied even to %s: it is not dumpable "
			"(prctl PR_SET_DUMPABLE, setuid) or lives outside "
			"ovc's user namespace",
			me == 0 ? "root" : "its owner");
	else
		set_why(why, size,
			"permission denied: it belongs to uid %" PRId64
			" and ovc runs as uid %ld; run ovc as root or as that "
			"user",
			s->uid, me);
	return OVC_SNAP_DENIED;
}

/* The error for a process that has no memory map (smaps read empty). */
static enum ovc_snap_error no_mm(const char *dir, char *why, size_t size)
{
	char state = '?';
	int64_t ppid = -1, start = 0;
	unsigned long flags = 0;
	if (!read_stat(dir, &state, &ppid, &flags, &start)) {
		set_why(why, size, "no such process (it exited)");
		return OVC_SNAP_NO_PROCESS;
	}
	if (flags & PF_KTHREAD_FLAG) {
		set_why(why, size, "a kernel thread: it has no user memory to "
				   "snapshot");
		return OVC_SNAP_KERNEL;
	}
	if (state == 'Z' || state == 'X') {
		set_why(why, size,
			"a zombie: it exited and its memory is gone (its "
			"parent %" PRId64 " has not reaped it yet)",
			ppid);
		return OVC_SNAP_ZOMBIE;
	}
	set_why(why, size, "it has no memory map (it is exiting)");
	return OVC_SNAP_FAILED;
}

enum ovc_snap_error ovc_snap_read(int64_t pid, bool scan, struct ovc_snap *s,
				  char *why, size_t why_size)
{
	char dir[32];
	memset(s, 0, sizeof *s);
	s->pid = pid;
	s->ppid = s->uid = -1;
	snprintf(dir, sizeof dir, "/proc/%" PRId64, pid);
	struct stat st;
	if (pid <= 0 || stat(dir, &st) != 0) {
		set_why(why, why_size, "no such process");
		return OVC_SNAP_NO_PROCESS;
	}
	unsigned long flags = 0;
	if (!read_stat(dir, &s->state, &s->ppid, &flags, &s->start_ticks)) {
		set_why(why, why_size, "no such process (it exited)");
		return OVC_SNAP_NO_PROCESS;
	}
	if ((flags & PF_KTHREAD_FLAG) || s->state == 'Z' || s->state == 'X')
		return no_mm(dir, why, why_size);
	int64_t tgid;
	read_status(dir, &s->uid, &tgid);
	if (s->uid < 0)
		s->uid = st.st_uid;
	if (tgid > 0 && tgid != pid) {
		set_why(why, why_size,
			"a thread of process %" PRId64 ": snapshot that one",
			tgid);
		return OVC_SNAP_FAILED;
	}

	char path[128];
	snprintf(path, sizeof path, "%s/smaps", dir);
	FILE *f = fopen(path, "re");
	if (!f) {
		int e = errno;
		if (e == EACCES || e == EPERM)
			return denied(s, why, why_size);
		if (e == ENOENT || e == ESRCH) {
			set_why(why, why_size, "no such process (it exited)");
			return OVC_SNAP_NO_PROCESS;
		}
		set_why(why, why_size, "cannot open %s: %s", path, strerror(e));
		return OVC_SNAP_FAILED;
	}
	s->t_unix_ns = now_ns(CLOCK_REALTIME);
	s->t_mono_ns = now_ns(CLOCK_MONOTONIC);
	bool ok = ovc_snap_parse_smaps(f, s);
	int rerr = ferror(f) ? errno : 0;
	fclose(f);
	if (!ok) {
		set_why(why, why_size, "out of memory reading %s", path);
		ovc_snap_free(s);
		return OVC_SNAP_FAILED;
	}
	if (rerr == EACCES || rerr == EPERM) {
		ovc_snap_free(s);
		return denied(s, why, why_size);
	}
	if (s->nmaps == 0) {
		ovc_snap_free(s);
		return no_mm(dir, why, why_size);
	}
	ovc_snap_read_host(&s->host);
	read_statm(dir, s);
	s->exe = read_exe(dir);
	read_cmdline(dir, s);
	read_threads(dir, s);
	if (scan)
		scan_maps(dir, s);
	else
		set_why(s->pagemap_why, sizeof s->pagemap_why, "not asked for");
	if (!s->exe) {
		ovc_snap_free(s);
		set_why(why, why_size, "out of memory");
		return OVC_SNAP_FAILED;
	}
	return OVC_SNAP_OK;
}

void ovc_snap_free(struct ovc_snap *s)
{
	for (size_t i = 0; i < s->nmaps; i++)
		free(s->maps[i].name);
	free(s->maps);
	for (size_t i = 0; i < s->argc; i++)
		free(s->argv[i]);
	free(s->argv);
	free(s->exe);
	free(s->threads);
	s->maps = NULL;
	s->nmaps = 0;
	s->argv = NULL;
	s->argc = 0;
	s->exe = NULL;
	s->threads = NULL;
	s->nthreads = 0;
}
