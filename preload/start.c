/* The start of a traced image: its log and header (at start, and in a
 * fork child), when its sampler starts, and the constructor and destructor
 * that open and close ovc in the process. */
#include "account.h"
#include "arena.h"
#include "blocks.h"
#include "boot.h"
#include "budget.h"
#include "config.h"
#include "fmt.h"
#include "follow.h"
#include "image.h"
#include "lifecycle.h"
#include "log.h"
#include "procstat.h"
#include "stack.h"
#include "sys.h"
#include "ticker.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- errors, without strerror (it may allocate for translations) ---- */

static const char *errno_text(int e)
{
	switch (e) {
	case EACCES: return "permission denied";
	case EPERM: return "operation not permitted";
	case ENOENT: return "no such file or directory";
	case ENOTDIR: return "a part of the path is not a directory";
	case EROFS: return "read-only file system";
	case ENOSPC: return "no space left on device";
	case EDQUOT: return "disk quota exceeded";
	case EEXIST: return "too many logs of this pid already";
	case ELOOP: return "too many symbolic links";
	case ENAMETOOLONG: return "path too long";
	case EMFILE: case ENFILE: return "too many open files";
	default: return "cannot create a file there";
	}
}

/* mkdir -p with mode 0700 for the directories ovc makes. Not inlined:
 * only the first process of a run makes them, and its buffer would
 * deepen open_image_log's frame for every other (a page of stack deeper
 * is a page fault at every start). */
static __attribute__((noinline)) int make_dirs(const char *path)
{
	char tmp[4096];
	ovc_copy_str(tmp, sizeof tmp, path);
	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
				return -1;
			*p = c;
			if (!c)
				break;
		}
	}
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* The machine's memory facts, read once when the image starts: the
 * header records them, budgets and limits use them. Facts read less than
 * a second before are taken instead, the cgroup and its oom_kill count
 * read again: a fork child keeps its parent's, an image takes those an
 * image of the same user left in the output directory (hostcache.c). */
#define HOST_MAX_AGE_NS 1000000000u
static struct ovc_host host;
static uint64_t host_ns; /* when it was read */

static void host_read(void)
{
	struct ovc_host known;
	if (ovc_host_cache_get(ovc_cfg.output, HOST_MAX_AGE_NS, &known, &host_ns)) {
		ovc_host_read(&host, &known);
		return;
	}
	host_ns = ovc_now_ns();
	ovc_host_read(&host, NULL);
	ovc_host_cache_put(ovc_cfg.output, &host, host_ns);
}

/* The arguments glibc gave the constructor (it calls each ELF constructor
 * with argc, argv and envp), while the start's header is written; NULL
 * after, so a fork child reads what the program may have rewritten. */
static char **start_argv;
static int start_argc;

/* The most of the command line a header holds, as /proc/self/cmdline
 * has it (each argument and its NUL). */
#define CMD_MAX (64 * 1024)

/* Appends the command line as a JSON array: the NUL-separated CMD_LEN
 * bytes of CMD (-1: unread), or the constructor's arguments when CMD is
 * NULL, cut as read_cmdline would cut them. */
static void put_argv(struct ovc_buf *b, const char *cmd, ssize_t cmd_len)
{
	ovc_buf_raw(b, "[");
	if (!cmd) {
		size_t total = 0;
		for (int i = 0; i < start_argc && start_argv[i] && total + 1 < CMD_MAX; i++) {
			size_t n = strnlen(start_argv[i], CMD_MAX - 1 - total);
			if (i)
				ovc_buf_raw(b, ",");
			ovc_buf_jstr(b, start_argv[i], n);
			total += n + 1;
		}
	}
	for (ssize_t i = 0; cmd && i < cmd_len;) {
		size_t n = strnlen(cmd + i, (size_t)(cmd_len - i));
		if (i)
			ovc_buf_raw(b, ",");
		ovc_buf_jstr(b, cmd + i, n);
		i += (ssize_t)n + 1;
	}
	ovc_buf_raw(b, "]");
}

/* Makes the `proc` record in REC (CAP bytes) from the command line CMD
 * (CMD_LEN bytes, -1 when unread; NULL: the constructor's arguments) and
 * writes it; false when it did not fit (nothing written). */
