/* The life of a traced process image: options and log at start, samples
 * while it runs, and the records that close it (exit, _exit, exec), with
 * fork children starting logs of their own. */
#include "core.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ovc_config ovc_cfg;

/* The image being traced. Fields are written under the log lock, except at
 * start and in a fork child, when no other thread of ovc's runs. */
static struct {
	pid_t pid;
	bool logging;    /* a log is open for this image */
	bool ended;      /* the end record is written */
	uint64_t start_ns;
	uint64_t last_write_ns;
	struct ovc_totals last;   /* totals of the last sample written */
	struct ovc_statm last_statm;
	struct ovc_status last_status; /* zero while unread */
	struct ovc_statm base;
	uint64_t peak_rss, peak_anon;
	bool probe_pending; /* memory had moved at the last probe: again */
	uint64_t probed_ns;   /* when the ticker last probed */
	uint64_t probed_anon; /* anonymous resident bytes then */
	bool probe_round;     /* a round over the blocks is under way */
	bool sampler_paused;  /* stopped for an exec: started again if it fails */
	int64_t dirty_base;   /* a fork child: Private_Dirty at the fork; -1 */
	uint64_t written_ns;  /* when written_since_fork was last measured */
	int64_t written;      /* bytes written since the fork then; -1: none */
	char name[128];          /* file name of the log, without directory */
} img;

/* Environment entries that keep ovc loaded across exec (see exec_env). */
static char env_preload[4096 + 32];
static char lib_path[4096];
static char *env_keep[OVC_OPT_COUNT_]; /* "OVC_NAME=value" */
static size_t env_keep_n;

/* ---- options ---- */

/* Copies VALUE into a warning with quotes, at most 64 bytes, printable. */
static void quote(struct ovc_buf *b, const char *value)
{
	ovc_buf_raw(b, "'");
	size_t i = 0;
	for (; value[i] && i < 64; i++) {
		char c = value[i];
		ovc_buf_rawn(b, (c >= 0x20 && c < 0x7f) ? &c : "?", 1);
	}
	ovc_buf_raw(b, value[i] ? "...'" : "'");
}

static void bad_option(enum ovc_opt_id id, const char *value, const char *what)
{
	const struct ovc_opt_def *d = &ovc_opt_defs[id];
	char msg[512];
	struct ovc_buf b;
	ovc_buf_init(&b, msg, sizeof msg - 1);
	ovc_buf_raw(&b, d->env);
	ovc_buf_raw(&b, "=");
	quote(&b, value);
	ovc_buf_raw(&b, " is not ");
	ovc_buf_raw(&b, what);
	ovc_buf_raw(&b, "; using the default, ");
	ovc_buf_raw(&b, d->def);
	msg[b.overflow ? sizeof msg - 1 : b.len] = '\0';
	ovc_warn_once(OVC_WARN_OPTION + (unsigned)id, msg);
}

static uint64_t number_option(enum ovc_opt_id id)
{
	const struct ovc_opt_def *d = &ovc_opt_defs[id];
	uint64_t v = 0;
	ovc_opt_parse_number(d, d->def, &v);
	const char *s = getenv(d->env);
	if (!s)
		return v;
	uint64_t parsed;
	if (ovc_opt_parse_number(d, s, &parsed))
		return parsed;
	char what[160];
	struct ovc_buf b;
	ovc_buf_init(&b, what, sizeof what - 1);
	switch (d->kind) {
	case OVC_OPT_MS:
		ovc_buf_raw(&b, "a duration in milliseconds from ");
		break;
	case OVC_OPT_SIZE:
		ovc_buf_raw(&b, "a size in bytes (K, M, G suffixes) from ");
		break;
	case OVC_OPT_CHOICE:
		ovc_buf_raw(&b, "one of ");
		ovc_buf_raw(&b, d->choices);
		break;
	default:
		ovc_buf_raw(&b, "a whole number from ");
		break;
	}
	if (d->kind != OVC_OPT_CHOICE && d->max) {
		ovc_buf_u64(&b, d->min);
		ovc_buf_raw(&b, " to ");
		ovc_buf_u64(&b, d->max);
	} else if (d->kind != OVC_OPT_CHOICE) {
		b.len -= 5; /* "from " */
		ovc_buf_raw(&b, "of at least ");
		ovc_buf_u64(&b, d->min);
	}
	what[b.overflow ? sizeof what - 1 : b.len] = '\0';
	bad_option(id, s, what);
	return v;
}

