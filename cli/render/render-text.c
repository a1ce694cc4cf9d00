/* The text report: what people read after `ovc run` and `ovc report`. */
#include "render/render.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ovc/options.h"
#include "analyze/diagnose.h"
#include "analyze/leaks.h"
#include "render/format.h"
#include "render/render-text.h"


/* The command line, quoted for a shell where needed, cut at about MAX
 * columns. */
void ovc_text_command(FILE *out, char *const *argv, size_t argc,
		      const char *fallback, size_t max)
{
	size_t w = 0;
	if (argc == 0) {
		fputs(fallback && fallback[0] ? fallback : "(unknown)", out);
		return;
	}
	for (size_t i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool plain = a[0] != '\0';
		for (const char *c = a; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
				    "OPQRSTUVWXYZ0123456789-_./=:,+%@", *c))
				plain = false;
		if (i)
			w += (size_t)fprintf(out, " ");
		if (w > max) {
			fputs("...", out);
			return;
		}
		if (plain) {
			w += (size_t)fprintf(out, "%.*s", (int)(max + 8 - w), a);
			continue;
		}
		fputc('\'', out);
		w++;
		for (const char *c = a; *c && w <= max + 8; c++, w++) {
			if (*c == '\'')
				fputs("'\\''", out);
			else if ((unsigned char)*c < 0x20 || *c == 0x7f)
				fputc('?', out); /* no control bytes on a tty */
			else
				fputc(*c, out);
		}
		fputc('\'', out);
		w++;
	}
}

/* Writes S with control characters replaced, so a log cannot drive the
 * terminal. */
