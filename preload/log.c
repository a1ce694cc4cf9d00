/* The log writer (records buffered in memory, written out by the sampler
 * process from a descriptor of its own), the warnings (OVC_WARN: stderr,
 * the log, or `ovc run`'s side channel), once per kind. */
#include "config.h"
#include "fmt.h"
#include "lock.h"
#include "log.h"
#include "sampler-link.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

uint64_t (*ovc_log_clock)(void);

static struct ovc_lock log_lock = OVC_LOCK_INIT;
/* The log's path. A short one (nearly every one) is kept with the log's
 * other state, in a page every start touches; a longer one in a table of
 * its own, a page more (a page fault: 5-10 us on a VM). */
static char path_short[256];
static char path_long[4096 + 64] OVC_TABLE("log");
static char *log_path = path_short;
static dev_t log_dev;
static ino_t log_ino;
static bool log_on;
#define BUF_CAP (128 * 1024)
/* Page-aligned: an image's start and end (a header, two samples, the end
 * record: about 2 KiB) are one page of it, not two. */
static char buf[BUF_CAP] OVC_TABLE("log") __attribute__((aligned(4096)));
/* Bytes of whole lines in buf; under log_lock, stored with release after
 * the bytes, so the sampler can write out what a dead program left. */
static size_t buf_len;
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

/* ---- warnings: OVC_WARN ----
 *
 * stderr: "ovc: warning: ..." on the stderr the program started with.
 * log: a `warn` record in the log; a warning that means this image has no
 * log (it cannot be created, or writing it stopped) goes to `ovc run`
 * through its side channel instead, and the report shows it. Nothing
 * reaches the program's own stdout or stderr. auto: log under `ovc run`,
 * stderr for a bare LD_PRELOAD. */

/* Warnings waiting to become `warn` records: one may be given while the
 * log lock is held, in the sampler, or before the log is open. */
#define PENDING 8
static char pending[PENDING][512] OVC_TABLE("log");
static int pending_state[PENDING]; /* 0 free, 1 being filled, 2 ready for
				    * the log, 3 ready for stderr (given in
				    * the sampler, which has none) */