void ovc_options_load(struct ovc_config *cfg)
{
	/* First: they say where the warnings about the others go. */
	const char *run = getenv(ovc_opt_defs[OVC_OPT_RUN].env);
	ovc_copy_str(cfg->run, sizeof cfg->run, run ? run : "");
	cfg->warn = number_option(OVC_OPT_WARN);
	cfg->interval_ms = number_option(OVC_OPT_INTERVAL);
	cfg->verbose = number_option(OVC_OPT_VERBOSE);
	cfg->summary = number_option(OVC_OPT_SUMMARY);
	cfg->frames = number_option(OVC_OPT_FRAMES);
	cfg->large_bytes = number_option(OVC_OPT_LARGE);
	cfg->sample_bytes = number_option(OVC_OPT_SAMPLE);
	cfg->follow = number_option(OVC_OPT_FOLLOW);
	cfg->mmap_mode = number_option(OVC_OPT_MMAP);
	cfg->sampler = number_option(OVC_OPT_SAMPLER);
	cfg->prefault = number_option(OVC_OPT_PREFAULT);
	cfg->seed = number_option(OVC_OPT_SEED);
	if (!cfg->seed) /* drawn, and logged so the run can be done again */
		cfg->seed = (ovc_now_ns() ^ ((uint64_t)getpid() << 32) ^
			     (uintptr_t)cfg) | 1;
	cfg->budget_mode = "";
	const char *only = getenv(ovc_opt_defs[OVC_OPT_ONLY].env);
	ovc_copy_str(cfg->only, sizeof cfg->only, only ? only : "");
	const char *budget = getenv(ovc_opt_defs[OVC_OPT_BUDGET].env);
	ovc_copy_str(cfg->budget, sizeof cfg->budget, budget ? budget : "");

	if (cfg->follow == OVC_FOLLOW_NONE) {
		/* Without a usable OVC_TOP no process is the command: say so
		 * rather than log nothing in silence. */
		const char *top = getenv(ovc_opt_defs[OVC_OPT_TOP].env);
		long pid;
		if (!top)
			ovc_warn_once(OVC_WARN_OPTION + OVC_OPT_TOP,
				      "OVC_FOLLOW=none follows the command whose "
				      "pid is in OVC_TOP, and OVC_TOP is not set "
				      "(ovc run sets it): no process writes a "
				      "log");
		else if (!ovc_parse_pid(top, &pid)) {
			char msg[256];
			struct ovc_buf b;
			ovc_buf_init(&b, msg, sizeof msg - 1);
			ovc_buf_raw(&b, "OVC_TOP=");
			quote(&b, top);
			ovc_buf_raw(&b, " is not a process id; with "
					"OVC_FOLLOW=none no process writes a "
					"log");
			msg[b.overflow ? sizeof msg - 1 : b.len] = '\0';
			ovc_warn_once(OVC_WARN_OPTION + OVC_OPT_TOP, msg);
		}
	}

	const char *out = getenv(ovc_opt_defs[OVC_OPT_OUTPUT].env);
	if (out && (!*out || strlen(out) > 3000)) {
		bad_option(OVC_OPT_OUTPUT, out, "a usable directory path");
		out = NULL;
	}
	if (!out)
		out = ovc_opt_defs[OVC_OPT_OUTPUT].def;
	/* Made absolute now, so a later chdir does not move the logs. */
	cfg->output[0] = '\0';
	if (out[0] != '/') {
		if (!getcwd(cfg->output, sizeof cfg->output - 3100))
			cfg->output[0] = '\0';
		size_t n = strlen(cfg->output);
		if (n && cfg->output[n - 1] != '/')
			cfg->output[n++] = '/';
		cfg->output[n] = '\0';
	}
	size_t n = strlen(cfg->output);
	ovc_copy_str(cfg->output + n, sizeof cfg->output - n, out);
	n = strlen(cfg->output);
	while (n > 1 && cfg->output[n - 1] == '/')
		cfg->output[--n] = '\0';
}

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

/* mkdir -p with mode 0700 for the directories ovc makes. */
static int make_dirs(const char *path)
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

/* ---- records ---- */

static void line_end(struct ovc_buf *b)
{
	ovc_buf_raw(b, "}\n");
}

static void write_line(struct ovc_buf *b)
{
	if (!b->overflow)
		ovc_log_write(b->p, b->len);
}

/* The counters and statm at one moment: read once per tick, then both
 * compared with the last sample and written. */
struct moment {
	struct ovc_totals t;
	struct ovc_statm sm;
	struct ovc_status st; /* the kernel's high-water marks */
};

/* Reads the counters, and statm unless SM is given (already read). Under
 * the log lock (img.last_statm is the fallback). */
static void moment_take(struct moment *m, const struct ovc_statm *sm)
{
	ovc_account_totals(&m->t);
	if (sm)
		m->sm = *sm;
	else if (!ovc_statm_read(&m->sm))
		m->sm = img.last_statm;
	if (!ovc_status_read(&m->st))
		m->st = img.last_status;
}

static bool moment_changed(const struct moment *m)
{
	return m->sm.vm != img.last_statm.vm || m->sm.rss != img.last_statm.rss ||
	       m->sm.shared != img.last_statm.shared ||
	       memcmp(&m->st, &img.last_status, sizeof m->st) != 0 ||
	       memcmp(&m->t, &img.last, sizeof m->t) != 0;
}

/* The kernel's high-water marks and anonymous resident of a sample
 * (docs/log-format.md); nothing when status could not be read. */
