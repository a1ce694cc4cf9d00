/* The report on a run of many processes (a test suite, a build): process
 * tree with repeats collapsed, ranked table, totals, untraced programs and
 * sites over all processes; in text and as JSON members. */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "read/frames.h"
#include "ovc/options.h"
#include "render/render.h"
#include "analyze/suite.h"

#define BYTES_W 10
#define TREE_LABEL_W 52    /* columns of the tree before its figures */
#define TREE_MAX_KIDS 12   /* kinds of children shown per node */
#define TREE_MAX_DEPTH 48  /* deeper processes are counted, not shown */
#define CHAIN_MAX 6        /* images named in one chain line */
#define SUITE_SITES 5      /* merged sites shown in text by default */
#define SUITE_FRAMES 4     /* their frames, by default */

static const char *bytes(int64_t n, char *buf)
{
	return ovc_format_bytes(n > 0 ? (uint64_t)n : 0, buf, 24);
}

/* Writes S with control characters replaced (names come from logs). */
static void put_safe(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

/* Columns S takes on a terminal (UTF-8: continuation bytes take none). */
static size_t columns(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Appends S to BUF (SIZE) at *LEN, control characters replaced, stopping
 * before the end of BUF. */
static void append(char *buf, size_t size, size_t *len, const char *s)
{
	for (; *s && *len + 1 < size; s++)
		buf[(*len)++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	buf[*len] = '\0';
}

/* ---- the tree, as shown: children of equal label merged ---- */

struct dnode {
	char *label;
	bool untraced;
	size_t count;    /* processes merged into this line */
	int64_t pid;     /* when count is 1 */
	int64_t live_max, gap_max;
	size_t descendants; /* processes below it */
	struct dnode **kids;
	size_t nkids, cap;
};

static void dnode_free(struct dnode *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nkids; i++)
		dnode_free(d->kids[i]);
	free(d->kids);
	free(d->label);
	free(d);
}

/* The kid of D labelled LABEL, made when missing; NULL when out of
 * memory. */
static struct dnode *kid(struct dnode *d, const char *label, bool untraced)
{
	for (size_t i = 0; i < d->nkids; i++)
		if (d->kids[i]->untraced == untraced &&
		    strcmp(d->kids[i]->label, label) == 0)
			return d->kids[i];
	if (d->nkids == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 4;
		struct dnode **nk = realloc(d->kids, ncap * sizeof *nk);
		if (!nk)
			return NULL;
		d->kids = nk;
		d->cap = ncap;
	}
	struct dnode *k = calloc(1, sizeof *k);
	if (!k || !(k->label = strdup(label))) {
		free(k);
		return NULL;
	}
	k->untraced = untraced;
	k->pid = -1;
	d->kids[d->nkids++] = k;
	return k;
}

/* Whether untraced record U of image P is the program P's exec went to
 * (shown at the end of its chain, not as a child). */
static bool is_exec_target(const struct ovc_proc *p,
			   const struct ovc_untraced *u)
{
	if (p->end_kind != OVC_END_EXEC || p->successor || !p->exec_path ||
	    strcmp(p->exec_path, u->path) != 0)
		return false;
	/* The last record for that path: earlier ones were other children
	 * (vfork children write into their parent's log). */
	for (const struct ovc_untraced *v = u + 1;
	     v < p->untraced + p->nuntraced; v++)
		if (strcmp(v->path, u->path) == 0)
			return false;
	return true;
}

/* What the tree says of untraced record U: "untraced: static", or where
 * its logs went ("logs in DIR"). */
static void untraced_note(const struct ovc_untraced *u, char *buf,
			  size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	if (strcmp(u->why, "output") == 0 && u->output) {
		append(buf, size, &len, "logs in ");
		append(buf, size, &len, u->output);
	} else if (strcmp(u->why, "cleared") == 0) {
		append(buf, size, &len, "untraced: LD_PRELOAD set empty");
	} else {
		append(buf, size, &len, "untraced: ");
		append(buf, size, &len, u->why);
	}
}

/* The line of node K: its images' executables, "sh → make → cc1". */
static void chain_label(const struct ovc_model *m, const struct ovc_tree *t,
			size_t k, char *buf, size_t size)
{
	const struct ovc_tree_node *nd = &t->nodes[k];
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < nd->nimages; i++) {
		const struct ovc_proc *p = m->procs[nd->images[i]];
		if (i)
			append(buf, size, &len, " → ");
		if (i == CHAIN_MAX - 1 && nd->nimages > CHAIN_MAX) {
			append(buf, size, &len, "… → ");
			i = nd->nimages - 1;
			p = m->procs[nd->images[i]];
		}
		append(buf, size, &len,
		       p->exe[0] ? ovc_path_base(p->exe) : "?");
	}
	const struct ovc_proc *last = m->procs[nd->images[nd->nimages - 1]];
	if (last->end_kind == OVC_END_EXEC && !last->successor &&
	    last->exec_path) {
		append(buf, size, &len, " → ");
		append(buf, size, &len, ovc_path_base(last->exec_path));
		char note[256] = "untraced: not traced";
		for (size_t u = 0; u < last->nuntraced; u++)
			if (is_exec_target(last, &last->untraced[u]))
				untraced_note(&last->untraced[u], note,
					      sizeof note);
		append(buf, size, &len, " (");
		append(buf, size, &len, note);
		append(buf, size, &len, ")");
	}
}

static bool add_node(const struct ovc_model *m, const struct ovc_tree *t,
		     struct dnode *parent, size_t k, size_t depth);

/* Adds node K (and what is below it) under PARENT, merging with a kid of
 * the same label. */
static bool add_node(const struct ovc_model *m, const struct ovc_tree *t,
		     struct dnode *parent, size_t k, size_t depth)
{
	char label[512];
	const struct ovc_tree_node *nd = &t->nodes[k];
	chain_label(m, t, k, label, sizeof label);
	struct dnode *d = kid(parent, label, false);
	if (!d)
		return false;
	size_t before = d->descendants;
	d->count++;
	parent->descendants++;
	d->pid = d->count == 1 ? m->procs[nd->images[0]]->pid : -1;
	for (size_t i = 0; i < nd->nimages; i++) {
		const struct ovc_proc *p = m->procs[nd->images[i]];
		if (p->peak_live_bytes > d->live_max)
			d->live_max = p->peak_live_bytes;
		int64_t gap = ovc_proc_gap_bytes(p);
		if (gap > d->gap_max)
			d->gap_max = gap;
		for (size_t u = 0; u < p->nuntraced; u++) {
			const struct ovc_untraced *un = &p->untraced[u];
			if (is_exec_target(p, un))
				continue;
			char ul[512];
			size_t len = 0;
			char note[256];
			untraced_note(un, note, sizeof note);
			append(ul, sizeof ul, &len, ovc_path_base(un->path));
			append(ul, sizeof ul, &len, " (");
			append(ul, sizeof ul, &len, note);
			append(ul, sizeof ul, &len, ")");
			struct dnode *ud = kid(d, ul, true);
			if (!ud)
				return false;
			ud->count++;
			d->descendants++;
		}
	}
	for (size_t c = 0; c < nd->nchildren; c++) {
		if (depth >= TREE_MAX_DEPTH) {
			d->descendants++; /* counted, not shown */
			continue;
		}
		if (!add_node(m, t, d, nd->children[c], depth + 1))
			return false;
	}
	parent->descendants += d->descendants - before;
	return true;
}

static size_t dnode_shown_kids(const struct dnode *d, size_t *keep)
{
	size_t n = d->nkids;
	for (size_t i = 0; i < n; i++)
		keep[i] = i;
	if (n <= TREE_MAX_KIDS)
		return n;
	/* The TREE_MAX_KIDS largest by peak live, then back in order. */
	for (size_t i = 0; i < TREE_MAX_KIDS; i++) {
		size_t best = i;
		for (size_t j = i + 1; j < n; j++)
			if (d->kids[keep[j]]->live_max >
			    d->kids[keep[best]]->live_max)
				best = j;
		size_t tmp = keep[i];
		keep[i] = keep[best];
		keep[best] = tmp;
	}
	for (size_t i = 1; i < TREE_MAX_KIDS; i++)
		for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			size_t tmp = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = tmp;
		}
	return TREE_MAX_KIDS;
}

