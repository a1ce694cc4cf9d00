/* `ovc report --html` and `ovc plot --html`: one self-contained page with
 * the processes, their charts (inline SVG), verdicts, diagnosis and sites. */
#include "render/render-html.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ovc/options.h"
#include "read/frames.h"
#include "analyze/diagnose.h"
#include "render/format.h"
#include "render/render-svg.h"

#define HTML_SITES_DEFAULT 20

static const char css[] =
	"body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:14px;"
	"margin:24px;color:#212529;background:#fff;max-width:1100px}"
	"h1{font-size:22px}h2{font-size:18px;margin-top:32px;"
	"border-bottom:1px solid #dee2e6;padding-bottom:4px}"
	"table{border-collapse:collapse;font-size:13px;margin:8px 0}"
	"th,td{border:1px solid #dee2e6;padding:3px 8px;text-align:right;"
	"vertical-align:top}"
	"th{background:#f1f3f5}td.l,th.l{text-align:left}"
	"code,pre{font-family:'DejaVu Sans Mono',Menlo,monospace;"
	"font-size:12px}"
	"pre{background:#f8f9fa;border:1px solid #dee2e6;padding:8px;"
	"overflow-x:auto}"
	".verdict{color:#c92a2a;font-weight:bold}.hint{color:#495057}"
	".oom{background:#fff5f5;border:1px solid #ffc9c9;padding:6px 10px}"
	"details summary{cursor:pointer}details ol{margin:4px 0 4px 0;"
	"padding-left:28px}"
	".chart{overflow-x:auto;margin:8px 0}";

static const char *bytes(int64_t n, char *buf)
{
	return ovc_format_bytes(n > 0 ? (uint64_t)n : 0, buf, 24);
}

static void put_cmd(FILE *out, const struct ovc_proc *p)
{
	if (p->argc == 0) {
		ovc_put_xml(out, p->exe[0] ? p->exe : "(unknown)");
		return;
	}
	for (size_t i = 0; i < p->argc && i < 32; i++) {
		if (i)
			fputc(' ', out);
		ovc_put_xml(out, p->argv[i]);
	}
	if (p->argc > 32)
		fputs(" ...", out);
}

static void end_html(FILE *out, const struct ovc_proc *p)
{
	switch (p->end_kind) {
	case OVC_END_EXIT:
		fprintf(out, "exit %" PRId64, p->end_code);
		break;
	case OVC_END_SIGNAL: {
		const char *a = p->end_signal > 0 && p->end_signal < 65
					? sigabbrev_np((int)p->end_signal)
					: NULL;
		fprintf(out, "SIG%s", a ? a : "?");
		break;
	}
	case OVC_END_EXEC:
		fputs("exec", out);
		break;
	case OVC_END_SNAPSHOT:
		fputs("snapshot", out);
		break;
	default:
		fputs("abrupt", out);
	}
}

static void put_host(FILE *out, const struct ovc_host *h)
{
	char a[24];
	fputs("<h2>machine</h2>\n<table>\n", out);
	if (!h->known) {
		fputs("<tr><td class=\"l\">unknown: no log recorded it</td>"
		      "</tr></table>\n",
		      out);
		return;
	}
	if (h->mem_total_bytes >= 0)
		fprintf(out, "<tr><th class=\"l\">MemTotal</th><td>%s</td>"
			     "<td class=\"l\">RAM</td></tr>\n",
			bytes(h->mem_total_bytes, a));
	if (h->mem_available_bytes >= 0)
		fprintf(out, "<tr><th class=\"l\">MemAvailable</th><td>%s</td>"
			     "<td class=\"l\">free for programs when the "
			     "first process started</td></tr>\n",
			bytes(h->mem_available_bytes, a));
	if (h->commit_limit_bytes >= 0)
		fprintf(out, "<tr><th class=\"l\">CommitLimit</th><td>%s</td>"
			     "<td class=\"l\">what strict overcommit "
			     "(vm.overcommit_memory=2) would allow</td></tr>\n",
			bytes(h->commit_limit_bytes, a));
	fprintf(out, "<tr><th class=\"l\">overcommit mode</th><td>%" PRId64
		     "</td><td class=\"l\">%s</td></tr>\n</table>\n",
		h->overcommit_memory, ovc_overcommit_name(h->overcommit_memory));
}