static void status_fields(struct ovc_buf *b, const struct ovc_status *st)
{
	if (!st->rss_hwm)
		return;
	ovc_buf_key(b, OVC_FIELD_VM_PEAK);
	ovc_buf_u64(b, st->vm_peak);
	ovc_buf_key(b, OVC_FIELD_RSS_HWM);
	ovc_buf_u64(b, st->rss_hwm);
	if (st->has_anon) {
		ovc_buf_key(b, OVC_FIELD_RSS_ANON);
		ovc_buf_u64(b, st->rss_anon);
	}
	if (st->hugetlb) {
		ovc_buf_key(b, OVC_FIELD_HUGETLB);
		ovc_buf_u64(b, st->hugetlb);
	}
}

/* A fork child's bytes written since the fork (docs/log-format.md): the
 * growth of its Private_Dirty, measured at most every 50 ms (the kernel
 * walks the page tables for it) and always in the last sample (FINAL). */
static void fork_written_field(struct ovc_buf *b, uint64_t now, bool final)
{
	if (img.dirty_base < 0)
		return;
	if (final || now - img.written_ns >= 50000000u) {
		int64_t d = ovc_rollup_private_dirty();
		if (d >= 0 && d - img.dirty_base > img.written)
			img.written = d - img.dirty_base;
		img.written_ns = now;
	}
	if (img.written >= 0) {
		ovc_buf_key(b, "written_since_fork");
		ovc_buf_i64(b, img.written);
	}
}

/* The moment of the last sample of an image (end, exec). */
static struct moment final_moment;

static void write_sample_at(uint64_t now, const struct moment *m)
{
	const struct ovc_totals t = m->t;
	const struct ovc_statm sm = m->sm;
	if (sm.rss > img.peak_rss)
		img.peak_rss = sm.rss;
	if (sm.rss - sm.shared > img.peak_anon)
		img.peak_anon = sm.rss - sm.shared;
	char line[2048];
	struct ovc_buf b;
	ovc_buf_init(&b, line, sizeof line);
	ovc_buf_raw(&b, "{\"t\":\"" OVC_REC_SAMPLE "\"");
	ovc_buf_key(&b, "ns");
	ovc_buf_u64(&b, now - img.start_ns);
	ovc_buf_key(&b, "vm");
	ovc_buf_u64(&b, sm.vm);
	ovc_buf_key(&b, "rss");
	ovc_buf_u64(&b, sm.rss);
	ovc_buf_key(&b, "shared");
	ovc_buf_u64(&b, sm.shared);
	ovc_buf_key(&b, "live");
	ovc_buf_i64(&b, t.live);
	ovc_buf_key(&b, "peak_live");
	ovc_buf_i64(&b, t.peak_live);
	ovc_buf_key(&b, "calls");
	ovc_buf_u64s(&b, t.calls, OVC_FN_COUNT);
	ovc_buf_key(&b, "failed");
	ovc_buf_u64s(&b, t.failed, OVC_FN_COUNT);
	ovc_buf_key(&b, "requested");
	ovc_buf_u64s(&b, t.requested, OVC_FN_COUNT);
	ovc_buf_key(&b, "map_calls");
	ovc_buf_u64s(&b, t.map_calls, OVC_MFN_COUNT);
	ovc_buf_key(&b, "map_failed");
	ovc_buf_u64s(&b, t.map_failed, OVC_MFN_COUNT);
	ovc_buf_key(&b, "map_bytes");
	ovc_buf_u64s(&b, t.map_bytes, OVC_MFN_COUNT);
	ovc_buf_key(&b, "mapped");
	ovc_buf_i64(&b, t.maps[0]);
	ovc_buf_key(&b, "peak_mapped");
	ovc_buf_i64(&b, t.maps[1]);
	ovc_buf_key(&b, "committed");
	ovc_buf_i64(&b, t.maps[2]);
	ovc_buf_key(&b, "peak_committed");
	ovc_buf_i64(&b, t.maps[3]);
	ovc_buf_key(&b, "peak_asked");
	ovc_buf_i64(&b, t.peak_asked);
	fork_written_field(&b, now, m == &final_moment);
	if (t.peak_live_bound > t.peak_live) {
		ovc_buf_key(&b, "peak_live_bound");
		ovc_buf_i64(&b, t.peak_live_bound);
	}
	status_fields(&b, &m->st);
	line_end(&b);
	write_line(&b);
	img.last = t;
	img.last_statm = sm;
	img.last_status = m->st;
	img.last_write_ns = now;
}

static void write_sample_locked(uint64_t now)
{
	moment_take(&final_moment, NULL);
	write_sample_at(now, &final_moment);
}

/* What probing may cost: per tick while the program runs, and once at its
 * end (the article's first program leaves 131,000 live blocks of 1 GiB;
 * what is not probed in time is logged as unprobed). */
#define TICK_PROBE_NS 500000u
#define FINAL_PROBE_NS 400000000u
/* A round of probing starts at most this often: while anonymous resident
 * memory moves, and once more after it stopped (the pages written last
 * are seen). A program whose memory changes all the time (a compiler) is
 * not probed on every tick. Freed blocks are probed at their free
 * whatever this says. */
#define PROBE_EVERY_NS 50000000u

/* Whether the tick at NOW (anonymous resident bytes ANON) starts a round
 * of probing. Under the log lock. */
