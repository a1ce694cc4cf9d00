/* The findings that open the HTML report (render-html.c): the verdicts
 * of every process, the totals, the top sites over all processes, the
 * process tree and the untraced programs. */
#include "render/render-html-findings.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ovc/options.h"
#include "analyze/diagnose.h"
#include "analyze/suite.h"
#include "render/format.h"
#include "render/render-tree.h"

#define HTML_SUITE_SITES 10  /* merged sites in the findings */
#define HTML_VERDICTS 10     /* verdicts shown before "more" */
#define HTML_TREE_LINES 30   /* lines of the tree shown before "more" */

/* One finding about process IDX: a link to it, its command, WHAT. */
static void finding(FILE *out, const struct ovc_model *m, size_t idx,
		    const bool *shown, const char *tag, const char *what)
{
	const struct ovc_proc *p = m->procs[idx];
	fprintf(out, "<li><span class=\"verdict\">%s</span> ", tag);
	if (shown[idx])
		fprintf(out, "<a href=\"#proc-%zu\">pid %" PRId64 "</a> ", idx,
			p->pid);
	else
		fprintf(out, "pid %" PRId64 " ", p->pid);
	ovc_html_put_cmd(out, p, OVC_HTML_CMD_CHARS);
	fprintf(out, ": %s</li>\n", what);
}

/* The findings of process IDX (verdicts, how it ended, refusals) as
 * items; returns how many. */
static size_t proc_findings(FILE *out, const struct ovc_model *m, size_t idx,
			    const bool *shown)
{
	const struct ovc_proc *p = m->procs[idx];
	const struct ovc_host *h = &m->host;
	struct ovc_diagnosis dg;
	char what[256], a[24], b[24];
	size_t n = 0;
	ovc_diagnose(m, p, &dg);
	/* The verdicts, as ovc_proc_verdicts() gives them. */
	const struct {
		int64_t limit_bytes;
		const char *tag, *name, *means;
	} limits[] = {
		{h->commit_limit_bytes, "exceeds_commit_limit", "CommitLimit",
		 "would have failed under strict overcommit "
		 "(vm.overcommit_memory=2)"},
		{h->mem_total_bytes, "exceeds_mem_total", "MemTotal",
		 "touching it all would invoke the OOM killer"},
	};
	for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
		if (limits[i].limit_bytes <= 0 ||
		    p->peak_live_bytes <= limits[i].limit_bytes)
			continue;
		snprintf(what, sizeof what, "peak live %s is more than %s %s: %s",
			 ovc_bytes(p->peak_live_bytes, a), limits[i].name,
			 ovc_bytes(limits[i].limit_bytes, b), limits[i].means);
		finding(out, m, idx, shown, limits[i].tag, what);
		n++;
	}
	if (dg.killed) {
		snprintf(what, sizeof what,
			 "%s; resident %s at its last sample",
			 dg.likely_oom ? "likely killed by the OOM killer "
					 "(confirm with journalctl -k)"
				       : "its log ended abruptly",
			 ovc_bytes(dg.last_rss_bytes, a));
		finding(out, m, idx, shown,
			dg.likely_oom ? "likely_oom" : "killed", what);
		n++;
	}
	if (p->extra && p->extra->nrefuse) {
		snprintf(what, sizeof what,
			 "%" PRIu64 " allocation%s refused by the budget",
			 p->extra->nrefuse, p->extra->nrefuse == 1 ? "" : "s");
		finding(out, m, idx, shown, "refused", what);
		n++;
	}
	return n;
}

