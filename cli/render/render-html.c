/* `ovc report --html` and `ovc plot --html`: one self-contained page that
 * opens with the findings (render-html-findings.c), then the processes
 * ranked, then the ones in detail with their charts. */
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
#include "render/render-text.h"

#define HTML_PAGE_ROWS 200   /* rows of each collapsed page of processes */
#define HTML_RUN_CHARS 80    /* characters of a run's command, shortened */

static const char css[] =
	"body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:14px;"
	"margin:24px;color:#212529;background:#fff;max-width:1100px}"
	"h1{font-size:22px}h2{font-size:18px;margin-top:32px;"
	"border-bottom:1px solid #dee2e6;padding-bottom:4px}"
	"h3{font-size:15px;margin:18px 0 6px}"
	"table{border-collapse:collapse;font-size:13px;margin:8px 0}"
	"th,td{border:1px solid #dee2e6;padding:3px 8px;text-align:right;"
	"vertical-align:top;white-space:nowrap}"
	"th{background:#f1f3f5;white-space:normal}td.l,th.l{text-align:left}"
	"td.w{white-space:normal}"
	"code,pre{font-family:'DejaVu Sans Mono',Menlo,monospace;"
	"font-size:12px}"
	"pre{background:#f8f9fa;border:1px solid #dee2e6;padding:8px;"
	"overflow-x:auto;margin:4px 0}"
	"code[title]{cursor:help}"
	".verdict{color:#c92a2a;font-weight:bold}.hint{color:#495057}"
	".oom{background:#fff5f5;border:1px solid #ffc9c9;padding:6px 10px}"
	"details summary{cursor:pointer;color:#1971c2}"
	"details ol{margin:4px 0 4px 0;padding-left:28px}"
	"ul.findings{margin:4px 0;padding-left:22px}"
	"ul.findings li{margin:2px 0}"
	".wide{overflow-x:auto}"
	".chart{overflow-x:auto;margin:8px 0}";

void ovc_html_end(FILE *out, const struct ovc_proc *p)
{
	char e[64];
	fputs(ovc_text_end_words(p, true, e, sizeof e), out);
}

/* The command line ARGV[ARGC] as <code>: its program's name (not the
 * path) and its arguments, cut to MAX characters with an ellipsis; the
 * whole line (and EXE where it is not argv[0]) in the title, shown on
 * hover. */
void ovc_html_put_args(FILE *out, size_t argc, char *const *argv,
		     const char *exe, size_t max)
{
	char whole[640], shown[1024]; /* a title longer is no help */
	ovc_render_command(argc, argv, exe, whole, sizeof whole);
	size_t o = 0, chars = 0;
	bool cut = false;
	if (argc == 0) {
		snprintf(shown, sizeof shown, "%s",
			 exe && exe[0] ? ovc_path_base(exe) : "(unknown)");
	} else {
		for (size_t i = 0; i < argc && !cut; i++) {
			const char *a = i ? argv[i] : ovc_path_base(argv[0]);
			if (i && chars >= max) {
				cut = true;
				break;
			}
			if (i && o + 1 < sizeof shown) {
				shown[o++] = ' ';
				chars++;
			}
			for (; *a && !cut; a++) {
				bool lead = ((unsigned char)*a & 0xc0) != 0x80;
				if (o + 8 >= sizeof shown ||
				    (lead && chars >= max)) {
					cut = true;
					break;
				}
				shown[o++] = *a;
				chars += lead;
			}
		}
		shown[o] = '\0';
		if (cut)
			strcpy(shown + o, "\xe2\x80\xa6"); /* … */
	}
	bool differs = cut || strcmp(shown, whole) != 0;
	fputs("<code", out);
	if (differs) {
		fputs(" title=\"", out);
		ovc_put_xml(out, whole);
		if (argc && exe && exe[0] && strcmp(exe, argv[0]) != 0) {
			fputs(" (executable ", out);
			ovc_put_xml(out, exe);
			fputc(')', out);
		}
		fputc('"', out);
	}
	fputc('>', out);
	ovc_put_xml(out, shown);
	fputs("</code>", out);
}

