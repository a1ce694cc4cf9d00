/* The JSON report (docs/report-json.md): the model for other programs. */
#include "render/render.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "read/frames.h"
#include "analyze/diagnose.h"
#include "analyze/leaks.h"

/* A JSON integer, or null where the model says unknown (negative). */
static json_t *int_or_null(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *str_array(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* A string that may hold bytes that are not UTF-8 (a hostile log cannot,
 * jansson checks, but be safe): null rather than an invalid document. */
static json_t *str(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_null();
}

void ovc_json_set_fields(json_t *o, const void *base,
			 const struct ovc_json_field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *at = (const char *)base + fields[i].offset;
		json_t *v = NULL;
		switch (fields[i].kind) {
		case OVC_JSON_I64:
			v = json_integer(*(const int64_t *)at);
			break;
		case OVC_JSON_I64_OR_NULL:
			v = int_or_null(*(const int64_t *)at);
			break;
		case OVC_JSON_SIZE:
			v = json_integer((json_int_t)*(const size_t *)at);
			break;
		case OVC_JSON_BOOL:
			v = json_boolean(*(const bool *)at);
			break;
		}
		json_object_set_new(o, fields[i].name, v);
	}
}

#define HOST(name) {#name, offsetof(struct ovc_host, name), OVC_JSON_I64_OR_NULL}
static const struct ovc_json_field host_fields[] = {
	HOST(mem_total_bytes),	  HOST(mem_available_bytes),
	HOST(commit_limit_bytes), HOST(committed_as_bytes),
	HOST(overcommit_memory),  HOST(overcommit_ratio),
	HOST(page_size),
};
#undef HOST

json_t *ovc_render_host_json(const struct ovc_host *h)
{
	json_t *o = json_object();
	ovc_json_set_fields(o, h, host_fields,
			    sizeof host_fields / sizeof *host_fields);
	return o;
}

static json_t *end_json(enum ovc_end_kind kind, int64_t code, int64_t sig,
			const char *source)
{
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string(ovc_end_kind_name(kind)));
	json_object_set_new(o, "code", kind == OVC_END_EXIT
					       ? json_integer(code)
					       : json_null());
	json_object_set_new(o, "signal", kind == OVC_END_SIGNAL && sig > 0
						 ? json_integer(sig)
						 : json_null());
	if (source)
		json_object_set_new(o, "source", json_string(source));
	return o;
}

static const char *source_name(enum ovc_end_source s)
{
	static const char *const names[] = {
		[OVC_SRC_NONE] = "none", [OVC_SRC_LOG] = "log",
		[OVC_SRC_SUCCESSOR] = "successor", [OVC_SRC_RUN] = "run",
	};
	return ovc_name_at(names, OVC_NAMES(names), (size_t)s);
}

/* {"malloc": N, "calloc": N, ...} over every hooked function. */
static json_t *per_func(const int64_t *v)
{
	json_t *o = json_object();
	for (int f = 0; f < OVC_FN_COUNT; f++)
		json_object_set_new(o, ovc_func_name(f), json_integer(v[f]));
	return o;
}

static json_t *frame_json(struct ovc_symbolizer *sym,
			  const struct ovc_proc *p, const struct ovc_frame *f)
{
	struct ovc_frame_info fi;
	ovc_frame_describe(sym, p, f, &fi);
	json_t *o = json_object();
	json_object_set_new(o, "function", str(fi.function));
	json_object_set_new(o, "file", str(fi.file));
	json_object_set_new(o, "line",
			    fi.line > 0 ? json_integer(fi.line) : json_null());
	json_object_set_new(o, "module", str(fi.module));
	json_object_set_new(o, "module_id", json_integer(fi.module_id));
	json_object_set_new(o, "build_id",
			    fi.build_id[0] ? str(fi.build_id) : json_null());
	/* Offsets of user-space addresses fit in 63 bits; a hostile log
	 * cannot do better than jansson's range anyway. */
	json_object_set_new(o, "offset", json_integer((json_int_t)fi.offset));
	json_object_set_new(o, "problem", str(fi.problem));
	return o;
}

/* Adds "id", "frames" (the innermost RO->max_frames, by default
 * OVC_FRAMES_JSON_DEFAULT) and "frames_omitted" of site S of P to O. */
