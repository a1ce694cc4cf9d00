/* Many processes as a whole: process order, the process tree, totals and
 * sites merged across processes (see suite.h). */
#include "analyze/suite.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read/frames.h"

/* Each order of the processes: its name (--sort) and what it puts
 * first. */
static const struct {
	const char *name, *what;
} psorts[] = {
	[OVC_PSORT_GAP] = {"gap", "largest overcommit gap first"},
	[OVC_PSORT_LIVE] = {"live", "largest peak live first"},
	[OVC_PSORT_RSS] = {"rss", "largest peak resident first"},
	[OVC_PSORT_REQUESTED] = {"requested", "most requested first"},
	[OVC_PSORT_TIME] = {"time", "longest first"},
};

bool ovc_proc_sort_parse(const char *name, enum ovc_proc_sort *out)
{
	for (size_t k = 0; k < OVC_NAMES(psorts); k++) {
		if (strcmp(name, psorts[k].name) == 0) {
			*out = (enum ovc_proc_sort)k;
			return true;
		}
	}
	return false;
}

const char *ovc_proc_sort_name(enum ovc_proc_sort key)
{
	return (size_t)key < OVC_NAMES(psorts) ? psorts[key].name : "?";
}

const char *ovc_proc_sort_what(enum ovc_proc_sort key)
{
	return (size_t)key < OVC_NAMES(psorts) ? psorts[key].what : "?";
}

static int64_t proc_key(const struct ovc_proc *p, enum ovc_proc_sort key)
{
	switch (key) {
	case OVC_PSORT_LIVE:
		return p->peak_live_bytes;
	case OVC_PSORT_RSS:
		return ovc_proc_own_rss_bytes(p);
	case OVC_PSORT_REQUESTED:
		return ovc_proc_total_requested(p);
	case OVC_PSORT_TIME:
		return ovc_proc_duration_ns(p);
	case OVC_PSORT_GAP:
		break;
	}
	return ovc_proc_gap_bytes(p);
}

struct rank_ctx {
	const struct ovc_model *m;
	enum ovc_proc_sort key;
};

static int cmp_desc(int64_t a, int64_t b)
{
	return a > b ? -1 : a < b;
}

static int cmp_procs(const void *a, const void *b, void *arg)
{
	const struct rank_ctx *c = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct ovc_proc *x = c->m->procs[i], *y = c->m->procs[j];
	int r = cmp_desc(proc_key(x, c->key), proc_key(y, c->key));
	if (!r)
		r = cmp_desc(ovc_proc_gap_bytes(x), ovc_proc_gap_bytes(y));
	if (!r)
		r = i < j ? -1 : i > j;
	return r;
}

void ovc_rank_procs(const struct ovc_model *m, enum ovc_proc_sort key,
		    size_t *order)
{
	for (size_t i = 0; i < m->nprocs; i++)
		order[i] = i;
	struct rank_ctx c = {m, key};
	qsort_r(order, m->nprocs, sizeof *order, cmp_procs, &c);
}

bool ovc_proc_abrupt(const struct ovc_proc *p)
{
	return p->end_kind == OVC_END_ABRUPT || p->end_kind == OVC_END_SIGNAL;
}

bool ovc_proc_matches(const struct ovc_proc *p, const char *patterns)
{
	if (!patterns || !patterns[0])
		return true;
	const char *base = ovc_path_base(p->exe);
	char pat[1024];
	for (const char *s = patterns;;) {
		const char *e = strchrnul(s, ',');
		size_t n = (size_t)(e - s);
		if (n > 0 && n < sizeof pat) {
			memcpy(pat, s, n);
			pat[n] = '\0';
			if (fnmatch(pat, p->exe, 0) == 0 ||
			    fnmatch(pat, base, 0) == 0)
				return true;
		}
		if (!*e)
			return false;
		s = e + 1;
	}
}

/* ---- the tree ---- */

