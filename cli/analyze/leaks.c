/* Leaks: what each process image still held at exit, per site (leaks.h). */
#include "analyze/leaks.h"

#include <math.h>
#include <stdlib.h>

bool ovc_proc_leaks_known(const struct ovc_proc *p, const char **why)
{
	const char *w = NULL;
	if (p->end_kind == OVC_END_EXEC)
		w = "the image was replaced by exec";
	else if (p->end_kind == OVC_END_SIGNAL)
		w = "killed by a signal: no final records";
	else if (!p->has_end)
		w = "no end record: the log ended abruptly";
	if (why)
		*why = w;
	return w == NULL;
}

void ovc_site_leak(const struct ovc_site *s, struct ovc_leak *out)
{
	*out = (struct ovc_leak){.blocks = -1};
	if (!s->has_figures || s->kind != OVC_FAMILY_MALLOC)
		return;
	out->bytes = s->live_bytes;
	out->blocks = s->live_blocks;
	out->sd_bytes = s->live_bytes > 0 ? s->live_sd_bytes : 0;
	out->estimated = s->sampled && s->live_bytes > 0;
}

void ovc_proc_leak(const struct ovc_proc *p, struct ovc_leak *out)
{
	*out = (struct ovc_leak){0};
	if (!ovc_proc_leaks_known(p, NULL))
		return;
	double var = 0;
	for (size_t i = 0; i < p->nsites; i++) {
		struct ovc_leak l;
		ovc_site_leak(&p->sites[i], &l);
		if (l.bytes <= 0)
			continue;
		out->bytes += l.bytes;
		if (l.blocks < 0 || out->blocks < 0)
			out->blocks = -1;
		else
			out->blocks += l.blocks;
		var += (double)l.sd_bytes * (double)l.sd_bytes;
		out->estimated |= l.estimated;
	}
	out->sd_bytes = (int64_t)(sqrt(var) + 0.5);
}

static int by_leak(const void *a, const void *b, void *arg)
{
	const struct ovc_proc *p = arg;
	const struct ovc_site *x = &p->sites[*(const size_t *)a];
	const struct ovc_site *y = &p->sites[*(const size_t *)b];
	if (x->live_bytes != y->live_bytes)
		return x->live_bytes > y->live_bytes ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

size_t ovc_proc_rank_leaks(const struct ovc_proc *p, size_t *order)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nsites; i++) {
		struct ovc_leak l;
		ovc_site_leak(&p->sites[i], &l);
		if (l.bytes > 0)
			order[n++] = i;
	}
	qsort_r(order, n, sizeof *order, by_leak, (void *)p);
	return n;
}
