/* SVG charts of a process's memory over time: live requested, virtual,
 * resident and anonymous resident bytes against MemTotal and CommitLimit,
 * drawn from the reduced series the reader kept (series.h); which
 * processes of a run get one: render-svg-pick.c; its axes:
 * render-svg-axes.c; the width of its text: render-svg-text.c. */
#include "render/render-svg.h"
#include "render/render-svg-axes.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ovc/options.h"
#include "read/frames.h"
#include "read/series.h"
#include "analyze/diagnose.h"
#include "render/format.h"
#include "render/render.h"
#include "render/render-text.h"

#define SITE_LINE 17
#define SITES_SHOWN 3

static const char *const colors[OVC_SER_COUNT] = {
	[OVC_SER_LIVE] = "#d9480f", /* what was asked for */
	[OVC_SER_VM] = "#7048e8",   /* what was reserved */
	[OVC_SER_RSS] = "#1971c2",  /* what is in RAM */
	[OVC_SER_ANON] = "#2b8a3e", /* of it, the program's own */
};
static const char *const dashes[OVC_SER_COUNT] = {
	[OVC_SER_LIVE] = "", [OVC_SER_VM] = " stroke-dasharray=\"7 3\"",
	[OVC_SER_RSS] = "", [OVC_SER_ANON] = " stroke-dasharray=\"2 2\"",
};

static size_t sites_to_name(const struct ovc_proc *p, size_t *order)
{
	size_t n = ovc_proc_rank_sites(p, OVC_SORT_UNTOUCHED, order), k = 0;
	for (size_t i = 0; i < n && k < SITES_SHOWN; i++) {
		struct ovc_site_figures f;
		ovc_site_figures(&p->sites[order[i]], &f);
		if (f.untouched_bytes <= 0)
			break;
		order[k++] = order[i];
	}
	return k;
}

static size_t named_sites_count(const struct ovc_proc *p)
{
	size_t *order = malloc((p->nsites ? p->nsites : 1) * sizeof *order);
	size_t n = order ? sites_to_name(p, order) : 0;
	free(order);
	return n;
}

int ovc_svg_chart_height(const struct ovc_proc *p)
{
	size_t n = named_sites_count(p);
	return PT + PH + 44 + (n ? (int)(n + 1) * SITE_LINE : 0) + 8;
}

/* A label in the right margin: the value of a peak or a reference line. */
struct mlabel {
	double want;   /* baseline it wants: its value's height + 4 */
	double y;      /* baseline it got */
	double at;     /* height of its value; < 0: above or below the axis */
	const char *color;
	char text[64];
	int series;    /* OVC_SER_*, or -1 for a reference line */
	int ref;       /* a reference line: 0 MemTotal, 1 CommitLimit; -1 */
};

static int cmp_mlabel(const void *a, const void *b)
{
	const struct mlabel *x = a, *y = b;
	return x->want < y->want ? -1 : x->want > y->want;
}

/* Stacks the labels L[N] 13 units apart at least, each as near the height
 * it wants as the others leave, between TOP and BOTTOM (baselines). */
static void place_labels(struct mlabel *l, size_t n, double top,
			 double bottom)
{
	qsort(l, n, sizeof *l, cmp_mlabel);
	for (size_t i = 0; i < n; i++) {
		l[i].y = l[i].want < top ? top : l[i].want;
		if (i && l[i].y < l[i - 1].y + 13)
			l[i].y = l[i - 1].y + 13;
	}
	for (size_t i = n; i-- > 0;) {
		double lim = i + 1 < n ? l[i + 1].y - 13 : bottom;
		if (l[i].y > lim)
			l[i].y = lim;
	}
}

/* The peaks of P that its table prints, per series: what the chart labels
 * and marks, so that a figure drawn is the figure printed. */
static void proc_peaks(const struct ovc_proc *p, int64_t peaks[OVC_SER_COUNT])
{
	peaks[OVC_SER_LIVE] = p->peak_live_bytes;
	peaks[OVC_SER_VM] = p->peak_vm_bytes;
	peaks[OVC_SER_RSS] = p->peak_rss_bytes;
	peaks[OVC_SER_ANON] = p->peak_anon_rss_bytes;
}