static void put_dnode(FILE *out, const struct dnode *d, const char *prefix,
		      bool last, bool root)
{
	char line[768], a[24], b[24];
	size_t len = 0;
	line[0] = '\0';
	append(line, sizeof line, &len, "  ");
	append(line, sizeof line, &len, prefix);
	if (!root)
		append(line, sizeof line, &len, last ? "└─ " : "├─ ");
	append(line, sizeof line, &len, d->label);
	if (d->count > 1) {
		char c[32];
		snprintf(c, sizeof c, " ×%zu", d->count);
		append(line, sizeof line, &len, c);
	}
	fputs(line, out);
	if (!d->untraced) {
		size_t w = columns(line);
		char pid[32] = "";
		if (d->count == 1 && d->pid >= 0)
			snprintf(pid, sizeof pid, "%" PRId64, d->pid);
		fprintf(out, "%*s%8s  %*s  %*s",
			w < TREE_LABEL_W ? (int)(TREE_LABEL_W - w) : 1, "", pid,
			BYTES_W, bytes(d->live_max, a), BYTES_W,
			bytes(d->gap_max, b));
	}
	fputc('\n', out);

	size_t *keep = malloc((d->nkids + 1) * sizeof *keep);
	if (!keep)
		return;
	size_t shown = dnode_shown_kids(d, keep);
	char sub[512];
	snprintf(sub, sizeof sub, "%s%s", prefix,
		 root ? "" : last ? "   " : "│  ");
	size_t hidden = 0, hidden_procs = 0;
	for (size_t i = shown; i < d->nkids; i++) {
		hidden++;
		hidden_procs += d->kids[keep[i]]->count +
				d->kids[keep[i]]->descendants;
	}
	for (size_t i = 0; i < shown; i++)
		put_dnode(out, d->kids[keep[i]], sub, i + 1 == shown && !hidden,
			  false);
	if (hidden)
		fprintf(out, "  %s└─ … %zu more kind%s of process (%zu "
			     "process%s)\n",
			sub, hidden, hidden == 1 ? "" : "s", hidden_procs,
			hidden_procs == 1 ? "" : "es");
	free(keep);
}