/* P's command line, as ovc_html_put_args() writes it. */
void ovc_html_put_cmd(FILE *out, const struct ovc_proc *p, size_t max)
{
	ovc_html_put_args(out, p->argc, p->argv, p->exe, max);
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
			ovc_bytes(h->mem_total_bytes, a));
	if (h->mem_available_bytes >= 0)
		fprintf(out, "<tr><th class=\"l\">MemAvailable</th><td>%s</td>"
			     "<td class=\"l\">free for programs when the "
			     "first process started</td></tr>\n",
			ovc_bytes(h->mem_available_bytes, a));
	if (h->commit_limit_bytes >= 0)
		fprintf(out, "<tr><th class=\"l\">CommitLimit</th><td>%s</td>"
			     "<td class=\"l\">what strict overcommit "
			     "(vm.overcommit_memory=2) would allow</td></tr>\n",
			ovc_bytes(h->commit_limit_bytes, a));
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
		fputs("<tr><td class=\"l\">", out);
		ovc_html_put_args(out, r->argc, r->argv, NULL, HTML_RUN_CHARS);
		fputs("</td><td class=\"l\">", out);
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

static void table_head(FILE *out, bool verdicts)
{
	fprintf(out, "<div class=\"wide\"><table class=\"procs\">\n<tr>"
		     "<th>#</th><th>pid</th><th class=\"l\">ended</th>"
		     "<th>peak live</th><th>peak virtual</th><th>peak "
		     "resident</th><th>touched ratio</th><th>overcommit "
		     "gap</th><th>time</th><th class=\"l\">command</th>%s"
		     "</tr>\n",
		verdicts ? "<th class=\"l\">verdicts</th>" : "");
}

/* One row of the table of processes: the figures of the text report's
 * table (its parent and touched bytes are in the details). */
static void table_row(FILE *out, const struct ovc_model *m, size_t rank,
		      size_t idx, const bool *shown, bool verdicts)
{
	const struct ovc_proc *p = m->procs[idx];
	char a[24], b[24], c[24], e[24], g[24], t[48];
	double r;
	fprintf(out, "<tr><td>%zu</td><td>", rank + 1);
	if (shown[idx])
		fprintf(out, "<a href=\"#proc-%zu\">%" PRId64 "</a>", idx,
			p->pid);
	else
		fprintf(out, "%" PRId64, p->pid);
	fputs("</td><td class=\"l\">", out);
	ovc_html_end(out, p);
	fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
		     "<td>%s</td><td>%s</td><td class=\"l\">",
		ovc_bytes(p->peak_live_bytes, a), ovc_bytes(p->peak_vm_bytes, b),
		ovc_bytes(p->peak_rss_bytes, c),
		ovc_proc_touched_ratio(p, &r) ? ovc_render_percent(r, e, sizeof e)
					      : "-",
		ovc_bytes(ovc_proc_gap_bytes(p), g),
		ovc_render_duration(ovc_proc_duration_ns(p), t, sizeof t));
	ovc_html_put_cmd(out, p, OVC_HTML_CMD_CHARS);
	fputs("</td>", out);
	if (verdicts) {
		const char *v[2];
		size_t nv = ovc_proc_verdicts(p, &m->host, v);
		fputs("<td class=\"l verdict\">", out);
		for (size_t j = 0; j < nv; j++)
			fprintf(out, "%s%s", j ? "<br>" : "", v[j]);
		fputs("</td>", out);
	}
	fputs("</tr>\n", out);
}

/* The processes ranked (ORDER), the first ROWS in view, the others in
 * collapsed pages of HTML_PAGE_ROWS. */