/* What one chart draws, and where it is drawing it. */
struct chart {
	FILE *out;
	const struct ovc_proc *p;
	const struct ovc_series *s; /* NULL: no samples */
	struct ovc_diagnosis dg;
	/* The series' points and the peaks the tables print. */
	int64_t peaks[OVC_SER_COUNT];
	struct ovc_point *pts[OVC_SER_COUNT];
	size_t npts[OVC_SER_COUNT];
	int64_t dur; /* ns, the width of the time axis */
	/* MemTotal and CommitLimit, and whether each is drawn as a line. */
	int64_t refs[2];
	bool ref_drawn[2];
	struct ovc_svg_scale ys;
	/* The labels of the right margin: reference lines and peaks. */
	struct mlabel ml[2 + OVC_SER_COUNT];
	size_t nml;
};

static const char *const ref_names[2] = {"MemTotal", "CommitLimit"};
static const char *const ref_colors[2] = {"#212529", "#868e96"};
/* The series; live requested last, on top: it is what the program asked
 * for. */
static const int draw_order[OVC_SER_COUNT] = {OVC_SER_VM, OVC_SER_RSS,
					       OVC_SER_ANON, OVC_SER_LIVE};

/* Reads the points of C's series (C->pts to free) and chooses the axes
 * for them, their peaks and the reference lines of host H. */
static void chart_data(struct chart *c, const struct ovc_host *h)
{
	const struct ovc_series *s = c->s;
	proc_peaks(c->p, c->peaks);
	double minpos = 0, max = 0, peak_lo = 0, peak_hi = 0;
	int64_t dur = 0;
	for (int i = 0; i < OVC_SER_COUNT; i++) {
		if (s && (c->pts[i] = malloc(2 * OVC_SERIES_MAX_BUCKETS *
					     sizeof *c->pts[i])))
			c->npts[i] = ovc_series_points(s, (enum ovc_series_id)i,
						       c->pts[i]);
		for (size_t j = 0; j < c->npts[i]; j++) {
			double v = (double)c->pts[i][j].bytes;
			if (v > 0 && (minpos == 0 || v < minpos))
				minpos = v;
			if (v > max)
				max = v;
			if (c->pts[i][j].t_ns > dur)
				dur = c->pts[i][j].t_ns;
		}
		double pk = (double)c->peaks[i];
		if (pk > 0) {
			if (peak_lo == 0 || pk < peak_lo)
				peak_lo = pk;
			if (pk > peak_hi)
				peak_hi = pk;
			if (pk > max)
				max = pk;
		}
	}
	/* MemTotal and CommitLimit are drawn where the data comes within a
	 * factor 2 of them; far above it, they would squash the data into a
	 * band at the bottom, so they are only named, with an arrow. */
	c->refs[0] = h->mem_total_bytes;
	c->refs[1] = h->commit_limit_bytes;
	double data_max = max;
	for (int i = 0; i < 2; i++) {
		double v = (double)c->refs[i];
		if (v <= 0 || v > 2 * data_max)
			continue;
		c->ref_drawn[i] = true;
		if (v > max)
			max = v;
		if (peak_lo == 0 || v < peak_lo)
			peak_lo = v;
		if (v > peak_hi)
			peak_hi = v;
	}
	if (dur < 1000000)
		dur = 1000000; /* at least 1 ms wide */
	c->dur = dur;
	ovc_svg_choose_scale(&c->ys, peak_lo, peak_hi, minpos, max);
	for (int i = 0; i < 2; i++)
		if (c->ref_drawn[i] && (double)c->refs[i] < c->ys.lo)
			c->ref_drawn[i] = false;
}

/* The <svg> element's start at (X0, Y0), HEIGHT high, and the title: the
 * process, its command line cut to the width with an ellipsis (all of it
 * on hover); under it how long, how it ended. */