static void stack_json(json_t *o, struct ovc_symbolizer *sym,
		       const struct ovc_proc *p, const struct ovc_site *s,
		       const struct ovc_render_opts *ro)
{
	size_t max = ro && ro->frames_set ? ro->max_frames
					  : OVC_FRAMES_JSON_DEFAULT;
	size_t shown = s->nframes < max ? s->nframes : max;
	json_object_set_new(o, "id", json_integer(s->id));
	json_t *frames = json_array();
	for (size_t i = 0; i < shown; i++)
		json_array_append_new(frames, frame_json(sym, p, &s->frames[i]));
	json_object_set_new(o, "frames", frames);
	json_object_set_new(o, "frames_omitted",
			    json_integer((json_int_t)(s->frames_dropped +
						      s->nframes - shown)));
}

/* [X - 2 ERR, X + 2 ERR], the lower end at least 0: about 95% of the
 * estimates of a byte-weighted sample fall in it. */
static json_t *interval(int64_t x, int64_t err)
{
	int64_t lo = x - 2 * err;
	return json_pack("[II]", (json_int_t)(lo > 0 ? lo : 0),
			 (json_int_t)(x + 2 * err));
}

#define FIG(name) {#name, offsetof(struct ovc_site_figures, name), OVC_JSON_I64}
static const struct ovc_json_field figure_fields[] = {
	FIG(requested_bytes), FIG(live_bytes),	    FIG(peak_live_bytes),
	FIG(blocks),	      FIG(touched_bytes), FIG(untouched_bytes),
};
#undef FIG

static const struct ovc_json_field site_fields[] = {
	{"measured_touched_bytes", offsetof(struct ovc_site, touched_bytes),
	 OVC_JSON_I64},
	{"unprobed_bytes", offsetof(struct ovc_site, unprobed_bytes), OVC_JSON_I64},
	{"sampled", offsetof(struct ovc_site, sampled), OVC_JSON_BOOL},
	{"shared_pages", offsetof(struct ovc_site, shared_pages), OVC_JSON_BOOL},
	{"lazyfree_shared", offsetof(struct ovc_site, lazyfree_shared),
	 OVC_JSON_BOOL},
};

static json_t *site_json(struct ovc_symbolizer *sym, const struct ovc_proc *p,
			 const struct ovc_site *s,
			 const struct ovc_render_opts *ro)
{
	struct ovc_site_figures f;
	ovc_site_figures(s, &f);
	json_t *o = json_object();
	stack_json(o, sym, p, s, ro);
	ovc_json_set_fields(o, &f, figure_fields,
			    sizeof figure_fields / sizeof *figure_fields);
	json_object_set_new(o, "touched_ratio", f.has_ratio
							? json_real(f.touched_ratio)
							: json_null());
	json_object_set_new(o, "estimated", json_boolean(f.estimated));
	json_object_set_new(o, "reused_bytes", json_integer(f.reused_bytes));
	ovc_json_set_fields(o, s, site_fields,
			    sizeof site_fields / sizeof *site_fields);
	json_object_set_new(o, "family", str(ovc_family_name(s->kind)));
	if (f.requested_err_bytes > 0 || f.touched_err_bytes > 0) {
		json_object_set_new(o, "requested_err_bytes",
				    json_integer(f.requested_err_bytes));
		json_object_set_new(o, "touched_err_bytes",
				    json_integer(f.touched_err_bytes));
		json_object_set_new(o, "requested_interval_bytes",
				    interval(f.requested_bytes,
					     f.requested_err_bytes));
		json_object_set_new(o, "touched_interval_bytes",
				    interval(f.touched_bytes, f.touched_err_bytes));
	}
	if (s->kind != OVC_FAMILY_MALLOC) {
		json_object_set_new(o, "committed_bytes",
				    json_integer(s->committed_bytes));
		json_object_set_new(o, "peak_committed_bytes",
				    json_integer(s->peak_committed_bytes));
	}
	return o;
}

/* Adds "sites" (the top sites of P by the sort key) and "sites_omitted". */
static void sites_json(json_t *o, struct ovc_symbolizer *sym,
		       const struct ovc_proc *p, const struct ovc_render_opts *ro)
{
	size_t ranked, shown;
	size_t *order = ovc_render_rank_sites(p, ro, OVC_TOP_JSON_DEFAULT,
					      &ranked, &shown);
	json_t *a = json_array();
	for (size_t i = 0; i < shown; i++)
		json_array_append_new(a, site_json(sym, p, &p->sites[order[i]], ro));
	free(order);
	json_object_set_new(o, "sites", a);
	/* Everything not listed: beyond the limit, without figures (no `ss`
	 * record), or beyond ovc's cap when reading. */
	json_object_set_new(o, "sites_omitted",
			    json_integer((json_int_t)(p->nsites - shown +
						      p->sites_dropped)));
}