static void put_verdicts(FILE *out, const struct ovc_model *m,
			 const size_t *order, const bool *shown)
{
	char a[24], b[24], c[32];
	size_t n = 0, procs = 0;
	fputs("<h3>verdicts</h3>\n", out);
	/* Written to memory first: the first ones in view, the rest
	 * collapsed. */
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return;
	long cut = -1;
	for (size_t i = 0; i < m->nprocs; i++) {
		size_t k = proc_findings(mem, m, order[i], shown);
		n += k;
		procs += k > 0;
		if (cut < 0 && n >= HTML_VERDICTS) {
			fflush(mem);
			cut = (long)len;
		}
	}
	fclose(mem);
	if (!n) {
		fprintf(out, "<p class=\"hint\">no verdict: the peak live of "
			     "every process is within CommitLimit (%s) and "
			     "MemTotal (%s), none was killed</p>\n",
			m->host.commit_limit_bytes > 0
				? ovc_bytes(m->host.commit_limit_bytes, a)
				: "unknown",
			m->host.mem_total_bytes > 0
				? ovc_bytes(m->host.mem_total_bytes, b)
				: "unknown");
		free(buf);
		return;
	}
	fputs("<ul class=\"findings\">\n", out);
	if (cut < 0 || (size_t)cut >= len) {
		fwrite(buf, 1, len, out);
		fputs("</ul>\n", out);
	} else {
		fwrite(buf, 1, (size_t)cut, out);
		fputs("</ul>\n", out);
		fprintf(out, "<details><summary>%s verdicts in all, about %s "
			     "processes</summary><ul class=\"findings\">\n",
			ovc_render_count((int64_t)n, c, sizeof c),
			ovc_render_count((int64_t)procs, a, sizeof a));
		fwrite(buf + cut, 1, len - (size_t)cut, out);
		fputs("</ul></details>\n", out);
	}
	free(buf);
}

static void total_row(FILE *out, const char *name, const char *value,
		      const struct ovc_model *m, size_t who, const char *note)
{
	fprintf(out, "<tr><th class=\"l\">%s</th><td>%s</td><td class=\"l\">",
		name, value);
	if (who != SIZE_MAX) {
		const struct ovc_proc *p = m->procs[who];
		fprintf(out, "pid %" PRId64 " ", p->pid);
		ovc_html_put_cmd(out, p, OVC_HTML_CMD_CHARS);
		if (note[0])
			fputs("; ", out);
	}
	fprintf(out, "%s</td></tr>\n", note);
}

static void put_totals(FILE *out, const struct ovc_model *m)
{
	struct ovc_totals t;
	char a[24], n[32], k[32];
	ovc_totals_compute(m, NULL, &t);
	fprintf(out, "<h3>totals: %s process image%s in %s process%s</h3>\n"
		     "<table class=\"totals\">\n",
		ovc_render_count((int64_t)t.images, n, sizeof n),
		t.images == 1 ? "" : "s",
		ovc_render_count((int64_t)t.processes, k, sizeof k),
		t.processes == 1 ? "" : "es");
	total_row(out, "overcommit gap, sum", ovc_bytes(t.gap_sum_bytes, a), m,
		  SIZE_MAX, "live but never touched, at each one's peak");
	total_row(out, "overcommit gap, largest", ovc_bytes(t.gap_max_bytes, a), m,
		  t.gap_max_bytes > 0 ? t.gap_max_proc : SIZE_MAX, "");
	total_row(out, "touched ratio",
		  t.has_ratio ? ovc_render_percent(t.touched_ratio, a, sizeof a)
			      : "-",
		  m, SIZE_MAX, "touched over peak live, summed");
	total_row(out, "requested", ovc_bytes(t.requested_bytes, a), m, SIZE_MAX,
		  "over all processes");
	total_row(out, "peak live, largest", ovc_bytes(t.peak_live_max_bytes, a), m,
		  t.peak_live_max_proc, "");
	total_row(out, "peak live, sum", ovc_bytes(t.peak_live_sum_bytes, a), m,
		  SIZE_MAX, "the most that can have been live at once");
	total_row(out, "peak resident, largest",
		  ovc_bytes(t.peak_rss_max_bytes, a), m, t.peak_rss_max_proc, "");
	total_row(out, "failed calls",
		  ovc_render_count(t.failed_total, n, sizeof n), m, SIZE_MAX,
		  "allocations that returned NULL");
	total_row(out, "untraced programs",
		  ovc_render_count((int64_t)t.untraced, n, sizeof n), m,
		  SIZE_MAX, t.untraced ? "not seen here: see the list below"
				       : "");
	total_row(out, "ended abruptly",
		  ovc_render_count((int64_t)t.abrupt, n, sizeof n), m, SIZE_MAX,
		  t.abrupt ? "killed by a signal or no end in the log" : "");
	fputs("</table>\n", out);
}