static bool header_into(char *rec, size_t cap, const char *cmd,
			ssize_t cmd_len, const char *origin,
			const char *parent_log, uint64_t start_ticks,
			const char *exe)
{
	size_t exe_len = strlen(exe);
	struct ovc_buf b;
	ovc_buf_init(&b, rec, cap);
	ovc_buf_raw(&b, "{\"t\":\"" OVC_REC_PROC "\"");
	ovc_buf_key(&b, "format");
	ovc_buf_raw(&b, "\"" OVC_LOG_FORMAT "\"");
	ovc_buf_key(&b, "version");
	ovc_buf_u64(&b, OVC_LOG_VERSION);
	ovc_buf_key(&b, "pid");
	ovc_buf_u64(&b, (uint64_t)ovc_img.pid);
	ovc_buf_key(&b, "ppid");
	ovc_buf_u64(&b, (uint64_t)ovc_sys_getppid());
	if (start_ticks) {
		ovc_buf_key(&b, "proc_start_ticks");
		ovc_buf_u64(&b, start_ticks);
	}
	ovc_buf_key(&b, "clk_tck");
	ovc_buf_i64(&b, ovc_clk_tck());
	ovc_buf_key(&b, "origin");
	ovc_buf_jstr(&b, origin, strlen(origin));
	if (parent_log && *parent_log) {
		ovc_buf_key(&b, "parent_log");
		ovc_buf_jstr(&b, parent_log, strlen(parent_log));
	}
	ovc_buf_key(&b, "run");
	ovc_buf_jstr(&b, ovc_cfg.run, strlen(ovc_cfg.run));
	ovc_buf_key(&b, "start_unix_ns");
	ovc_buf_u64(&b, ovc_unix_ns());
	ovc_buf_key(&b, "start_mono_ns");
	ovc_buf_u64(&b, ovc_img.start_ns);
	ovc_buf_key(&b, "host_mono_ns");
	ovc_buf_u64(&b, host_ns);
	ovc_buf_key(&b, "page_size");
	ovc_buf_i64(&b, host.page_size);
	ovc_buf_key(&b, "mem_total");
	ovc_buf_u64(&b, host.mem_total);
	ovc_buf_key(&b, "mem_available");
	ovc_buf_u64(&b, host.mem_available);
	ovc_buf_key(&b, "commit_limit");
	ovc_buf_u64(&b, host.commit_limit);
	ovc_buf_key(&b, "committed_as");
	ovc_buf_u64(&b, host.committed_as);
	ovc_buf_key(&b, "overcommit_memory");
	ovc_buf_i64(&b, host.overcommit_memory);
	ovc_buf_key(&b, "overcommit_ratio");
	ovc_buf_i64(&b, host.overcommit_ratio);
	ovc_buf_key(&b, "interval_ms");
	ovc_buf_u64(&b, ovc_cfg.interval_ms);
	ovc_buf_key(&b, "seed");
	ovc_buf_u64(&b, ovc_cfg.seed);
	ovc_buf_key(&b, "sample");
	ovc_buf_u64(&b, ovc_cfg.sample_bytes);
	if (host.cgroup_version) {
		ovc_buf_key(&b, "cgroup");
		ovc_buf_raw(&b, "{\"version\":");
		ovc_buf_u64(&b, (uint64_t)host.cgroup_version);
		ovc_buf_raw(&b, ",\"dir\":");
		ovc_buf_jstr(&b, host.cgroup_dir, strlen(host.cgroup_dir));
		if (host.cgroup_max >= 0) {
			ovc_buf_raw(&b, ",\"max\":");
			ovc_buf_u64(&b, (uint64_t)host.cgroup_max);
		}
		if (host.cgroup_oom_kill >= 0) {
			ovc_buf_raw(&b, ",\"oom_kill\":");
			ovc_buf_u64(&b, (uint64_t)host.cgroup_oom_kill);
		}
		ovc_buf_raw(&b, "}");
	}
	if (ovc_cfg.budget_bytes) {
		ovc_buf_key(&b, "budget");
		ovc_buf_u64(&b, ovc_cfg.budget_bytes);
		ovc_buf_key(&b, "budget_mode");
		ovc_buf_jstr(&b, ovc_cfg.budget_mode, strlen(ovc_cfg.budget_mode));
	}
	if (ovc_cfg.prefault) {
		ovc_buf_key(&b, "prefault");
		ovc_buf_raw(&b, "true");
	}
	ovc_buf_key(&b, "funcs");
	ovc_buf_strs(&b, ovc_func_names, OVC_FN_COUNT);
	ovc_buf_key(&b, "map_funcs");
	ovc_buf_strs(&b, ovc_map_func_names, OVC_MFN_COUNT);
	ovc_buf_key(&b, "mmap_mode");
	ovc_buf_raw(&b, ovc_cfg.mmap_mode == OVC_MMAP_ALL ? "\"all\""
			: ovc_cfg.mmap_mode == OVC_MMAP_NONE ? "\"none\""
							     : "\"anon\"");
	ovc_buf_key(&b, "baseline");
	ovc_buf_raw(&b, "{\"vm\":");
	ovc_buf_u64(&b, ovc_img.base.vm);
	ovc_buf_raw(&b, ",\"rss\":");
	ovc_buf_u64(&b, ovc_img.base.rss);
	ovc_buf_raw(&b, ",\"shared\":");
	ovc_buf_u64(&b, ovc_img.base.shared);
	ovc_buf_raw(&b, "}");
	if (strcmp(origin, "fork") == 0) {
		/* What the child holds of its parent's: the counters start
		 * from it (ovc_account_fork_child), the reader tells it apart. */
		struct ovc_totals t;
		ovc_account_totals(&t);
		ovc_buf_key(&b, "inherited");
		ovc_buf_raw(&b, "{\"live\":");
		ovc_buf_i64(&b, t.live > 0 ? t.live : 0);
		ovc_buf_raw(&b, ",\"committed\":");
		ovc_buf_i64(&b, t.maps[2] > 0 ? t.maps[2] : 0);
		ovc_buf_raw(&b, "}");
	}
	ovc_buf_key(&b, "exe");
	ovc_buf_jstr(&b, exe, (size_t)exe_len);
	ovc_buf_key(&b, "argv");
	put_argv(&b, cmd, cmd_len);
	ovc_img_line_end(&b);
	ovc_img_write_line(&b);
	return !b.overflow;
}