void ovc_text_safe(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

void ovc_text_label(FILE *out, const char *l)
{
	fprintf(out, "  %-*s", LABEL_W, l);
}

void ovc_text_signal(int64_t sig, char *buf, size_t size)
{
	const char *abbrev = sig > 0 && sig < 65 ? sigabbrev_np((int)sig) : NULL;
	if (abbrev)
		snprintf(buf, size, "SIG%s (signal %" PRId64 ")", abbrev, sig);
	else
		snprintf(buf, size, "signal %" PRId64, sig);
}

/* How P ended, in words. */
void ovc_text_end(FILE *out, const struct ovc_proc *p)
{
	char sig[48];
	switch (p->end_kind) {
	case OVC_END_EXIT:
		fprintf(out, "exit %" PRId64, p->end_code);
		if (p->end_source == OVC_SRC_RUN)
			fputs(" (from ovc run: the log has no end record)", out);
		else if (p->end_via && strcmp(p->end_via, "_exit") == 0)
			fputs(" (via _exit)", out);
		break;
	case OVC_END_SIGNAL:
		ovc_text_signal(p->end_signal, sig, sizeof sig);
		fprintf(out, "killed by %s", sig);
		break;
	case OVC_END_EXEC:
		fputs("replaced by exec of ", out);
		if (p->successor)
			ovc_text_safe(out, p->successor->exe[0] ? p->successor->exe
							   : "?");
		else {
			ovc_text_safe(out, p->exec_path ? p->exec_path : "?");
			fputs(" (not traced)", out);
		}
		break;
	case OVC_END_SNAPSHOT:
		fputs(p->snapshot_end && strcmp(p->snapshot_end, "exited") == 0
			      ? "exited while ovc snapshot watched it (its "
				"exit status is not known)"
			      : "still running when ovc snapshot stopped "
				"watching it",
		      out);
		break;
	case OVC_END_ABRUPT:
		fputs("log ended abruptly: likely killed by SIGKILL or the OOM "
		      "killer",
		      out);
		break;
	}
	fputc('\n', out);
}

static void put_calls(FILE *out, const struct ovc_proc *p)
{
	char n[32];
	bool any = false;
	ovc_text_label(out, "calls");
	for (int f = 0; f < OVC_FN_COUNT; f++) {
		if (p->calls[f] <= 0)
			continue;
		fprintf(out, "%s%s %s", any ? "  " : "", ovc_func_name(f),
			ovc_render_count(p->calls[f], n, sizeof n));
		any = true;
	}
	fputs(any ? "\n" : "none\n", out);
	int64_t failed = ovc_proc_total_failed(p);
	ovc_text_label(out, "failed");
	if (failed <= 0) {
		fputs("none\n", out);
		return;
	}
	fprintf(out, "%s returned NULL (", ovc_render_count(failed, n, sizeof n));
	any = false;
	for (int f = 0; f < OVC_FN_COUNT; f++) {
		if (p->failed[f] <= 0)
			continue;
		fprintf(out, "%s%s %s", any ? ", " : "", ovc_func_name(f),
			ovc_render_count(p->failed[f], n, sizeof n));
		any = true;
	}
	fputs(")\n", out);
}

static void put_bytes_line(FILE *out, const char *l, int64_t v,
			   const char *note)
{
	char b[24];
	ovc_text_label(out, l);
	fprintf(out, "%*s", BYTES_W, ovc_bytes(v, b));
	if (note && note[0])
		fprintf(out, "  %s", note);
	fputc('\n', out);
}

void ovc_render_bytes_line(FILE *out, const char *label_text, int64_t v,
			   const char *note)
{
	put_bytes_line(out, label_text, v, note);
}

static void put_requested(FILE *out, const struct ovc_proc *p)
{
	char b[24], note[256];
	size_t o = 0;
	int shown = 0;
	note[0] = '\0';
	int64_t total = ovc_proc_total_requested(p);
	for (int f = 0; f < OVC_FN_COUNT && total > 0; f++) {
		if (p->requested[f] <= 0 || p->requested[f] == total)
			continue;
		if (shown == 3) {
			o += (size_t)snprintf(note + o, sizeof note - o, ", ...");
			break;
		}
		o += (size_t)snprintf(note + o, sizeof note - o, "%s%s %s",
				      shown ? ", " : "by ", ovc_func_name(f),
				      ovc_bytes(p->requested[f], b));
		shown++;
		if (o >= sizeof note)
			break;
	}
	put_bytes_line(out, "requested", total, note);
}

/* The mmap family, apart from the malloc family's figures. */
static void put_maps(FILE *out, const struct ovc_proc *p)
{
	char n[32];
	bool any = false;
	for (int f = 0; f < OVC_MFN_COUNT; f++)
		any |= p->map_calls[f] > 0;
	if (!p->has_maps || !any)
		return;
	ovc_text_label(out, "mmap calls");
	any = false;
	for (int f = 0; f < OVC_MFN_COUNT; f++) {
		if (p->map_calls[f] <= 0)
			continue;
		fprintf(out, "%s%s %s", any ? "  " : "", ovc_map_func_names[f],
			ovc_render_count(p->map_calls[f], n, sizeof n));
		if (p->map_failed[f] > 0)
			fprintf(out, " (%s failed)",
				ovc_render_count(p->map_failed[f], n, sizeof n));
		any = true;
	}
	fputc('\n', out);
	put_bytes_line(out, "mapped", p->map_bytes[OVC_MFN_MMAP],
		       "by mmap, over the whole run");
	put_bytes_line(out, "peak mapped", p->peak_mapped_bytes,
		       "mapped by the program and not yet unmapped");
	put_bytes_line(out, "peak committed", p->peak_committed_bytes,
		       "of that, accessible (PROT_NONE reservations excluded)");
}

/* The process block, then its sites. */
void ovc_text_proc(FILE *out, const struct ovc_model *m,
		   const struct ovc_proc *p, const struct ovc_render_opts *o,
		   struct ovc_symbolizer *sym)
{
	char a[64], b[24], c[24], note[160];
	const struct ovc_host *h = &m->host;

	fprintf(out, "process %" PRId64 ": ", p->pid);
	ovc_text_command(out, p->argv, p->argc, p->exe, CMD_MAX);
	fputc('\n', out);
	ovc_text_label(out, "exe");
	ovc_text_safe(out, p->exe[0] ? p->exe : "(unknown)");
	fputc('\n', out);
	ovc_text_label(out, "pid, ppid");
	fprintf(out, "%" PRId64 ", %" PRId64, p->pid, p->ppid);
	if (strcmp(p->origin, "fork") == 0)
		fputs("  (forked)", out);
	else if (strcmp(p->origin, "exec") == 0)
		fputs("  (image started by exec)", out);
	fputc('\n', out);
	ovc_text_label(out, "duration");
	fprintf(out, "%s\n", ovc_render_duration(ovc_proc_duration_ns(p), a,
						 sizeof a));
	ovc_text_label(out, "ended");
	ovc_text_end(out, p);
	/* A log of `ovc snapshot --watch` has no malloc counters: its live
	 * bytes are the committed anonymous memory (log-format.md). */
	bool snap = p->end_kind == OVC_END_SNAPSHOT;
	if (snap) {
		ovc_text_label(out, "seen");
		fputs("from /proc by ovc snapshot: no malloc counters\n", out);
	} else {
		put_calls(out, p);
		put_requested(out, p);
		put_maps(out, p);
	}
	if (p->peak_live_bound_bytes > p->peak_live_bytes) {
		snprintf(note, sizeof note,
			 "to %s: threads; requested and not yet freed, the "
			 "highest seen to the sum of per-thread peaks",
			 ovc_bytes(p->peak_live_bound_bytes, b));
		put_bytes_line(out, "peak live", p->peak_live_bytes, note);
	} else {
		put_bytes_line(out, "peak live", p->peak_live_bytes,
			       snap ? "committed anonymous memory (writable), "
				      "at its largest"
				    : "requested and not yet freed");
	}
	bool joint = ovc_proc_asked_joint(p);
	if (joint && ovc_proc_asked_bound_bytes(p) > ovc_proc_asked_bytes(p)) {
		snprintf(note, sizeof note,
			 "to %s: threads; live (malloc) + committed (mmap) at "
			 "their joint peak",
			 ovc_bytes(ovc_proc_asked_bound_bytes(p), b));
		put_bytes_line(out, "peak asked for", ovc_proc_asked_bytes(p),
			       note);
	} else if (joint) {
		put_bytes_line(out, "peak asked for", ovc_proc_asked_bytes(p),
			       "live (malloc) + committed (mmap) at their "
			       "joint peak");
	}
	put_bytes_line(out, "peak virtual", p->peak_vm_bytes,
		       p->kernel_peaks ? "address space reserved; exact "
					 "(the kernel's VmPeak)"
				       : "address space reserved; sampled");
	put_bytes_line(out, "peak resident", p->peak_rss_bytes,
		       p->kernel_peaks ? "in RAM; exact (the kernel's VmHWM)"
				       : "in RAM; sampled");
	if (ovc_proc_forked(p) && ovc_proc_own_rss_bytes(p) < p->peak_rss_bytes)
		put_bytes_line(out, "  of its own", ovc_proc_own_rss_bytes(p),
			       "grown or written since the fork; the rest is "
			       "shared with the parent (what sums count)");
	put_bytes_line(out, "peak anon resident", p->peak_anon_rss_bytes,
		       p->kernel_peaks ? "resident minus shared; sampled, and "
					 "VmHWM minus file pages"
				       : "resident minus shared; sampled");
	if (p->hugetlb_bytes > 0)
		put_bytes_line(out, "hugetlb pages", p->hugetlb_bytes,
			       "hugetlbfs, not counted as resident");
	if (ovc_proc_forked(p)) {
		int64_t inh = p->inherited_live_bytes;
		if (p->inherited_committed_bytes > 0)
			inh += p->inherited_committed_bytes;
		if (inh >= 0)
			put_bytes_line(out, "inherited", inh,
				       "live at the fork, the parent's: not in "
				       "this process's figures");
		else
			put_bytes_line(out, "inherited",
				       p->logged_peak_live_bytes,
				       "at most: peak live as logged, the "
				       "parent's blocks included");
	}
	if (!snap)
		put_bytes_line(out, "baseline anon",
			       ovc_proc_baseline_anon_bytes(p),
			       ovc_proc_forked(p)
				       ? "at the fork: the parent's state"
				       : "before main: loader, libc");
	double r;
	int64_t touched = ovc_proc_touched_bytes(p);
	if (ovc_proc_touched_ratio(p, &r) && r >= 10.0)
		snprintf(note, sizeof note, "%.0f times %s", r,
			 joint ? "peak asked for" : "peak live");
	else if (ovc_proc_touched_ratio(p, &r))
		snprintf(note, sizeof note, "%s of %s",
			 ovc_render_percent(r, a, sizeof a),
			 joint ? "peak asked for" : "peak live");
	else
		snprintf(note, sizeof note, "nothing was %s: no ratio",
			 joint ? "asked for" : "live");
	if (p->written_since_fork_bytes >= 0 &&
	    strlen(note) + 40 < sizeof note)
		strcat(note, "; written since the fork, copies included");
	put_bytes_line(out, "touched", touched, note);
	int64_t gap = ovc_proc_gap_bytes(p);
	put_bytes_line(out, "overcommit gap", gap,
		       joint ? "at peak: asked for but never touched"
			     : "at peak: live but never touched");
	if (ovc_proc_outside_bytes(p) > 0)
		put_bytes_line(out, "touched outside", ovc_proc_outside_bytes(p),
			       ovc_proc_forked(p)
				       ? "what it asked for since the fork: "
					 "copies of inherited pages, stacks, "
					 ".bss"
				       : "what ovc saw: stacks, .bss, raw "
					 "system calls");
	struct ovc_leak leak;
	ovc_proc_leak(p, &leak);
	if (leak.bytes > 0)
		put_bytes_line(out, "leaked", leak.bytes,
			       leak.estimated ? "still live at exit, estimated "
						"(`ovc report --leaks`)"
					      : "still live at exit "
						"(`ovc report --leaks`)");
	if (p->samples == 0) {
		ovc_text_label(out, "note");
		fputs("no samples: the process ended before its first one\n",
		      out);
	}
	if (p->bad_lines || p->torn_tail || p->warn_records) {
		ovc_text_label(out, "log");
		ovc_text_safe(out, p->log);
		if (p->bad_lines)
			fprintf(out, "  %" PRIu64 " bad line%s skipped",
				p->bad_lines, p->bad_lines == 1 ? "" : "s");
		if (p->torn_tail)
			fputs("  last line torn", out);
		if (p->first_warn) {
			fputs("  ovc warned: ", out);
			ovc_text_safe(out, p->first_warn);
		}
		fputc('\n', out);
	}

	/* Verdicts and what to do next. */
	if (h->commit_limit_bytes > 0 &&
	    p->peak_live_bytes > h->commit_limit_bytes)
		fprintf(out,
			"  ! peak live %s is more than CommitLimit %s: would "
			"have failed under strict overcommit "
			"(vm.overcommit_memory=2)\n",
			ovc_bytes(p->peak_live_bytes, b),
			ovc_bytes(h->commit_limit_bytes, c));
	if (h->mem_total_bytes > 0 && p->peak_live_bytes > h->mem_total_bytes)
		fprintf(out,
			"  ! peak live %s is more than MemTotal %s: touching "
			"it all would invoke the OOM killer\n",
			ovc_bytes(p->peak_live_bytes, b),
			ovc_bytes(h->mem_total_bytes, c));
	if (ovc_proc_touched_ratio(p, &r) && r < 0.5 &&
	    gap >= ((int64_t)64 << 20))
		fprintf(out,
			"  > %s of the memory asked for was never touched: allocate "
			"what you use (smaller or growing buffers), or know "
			"that this program relies on overcommit\n",
			ovc_bytes(gap, b));
	if (ovc_proc_total_failed(p) > 0)
		fputs("  > some allocations returned NULL: check that the "
		      "program handles it, and see ovc's 'machine' figures\n",
		      out);
	if (p->end_kind == OVC_END_ABRUPT ||
	    (p->end_kind == OVC_END_SIGNAL && p->end_signal == SIGKILL))
		fputs("  > was it the OOM killer? look for 'Out of memory' in "
		      "`dmesg` or `journalctl -k`\n",
		      out);
	if (p->end_kind == OVC_END_ABRUPT && m->nruns == 0)
		fputs("  > run it under `ovc run -- CMD` to learn how it ended\n",
		      out);
	ovc_diag_text(out, m, p, sym);
	if (!snap) /* no stacks from /proc */
		ovc_render_text_sites(p, out, o, sym);
}

/* The leak view (`ovc report --leaks`): per process image, what it still
 * held at exit, by site. */
static void put_leaks(FILE *out, const struct ovc_model *m,
		      const struct ovc_render_opts *o,
		      struct ovc_symbolizer *sym)
{
	bool sampled = false;
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct ovc_proc *p = m->procs[i];
		struct ovc_leak l;
		ovc_proc_leak(p, &l);
		sampled |= l.estimated;
		fprintf(out, "process %" PRId64 ": ", p->pid);
		ovc_text_command(out, p->argv, p->argc, p->exe, CMD_MAX);
		fputc('\n', out);
		ovc_text_label(out, "ended");
		ovc_text_end(out, p);
		ovc_render_text_leaks(p, out, o, sym);
		fputc('\n', out);
	}
	if (sampled)
		fputs("Leaks of blocks smaller than OVC_LARGE are estimated "
		      "from the sampled ones;\n'±' is one standard error: "
		      "the true figure is within two of them\n95% of the "
		      "time (docs/log-format.md, `live_sd`).\n",
		      out);
}

