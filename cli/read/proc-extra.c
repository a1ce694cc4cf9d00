/* What the reader keeps of a process for its charts and its diagnosis
 * (proc-extra.h). */
#include "read/proc-extra.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ovc_proc_extra *ovc_proc_extra(struct ovc_proc *p)
{
	if (p->extra)
		return p->extra;
	struct ovc_proc_extra *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->budget_bytes = -1;
	x->series = ovc_series_create();
	p->extra = x;
	return x;
}

void ovc_proc_extra_destroy(struct ovc_proc_extra *x)
{
	if (x)
		ovc_series_destroy(x->series);
	free(x);
}

/* A fork child's live bytes as its figures count them: less what it
 * inherited (its header, read before any sample), so that its chart and
 * its table say the same. */
static int64_t own_live(const struct ovc_proc *p, int64_t live)
{
	if (live < 0 || p->inherited_live_bytes <= 0 ||
	    strcmp(p->origin, "fork") != 0)
		return live;
	return live > p->inherited_live_bytes ? live - p->inherited_live_bytes
					      : 0;
}

void ovc_proc_note_sample(struct ovc_proc *p, int64_t t_ns, int64_t live,
			  int64_t vm, int64_t rss, int64_t shared)
{
	struct ovc_proc_extra *x = ovc_proc_extra(p);
	if (!x || !x->series)
		return;
	live = own_live(p, live);
	/* As the aggregates do: without "shared" all of rss is anonymous. */
	int64_t anon = rss < 0 ? -1 : shared < 0 ? rss
				 : shared <= rss ? rss - shared : 0;
	int64_t v[OVC_SER_COUNT] = {
		[OVC_SER_LIVE] = live, [OVC_SER_VM] = vm,
		[OVC_SER_RSS] = rss,   [OVC_SER_ANON] = anon,
	};
	ovc_series_add(x->series, t_ns, v);
}

void ovc_proc_note_over(struct ovc_proc *p, const char *limit,
			const struct ovc_alloc_event *e)
{
	int which;
	if (strcmp(limit, "commit_limit") == 0)
		which = OVC_OVER_COMMIT_LIMIT;
	else if (strcmp(limit, "mem_total") == 0)
		which = OVC_OVER_MEM_TOTAL;
	else
		return; /* a limit this ovc does not know */
	struct ovc_proc_extra *x = ovc_proc_extra(p);
	if (x && !x->over[which].seen)
		x->over[which] = *e;
}

void ovc_proc_note_refuse(struct ovc_proc *p, const struct ovc_alloc_event *e)
{
	struct ovc_proc_extra *x = ovc_proc_extra(p);
	if (!x)
		return;
	if (x->nrefuse < OVC_REFUSE_KEEP)
		x->refuse[x->nrefuse] = *e;
	x->nrefuse++;
}

void ovc_proc_note_budget(struct ovc_proc *p, int64_t budget_bytes,
			  const char *mode, bool prefault)
{
	struct ovc_proc_extra *x = ovc_proc_extra(p);
	if (!x)
		return;
	x->budget_bytes = budget_bytes;
	snprintf(x->budget_mode, sizeof x->budget_mode, "%s", mode);
	x->prefault = prefault;
}

void ovc_proc_note_cgroup(struct ovc_proc *p, const struct ovc_cgroup *c)
{
	struct ovc_proc_extra *x = ovc_proc_extra(p);
	if (x)
		x->cgroup = *c;
}

void ovc_proc_note_peak(struct ovc_proc *p, int64_t t_ns,
			const int64_t values[OVC_SER_COUNT])
{
	struct ovc_proc_extra *x = ovc_proc_extra(p);
	if (!x || !x->series)
		return;
	int64_t v[OVC_SER_COUNT];
	memcpy(v, values, sizeof v);
	v[OVC_SER_LIVE] = own_live(p, v[OVC_SER_LIVE]);
	ovc_series_add(x->series, t_ns, v);
}