/* The sites of all processes merged (analyze/suite.h), most untouched
 * first (or as O->sort says), each stack in a <details>. */
static void put_merged_sites(FILE *out, const struct ovc_model *m,
			     const struct ovc_render_opts *o,
			     struct ovc_symbolizer *sym)
{
	enum ovc_site_sort key = o ? o->sort : OVC_SORT_UNTOUCHED;
	struct ovc_merged_sites ms;
	char n[32];
	bool any = ovc_sites_merge(m, sym, key, &ms) && ms.n > 0;
	size_t shown = any ? ms.n : 0;
	if (o && o->top_set ? o->top_sites < shown : HTML_SUITE_SITES < shown)
		shown = o && o->top_set ? o->top_sites : HTML_SUITE_SITES;
	if (shown) {
		fprintf(out, "<h3>top sites over all processes: %zu of %zu, "
			     "most %s first</h3>\n<p class=\"hint\">the same "
			     "stack in the same executable merged</p>\n",
			shown, ms.n,
			key == OVC_SORT_RATIO ? "untouched ratio"
					      : ovc_site_sort_name(key));
		fputs("<table>\n<tr><th>#</th><th>untouched</th><th>requested"
		      "</th><th>touched</th><th>ratio</th><th>processes</th>"
		      "<th class=\"l\">executable: site (click for its "
		      "stack)</th></tr>\n",
		      out);
	}
	for (size_t i = 0; i < shown; i++) {
		const struct ovc_merged_site *ts = &ms.v[i];
		const struct ovc_proc *first = m->procs[ts->proc];
		ovc_html_site_cells(out, i + 1, &ts->f);
		fprintf(out, "<td>%s</td>",
			ovc_render_count((int64_t)ts->nprocs, n, sizeof n));
		ovc_html_site_stack_cell(out, first, &first->sites[ts->site],
				ts->f.estimated, true, o, sym);
	}
	if (shown)
		fputs("</table>\n", out);
	ovc_merged_sites_free(&ms);
}

/* The process tree (render-tree.c's text) in a <pre>, its first lines in
 * view, the rest collapsed; then the untraced programs. */
static void put_tree(FILE *out, const struct ovc_model *m)
{
	struct ovc_tree *t = ovc_tree_build(m);
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem) {
		ovc_tree_free(t);
		return;
	}
	if (t && m->nprocs > 1)
		ovc_render_text_tree(mem, m, t);
	ovc_tree_free(t);
	fclose(mem);
	if (buf && len) {
		char *body = buf, *cut = buf;
		size_t lines = 0;
		while (cut && *cut && lines < HTML_TREE_LINES) {
			cut = strchr(cut, '\n');
			if (cut)
				cut++;
			lines++;
		}
		fputs("<h3>process tree</h3>\n<pre class=\"tree\">", out);
		if (cut && *cut) {
			size_t more = 0;
			for (char *q = cut; *q; q++)
				more += *q == '\n';
			cut[-1] = '\0';
			ovc_html_put_lines(out, body);
			fprintf(out, "</pre>\n<details><summary>%zu more lines of "
				     "the tree</summary><pre>",
				more);
			ovc_html_put_lines(out, cut);
			fputs("</pre></details>\n", out);
		} else {
			ovc_html_put_lines(out, body);
			fputs("</pre>\n", out);
		}
	}
	free(buf);
	buf = NULL;
	len = 0;
	mem = open_memstream(&buf, &len);
	if (!mem)
		return;
	ovc_render_text_untraced(mem, m);
	fclose(mem);
	if (buf && len) {
		fputs("<h3>untraced programs</h3>\n<pre>", out);
		ovc_html_put_lines(out, buf);
		fputs("</pre>\n", out);
	}
	free(buf);
}

void ovc_html_findings(FILE *out, const struct ovc_model *m,
			 const size_t *order, const bool *shown,
			 const struct ovc_render_opts *o,
			 struct ovc_symbolizer *sym)
{
	fputs("<section id=\"findings\">\n<h2>findings</h2>\n", out);
	put_verdicts(out, m, order, shown);
	if (m->nprocs > 1) {
		put_totals(out, m);
		put_merged_sites(out, m, o, sym);
	}
	put_tree(out, m);
	fputs("</section>\n", out);
}