void ovc_tree_free(struct ovc_tree *t)
{
	if (!t)
		return;
	for (struct ovc_tree_node *n = t->nodes; n < t->nodes + t->n; n++) {
		free(n->images);
		free(n->children);
	}
	free(t->nodes);
	free(t->node_of);
	free(t->roots);
	free(t);
}

struct pid_entry {
	int64_t pid;
	size_t index;
};

static int cmp_pid_entry(const void *a, const void *b)
{
	const struct pid_entry *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Index in M of the log named NAME of run RUN, preferably one whose pid
 * is PID1 or PID2 (a process in a pid namespace of its own sees its
 * parent's pid as 0: the name is what links them), started no later than
 * START (when known); SIZE_MAX when none. */
static size_t find_log(const struct ovc_model *m, const char *name,
		       const char *run, int64_t pid1, int64_t pid2,
		       int64_t start)
{
	size_t named = SIZE_MAX;
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct ovc_proc *q = m->procs[i];
		if (strcmp(q->log_name, name) != 0 || strcmp(q->run, run) != 0)
			continue;
		if (q->pid == pid1 || q->pid == pid2)
			return i;
		if (named == SIZE_MAX && (start < 0 || q->start_unix_ns <= start))
			named = i;
	}
	return named;
}

/* The image (index in M) of process PPID, run RUN, that was running when
 * the image P started: the latest that started no later than P. */
static size_t find_by_ppid(const struct ovc_model *m,
			   const struct pid_entry *bypid, const struct ovc_proc *p)
{
	size_t lo = 0, hi = m->nprocs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (bypid[mid].pid < p->ppid)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t best = SIZE_MAX;
	for (; lo < m->nprocs && bypid[lo].pid == p->ppid; lo++) {
		const struct ovc_proc *q = m->procs[bypid[lo].index];
		if (q == p || strcmp(q->run, p->run) != 0)
			continue;
		if (p->start_unix_ns >= 0 && q->start_unix_ns > p->start_unix_ns)
			continue;
		if (best == SIZE_MAX ||
		    q->start_unix_ns >= m->procs[best]->start_unix_ns)
			best = bypid[lo].index;
	}
	return best;
}

struct ovc_tree *ovc_tree_build(const struct ovc_model *m)
{
	size_t n = m->nprocs;
	struct ovc_tree *t = calloc(1, sizeof *t);
	size_t *index_of = calloc(n + 1, sizeof *index_of); /* by read_index */
	struct pid_entry *bypid = calloc(n + 1, sizeof *bypid);
	if (!t || !index_of || !bypid)
		goto oom;
	t->nodes = calloc(n + 1, sizeof *t->nodes);
	t->node_of = malloc((n + 1) * sizeof *t->node_of);
	t->roots = malloc((n + 1) * sizeof *t->roots);
	if (!t->nodes || !t->node_of || !t->roots)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		t->node_of[i] = SIZE_MAX;
		if (m->procs[i]->read_index < n)
			index_of[m->procs[i]->read_index] = i;
		bypid[i].pid = m->procs[i]->pid;
		bypid[i].index = i;
	}
	qsort(bypid, n, sizeof *bypid, cmp_pid_entry);

	/* One node per chain of images, from each image without a
	 * predecessor along its successors. */
	for (size_t i = 0; i < n; i++) {
		const struct ovc_proc *p = m->procs[i];
		if (p->predecessor)
			continue;
		struct ovc_tree_node *nd = &t->nodes[t->n];
		size_t len = 0;
		for (const struct ovc_proc *q = p; q && len <= n; q = q->successor)
			len++;
		nd->images = malloc(len * sizeof *nd->images);
		if (!nd->images)
			goto oom;
		for (const struct ovc_proc *q = p; q && nd->nimages < len;
		     q = q->successor) {
			size_t qi = q->read_index < n ? index_of[q->read_index]
						      : i;
			if (t->node_of[qi] != SIZE_MAX)
				break; /* a malformed chain: seen already */
			t->node_of[qi] = t->n;
			nd->images[nd->nimages++] = qi;
		}
		nd->parent = nd->parent_image = SIZE_MAX;
		t->n++;
	}
	/* Images left (a predecessor cycle in malformed logs): alone. */
	for (size_t i = 0; i < n; i++) {
		if (t->node_of[i] != SIZE_MAX)
			continue;
		struct ovc_tree_node *nd = &t->nodes[t->n];
		nd->images = malloc(sizeof *nd->images);
		if (!nd->images)
			goto oom;
		nd->images[0] = i;
		nd->nimages = 1;
		nd->parent = nd->parent_image = SIZE_MAX;
		t->node_of[i] = t->n++;
	}

	/* Parents. */
	for (size_t k = 0; k < t->n; k++) {
		struct ovc_tree_node *nd = &t->nodes[k];
		const struct ovc_proc *h = m->procs[nd->images[0]];
		size_t pi = SIZE_MAX;
		if (h->parent && h->parent->read_index < n)
			pi = index_of[h->parent->read_index];
		if (pi == SIZE_MAX && h->parent_log[0])
			pi = find_log(m, h->parent_log, h->run, h->ppid, h->pid,
				      h->start_unix_ns);
		if (pi == SIZE_MAX && h->ppid >= 0)
			pi = find_by_ppid(m, bypid, h);
		if (pi == SIZE_MAX || t->node_of[pi] == k)
			continue;
		nd->parent = t->node_of[pi];
		nd->parent_image = pi;
	}
	/* Cut cycles (only malformed logs make them): walking up from a
	 * node must end within n steps at a root. */
	for (size_t k = 0; k < t->n; k++) {
		size_t cur = t->nodes[k].parent, steps = 0;
		while (cur != SIZE_MAX && cur != k && steps++ <= t->n)
			cur = t->nodes[cur].parent;
		if (cur == k) {
			t->nodes[k].parent = SIZE_MAX;
			t->nodes[k].parent_image = SIZE_MAX;
		}
	}
	/* Children, in node order (the order images started). */
	for (size_t k = 0; k < t->n; k++) {
		size_t par = t->nodes[k].parent;
		if (par == SIZE_MAX) {
			t->roots[t->nroots++] = k;
			continue;
		}
		t->nodes[par].nchildren++;
	}
	for (size_t k = 0; k < t->n; k++) {
		struct ovc_tree_node *nd = &t->nodes[k];
		if (nd->nchildren) {
			nd->children = malloc(nd->nchildren * sizeof *nd->children);
			if (!nd->children)
				goto oom;
			nd->nchildren = 0;
		}
	}
	for (size_t k = 0; k < t->n; k++) {
		size_t par = t->nodes[k].parent;
		if (par != SIZE_MAX)
			t->nodes[par].children[t->nodes[par].nchildren++] = k;
	}
	free(index_of);
	free(bypid);
	return t;
oom:
	free(index_of);
	free(bypid);
	ovc_tree_free(t);
	return NULL;
}