/* The command line as /proc/self/cmdline has it (each argument and its
 * NUL), at most CAP - 1 bytes, NUL-terminated; its length, or -1. From
 * the constructor's arguments where it has them: the kernel's copy costs
 * a file's open, read and close (about 12 us on this project's VM). */
static ssize_t read_cmdline(char *buf, size_t cap)
{
	if (!start_argv)
		return ovc_read_file("/proc/self/cmdline", buf, cap);
	size_t total = 0;
	for (int i = 0; i < start_argc && start_argv[i] && total + 1 < cap; i++) {
		size_t n = strnlen(start_argv[i], cap - 1 - total);
		memcpy(buf + total, start_argv[i], n);
		total += n;
		if (total + 1 < cap)
			buf[total++] = '\0';
	}
	buf[total] = '\0';
	return (ssize_t)total;
}

/* Room for the usual header: the command line, then the record. */
static char header_room[16384] OVC_TABLE("start");
#define SHORT_CMD 2048

static void write_header(const char *origin, const char *parent_log,
			 uint64_t start_ticks, const char *exe)
{
	/* An image's start (the constructor's arguments at hand): the
	 * record is made in the log's buffer, where it goes, and takes no
	 * page of its own (a page fault: 5-10 us on a VM). */
	if (start_argv) {
		size_t cap;
		ovc_log_lock();
		char *room = ovc_log_room(&cap);
		bool made = room && header_into(room, cap, NULL, 0, origin,
						parent_log, start_ticks, exe);
		ovc_log_unlock();
		if (made)
			return;
	}
	/* A fork child's command line under 2 KiB (nearly every one) and
	 * its record are made in a table of ovc's: a page or two of it
	 * touched, no mapping made and unmade. A longer one, as many as
	 * 64 KiB of arguments, in pages mapped for it. */
	ssize_t cmd_len = read_cmdline(header_room, SHORT_CMD);
	if (cmd_len < SHORT_CMD - 1) {
		size_t at = cmd_len > 0 ? ((size_t)cmd_len + 64) & ~(size_t)63 : 0;
		if (header_into(header_room + at, sizeof header_room - at,
				header_room, cmd_len, origin, parent_log,
				start_ticks, exe))
			return;
	}
	const size_t cap = 256 * 1024;
	char *mem = ovc_pages_alloc(cap);
	if (!mem)
		return;
	char *cmd = mem + 160 * 1024; /* argv, up to CMD_MAX */
	cmd_len = read_cmdline(cmd, CMD_MAX);
	header_into(mem, 160 * 1024, cmd, cmd_len, origin, parent_log,
		    start_ticks, exe);
	ovc_pages_free(mem, cap);
}