static void put_tree(FILE *out, const struct ovc_model *m,
		     const struct ovc_tree *t)
{
	struct dnode top = {.pid = -1};
	bool ok = true;
	for (size_t r = 0; r < t->nroots && ok; r++)
		ok = add_node(m, t, &top, t->roots[r], 0);
	fprintf(out, "process tree (%zu process%s; ×N: N processes with the "
		     "same commands, figures the largest)\n",
		t->n, t->n == 1 ? "" : "es");
	fprintf(out, "  %-*s%8s  %*s  %*s\n", TREE_LABEL_W - 2, "", "pid",
		BYTES_W, "peak live", BYTES_W, "gap");
	if (!ok)
		fputs("  (out of memory)\n", out);
	for (size_t i = 0; i < top.nkids; i++)
		put_dnode(out, top.kids[i], "", true, true);
	for (size_t i = 0; i < top.nkids; i++)
		dnode_free(top.kids[i]);
	free(top.kids);
	fputc('\n', out);
}

/* ---- the table of processes ---- */

static void end_short(const struct ovc_proc *p, char *e, size_t size)
{
	switch (p->end_kind) {
	case OVC_END_EXIT:
		snprintf(e, size, "exit %" PRId64, p->end_code);
		break;
	case OVC_END_SIGNAL: {
		const char *s = p->end_signal > 0 && p->end_signal < 65
					? sigabbrev_np((int)p->end_signal)
					: NULL;
		snprintf(e, size, "SIG%s", s ? s : "?");
		break;
	}
	case OVC_END_EXEC:
		snprintf(e, size, "exec");
		break;
	case OVC_END_SNAPSHOT:
		snprintf(e, size, "snapshot");
		break;
	default:
		snprintf(e, size, "abrupt");
	}
}

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
	static const char *const what[] = {
		[OVC_PSORT_GAP] = "largest overcommit gap first",
		[OVC_PSORT_LIVE] = "largest peak live first",
		[OVC_PSORT_RSS] = "largest peak resident first",
		[OVC_PSORT_REQUESTED] = "most requested first",
		[OVC_PSORT_TIME] = "longest first",
	};
	fprintf(out, "processes (%zu of %zu, %s)\n", shown, m->nprocs,
		what[key]);
	fprintf(out, "  %-8s %-10s %*s %*s %*s %6s %*s %9s  %s\n", "pid",
		"ended", BYTES_W, "requested", BYTES_W, "peak live", BYTES_W,
		"peak rss", "ratio", BYTES_W, "gap", "time", "command");
	for (size_t i = 0; i < shown; i++) {
		const struct ovc_proc *p = m->procs[order[i]];
		double ratio;
		end_short(p, e, sizeof e);
		fprintf(out, "  %-8" PRId64 " %-10s %*s %*s %*s %6s %*s %9s  ",
			p->pid, e, BYTES_W,
			bytes(ovc_proc_total_requested(p), a), BYTES_W,
			bytes(p->peak_live_bytes, b), BYTES_W,
			bytes(p->peak_rss_bytes, c),
			ovc_proc_touched_ratio(p, &ratio)
				? ovc_render_percent(ratio, r, sizeof r)
				: "-",
			BYTES_W, bytes(ovc_proc_gap_bytes(p), d),
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
	fprintf(out, "  %-21s", l);
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
		bytes(t.requested_bytes, a));
	label(out, "peak live, max");
	fprintf(out, "%*s", BYTES_W, bytes(t.peak_live_max_bytes, a));
	put_who(out, m, t.peak_live_max_proc);
	fputc('\n', out);
	label(out, "peak live, sum");
	fprintf(out, "%*s  the most that can have been live at once\n",
		BYTES_W, bytes(t.peak_live_sum_bytes, a));
	label(out, "peak resident, max");
	fprintf(out, "%*s", BYTES_W, bytes(t.peak_rss_max_bytes, a));
	put_who(out, m, t.peak_rss_max_proc);
	fputc('\n', out);
	label(out, "peak resident, sum");
	fprintf(out, "%*s\n", BYTES_W, bytes(t.peak_rss_sum_bytes, a));
	label(out, "overcommit gap, sum");
	fprintf(out, "%*s", BYTES_W, bytes(t.gap_sum_bytes, a));
	if (t.gap_max_bytes > 0) {
		fprintf(out, "  largest %s", bytes(t.gap_max_bytes, a));
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
		t.untraced ? "  statically linked, setuid or setgid, LD_PRELOAD "
			     "set empty, or logging elsewhere: not seen here"
			   : "");
	label(out, "ended abruptly");
	fprintf(out, "%zu%s\n", t.abrupt,
		t.abrupt ? "  killed by a signal or no end in the log" : "");
	fputc('\n', out);
}

