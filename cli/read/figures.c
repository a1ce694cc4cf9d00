/* The figures derived from the aggregates of the model (model.h): of a
 * site (live, touched, untouched...), sites ranked by a sort key, and of a
 * process (touched, overcommit gap, duration, totals, verdicts). */
#include <math.h>
#include "read/model.h"

#include <stdlib.h>
#include <string.h>

static int64_t clamp_nonneg(int64_t v)
{
	return v > 0 ? v : 0;
}

void ovc_site_figures(const struct ovc_site *s, struct ovc_site_figures *f)
{
	int64_t req = clamp_nonneg(s->requested_bytes);
	int64_t touched = clamp_nonneg(s->touched_bytes);
	int64_t unprobed = clamp_nonneg(s->unprobed_bytes);
	if (unprobed > req)
		unprobed = req;
	if (touched > req)
		touched = req;
	/* The probed bytes are what was requested minus the live bytes of
	 * never-probed blocks; the unprobed ones are assumed to be touched
	 * at the same ratio. Nothing probed: no ratio to go by, the
	 * measured figure (a lower bound) stands. */
	int64_t probed = req - unprobed;
	if (unprobed > 0 && probed > 0) {
		double r = (double)touched / (double)probed;
		if (r > 1.0)
			r = 1.0;
		touched += (int64_t)((double)unprobed * r + 0.5);
		if (touched > req)
			touched = req;
	}
	f->blocks = clamp_nonneg(s->blocks);
	f->requested_bytes = req;
	f->live_bytes = clamp_nonneg(s->live_bytes);
	f->peak_live_bytes = clamp_nonneg(s->peak_live_bytes);
	f->touched_bytes = touched;
	f->reused_bytes = clamp_nonneg(s->reused_bytes);
	f->untouched_bytes = req - touched;
	f->has_ratio = req > 0;
	f->touched_ratio = req > 0 ? (double)touched / (double)req : 0.0;
	if (f->touched_ratio > 1.0)
		f->touched_ratio = 1.0;
	f->estimated = s->sampled || s->shared_pages || s->lazyfree_shared ||
		       unprobed > 0;
	/* A figure X estimated from a byte-weighted sample of mean S: each
	 * block of n bytes (x of them counted) is taken with probability
	 * p = 1 - exp(-n/S), and the variance of the sum, the sum of
	 * x^2 (1-p)/p^2 over the blocks, is at most S * X ((1-p)/p <= S/n,
	 * x <= n): the error is at most sqrt(S * X) (docs/options.md,
	 * "Sampling error", measures it). */
	f->requested_err_bytes = f->touched_err_bytes = 0;
	if (s->sampled && s->sample_bytes > 1) {
		double S = (double)s->sample_bytes;
		f->requested_err_bytes = (int64_t)(sqrt(S * (double)req) + 0.5);
		f->touched_err_bytes = (int64_t)(sqrt(S * (double)touched) + 0.5);
	}
}

struct rank_item {
	size_t index;
	int64_t id;
	struct ovc_site_figures f;
};

static int cmp_desc(int64_t a, int64_t b)
{
	return a > b ? -1 : a < b;
}

int ovc_site_figures_cmp(const struct ovc_site_figures *x,
			 const struct ovc_site_figures *y, enum ovc_site_sort key)
{
	int c = 0;
	switch (key) {
	case OVC_SORT_REQUESTED:
		c = cmp_desc(x->requested_bytes, y->requested_bytes);
		break;
	case OVC_SORT_TOUCHED:
		c = cmp_desc(x->touched_bytes, y->touched_bytes);
		break;
	case OVC_SORT_RATIO:
		/* No ratio (nothing requested) goes last. */
		if (x->has_ratio != y->has_ratio)
			return x->has_ratio ? -1 : 1;
		if (x->touched_ratio != y->touched_ratio)
			return x->touched_ratio < y->touched_ratio ? -1 : 1;
		break;
	case OVC_SORT_UNTOUCHED:
		break;
	}
	if (!c)
		c = cmp_desc(x->untouched_bytes, y->untouched_bytes);
	if (!c)
		c = cmp_desc(x->requested_bytes, y->requested_bytes);
	return c;
}

static int cmp_rank(const void *a, const void *b, void *arg)
{
	const struct rank_item *x = a, *y = b;
	int c = ovc_site_figures_cmp(&x->f, &y->f,
				     *(const enum ovc_site_sort *)arg);
	if (!c)
		c = -cmp_desc(x->id, y->id);
	return c;
}

size_t ovc_proc_rank_sites(const struct ovc_proc *p, enum ovc_site_sort key,
			   size_t *order)
{
	size_t n = 0;
	if (!p->nsites)
		return 0;
	struct rank_item *items = malloc(p->nsites * sizeof *items);
	if (!items) {
		/* Out of memory: unsorted, but nothing is lost. */
		for (size_t i = 0; i < p->nsites; i++)
			if (p->sites[i].has_figures)
				order[n++] = i;
		return n;
	}
	for (size_t i = 0; i < p->nsites; i++) {
		if (!p->sites[i].has_figures)
			continue;
		items[n].index = i;
		items[n].id = p->sites[i].id;
		ovc_site_figures(&p->sites[i], &items[n].f);
		n++;
	}
	qsort_r(items, n, sizeof *items, cmp_rank, &key);
	for (size_t i = 0; i < n; i++)
		order[i] = items[i].index;
	free(items);
	return n;
}