static void put_run(FILE *out, const struct ovc_model *m,
		    const struct ovc_run *r)
{
	char a[48], sig[48];
	size_t traced = 0;
	for (size_t i = 0; i < m->nprocs; i++)
		if (strcmp(m->procs[i]->run, r->run) == 0)
			traced++;
	fputs("run ", out);
	ovc_text_command(out, r->argv, r->argc, "(unknown command)", CMD_MAX);
	fputc('\n', out);
	ovc_text_label(out, "ended");
	if (!r->has_end)
		fputs("unknown (no run_end record)", out);
	else if (r->end_kind == OVC_END_SIGNAL) {
		ovc_text_signal(r->end_signal, sig, sizeof sig);
		fprintf(out, "killed by %s", sig);
	} else
		fprintf(out, "exit %" PRId64, r->end_code);
	if (r->has_end && r->duration_ns >= 0)
		fprintf(out, " after %s",
			ovc_render_duration(r->duration_ns, a, sizeof a));
	fputc('\n', out);
	ovc_text_label(out, "traced");
	if (traced == 0)
		fputs("no process: was the command statically linked, "
		      "setuid, or did it clear LD_PRELOAD?\n",
		      out);
	else
		fprintf(out, "%zu process image%s\n", traced,
			traced == 1 ? "" : "s");
	if (r->nside) {
		ovc_text_label(out, "untraced");
		fprintf(out, "%zu process%s wrote no log:\n",
			r->nside + (size_t)r->side_dropped,
			r->nside + r->side_dropped == 1 ? "" : "es");
		for (size_t i = 0; i < r->nside; i++) {
			fputs("                     ", out);
			ovc_text_safe(out, r->side[i].exe[0] ? r->side[i].exe : "?");
			fprintf(out, " (pid %" PRId64 "): ", r->side[i].pid);
			ovc_text_safe(out, r->side[i].msg);
			fputc('\n', out);
		}
	}
	ovc_text_label(out, "run id");
	ovc_text_safe(out, r->run);
	fputc('\n', out);
}

