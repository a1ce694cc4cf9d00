/* The log writer: whole lines appended with one write(2) each, to a file
 * that the host program cannot take away unnoticed (a closed or dup2'd-over
 * descriptor is detected and the file reopened by path), and warnings on
 * stderr, once per kind. */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static char log_path[4096 + 64];
static int log_fd = -1;
static dev_t log_dev;
static ino_t log_ino;
static bool log_on;
static uint64_t warned;

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

void ovc_say(const char *msg)
{
	char line[1024];
	struct ovc_buf b;
	int saved = errno;
	ovc_buf_init(&b, line, sizeof line - 1);
	ovc_buf_raw(&b, "ovc: ");
	ovc_buf_rawn(&b, msg, strnlen(msg, sizeof line - 16));
	line[b.len++] = '\n';
	write_all(2, line, b.len);
	errno = saved;
}

void ovc_warn_once(unsigned kind, const char *msg)
{
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
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024)
		target = rl.rlim_cur > 64 ? (int)rl.rlim_cur - 24 : 3;
	if (fd >= target)
		return fd;
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, target);
	if (hi < 0)
		return fd;
	close(fd);
	return hi;
}

static bool adopt(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
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
		int fd = open(log_path,
			      O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW |
				      O_CLOEXEC,
			      0600);
		if (fd >= 0) {
			*k = i;
			if (adopt(fd))
				return true;
			break;
		}
		if (errno != EEXIST)
			break;
	}
	log_path[0] = '\0';
	return false;
}

/* The program closed our descriptor or put another file in its place:
 * open the log again by path, and only if it is still the same file. */
static bool reopen(void)
{
	int fd = open(log_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_dev != log_dev || st.st_ino != log_ino) {
		close(fd);
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
	int saved = errno;
	struct stat st;
	if (fstat(log_fd, &st) != 0 || st.st_dev != log_dev ||
	    st.st_ino != log_ino) {
		if (!reopen() || fstat(log_fd, &st) != 0) {
			stop(OVC_WARN_LOG_REOPEN,
			     "the program closed or replaced ovc's log and it "
			     "cannot be reopened");
			errno = saved;
			return;
		}
	}
	/* Writing past RLIMIT_FSIZE would send the host SIGXFSZ. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (uint64_t)st.st_size + len > (uint64_t)rl.rlim_cur) {
		stop(OVC_WARN_FSIZE, "the file size limit (ulimit -f) is reached");
		errno = saved;
		return;
	}
	const char *s = line;
	size_t n = len;
	while (n) {
		ssize_t w = write(log_fd, s, n);
		if (w < 0 && errno == EINTR)
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
	errno = saved;
}

void ovc_record_write(struct ovc_buf *b)
{
	if (b->overflow)
		return;
	pthread_mutex_lock(&log_mutex);
	ovc_log_write(b->p, b->len);
	pthread_mutex_unlock(&log_mutex);
}

void ovc_log_forget(void)
{
	struct stat st;
	/* In a fork child the inherited descriptor is ovc's own copy of the
	 * parent's log, unless the program has put a file of its own there. */
	if (log_fd >= 0 && fstat(log_fd, &st) == 0 && st.st_dev == log_dev &&
	    st.st_ino == log_ino)
		close(log_fd);
	log_on = false;
	log_fd = -1;
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
	pthread_mutex_lock(&log_mutex);
}

bool ovc_log_trylock(void)
{
	return pthread_mutex_trylock(&log_mutex) == 0;
}

void ovc_log_unlock(void)
{
	pthread_mutex_unlock(&log_mutex);
}

void ovc_log_fork_child(void)
{
	pthread_mutex_init(&log_mutex, NULL);
}