static void put_head(const struct chart *c, int x0, int y0, int height)
{
	FILE *out = c->out;
	const struct ovc_proc *p = c->p;
	char a[64], text[512];
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" x=\"%d\" y=\"%d\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
		"class=\"ovc-chart\" data-pid=\"%" PRId64 "\" data-scale=\"%s\" "
		"data-y-lo=\"%.0f\" data-y-hi=\"%.0f\" data-log=\"",
		x0, y0, W, height, W, height, p->pid,
		c->ys.log ? "log" : "linear", c->ys.lo, c->ys.hi);
	ovc_put_xml(out, p->log_name ? p->log_name : "");
	fputs("\">\n", out);
	fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W,
		height);
	char cmd[4096], title[4200];
	ovc_svg_command_line(p, cmd, sizeof cmd);
	snprintf(title, sizeof title, "process %" PRId64 ": %s", p->pid, cmd);
	fputs("<text class=\"title\" x=\"12\" y=\"22\" font-size=\"15\" "
	      "font-weight=\"bold\" fill=\"#212529\"><title>",
	      out);
	ovc_put_xml(out, title);
	fputs("</title>", out);
	ovc_put_xml(out, ovc_svg_fit_text(title, 15, W - 24, text, sizeof text));
	fputs("</text>\n", out);
	char end[48];
	ovc_text_end_words(p, false, end, sizeof end);
	const char *killed = !c->dg.killed ? NULL
			     : c->dg.likely_oom ? "likely killed by the OOM killer"
						: "killed or crashed";
	snprintf(text, sizeof text,
		 "%s, %" PRIu64 " samples (%zu points drawn per series at "
		 "most), %s; y: %s scale",
		 ovc_render_duration(ovc_proc_duration_ns(p), a, sizeof a),
		 p->samples,
		 c->npts[OVC_SER_LIVE] > c->npts[OVC_SER_RSS]
			 ? c->npts[OVC_SER_LIVE]
			 : c->npts[OVC_SER_RSS],
		 end, c->ys.log ? "log" : "linear");
	double sub_w = W - 24 - (killed ? ovc_svg_text_width(killed, 12) + 16 : 0);
	fprintf(out, "<text class=\"subtitle\" x=\"12\" y=\"41\" "
		     "font-size=\"12\" fill=\"#495057\">%s</text>\n",
		ovc_svg_fit_text(text, 12, sub_w, cmd, sizeof cmd));
	if (killed)
		fprintf(out, "<text x=\"%d\" y=\"41\" font-size=\"12\" "
			     "font-weight=\"bold\" fill=\"#c92a2a\" "
			     "text-anchor=\"end\">%s</text>\n",
			W - 12, killed);
}

/* The legend, on a second row where one is too narrow. */
static void put_legend(const struct chart *c)
{
	char b[24], text[512];
	double lx = 12;
	int ly = 58;
	for (int i = 0; i < OVC_SER_COUNT; i++) {
		snprintf(text, sizeof text, "%s (peak %s)",
			 ovc_series_label((enum ovc_series_id)i),
			 c->peaks[i] >= 0 ? ovc_bytes(c->peaks[i], b) : "none");
		double w = 27 + ovc_svg_text_width(text, 12);
		if (lx > 12 && lx + w > W - 12) {
			lx = 12;
			ly += 16;
		}
		fprintf(c->out,
			"<line x1=\"%.0f\" y1=\"%d\" x2=\"%.0f\" y2=\"%d\" "
			"stroke=\"%s\" stroke-width=\"2.5\"%s/>"
			"<text class=\"legend\" x=\"%.0f\" y=\"%d\" "
			"font-size=\"12\" fill=\"#212529\">%s</text>\n",
			lx, ly - 4, lx + 22, ly - 4, colors[i], dashes[i],
			lx + 27, ly, text);
		lx += w + 18;
	}
}

/* The reference lines drawn, and a margin label for each (with an arrow
 * for one off the axis). */
