/* `ovc snapshot PID...`: the memory of running processes that ovc did not
 * start, once (text or JSON), or every SECONDS into logs that `ovc report`
 * and `ovc plot` read (--watch). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ovc/log-format.h"
#include "read/snapshot.h"
#include "cmd/commands.h"

static void snapshot_usage(FILE *f)
{
	fputs("usage: ovc snapshot [--json] [--top N] [--all] [--no-pagemap] "
	      "PID...\n"
	      "       ovc snapshot --watch SECONDS [--count N] [-o DIR] [-q] "
	      "[--json] PID...\n"
	      "  PID          a running process (ovc need not have started it; "
	      "root or\n"
	      "               its owner): its anonymous memory from "
	      "/proc/PID/smaps and\n"
	      "               PAGEMAP_SCAN, no ptrace, nothing changed in it\n"
	      "  --json       one JSON document (docs/report-json.md, "
	      "\"ovc-snapshot\")\n"
	      "  --top N      anonymous mappings listed in text (default 20; "
	      "'all')\n"
	      "  --all        list file-backed and shared mappings too\n"
	      "  --no-pagemap touched bytes from smaps only (no PAGEMAP_SCAN)\n"
	      "  --watch S    read the processes every S seconds (0.01 to "
	      "86400) into\n"
	      "               logs in DIR until they exit, N samples were "
	      "taken or\n"
	      "               SIGINT/SIGTERM; then show the last snapshot\n"
	      "  --count N    with --watch: at most N samples\n"
	      "  -o DIR       with --watch: where the logs go (default "
	      "ovc-out)\n"
	      "  -q           with --watch: no snapshot at the end\n"
	      "The logs are read by `ovc report DIR` and `ovc plot DIR` "
	      "like any other.\n",
	      f);
}

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool parse_pid(const char *a, int64_t *pid)
{
	char *end;
	errno = 0;
	long long v = strtoll(a, &end, 10);
	if (errno || end == a || *end || v <= 0 || v > INT_MAX)
		return false;
	*pid = v;
	return true;
}

/* One process being snapshot: its latest reading and, under --watch, its
 * log. */
struct target {
	int64_t pid;
	bool ok;               /**< snap holds a reading */
	struct ovc_snap snap;
	struct ovc_snap_totals totals;
	int fd;                /**< its log, or -1 */
	char path[PATH_MAX];
	int64_t start_ticks, start_mono_ns, peak_live;
	uint64_t samples;
	bool gone;             /**< exited (or replaced) during the watch */
};

/* Reads T's process; prints `ovc: snapshot: PID: why` and returns false
 * when it cannot be read. */
static bool take(struct target *t, bool scan, bool quiet_gone)
{
	char why[256];
	if (t->ok)
		ovc_snap_free(&t->snap);
	t->ok = false;
	enum ovc_snap_error e = ovc_snap_read(t->pid, scan, &t->snap, why,
					      sizeof why);
	if (e != OVC_SNAP_OK) {
		bool gone = e == OVC_SNAP_NO_PROCESS || e == OVC_SNAP_ZOMBIE;
		if (!(quiet_gone && gone))
			fprintf(stderr, "ovc: snapshot: %" PRId64 ": %s\n",
				t->pid, why);
		return false;
	}
	t->ok = true;
	ovc_snap_analyze(&t->snap, &t->totals);
	return true;
}