static void push_pending(const char *msg, int ready)
{
	for (int i = 0; i < PENDING; i++) {
		int free_ = 0;
		if (!__atomic_compare_exchange_n(&pending_state[i], &free_, 1,
						 false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		size_t n = strnlen(msg, sizeof pending[i] - 1);
		memcpy(pending[i], msg, n);
		pending[i][n] = '\0';
		__atomic_store_n(&pending_state[i], ready, __ATOMIC_RELEASE);
		return;
	}
}

/* Writes the pending warnings as records; under the log lock, log on. */
static void drain_warnings(void)
{
	for (int i = 0; i < PENDING; i++) {
		if (__atomic_load_n(&pending_state[i], __ATOMIC_ACQUIRE) != 2)
			continue;
		char line[1024];
		struct ovc_buf b;
		ovc_buf_init(&b, line, sizeof line);
		ovc_buf_raw(&b, "{\"t\":\"" OVC_REC_WARN "\"");
		ovc_buf_key(&b, "ns");
		ovc_buf_u64(&b, ovc_log_ns());
		ovc_buf_key(&b, "msg");
		ovc_buf_jstr(&b, pending[i], strlen(pending[i]));
		ovc_buf_raw(&b, "}\n");
		__atomic_store_n(&pending_state[i], 0, __ATOMIC_RELEASE);
		size_t n = __atomic_load_n(&buf_len, __ATOMIC_RELAXED);
		if (!b.overflow && n + b.len <= BUF_CAP) {
			memcpy(buf + n, line, b.len);
			__atomic_store_n(&buf_len, n + b.len, __ATOMIC_RELEASE);
		}
	}
}

static void say_warning(const char *msg);

static int warn_mode(void)
{
	if (ovc_cfg.warn != OVC_WARN_AUTO)
		return (int)ovc_cfg.warn;
	return ovc_cfg.run[0] ? OVC_WARN_TO_LOG : OVC_WARN_TO_STDERR;
}

/* Whether a warning of KIND says this image has no log. */
static bool means_no_log(unsigned kind)
{
	return kind == OVC_WARN_OUTPUT || kind == OVC_WARN_LOG_WRITE ||
	       kind == OVC_WARN_LOG_REOPEN || kind == OVC_WARN_FSIZE;
}

void ovc_warn_once(unsigned kind, const char *msg)
{
	int mode = warn_mode();
	if (mode == OVC_WARN_NONE)
		return;
	uint64_t bit = (uint64_t)1 << (kind & 63);
	if (__atomic_fetch_or(&warned, bit, __ATOMIC_RELAXED) & bit)
		return;
	if (mode == OVC_WARN_TO_LOG) {
		if (means_no_log(kind) && !ovc_in_sampler())
			ovc_side_send(kind == OVC_WARN_OUTPUT ? "output" : "log",
				      msg);
		else
			push_pending(msg, means_no_log(kind) ? 4 : 2);
		return;
	}
	/* The sampler process has no stderr (ticker.c): a program thread
	 * says it, at its next record or at its end (ovc_warn_flush). */
	if (ovc_in_sampler()) {
		push_pending(msg, 3);
		return;
	}
	say_warning(msg);
}

void ovc_warn_flush(void)
{
	if (ovc_in_sampler())
		return;
	for (int i = 0; i < PENDING; i++) {
		int st = __atomic_load_n(&pending_state[i], __ATOMIC_ACQUIRE);
		if (st != 3 && st != 4)
			continue;
		if (!__atomic_compare_exchange_n(&pending_state[i], &st, 1,
						 false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		if (st == 3)
			say_warning(pending[i]);
		else
			ovc_side_send("log", pending[i]);
		__atomic_store_n(&pending_state[i], 0, __ATOMIC_RELEASE);
	}
}

static void say_warning(const char *msg)
{
	char line[1024];
	struct ovc_buf b;
	ovc_buf_init(&b, line, sizeof line);
	ovc_buf_raw(&b, "warning: ");
	ovc_buf_rawn(&b, msg, strnlen(msg, sizeof line - 32));
	b.p[b.overflow ? sizeof line - 1 : b.len] = '\0';
	ovc_say(line);
}

/* ---- the side channel of `ovc run` ----
 *
 * One datagram per message to the abstract unix socket "@ovc-run-<run>"
 * that `ovc run` binds (cmd-run.c): a JSON object with the pid, the
 * program and what happened. A socket of the moment, closed at once. */
void ovc_side_send(const char *why, const char *msg)
{
	if (!ovc_cfg.run[0] || ovc_in_sampler())
		return;
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	struct ovc_buf nb;
	ovc_buf_init(&nb, a.sun_path + 1, sizeof a.sun_path - 1);
	ovc_buf_raw(&nb, OVC_SIDE_PREFIX);
	ovc_buf_raw(&nb, ovc_cfg.run);
	if (nb.overflow)
		return;
	char exe[1024];
	long exe_len = OVC_SYS_(SYS_readlink, "/proc/self/exe", exe,
				sizeof exe - 1, 0, 0, 0);
	char line[2048];
	struct ovc_buf b;
	ovc_buf_init(&b, line, sizeof line);
	ovc_buf_raw(&b, "{\"t\":\"" OVC_REC_SIDE "\",\"pid\":");
	ovc_buf_u64(&b, (uint64_t)ovc_sys_getpid());
	ovc_buf_raw(&b, ",\"ppid\":");
	ovc_buf_u64(&b, (uint64_t)ovc_sys_getppid());
	ovc_buf_raw(&b, ",\"why\":");
	ovc_buf_jstr(&b, why, strlen(why));
	ovc_buf_raw(&b, ",\"exe\":");
	ovc_buf_jstr(&b, exe, exe_len > 0 ? (size_t)exe_len : 0);
	ovc_buf_raw(&b, ",\"msg\":");
	ovc_buf_jstr(&b, msg, strnlen(msg, 1024));
	ovc_buf_raw(&b, "}");
	if (b.overflow)
		return;
	int fd = (int)OVC_SYS_(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
			       0, 0, 0);
	if (fd < 0)
		return;
	OVC_SYS_(SYS_sendto, fd, line, b.len, MSG_DONTWAIT | MSG_NOSIGNAL, &a,
		 offsetof(struct sockaddr_un, sun_path) + 1 + nb.len);
	ovc_sys_close(fd);
}

/* ---- the log ----
 *
 * The program's descriptor table holds none of ovc's descriptors: a
 * program that lists /proc/self/fd, closes every descriptor or dup2s onto
 * a number sees what it would see plain (issue 13). Records go to a buffer
 * in memory; the sampler process, which shares that memory but has a
 * descriptor table of its own, writes it out at each tick from its own
 * descriptor. A program thread writes the buffer out itself only when it
 * is full and at the image's end (exec, exit), opening the log by path for
 * the moment of the write (a microsecond). */


/* The descriptor ovc_log_open created the log with, kept until the image's
 * start has written its header and first sample through it (one open of
 * the file instead of two); closed by ovc_log_settle. */
static int fresh_fd = -1;

static bool adopt(int fd)
{
	struct stat st;
	if (ovc_sys_fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ovc_sys_close(fd);
		return false;
	}
	fresh_fd = fd;
	log_dev = st.st_dev;
	log_ino = st.st_ino;
	__atomic_store_n(&buf_len, 0, __ATOMIC_RELEASE);
	log_on = true;
	return true;
}

/* DIR's log of PID's image K into DST (CAP bytes); false when too long. */
static bool path_into(char *dst, size_t cap, const char *dir, pid_t pid,
		      unsigned k)
{
	struct ovc_buf b;
	ovc_buf_init(&b, dst, cap - 1);
	ovc_buf_raw(&b, dir);
	ovc_buf_raw(&b, "/" OVC_LOG_PREFIX);
	ovc_buf_u64(&b, (uint64_t)pid);
	ovc_buf_raw(&b, ".");
	ovc_buf_u64(&b, k);
	ovc_buf_raw(&b, OVC_LOG_SUFFIX);
	dst[b.overflow ? 0 : b.len] = '\0';
	return !b.overflow;
}

bool ovc_log_open(const char *dir, pid_t pid, unsigned *k)
{
	for (unsigned i = 0; i < 10000; i++) {
		log_path = path_short;
		if (!path_into(path_short, sizeof path_short, dir, pid, i)) {
			log_path = path_long;
			if (!path_into(path_long, sizeof path_long, dir, pid, i)) {
				errno = ENAMETOOLONG;
				break;
			}
		}
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
	log_path = path_short;
	log_path[0] = '\0';
	return false;
}

int ovc_log_open_fd(void)
{
	if (!log_path[0])
		return -1;
	int fd = ovc_sys_open(log_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
			      0);
	if (fd < 0)
		return fd;
	struct stat st;
	if (ovc_sys_fstat(fd, &st) != 0 || st.st_dev != log_dev ||
	    st.st_ino != log_ino) {
		ovc_sys_close(fd);
		return -ESTALE; /* another file has the log's name now */
	}
	return fd;
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

/* The log's file is gone (its directory removed, or another file has its
 * name): what is written now would be lost with it. Said once, and the
 * log stops. */
static void log_deleted(void)
{
	stop(OVC_WARN_LOG_REOPEN, "ovc's log was deleted (its directory "
				  "removed?)");
}

/* Writes S to the log through FD; false when the log cannot take it all
 * (then logging stops, with a warning). */
static bool put(int fd, const char *s, size_t n)
{
	struct stat st;
	bool known = ovc_sys_fstat(fd, &st) == 0;
	if (known && st.st_nlink == 0) {
		log_deleted();
		return false;
	}
	/* Writing past RLIMIT_FSIZE would send the writer SIGXFSZ: the
	 * whole lines that fit go, then logging stops. */
	struct rlimit rl;
	bool over = false;
	if (known && ovc_sys_getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY &&
	    (uint64_t)st.st_size + n > (uint64_t)rl.rlim_cur) {
		uint64_t room = (uint64_t)rl.rlim_cur > (uint64_t)st.st_size
					? (uint64_t)rl.rlim_cur - (uint64_t)st.st_size
					: 0;
		while (n && (n > room || s[n - 1] != '\n'))
			n--;
		over = true;
	}
	while (n) {
		long w = ovc_sys_write(fd, s, n);
		if (w == -EINTR)
			continue;
		if (w <= 0) {
			if (w == -ENOSPC || w == -EDQUOT)
				stop(OVC_WARN_LOG_WRITE,
				     "disk full, cannot write ovc's log");
			else
				stop(OVC_WARN_LOG_WRITE, "cannot write to ovc's log");
			return false;
		}
		s += w;
		n -= (size_t)w;
	}
	if (over) {
		stop(OVC_WARN_FSIZE, "the file size limit (ulimit -f) is reached");
		return false;
	}
	return true;
}

/* Writes S out now: from the sampler's own descriptor, else through a
 * descriptor opened for the moment. False when it could not be written
 * from here (the program changed user, or has no descriptor left): the
 * sampler, if there is one, may still. */
static bool put_now(const char *s, size_t n)
{
	int fd;
	if (ovc_sampler_fd(OVC_FD_LOG, &fd))
		return fd >= 0 && put(fd, s, n);
	if (fresh_fd >= 0)
		return put(fresh_fd, s, n);
	fd = ovc_log_open_fd();
	if (fd < 0) {
		if (fd == -ENOENT || fd == -ESTALE)
			log_deleted();
		return false;
	}
	bool ok = put(fd, s, n);
	ovc_sys_close(fd);
	return ok;
}

/* Writes the buffer out. Caller holds the log lock, or is the sampler
 * after the program died. */
static bool flush_locked(void)
{
	size_t n = __atomic_load_n(&buf_len, __ATOMIC_ACQUIRE);
	if (!n)
		return true;
	if (!log_on || !put_now(buf, n)) {
		if (!log_on)
			__atomic_store_n(&buf_len, 0, __ATOMIC_RELEASE);
		return false;
	}
	__atomic_store_n(&buf_len, 0, __ATOMIC_RELEASE);
	return true;
}

static void drain_warnings(void);

void ovc_log_write(const char *line, size_t len)
{
	if (!log_on) {
		ovc_warn_flush();
		return;
	}
	size_t n = __atomic_load_n(&buf_len, __ATOMIC_RELAXED);
	if (n + len > BUF_CAP && !flush_locked()) {
		/* This thread cannot write the log (a change of user): the
		 * sampler can, from its own descriptor. */
		if (log_on && ovc_ticker_drain(&buf_len))
			n = __atomic_load_n(&buf_len, __ATOMIC_RELAXED);
		if (!log_on)
			return;
	}
	n = __atomic_load_n(&buf_len, __ATOMIC_RELAXED);
	if (n + len > BUF_CAP) {
		if (len > BUF_CAP)
			put_now(line, len);
		else
			stop(OVC_WARN_LOG_REOPEN,
			     "ovc's log cannot be written from this process "
			     "any more");
		return;
	}
	if (line != buf + n) /* else made in place (ovc_log_room) */
		memcpy(buf + n, line, len);
	__atomic_store_n(&buf_len, n + len, __ATOMIC_RELEASE);
	drain_warnings(); /* after the line: the first is the header */
}

char *ovc_log_room(size_t *cap)
{
	if (!log_on)
		return NULL;
	size_t n = __atomic_load_n(&buf_len, __ATOMIC_RELAXED);
	*cap = BUF_CAP - n;
	return buf + n;
}

void ovc_log_write_now(const char *line, size_t len)
{
	if (log_on)
		put_now(line, len);
}

void ovc_log_flush_locked(void)
{
	flush_locked();
}

void ovc_log_flush(void)
{
	ovc_lock_take(&log_lock);
	drain_warnings();
	flush_locked();
	ovc_lock_give(&log_lock);
}

bool ovc_log_pending(void)
{
	return __atomic_load_n(&buf_len, __ATOMIC_ACQUIRE) != 0;
}

void ovc_record_write(struct ovc_buf *b)
{
	if (b->overflow)
		return;
	ovc_lock_take(&log_lock);
	ovc_log_write(b->p, b->len);
	ovc_lock_give(&log_lock);
}

void ovc_log_settle(void)
{
	if (fresh_fd >= 0) {
		ovc_sys_close(fresh_fd);
		fresh_fd = -1;
	}
}

void ovc_log_forget(void)
{
	log_on = false;
	/* a fork child: what is in the buffer is the parent's to write */
	__atomic_store_n(&buf_len, 0, __ATOMIC_RELEASE);
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
