/* A process's section of the HTML report: its figures, its sites with
 * their stacks, its diagnosis and its chart (render-html.c writes the
 * page around it). */
#include "render/render-html.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ovc/options.h"
#include "read/frames.h"
#include "analyze/diagnose.h"
#include "render/format.h"
#include "render/render-html-findings.h"
#include "render/render-svg.h"

#define HTML_SITES_DEFAULT 20
#define HTML_FRAMES_DEFAULT 16 /* frames of a stack unless --frames */

static void figure_row(FILE *out, const char *name, int64_t v,
		       const char *note)
{
	char a[24];
	fprintf(out, "<tr><th class=\"l\">%s</th><td>%s</td><td class=\"l\">"
		     "%s</td></tr>\n",
		name, ovc_bytes(v, a), note);
}

/* The frames of site S of P, innermost first, at most MAX of them. */
static void put_frames(FILE *out, const struct ovc_proc *p,
		       const struct ovc_site *s, size_t max,
		       struct ovc_symbolizer *sym)
{
	size_t n = s->nframes < max ? s->nframes : max;
	fputs("<ol start=\"0\">", out);
	for (size_t i = 0; i < n; i++) {
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
	if (n < s->nframes)
		fprintf(out, "<p class=\"hint\">%zu more frames: "
			     "<code>--frames all</code> shows them</p>",
			s->nframes - n);
	if (s->frames_dropped)
		fprintf(out, "<p class=\"hint\">%zu more frames not kept</p>",
			s->frames_dropped);
}

/* The cells of a row of sites: the rank R (from 1), then the bytes
 * untouched, requested and touched and the touched ratio of F. */
void ovc_html_site_cells(FILE *out, size_t r, const struct ovc_site_figures *f)
{
	char a[24], b[24], c[24], d[24];
	fprintf(out, "<tr><td>%zu</td><td>%s</td><td>%s</td><td>%s</td>"
		     "<td>%s</td>",
		r, ovc_bytes(f->untouched_bytes, a), ovc_bytes(f->requested_bytes, b),
		ovc_bytes(f->touched_bytes, c),
		f->has_ratio ? ovc_render_percent(f->touched_ratio, d, sizeof d)
			     : "-");
}

/* The end of a row of sites: site S of P in a <details>, its frames
 * inside. */
void ovc_html_site_stack_cell(FILE *out, const struct ovc_proc *p,
			      const struct ovc_site *s, bool estimated,
			      bool with_exe, const struct ovc_render_opts *o,
			      struct ovc_symbolizer *sym)
{
	char label[512];
	fputs("<td class=\"l w\"><details><summary><code>", out);
	if (with_exe) {
		ovc_put_xml(out, p->exe[0] ? ovc_path_base(p->exe) : "?");
		fputs(": ", out);
	}
	ovc_put_xml(out, ovc_site_label(sym, p, s, label, sizeof label));
	fprintf(out, "</code>%s</summary>",
		estimated ? " <span class=\"hint\">(estimated)</span>" : "");
	put_frames(out, p, s,
		   o && o->frames_set ? o->max_frames : HTML_FRAMES_DEFAULT, sym);
	fputs("</details></td></tr>\n", out);
}

static void put_sites(FILE *out, const struct ovc_proc *p,
		      const struct ovc_render_opts *o,
		      struct ovc_symbolizer *sym)
{
	char a[24], b[24];
	size_t ranked, shown;
	size_t *order = ovc_render_rank_sites(p, o, HTML_SITES_DEFAULT, &ranked,
					      &shown);
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
		ovc_html_site_cells(out, r + 1, &f);
		fprintf(out, "<td>%s</td><td>%s</td><td>%s</td>",
			ovc_bytes(f.peak_live_bytes, a),
			ovc_bytes(ovc_site_live_touched(s), b),
			ovc_render_count(f.blocks, n, sizeof n));
		ovc_html_site_stack_cell(out, p, s, f.estimated, false, o, sym);
	}
	fputs("</table>\n", out);
	if (ranked > shown)
		fprintf(out, "<p class=\"hint\">%zu more sites: "
			     "<code>--top N</code> shows more</p>\n",
			ranked - shown);
	free(order);
}

/* Writes TEXT escaped, keeping its line breaks (for <pre>). */
void ovc_html_put_lines(FILE *out, char *text)
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
		ovc_html_put_lines(out, buf);
		fputs("</pre>\n", out);
	}
	free(buf);
}

void ovc_html_put_proc(FILE *out, const struct ovc_model *m, size_t idx,
		       const struct ovc_render_opts *o,
		       struct ovc_symbolizer *sym)
{
	const struct ovc_proc *p = m->procs[idx];
	char a[64], b[24], c[24];
	const struct ovc_host *h = &m->host;
	fprintf(out, "<section class=\"proc\" id=\"proc-%zu\">\n<h2>process "
		     "%" PRId64 ": ",
		idx, p->pid);
	ovc_html_put_cmd(out, p, OVC_HTML_CMD_CHARS);
	fputs("</h2>\n", out);
	fputs("<p>exe <code>", out);
	ovc_put_xml(out, p->exe[0] ? p->exe : "(unknown)");
	fprintf(out, "</code>, pid %" PRId64 ", ppid %" PRId64
		     ", %s, ended: ",
		p->pid, p->ppid,
		ovc_render_duration(ovc_proc_duration_ns(p), a, sizeof a));
	ovc_html_end(out, p);
	fputs("</p>\n<table>\n", out);
	figure_row(out, "requested", ovc_proc_total_requested(p),
		   "bytes asked for over the whole run");
	char note[160];
	figure_row(out, "peak live", p->peak_live_bytes,
		   ovc_render_bound_note(p->peak_live_bytes,
					 p->peak_live_bound_bytes,
					 "requested and not yet freed", note,
					 sizeof note));
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
			ovc_bytes(p->peak_live_bytes, b),
			ovc_bytes(h->commit_limit_bytes, c));
		any = true;
	}
	if (h->mem_total_bytes > 0 &&
	    p->peak_live_bytes > h->mem_total_bytes) {
		fprintf(out, "<p class=\"verdict\">peak live %s is more "
			     "than MemTotal %s: touching it all would "
			     "invoke the OOM killer</p>\n",
			ovc_bytes(p->peak_live_bytes, b),
			ovc_bytes(h->mem_total_bytes, c));
		any = true;
	}
	if (!any)
		fputs("<p class=\"hint\">no verdict: peak live is within "
		      "CommitLimit and MemTotal</p>\n",
		      out);
	put_diag(out, m, p, sym);
	if (ovc_svg_chartable(p)) {
		fputs("<div class=\"chart\">\n", out);
		ovc_render_svg_chart(out, m, p, sym, 0, 0);
		fputs("</div>\n", out);
	} else {
		fprintf(out, "<p class=\"hint nochart\">no chart: %" PRIu64
			     " sample%s, too few for a course over time (it "
			     "ran %s; one sample every OVC_INTERVAL)</p>\n",
			p->samples, p->samples == 1 ? "" : "s",
			ovc_render_duration(ovc_proc_duration_ns(p), a,
					    sizeof a));
	}
	put_sites(out, p, o, sym);
	fputs("</section>\n", out);
}
