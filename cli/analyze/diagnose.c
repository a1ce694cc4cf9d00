/* The diagnosis of a process against the machine's memory: its last
 * moments when it was killed, what strict overcommit and the RAM would have
 * allowed, and what a budget refused (diagnose.h). */
#include "analyze/diagnose.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first number of FILE in cgroup directory DIR, or the one after
 * the line that starts with KEY (with its space) when KEY is not NULL;
 * -1 when unreadable or not a number ("max"). Only directories under
 * /sys/fs/cgroup/ are read: the path comes from a log. */
static int64_t cgroup_value(const char *dir, const char *file,
			    const char *key)
{
	if (strncmp(dir, "/sys/fs/cgroup/", 15) != 0 || strstr(dir, "/.."))
		return -1;
	char path[640], buf[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
		return -1;
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = buf;
	if (key) {
		size_t k = strlen(key);
		for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			if (strncmp(p, key, k) == 0)
				break;
		if (!p)
			return -1;
		p += k;
	}
	if (*p < '0' || *p > '9')
		return -1;
	char *end;
	unsigned long long v = strtoull(p, &end, 10);
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* The memory cgroup part of the diagnosis of P (see struct
 * ovc_diagnosis). */
static void diagnose_cgroup(const struct ovc_proc *p,
			    const struct ovc_cgroup *c, struct ovc_diagnosis *d)
{
	d->cgroup_max_bytes = d->cgroup_peak_bytes = d->cgroup_oom_kills = -1;
	if (!c || !c->version)
		return;
	d->cgroup_version = c->version;
	d->cgroup_dir = c->dir;
	bool v2 = c->version == 2;
	int64_t max = cgroup_value(c->dir, v2 ? "memory.max" : "memory.limit_in_bytes",
				   NULL);
	/* v1 writes "no limit" as about 2^63 */
	if (max >= ((int64_t)1 << 62))
		max = -1;
	d->cgroup_max_bytes = max >= 0 ? max : c->max_bytes;
	d->cgroup_peak_bytes = cgroup_value(
		c->dir, v2 ? "memory.peak" : "memory.max_usage_in_bytes", NULL);
	int64_t kills = cgroup_value(c->dir, v2 ? "memory.events"
						: "memory.oom_control",
				     "oom_kill ");
	if (kills >= 0 && c->oom_kill_start >= 0)
		d->cgroup_oom_kills = kills >= c->oom_kill_start
					      ? kills - c->oom_kill_start
					      : 0;
	d->near_cgroup = d->cgroup_max_bytes > 0 && p->peak_rss_bytes > 0 &&
			 (double)p->peak_rss_bytes >= 0.9 * (double)d->cgroup_max_bytes;
}

/* The host facts of P, else the model's. */
static const struct ovc_host *host_of(const struct ovc_model *m,
				      const struct ovc_proc *p)
{
	return p->host.known ? &p->host : &m->host;
}

static int64_t above(int64_t v, int64_t limit)
{
	return limit > 0 && v > limit ? v - limit : 0;
}

void ovc_diagnose(const struct ovc_model *m, const struct ovc_proc *p,
		  struct ovc_diagnosis *d)
{
	const struct ovc_host *h = host_of(m, p);
	const struct ovc_proc_extra *x = p->extra;
	memset(d, 0, sizeof *d);
	d->sigkill = p->end_kind == OVC_END_SIGNAL && p->end_signal == SIGKILL;
	d->killed = p->end_kind == OVC_END_ABRUPT || d->sigkill;
	d->mem_total_bytes = h->mem_total_bytes;
	d->mem_available_bytes = h->mem_available_bytes;
	d->commit_limit_bytes = h->commit_limit_bytes;
	d->peak_rss_bytes = p->peak_rss_bytes;
	/* 90%: the kernel keeps some memory back (min_free_kbytes, the
	 * other processes), so the OOM killer strikes before resident
	 * memory reaches MemTotal. */
	d->near_memory =
		p->peak_rss_bytes > 0 &&
		((h->mem_available_bytes > 0 &&
		  (double)p->peak_rss_bytes >= 0.9 * (double)h->mem_available_bytes) ||
		 (h->mem_total_bytes > 0 &&
		  (double)p->peak_rss_bytes >= 0.9 * (double)h->mem_total_bytes));
	diagnose_cgroup(p, x ? &x->cgroup : NULL, d);
	d->likely_oom = d->killed && (d->near_memory || d->near_cgroup ||
				      d->cgroup_oom_kills > 0 || d->sigkill);
	d->last_t_ns = x && x->series && x->series->samples
			       ? x->series->last_t_ns
			       : p->last_ns;
	d->last_live_bytes = p->last_live_bytes;
	d->last_rss_bytes = p->last_rss_bytes;
	d->last_anon_bytes = p->last_anon_rss_bytes;
	d->peak_live_bytes = p->peak_live_bytes;
	d->above_commit_limit_bytes =
		above(p->peak_live_bytes, h->commit_limit_bytes);
	d->above_mem_available_bytes =
		above(p->peak_live_bytes, h->mem_available_bytes);
	d->above_mem_total_bytes = above(p->peak_live_bytes, h->mem_total_bytes);
	if (x && x->over[OVC_OVER_COMMIT_LIMIT].seen)
		d->over_commit = &x->over[OVC_OVER_COMMIT_LIMIT];
	if (x && x->over[OVC_OVER_MEM_TOTAL].seen)
		d->over_mem_total = &x->over[OVC_OVER_MEM_TOTAL];
	d->extra = x;
}

int64_t ovc_site_live_touched(const struct ovc_site *s)
{
	if (s->has_live_touched)
		return s->live_touched_bytes;
	/* Older logs: what the site touched, at most what is still live. */
	struct ovc_site_figures f;
	ovc_site_figures(s, &f);
	return f.touched_bytes < f.live_bytes ? f.touched_bytes : f.live_bytes;
}

struct lt_item {
	size_t index;
	int64_t bytes, id;
};

static int cmp_lt(const void *a, const void *b)
{
	const struct lt_item *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

size_t ovc_diag_rank_live_touched(const struct ovc_proc *p, size_t *order)
{
	if (!p->nsites)
		return 0;
	struct lt_item *v = malloc(p->nsites * sizeof *v);
	if (!v)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < p->nsites; i++) {
		const struct ovc_site *s = &p->sites[i];
		int64_t lt = s->has_figures ? ovc_site_live_touched(s) : 0;
		if (lt <= 0)
			continue;
		v[n++] = (struct lt_item){i, lt, s->id};
	}
	qsort(v, n, sizeof *v, cmp_lt);
	for (size_t i = 0; i < n; i++)
		order[i] = v[i].index;
	free(v);
	return n;
}