/* The rare paths of open_image_log, each a function of its own (not
 * inlined): their buffers would deepen its frame, and each page of stack
 * the start goes deeper than the loader did is a page fault (about 12 us
 * on a VM, docs/performance.md). */

/* Says once that this process runs untracked: its log cannot be made. */
static __attribute__((noinline)) void warn_no_log(int err)
{
	char msg[4300];
	struct ovc_buf b;
	ovc_buf_init(&b, msg, sizeof msg - 1);
	ovc_buf_raw(&b, "cannot write logs to ");
	ovc_buf_raw(&b, ovc_cfg.output);
	ovc_buf_raw(&b, " (");
	ovc_buf_raw(&b, errno_text(err));
	ovc_buf_raw(&b, "); this process runs untracked: set OVC_OUTPUT "
			"to a writable directory");
	msg[b.overflow ? sizeof msg - 1 : b.len] = '\0';
	ovc_warn_once(OVC_WARN_OUTPUT, msg);
}

/* The start time of the process whose log (number K of our pid) it is:
 * from its header when the header has it (an image with a log of its pid
 * before it), else from its last record when that is the `exec` record of
 * an image replaced by exec (which read it then); 0 when neither has it or
 * the header is not of our pid. One buffer holds the path, the header,
 * then the end: the start's stack goes no deeper than it must. */