/* ---- untraced programs ---- */

static void put_untraced(FILE *out, const struct ovc_model *m)
{
	size_t total = 0, shown = 0;
	for (size_t i = 0; i < m->nprocs; i++)
		total += m->procs[i]->nuntraced;
	if (!total)
		return;
	fprintf(out, "untraced processes (%zu): programs ovc cannot look "
		     "into\n",
		total);
	for (size_t i = 0; i < m->nprocs && shown < 10; i++) {
		const struct ovc_proc *p = m->procs[i];
		for (size_t u = 0; u < p->nuntraced && shown < 10; u++) {
			fputs("  ", out);
			put_safe(out, p->untraced[u].path);
			char note[256];
			untraced_note(&p->untraced[u], note, sizeof note);
			fputs("  (", out);
			put_safe(out, note);
			fputs(")  started by ", out);
			put_safe(out, p->exe[0] ? ovc_path_base(p->exe) : "?");
			fprintf(out, " (pid %" PRId64 ")\n", p->pid);
			shown++;
		}
	}
	if (shown < total)
		fprintf(out, "  (%zu more in `--json`)\n", total - shown);
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
			bytes(s->f.untouched_bytes, a), BYTES_W,
			bytes(s->f.requested_bytes, b), BYTES_W,
			bytes(s->f.touched_bytes, c),
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
			   const struct ovc_render_opts *o,
			   struct ovc_symbolizer *sym)
{
	size_t untraced = 0;
	for (size_t i = 0; i < m->nprocs; i++)
		untraced += m->procs[i]->nuntraced;
	/* One process: its own block says it all, but for what it started
	 * that ovc could not follow. */
	if (m->nprocs <= 1 && !untraced)
		return;
	struct ovc_tree *t = ovc_tree_build(m);
	if (t) {
		put_tree(out, m, t);
		ovc_tree_free(t);
	}
	if (m->nprocs <= 1) {
		put_untraced(out, m);
		return;
	}
	put_table(out, m, o);
	put_totals(out, m);
	put_untraced(out, m);
	put_sites(out, m, o, sym);
}

