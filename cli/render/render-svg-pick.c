/* Which processes of a run get a chart (the largest by peak, those ONLY
 * names), the lines that name them, and the SVG document of several
 * charts one under another (render-svg.c draws each). */
#include "render/render-svg.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ovc/options.h"
#include "read/frames.h"
#include "read/series.h"
#include "analyze/diagnose.h"
#include "render/format.h"
#include "render/render.h"

/* Layout, in user units. */
#define W OVC_SVG_WIDTH
#define GAP 24  /* between charts of one document */

/* Whether P's executable (ovc_proc_matches) or its command line matches
 * one of the comma-separated shell globs of ONLY. */
static bool picked(const struct ovc_proc *p, const char *only)
{
	if (!only || !only[0] || ovc_proc_matches(p, only))
		return true;
	char cmd[4096], pats[1024], *save = NULL;
	ovc_svg_command_line(p, cmd, sizeof cmd);
	snprintf(pats, sizeof pats, "%s", only);
	for (char *pat = strtok_r(pats, ",", &save); pat;
	     pat = strtok_r(NULL, ",", &save))
		if (fnmatch(pat, cmd, 0) == 0)
			return true;
	return false;
}

static const struct ovc_model *pick_model;

/* Largest overcommit gap first (the report's order), then largest peak
 * live, then longest, then log order. */
static int cmp_pick(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct ovc_proc *x = pick_model->procs[i];
	const struct ovc_proc *y = pick_model->procs[j];
	int64_t gx = ovc_proc_gap_bytes(x), gy = ovc_proc_gap_bytes(y);
	if (gx != gy)
		return gx > gy ? -1 : 1;
	if (x->peak_live_bytes != y->peak_live_bytes)
		return x->peak_live_bytes > y->peak_live_bytes ? -1 : 1;
	int64_t dx = ovc_proc_duration_ns(x), dy = ovc_proc_duration_ns(y);
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return i < j ? -1 : i > j;
}

size_t ovc_svg_pick(const struct ovc_model *m, size_t max, const char *only,
		    size_t *order, struct ovc_svg_picked *what)
{
	struct ovc_svg_picked w = {0};
	if (!max)
		max = 8;
	size_t n = 0;
	for (size_t i = 0; i < m->nprocs; i++)
		if (picked(m->procs[i], only))
			order[n++] = i;
	w.matched = n;
	pick_model = m;
	qsort(order, n, sizeof *order, cmp_pick);
	/* The chartable ones first, in that order; then the short ones. */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t idx = order[i];
		if (!ovc_svg_chartable(m->procs[idx]))
			continue;
		memmove(order + k + 1, order + k, (i - k) * sizeof *order);
		order[k++] = idx;
	}
	w.charted = k < max ? k : max;
	w.beyond = k - w.charted;
	w.brief = n - k;
	w.brief_first = k;
	if (what)
		*what = w;
	return w.charted;
}