static __attribute__((noinline)) uint64_t ticks_of_log(unsigned k)
{
	char b[4608];
	uint64_t pid = 0, t = 0;
	if (!ovc_img_log_path(b, sizeof b, ovc_img.pid, k))
		return 0;
	int fd = ovc_sys_open(b, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	long n = ovc_sys_pread(fd, b, 511, 0);
	b[n > 0 ? n : 0] = '\0';
	char *nl = strchr(b, '\n');
	if (nl)
		*nl = '\0';
	struct stat st;
	if (!ovc_img_number_after(b, "\"pid\":", &pid) ||
	    pid != (uint64_t)ovc_img.pid) {
		t = 0;
	} else if (!ovc_img_number_after(b, "\"proc_start_ticks\":", &t) &&
		   ovc_sys_fstat(fd, &st) == 0) {
		/* The last exec record among the whole lines of its end (one
		 * is at most 4.4 KiB; a warning may follow it). */
		off_t at = st.st_size > (off_t)sizeof b - 1
				   ? st.st_size - (off_t)sizeof b + 1 : 0;
		n = ovc_sys_pread(fd, b, sizeof b - 1, at);
		b[n > 0 ? n : 0] = '\0';
		static const char exec_rec[] = "{\"t\":\"" OVC_REC_EXEC "\"";
		char *line = b;
		if (at > 0) { /* the first line is cut: from the next */
			line = strchr(b, '\n');
			line = line ? line + 1 : b + strlen(b);
		}
		t = 0;
		while (*line) {
			char *end = strchr(line, '\n');
			if (end)
				*end = '\0';
			uint64_t v;
			if (strncmp(line, exec_rec, sizeof exec_rec - 1) == 0 &&
			    ovc_img_number_after(line, "\"proc_start_ticks\":", &v))
				t = v;
			if (!end)
				break;
			line = end + 1;
		}
	}
	ovc_sys_close(fd);
	return t;
}

/* Whether the log before ours (number K - 1) is of our process (TICKS,
 * its start time, read by the caller): then the process exec'd, and that
 * log, named in PREV (CAP bytes), is the image this one replaces. */
static bool replaces(unsigned k, uint64_t ticks, char *prev, size_t cap)
{
	ovc_img_log_name(prev, cap, ovc_img.pid, k - 1);
	return ticks != 0 && ticks_of_log(k - 1) == ticks;
}

/* OVC_VERBOSE=1: says which log this process writes. */
static __attribute__((noinline)) void say_logging(void)
{
	char msg[4400];
	struct ovc_buf b;
	ovc_buf_init(&b, msg, sizeof msg - 1);
	ovc_buf_raw(&b, "logging to ");
	ovc_buf_raw(&b, ovc_log_path());
	msg[b.overflow ? sizeof msg - 1 : b.len] = '\0';
	ovc_say(msg);
}

/* Opens this image's log and writes its header. ORIGIN is "start" (may turn
 * out to be "exec") or "fork". */
static void open_image_log(const char *origin, const char *parent_log)
{
	ovc_img.logging = false;
	ovc_img.ended = false;
	ovc_img.ticks = 0;
	ovc_img.pid = ovc_sys_getpid();
	ovc_img.start_ns = ovc_now_ns();
	ovc_img.last_write_ns = ovc_img.start_ns;
	memset(&ovc_img.last, 0, sizeof ovc_img.last);
	struct ovc_status st;
	unsigned got = ovc_proc_now(&ovc_img.base, &st);
	if (!(got & OVC_GOT_STATM))
		memset(&ovc_img.base, 0, sizeof ovc_img.base);
	if (!(got & OVC_GOT_STATUS))
		memset(&st, 0, sizeof st);
	ovc_img.last_statm = ovc_img.base;
	if (strcmp(origin, "fork") != 0)
		ovc_img.dirty_base = -1;
	memset(&ovc_img.last_status, 0, sizeof ovc_img.last_status);
	ovc_img.peak_rss = ovc_img.base.rss;
	ovc_img.peak_anon = ovc_img.base.rss - ovc_img.base.shared;

	char exe[4096];
	long exe_len = OVC_SYS_(SYS_readlink, "/proc/self/exe", exe,
				sizeof exe - 1, 0, 0, 0);
	exe[exe_len > 0 ? exe_len : 0] = '\0';
	if (!ovc_follow_wanted(exe, ovc_img.pid))
		return; /* left out: counts run, nothing is written */

	/* The directory is made only when the log cannot be created: every
	 * process but the first finds it there (three mkdir calls less). */
	unsigned k = 0;
	bool opened = ovc_log_open(ovc_cfg.output, ovc_img.pid, &k);
	if (!opened && errno == ENOENT)
		opened = make_dirs(ovc_cfg.output) == 0 &&
			 ovc_log_open(ovc_cfg.output, ovc_img.pid, &k);
	if (!opened) {
		warn_no_log(errno);
		return;
	}
	ovc_img_log_name(ovc_img.name, sizeof ovc_img.name, ovc_img.pid, k);

	/* The process's start time (a file of /proc read: 10-15 us) only
	 * where a log of our pid came before: it tells whether this image
	 * replaces that one (exec). Any other image reads it if it execs. */
	uint64_t ticks = 0;
	char prev[128] = "";
	if (k > 0 && strcmp(origin, "start") == 0)
		ticks = ovc_proc_start_ticks();
	ovc_img.ticks = ticks;
	if (k > 0 && strcmp(origin, "start") == 0 && replaces(k, ticks, prev, sizeof prev)) {
		origin = "exec";
		parent_log = prev;
	}
	ovc_img.logging = true;
	write_header(origin, parent_log, ticks, exe);
	/* The first sample, from what was read above: a process killed
	 * before its sampler started still leaves its start. */
	struct ovc_moment m0;
	ovc_account_totals(&m0.t);
	m0.sm = ovc_img.base;
	m0.st = st;
	ovc_log_lock();
	ovc_img_sample_at(ovc_img.start_ns, &m0);
	ovc_log_unlock();
	/* Out at once: a process killed before the sampler's first tick
	 * still leaves its header. A log that could not take even that (a
	 * full disk) is removed: no empty file is left for each process. */
	ovc_log_flush();
	ovc_log_settle();
	if (!ovc_log_active()) {
		struct stat lst;
		if (stat(ovc_log_path(), &lst) == 0 && lst.st_size == 0)
			unlink(ovc_log_path());
		ovc_img.logging = false;
		return;
	}
	if (ovc_cfg.verbose >= 1)
		say_logging();
}

/* ---- fork ---- */

/* Lock order: blocks, account, arena, log (the arena is used under the
 * first two; the log is written under the blocks lock). */
static void fork_prepare(void)
{
	ovc_tls_guard++;
	ovc_boot_later_all();
	ovc_blocks_fork_prepare();
	ovc_honest_fork_prepare();
	ovc_account_fork_prepare();
	ovc_arena_fork_prepare();
	ovc_log_lock();
}

static void fork_parent(void)
{
	ovc_log_unlock();
	ovc_arena_fork_parent();
	ovc_account_fork_parent();
	ovc_honest_fork_parent();
	ovc_blocks_fork_parent();
	ovc_tls_guard--;
}

static void fork_child(void)
{
	ovc_rollup_fork_child();
	ovc_img.dirty_base = ovc_rollup_private_dirty();
	ovc_img.written = ovc_img.dirty_base >= 0 ? 0 : -1;
	ovc_img.written_ns = 0;
	ovc_honest_fork_child();
	ovc_log_fork_child();
	ovc_arena_fork_child();
	ovc_account_fork_child();
	ovc_ticker_fork_child();
	char parent[128];
	ovc_copy_str(parent, sizeof parent, ovc_img.logging ? ovc_img.name : "");
	ovc_log_forget();
	/* The parent's facts, unless they are older than a second: a shell
	 * forks hundreds of children a second, and the six files were a
	 * fifth of each one's start. */
	if (ovc_now_ns() - host_ns > HOST_MAX_AGE_NS)
		host_read();
	else
		ovc_host_refresh_oom(&host);
	open_image_log("fork", parent);
	ovc_blocks_fork_child();
	/* Threads do not survive fork: the child's sampler starts as any
	 * image's does, once it lived an interval (a child that only execs
	 * never needs one). */
	__atomic_store_n(&ovc_sampler_due, ovc_img.logging, __ATOMIC_RELAXED);
	ovc_tls_guard--;
}

/* ---- when the sampler starts ----
 *
 * Not at start: most processes of a test suite (a shell, sed, a compiler
 * driver) end within their first interval, and a sampler they never need
 * was most of what ovc cost them (its start, and at exit its wake-up).
 * The image writes its header and first sample at once instead, and the
 * sampler starts at the first slow path (a tracked allocation, a map
 * call, a new thread) after the first interval, or at the first waiting
 * call (sleep, poll, select, epoll, sigwait, pthread_join...) that may
 * last past it. A process that neither allocates nor waits after its
 * first interval (it computes, or waits for its children only) has no
 * sampler: its log has its start and its end, and a SIGKILL leaves the
 * start only.
 *
 * While the image is young (OVC_YOUNG_NS), a slow path after the first
 * interval writes a sample of the image's own instead, at most once an
 * interval, and out to the file at once (a SIGKILL leaves it): an
 * interpreter's start (python3 -c pass, 15-30 ms) ends with no sampler.
 * A block of OVC_SAMPLER_NOW_BYTES or more, a wait that may outlast the
 * interval, and the first slow path once the image is no longer young
 * start the sampler. */

/* When a young image last sampled itself. */
static uint64_t young_tick_ns;

/* Whether a signal the program handles (not ignored, not its default
 * action) is pending and was not blocked in OLD, the thread's mask before
 * ovc blocked every signal. */
static bool handled_pending(const sigset_t *old)
{
	sigset_t pend;
	if (sigpending(&pend) != 0)
		return false;
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sigismember(&pend, sig) == 1 && sigismember(old, sig) == 0 &&
		    sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
		    sa.sa_handler != SIG_IGN)
			return true;
	}
	return false;
}