static bool probe_due(uint64_t now, uint64_t anon)
{
	if (img.probed_ns && now - img.probed_ns < PROBE_EVERY_NS)
		return false;
	bool moved = anon != img.probed_anon;
	if (!moved && !img.probe_pending)
		return false;
	img.probe_pending = moved;
	img.probed_ns = now;
	img.probed_anon = anon;
	return true;
}

uint64_t ovc_lifecycle_ns(void)
{
	return ovc_now_ns() - img.start_ns;
}

void ovc_lifecycle_tick(pid_t owner)
{
	if (!img.logging || img.pid != owner)
		return;
	struct ovc_statm sm;
	bool ok = ovc_statm_read(&sm);
	ovc_log_lock(); /* img.last_statm is written under it */
	/* A round under way goes on at every tick until every block was
	 * probed once; a new one starts when probe_due says. */
	bool probe = ok && (img.probe_round ||
			    probe_due(ovc_now_ns(), sm.rss - sm.shared));
	ovc_log_unlock();
	bool done = ovc_blocks_tick(TICK_PROBE_NS, probe,
				    ovc_now_ns() - img.start_ns);
	ovc_log_lock();
	img.probe_round = !done;
	uint64_t now = ovc_now_ns();
	struct moment m;
	moment_take(&m, ok ? &sm : NULL);
	if (!__atomic_load_n(&img.ended, __ATOMIC_ACQUIRE) &&
	    (moment_changed(&m) || now - img.last_write_ns >= 1000000000u))
		write_sample_at(now, &m);
	ovc_log_unlock();
}

/* Finds "KEY": in the first line of the file at PATH and reads the number
 * after it; false if absent. Used to recognise our own previous image. */
static bool header_number(const char *path, const char *key, uint64_t *out)
{
	char buf[512];
	if (ovc_read_file(path, buf, sizeof buf) <= 0)
		return false;
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	const char *p = strstr(buf, key);
	if (!p)
		return false;
	p += strlen(key);
	if (*p < '0' || *p > '9')
		return false;
	uint64_t v = 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	*out = v;
	return true;
}

static void log_name_of(char *dst, size_t cap, pid_t pid, unsigned k)
{
	struct ovc_buf b;
	ovc_buf_init(&b, dst, cap - 1);
	ovc_buf_raw(&b, OVC_LOG_PREFIX);
	ovc_buf_u64(&b, (uint64_t)pid);
	ovc_buf_raw(&b, ".");
	ovc_buf_u64(&b, k);
	ovc_buf_raw(&b, OVC_LOG_SUFFIX);
	dst[b.overflow ? 0 : b.len] = '\0';
}

/* Writes the `proc` record. ORIGIN is "start", "fork" or "exec". */
/* The machine's memory facts, read once when the image starts (and again
 * in a fork child): the header records them, budgets and limits use them. */
static struct ovc_host host;

static void write_header(const char *origin, const char *parent_log,
			 uint64_t start_ticks)
{
	const size_t cap = 256 * 1024;
	char *mem = ovc_pages_alloc(cap);
	if (!mem)
		return;
	char *cmd = mem + 160 * 1024; /* argv, up to 64 KiB */
	ssize_t cmd_len = ovc_read_file("/proc/self/cmdline", cmd, 64 * 1024);
	char exe[4096];
	ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof exe);
	if (exe_len < 0)
		exe_len = 0;

	struct ovc_buf b;
	ovc_buf_init(&b, mem, 160 * 1024);
	ovc_buf_raw(&b, "{\"t\":\"" OVC_REC_PROC "\"");
	ovc_buf_key(&b, "format");
	ovc_buf_raw(&b, "\"" OVC_LOG_FORMAT "\"");
	ovc_buf_key(&b, "version");
	ovc_buf_u64(&b, OVC_LOG_VERSION);
	ovc_buf_key(&b, "pid");
	ovc_buf_u64(&b, (uint64_t)img.pid);
	ovc_buf_key(&b, "ppid");
	ovc_buf_u64(&b, (uint64_t)getppid());
	ovc_buf_key(&b, "proc_start_ticks");
	ovc_buf_u64(&b, start_ticks);
	ovc_buf_key(&b, "clk_tck");
	ovc_buf_i64(&b, sysconf(_SC_CLK_TCK));
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
	ovc_buf_u64(&b, img.start_ns);
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
	ovc_buf_u64(&b, img.base.vm);
	ovc_buf_raw(&b, ",\"rss\":");
	ovc_buf_u64(&b, img.base.rss);
	ovc_buf_raw(&b, ",\"shared\":");
	ovc_buf_u64(&b, img.base.shared);
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
	ovc_buf_raw(&b, "[");
	for (ssize_t i = 0; i < cmd_len;) {
		size_t n = strnlen(cmd + i, (size_t)(cmd_len - i));
		if (i)
			ovc_buf_raw(&b, ",");
		ovc_buf_jstr(&b, cmd + i, n);
		i += (ssize_t)n + 1;
	}
	ovc_buf_raw(&b, "]");
	line_end(&b);
	write_line(&b);
	ovc_pages_free(mem, cap);
}

/* Opens this image's log and writes its header. ORIGIN is "start" (may turn
 * out to be "exec") or "fork". */
