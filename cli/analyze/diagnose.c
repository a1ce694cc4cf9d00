/* The diagnosis of a process against the machine's memory: its last
 * moments when it was killed, what strict overcommit and the RAM would have
 * allowed, and what a budget refused; kept while reading, told in text and
 * JSON. */
#include "analyze/diagnose.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "read/frames.h"
#include "ovc/options.h"
#include "render/render.h"

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
	if (!x)
		return;
	ovc_series_destroy(x->series);
	free(x);
}

void ovc_proc_note_sample(struct ovc_proc *p, int64_t t_ns, int64_t live,
			  int64_t vm, int64_t rss, int64_t shared)
{
	struct ovc_proc_extra *x = ovc_proc_extra(p);
	if (!x || !x->series)
		return;
	/* As the aggregates do: without "shared" all of rss is anonymous. */
	int64_t anon = rss < 0 ? -1 : shared < 0 ? rss
				 : shared <= rss ? rss - shared : 0;
	int64_t v[OVC_SER_COUNT] = {
		[OVC_SER_LIVE] = live, [OVC_SER_VM] = vm,
		[OVC_SER_RSS] = rss,   [OVC_SER_ANON] = anon,
	};
	ovc_series_add(x->series, t_ns, v);
}

void ovc_proc_note_peak(struct ovc_proc *p, int64_t t_ns,
			const int64_t values[OVC_SER_COUNT])
{
	struct ovc_proc_extra *x = ovc_proc_extra(p);
	if (x && x->series)
		ovc_series_add(x->series, t_ns, values);
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

char *ovc_site_label(struct ovc_symbolizer *sym, const struct ovc_proc *p,
		     const struct ovc_site *s, char *buf, size_t size)
{
	if (!s || s->nframes == 0) {
		snprintf(buf, size, "site %" PRId64, s ? s->id : -1);
		return buf;
	}
	struct ovc_frame_info fi;
	char name[256];
	ovc_frame_describe(sym, p, &s->frames[0], &fi);
	ovc_frame_label(&fi, name, sizeof name);
	if (fi.file && fi.line > 0)
		snprintf(buf, size, "%s (%s:%d)", name, ovc_path_base(fi.file),
			 fi.line);
	else
		snprintf(buf, size, "%s", name);
	/* Names come from logs and debug information: no control bytes. */
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return buf;
}

static const char *bytes(int64_t n, char *buf)
{
	return ovc_format_bytes(n > 0 ? (uint64_t)n : 0, buf, 24);
}

static const char *secs(int64_t ns, char *buf, size_t size)
{
	snprintf(buf, size, "%.3f s", ns > 0 ? (double)ns / 1e9 : 0.0);
	return buf;
}

/* "main (x.c:12)" of site ID of P, or "no site" for -1. */
static const char *event_site(struct ovc_symbolizer *sym,
			      const struct ovc_proc *p, int64_t id, char *buf,
			      size_t size)
{
	if (id < 0) {
		snprintf(buf, size, "no site recorded");
		return buf;
	}
	const struct ovc_site *s = ovc_proc_site(p, id);
	if (!s)
		snprintf(buf, size, "site %" PRId64, id);
	else
		ovc_site_label(sym, p, s, buf, size);
	return buf;
}

static void put_event(FILE *out, struct ovc_symbolizer *sym,
		      const struct ovc_proc *p, const struct ovc_alloc_event *e)
{
	char a[24], b[24], t[32], site[512];
	fprintf(out, "at %s: ", secs(e->t_ns, t, sizeof t));
	if (!e->fn[0])
		fputs("allocation", out);
	for (const char *c = e->fn; *c; c++)
		fputc((unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c, out);
	/* The reader saturates sizes past INT64_MAX (malloc(SIZE_MAX)). */
	fprintf(out, "%s%s%s%s with %s live, in %s", e->fn[0] ? "(" : " of ",
		e->size_bytes == INT64_MAX ? "at least " : "",
		bytes(e->size_bytes, a), e->fn[0] ? ")" : "",
		bytes(e->live_bytes, b),
		event_site(sym, p, e->site, site, sizeof site));
}

static void put_killed(FILE *out, const struct ovc_proc *p,
		       const struct ovc_diagnosis *d,
		       struct ovc_symbolizer *sym)
{
	char a[24], b[24], c[24], t[32], e[24], label[512];
	fprintf(out, "  last moments       at %s: live %s, resident %s "
		     "(anon %s)",
		secs(d->last_t_ns, t, sizeof t), bytes(d->last_live_bytes, a),
		bytes(d->last_rss_bytes, b), bytes(d->last_anon_bytes, c));
	if (d->mem_total_bytes > 0)
		fprintf(out, "; MemTotal %s", bytes(d->mem_total_bytes, e));
	if (d->mem_available_bytes > 0)
		fprintf(out, ", MemAvailable at start %s",
			bytes(d->mem_available_bytes, e));
	fputc('\n', out);
	if (d->killed && (d->cgroup_oom_kills > 0 || d->near_cgroup)) {
		/* The limit that counts is the cgroup's, not the machine's. */
		if (d->cgroup_oom_kills > 0)
			fprintf(out, "  ! killed by the OOM killer of its memory "
				     "cgroup: its oom_kill count rose by %" PRId64
				     " since the process started",
				d->cgroup_oom_kills);
		else
			fprintf(out, "  ! likely killed by the OOM killer of its "
				     "memory cgroup: resident memory reached %s",
				bytes(d->peak_rss_bytes, a));
		if (d->cgroup_max_bytes > 0)
			fprintf(out, "; the cgroup's limit is %s",
				bytes(d->cgroup_max_bytes, b));
		if (d->cgroup_peak_bytes >= 0)
			fprintf(out, ", its peak %s", bytes(d->cgroup_peak_bytes, c));
		fprintf(out, " (%s, cgroup v%d)\n", d->cgroup_dir, d->cgroup_version);
	} else if (d->likely_oom) {
		fprintf(out, "  ! likely killed by the OOM killer: ");
		if (d->near_memory)
			fprintf(out, "resident memory reached %s, near the "
				     "machine's memory",
				bytes(d->peak_rss_bytes, a));
		else
			fprintf(out, "it died of SIGKILL, which is what the OOM "
				     "killer sends (but its resident %s was far "
				     "below the machine's memory: if the kernel "
				     "log has no OOM entry, something else "
				     "killed it)",
				bytes(d->peak_rss_bytes, a));
		if (d->near_memory && d->sigkill)
			fputs(", and it died of SIGKILL", out);
		fputs("; confirm with `dmesg` or `journalctl -k` "
		      "('Out of memory: Killed process')\n",
		      out);
	} else {
		fputs(d->cgroup_version
			      ? "  ! killed or crashed: resident memory stayed "
				"well below the machine's and its memory "
				"cgroup's limit, and the cgroup counted no OOM "
				"kill, so the OOM killer is not the likely cause\n"
			      : "  ! killed or crashed: resident memory stayed well "
				"below the machine's, so the OOM killer is not the "
				"likely cause\n",
		      out);
	}
	size_t *order = malloc((p->nsites ? p->nsites : 1) * sizeof *order);
	size_t n = order ? ovc_diag_rank_live_touched(p, order) : 0;
	for (size_t i = 0; i < n && i < OVC_DIAG_SITES; i++) {
		const struct ovc_site *s = &p->sites[order[i]];
		fprintf(out, "  %-19s%*s in RAM at the end: %s\n",
			i == 0 ? "held in RAM by" : "", 10,
			bytes(ovc_site_live_touched(s), a),
			ovc_site_label(sym, p, s, label, sizeof label));
	}
	free(order);
}

void ovc_diag_text(FILE *out, const struct ovc_model *m,
		   const struct ovc_proc *p, struct ovc_symbolizer *sym)
{
	struct ovc_diagnosis d;
	char a[24], b[24], c[24];
	ovc_diagnose(m, p, &d);
	if (d.killed)
		put_killed(out, p, &d, sym);

	/* Commit analysis: only when a limit was crossed (the verdicts above
	 * say that it was; this says by how much and where). */
	if (d.above_commit_limit_bytes > 0 || d.over_commit) {
		fprintf(out, "  commit             peak live %s is %s above "
			     "CommitLimit %s",
			bytes(d.peak_live_bytes, a),
			bytes(d.above_commit_limit_bytes, b),
			bytes(d.commit_limit_bytes, c));
		fputs(d.over_commit ? "; strict overcommit would have "
				      "refused\n                     "
				    : "\n",
		      out);
		if (d.over_commit) {
			put_event(out, sym, p, d.over_commit);
			fputc('\n', out);
		}
	}
	if (d.above_mem_available_bytes > 0) {
		fprintf(out, "  touching it all    would need %s more than "
			     "MemAvailable at start",
			bytes(d.above_mem_available_bytes, a));
		if (d.above_mem_total_bytes > 0)
			fprintf(out, ", %s more than MemTotal",
				bytes(d.above_mem_total_bytes, b));
		fputc('\n', out);
		if (d.over_mem_total) {
			fputs("  above MemTotal     ", out);
			put_event(out, sym, p, d.over_mem_total);
			fputc('\n', out);
		}
	}

	const struct ovc_proc_extra *x = d.extra;
	if (x && (x->budget_bytes >= 0 || x->prefault)) {
		fputs("  budget             ", out);
		if (x->budget_bytes >= 0) {
			fprintf(out, "%s", bytes(x->budget_bytes, a));
			if (x->budget_mode[0]) {
				fputs(" (", out);
				for (const char *q = x->budget_mode; *q; q++)
					fputc((unsigned char)*q < 0x20 ? '?' : *q,
					      out);
				fputc(')', out);
			}
		} else {
			fputs("none", out);
		}
		if (x->prefault)
			fputs(", prefault on: every block touched when "
			      "allocated",
			      out);
		fputc('\n', out);
	}
	if (x && x->nrefuse) {
		fprintf(out, "  refused            %" PRIu64 " allocation%s "
			     "returned NULL: above the budget\n",
			x->nrefuse, x->nrefuse == 1 ? "" : "s");
		for (uint64_t i = 0; i < x->nrefuse && i < OVC_REFUSE_SHOW &&
				     i < OVC_REFUSE_KEEP;
		     i++) {
			fputs("                     ", out);
			put_event(out, sym, p, &x->refuse[i]);
			fputc('\n', out);
		}
		if (x->nrefuse > OVC_REFUSE_SHOW)
			fprintf(out, "                     ... %" PRIu64
				     " more (--json lists %d)\n",
				x->nrefuse - OVC_REFUSE_SHOW, OVC_REFUSE_KEEP);
	}
}

/* JSON helpers: unknown (negative) is null. */
static json_t *jint(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *jstr(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_null();
}

static json_t *event_json(struct ovc_symbolizer *sym, const struct ovc_proc *p,
			  const struct ovc_alloc_event *e, const char *limit_key)
{
	char site[512];
	json_t *o = json_object();
	json_object_set_new(o, "t_s", json_real(e->t_ns > 0 ? (double)e->t_ns / 1e9
							    : 0.0));
	json_object_set_new(o, "fn", e->fn[0] ? jstr(e->fn) : json_null());
	json_object_set_new(o, "size_bytes", jint(e->size_bytes));
	json_object_set_new(o, "live_bytes", jint(e->live_bytes));
	json_object_set_new(o, limit_key, jint(e->limit_bytes));
	json_object_set_new(o, "site_id", e->site >= 0 ? json_integer(e->site)
						       : json_null());
	json_object_set_new(o, "site", e->site >= 0
					       ? jstr(event_site(sym, p, e->site,
								 site,
								 sizeof site))
					       : json_null());
	return o;
}

json_t *ovc_diag_json(const struct ovc_model *m, const struct ovc_proc *p,
		      struct ovc_symbolizer *sym)
{
	struct ovc_diagnosis d;
	char label[512];
	ovc_diagnose(m, p, &d);
	json_t *o = json_object();

	json_t *k = json_null();
	if (d.killed) {
		k = json_object();
		json_object_set_new(k, "likely_oom", json_boolean(d.likely_oom));
		json_object_set_new(k, "near_memory",
				    json_boolean(d.near_memory));
		json_object_set_new(k, "sigkill", json_boolean(d.sigkill));
		json_t *cg = json_null();
		if (d.cgroup_version) {
			cg = json_object();
			json_object_set_new(cg, "version",
					    json_integer(d.cgroup_version));
			json_object_set_new(cg, "dir", jstr(d.cgroup_dir));
			json_object_set_new(cg, "max_bytes", jint(d.cgroup_max_bytes));
			json_object_set_new(cg, "peak_bytes",
					    jint(d.cgroup_peak_bytes));
			json_object_set_new(cg, "oom_kills", jint(d.cgroup_oom_kills));
			json_object_set_new(cg, "near_limit",
					    json_boolean(d.near_cgroup));
		}
		json_object_set_new(k, "cgroup", cg);
		json_object_set_new(k, "last_t_s",
				    json_real(d.last_t_ns > 0
						      ? (double)d.last_t_ns / 1e9
						      : 0.0));
		json_object_set_new(k, "last_live_bytes",
				    jint(d.last_live_bytes));
		json_object_set_new(k, "last_rss_bytes", jint(d.last_rss_bytes));
		json_object_set_new(k, "last_anon_rss_bytes",
				    jint(d.last_anon_bytes));
		json_object_set_new(k, "peak_rss_bytes", jint(d.peak_rss_bytes));
		json_t *sites = json_array();
		size_t *order =
			malloc((p->nsites ? p->nsites : 1) * sizeof *order);
		size_t n = order ? ovc_diag_rank_live_touched(p, order) : 0;
		for (size_t i = 0; i < n && i < OVC_DIAG_SITES; i++) {
			const struct ovc_site *s = &p->sites[order[i]];
			json_t *e = json_object();
			json_object_set_new(e, "site_id", json_integer(s->id));
			json_object_set_new(e, "site",
					    jstr(ovc_site_label(sym, p, s, label,
								sizeof label)));
			json_object_set_new(e, "live_touched_bytes",
					    json_integer(ovc_site_live_touched(s)));
			json_array_append_new(sites, e);
		}
		free(order);
		json_object_set_new(k, "sites", sites);
	}
	json_object_set_new(o, "killed", k);

	json_t *c = json_object();
	json_object_set_new(c, "peak_live_bytes", jint(d.peak_live_bytes));
	json_object_set_new(c, "commit_limit_bytes", jint(d.commit_limit_bytes));
	json_object_set_new(c, "mem_total_bytes", jint(d.mem_total_bytes));
	json_object_set_new(c, "mem_available_bytes",
			    jint(d.mem_available_bytes));
	json_object_set_new(c, "above_commit_limit_bytes",
			    json_integer(d.above_commit_limit_bytes));
	json_object_set_new(c, "above_mem_available_bytes",
			    json_integer(d.above_mem_available_bytes));
	json_object_set_new(c, "above_mem_total_bytes",
			    json_integer(d.above_mem_total_bytes));
	json_object_set_new(c, "strict_refusal",
			    d.over_commit ? event_json(sym, p, d.over_commit,
						       "limit_bytes")
					  : json_null());
	json_object_set_new(c, "mem_total_crossing",
			    d.over_mem_total ? event_json(sym, p,
							  d.over_mem_total,
							  "limit_bytes")
					     : json_null());
	json_object_set_new(o, "commit", c);

	const struct ovc_proc_extra *x = d.extra;
	json_t *b = json_object();
	json_object_set_new(b, "budget_bytes", jint(x ? x->budget_bytes : -1));
	json_object_set_new(b, "mode", x && x->budget_mode[0]
					       ? jstr(x->budget_mode)
					       : json_null());
	json_object_set_new(b, "prefault", json_boolean(x && x->prefault));
	json_object_set_new(b, "refused",
			    json_integer(x ? (json_int_t)x->nrefuse : 0));
	json_t *first = json_array();
	for (uint64_t i = 0; x && i < x->nrefuse && i < OVC_REFUSE_KEEP; i++)
		json_array_append_new(first, event_json(sym, p, &x->refuse[i],
							"budget_bytes"));
	json_object_set_new(b, "first_refusals", first);
	json_object_set_new(o, "budget", b);
	return o;
}