static void put_runs(FILE *out, const struct ovc_model *m)
{
	if (!m->nruns)
		return;
	fputs("<h2>runs</h2>\n<table>\n<tr><th class=\"l\">command</th>"
	      "<th class=\"l\">ended</th><th>duration</th><th class=\"l\">run "
	      "id</th></tr>\n",
	      out);
	for (size_t i = 0; i < m->nruns; i++) {
		const struct ovc_run *r = m->runs[i];
		char a[48];
		fputs("<tr><td class=\"l\"><code>", out);
		for (size_t j = 0; j < r->argc && j < 32; j++) {
			if (j)
				fputc(' ', out);
			ovc_put_xml(out, r->argv[j]);
		}
		fputs("</code></td><td class=\"l\">", out);
		if (!r->has_end)
			fputs("unknown", out);
		else if (r->end_kind == OVC_END_SIGNAL)
			fprintf(out, "killed by signal %" PRId64, r->end_signal);
		else
			fprintf(out, "exit %" PRId64, r->end_code);
		fprintf(out, "</td><td>%s</td><td class=\"l\"><code>",
			r->has_end && r->duration_ns >= 0
				? ovc_render_duration(r->duration_ns, a, sizeof a)
				: "-");
		ovc_put_xml(out, r->run);
		fputs("</code></td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void put_table(FILE *out, const struct ovc_model *m, const bool *shown)
{
	char a[24], b[24], c[24], d[24], e[24];
	fputs("<h2>processes</h2>\n<table>\n<tr><th>pid</th><th>ppid</th>"
	      "<th class=\"l\">ended</th><th>peak live</th><th>peak "
	      "virtual</th><th>peak resident</th><th>touched</th>"
	      "<th>ratio</th><th class=\"l\">verdicts</th>"
	      "<th class=\"l\">command</th></tr>\n",
	      out);
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct ovc_proc *p = m->procs[i];
		double r;
		fputs("<tr><td>", out);
		if (shown[i])
			fprintf(out, "<a href=\"#proc-%zu\">%" PRId64 "</a>", i,
				p->pid);
		else
			fprintf(out, "%" PRId64, p->pid);
		fprintf(out, "</td><td>%" PRId64 "</td><td class=\"l\">",
			p->ppid);
		end_html(out, p);
		fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
			     "<td>%s</td><td class=\"l verdict\">",
			bytes(p->peak_live_bytes, a), bytes(p->peak_vm_bytes, b),
			bytes(p->peak_rss_bytes, c),
			bytes(ovc_proc_touched_bytes(p), d),
			ovc_proc_touched_ratio(p, &r)
				? ovc_render_percent(r, e, sizeof e)
				: "-");
		const char *v[2];
		size_t nv = ovc_proc_verdicts(p, &m->host, v);
		for (size_t j = 0; j < nv; j++)
			fprintf(out, "%s%s", j ? ", " : "", v[j]);
		fputs("</td><td class=\"l\"><code>", out);
		put_cmd(out, p);
		fputs("</code></td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void figure_row(FILE *out, const char *name, int64_t v,
		       const char *note)
{
	char a[24];
	fprintf(out, "<tr><th class=\"l\">%s</th><td>%s</td><td class=\"l\">"
		     "%s</td></tr>\n",
		name, bytes(v, a), note);
}

static void put_frames(FILE *out, const struct ovc_proc *p,
		       const struct ovc_site *s, struct ovc_symbolizer *sym)
{
	fputs("<ol start=\"0\">", out);
	for (size_t i = 0; i < s->nframes; i++) {
		struct ovc_frame_info fi;
		char label[256];
		ovc_frame_describe(sym, p, &s->frames[i], &fi);
		fputs("<li><code>", out);
		ovc_put_xml(out, ovc_frame_label(&fi, label, sizeof label));
		fputs("</code>", out);
		if (fi.file) {
			fputs(" (", out);
			ovc_put_xml(out, fi.file);
			if (fi.line > 0)
				fprintf(out, ":%d", fi.line);
			fputc(')', out);
		}
		if (fi.module || fi.problem) {
			fputs(" <span class=\"hint\">[", out);
			if (fi.module)
				ovc_put_xml(out, fi.module_name);
			if (fi.module && fi.problem)
				fputs(": ", out);
			if (fi.problem)
				ovc_put_xml(out, fi.problem);
			fputs("]</span>", out);
		}
		fputs("</li>", out);
	}
	fputs("</ol>", out);
	if (s->frames_dropped)
		fprintf(out, "<p class=\"hint\">%zu more frames not kept</p>",
			s->frames_dropped);
}

static void put_sites(FILE *out, const struct ovc_proc *p,
		      const struct ovc_render_opts *o,
		      struct ovc_symbolizer *sym)
{
	char a[24], b[24], c[24], d[24], e[24], label[512];
	size_t top = o && o->top_set ? o->top_sites : HTML_SITES_DEFAULT;
	size_t *order = malloc((p->nsites ? p->nsites : 1) * sizeof *order);
	size_t ranked = order ? ovc_proc_rank_sites(
					p, o ? o->sort : OVC_SORT_UNTOUCHED,
					order)
			      : 0;
	size_t shown = ranked < top ? ranked : top;
	fprintf(out, "<h3>sites: %zu of %zu, most %s first</h3>\n", shown,
		ranked, o && o->sort == OVC_SORT_RATIO
				? "untouched ratio"
				: ovc_site_sort_name(o ? o->sort
						       : OVC_SORT_UNTOUCHED));
	if (!shown) {
		fputs("<p class=\"hint\">none recorded: no allocation was "
		      "large (OVC_LARGE) or sampled</p>\n",
		      out);
		free(order);
		return;
	}
	fputs("<table>\n<tr><th>#</th><th>untouched</th><th>requested</th>"
	      "<th>touched</th><th>ratio</th><th>peak live</th><th>in RAM at "
	      "the end</th><th>blocks</th><th class=\"l\">site (click for its "
	      "stack)</th></tr>\n",
	      out);
	for (size_t r = 0; r < shown; r++) {
		const struct ovc_site *s = &p->sites[order[r]];
		struct ovc_site_figures f;
		char n[32];
		ovc_site_figures(s, &f);
		fprintf(out, "<tr><td>%zu</td><td>%s</td><td>%s</td><td>%s</td>"
			     "<td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
			     "<td class=\"l\"><details><summary><code>",
			r + 1, bytes(f.untouched_bytes, a),
			bytes(f.requested_bytes, b), bytes(f.touched_bytes, c),
			f.has_ratio ? ovc_render_percent(f.touched_ratio, d,
							 sizeof d)
				    : "-",
			bytes(f.peak_live_bytes, e),
			bytes(ovc_site_live_touched(s), label),
			ovc_render_count(f.blocks, n, sizeof n));
		ovc_put_xml(out, ovc_site_label(sym, p, s, label, sizeof label));
		fprintf(out, "</code>%s</summary>",
			f.estimated ? " <span class=\"hint\">(estimated)</span>"
				    : "");
		put_frames(out, p, s, sym);
		fputs("</details></td></tr>\n", out);
	}
	fputs("</table>\n", out);
	if (ranked > shown)
		fprintf(out, "<p class=\"hint\">%zu more sites: "
			     "<code>--top N</code> shows more</p>\n",
			ranked - shown);
	free(order);
}

/* Writes TEXT escaped, keeping its line breaks (for <pre>). */
static void put_lines(FILE *out, char *text)
{
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		ovc_put_xml(out, line);
		if (!nl)
			break;
		fputc('\n', out);
		line = nl + 1;
	}
}

/* The diagnosis of P (ovc_diag_text) in a <pre>, when there is one. */
static void put_diag(FILE *out, const struct ovc_model *m,
		     const struct ovc_proc *p, struct ovc_symbolizer *sym)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return;
	ovc_diag_text(mem, m, p, sym);
	fclose(mem);
	if (buf && len) {
		struct ovc_diagnosis d;
		ovc_diagnose(m, p, &d);
		fprintf(out, "<h3>diagnosis</h3>\n<pre class=\"%s\">",
			d.likely_oom ? "oom" : "diag");
		put_lines(out, buf);
		fputs("</pre>\n", out);
	}
	free(buf);
}

static void put_proc(FILE *out, const struct ovc_model *m, size_t idx,
		     const struct ovc_render_opts *o,
		     struct ovc_symbolizer *sym, bool charts_only)
{
	const struct ovc_proc *p = m->procs[idx];
	char a[64], b[24], c[24];
	const struct ovc_host *h = &m->host;
	fprintf(out, "<section id=\"proc-%zu\">\n<h2>process %" PRId64
		     ": <code>",
		idx, p->pid);
	put_cmd(out, p);
	fputs("</code></h2>\n", out);
	if (!charts_only) {
		fputs("<p>exe <code>", out);
		ovc_put_xml(out, p->exe[0] ? p->exe : "(unknown)");
		fprintf(out, "</code>, pid %" PRId64 ", ppid %" PRId64
			     ", %s, ended: ",
			p->pid, p->ppid,
			ovc_render_duration(ovc_proc_duration_ns(p), a, sizeof a));
		end_html(out, p);
		fputs("</p>\n<table>\n", out);
		figure_row(out, "requested", ovc_proc_total_requested(p),
			   "bytes asked for over the whole run");
		if (p->peak_live_bound_bytes > p->peak_live_bytes) {
			char note[160], up[24];
			snprintf(note, sizeof note,
				 "to %s: threads; the highest seen to the sum of "
				 "per-thread peaks",
				 bytes(p->peak_live_bound_bytes, up));
			figure_row(out, "peak live", p->peak_live_bytes, note);
		} else {
			figure_row(out, "peak live", p->peak_live_bytes,
				   "requested and not yet freed");
		}
		bool joint = ovc_proc_asked_joint(p);
		if (joint)
			figure_row(out, "peak asked for", ovc_proc_asked_bytes(p),
				   "live (malloc) + committed (mmap) at their "
				   "joint peak");
		figure_row(out, "peak virtual", p->peak_vm_bytes,
			   p->kernel_peaks ? "address space reserved; exact "
					     "(the kernel's VmPeak)"
					   : "address space reserved; sampled");
		figure_row(out, "peak resident", p->peak_rss_bytes,
			   p->kernel_peaks ? "in RAM; exact (the kernel's VmHWM)"
					   : "in RAM; sampled");
		figure_row(out, "peak anon resident", p->peak_anon_rss_bytes,
			   p->kernel_peaks ? "resident minus shared; sampled, "
					     "and VmHWM minus file pages"
					   : "resident minus shared; sampled");
		figure_row(out, "baseline anon", ovc_proc_baseline_anon_bytes(p),
			   strcmp(p->origin, "fork") == 0
				   ? "at the fork: the parent's state"
				   : "before main: loader, libc");
		double r;
		snprintf(a, sizeof a, "%s of %s",
			 ovc_proc_touched_ratio(p, &r)
				 ? ovc_render_percent(r, b, sizeof b)
				 : "-",
			 joint ? "peak asked for" : "peak live");
		figure_row(out, "touched", ovc_proc_touched_bytes(p), a);
		figure_row(out, "overcommit gap", ovc_proc_gap_bytes(p),
			   joint ? "at peak: asked for but never touched"
				 : "at peak: live but never touched");
		if (ovc_proc_outside_bytes(p) > 0)
			figure_row(out, "touched outside",
				   ovc_proc_outside_bytes(p),
				   "what ovc saw: stacks, .bss, raw system calls");
		fputs("</table>\n", out);
		bool any = false;
		if (h->commit_limit_bytes > 0 &&
		    p->peak_live_bytes > h->commit_limit_bytes) {
			fprintf(out, "<p class=\"verdict\">peak live %s is more "
				     "than CommitLimit %s: would have failed "
				     "under strict overcommit "
				     "(vm.overcommit_memory=2)</p>\n",
				bytes(p->peak_live_bytes, b),
				bytes(h->commit_limit_bytes, c));
			any = true;
		}
		if (h->mem_total_bytes > 0 &&
		    p->peak_live_bytes > h->mem_total_bytes) {
			fprintf(out, "<p class=\"verdict\">peak live %s is more "
				     "than MemTotal %s: touching it all would "
				     "invoke the OOM killer</p>\n",
				bytes(p->peak_live_bytes, b),
				bytes(h->mem_total_bytes, c));
			any = true;
		}
		if (!any)
			fputs("<p class=\"hint\">no verdict: peak live is within "
			      "CommitLimit and MemTotal</p>\n",
			      out);
		put_diag(out, m, p, sym);
	}
	fputs("<div class=\"chart\">\n", out);
	ovc_render_svg_chart(out, m, p, sym, 0, 0);
	fputs("</div>\n", out);
	if (!charts_only)
		put_sites(out, p, o, sym);
	fputs("</section>\n", out);
}

bool ovc_render_html(const struct ovc_model *m, FILE *out,
		     const struct ovc_render_opts *o, bool charts_only)
{
	struct ovc_symbolizer *sym = o && o->sym ? o->sym : ovc_sym_new();
	size_t *order = malloc((m->nprocs ? m->nprocs : 1) * sizeof *order);
	bool *shown = calloc(m->nprocs ? m->nprocs : 1, sizeof *shown);
	if (!order || !shown) {
		free(order);
		free(shown);
		if (!o || sym != o->sym)
			ovc_sym_free(sym);
		return false;
	}
	size_t n = ovc_svg_pick(m, o ? o->max_detail : 0, order);
	for (size_t i = 0; i < n; i++)
		shown[order[i]] = true;

	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		     "<meta charset=\"utf-8\">\n"
		     "<meta name=\"viewport\" content=\"width=device-width\">\n"
		     "<title>ovc %s</title>\n<style>%s</style>\n</head>\n"
		     "<body>\n<h1>ovc %s: how much of the requested memory "
		     "was touched</h1>\n",
		charts_only ? "charts" : "report", css,
		charts_only ? "charts" : "report");
	if (m->nprocs == 0)
		fputs("<p>no process logs</p>\n", out);
	if (!charts_only) {
		put_runs(out, m);
		if (m->nprocs)
			put_table(out, m, shown);
	}
	for (size_t i = 0; i < n; i++)
		put_proc(out, m, order[i], o, sym, charts_only);
	if (n < m->nprocs)
		fprintf(out, "<p class=\"hint\">%zu more processes with a "
			     "smaller peak live are in the table only.</p>\n",
			m->nprocs - n);
	if (!charts_only) {
		put_host(out, &m->host);
		/* The text report too, for grep and for copying into an
		 * issue. */
		char *buf = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&buf, &len);
		if (mem) {
			struct ovc_render_opts to = {0};
			if (o)
				to = *o;
			to.sym = sym;
			ovc_render_text(m, mem, &to);
			fclose(mem);
			fputs("<details><summary>the text report</summary><pre>",
			      out);
			put_lines(out, buf);
			fputs("</pre></details>\n", out);
			free(buf);
		}
	}
	fputs("</body>\n</html>\n", out);
	free(order);
	free(shown);
	if (!o || sym != o->sym)
		ovc_sym_free(sym);
	return !ferror(out);
}