/* ---- totals ---- */

static int64_t sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	return a + (b > 0 ? b : 0);
}

void ovc_totals_compute(const struct ovc_model *m, const bool *selected,
			struct ovc_totals *t)
{
	memset(t, 0, sizeof *t);
	t->peak_live_max_proc = t->gap_max_proc = t->peak_rss_max_proc =
		SIZE_MAX;
	for (size_t i = 0; i < m->nprocs; i++) {
		if (selected && !selected[i])
			continue;
		const struct ovc_proc *p = m->procs[i];
		t->images++;
		if (!p->predecessor)
			t->processes++;
		t->untraced += ovc_proc_untraced_count(p);
		if (ovc_proc_abrupt(p))
			t->abrupt++;
		t->requested_bytes =
			sat_add(t->requested_bytes, ovc_proc_total_requested(p));
		t->peak_live_sum_bytes =
			sat_add(t->peak_live_sum_bytes, p->peak_live_bytes);
		t->peak_rss_sum_bytes =
			sat_add(t->peak_rss_sum_bytes, ovc_proc_own_rss_bytes(p));
		int64_t gap = ovc_proc_gap_bytes(p);
		t->gap_sum_bytes = sat_add(t->gap_sum_bytes, gap);
		int64_t touched = ovc_proc_touched_bytes(p);
		if (touched > p->peak_live_bytes)
			touched = p->peak_live_bytes; /* as the ratio clamps */
		t->touched_sum_bytes = sat_add(t->touched_sum_bytes, touched);
		if (t->peak_live_max_proc == SIZE_MAX ||
		    p->peak_live_bytes > t->peak_live_max_bytes) {
			t->peak_live_max_bytes = p->peak_live_bytes;
			t->peak_live_max_proc = i;
		}
		if (t->peak_rss_max_proc == SIZE_MAX ||
		    ovc_proc_own_rss_bytes(p) > t->peak_rss_max_bytes) {
			t->peak_rss_max_bytes = ovc_proc_own_rss_bytes(p);
			t->peak_rss_max_proc = i;
		}
		if (t->gap_max_proc == SIZE_MAX || gap > t->gap_max_bytes) {
			t->gap_max_bytes = gap;
			t->gap_max_proc = i;
		}
		for (int f = 0; f < OVC_FN_COUNT; f++) {
			t->calls[f] = sat_add(t->calls[f], p->calls[f]);
			t->calls_total = sat_add(t->calls_total, p->calls[f]);
		}
		t->failed_total = sat_add(t->failed_total,
					  ovc_proc_total_failed(p));
	}
	ovc_totals_at_once(m, selected, t);
	t->has_ratio = t->peak_live_sum_bytes > 0;
	if (t->has_ratio) {
		t->touched_ratio = (double)t->touched_sum_bytes /
				   (double)t->peak_live_sum_bytes;
		if (t->touched_ratio > 1.0)
			t->touched_ratio = 1.0;
	}
}

