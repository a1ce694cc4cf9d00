/* A suite's peaks at one moment (suite.h, ovc_totals_at_once): the largest
 * sum over the processes alive at the same time of their live and of their
 * resident bytes, from the times of their samples, not the sum of every
 * process's peak (processes that ran one after another never held their
 * memory together). */
#include "analyze/suite.h"

#include <stdlib.h>

#include "read/proc-extra.h"

/* One change of the sums: at T, D[0] more live bytes, D[1] more resident
 * bytes (negative when a stretch of a process ends). */
struct change {
	int64_t t;
	int64_t d[2];
};

struct changes {
	struct change *v;
	size_t n, cap;
	bool oom;
};

static int64_t nonneg(int64_t v)
{
	return v > 0 ? v : 0;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static void push(struct changes *c, int64_t t, int64_t live, int64_t rss)
{
	if (c->oom)
		return;
	if (!ovc_grow(&c->v, &c->cap, c->n, sizeof *c->v, 256)) {
		c->oom = true;
		return;
	}
	c->v[c->n++] = (struct change){t, {live, rss}};
}

/* The stretch [FROM, TO) of a process holding LIVE and RSS bytes. */
static void stretch(struct changes *c, int64_t from, int64_t to, int64_t live,
		    int64_t rss)
{
	if (to <= from || (live <= 0 && rss <= 0))
		return;
	push(c, from, nonneg(live), nonneg(rss));
	push(c, to, -nonneg(live), -nonneg(rss));
}

/* What of a sample's LIVE and RSS is P's own: a fork child's live bytes
 * (the series has them less what it inherited, proc-extra.c), its
 * resident growth since the fork plus what it wrote since (as
 * ovc_proc_own_rss_bytes); never above its own peaks. */
static void own_values(const struct ovc_proc *p, int64_t *live, int64_t *rss)
{
	if (ovc_proc_forked(p)) {
		int64_t grown = nonneg(*rss - nonneg(p->baseline_rss_bytes));
		*rss = min64(*rss, grown + nonneg(p->written_since_fork_bytes));
	}
	*live = min64(nonneg(*live), nonneg(p->peak_live_bytes));
	*rss = min64(nonneg(*rss), ovc_proc_own_rss_bytes(p));
}

/* Adds the stretches of P, which began at T0 (on the clock of the
 * report) and lasted until END. Each bucket of its reduced series holds
 * its largest values until the next bucket: where a value fell inside a
 * bucket this counts the higher one a little longer, never less. */
static void add_proc(struct changes *c, const struct ovc_proc *p, int64_t t0,
		     int64_t end)
{
	const struct ovc_series *s = p->extra ? p->extra->series : NULL;
	if (!s || s->nbuckets == 0) {
		int64_t live = nonneg(p->peak_live_bytes);
		int64_t rss = ovc_proc_own_rss_bytes(p);
		stretch(c, t0, end, live, rss);
		return;
	}
	int64_t live = 0, rss = 0;
	for (size_t j = 0; j < s->nbuckets; j++) {
		const struct ovc_bucket *b = &s->buckets[j];
		int64_t from = j == 0 ? t0 : t0 + b->index * s->width_ns;
		int64_t to = j + 1 < s->nbuckets
				     ? t0 + s->buckets[j + 1].index * s->width_ns
				     : end;
		if (to > end)
			to = end;
		/* A series without a value in this bucket keeps the last. */
		if (b->max[OVC_SER_LIVE].bytes >= 0)
			live = b->max[OVC_SER_LIVE].bytes;
		if (b->max[OVC_SER_RSS].bytes >= 0)
			rss = b->max[OVC_SER_RSS].bytes;
		int64_t l = live, r = rss;
		own_values(p, &l, &r);
		stretch(c, from, to, l, r);
	}
}

static int cmp_change(const void *a, const void *b)
{
	const struct change *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	/* At one instant, what ends goes before what begins: a process that
	 * ends as the next starts never held its memory with it. */
	bool xe = x->d[0] < 0 || x->d[1] < 0, ye = y->d[0] < 0 || y->d[1] < 0;
	return xe == ye ? 0 : xe ? -1 : 1;
}

void ovc_totals_at_once(const struct ovc_model *m, const bool *selected,
			struct ovc_totals *t)
{
	t->peak_live_at_once_bytes = t->peak_live_max_bytes;
	t->peak_rss_at_once_bytes = t->peak_rss_max_bytes;
	t->at_once_live_ns = t->at_once_rss_ns = -1;
	t->at_once_from_samples = false;
	/* The monotonic clock where every process has it: the wall clock can
	 * step. */
	bool mono = true;
	size_t n = 0;
	for (size_t i = 0; i < m->nprocs; i++) {
		if (selected && !selected[i])
			continue;
		n++;
		if (m->procs[i]->start_mono_ns <= 0)
			mono = false;
	}
	if (n == 0)
		return;
	struct changes c = {0};
	int64_t first = INT64_MAX;
	for (size_t i = 0; i < m->nprocs; i++) {
		if (selected && !selected[i])
			continue;
		const struct ovc_proc *p = m->procs[i];
		int64_t t0 = mono ? p->start_mono_ns : p->start_unix_ns;
		if (t0 < 0)
			t0 = 0;
		int64_t dur = ovc_proc_duration_ns(p);
		if (dur <= 0)
			dur = 1;
		int64_t end = dur > INT64_MAX - t0 ? INT64_MAX : t0 + dur;
		if (t0 < first)
			first = t0;
		add_proc(&c, p, t0, end);
	}
	if (c.oom) {
		free(c.v);
		return; /* the largest single peaks stand */
	}
	if (c.n > 1)
		qsort(c.v, c.n, sizeof *c.v, cmp_change);
	/* Wide sums: figures of hostile logs reach 1 EiB each. */
	__int128 sum[2] = {0, 0}, best[2] = {0, 0};
	int64_t when[2] = {-1, -1};
	for (size_t i = 0; i < c.n; i++) {
		for (int k = 0; k < 2; k++) {
			sum[k] += c.v[i].d[k];
			if (sum[k] > best[k]) {
				best[k] = sum[k];
				when[k] = c.v[i].t - first;
			}
		}
	}
	free(c.v);
	for (int k = 0; k < 2; k++)
		if (best[k] > INT64_MAX)
			best[k] = INT64_MAX;
	/* Never below the largest single process: a moment holds it. */
	if (best[0] >= t->peak_live_at_once_bytes) {
		t->peak_live_at_once_bytes = (int64_t)best[0];
		t->at_once_live_ns = when[0];
	}
	if (best[1] >= t->peak_rss_at_once_bytes) {
		t->peak_rss_at_once_bytes = (int64_t)best[1];
		t->at_once_rss_ns = when[1];
	}
	t->at_once_from_samples = true;
}
