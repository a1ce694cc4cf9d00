/* A process in the text report: how it ended, its calls, requested and
 * mapped bytes, its figures and its sites (render-text.c writes the report
 * around it). */
#include "render/render.h"

#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "ovc/options.h"
#include "analyze/diagnose.h"
#include "analyze/leaks.h"
#include "render/format.h"
#include "render/render-text.h"

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

/* The functions of the malloc family with a count in V above 0, "NAME
 * COUNT" apart by SEP; whether there was one. */
static bool put_per_func(FILE *out, const int64_t *v, const char *sep)
{
	char n[32];
	bool any = false;
	for (int f = 0; f < OVC_FN_COUNT; f++) {
		if (v[f] <= 0)
			continue;
		fprintf(out, "%s%s %s", any ? sep : "", ovc_func_name(f),
			ovc_render_count(v[f], n, sizeof n));
		any = true;
	}
	return any;
}

static void put_calls(FILE *out, const struct ovc_proc *p)
{
	char n[32];
	ovc_text_label(out, "calls");
	fputs(put_per_func(out, p->calls, "  ") ? "\n" : "none\n", out);
	int64_t failed = ovc_proc_total_failed(p);
	ovc_text_label(out, "failed");
	if (failed <= 0) {
		fputs("none\n", out);
		return;
	}
	fprintf(out, "%s returned NULL (", ovc_render_count(failed, n, sizeof n));
	put_per_func(out, p->failed, ", ");
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
		   const struct ovc_proc *p, const struct ovc_render_opts *o)
{
	struct ovc_symbolizer *sym = o->sym;
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
	put_bytes_line(out, "peak live", p->peak_live_bytes,
		       ovc_render_bound_note(
			       p->peak_live_bytes, p->peak_live_bound_bytes,
			       snap ? "committed anonymous memory (writable), "
				      "at its largest"
				    : "requested and not yet freed",
			       note, sizeof note));
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
		ovc_render_text_sites(p, out, o);
}