/* ---- sites merged across processes ---- */

static void kb_put(struct ovc_text *k, const char *s)
{
	size_t n = strlen(s);
	char *at = ovc_text_room(k, n);
	if (!at)
		return;
	memcpy(at, s, n + 1);
	k->len += n;
}

/* The merge key of site S of P: exe, then per frame "label@file:line". */
static char *site_key(struct ovc_symbolizer *sym, const struct ovc_proc *p,
		      const struct ovc_site *s)
{
	struct ovc_text k = {0};
	char label[512], line[32];
	kb_put(&k, p->exe);
	for (size_t i = 0; i < s->nframes; i++) {
		struct ovc_frame_info fi;
		ovc_frame_describe(sym, p, &s->frames[i], &fi);
		kb_put(&k, "\x1e");
		kb_put(&k, ovc_frame_label(&fi, label, sizeof label));
		if (fi.file) {
			kb_put(&k, "@");
			kb_put(&k, ovc_path_base(fi.file));
			snprintf(line, sizeof line, ":%d", fi.line);
			kb_put(&k, line);
		}
	}
	if (s->frames_dropped)
		kb_put(&k, "\x1e...");
	if (k.oom || !k.s) {
		free(k.s);
		return NULL;
	}
	return k.s;
}

static int cmp_key(const void *a, const void *b)
{
	const struct ovc_merged_site *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (!c)
		c = x->proc < y->proc ? -1 : x->proc > y->proc;
	return c;
}

static int cmp_merged(const void *a, const void *b, void *arg)
{
	const struct ovc_merged_site *x = a, *y = b;
	int c = ovc_site_figures_cmp(&x->f, &y->f,
				     *(const enum ovc_site_sort *)arg);
	if (!c)
		c = strcmp(x->key, y->key);
	return c;
}

void ovc_merged_sites_free(struct ovc_merged_sites *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		free(ms->v[i].key);
	free(ms->v);
	ms->v = NULL;
	ms->n = 0;
}