static const char *const sort_names[] = {
	[OVC_SORT_UNTOUCHED] = "untouched",
	[OVC_SORT_REQUESTED] = "requested",
	[OVC_SORT_TOUCHED] = "touched",
	[OVC_SORT_RATIO] = "ratio",
};

int ovc_name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

const char *ovc_name_at(const char *const *names, size_t n, size_t i)
{
	return i < n && names[i] ? names[i] : "?";
}

bool ovc_site_sort_parse(const char *name, enum ovc_site_sort *out)
{
	int i = ovc_name_index(sort_names, OVC_NAMES(sort_names), name);
	if (i >= 0)
		*out = (enum ovc_site_sort)i;
	return i >= 0;
}

const char *ovc_site_sort_name(enum ovc_site_sort key)
{
	return ovc_name_at(sort_names, OVC_NAMES(sort_names), (size_t)key);
}

int64_t ovc_proc_baseline_anon_bytes(const struct ovc_proc *p)
{
	if (p->baseline_rss_bytes < 0 || p->baseline_shared_bytes < 0 ||
	    p->baseline_shared_bytes > p->baseline_rss_bytes)
		return 0;
	return p->baseline_rss_bytes - p->baseline_shared_bytes;
}

bool ovc_proc_forked(const struct ovc_proc *p)
{
	return strcmp(p->origin, "fork") == 0;
}

int64_t ovc_proc_own_rss_bytes(const struct ovc_proc *p)
{
	int64_t peak = clamp_nonneg(p->peak_rss_bytes);
	if (!ovc_proc_forked(p))
		return peak;
	/* Resident growth since the fork, plus the pages it wrote since
	 * (copies of shared pages do not grow rss): at most its rss. */
	int64_t own = clamp_nonneg(peak - clamp_nonneg(p->baseline_rss_bytes));
	own += clamp_nonneg(p->written_since_fork_bytes);
	return own < peak ? own : peak;
}

int64_t ovc_proc_touched_bytes(const struct ovc_proc *p)
{
	int64_t base = ovc_proc_baseline_anon_bytes(p);
	int64_t grown = p->peak_anon_rss_bytes > base
				? p->peak_anon_rss_bytes - base
				: 0;
	/* A fork child's copy-on-write copies replace pages it already had
	 * resident: they are its own touched bytes, not resident growth. */
	return p->written_since_fork_bytes > grown ? p->written_since_fork_bytes
						   : grown;
}

bool ovc_proc_asked_joint(const struct ovc_proc *p)
{
	return p->peak_asked_bytes >= 0;
}

int64_t ovc_proc_asked_bytes(const struct ovc_proc *p)
{
	int64_t live = p->peak_live_bytes > 0 ? p->peak_live_bytes : 0;
	/* the joint peak is at least the peak of either part alone */
	if (!ovc_proc_asked_joint(p))
		return live;
	int64_t a = p->peak_asked_bytes;
	if (a < live)
		a = live;
	if (a < p->peak_committed_bytes)
		a = p->peak_committed_bytes;
	return a;
}

int64_t ovc_proc_asked_bound_bytes(const struct ovc_proc *p)
{
	int64_t a = ovc_proc_asked_bytes(p);
	if (p->peak_live_bound_bytes <= p->peak_live_bytes)
		return a;
	int64_t b = p->peak_live_bound_bytes;
	if (ovc_proc_asked_joint(p) && p->peak_committed_bytes > 0)
		b += p->peak_committed_bytes;
	return b > a ? b : a;
}

int64_t ovc_proc_outside_bytes(const struct ovc_proc *p)
{
	int64_t out = ovc_proc_touched_bytes(p) - ovc_proc_asked_bound_bytes(p);
	return out > 0 ? out : 0;
}

bool ovc_proc_touched_ratio(const struct ovc_proc *p, double *ratio)
{
	int64_t asked = ovc_proc_asked_bytes(p);
	if (asked <= 0)
		return false;
	*ratio = (double)ovc_proc_touched_bytes(p) / (double)asked;
	return true;
}

int64_t ovc_proc_gap_bytes(const struct ovc_proc *p)
{
	int64_t gap = ovc_proc_asked_bytes(p) - ovc_proc_touched_bytes(p);
	return gap > 0 ? gap : 0;
}

int64_t ovc_proc_duration_ns(const struct ovc_proc *p)
{
	return p->last_ns > 0 ? p->last_ns : 0;
}

/* Sum with saturation: counts come from untrusted logs. */
static int64_t sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	return a + b;
}

int64_t ovc_proc_total_failed(const struct ovc_proc *p)
{
	int64_t t = 0;
	for (int i = 0; i < OVC_FN_COUNT; i++)
		t = sat_add(t, p->failed[i]);
	return t;
}

int64_t ovc_proc_total_requested(const struct ovc_proc *p)
{
	int64_t t = 0;
	for (int i = 0; i < OVC_FN_COUNT; i++)
		t = sat_add(t, p->requested[i]);
	return t;
}

size_t ovc_proc_verdicts(const struct ovc_proc *p, const struct ovc_host *h,
			 const char *out[2])
{
	size_t n = 0;
	if (h->commit_limit_bytes > 0 &&
	    p->peak_live_bytes > h->commit_limit_bytes)
		out[n++] = "exceeds_commit_limit";
	if (h->mem_total_bytes > 0 && p->peak_live_bytes > h->mem_total_bytes)
		out[n++] = "exceeds_mem_total";
	return n;
}