static const struct ovc_json_field leak_fields[] = {
	{"leaked_bytes", offsetof(struct ovc_leak, bytes), OVC_JSON_I64},
	{"leaked_blocks", offsetof(struct ovc_leak, blocks), OVC_JSON_I64_OR_NULL},
	{"sd_bytes", offsetof(struct ovc_leak, sd_bytes), OVC_JSON_I64},
	{"estimated", offsetof(struct ovc_leak, estimated), OVC_JSON_BOOL},
};

static json_t *leak_json(const struct ovc_leak *l)
{
	json_t *o = json_object();
	ovc_json_set_fields(o, l, leak_fields,
			    sizeof leak_fields / sizeof *leak_fields);
	return o;
}

/* The "leaks" object of P: what it still held at exit, per site (the
 * sites that leaked, most first, as many as "sites" lists). */
static json_t *leaks_json(struct ovc_symbolizer *sym, const struct ovc_proc *p,
			  const struct ovc_render_opts *ro)
{
	const char *why;
	struct ovc_leak total;
	bool known = ovc_proc_leaks_known(p, &why);
	ovc_proc_leak(p, &total);
	json_t *o = leak_json(&total);
	json_object_set_new(o, "known", json_boolean(known));
	json_object_set_new(o, "why_unknown", known ? json_null() : str(why));
	size_t top = ro && ro->top_set ? ro->top_sites : OVC_TOP_JSON_DEFAULT;
	size_t *order = malloc((p->nsites ? p->nsites : 1) * sizeof *order);
	size_t ranked = known && order ? ovc_proc_rank_leaks(p, order) : 0;
	size_t shown = ranked < top ? ranked : top;
	json_t *a = json_array();
	for (size_t i = 0; i < shown; i++) {
		const struct ovc_site *s = &p->sites[order[i]];
		struct ovc_leak l;
		ovc_site_leak(s, &l);
		json_t *so = leak_json(&l);
		stack_json(so, sym, p, s, ro);
		json_array_append_new(a, so);
	}
	free(order);
	json_object_set_new(o, "sites", a);
	json_object_set_new(o, "sites_omitted",
			    json_integer((json_int_t)(ranked - shown)));
	return o;
}

#define PROC(name, member) {name, offsetof(struct ovc_proc, member), OVC_JSON_I64}
static const struct ovc_json_field mapping_fields[] = {
	PROC("live_mapped_bytes", mapped_bytes),
	PROC("peak_mapped_bytes", peak_mapped_bytes),
	PROC("committed_bytes", committed_bytes),
	PROC("peak_committed_bytes", peak_committed_bytes),
};
#undef PROC

static json_t *proc_json(const struct ovc_model *m, const struct ovc_proc *p,
			 const struct ovc_render_opts *ro,
			 struct ovc_symbolizer *sym)
{
	json_t *o = json_object();
	double r;
	json_object_set_new(o, "pid", int_or_null(p->pid));
	json_object_set_new(o, "ppid", int_or_null(p->ppid));
	json_object_set_new(o, "exe", str(p->exe));
	json_object_set_new(o, "argv", str_array(p->argv, p->argc));
	json_object_set_new(o, "run", str(p->run));
	json_object_set_new(o, "log", str(p->log));
	json_object_set_new(o, "origin", str(p->origin));
	json_object_set_new(o, "parent_log",
			    p->parent_log[0] ? str(p->parent_log) : json_null());
	json_object_set_new(o, "proc_start_ticks",
			    int_or_null(p->proc_start_ticks));
	json_object_set_new(o, "start_unix_ns", int_or_null(p->start_unix_ns));
	json_object_set_new(o, "duration_s",
			    json_real((double)ovc_proc_duration_ns(p) / 1e9));
	json_t *end = end_json(p->end_kind, p->end_code, p->end_signal,
			       source_name(p->end_source));
	if (p->end_kind == OVC_END_EXEC) {
		const char *path = p->successor ? p->successor->exe
						: p->exec_path;
		json_object_set_new(end, "exec_path", str(path));
		json_object_set_new(end, "successor_log",
				    p->successor ? str(p->successor->log)
						 : json_null());
	}
	json_object_set_new(o, "end", end);