static void open_image_log(const char *origin, const char *parent_log)
{
	img.logging = false;
	img.ended = false;
	img.pid = getpid();
	img.start_ns = ovc_now_ns();
	img.last_write_ns = img.start_ns;
	memset(&img.last, 0, sizeof img.last);
	if (!ovc_statm_read(&img.base))
		memset(&img.base, 0, sizeof img.base);
	img.last_statm = img.base;
	if (strcmp(origin, "fork") != 0)
		img.dirty_base = -1;
	/* Read once here so its descriptor is open before the sampler
	 * copies ovc's descriptors. */
	struct ovc_status st;
	ovc_status_read(&st);
	memset(&img.last_status, 0, sizeof img.last_status);
	img.peak_rss = img.base.rss;
	img.peak_anon = img.base.rss - img.base.shared;

	char exe[4096];
	ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[exe_len > 0 ? exe_len : 0] = '\0';
	if (!ovc_follow_wanted(exe, img.pid))
		return; /* left out: counts run, nothing is written */

	unsigned k = 0;
	if (make_dirs(ovc_cfg.output) != 0 ||
	    !ovc_log_open(ovc_cfg.output, img.pid, &k)) {
		char msg[4300];
		struct ovc_buf b;
		ovc_buf_init(&b, msg, sizeof msg - 1);
		ovc_buf_raw(&b, "cannot write logs to ");
		ovc_buf_raw(&b, ovc_cfg.output);
		ovc_buf_raw(&b, " (");
		ovc_buf_raw(&b, errno_text(errno));
		ovc_buf_raw(&b, "); this process runs untracked: set OVC_OUTPUT "
				"to a writable directory");
		msg[b.overflow ? sizeof msg - 1 : b.len] = '\0';
		ovc_warn_once(OVC_WARN_OUTPUT, msg);
		return;
	}
	log_name_of(img.name, sizeof img.name, img.pid, k);

	uint64_t ticks = ovc_proc_start_ticks();
	char prev[128] = "";
	if (k > 0 && strcmp(origin, "start") == 0) {
		/* Same pid and start time as the log before ours: the process
		 * exec'd, and that log is the image we replace. */
		char path[4400];
		struct ovc_buf b;
		ovc_buf_init(&b, path, sizeof path - 1);
		ovc_buf_raw(&b, ovc_cfg.output);
		ovc_buf_raw(&b, "/");
		log_name_of(prev, sizeof prev, img.pid, k - 1);
		ovc_buf_raw(&b, prev);
		path[b.overflow ? 0 : b.len] = '\0';
		uint64_t pid = 0, t = 0;
		if (header_number(path, "\"pid\":", &pid) &&
		    header_number(path, "\"proc_start_ticks\":", &t) &&
		    pid == (uint64_t)img.pid && t == ticks && ticks != 0) {
			origin = "exec";
			parent_log = prev;
		}
	}
	img.logging = true;
	write_header(origin, parent_log, ticks);
	/* Out at once: a process killed before the sampler's first tick
	 * still leaves its header. A log that could not take even that (a
	 * full disk) is removed: no empty file is left for each process. */
	ovc_log_flush();
	if (!ovc_log_active()) {
		struct stat lst;
		if (stat(ovc_log_path(), &lst) == 0 && lst.st_size == 0)
			unlink(ovc_log_path());
		img.logging = false;
		return;
	}
	if (ovc_cfg.verbose >= 1) {
		char msg[4400];
		struct ovc_buf b;
		ovc_buf_init(&b, msg, sizeof msg - 1);
		ovc_buf_raw(&b, "logging to ");
		ovc_buf_raw(&b, ovc_log_path());
		msg[b.overflow ? sizeof msg - 1 : b.len] = '\0';
		ovc_say(msg);
	}
}

/* The one line a bare LD_PRELOAD user sees at exit. */
static void summary_line(void)
{
	if (ovc_cfg.run[0])
		return; /* `ovc run` prints the report itself */
	if (ovc_cfg.summary == OVC_SUMMARY_NEVER ||
	    (ovc_cfg.summary == OVC_SUMMARY_TTY && !isatty(2)))
		return;
	char msg[4600], num[32];
	struct ovc_buf b;
	ovc_buf_init(&b, msg, sizeof msg - 1);
	ovc_buf_raw(&b, ovc_log_path());
	ovc_buf_raw(&b, ": peak live ");
	int64_t live = img.last.peak_live > 0 ? img.last.peak_live : 0;
	ovc_buf_raw(&b, ovc_format_bytes((uint64_t)live, num, sizeof num));
	ovc_buf_raw(&b, ", peak resident ");
	uint64_t hwm = img.last_status.rss_hwm; /* exact where read */
	ovc_buf_raw(&b, ovc_format_bytes(hwm > img.peak_rss ? hwm : img.peak_rss,
					 num, sizeof num));
	ovc_buf_raw(&b, ", touched ");
	uint64_t base_anon = img.base.rss - img.base.shared;
	/* Of what was asked for (live + committed at their joint peak), not
	 * clamped: above 100% where the program touched memory ovc does not
	 * see (stacks, .bss). */
	int64_t asked = img.last.peak_asked > live ? img.last.peak_asked : live;
	if (asked > 0) {
		uint64_t grown = img.peak_anon > base_anon ? img.peak_anon - base_anon : 0;
		uint64_t permille = grown / (uint64_t)asked * 1000 +
				    grown % (uint64_t)asked * 1000 / (uint64_t)asked;
		ovc_buf_u64(&b, permille / 10);
		ovc_buf_raw(&b, ".");
		ovc_buf_u64(&b, permille % 10);
		ovc_buf_raw(&b, "% of peak asked for");
	} else {
		ovc_buf_raw(&b, "n/a");
	}
	ovc_buf_raw(&b, " (ovc report ");
	ovc_buf_raw(&b, ovc_cfg.output);
	ovc_buf_raw(&b, " for more)");
	msg[b.overflow ? sizeof msg - 1 : b.len] = '\0';
	ovc_say(msg);
}