bool ovc_sites_merge(const struct ovc_model *m, struct ovc_symbolizer *sym,
		     enum ovc_site_sort key, struct ovc_merged_sites *out)
{
	out->v = NULL;
	out->n = 0;
	size_t total = 0;
	for (size_t i = 0; i < m->nprocs; i++)
		total += m->procs[i]->nsites;
	if (!total)
		return true;
	struct ovc_merged_site *v = calloc(total, sizeof *v);
	if (!v)
		return false;
	size_t n = 0;
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct ovc_proc *p = m->procs[i];
		for (size_t j = 0; j < p->nsites; j++) {
			if (!p->sites[j].has_figures)
				continue;
			v[n].key = site_key(sym, p, &p->sites[j]);
			if (!v[n].key) {
				out->v = v;
				out->n = n;
				ovc_merged_sites_free(out);
				return false;
			}
			v[n].proc = i;
			v[n].site = j;
			v[n].nprocs = 1;
			ovc_site_figures(&p->sites[j], &v[n].f);
			n++;
		}
	}
	qsort(v, n, sizeof *v, cmp_key);
	size_t w = 0;
	for (size_t r = 0; r < n; r++) {
		if (w > 0 && strcmp(v[w - 1].key, v[r].key) == 0) {
			struct ovc_site_figures *a = &v[w - 1].f;
			const struct ovc_site_figures *b = &v[r].f;
			a->blocks = sat_add(a->blocks, b->blocks);
			a->requested_bytes =
				sat_add(a->requested_bytes, b->requested_bytes);
			a->live_bytes = sat_add(a->live_bytes, b->live_bytes);
			a->peak_live_bytes =
				sat_add(a->peak_live_bytes, b->peak_live_bytes);
			a->touched_bytes =
				sat_add(a->touched_bytes, b->touched_bytes);
			a->untouched_bytes =
				sat_add(a->untouched_bytes, b->untouched_bytes);
			a->reused_bytes =
				sat_add(a->reused_bytes, b->reused_bytes);
			a->estimated = a->estimated || b->estimated;
			/* Another image of the same process counts once. */
			if (m->procs[v[w - 1].proc]->pid !=
				    m->procs[v[r].proc]->pid ||
			    strcmp(m->procs[v[w - 1].proc]->run,
				   m->procs[v[r].proc]->run) != 0)
				v[w - 1].nprocs++;
			free(v[r].key);
			continue;
		}
		v[w++] = v[r];
	}
	for (size_t r = 0; r < w; r++) {
		struct ovc_site_figures *f = &v[r].f;
		f->has_ratio = f->requested_bytes > 0;
		f->touched_ratio = f->has_ratio ? (double)f->touched_bytes /
							  (double)f->requested_bytes
						: 0.0;
		if (f->touched_ratio > 1.0)
			f->touched_ratio = 1.0;
	}
	qsort_r(v, w, sizeof *v, cmp_merged, &key);
	out->v = v;
	out->n = w;
	return true;
}

bool ovc_proc_exec_unlogged(const struct ovc_proc *p)
{
	if (p->end_kind != OVC_END_EXEC || p->successor || !p->exec_path)
		return false;
	for (size_t u = 0; u < p->nuntraced; u++)
		if (ovc_untraced_exec_target(p, &p->untraced[u]))
			return false;
	return true;
}

size_t ovc_proc_untraced_count(const struct ovc_proc *p)
{
	return p->nuntraced + (size_t)p->untraced_dropped +
	       (ovc_proc_exec_unlogged(p) ? 1 : 0);
}

const char *ovc_untraced_reason(const char *why)
{
	static const char *const words[][2] = {
		{"static", "statically linked: nothing to preload into"},
		{"setuid", "setuid: the loader ignores LD_PRELOAD"},
		{"setgid", "setgid: the loader ignores LD_PRELOAD"},
		{"cleared", "LD_PRELOAD set empty"},
		{"output", "logs in another directory"},
		{OVC_UNTRACED_NO_LOG, "no log here: left out by OVC_ONLY or "
				      "OVC_FOLLOW, or its log is elsewhere"},
	};
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strcmp(why, words[i][0]) == 0)
			return words[i][1];
	return why;
}

/* Whether untraced record U of image P is the program P's exec went to
 * (shown at the end of its chain, not as a child). */
bool ovc_untraced_exec_target(const struct ovc_proc *p,
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
