/* The machine's memory facts, shared through the output directory: the
 * images of a test suite start hundreds of times a second, and reading the
 * four files of /proc and /sys behind those facts (meminfo, two sysctls,
 * the cgroup's limit) took about 40 us of the 400 us each one's start and
 * exit took on this project's VM (docs/performance.md). An image that read
 * them leaves them in DIR/.ovc-host; an image that starts within a second
 * of that reading takes them from there (one small file instead of four)
 * and reads only what is its own: its cgroup and that cgroup's oom_kill
 * count. A fork child keeps its parent's facts by the same rule.
 *
 * The file is one fixed-size record with a checksum: a reader that races a
 * writer sees a bad sum and reads /proc itself. Anything else (a file of
 * another user, not a regular file, a record of another size or version,
 * from another boot or older than a second, implausible figures) is not
 * used either. Never allocates; raw system calls; the errno of the caller
 * is the caller's to keep. */
#include "procstat.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_NAME ".ovc-host"
#define CACHE_MAGIC "ovc-host"
#define CACHE_VERSION 1u

struct cache_rec {
	char magic[8];
	uint32_t version, size;
	uint64_t mono_ns, real_ns; /* when the facts were read */
	struct ovc_host host;
	uint64_t sum; /* FNV-1a of the bytes before it */
};

static uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ull;
	while (n--) {
		h ^= *s++;
		h *= 1099511628211ull;
	}
	return h;
}

/* DIR/CACHE_NAME into PATH (CAP bytes); false when it does not fit or
 * there is no directory. */
static bool cache_path(char *path, size_t cap, const char *dir)
{
	return dir[0] && ovc_path_join(path, cap, dir, CACHE_NAME);
}

/* Opens the cache file PATH with FLAGS; the descriptor when it is a
 * regular file of this user, else -1. O_NONBLOCK: a FIFO put there does
 * not hang the program. */
static int cache_open(const char *path, int flags)
{
	int fd = ovc_sys_open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
			      0600);
	if (fd < 0)
		return -1;
	struct stat st;
	if (ovc_sys_fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != (uid_t)OVC_SYS_(SYS_geteuid, 0, 0, 0, 0, 0, 0)) {
		ovc_sys_close(fd);
		return -1;
	}
	return fd;
}

/* Whether the boot epochs of two (monotonic, real) pairs agree within a
 * second: a file from before a reboot has another. */
static bool same_boot(uint64_t mono_a, uint64_t real_a, uint64_t mono_b,
		      uint64_t real_b)
{
	int64_t ea = (int64_t)(real_a - mono_a), eb = (int64_t)(real_b - mono_b);
	int64_t d = ea > eb ? ea - eb : eb - ea;
	return d < 1000000000;
}

static bool plausible(const struct ovc_host *h)
{
	return h->mem_total > 0 && h->mem_available <= h->mem_total &&
	       h->overcommit_memory >= -1 && h->overcommit_memory <= 2 &&
	       h->overcommit_ratio >= -1 && h->cgroup_version >= 0 &&
	       h->cgroup_version <= 2 &&
	       memchr(h->cgroup_dir, '\0', sizeof h->cgroup_dir) != NULL;
}

bool ovc_host_cache_get(const char *dir, uint64_t max_age_ns,
			struct ovc_host *out, uint64_t *read_ns)
{
	char path[4400];
	int fd = cache_path(path, sizeof path, dir) ? cache_open(path, O_RDONLY) : -1;
	if (fd < 0)
		return false;
	struct cache_rec rec;
	long n = ovc_sys_pread(fd, &rec, sizeof rec, 0);
	ovc_sys_close(fd);
	if (n != (long)sizeof rec || memcmp(rec.magic, CACHE_MAGIC, 8) != 0 ||
	    rec.version != CACHE_VERSION || rec.size != sizeof rec ||
	    rec.sum != fnv1a(&rec, offsetof(struct cache_rec, sum)) ||
	    !plausible(&rec.host))
		return false;
	uint64_t mono = ovc_now_ns(), real = ovc_unix_ns();
	if (rec.mono_ns > mono || mono - rec.mono_ns > max_age_ns ||
	    !same_boot(rec.mono_ns, rec.real_ns, mono, real))
		return false;
	*out = rec.host;
	*read_ns = rec.mono_ns;
	return true;
}

void ovc_host_cache_put(const char *dir, const struct ovc_host *h,
			uint64_t read_ns)
{
	struct cache_rec rec;
	memset(&rec, 0, sizeof rec);
	memcpy(rec.magic, CACHE_MAGIC, 8);
	rec.version = CACHE_VERSION;
	rec.size = sizeof rec;
	rec.host = *h;
	rec.mono_ns = read_ns;
	rec.real_ns = ovc_unix_ns() - (ovc_now_ns() - read_ns);
	rec.sum = fnv1a(&rec, offsetof(struct cache_rec, sum));
	/* Where RLIMIT_FSIZE is below the record, writing it would send
	 * the program SIGXFSZ: it is not written. */
	struct rlimit rl;
	if (ovc_sys_getrlimit(RLIMIT_FSIZE, &rl) != 0 ||
	    (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < sizeof rec))
		return;
	char path[4400];
	int fd = cache_path(path, sizeof path, dir)
			 ? cache_open(path, O_WRONLY | O_CREAT)
			 : -1;
	if (fd < 0)
		return;
	long w;
	do
		w = ovc_sys_pwrite(fd, &rec, sizeof rec, 0);
	while (w == -EINTR);
	/* A full disk: no empty file is left (unless another image wrote
	 * it meanwhile). */
	struct stat st;
	if (w != (long)sizeof rec && ovc_sys_fstat(fd, &st) == 0 && st.st_size == 0)
		OVC_SYS_(SYS_unlink, path, 0, 0, 0, 0, 0);
	ovc_sys_close(fd);
}
