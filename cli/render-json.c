/* The JSON report (docs/report-json.md): the model for other programs. */
#include "render.h"

#include <jansson.h>
#include <string.h>

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

static json_t *host_json(const struct ovc_host *h)
{
	json_t *o = json_object();
	json_object_set_new(o, "mem_total_bytes", int_or_null(h->mem_total_bytes));
	json_object_set_new(o, "mem_available_bytes",
			    int_or_null(h->mem_available_bytes));
	json_object_set_new(o, "commit_limit_bytes",
			    int_or_null(h->commit_limit_bytes));
	json_object_set_new(o, "committed_as_bytes",
			    int_or_null(h->committed_as_bytes));
	json_object_set_new(o, "overcommit_memory",
			    int_or_null(h->overcommit_memory));
	json_object_set_new(o, "overcommit_ratio",
			    int_or_null(h->overcommit_ratio));
	json_object_set_new(o, "page_size", int_or_null(h->page_size));
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
	switch (s) {
	case OVC_SRC_LOG:
		return "log";
	case OVC_SRC_SUCCESSOR:
		return "successor";
	case OVC_SRC_RUN:
		return "run";
	case OVC_SRC_NONE:
		break;
	}
	return "none";
}

/* {"malloc": N, "calloc": N, ...} over every hooked function. */
static json_t *per_func(const int64_t *v)
{
	json_t *o = json_object();
	for (int f = 0; f < OVC_FN_COUNT; f++)
		json_object_set_new(o, ovc_func_name(f), json_integer(v[f]));
	return o;
}

static json_t *proc_json(const struct ovc_model *m, const struct ovc_proc *p)
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
	json_object_set_new(o, "calls", calls);
	json_object_set_new(o, "failed", per_func(p->failed));
	json_object_set_new(o, "requested", per_func(p->requested));
	json_object_set_new(o, "requested_bytes",
			    json_integer(ovc_proc_total_requested(p)));
	json_object_set_new(o, "peak_live_bytes",
			    json_integer(p->peak_live_bytes));
	json_object_set_new(o, "peak_vm_bytes", json_integer(p->peak_vm_bytes));
	json_object_set_new(o, "peak_rss_bytes", json_integer(p->peak_rss_bytes));
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

bool ovc_render_json(const struct ovc_model *m, FILE *out)
{
	json_t *doc = json_object();
	if (!doc)
		return false;
	json_object_set_new(doc, "format", json_string("ovc-report"));
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "host", host_json(&m->host));
	json_t *runs = json_array();
	for (size_t i = 0; i < m->nruns; i++)
		json_array_append_new(runs, run_json(m->runs[i]));
	json_object_set_new(doc, "runs", runs);
	json_t *procs = json_array();
	for (size_t i = 0; i < m->nprocs; i++)
		json_array_append_new(procs, proc_json(m, m->procs[i]));
	json_object_set_new(doc, "processes", procs);
	int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	json_decref(doc);
	if (rc == 0)
		fputc('\n', out);
	return rc == 0 && !ferror(out);
}