/* ovc_lifecycle_poke and ovc_lifecycle_poke_wait. For a wait (WAITS),
 * every signal is blocked while the sample is written or the sampler
 * started (a millisecond or more), and true is returned when one the
 * program handles came meanwhile: its handler ran as the mask was
 * restored, and the wait that follows would wait for a signal already
 * gone (a child sleeping until its parent's SIGINT slept its whole 30 s:
 * Python's test_subprocess under ovc run). */
static bool poke(uint64_t wait_ns, bool waits)
{
	if (ovc_tls_guard || !__atomic_load_n(&ovc_sampler_due, __ATOMIC_RELAXED))
		return false;
	int saved = errno;
	uint64_t now = ovc_now_ns();
	uint64_t lived = now - ovc_img.start_ns;
	uint64_t interval = (uint64_t)ovc_cfg.interval_ms * 1000000u;
	/* A young image's own samples come an interval apart: until the next
	 * is due there is nothing to do, and no system call is made (under
	 * OVC_SAMPLE=1 every allocation of its first 50 ms comes here). */
	bool idle = wait_ns == 0 && lived < OVC_YOUNG_NS &&
		    now - __atomic_load_n(&young_tick_ns, __ATOMIC_RELAXED) < interval;
	bool interrupted = false;
	/* A vfork child shares the flag with its parent: it leaves it be. */
	if ((wait_ns >= interval || lived >= interval - wait_ns) && !idle &&
	    ovc_img.pid == ovc_sys_getpid()) {
		sigset_t all, old;
		bool masked = waits && sigfillset(&all) == 0 &&
			      pthread_sigmask(SIG_BLOCK, &all, &old) == 0;
		ovc_tls_guard++;
		if (wait_ns == 0 && lived < OVC_YOUNG_NS) {
			/* Young: its own sample, written out, as a sampler
			 * would have at this tick. */
			uint64_t last = __atomic_load_n(&young_tick_ns,
							__ATOMIC_RELAXED);
			if (ovc_img.logging && !ovc_img.ended &&
			    now - last >= interval &&
			    __atomic_compare_exchange_n(&young_tick_ns, &last,
							now, false,
							__ATOMIC_RELAXED,
							__ATOMIC_RELAXED)) {
				ovc_lifecycle_tick(ovc_img.pid);
				ovc_log_flush();
			}
		} else if (__atomic_exchange_n(&ovc_sampler_due, 0,
					       __ATOMIC_ACQ_REL) &&
			   ovc_img.logging && !ovc_img.ended) {
			ovc_ticker_start();
		}
		ovc_tls_guard--;
		if (masked) {
			interrupted = handled_pending(&old);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
	}
	errno = saved;
	return interrupted;
}

void ovc_lifecycle_poke(uint64_t wait_ns)
{
	(void)poke(wait_ns, false);
}

bool ovc_lifecycle_poke_wait(uint64_t wait_ns)
{
	return poke(wait_ns, true);
}

void ovc_lifecycle_clone_wait(void)
{
	if (ovc_tls_guard)
		return;
	int saved = errno;
	ovc_tls_guard++;
	if (ovc_ticker_thread_only() && ovc_img.logging && !ovc_img.ended &&
	    ovc_img.pid == ovc_sys_getpid())
		ovc_ticker_start();
	ovc_tls_guard--;
	errno = saved;
}

/* ---- start and exit ---- */

static void on_exit_cb(int status, void *arg)
{
	(void)arg;
	ovc_lifecycle_end(status, "exit");
}

__attribute__((constructor)) static void ovc_start(int argc, char **argv)
{
	/* glibc set program_invocation_name to argv[0] before any library's
	 * constructor ran: where they differ, these are not the arguments. */
	if (argc > 0 && argv && argv[0] == program_invocation_name) {
		start_argc = argc;
		start_argv = argv;
	}
	/* The two ways up of the layers below (docs/architecture.md,
	 * "Layers"): the log's clock, the sampler's steps. */
	ovc_log_clock = ovc_lifecycle_ns;
	ovc_ticker_steps(ovc_lifecycle_tick, ovc_lifecycle_died);
	ovc_tls_guard++;
	int saved = errno;
	ovc_stderr_remember();
	ovc_boot();
	ovc_boot_check_chunks();
	ovc_stack_init();
	ovc_options_load(&ovc_cfg);
	host_read();
	ovc_honest_init(&host);
	ovc_blocks_set_limits(host.commit_limit, host.mem_total);
	ovc_account_init();
	ovc_env_remember();
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	on_exit(on_exit_cb, NULL);
	open_image_log("start", NULL);
	start_argv = NULL;
	ovc_blocks_init();
	__atomic_store_n(&ovc_sampler_due, ovc_img.logging, __ATOMIC_RELAXED);
	errno = saved;
	ovc_tls_guard--;
}

/* Destructors that run after exit's handlers may still allocate: one more
 * sample keeps their calls in the log. */
__attribute__((destructor)) static void ovc_stop(void)
{
	ovc_tls_guard++;
	int saved = errno;
	ovc_log_lock();
	if (ovc_img.logging && ovc_img.ended && ovc_img.pid == ovc_sys_getpid()) {
		struct ovc_moment m;
		ovc_img_moment_take(&m, NULL, NULL);
		if (ovc_img_moment_changed(&m))
			ovc_img_sample_at(ovc_now_ns(), &m);
		ovc_log_flush_locked();
	}
	ovc_log_unlock();
	errno = saved;
	ovc_tls_guard--;
}
