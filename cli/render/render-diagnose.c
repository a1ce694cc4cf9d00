/* The diagnosis of a process (analyze/diagnose.h) told: lines of the text
 * report and the report's "diagnosis" JSON object. */
#include "render/render.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovc/options.h"
#include "read/frames.h"
#include "analyze/diagnose.h"
#include "render/format.h"

/** Refusals shown in the text and HTML reports. */
#define OVC_REFUSE_SHOW 5
/** Sites named as holding touched memory at the end of a killed process. */
#define OVC_DIAG_SITES 3


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
		ovc_bytes(e->size_bytes, a), e->fn[0] ? ")" : "",
		ovc_bytes(e->live_bytes, b),
		event_site(sym, p, e->site, site, sizeof site));
}

static void put_killed(FILE *out, const struct ovc_proc *p,
		       const struct ovc_diagnosis *d,
		       struct ovc_symbolizer *sym)
{
	char a[24], b[24], c[24], t[32], e[24], label[512];
	fprintf(out, "  last moments       at %s: live %s, resident %s "
		     "(anon %s)",
		secs(d->last_t_ns, t, sizeof t), ovc_bytes(d->last_live_bytes, a),
		ovc_bytes(d->last_rss_bytes, b), ovc_bytes(d->last_anon_bytes, c));
	if (d->mem_total_bytes > 0)
		fprintf(out, "; MemTotal %s", ovc_bytes(d->mem_total_bytes, e));
	if (d->mem_available_bytes > 0)
		fprintf(out, ", MemAvailable at start %s",
			ovc_bytes(d->mem_available_bytes, e));
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
				ovc_bytes(d->peak_rss_bytes, a));
		if (d->cgroup_max_bytes > 0)
			fprintf(out, "; the cgroup's limit is %s",
				ovc_bytes(d->cgroup_max_bytes, b));
		if (d->cgroup_peak_bytes >= 0)
			fprintf(out, ", its peak %s", ovc_bytes(d->cgroup_peak_bytes, c));
		fprintf(out, " (%s, cgroup v%d)\n", d->cgroup_dir, d->cgroup_version);
	} else if (d->likely_oom) {
		fprintf(out, "  ! likely killed by the OOM killer: ");
		if (d->near_memory)
			fprintf(out, "resident memory reached %s, near the "
				     "machine's memory",
				ovc_bytes(d->peak_rss_bytes, a));
		else
			fprintf(out, "it died of SIGKILL, which is what the OOM "
				     "killer sends (but its resident %s was far "
				     "below the machine's memory: if the kernel "
				     "log has no OOM entry, something else "
				     "killed it)",
				ovc_bytes(d->peak_rss_bytes, a));
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
			ovc_bytes(ovc_site_live_touched(s), a),
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
			ovc_bytes(d.peak_live_bytes, a),
			ovc_bytes(d.above_commit_limit_bytes, b),
			ovc_bytes(d.commit_limit_bytes, c));
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
			ovc_bytes(d.above_mem_available_bytes, a));
		if (d.above_mem_total_bytes > 0)
			fprintf(out, ", %s more than MemTotal",
				ovc_bytes(d.above_mem_total_bytes, b));
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
			fprintf(out, "%s", ovc_bytes(x->budget_bytes, a));
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