static void put_refs(struct chart *c)
{
	char b[24];
	for (int i = 0; i < 2; i++) {
		if (c->refs[i] <= 0)
			continue;
		struct mlabel *l = &c->ml[c->nml++];
		memset(l, 0, sizeof *l);
		l->color = ref_colors[i];
		l->series = -1;
		l->ref = i;
		if (c->ref_drawn[i]) {
			double y = ovc_svg_ypos(&c->ys, (double)c->refs[i]);
			l->at = y;
			l->want = y + 4;
			fprintf(c->out,
				"<line class=\"ref\" x1=\"%d\" y1=\"%.1f\" "
				"x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" "
				"stroke-width=\"1.2\" stroke-dasharray=\"9 4\" "
				"data-ref=\"%s\" data-bytes=\"%" PRId64 "\"/>\n",
				ML, y, ML + PW, y, l->color, ref_names[i],
				c->refs[i]);
			snprintf(l->text, sizeof l->text, "%s %s",
				 ref_names[i], ovc_bytes(c->refs[i], b));
		} else {
			bool above = (double)c->refs[i] > c->ys.hi;
			l->at = -1;
			l->want = above ? PT + 4 : PT + PH;
			snprintf(l->text, sizeof l->text, "%s %s %s",
				 ref_names[i], ovc_bytes(c->refs[i], b),
				 above ? "\xe2\x86\x91" : "\xe2\x86\x93");
		}
	}
}

/* Events: where strict overcommit would have refused, where the log ends
 * for a killed process, where the budget refused. */
static void put_events(const struct chart *c)
{
	FILE *out = c->out;
	double dur = (double)c->dur;
	if (c->dg.over_commit) {
		double x = ovc_svg_xpos(c->dg.over_commit->t_ns, dur);
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#f08c00\" stroke-dasharray=\"3 3\"/>"
			"<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
			"fill=\"#e67700\"%s>strict overcommit refuses "
			"here</text>\n",
			x, PT, x, PT + PH, x > ML + PW * 0.7 ? x - 4 : x + 4,
			PT + 12,
			x > ML + PW * 0.7 ? " text-anchor=\"end\"" : "");
	}
	if (c->dg.killed) {
		double x = ovc_svg_xpos(c->dg.last_t_ns, dur);
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#c92a2a\" stroke-width=\"1.5\"/>"
			"<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
			"fill=\"#c92a2a\" text-anchor=\"end\">log ends</text>\n",
			x, PT, x, PT + PH, x - 4, PT + PH - 6);
	}
	const struct ovc_proc_extra *xe = c->p->extra;
	if (xe && xe->nrefuse) {
		for (uint64_t i = 0; i < xe->nrefuse && i < OVC_REFUSE_KEEP; i++) {
			double x = ovc_svg_xpos(xe->refuse[i].t_ns, dur);
			fprintf(out, "<path d=\"M%.1f %d l-4 8 h8 z\" "
				     "fill=\"#c92a2a\"/>\n",
				x, PT + PH - 8);
		}
		fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" "
			     "fill=\"#c92a2a\">%" PRIu64 " allocation%s "
			     "refused by the budget</text>\n",
			ML + 6, PT + PH - 12, xe->nrefuse,
			xe->nrefuse == 1 ? "" : "s");
	}
}

/* The curves of the series, in draw_order. */
static void put_curves(const struct chart *c)
{
	FILE *out = c->out;
	double dur = (double)c->dur;
	for (int k = 0; k < OVC_SER_COUNT; k++) {
		int i = draw_order[k];
		const struct ovc_point *pt = c->pts[i];
		size_t n = c->npts[i];
		if (!n)
			continue;
		int64_t mx = 0;
		for (size_t j = 0; j < n; j++)
			if (pt[j].bytes > mx)
				mx = pt[j].bytes;
		fprintf(out,
			"<polyline class=\"series\" data-series=\"%s\" "
			"data-points=\"%zu\" data-max-bytes=\"%" PRId64 "\" "
			"fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
			"stroke-linejoin=\"round\"%s points=\"",
			ovc_series_name((enum ovc_series_id)i), n, mx,
			colors[i], i == OVC_SER_LIVE ? "2.5" : "1.8", dashes[i]);
		for (size_t j = 0; j < n; j++)
			fprintf(out, "%s%.1f,%.1f", j ? " " : "",
				ovc_svg_xpos(pt[j].t_ns, dur),
				ovc_svg_ypos(&c->ys, (double)pt[j].bytes));
		if (n == 1) /* one sample: a short flat line */
			fprintf(out, " %.1f,%.1f", ovc_svg_xpos(pt[0].t_ns, dur) + 3,
				ovc_svg_ypos(&c->ys, (double)pt[0].bytes));
		fputs("\"/>\n", out);
	}
}

