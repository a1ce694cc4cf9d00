/* Facts from /proc: the process's memory (statm), the machine's memory and
 * overcommit settings, the process start time; read with plain syscalls
 * into stack buffers, never allocating. */
#include "core.h"

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
			long n = ovc_sys_read(fd, buf + total,
					      cap - 1 - (size_t)total);
			if (n == -EINTR)
				continue;
			if (n <= 0)
				break;
			total += n;
		}
		buf[total] = '\0';
		ovc_sys_close(fd);
	}
	return total;
}

int ovc_open_high(const char *path, int at)
{
	int fd = ovc_sys_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int hi = ovc_sys_fcntl(fd, F_DUPFD_CLOEXEC, at);
	if (hi < 0)
		return fd;
	ovc_sys_close(fd);
	return hi;
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

long ovc_page_size(void)
{
	static long ps;
	if (!ps) {
		long v = sysconf(_SC_PAGESIZE);
		ps = v > 0 ? v : 4096;
	}
	return ps;
}

/* /proc/self/statm stays open at a high descriptor: the ticker reads it a
 * hundred times a second, and an open(2) there would take the lowest free
 * descriptor for a moment, which a program's dup2 onto that number then
 * fails on with EBUSY. Checked by inode before each read (the program may
 * close or replace it) and opened again only when it was taken. */
static int statm_fd = -1;
static dev_t statm_dev;
static ino_t statm_ino;

static bool statm_open(void)
{
	int fd = ovc_open_high("/proc/self/statm", 950);
	if (fd < 0)
		return false;
	struct stat st;
	if (ovc_sys_fstat(fd, &st) != 0) {
		ovc_sys_close(fd);
		return false;
	}
	statm_fd = fd;
	statm_dev = st.st_dev;
	statm_ino = st.st_ino;
	return true;
}

bool ovc_statm_read(struct ovc_statm *out)
{
	char buf[256];
	struct stat st;
	int fd;
	if (!ovc_sampler_fd(OVC_FD_STATM, &fd)) {
		if (statm_fd < 0 || ovc_sys_fstat(statm_fd, &st) != 0 ||
		    st.st_dev != statm_dev || st.st_ino != statm_ino) {
			if (!statm_open())
				return false;
		}
		fd = statm_fd;
	}
	long n = fd < 0 ? -1 : ovc_sys_pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	const char *p = buf;
	uint64_t ps = (uint64_t)ovc_page_size();
	out->vm = parse_u64(&p) * ps;
	out->rss = parse_u64(&p) * ps;
	out->shared = parse_u64(&p) * ps;
	return true;
}

int ovc_statm_fd(void)
{
	return statm_fd;
}

void ovc_statm_fork_child(void)
{
	/* It names the parent's /proc entry; close-on-exec, left alone (the
	 * child may have put a file of its own at that number). Opened again
	 * while the child has one thread. */
	statm_fd = -1;
	statm_open();
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

void ovc_host_read(struct ovc_host *out)
{
	char buf[8192];
	memset(out, 0, sizeof *out);
	if (ovc_read_file("/proc/meminfo", buf, sizeof buf) > 0) {
		out->mem_total = meminfo(buf, "MemTotal:");
		out->mem_available = meminfo(buf, "MemAvailable:");
		out->commit_limit = meminfo(buf, "CommitLimit:");
		out->committed_as = meminfo(buf, "Committed_AS:");
	}
	out->overcommit_memory = read_int("/proc/sys/vm/overcommit_memory");
	out->overcommit_ratio = read_int("/proc/sys/vm/overcommit_ratio");
	out->page_size = ovc_page_size();
}

uint64_t ovc_proc_start_ticks(void)
{
	char buf[1024];
	if (ovc_read_file("/proc/self/stat", buf, sizeof buf) <= 0)
		return 0;
	/* The command name (field 2) may hold spaces and parentheses: fields
	 * are counted from the last ')'. Field 22 is starttime. */
	const char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (int field = 3; field < 22; field++) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
		if (!*p)
			return 0;
	}
	return parse_u64(&p);
}

uint64_t ovc_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ovc_unix_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