/* Takes the log lock, unless ovc's code on this thread was interrupted
 * (NESTED: a signal handler calling _exit or execve) and may hold it: then
 * it goes on without, since every line is one O_APPEND write. Returns
 * whether the lock is held. */
static bool log_lock_end(bool nested)
{
	if (!nested) {
		ovc_log_lock();
		return true;
	}
	return ovc_log_trylock();
}

/* How the thread now ending the process got there (hooks.c): its own
 * pthread_exit, or a return from its thread function. */
static __thread const char *thread_end_via;

void ovc_lifecycle_thread_ending(const char *via)
{
	thread_end_via = via;
}

/* Builds the end record of KIND "exit" (CODE, VIA) or "signal" (SIG, CORE). */
static void end_record(struct ovc_buf *b, bool signal, int code_or_sig,
		       bool core, const char *via)
{
	ovc_buf_raw(b, "{\"t\":\"" OVC_REC_END "\"");
	ovc_buf_key(b, "ns");
	ovc_buf_u64(b, img.last_write_ns - img.start_ns);
	if (signal) {
		ovc_buf_key(b, "kind");
		ovc_buf_raw(b, "\"signal\"");
		ovc_buf_key(b, "signal");
		ovc_buf_i64(b, code_or_sig);
		if (core) {
			ovc_buf_key(b, "core");
			ovc_buf_raw(b, "true");
		}
	} else {
		ovc_buf_key(b, "kind");
		ovc_buf_raw(b, "\"exit\"");
		ovc_buf_key(b, "code");
		ovc_buf_i64(b, code_or_sig & 0xff);
		ovc_buf_key(b, "via");
		ovc_buf_jstr(b, via, strlen(via));
	}
	line_end(b);
}

void ovc_lifecycle_end(int code, const char *via)
{
	bool nested = ovc_tls_guard > 0;
	ovc_tls_guard++;
	if (strcmp(via, "exit") == 0 && thread_end_via)
		via = thread_end_via; /* glibc's exit(0) after the last thread */
	bool mine = img.pid == getpid();
	if (img.logging && !img.ended && mine)
		ovc_blocks_final(FINAL_PROBE_NS, ovc_now_ns() - img.start_ns,
				 nested);
	bool locked = log_lock_end(nested);
	bool wrote = false;
	if (img.logging && !img.ended && mine) {
		if (locked)
			write_sample_locked(ovc_now_ns());
		char line[256];
		struct ovc_buf b;
		ovc_buf_init(&b, line, sizeof line);
		end_record(&b, false, code, false, via);
		if (locked)
			write_line(&b);
		else if (!b.overflow)
			ovc_log_write_now(b.p, b.len);
		__atomic_store_n(&img.ended, true, __ATOMIC_RELEASE);
		wrote = true;
	}
	if (locked)
		ovc_log_unlock();
	/* The sampler process writes the buffer out and exits (it can write
	 * the log where this thread may not: a change of user); what is
	 * left, this thread writes. */
	if (mine)
		ovc_ticker_pause(!nested);
	if (wrote) {
		if (locked)
			ovc_log_flush();
		summary_line();
	}
	if (mine)
		ovc_warn_flush();
	ovc_tls_guard--;
}

void ovc_lifecycle_died(int wstatus)
{
	/* The program is gone: nothing else writes the buffer now. A lock it
	 * held stays held; the sampler goes on without. */
	bool locked = ovc_log_trylock();
	if (img.logging && !__atomic_load_n(&img.ended, __ATOMIC_ACQUIRE)) {
		write_sample_locked(ovc_now_ns());
		char line[256];
		struct ovc_buf b;
		ovc_buf_init(&b, line, sizeof line);
		if (wstatus < 0)
			ovc_buf_raw(&b, "{\"t\":\"" OVC_REC_END "\",\"kind\":\"unknown\"}\n");
		else if ((wstatus & 0x7f) != 0 && (wstatus & 0x7f) != 0x7f)
			end_record(&b, true, wstatus & 0x7f, wstatus & 0x80, "");
		else /* it exited without passing ovc's exit hooks */
			end_record(&b, false, (wstatus >> 8) & 0xff, false,
				   "exit_group");
		ovc_log_write(b.p, b.len);
		img.ended = true;
	}
	ovc_log_flush_locked();
	if (locked)
		ovc_log_unlock();
}

