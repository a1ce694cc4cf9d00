/* The report on a run of many processes as members of the JSON report
 * (docs/report-json.md): the process tree, totals, untraced programs and
 * the sites merged over all processes. */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "read/frames.h"
#include "analyze/suite.h"
#include "render/render.h"

/* ---- JSON ---- */

static json_t *str(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_null();
}

#define TOT(name, member, kind) {name, offsetof(struct ovc_totals, member), kind}
static const struct ovc_json_field totals_fields[] = {
	TOT("images", images, OVC_JSON_SIZE),
	TOT("processes", processes, OVC_JSON_SIZE),
	TOT("untraced", untraced, OVC_JSON_SIZE),
	TOT("abrupt", abrupt, OVC_JSON_SIZE),
	TOT("requested_bytes", requested_bytes, OVC_JSON_I64),
	TOT("peak_live_max_bytes", peak_live_max_bytes, OVC_JSON_I64),
	TOT("peak_live_sum_bytes", peak_live_sum_bytes, OVC_JSON_I64),
	TOT("peak_rss_max_bytes", peak_rss_max_bytes, OVC_JSON_I64),
	TOT("peak_rss_sum_bytes", peak_rss_sum_bytes, OVC_JSON_I64),
	TOT("peak_live_at_once_bytes", peak_live_at_once_bytes, OVC_JSON_I64),
	TOT("peak_rss_at_once_bytes", peak_rss_at_once_bytes, OVC_JSON_I64),
	/* -1: when is not known */
	TOT("peak_live_at_once_ns", at_once_live_ns, OVC_JSON_I64_OR_NULL),
	TOT("peak_rss_at_once_ns", at_once_rss_ns, OVC_JSON_I64_OR_NULL),
	TOT("overcommit_gap_max_bytes", gap_max_bytes, OVC_JSON_I64),
	TOT("overcommit_gap_sum_bytes", gap_sum_bytes, OVC_JSON_I64),
	TOT("touched_sum_bytes", touched_sum_bytes, OVC_JSON_I64),
};
#undef TOT

json_t *ovc_totals_json(const struct ovc_model *m, const struct ovc_totals *t)
{
	json_t *o = json_object();
	ovc_json_set_fields(o, t, totals_fields,
			    sizeof totals_fields / sizeof *totals_fields);
	json_object_set_new(o, "touched_ratio",
			    t->has_ratio ? json_real(t->touched_ratio)
					 : json_null());
	json_t *calls = json_object();
	for (int f = 0; f < OVC_FN_COUNT; f++)
		json_object_set_new(calls, ovc_func_name(f),
				    json_integer(t->calls[f]));
	json_object_set_new(calls, "failed", json_integer(t->failed_total));
	json_object_set_new(o, "calls", calls);
	json_object_set_new(o, "calls_total", json_integer(t->calls_total));
	json_object_set_new(o, "peak_live_max_log",
			    t->peak_live_max_proc != SIZE_MAX
				    ? str(m->procs[t->peak_live_max_proc]->log)
				    : json_null());
	return o;
}