	json_t *calls = per_func(p->calls);
	/* "failed" in calls is the total of failed calls, as the issue
	 * fixes it; the per-function split is in "failed". */
	json_object_set_new(calls, "failed",
			    json_integer(ovc_proc_total_failed(p)));
	json_t *map_failed = json_object(), *map_bytes = json_object();
	for (int f = 0; f < OVC_MFN_COUNT; f++) {
		json_object_set_new(calls, ovc_map_func_names[f],
				    json_integer(p->map_calls[f]));
		json_object_set_new(map_failed, ovc_map_func_names[f],
				    json_integer(p->map_failed[f]));
		json_object_set_new(map_bytes, ovc_map_func_names[f],
				    json_integer(p->map_bytes[f]));
	}
	json_object_set_new(o, "calls", calls);
	json_object_set_new(o, "map_failed", map_failed);
	json_object_set_new(o, "map_bytes", map_bytes);
	json_object_set_new(o, "mapped_bytes",
			    json_integer(p->map_bytes[OVC_MFN_MMAP]));
	ovc_json_set_fields(o, p, mapping_fields,
			    sizeof mapping_fields / sizeof *mapping_fields);
	json_object_set_new(o, "failed", per_func(p->failed));
	json_object_set_new(o, "requested", per_func(p->requested));
	json_object_set_new(o, "requested_bytes",
			    json_integer(ovc_proc_total_requested(p)));
	json_object_set_new(o, "peak_live_bytes",
			    json_integer(p->peak_live_bytes));
	json_object_set_new(o, "peak_live_exact",
			    json_boolean(p->peak_live_bound_bytes <=
					 p->peak_live_bytes));
	json_object_set_new(o, "peak_live_bound_bytes",
			    json_integer(p->peak_live_bound_bytes >
						 p->peak_live_bytes
					 ? p->peak_live_bound_bytes
					 : p->peak_live_bytes));
	json_object_set_new(o, "peak_asked_bytes",
			    json_integer(ovc_proc_asked_bytes(p)));
	json_object_set_new(o, "peak_asked_bound_bytes",
			    json_integer(ovc_proc_asked_bound_bytes(p)));
	json_object_set_new(o, "peak_asked_joint",
			    json_boolean(ovc_proc_asked_joint(p)));
	json_object_set_new(o, "peaks_from",
			    json_string(p->kernel_peaks ? "kernel" : "samples"));
	if (p->hugetlb_bytes > 0)
		json_object_set_new(o, "hugetlb_bytes",
				    json_integer(p->hugetlb_bytes));
	json_object_set_new(o, "peak_vm_bytes", json_integer(p->peak_vm_bytes));
	json_object_set_new(o, "peak_rss_bytes", json_integer(p->peak_rss_bytes));
	json_object_set_new(o, "own_rss_bytes",
			    json_integer(ovc_proc_own_rss_bytes(p)));
	if (ovc_proc_forked(p)) {
		json_t *inh = json_object();
		json_object_set_new(inh, "live_bytes",
				    p->inherited_live_bytes >= 0
					    ? json_integer(p->inherited_live_bytes)
					    : json_null());
		json_object_set_new(
			inh, "committed_bytes",
			p->inherited_committed_bytes >= 0
				? json_integer(p->inherited_committed_bytes)
				: json_null());
		json_object_set_new(inh, "logged_peak_live_bytes",
				    json_integer(p->logged_peak_live_bytes));
		json_object_set_new(o, "inherited", inh);
	}
	json_object_set_new(o, "peak_anon_rss_bytes",
			    json_integer(p->peak_anon_rss_bytes));
	json_object_set_new(o, "baseline_anon_rss_bytes",
			    json_integer(ovc_proc_baseline_anon_bytes(p)));
	json_object_set_new(o, "touched_bytes",
			    json_integer(ovc_proc_touched_bytes(p)));
	json_object_set_new(o, "touched_ratio",
			    ovc_proc_touched_ratio(p, &r) ? json_real(r)
							  : json_null());
	json_object_set_new(o, "overcommit_gap_bytes",
			    json_integer(ovc_proc_gap_bytes(p)));
	if (p->written_since_fork_bytes >= 0)
		json_object_set_new(o, "written_since_fork_bytes",
				    json_integer(p->written_since_fork_bytes));
	json_object_set_new(o, "touched_outside_bytes",
			    json_integer(ovc_proc_outside_bytes(p)));
	json_object_set_new(o, "last_live_bytes",
			    json_integer(p->last_live_bytes));
	json_object_set_new(o, "samples", json_integer((json_int_t)p->samples));
	json_object_set_new(o, "interval_ms", int_or_null(p->interval_ms));
	const char *v[2];
	size_t nv = ovc_proc_verdicts(p, &m->host, v);
	json_t *va = json_array();
	for (size_t i = 0; i < nv; i++)
		json_array_append_new(va, json_string(v[i]));
	json_object_set_new(o, "verdicts", va);
	json_object_set_new(o, "warnings", json_integer((json_int_t)p->warn_records));
	json_object_set_new(o, "bad_lines", json_integer((json_int_t)p->bad_lines));
	json_object_set_new(o, "torn_tail", json_boolean(p->torn_tail));
	sites_json(o, sym, p, ro);
	json_object_set_new(o, "leaks", leaks_json(sym, p, ro));
	json_object_set_new(o, "diagnosis", ovc_diag_json(m, p, sym));
	return o;
}