void ovc_lifecycle_exec(const char *path, bool search, char *const *envp)
{
	bool nested = ovc_tls_guard > 0;
	ovc_tls_guard++;
	/* A vfork child (a shell running a command) may record in its
	 * parent's log, which stands still meanwhile, that the program it is
	 * about to exec cannot be followed. */
	if (!nested && img.logging && !img.ended && path && path[0] != '(' &&
	    (img.pid == getpid() || img.pid == getppid()))
		ovc_follow_exec(path, search, envp,
				ovc_now_ns() - img.start_ns);
	/* A vfork child (posix_spawn, or vfork itself) shares the parent's
	 * memory and must not write the parent's log. */
	if (img.logging && !img.ended && img.pid == getpid()) {
		ovc_blocks_final(FINAL_PROBE_NS, ovc_now_ns() - img.start_ns,
				 nested);
		bool locked = log_lock_end(nested);
		if (locked)
			write_sample_locked(ovc_now_ns());
		char line[4400];
		struct ovc_buf b;
		ovc_buf_init(&b, line, sizeof line);
		ovc_buf_raw(&b, "{\"t\":\"" OVC_REC_EXEC "\"");
		ovc_buf_key(&b, "ns");
		ovc_buf_u64(&b, img.last_write_ns - img.start_ns);
		ovc_buf_key(&b, "path");
		ovc_buf_jstr(&b, path ? path : "", path ? strnlen(path, 4096) : 0);
		line_end(&b);
		if (locked) {
			write_line(&b);
			ovc_log_unlock();
		} else if (!b.overflow) {
			ovc_log_write_now(b.p, b.len);
		}
		img.sampler_paused = ovc_ticker_pause(!nested);
		if (locked)
			ovc_log_flush();
		ovc_warn_flush();
	}
	ovc_tls_guard--;
}

void ovc_lifecycle_exec_failed(void)
{
	if (img.sampler_paused && img.pid == getpid()) {
		img.sampler_paused = false;
		ovc_ticker_start();
	}
}

/* ---- exec environment ---- */

/* Rule (docs/options.md, "Descendants"): an entry the new environment lacks
 * is added back, so a program that builds an environment without ovc (env
 * -i, execve with an explicit envp) is still traced; an entry it has is the
 * program's choice and kept: its own OVC_* values, an empty LD_PRELOAD (the
 * way to start a program untraced). An LD_PRELOAD of other libraries keeps
 * them, after libovc.so, as `ovc run` puts it. */

/* Whether ENTRY ("NAME=value") is named NAME (LEN bytes, with the '='). */
static bool named(const char *entry, const char *name, size_t len)
{
	return strncmp(entry, name, len) == 0;
}

static const char *find_entry(char *const *envp, const char *name)
{
	size_t len = strlen(name);
	for (; envp && *envp; envp++)
		if (named(*envp, name, len))
			return *envp;
	return NULL;
}

static bool preload_has_ours(const char *value)
{
	size_t n = strlen(lib_path);
	for (const char *p = value; (p = strstr(p, lib_path)); p += n)
		if ((p == value || p[-1] == ':' || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ':' || p[n] == ' '))
			return true;
	return false;
}

/* Whether an LD_PRELOAD value names no library at all. */
static bool preload_empty(const char *value)
{
	for (; *value; value++)
		if (*value != ':' && *value != ' ')
			return false;
	return true;
}

/* Whether ENV_KEEP[I] is missing from ENVP. */
static bool keep_missing(char *const *envp, size_t i)
{
	const char *eq = strchr(env_keep[i], '=');
	size_t len = (size_t)(eq - env_keep[i]) + 1;
	for (; envp && *envp; envp++)
		if (named(*envp, env_keep[i], len))
			return false;
	return true;
}

char *const *ovc_lifecycle_exec_env(char *const *envp)
{
	if (!lib_path[0] || !env_preload[0])
		return envp;
	const char *pre = find_entry(envp, "LD_PRELOAD=");
	const char *their = pre ? pre + 11 : NULL;
	bool add_pre = !their || (!preload_empty(their) && !preload_has_ours(their));
	size_t missing = 0;
	for (size_t i = 0; i < env_keep_n; i++)
		missing += keep_missing(envp, i);
	if (!add_pre && !missing)
		return envp;
	size_t n = 0;
	for (char *const *e = envp; e && *e; e++)
		n++;
	/* Straight from the kernel, no lock: this may run in a signal handler
	 * that interrupted ovc. Not returned: exec replaces the process, and
	 * a failed exec costs a page or two. */
	char **out = ovc_pages_alloc((n + env_keep_n + 2) * sizeof *out);
	if (!out)
		return envp;
	size_t j = 0;
	for (char *const *e = envp; e && *e; e++)
		if (!(add_pre && *e == pre))
			out[j++] = *e;
	if (add_pre && their) {
		/* libovc.so first, their libraries after it, as `ovc run` sets
		 * it: ovc's hooks see the calls and pass them on to the next
		 * definition, theirs if they bring an allocator. */
		size_t len = strlen(env_preload) + strlen(their) + 2;
		char *s = ovc_pages_alloc(len);
		if (s) {
			struct ovc_buf b;
			ovc_buf_init(&b, s, len);
			ovc_buf_raw(&b, env_preload);
			ovc_buf_raw(&b, ":");
			ovc_buf_raw(&b, their);
			s[b.len < len ? b.len : len - 1] = '\0';
			out[j++] = s;
		} else {
			out[j++] = (char *)pre;
		}
	} else if (add_pre) {
		out[j++] = env_preload;
	}
	for (size_t i = 0; i < env_keep_n; i++)
		if (keep_missing(envp, i))
			out[j++] = env_keep[i];
	out[j] = NULL;
	return out;
}