/* ---- JSON ---- */

static json_t *str(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_null();
}

json_t *ovc_totals_json(const struct ovc_model *m, const struct ovc_totals *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "images", json_integer((json_int_t)t->images));
	json_object_set_new(o, "processes",
			    json_integer((json_int_t)t->processes));
	json_object_set_new(o, "untraced", json_integer((json_int_t)t->untraced));
	json_object_set_new(o, "abrupt", json_integer((json_int_t)t->abrupt));
	json_object_set_new(o, "requested_bytes",
			    json_integer(t->requested_bytes));
	json_object_set_new(o, "peak_live_max_bytes",
			    json_integer(t->peak_live_max_bytes));
	json_object_set_new(o, "peak_live_sum_bytes",
			    json_integer(t->peak_live_sum_bytes));
	json_object_set_new(o, "peak_rss_max_bytes",
			    json_integer(t->peak_rss_max_bytes));
	json_object_set_new(o, "peak_rss_sum_bytes",
			    json_integer(t->peak_rss_sum_bytes));
	json_object_set_new(o, "overcommit_gap_max_bytes",
			    json_integer(t->gap_max_bytes));
	json_object_set_new(o, "overcommit_gap_sum_bytes",
			    json_integer(t->gap_sum_bytes));
	json_object_set_new(o, "touched_sum_bytes",
			    json_integer(t->touched_sum_bytes));
	json_object_set_new(o, "touched_ratio",
			    t->has_ratio ? json_real(t->touched_ratio)
					 : json_null());
	json_t *calls = json_object();
	for (int f = 0; f < OVC_FN_COUNT; f++)
		json_object_set_new(calls, ovc_func_name(f),
				    json_integer(t->calls[f]));
	json_object_set_new(calls, "failed", json_integer(t->failed_total));
	json_object_set_new(o, "calls", calls);
	json_object_set_new(o, "calls_total", json_integer(t->calls_total));
	json_object_set_new(o, "peak_live_max_log",
			    t->peak_live_max_proc != SIZE_MAX
				    ? str(m->procs[t->peak_live_max_proc]->log)
				    : json_null());
	return o;
}