static json_t *run_json(const struct ovc_run *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "run", str(r->run));
	json_object_set_new(o, "log", str(r->log));
	json_object_set_new(o, "pid", int_or_null(r->pid));
	json_object_set_new(o, "ovc_pid", int_or_null(r->ovc_pid));
	json_object_set_new(o, "argv", str_array(r->argv, r->argc));
	json_object_set_new(o, "start_unix_ns", int_or_null(r->start_unix_ns));
	json_object_set_new(o, "end",
			    r->has_end ? end_json(r->end_kind, r->end_code,
						  r->end_signal, NULL)
				       : json_null());
	json_object_set_new(o, "duration_s",
			    r->has_end && r->duration_ns >= 0
				    ? json_real((double)r->duration_ns / 1e9)
				    : json_null());
	return o;
}

/* Writes V (consumed) as the value of a member at nesting DEPTH of a
 * document indented by 2, as json_dumpf(JSON_INDENT(2)) of the whole
 * document would: lines after the first indented by 2 * DEPTH. */
static bool put_value(FILE *out, json_t *v, int depth)
{
	char *s = v ? json_dumps(v, JSON_INDENT(2) | JSON_REAL_PRECISION(6) |
				     JSON_ENCODE_ANY)
		    : NULL;
	json_decref(v);
	if (!s)
		return false;
	for (const char *c = s; *c; c++) {
		fputc(*c, out);
		if (*c == '\n')
			fprintf(out, "%*s", 2 * depth, "");
	}
	free(s);
	return true;
}

/* Writes `"KEY": V` (V consumed) as a member of the top-level object,
 * after a comma unless FIRST. */
static bool put_member(FILE *out, const char *key, json_t *v, bool first)
{
	fprintf(out, "%s\n  \"%s\": ", first ? "" : ",", key);
	return put_value(out, v, 1);
}

bool ovc_render_json(const struct ovc_model *m, FILE *out,
		     const struct ovc_render_opts *ro)
{
	/* Written member by member, one process at a time: the document of
	 * a suite of thousands of processes is never whole in memory. The
	 * layout is json_dumpf's with JSON_INDENT(2). */
	bool ok = true;
	fputc('{', out);
	ok &= put_member(out, "format", json_string("ovc-report"), true);
	ok &= put_member(out, "version", json_integer(1), false);
	ok &= put_member(out, "host", ovc_render_host_json(&m->host), false);
	json_t *runs = json_array();
	for (size_t i = 0; i < m->nruns; i++)
		json_array_append_new(runs, run_json(m->runs[i]));
	ok &= put_member(out, "runs", runs, false);
	/* The runs not in this report: the paths held several and only the
	 * newest was read (docs/report-json.md). */
	json_t *left = json_array();
	const struct ovc_runs_seen *rs = ro ? ro->runs : NULL;
	for (size_t i = 0; rs && rs->kept && i < rs->n; i++) {
		const struct ovc_run_seen *r = &rs->v[i];
		if (r == rs->kept)
			continue;
		json_array_append_new(
			left, json_pack("{s:s, s:o, s:I, s:o}", "run", r->run,
					"start_unix_ns",
					int_or_null(r->start_unix_ns), "logs",
					(json_int_t)r->logs, "command",
					r->command ? str(r->command)
						   : json_null()));
	}
	ok &= put_member(out, "runs_left_out", left, false);
	struct ovc_render_opts to;
	ovc_render_opts_resolve(ro, &to);
	fputs(",\n  \"processes\": [", out);
	for (size_t i = 0; ok && i < m->nprocs; i++) {
		fputs(i ? ",\n    " : "\n    ", out);
		ok &= put_value(out, proc_json(m, m->procs[i], ro, to.sym), 2);
	}
	fputs(m->nprocs ? "\n  ]" : "]", out);
	json_t *doc = json_object();
	if (doc)
		ovc_render_json_suite(m, doc, &to);
	else
		ok = false;
	ovc_render_opts_done(ro, &to);
	const char *key;
	json_t *v;
	json_object_foreach(doc, key, v) {
		ok &= put_member(out, key, json_incref(v), false);
	}
	json_decref(doc);
	fputs("\n}\n", out);
	return ok && !ferror(out);
}