/* The peaks: a dot where each series reached the figure the table prints
 * (one that rose between two samples, at the sample that found it), its
 * value a margin label; the same value of several series at about the
 * same height is one label. */
static void put_peaks(struct chart *c)
{
	const struct ovc_series *s = c->s;
	char b[24], cb[24];
	for (int k = 0; k < OVC_SER_COUNT; k++) {
		int i = draw_order[k];
		int64_t peak = c->peaks[i];
		if (peak <= 0)
			continue;
		int64_t t = s && s->peak[i].bytes == peak ? s->peak[i].t_ns
			    : s && s->last_t_ns >= 0	   ? s->last_t_ns
							   : 0;
		double x = ovc_svg_xpos(t, (double)c->dur), y = ovc_svg_ypos(&c->ys, (double)peak);
		fprintf(c->out,
			"<circle class=\"peak\" data-series=\"%s\" "
			"data-peak-bytes=\"%" PRId64 "\" data-t-ns=\"%" PRId64
			"\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" "
			"stroke=\"#ffffff\"><title>peak %s %s at %.2f "
			"s</title></circle>\n",
			ovc_series_name((enum ovc_series_id)i), peak, t, x, y,
			colors[i], ovc_series_label((enum ovc_series_id)i),
			ovc_bytes(peak, b), (double)t / 1e9);
		bool merged = false;
		for (size_t j = 0; j < c->nml && !merged; j++) {
			const struct mlabel *o = &c->ml[j];
			if (o->series < 0 || fabs(o->at - y) > 3 ||
			    strcmp(o->text, ovc_bytes(peak, cb)) != 0)
				continue;
			merged = true;
		}
		if (merged)
			continue;
		struct mlabel *l = &c->ml[c->nml++];
		memset(l, 0, sizeof *l);
		l->series = i;
		l->ref = -1;
		l->at = y;
		l->want = y + 4;
		l->color = colors[i];
		snprintf(l->text, sizeof l->text, "%s", ovc_bytes(peak, b));
	}
}

/* The labels of the right margin, stacked apart, each with a leader line
 * to its value's height where that is on the axis. */
static void put_margin(struct chart *c)
{
	FILE *out = c->out;
	place_labels(c->ml, c->nml, PT + 4, PT + PH + 4);
	for (size_t i = 0; i < c->nml; i++) {
		const struct mlabel *l = &c->ml[i];
		if (l->at >= 0)
			fprintf(out,
				"<polyline fill=\"none\" stroke=\"%s\" "
				"stroke-width=\"1\" points=\"%d,%.1f %d,%.1f "
				"%d,%.1f\"/>\n",
				l->color, ML + PW, l->at, ML + PW + 5, l->at,
				ML + PW + 10, l->y - 4);
		fprintf(out,
			"<text class=\"%s\" x=\"%d\" y=\"%.1f\" font-size=\"11\" "
			"fill=\"%s\"",
			l->series >= 0 ? "peak-label" : "ref-label", ML + PW + 13,
			l->y, l->color);
		if (l->series < 0 && l->at < 0) /* off the axis */
			fprintf(out, " data-ref=\"%s\" data-bytes=\"%" PRId64
				     "\" data-off=\"%s\"",
				ref_names[l->ref], c->refs[l->ref],
				l->want <= PT + 4 ? "above" : "below");
		fprintf(out, ">%s%s</text>\n", l->series >= 0 ? "peak " : "",
			l->text);
	}
}