/* Appends NAME=VALUE to the entries to add back; false when it does not
 * fit (then it is not added back: a value that long is refused anyway). */
static bool keep_entry(const char *name, const char *value)
{
	static char store[8192];
	static size_t used;
	size_t need = strlen(name) + 1 + strlen(value) + 1;
	if (env_keep_n >= sizeof env_keep / sizeof env_keep[0] ||
	    need > sizeof store - used)
		return false;
	char *s = store + used;
	struct ovc_buf b;
	ovc_buf_init(&b, s, need);
	ovc_buf_raw(&b, name);
	ovc_buf_raw(&b, "=");
	ovc_buf_raw(&b, value);
	s[need - 1] = '\0';
	used += need;
	env_keep[env_keep_n++] = s;
	return true;
}

void ovc_env_remember(void)
{
	Dl_info info;
	if (dladdr((void *)ovc_lifecycle_exec_env, &info) && info.dli_fname &&
	    info.dli_fname[0] == '/')
		ovc_copy_str(lib_path, sizeof lib_path, info.dli_fname);
	struct ovc_buf b;
	ovc_buf_init(&b, env_preload, sizeof env_preload - 1);
	ovc_buf_raw(&b, "LD_PRELOAD=");
	ovc_buf_raw(&b, lib_path);
	env_preload[b.overflow ? 0 : b.len] = '\0';
	/* The settings this process started with, to be added back where an
	 * exec's environment lacks them: OVC_OUTPUT made absolute (a later
	 * chdir does not move the logs), OVC_RUN as cut, the others as
	 * given. */
	env_keep_n = 0;
	for (size_t i = 0; i < OVC_OPT_COUNT_; i++) {
		const char *name = ovc_opt_defs[i].env;
		const char *value = getenv(name);
		if (i == OVC_OPT_OUTPUT)
			value = ovc_cfg.output;
		else if (i == OVC_OPT_RUN)
			value = ovc_cfg.run[0] ? ovc_cfg.run : NULL;
		if (value)
			keep_entry(name, value);
	}
}

/* ---- fork ---- */

/* Lock order: blocks, account, arena, log (the arena is used under the
 * first two; the log is written under the blocks lock). */
static void fork_prepare(void)
{
	ovc_tls_guard++;
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
	img.dirty_base = ovc_rollup_private_dirty();
	img.written = img.dirty_base >= 0 ? 0 : -1;
	img.written_ns = 0;
	ovc_honest_fork_child();
	ovc_log_fork_child();
	ovc_arena_fork_child();
	ovc_account_fork_child();
	ovc_ticker_fork_child();
	char parent[128];
	ovc_copy_str(parent, sizeof parent, img.logging ? img.name : "");
	ovc_log_forget();
	ovc_host_read(&host);
	open_image_log("fork", parent);
	ovc_blocks_fork_child();
	/* Threads do not survive fork: the ticker starts again on the child's
	 * next allocation (a child that only execs never needs one). */
	__atomic_store_n(&ovc_kick, 1, __ATOMIC_RELAXED);
	ovc_tls_guard--;
}

void ovc_lifecycle_kicked(void)
{
	if (!__atomic_exchange_n(&ovc_kick, 0, __ATOMIC_RELAXED))
		return;
	ovc_tls_guard++;
	if (img.logging)
		ovc_ticker_start();
	ovc_tls_guard--;
}

/* ---- start and exit ---- */

static void on_exit_cb(int status, void *arg)
{
	(void)arg;
	ovc_lifecycle_end(status, "exit");
}

__attribute__((constructor)) static void ovc_start(void)
{
	ovc_tls_guard++;
	int saved = errno;
	ovc_stderr_remember();
	ovc_boot();
	ovc_boot_check_chunks();
	ovc_stack_init();
	ovc_options_load(&ovc_cfg);
	ovc_host_read(&host);
	ovc_honest_init(&host);
	ovc_blocks_set_limits(host.commit_limit, host.mem_total);
	ovc_account_init();
	ovc_env_remember();
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	on_exit(on_exit_cb, NULL);
	open_image_log("start", NULL);
	ovc_blocks_init();
	if (img.logging)
		ovc_ticker_start();
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
	if (img.logging && img.ended && img.pid == getpid()) {
		struct moment m;
		moment_take(&m, NULL);
		if (moment_changed(&m))
			write_sample_at(ovc_now_ns(), &m);
		ovc_log_flush_locked();
	}
	ovc_log_unlock();
	errno = saved;
	ovc_tls_guard--;
}