size_t ovc_svg_pick_lines(const struct ovc_model *m, const size_t *order,
			  const struct ovc_svg_picked *w, const char *only,
			  char lines[][OVC_SVG_LINE_SIZE])
{
	size_t n = 0;
	char a[32], b[32], c[32];
	if (w->charted == m->nprocs && m->nprocs > 0)
		return 0; /* everything is drawn: nothing to say */
	snprintf(lines[n++], OVC_SVG_LINE_SIZE,
		 "%s of %s process image%s charted%s%s%s, largest overcommit "
		 "gap first%s",
		 ovc_render_count((int64_t)w->charted, a, sizeof a),
		 ovc_render_count((int64_t)m->nprocs, b, sizeof b),
		 m->nprocs == 1 ? "" : "s", only && *only ? " (of " : "",
		 only && *only ? ovc_render_count((int64_t)w->matched, c,
						  sizeof c)
			       : "",
		 only && *only ? " matching --only)" : "",
		 w->beyond ? "; --max N charts more" : "");
	if (w->brief) {
		int o = snprintf(lines[n], OVC_SVG_LINE_SIZE,
				 "%s ran too briefly for a chart (fewer than "
				 "%d samples): ",
				 ovc_render_count((int64_t)w->brief, a, sizeof a),
				 OVC_SVG_MIN_SAMPLES);
		/* Their commands, the same one once with its count. */
		char names[6][96];
		size_t counts[6] = {0}, kinds = 0, other = 0;
		for (size_t i = 0; i < w->brief; i++) {
			const struct ovc_proc *p = m->procs[order[w->brief_first + i]];
			char cmd[96];
			ovc_svg_short_command(p, cmd, sizeof cmd);
			size_t k = 0;
			while (k < kinds && strcmp(names[k], cmd) != 0)
				k++;
			if (k == kinds && kinds < 6)
				memcpy(names[kinds++], cmd, sizeof cmd);
			if (k < kinds)
				counts[k]++;
			else
				other++;
		}
		for (size_t k = 0; k < kinds && o > 0 &&
				   (size_t)o < OVC_SVG_LINE_SIZE;
		     k++) {
			char fit[128];
			o += snprintf(lines[n] + o, OVC_SVG_LINE_SIZE - (size_t)o,
				      "%s%s", k ? ", " : "",
				      ovc_svg_fit_text(names[k], 12, 220, fit, sizeof fit));
			if (counts[k] > 1 && o > 0 && (size_t)o < OVC_SVG_LINE_SIZE)
				o += snprintf(lines[n] + o,
					      OVC_SVG_LINE_SIZE - (size_t)o,
					      " \xc3\x97%s",
					      ovc_render_count((int64_t)counts[k],
							       a, sizeof a));
		}
		if (other && o > 0 && (size_t)o < OVC_SVG_LINE_SIZE)
			snprintf(lines[n] + o, OVC_SVG_LINE_SIZE - (size_t)o,
				 " and %s more",
				 ovc_render_count((int64_t)other, a, sizeof a));
		n++;
	}
	snprintf(lines[n++], OVC_SVG_LINE_SIZE,
		 "--only PATTERN picks processes by executable or command "
		 "line (shell globs, comma-separated)");
	if (w->brief)
		snprintf(lines[n++], OVC_SVG_LINE_SIZE,
			 "OVC_INTERVAL=1 samples short processes every "
			 "millisecond; `ovc report` has the figures of all");
	return n;
}

bool ovc_render_svg(const struct ovc_model *m, FILE *out, size_t max,
		    const char *only, struct ovc_symbolizer *sym)
{
	size_t *order = malloc((m->nprocs ? m->nprocs : 1) * sizeof *order);
	if (!order)
		return false;
	struct ovc_svg_picked w;
	size_t n = ovc_svg_pick(m, max, only, order, &w);
	char lines[OVC_SVG_NOTE_LINES][OVC_SVG_LINE_SIZE], text[512];
	size_t nl = m->nprocs ? ovc_svg_pick_lines(m, order, &w, only, lines)
			      : 0;
	int head = nl ? (int)nl * 17 + 14 : 0;
	int total = head;
	for (size_t i = 0; i < n; i++)
		total += ovc_svg_chart_height(m->procs[order[i]]) +
			 (i ? GAP : 0);
	if (n == 0 && !nl)
		total = 60;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
		"<title>ovc: requested, virtual and resident memory over "
		"time</title>\n"
		"<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
		W, total, W, total, W, total);
	if (m->nprocs == 0)
		fputs("<text x=\"12\" y=\"30\" font-size=\"14\">no process "
		      "logs</text>\n",
		      out);
	for (size_t i = 0; i < nl; i++) {
		fprintf(out, "<text class=\"note\" x=\"12\" y=\"%zu\" "
			     "font-size=\"12\" fill=\"#495057\"><title>",
			18 + 17 * i);
		ovc_put_xml(out, lines[i]);
		fputs("</title>", out);
		ovc_put_xml(out, ovc_svg_fit_text(lines[i], 12, W - 24, text, sizeof text));
		fputs("</text>\n", out);
	}
	int y = head;
	for (size_t i = 0; i < n; i++) {
		ovc_render_svg_chart(out, m, m->procs[order[i]], sym, 0, y);
		y += ovc_svg_chart_height(m->procs[order[i]]) + GAP;
	}
	fputs("</svg>\n", out);
	free(order);
	return !ferror(out);
}