static int create_log(const char *dir, struct target *t)
{
	for (int k = 0; k < 100000; k++) {
		snprintf(t->path, sizeof t->path,
			 "%s/" OVC_LOG_PREFIX "%" PRId64 ".%d" OVC_LOG_SUFFIX,
			 dir, t->pid, k);
		int fd = open(t->path,
			      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				      O_CLOEXEC | O_APPEND,
			      0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* Writes T's latest reading as an `s` record. */
static bool log_sample(struct target *t)
{
	int64_t ns = t->snap.t_mono_ns - t->start_mono_ns;
	if (ns < 0)
		ns = 0;
	json_t *o = ovc_snap_log_sample(&t->snap, &t->totals, ns,
					t->peak_live);
	if (t->totals.anon.committed_bytes > t->peak_live)
		t->peak_live = t->totals.anon.committed_bytes;
	t->samples++;
	return ovc_write_record(t->fd, o);
}

static bool log_end(struct target *t, const char *why)
{
	int64_t ns = now_ns(CLOCK_MONOTONIC) - t->start_mono_ns;
	return ovc_write_record(t->fd, json_pack("{s:s,s:I,s:s}", "t",
					     OVC_REC_SNAPSHOT_END, "ns",
					     (json_int_t)(ns > 0 ? ns : 0),
					     "why", why));
}

static void sleep_until(int64_t mono_ns)
{
	struct timespec ts = {.tv_sec = mono_ns / 1000000000,
			      .tv_nsec = mono_ns % 1000000000};
	/* EINTR: a stop signal; the loop looks at stop_signal. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static bool render(struct target *ts, size_t n, bool json,
		   const struct ovc_snap_render_opts *ro)
{
	bool ok = true;
	if (json) {
		json_t *doc = json_pack("{s:s,s:i}", "format", "ovc-snapshot",
					"version", 1);
		json_t *procs = json_array();
		const struct ovc_host *h = NULL;
		for (size_t i = 0; i < n; i++) {
			if (!ts[i].ok)
				continue;
			if (!h)
				h = &ts[i].snap.host;
			json_t *p = ovc_snap_render_json(&ts[i].snap,
							 &ts[i].totals, ro);
			if (ts[i].fd >= 0) {
				json_object_set_new(p, "log",
						    json_string(ts[i].path));
				json_object_set_new(p, "samples",
						    json_integer((json_int_t)ts[i].samples));
				json_object_set_new(p, "exited",
						    json_boolean(ts[i].gone));
			}
			json_array_append_new(procs, p);
		}
		struct ovc_host hh;
		if (!h) {
			ovc_snap_read_host(&hh);
			h = &hh;
		}
		json_object_set_new(doc, "host", ovc_render_host_json(h));
		json_object_set_new(doc, "processes", procs);
		ok = json_dumpf(doc, stdout, JSON_INDENT(2)) == 0;
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		bool first = true;
		for (size_t i = 0; i < n; i++) {
			if (!ts[i].ok)
				continue;
			if (!first)
				fputc('\n', stdout);
			first = false;
			ok &= ovc_snap_render_text(stdout, &ts[i].snap,
						   &ts[i].totals, ro);
			if (ts[i].fd >= 0)
				fprintf(stdout,
					"  log                %s  (%" PRIu64
					" sample%s%s)\n",
					ts[i].path, ts[i].samples,
					ts[i].samples == 1 ? "" : "s",
					ts[i].gone ? "; the process exited: "
						     "this is its last sample"
						   : "");
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		ok = false;
	return ok;
}

/* The watch loop: every INTERVAL_NS, a sample of each process still there
 * into its log, until all are gone, COUNT samples were taken (0: no
 * bound) or a stop signal. */
static void watch(struct target *ts, size_t n, int64_t interval_ns,
		  uint64_t count, bool scan)
{
	int64_t next = now_ns(CLOCK_MONOTONIC);
	for (uint64_t round = 1; !stop_signal; round++) {
		if (count && round > count)
			break;
		if (round > 1) {
			next += interval_ns;
			sleep_until(next);
			if (stop_signal)
				break;
			/* A slow round (a huge smaps) does not make a
			 * burst of catch-up samples. */
			int64_t now = now_ns(CLOCK_MONOTONIC);
			if (now > next + interval_ns)
				next = now;
		}
		size_t alive = 0;
		for (size_t i = 0; i < n; i++) {
			struct target *t = &ts[i];
			if (t->fd < 0 || t->gone)
				continue;
			if (round > 1) {
				struct ovc_snap keep = t->snap;
				struct ovc_snap_totals keep_t = t->totals;
				bool had = t->ok;
				t->ok = false; /* keep the last reading */
				if (!take(t, scan, true) ||
				    t->snap.start_ticks != t->start_ticks) {
					if (t->ok)
						ovc_snap_free(&t->snap);
					t->snap = keep;
					t->totals = keep_t;
					t->ok = had;
					t->gone = true;
					log_end(t, "exited");
					continue;
				}
				if (had)
					ovc_snap_free(&keep);
			}
			if (!log_sample(t)) {
				fprintf(stderr,
					"ovc: %s: cannot write: %s; the watch "
					"of %" PRId64 " stops\n",
					t->path, strerror(errno), t->pid);
				t->gone = true;
				continue;
			}
			alive++;
		}
		if (!alive)
			break;
	}
	for (size_t i = 0; i < n; i++)
		if (ts[i].fd >= 0 && !ts[i].gone)
			log_end(&ts[i], stop_signal ? "interrupted" : "count");
}

int ovc_cmd_snapshot(int argc, char **argv)
{
	bool json = false, scan = true, quiet = false;
	double watch_s = 0;
	uint64_t count = 0;
	const char *out_dir = NULL, *v;
	struct ovc_snap_render_opts ro = {0};
	struct ovc_opts op = OVC_OPTS(argc, argv, "snapshot", snapshot_usage);
	for (const char *a; (a = ovc_opts_next(&op)); op.i++) {
		if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "--all") == 0) {
			ro.all_maps = true;
		} else if (strcmp(a, "--no-pagemap") == 0) {
			scan = false;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			quiet = true;
		} else if ((v = ovc_opts_value(&op, "--top"))) {
			if (!ovc_opt_limit("snapshot", "--top", v, 1,
					   "a positive number", &ro.top))
				return OVC_EXIT_USAGE;
		} else if ((v = ovc_opts_value(&op, "--watch"))) {
			char *end;
			watch_s = strtod(v, &end);
			if (end == v || *end || !isfinite(watch_s) ||
			    watch_s < 0.01 || watch_s > 86400) {
				fprintf(stderr, "ovc: snapshot: --watch wants "
						"seconds from 0.01 to 86400, "
						"not '%s'\n",
					v);
				return OVC_EXIT_USAGE;
			}
		} else if ((v = ovc_opts_value(&op, "--count"))) {
			char *end;
			errno = 0;
			unsigned long long c = strtoull(v, &end, 10);
			if (errno || end == v || *end || c == 0 || v[0] == '-') {
				fprintf(stderr, "ovc: snapshot: --count wants "
						"a positive number, not '%s'\n",
					v);
				return OVC_EXIT_USAGE;
			}
			count = c;
		} else if ((v = ovc_opts_output(&op))) {
			out_dir = v;
		} else {
			return ovc_opts_bad(&op, a);
		}
	}
	int end = ovc_opts_end(&op, "PID");
	if (end >= 0)
		return end;
	if (!watch_s && (count || out_dir || quiet)) {
		fputs("ovc: snapshot: --count, -o and -q go with --watch\n",
		      stderr);
		return OVC_EXIT_USAGE;
	}
	size_t n = (size_t)(argc - op.i);
	struct target *ts = calloc(n, sizeof *ts);
	if (!ts) {
		fputs("ovc: snapshot: out of memory\n", stderr);
		return OVC_EXIT_USAGE;
	}
	int rc = OVC_EXIT_OK;
	for (size_t k = 0; k < n; k++) {
		ts[k].fd = -1;
		if (!parse_pid(argv[op.i + (int)k], &ts[k].pid)) {
			fprintf(stderr, "ovc: snapshot: %s: not a process id\n",
				argv[op.i + (int)k]);
			rc = OVC_EXIT_USAGE;
		}
	}
	if (rc != OVC_EXIT_OK)
		goto out;
	for (size_t k = 0; k < n; k++)
		if (!take(&ts[k], scan, false))
			rc = OVC_EXIT_USAGE;

	if (watch_s > 0) {
		char *dir = ovc_absolute_dir(out_dir ? out_dir : "ovc-out");
		if (!dir || ovc_mkdir_p(dir, 0700) != 0) {
			fprintf(stderr, "ovc: %s: cannot create the output "
					"directory: %s\n",
				out_dir ? out_dir : "ovc-out", strerror(errno));
			free(dir);
			rc = OVC_EXIT_USAGE;
			goto out;
		}
		char run_id[64];
		snprintf(run_id, sizeof run_id, "snapshot-%x-%" PRIx64,
			 (unsigned)getpid(),
			 (uint64_t)now_ns(CLOCK_REALTIME));
		size_t logs = 0;
		for (size_t k = 0; k < n; k++) {
			struct target *t = &ts[k];
			if (!t->ok)
				continue;
			t->fd = create_log(dir, t);
			if (t->fd < 0) {
				fprintf(stderr, "ovc: %s: cannot create the "
						"log: %s\n",
					t->path, strerror(errno));
				rc = OVC_EXIT_USAGE;
				continue;
			}
			t->start_ticks = t->snap.start_ticks;
			t->start_mono_ns = t->snap.t_mono_ns;
			if (!ovc_write_record(t->fd, ovc_snap_log_header(
							 &t->snap, run_id,
							 (int64_t)(watch_s * 1000)))) {
				fprintf(stderr, "ovc: %s: cannot write: %s\n",
					t->path, strerror(errno));
				close(t->fd);
				t->fd = -1;
				rc = OVC_EXIT_USAGE;
				continue;
			}
			logs++;
		}
		free(dir);
		if (logs) {
			struct sigaction sa = {.sa_handler = on_stop};
			sigemptyset(&sa.sa_mask);
			sigaction(SIGINT, &sa, NULL);
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGHUP, &sa, NULL);
			fprintf(stderr,
				"ovc: snapshot: watching %zu process%s every "
				"%g s (run %s); Ctrl-C stops\n",
				logs, logs == 1 ? "" : "es", watch_s, run_id);
			watch(ts, n, (int64_t)(watch_s * 1e9), count, scan);
		}
		for (size_t k = 0; k < n; k++)
			if (ts[k].fd >= 0 && close(ts[k].fd) != 0)
				rc = OVC_EXIT_USAGE;
	}
	if (!(watch_s > 0 && quiet) && !render(ts, n, json, &ro)) {
		fputs("ovc: snapshot: cannot write the report\n", stderr);
		rc = OVC_EXIT_USAGE;
	}
out:
	for (size_t k = 0; k < n; k++)
		if (ts[k].ok)
			ovc_snap_free(&ts[k].snap);
	free(ts);
	return rc;
}