static void put_table(FILE *out, const struct ovc_model *m,
		      const size_t *order, size_t rows, const char *what,
		      const bool *shown)
{
	char a[32], b[32], c[32];
	size_t first = m->nprocs < rows ? m->nprocs : rows;
	bool verdicts = false; /* a column only where there is one */
	for (size_t i = 0; i < m->nprocs && !verdicts; i++) {
		const char *v[2];
		verdicts = ovc_proc_verdicts(m->procs[i], &m->host, v) > 0;
	}
	fprintf(out, "<section id=\"processes\">\n<h2>processes, %s</h2>\n",
		what);
	table_head(out, verdicts);
	for (size_t i = 0; i < first; i++)
		table_row(out, m, i, order[i], shown, verdicts);
	fputs("</table></div>\n", out);
	for (size_t from = first; from < m->nprocs; from += HTML_PAGE_ROWS) {
		size_t to = from + HTML_PAGE_ROWS < m->nprocs
				    ? from + HTML_PAGE_ROWS
				    : m->nprocs;
		fprintf(out, "<details class=\"page\"><summary>processes %s to "
			     "%s of %s</summary>\n",
			ovc_render_count((int64_t)from + 1, a, sizeof a),
			ovc_render_count((int64_t)to, b, sizeof b),
			ovc_render_count((int64_t)m->nprocs, c, sizeof c));
		table_head(out, verdicts);
		for (size_t i = from; i < to; i++)
			table_row(out, m, i, order[i], shown, verdicts);
		fputs("</table></div>\n</details>\n", out);
	}
	fputs("</section>\n", out);
}

static void put_page_head(FILE *out, bool charts_only)
{
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		     "<meta charset=\"utf-8\">\n"
		     "<meta name=\"viewport\" content=\"width=device-width\">\n"
		     "<title>ovc %s</title>\n<style>%s</style>\n</head>\n"
		     "<body>\n<h1>ovc %s: how much of the requested memory "
		     "was touched</h1>\n",
		charts_only ? "charts" : "report", css,
		charts_only ? "charts" : "report");
}

/* Process IDX of M as a section with its chart alone. */
static void put_chart_section(FILE *out, const struct ovc_model *m,
			      size_t idx, struct ovc_symbolizer *sym)
{
	const struct ovc_proc *p = m->procs[idx];
	fprintf(out, "<section class=\"proc\" id=\"proc-%zu\">\n<h2>process "
		     "%" PRId64 ": ",
		idx, p->pid);
	ovc_html_put_cmd(out, p, OVC_HTML_CMD_CHARS);
	fputs("</h2>\n<div class=\"chart\">\n", out);
	ovc_render_svg_chart(out, m, p, sym, 0, 0);
	fputs("</div>\n</section>\n", out);
}

/* `ovc plot --html`: the charts ovc_svg_pick() picks, under what it left
 * out. */
static bool put_charts_page(const struct ovc_model *m, FILE *out,
			    const struct ovc_render_opts *o, const char *only,
			    struct ovc_symbolizer *sym)
{
	size_t *order = malloc((m->nprocs ? m->nprocs : 1) * sizeof *order);
	if (!order)
		return false;
	struct ovc_svg_picked w;
	size_t n = ovc_svg_pick(m, o ? o->max_detail : 0, only, order, &w);
	char lines[OVC_SVG_NOTE_LINES][OVC_SVG_LINE_SIZE];
	size_t nl = m->nprocs ? ovc_svg_pick_lines(m, order, &w, only, lines)
			      : 0;
	put_page_head(out, true);
	if (m->nprocs == 0)
		fputs("<p>no process logs</p>\n", out);
	for (size_t i = 0; i < nl; i++) {
		fputs("<p class=\"hint note\">", out);
		ovc_put_xml(out, lines[i]);
		fputs("</p>\n", out);
	}
	for (size_t i = 0; i < n; i++)
		put_chart_section(out, m, order[i], sym);
	fputs("</body>\n</html>\n", out);
	free(order);
	return !ferror(out);
}