static json_t *tree_json(const struct ovc_model *m, const struct ovc_tree *t,
			 size_t *untraced_base)
{
	json_t *a = json_array();
	for (size_t k = 0; k < t->n; k++) {
		const struct ovc_tree_node *nd = &t->nodes[k];
		const struct ovc_proc *h = m->procs[nd->images[0]];
		json_t *o = json_object();
		json_object_set_new(o, "pid", h->pid >= 0 ? json_integer(h->pid)
							  : json_null());
		json_object_set_new(o, "run", str(h->run));
		json_t *logs = json_array(), *exes = json_array(),
		       *untr = json_array();
		for (size_t i = 0; i < nd->nimages; i++) {
			size_t pi = nd->images[i];
			json_array_append_new(logs, str(m->procs[pi]->log));
			json_array_append_new(exes, str(m->procs[pi]->exe));
			size_t nu = m->procs[pi]->nuntraced +
				    ovc_proc_exec_unlogged(m->procs[pi]);
			for (size_t u = 0; u < nu; u++)
				json_array_append_new(
					untr, json_integer((json_int_t)(
						      untraced_base[pi] + u)));
		}
		json_object_set_new(o, "log", str(h->log));
		json_object_set_new(o, "logs", logs);
		json_object_set_new(o, "exes", exes);
		json_object_set_new(o, "parent",
				    nd->parent == SIZE_MAX
					    ? json_null()
					    : json_integer((json_int_t)nd->parent));
		json_object_set_new(o, "parent_log",
				    nd->parent_image == SIZE_MAX
					    ? json_null()
					    : str(m->procs[nd->parent_image]->log));
		json_t *kids = json_array();
		for (size_t c = 0; c < nd->nchildren; c++)
			json_array_append_new(
				kids, json_integer((json_int_t)nd->children[c]));
		json_object_set_new(o, "children", kids);
		json_object_set_new(o, "untraced", untr);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *merged_sites_json(const struct ovc_model *m,
				 const struct ovc_render_opts *ro,
				 struct ovc_symbolizer *sym)
{
	json_t *a = json_array();
	struct ovc_merged_sites ms;
	size_t top = ro && ro->top_set ? ro->top_sites
				     : OVC_TOP_MERGED_JSON_DEFAULT;
	if (!ovc_sites_merge(m, sym, ro ? ro->sort : OVC_SORT_UNTOUCHED, &ms))
		return a;
	for (size_t i = 0; i < ms.n && i < top; i++) {
		const struct ovc_merged_site *s = &ms.v[i];
		const struct ovc_proc *p = m->procs[s->proc];
		const struct ovc_site *site = &p->sites[s->site];
		json_t *o = json_object();
		json_object_set_new(o, "exe", str(p->exe));
		json_object_set_new(o, "processes",
				    json_integer((json_int_t)s->nprocs));
		json_object_set_new(o, "log", str(p->log));
		json_object_set_new(o, "site_id", json_integer(site->id));
		json_t *fr = json_array();
		for (size_t j = 0; j < site->nframes; j++) {
			struct ovc_frame_info fi;
			ovc_frame_describe(sym, p, &site->frames[j], &fi);
			json_t *f = json_object();
			json_object_set_new(f, "function", str(fi.function));
			json_object_set_new(f, "file", str(fi.file));
			json_object_set_new(f, "line", fi.line > 0
							      ? json_integer(fi.line)
							      : json_null());
			json_object_set_new(f, "module", str(fi.module));
			json_object_set_new(f, "offset",
					    json_integer((json_int_t)fi.offset));
			json_array_append_new(fr, f);
		}
		json_object_set_new(o, "frames", fr);
		json_object_set_new(o, "requested_bytes",
				    json_integer(s->f.requested_bytes));
		json_object_set_new(o, "peak_live_bytes",
				    json_integer(s->f.peak_live_bytes));
		json_object_set_new(o, "blocks", json_integer(s->f.blocks));
		json_object_set_new(o, "touched_bytes",
				    json_integer(s->f.touched_bytes));
		json_object_set_new(o, "untouched_bytes",
				    json_integer(s->f.untouched_bytes));
		json_object_set_new(o, "reused_bytes",
				    json_integer(s->f.reused_bytes));
		json_object_set_new(o, "touched_ratio",
				    s->f.has_ratio ? json_real(s->f.touched_ratio)
						   : json_null());
		json_object_set_new(o, "estimated", json_boolean(s->f.estimated));
		json_array_append_new(a, o);
	}
	ovc_merged_sites_free(&ms);
	return a;
}

void ovc_render_json_suite(const struct ovc_model *m, json_t *doc,
			   const struct ovc_render_opts *o)
{
	struct ovc_symbolizer *sym = o ? o->sym : NULL;
	struct ovc_totals t;
	ovc_totals_compute(m, NULL, &t);
	json_object_set_new(doc, "totals", ovc_totals_json(m, &t));

	/* Untraced programs, flat; tree nodes point into this array. */
	size_t *base = calloc(m->nprocs + 1, sizeof *base);
	json_t *untr = json_array();
	size_t k = 0;
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct ovc_proc *p = m->procs[i];
		if (base)
			base[i] = k;
		bool unlogged = ovc_proc_exec_unlogged(p);
		for (size_t u = 0; u < p->nuntraced + unlogged; u++, k++) {
			const struct ovc_untraced *un =
				u < p->nuntraced ? &p->untraced[u] : NULL;
			const char *why = un ? un->why : OVC_UNTRACED_NO_LOG;
			json_t *e = json_object();
			json_object_set_new(e, "path",
					    str(un ? un->path : p->exec_path));
			json_object_set_new(e, "why", str(why));
			json_object_set_new(e, "reason",
					    str(ovc_untraced_reason(why)));
			if (un && un->output)
				json_object_set_new(e, "output",
						    str(un->output));
			json_object_set_new(e, "by_log", str(p->log));
			json_object_set_new(e, "by_pid",
					    p->pid >= 0 ? json_integer(p->pid)
							: json_null());
			json_object_set_new(
				e, "exec",
				json_boolean(!un ||
					     ovc_untraced_exec_target(p, un)));
			json_array_append_new(untr, e);
		}
	}
	json_object_set_new(doc, "untraced", untr);
	struct ovc_tree *tr = base ? ovc_tree_build(m) : NULL;
	json_object_set_new(doc, "tree", tr ? tree_json(m, tr, base)
					    : json_array());
	ovc_tree_free(tr);
	free(base);
	json_object_set_new(doc, "top_sites", merged_sites_json(m, o, sym));
}