/* A note in the plot where there is nothing to draw, or where the peaks
 * disagree. */
static void put_notes(const struct chart *c)
{
	if (!c->s || !c->p->samples)
		fprintf(c->out, "<text x=\"%d\" y=\"%d\" font-size=\"14\" "
				"fill=\"#868e96\" text-anchor=\"middle\">no "
				"samples: the process ended before its first "
				"one</text>\n",
			ML + PW / 2, PT + PH / 2);
	else if (!c->p->kernel_peaks &&
		 c->peaks[OVC_SER_LIVE] > c->peaks[OVC_SER_VM])
		fprintf(c->out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" "
				"fill=\"#495057\">peak live above peak virtual: "
				"virtual was sampled and missed its peak (the "
				"log has no VmPeak)</text>\n",
			ML + 6, PT + 14);
}

/* Line RANK of the sites under the plot, at Y: SITE's figures, the whole
 * line in a tooltip. */
static void put_site(const struct chart *c, struct ovc_symbolizer *sym,
		     const struct ovc_site *site, size_t rank, int y)
{
	FILE *out = c->out;
	char a[64], cb[24], d[24], text[512], label[512], line[1024];
	struct ovc_site_figures f;
	ovc_site_figures(site, &f);
	snprintf(line, sizeof line,
		 "%zu. %s: %s untouched of %s requested (%s touched)%s", rank,
		 ovc_site_label(sym, c->p, site, label, sizeof label),
		 ovc_bytes(f.untouched_bytes, cb), ovc_bytes(f.requested_bytes, d),
		 f.has_ratio ? ovc_render_percent(f.touched_ratio, a, sizeof a)
			     : "-",
		 f.estimated ? ", estimated" : "");
	fprintf(out, "<text x=\"24\" y=\"%d\" font-size=\"12\" "
		     "fill=\"#212529\" class=\"site\"><title>",
		y);
	ovc_put_xml(out, line);
	fputs("</title>", out);
	ovc_put_xml(out, ovc_svg_fit_text(line, 12, W - 36, text, sizeof text));
	fputs("</text>\n", out);
}

/* The sites that left the most untouched, under the plot. */
static void put_sites(const struct chart *c, struct ovc_symbolizer *sym)
{
	const struct ovc_proc *p = c->p;
	size_t *order = malloc((p->nsites ? p->nsites : 1) * sizeof *order);
	size_t ns = order ? sites_to_name(p, order) : 0;
	int y = PT + PH + 56;
	if (ns)
		fprintf(c->out, "<text x=\"12\" y=\"%d\" font-size=\"12\" "
				"font-weight=\"bold\" fill=\"#212529\">most "
				"untouched sites</text>\n",
			y);
	for (size_t i = 0; i < ns; i++)
		put_site(c, sym, &p->sites[order[i]], i + 1,
			 y + (int)(i + 1) * SITE_LINE);
	free(order);
}

void ovc_render_svg_chart(FILE *out, const struct ovc_model *m,
			  const struct ovc_proc *p, struct ovc_symbolizer *sym,
			  int x0, int y0)
{
	struct chart c = {.out = out, .p = p};
	c.s = p->extra ? p->extra->series : NULL;
	ovc_diagnose(m, p, &c.dg);
	chart_data(&c, p->host.known ? &p->host : &m->host);
	put_head(&c, x0, y0, ovc_svg_chart_height(p));
	put_legend(&c);
	ovc_svg_put_axes(out, &c.ys, c.dur);
	put_refs(&c);
	put_events(&c);
	put_curves(&c);
	put_peaks(&c);
	put_margin(&c);
	put_notes(&c);
	put_sites(&c, sym);
	fputs("</svg>\n", out);
	for (int i = 0; i < OVC_SER_COUNT; i++)
		free(c.pts[i]);
}

bool ovc_svg_chartable(const struct ovc_proc *p)
{
	return p->samples >= OVC_SVG_MIN_SAMPLES;
}
