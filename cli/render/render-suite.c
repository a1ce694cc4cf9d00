/* The report on a run of many processes (a test suite, a build), in text:
 * the process tree (render-tree.c), the ranked table of processes, totals,
 * untraced programs and the sites over all processes. */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ovc/options.h"
#include "read/frames.h"
#include "analyze/suite.h"
#include "render/format.h"
#include "render/render-tree.h"
#include "render/render.h"
#include "render/render-text.h"

#define BYTES_W 10
#define SUITE_SITES 5      /* merged sites shown in text by default */
#define SUITE_FRAMES 4     /* their frames, by default */

/* Writes S with control characters replaced (names come from logs). */
static void put_safe(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

/* ---- the table of processes ---- */

static void put_args(FILE *out, const struct ovc_proc *p, size_t max)
{
	size_t w = 0;
	if (p->argc == 0) {
		put_safe(out, p->exe[0] ? p->exe : "(unknown)");
		return;
	}
	for (size_t i = 0; i < p->argc && w < max; i++) {
		const char *a = i == 0 ? ovc_path_base(p->argv[0]) : p->argv[i];
		if (i)
			fputc(' ', out), w++;
		for (; *a && w < max; a++, w++)
			fputc((unsigned char)*a < 0x20 || *a == 0x7f ? '?' : *a,
			      out);
	}
	if (w >= max)
		fputs("...", out);
}

static void put_table(FILE *out, const struct ovc_model *m,
		      const struct ovc_render_opts *o)
{
	char a[24], b[24], c[24], d[24], e[48], r[24], tm[48];
	size_t rows = o && o->max_rows ? o->max_rows : OVC_ROWS_DEFAULT;
	enum ovc_proc_sort key = o ? o->proc_sort : OVC_PSORT_GAP;
	size_t *order = malloc((m->nprocs + 1) * sizeof *order);
	if (!order)
		return;
	ovc_rank_procs(m, key, order);
	size_t shown = m->nprocs < rows ? m->nprocs : rows;
	fprintf(out, "processes (%zu of %zu, %s)\n", shown, m->nprocs,
		ovc_proc_sort_what(key));
	fprintf(out, "  %-8s %-10s %*s %*s %*s %6s %*s %9s  %s\n", "pid",
		"ended", BYTES_W, "requested", BYTES_W, "peak live", BYTES_W,
		"peak rss", "ratio", BYTES_W, "gap", "time", "command");
	for (size_t i = 0; i < shown; i++) {
		const struct ovc_proc *p = m->procs[order[i]];
		double ratio;
		ovc_text_end_words(p, true, e, sizeof e);
		fprintf(out, "  %-8" PRId64 " %-10s %*s %*s %*s %6s %*s %9s  ",
			p->pid, e, BYTES_W,
			ovc_bytes(ovc_proc_total_requested(p), a), BYTES_W,
			ovc_bytes(p->peak_live_bytes, b), BYTES_W,
			ovc_bytes(ovc_proc_own_rss_bytes(p), c),
			ovc_proc_touched_ratio(p, &ratio)
				? ovc_render_percent(ratio, r, sizeof r)
				: "-",
			BYTES_W, ovc_bytes(ovc_proc_gap_bytes(p), d),
			ovc_render_duration(ovc_proc_duration_ns(p), tm,
					    sizeof tm));
		put_args(out, p, 50);
		fputc('\n', out);
	}
	if (shown < m->nprocs)
		fprintf(out, "  (%zu more: `--processes all` lists them, "
			     "`--json` has them all)\n",
			m->nprocs - shown);
	fputc('\n', out);
	free(order);
}

/* ---- totals ---- */

static void label(FILE *out, const char *l)
{
	fprintf(out, "  %-23s", l);
}

static void put_who(FILE *out, const struct ovc_model *m, size_t i)
{
	if (i == SIZE_MAX)
		return;
	const struct ovc_proc *p = m->procs[i];
	fputs("  ", out);
	put_safe(out, p->exe[0] ? ovc_path_base(p->exe) : "?");
	fprintf(out, " (pid %" PRId64 ")", p->pid);
}

/* LABEL and V bytes: the start of a line of the totals. */
static void label_bytes(FILE *out, const char *l, int64_t v)
{
	char a[24];
	label(out, l);
	fprintf(out, "%*s", BYTES_W, ovc_bytes(v, a));
}

/* A line of a largest figure V: LABEL, V and the process of index I. */
static void put_max(FILE *out, const struct ovc_model *m, const char *l,
		    int64_t v, size_t i)
{
	label_bytes(out, l, v);
	put_who(out, m, i);
	fputc('\n', out);
}

/* The rest of an at-once line: when (NS after the first process began),
 * and the sum of the peaks (SUM) it is not. */
static void put_moment(FILE *out, int64_t ns, int64_t sum)
{
	char d[32], a[24];
	if (ns >= 0)
		fprintf(out, "  the largest sum at one moment (%s in)",
			ovc_render_duration(ns, d, sizeof d));
	else
		fputs("  the largest of one process", out);
	fprintf(out, "; sum of peaks %s\n", ovc_bytes(sum, a));
}

static void put_totals(FILE *out, const struct ovc_model *m)
{
	struct ovc_totals t;
	char a[24], n[32];
	ovc_totals_compute(m, NULL, &t);
	fprintf(out, "totals (%zu process image%s in %zu process%s)\n",
		t.images, t.images == 1 ? "" : "s", t.processes,
		t.processes == 1 ? "" : "es");
	label(out, "requested");
	fprintf(out, "%*s  over all processes\n", BYTES_W,
		ovc_bytes(t.requested_bytes, a));
	put_max(out, m, "peak live, max", t.peak_live_max_bytes,
		t.peak_live_max_proc);
	label_bytes(out, "peak live, at once", t.peak_live_at_once_bytes);
	put_moment(out, t.at_once_live_ns, t.peak_live_sum_bytes);
	put_max(out, m, "peak resident, max", t.peak_rss_max_bytes,
		t.peak_rss_max_proc);
	label_bytes(out, "peak resident, at once", t.peak_rss_at_once_bytes);
	put_moment(out, t.at_once_rss_ns, t.peak_rss_sum_bytes);
	label_bytes(out, "overcommit gap, sum", t.gap_sum_bytes);
	if (t.gap_max_bytes > 0) {
		fprintf(out, "  largest %s", ovc_bytes(t.gap_max_bytes, a));
		put_who(out, m, t.gap_max_proc);
	}
	fputc('\n', out);
	label(out, "touched ratio");
	if (t.has_ratio)
		fprintf(out, "%*s  touched over peak live, summed\n", BYTES_W,
			ovc_render_percent(t.touched_ratio, a, sizeof a));
	else
		fprintf(out, "%*s\n", BYTES_W, "-");
	label(out, "calls");
	bool any = false;
	for (int f = 0; f < OVC_FN_COUNT; f++) {
		if (t.calls[f] <= 0)
			continue;
		fprintf(out, "%s%s %s", any ? "  " : "", ovc_func_name(f),
			ovc_render_count(t.calls[f], n, sizeof n));
		any = true;
	}
	fputs(any ? "\n" : "none\n", out);
	label(out, "failed calls");
	fprintf(out, "%s\n", ovc_render_count(t.failed_total, n, sizeof n));
	label(out, "untraced programs");
	fprintf(out, "%zu%s\n", t.untraced,
		t.untraced ? "  started, but no log here: listed below with "
			     "the reason"
			   : "");
	label(out, "ended abruptly");
	fprintf(out, "%zu%s\n", t.abrupt,
		t.abrupt ? "  killed by a signal or no end in the log" : "");
	fputc('\n', out);
}

/* ---- sites over all processes ---- */

static void put_sites(FILE *out, const struct ovc_model *m,
		      const struct ovc_render_opts *o,
		      struct ovc_symbolizer *sym)
{
	struct ovc_merged_sites ms;
	enum ovc_site_sort key = o ? o->sort : OVC_SORT_UNTOUCHED;
	size_t top = o && o->top_set ? o->top_sites : SUITE_SITES;
	size_t frames = o && o->frames_set ? o->max_frames : SUITE_FRAMES;
	char a[24], b[24], c[24], d[24], n[32], lab[256];
	if (!ovc_sites_merge(m, sym, key, &ms) || ms.n == 0) {
		ovc_merged_sites_free(&ms);
		return;
	}
	size_t shown = ms.n < top ? ms.n : top;
	fprintf(out, "top sites over all processes (%zu of %zu; the same "
		     "stack in the same executable merged), ",
		shown, ms.n);
	if (key == OVC_SORT_RATIO)
		fputs("lowest touched ratio first\n", out);
	else
		fprintf(out, "most %s bytes first\n", ovc_site_sort_name(key));
	fprintf(out, "  %4s  %*s  %*s  %*s  %6s  %6s  %s\n", "#", BYTES_W,
		"untouched", BYTES_W, "requested", BYTES_W, "touched", "ratio",
		"procs", "executable");
	for (size_t i = 0; i < shown; i++) {
		const struct ovc_merged_site *s = &ms.v[i];
		const struct ovc_proc *p = m->procs[s->proc];
		const struct ovc_site *site = &p->sites[s->site];
		fprintf(out, "  %4zu  %*s  %*s  %*s  %6s  %6s  ", i + 1, BYTES_W,
			ovc_bytes(s->f.untouched_bytes, a), BYTES_W,
			ovc_bytes(s->f.requested_bytes, b), BYTES_W,
			ovc_bytes(s->f.touched_bytes, c),
			s->f.has_ratio ? ovc_render_percent(s->f.touched_ratio,
							    d, sizeof d)
				       : "-",
			ovc_render_count((int64_t)s->nprocs, n, sizeof n));
		put_safe(out, p->exe[0] ? ovc_path_base(p->exe) : "?");
		if (s->f.estimated)
			fputs("  (estimated)", out);
		fputc('\n', out);
		size_t nf = site->nframes < frames ? site->nframes : frames;
		for (size_t j = 0; j < nf; j++) {
			struct ovc_frame_info fi;
			ovc_frame_describe(sym, p, &site->frames[j], &fi);
			fprintf(out, "          #%-2zu ", j);
			put_safe(out, ovc_frame_label(&fi, lab, sizeof lab));
			if (fi.file) {
				fputs(" (", out);
				put_safe(out, ovc_path_base(fi.file));
				if (fi.line > 0)
					fprintf(out, ":%d", fi.line);
				fputc(')', out);
			}
			fputc('\n', out);
		}
	}
	fputc('\n', out);
	ovc_merged_sites_free(&ms);
}

void ovc_render_text_suite(const struct ovc_model *m, FILE *out,
			   const struct ovc_render_opts *o)
{
	struct ovc_symbolizer *sym = o ? o->sym : NULL;
	size_t untraced = 0;
	for (size_t i = 0; i < m->nprocs; i++)
		untraced += ovc_proc_untraced_count(m->procs[i]);
	/* One process: its own block says it all, but for what it started
	 * that ovc could not follow. */
	if (m->nprocs <= 1 && !untraced)
		return;
	/* Findings first: what allocated most over the whole run and the
	 * totals, then who ran (the tree, repeats collapsed) and the
	 * processes ranked (a bounded table); each process's own block
	 * follows in ovc_render_text. */
	if (m->nprocs > 1) {
		put_sites(out, m, o, sym);
		put_totals(out, m);
	}
	struct ovc_tree *t = ovc_tree_build(m);
	if (t) {
		ovc_render_text_tree(out, m, t);
		ovc_tree_free(t);
	}
	if (m->nprocs > 1)
		put_table(out, m, o);
	ovc_render_text_untraced(out, m);
}

bool ovc_render_parse_sort(const char *keys, struct ovc_render_opts *o)
{
	char key[32];
	bool any = false;
	for (const char *s = keys;;) {
		const char *e = strchrnul(s, ',');
		size_t n = (size_t)(e - s);
		if (n == 0 || n >= sizeof key)
			return false;
		memcpy(key, s, n);
		key[n] = '\0';
		bool site = ovc_site_sort_parse(key, &o->sort);
		bool proc = ovc_proc_sort_parse(key, &o->proc_sort);
		if (!site && !proc)
			return false;
		any = true;
		if (!*e)
			break;
		s = e + 1;
	}
	return any;
}