static void put_host(FILE *out, const struct ovc_host *h)
{
	fputs("machine (from the first log)\n", out);
	if (!h->known) {
		fputs("  unknown: no log recorded it\n", out);
		return;
	}
	ovc_render_text_machine(out, h, "committed by all processes at start");
}

void ovc_render_text_machine(FILE *out, const struct ovc_host *h,
			     const char *committed_as_note)
{
	char b[24];
	if (h->mem_total_bytes >= 0)
		ovc_render_bytes_line(out, "MemTotal", h->mem_total_bytes, "RAM");
	if (h->commit_limit_bytes >= 0)
		ovc_render_bytes_line(out, "CommitLimit", h->commit_limit_bytes,
			       "what strict overcommit would allow");
	if (h->committed_as_bytes >= 0)
		ovc_render_bytes_line(out, "Committed_AS", h->committed_as_bytes,
			       committed_as_note);
	ovc_text_label(out, "overcommit mode");
	switch (h->overcommit_memory) {
	case 0:
		fputs("0 heuristic: only obviously excessive requests fail\n",
		      out);
		break;
	case 1:
		fputs("1 always: every request succeeds\n", out);
		break;
	case 2:
		fprintf(out, "2 never (strict): requests beyond CommitLimit "
			     "(%s) fail\n",
			ovc_bytes(h->commit_limit_bytes, b));
		break;
	default:
		fputs("unknown\n", out);
	}
}