/* The order of the processes in words: "largest overcommit gap first". */
static const char *rank_words(enum ovc_proc_sort key, char *buf, size_t size)
{
	if (key == OVC_PSORT_TIME)
		snprintf(buf, size, "longest first");
	else
		snprintf(buf, size, "%s %s first",
			 key == OVC_PSORT_REQUESTED ? "most" : "largest",
			 key == OVC_PSORT_GAP	 ? "overcommit gap"
			 : key == OVC_PSORT_LIVE ? "peak live"
			 : key == OVC_PSORT_RSS	 ? "peak resident"
						 : ovc_proc_sort_name(key));
	return buf;
}

bool ovc_render_html(const struct ovc_model *m, FILE *out,
		     const struct ovc_render_opts *o, bool charts_only,
		     const char *only)
{
	struct ovc_render_opts to;
	ovc_render_opts_resolve(o, &to);
	struct ovc_symbolizer *sym = to.sym;
	bool ok = true;
	if (charts_only) {
		ok = put_charts_page(m, out, o, only, sym);
		ovc_render_opts_done(o, &to);
		return ok;
	}
	size_t *order = malloc((m->nprocs ? m->nprocs : 1) * sizeof *order);
	bool *shown = calloc(m->nprocs ? m->nprocs : 1, sizeof *shown);
	if (!order || !shown) {
		free(order);
		free(shown);
		ovc_render_opts_done(o, &to);
		return false;
	}
	enum ovc_proc_sort key = o ? o->proc_sort : OVC_PSORT_GAP;
	ovc_rank_procs(m, key, order);
	size_t detail = o && o->max_detail ? o->max_detail : 8;
	if (detail > m->nprocs)
		detail = m->nprocs;
	for (size_t i = 0; i < detail; i++)
		shown[order[i]] = true;
	/* On a suite the first by gap are often brief, with no chart: the
	 * charts of as many others with a course over time follow them. */
	size_t *more = malloc((m->nprocs ? m->nprocs : 1) * sizeof *more);
	size_t nmore = 0;
	if (more) {
		size_t n = ovc_svg_pick(m, m->nprocs ? m->nprocs : 1, NULL,
					more, NULL);
		for (size_t i = 0; i < n && nmore < detail; i++)
			if (!shown[more[i]]) {
				shown[more[i]] = true;
				more[nmore++] = more[i];
			}
	}
	size_t rows = o && o->max_rows ? o->max_rows : OVC_ROWS_DEFAULT;

	put_page_head(out, false);
	if (m->nprocs == 0)
		fputs("<p>no process logs</p>\n", out);
	put_runs(out, m);
	if (m->nprocs) {
		ovc_html_findings(out, m, order, shown, o, sym);
		char words[64];
		put_table(out, m, order, rows,
			  rank_words(key, words, sizeof words), shown);
	}
	if (detail) {
		char a[32];
		fprintf(out, "<h2>in detail: %s%s</h2>\n",
			detail < m->nprocs ? "the first " : "",
			detail < m->nprocs
				? ovc_render_count((int64_t)detail, a, sizeof a)
				: "every process");
		if (detail < m->nprocs)
			fprintf(out, "<p class=\"hint\">of the processes above, "
				     "in their order; the others are in the "
				     "table only</p>\n");
	}
	for (size_t i = 0; i < detail; i++)
		ovc_html_put_proc(out, m, order[i], o, sym);
	if (nmore)
		fputs("<h2>charts of other processes with a course over "
		      "time</h2>\n<p class=\"hint\">those with 5 samples or "
		      "more, largest overcommit gap first; <code>ovc plot "
		      "--only PATTERN</code> charts the ones you pick</p>\n",
		      out);
	for (size_t i = 0; i < nmore; i++)
		put_chart_section(out, m, more[i], sym);
	free(more);
	put_host(out, &m->host);
	/* The text report too, for grep and for copying into an issue. */
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (mem) {
		ovc_render_text(m, mem, &to);
		fclose(mem);
		fputs("<details><summary>the text report</summary><pre>", out);
		ovc_html_put_lines(out, buf);
		fputs("</pre></details>\n", out);
		free(buf);
	}
	fputs("</body>\n</html>\n", out);
	free(order);
	free(shown);
	ovc_render_opts_done(o, &to);
	return !ferror(out);
}
