/* The log writer: whole lines appended with one write(2) each, to a file
 * that the host program cannot take away unnoticed (a closed or dup2'd-over
 * descriptor is detected and the file reopened by path), and warnings on
 * stderr, once per kind. */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ovc_lock log_lock = OVC_LOCK_INIT;
static char log_path[4096 + 64];
static int log_fd = -1;
static dev_t log_dev;
static ino_t log_ino;
static bool log_on;
static uint64_t warned;

/* The stderr the program had at start: ovc writes only there, never to a
 * file the program later put on descriptor 2. */
static bool err_known;
static dev_t err_dev;
static ino_t err_ino;

void ovc_stderr_remember(void)
{
	struct stat st;
	err_known = ovc_sys_fstat(2, &st) == 0;
	err_dev = st.st_dev;
	err_ino = st.st_ino;
}

/* Whether descriptor 2 is still the stderr the program started with. */
static bool stderr_ours(void)
{
	struct stat st;
	return err_known && ovc_sys_fstat(2, &st) == 0 && st.st_dev == err_dev &&
	       st.st_ino == err_ino;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		long w = ovc_sys_write(fd, s, n);
		if (w == -EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

void ovc_say(const char *msg)
{
	if (!stderr_ours())
		return;
	char line[1024];
	struct ovc_buf b;
	ovc_buf_init(&b, line, sizeof line - 1);
	ovc_buf_raw(&b, "ovc: ");
	ovc_buf_rawn(&b, msg, strnlen(msg, sizeof line - 16));
	line[b.len++] = '\n';
	write_all(2, line, b.len);
}

void ovc_warn_once(unsigned kind, const char *msg)
{
	/* The sampler process has no stderr (ticker.c): the program's own
	 * thread meets the same trouble at its next record, and says it. */
	if (ovc_in_sampler())
		return;
	uint64_t bit = (uint64_t)1 << (kind & 63);
	if (__atomic_fetch_or(&warned, bit, __ATOMIC_RELAXED) & bit)
		return;
	char line[1024];
	struct ovc_buf b;
	ovc_buf_init(&b, line, sizeof line);
	ovc_buf_raw(&b, "warning: ");
	ovc_buf_rawn(&b, msg, strnlen(msg, sizeof line - 32));
	b.p[b.overflow ? sizeof line - 1 : b.len] = '\0';
	ovc_say(line);
}

/* Moves FD to a high number, out of the way of programs that dup2 onto
 * low descriptors; keeps FD where it is when that fails. */
static int move_high(int fd)
{
	struct rlimit rl;
	int target = 1000;
	if (ovc_sys_getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024)
		target = rl.rlim_cur > 64 ? (int)rl.rlim_cur - 24 : 3;
	if (fd >= target)
		return fd;
	int hi = ovc_sys_fcntl(fd, F_DUPFD_CLOEXEC, target);
	if (hi < 0)
		return fd;
	ovc_sys_close(fd);
	return hi;
}

static bool adopt(int fd)
{
	struct stat st;
	if (ovc_sys_fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ovc_sys_close(fd);
		return false;
	}
	log_fd = move_high(fd);
	log_dev = st.st_dev;
	log_ino = st.st_ino;
	log_on = true;
	return true;
}

bool ovc_log_open(const char *dir, pid_t pid, unsigned *k)
{
	for (unsigned i = 0; i < 10000; i++) {
		struct ovc_buf b;
		ovc_buf_init(&b, log_path, sizeof log_path - 1);
		ovc_buf_raw(&b, dir);
		ovc_buf_raw(&b, "/" OVC_LOG_PREFIX);
		ovc_buf_u64(&b, (uint64_t)pid);
		ovc_buf_raw(&b, ".");
		ovc_buf_u64(&b, i);
		ovc_buf_raw(&b, OVC_LOG_SUFFIX);
		if (b.overflow) {
			errno = ENAMETOOLONG;
			break;
		}
		log_path[b.len] = '\0';
		int fd = ovc_sys_open(log_path,
				      O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
					      O_NOFOLLOW | O_CLOEXEC,
				      0600);
		if (fd >= 0) {
			*k = i;
			if (adopt(fd))
				return true;
			errno = ENOTSUP; /* not a regular file */
			break;
		}
		if (fd != -EEXIST) {
			errno = -fd;
			break;
		}
	}
	log_path[0] = '\0';
	return false;
}

/* The program closed our descriptor or put another file in its place:
 * open the log again by path, and only if it is still the same file. */
static bool reopen(void)
{
	int fd = ovc_sys_open(log_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
			      0);
	if (fd < 0)
		return false;
	struct stat st;
	if (ovc_sys_fstat(fd, &st) != 0 || st.st_dev != log_dev ||
	    st.st_ino != log_ino) {
		ovc_sys_close(fd);
		return false;
	}
	log_fd = move_high(fd);
	return true;
}

static void stop(unsigned kind, const char *why)
{
	log_on = false;
	char msg[600];
	struct ovc_buf b;
	ovc_buf_init(&b, msg, sizeof msg - 1);
	ovc_buf_raw(&b, why);
	ovc_buf_raw(&b, ": ");
	ovc_buf_raw(&b, log_path);
	ovc_buf_raw(&b, "; the rest of this process is not logged");
	msg[b.overflow ? sizeof msg - 1 : b.len] = '\0';
	ovc_warn_once(kind, msg);
}

void ovc_log_write(const char *line, size_t len)
{
	if (!log_on)
		return;
	struct stat st;
	int fd;
	bool sampler = ovc_sampler_fd(OVC_FD_LOG, &fd);
	if (sampler) {
		/* its own copy, which the program cannot take away */
		if (fd < 0 || ovc_sys_fstat(fd, &st) != 0)
			return;
	} else {
		if (ovc_sys_fstat(log_fd, &st) != 0 || st.st_dev != log_dev ||
		    st.st_ino != log_ino) {
			if (!reopen() || ovc_sys_fstat(log_fd, &st) != 0) {
				stop(OVC_WARN_LOG_REOPEN,
				     "the program closed or replaced ovc's log "
				     "and it cannot be reopened");
				return;
			}
		}
		fd = log_fd;
	}
	/* Writing past RLIMIT_FSIZE would send the host SIGXFSZ. */
	struct rlimit rl;
	if (ovc_sys_getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY &&
	    (uint64_t)st.st_size + len > (uint64_t)rl.rlim_cur) {
		if (!sampler) /* else the program's next record stops and says so */
			stop(OVC_WARN_FSIZE,
			     "the file size limit (ulimit -f) is reached");
		return;
	}
	const char *s = line;
	size_t n = len;
	while (n) {
		long w = ovc_sys_write(fd, s, n);
		if (w == -EINTR)
			continue;
		if (w <= 0) {
			ovc_warn_once(OVC_WARN_LOG_WRITE,
				      "cannot write to ovc's log (disk full?); "
				      "records are being lost");
			break;
		}
		s += w;
		n -= (size_t)w;
	}
}

void ovc_record_write(struct ovc_buf *b)
{
	if (b->overflow)
		return;
	ovc_lock_take(&log_lock);
	ovc_log_write(b->p, b->len);
	ovc_lock_give(&log_lock);
}

void ovc_log_forget(void)
{
	struct stat st;
	/* In a fork child the inherited descriptor is ovc's own copy of the
	 * parent's log, unless the program has put a file of its own there. */
	if (log_fd >= 0 && ovc_sys_fstat(log_fd, &st) == 0 &&
	    st.st_dev == log_dev && st.st_ino == log_ino)
		ovc_sys_close(log_fd);
	log_on = false;
	log_fd = -1;
}

int ovc_log_fd(void)
{
	return log_on ? log_fd : -1;
}

bool ovc_log_active(void)
{
	return log_on;
}

const char *ovc_log_path(void)
{
	return log_path;
}

void ovc_log_lock(void)
{
	ovc_lock_take(&log_lock);
}

bool ovc_log_trylock(void)
{
	return ovc_lock_try(&log_lock);
}

void ovc_log_unlock(void)
{
	ovc_lock_give(&log_lock);
}

void ovc_log_fork_child(void)
{
	ovc_lock_reset(&log_lock);
}