/* Orders runs newest first (ovc_runs_newest's order, reversed). */
static int cmp_newest(const void *a, const void *b)
{
	const struct ovc_run_seen *x = *(const struct ovc_run_seen *const *)a;
	const struct ovc_run_seen *y = *(const struct ovc_run_seen *const *)b;
	if (x->start_unix_ns != y->start_unix_ns)
		return x->start_unix_ns > y->start_unix_ns ? -1 : 1;
	return -strcmp(x->run, y->run);
}

/* The first lines of a report of the newest of several runs: that there
 * are several, which one this is, and how to see the others. */
static void put_runs_seen(FILE *out, const struct ovc_runs_seen *rs,
			  const char *dir)
{
	enum { LISTED = 10 };
	fprintf(out, "%s holds %zu runs: this report is of the newest, run ",
		dir ? dir : "the logs read", rs->n);
	ovc_text_safe(out, rs->kept->run[0] ? rs->kept->run : "(no run id)");
	fputs(" (`--run ID` for another, `--all-runs` for every one)\n", out);
	const struct ovc_run_seen **v = malloc(rs->n * sizeof *v);
	if (!v)
		return;
	for (size_t i = 0; i < rs->n; i++)
		v[i] = &rs->v[i];
	qsort(v, rs->n, sizeof *v, cmp_newest);
	for (size_t i = 0; i < rs->n && i < LISTED; i++) {
		const struct ovc_run_seen *r = v[i];
		char when[32] = "start unknown";
		time_t t = (time_t)(r->start_unix_ns / 1000000000);
		struct tm tm;
		if (r->start_unix_ns >= 0 && localtime_r(&t, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(out, "%s ", r == rs->kept ? "*" : " ");
		ovc_text_safe(out, r->run[0] ? r->run : "(no run id)");
		fprintf(out, "  %s  %6zu log%s  ", when, r->logs,
			r->logs == 1 ? " " : "s");
		ovc_text_safe(out, r->command ? r->command
					 : r->has_file ? "" : "(no run file)");
		fputc('\n', out);
	}
	if (rs->n > LISTED)
		fprintf(out, "  (%zu older runs: `ovc report --all-runs --json` "
			     "lists them)\n",
			rs->n - LISTED);
	fputc('\n', out);
	free(v);
}

bool ovc_render_text(const struct ovc_model *m, FILE *out,
		     const struct ovc_render_opts *o)
{
	if (o && o->runs && o->runs->kept)
		put_runs_seen(out, o->runs, o->dir);
	/* A suite of many processes: details of the top few only. */
	size_t max_detail = o && o->max_detail ? o->max_detail
			    : m->nprocs > 8     ? 3
						: 8;
	/* Runs: the first few (a suite run test by test makes hundreds). */
	for (size_t i = 0; i < m->nruns && i < 3; i++) {
		if (i)
			fputc('\n', out);
		put_run(out, m, m->runs[i]);
	}
	if (m->nruns > 3)
		fprintf(out, "\n(%zu more runs: `ovc report --json` lists "
			     "them)\n",
			m->nruns - 3);
	if (m->nprocs == 0 && m->nruns > 0)
		return !ferror(out); /* the run says that nothing was traced */
	if (m->nruns)
		fputc('\n', out);
	if (m->nprocs == 0) {
		fputs("no process logs", out);
		if (o && o->dir) {
			fputs(" in ", out);
			ovc_text_safe(out, o->dir);
		}
		fputs("\n", out);
		return !ferror(out);
	}
	/* One symbolizer for the whole report: modules (libc above all) are
	 * shared by the processes, and opening one costs. */
	struct ovc_symbolizer *sym = o && o->sym ? o->sym : ovc_sym_new();
	if (o && o->leaks) {
		put_leaks(out, m, o, sym);
		if (sym != o->sym)
			ovc_sym_free(sym);
		return !ferror(out);
	}
	ovc_render_text_suite(m, out, o, sym);

	size_t *order = malloc(m->nprocs * sizeof *order);
	size_t shown = m->nprocs;
	if (order && m->nprocs > max_detail) {
		ovc_rank_procs(m, o ? o->proc_sort : OVC_PSORT_GAP, order);
		/* Keep the first by the sort key, in log order. */
		shown = max_detail;
		for (size_t i = 1; i < shown; i++)
			for (size_t j = i; j > 0 && order[j - 1] > order[j]; j--) {
				size_t t = order[j];
				order[j] = order[j - 1];
				order[j - 1] = t;
			}
	} else if (order) {
		for (size_t i = 0; i < m->nprocs; i++)
			order[i] = i;
	} else {
		shown = m->nprocs < max_detail ? m->nprocs : max_detail;
	}
	for (size_t i = 0; i < shown; i++) {
		ovc_text_proc(out, m, m->procs[order ? order[i] : i], o, sym);
		fputc('\n', out);
	}
	if (!o || sym != o->sym)
		ovc_sym_free(sym);
	free(order);
	if (shown < m->nprocs)
		fprintf(out,
			"(%zu more processes are in the tables above; "
			"`ovc report --json` has them all)\n\n",
			m->nprocs - shown);
	put_host(out, &m->host);
	return !ferror(out);
}