static json_t *tree_json(const struct ovc_model *m, const struct ovc_tree *t,
			 size_t *untraced_base)
{
	json_t *a = json_array();
	for (size_t k = 0; k < t->n; k++) {
		const struct ovc_tree_node *nd = &t->nodes[k];
		const struct ovc_proc *h = m->procs[nd->images[0]];
		json_t *o = json_object();
		json_object_set_new(o, "pid", h->pid >= 0 ? json_integer(h->pid)
							  : json_null());
		json_object_set_new(o, "run", str(h->run));
		json_t *logs = json_array(), *exes = json_array(),
		       *untr = json_array();
		for (size_t i = 0; i < nd->nimages; i++) {
			size_t pi = nd->images[i];
			json_array_append_new(logs, str(m->procs[pi]->log));
			json_array_append_new(exes, str(m->procs[pi]->exe));
			for (size_t u = 0; u < m->procs[pi]->nuntraced; u++)
				json_array_append_new(
					untr, json_integer((json_int_t)(
						      untraced_base[pi] + u)));
		}
		json_object_set_new(o, "log", str(h->log));
		json_object_set_new(o, "logs", logs);
		json_object_set_new(o, "exes", exes);
		json_object_set_new(o, "parent",
				    nd->parent == SIZE_MAX
					    ? json_null()
					    : json_integer((json_int_t)nd->parent));
		json_object_set_new(o, "parent_log",
				    nd->parent_image == SIZE_MAX
					    ? json_null()
					    : str(m->procs[nd->parent_image]->log));
		json_t *kids = json_array();
		for (size_t c = 0; c < nd->nchildren; c++)
			json_array_append_new(
				kids, json_integer((json_int_t)nd->children[c]));
		json_object_set_new(o, "children", kids);
		json_object_set_new(o, "untraced", untr);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *merged_sites_json(const struct ovc_model *m,
				 const struct ovc_render_opts *ro,
				 struct ovc_symbolizer *sym)
{
	json_t *a = json_array();
	struct ovc_merged_sites ms;
	size_t top = ro && ro->top_set ? ro->top_sites : OVC_TOP_JSON_DEFAULT;
	if (!ovc_sites_merge(m, sym, ro ? ro->sort : OVC_SORT_UNTOUCHED, &ms))
		return a;
	for (size_t i = 0; i < ms.n && i < top; i++) {
		const struct ovc_merged_site *s = &ms.v[i];
		const struct ovc_proc *p = m->procs[s->proc];
		const struct ovc_site *site = &p->sites[s->site];
		json_t *o = json_object();
		json_object_set_new(o, "exe", str(p->exe));
		json_object_set_new(o, "processes",
				    json_integer((json_int_t)s->nprocs));
		json_object_set_new(o, "log", str(p->log));
		json_object_set_new(o, "site_id", json_integer(site->id));
		json_t *fr = json_array();
		for (size_t j = 0; j < site->nframes; j++) {
			struct ovc_frame_info fi;
			ovc_frame_describe(sym, p, &site->frames[j], &fi);
			json_t *f = json_object();
			json_object_set_new(f, "function", str(fi.function));
			json_object_set_new(f, "file", str(fi.file));
			json_object_set_new(f, "line", fi.line > 0
							      ? json_integer(fi.line)
							      : json_null());
			json_object_set_new(f, "module", str(fi.module));
			json_object_set_new(f, "offset",
					    json_integer((json_int_t)fi.offset));
			json_array_append_new(fr, f);
		}
		json_object_set_new(o, "frames", fr);
		json_object_set_new(o, "requested_bytes",
				    json_integer(s->f.requested_bytes));
		json_object_set_new(o, "peak_live_bytes",
				    json_integer(s->f.peak_live_bytes));
		json_object_set_new(o, "blocks", json_integer(s->f.blocks));
		json_object_set_new(o, "touched_bytes",
				    json_integer(s->f.touched_bytes));
		json_object_set_new(o, "untouched_bytes",
				    json_integer(s->f.untouched_bytes));
		json_object_set_new(o, "touched_ratio",
				    s->f.has_ratio ? json_real(s->f.touched_ratio)
						   : json_null());
		json_object_set_new(o, "estimated", json_boolean(s->f.estimated));
		json_array_append_new(a, o);
	}
	ovc_merged_sites_free(&ms);
	return a;
}

void ovc_render_json_suite(const struct ovc_model *m, json_t *doc,
			   const struct ovc_render_opts *o,
			   struct ovc_symbolizer *sym)
{
	struct ovc_totals t;
	ovc_totals_compute(m, NULL, &t);
	json_object_set_new(doc, "totals", ovc_totals_json(m, &t));

	/* Untraced programs, flat; tree nodes point into this array. */
	size_t *base = calloc(m->nprocs + 1, sizeof *base);
	json_t *untr = json_array();
	size_t k = 0;
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct ovc_proc *p = m->procs[i];
		if (base)
			base[i] = k;
		for (size_t u = 0; u < p->nuntraced; u++, k++) {
			json_t *e = json_object();
			json_object_set_new(e, "path", str(p->untraced[u].path));
			json_object_set_new(e, "why", str(p->untraced[u].why));
			if (p->untraced[u].output)
				json_object_set_new(e, "output",
						    str(p->untraced[u].output));
			json_object_set_new(e, "by_log", str(p->log));
			json_object_set_new(e, "by_pid",
					    p->pid >= 0 ? json_integer(p->pid)
							: json_null());
			json_object_set_new(e, "exec", json_boolean(is_exec_target(
							       p, &p->untraced[u])));
			json_array_append_new(untr, e);
		}
	}
	json_object_set_new(doc, "untraced", untr);
	struct ovc_tree *tr = base ? ovc_tree_build(m) : NULL;
	json_object_set_new(doc, "tree", tr ? tree_json(m, tr, base)
					    : json_array());
	ovc_tree_free(tr);
	free(base);
	json_object_set_new(doc, "top_sites", merged_sites_json(m, o, sym));
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
