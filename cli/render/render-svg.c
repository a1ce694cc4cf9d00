/* SVG charts of a process's memory over time: live requested, virtual,
 * resident and anonymous resident bytes against MemTotal and CommitLimit,
 * drawn from the reduced series the reader kept (series.h). */
#include "render/render-svg.h"

#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/diagnose.h"
#include "ovc/options.h"
#include "render/render.h"
#include "read/series.h"

/* Layout, in user units. */
#define W OVC_SVG_WIDTH
#define ML 84   /* left margin: y labels */
#define MR 170  /* right margin: reference line labels */
#define PT 78   /* top of the plot area */
#define PH 300  /* plot height */
#define PW (W - ML - MR)
#define SITE_LINE 17
#define SITES_SHOWN 3
#define GAP 24  /* between charts of one document */

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

/* Length of the UTF-8 sequence at S, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void ovc_put_xml(FILE *out, const char *str)
{
	ovc_put_xml_apos(out, str, "&#39;");
}

void ovc_put_xml_apos(FILE *out, const char *str, const char *apos)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs(apos, out);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fputc('?', out);
			} else if (*s >= 0x80) {
				size_t n = utf8_len(s);
				if (!n) {
					fputc('?', out);
					break;
				}
				fwrite(s, 1, n, out);
				s += n;
				continue;
			} else {
				fputc(*s, out);
			}
		}
		s++;
	}
}

static const char *bytes(int64_t n, char *buf)
{
	return ovc_format_bytes(n > 0 ? (uint64_t)n : 0, buf, 24);
}

/* The y scale: linear from 0, or log2 from LO. */
struct yscale {
	bool log;
	double lo, hi; /* bytes at the bottom and the top */
	int lo_e, hi_e, step_e; /* log: exponents of 2 of the ticks */
	double step;   /* linear: bytes between ticks */
};

static double ypos(const struct yscale *s, double v)
{
	double f;
	if (s->log) {
		if (v <= s->lo)
			f = 0;
		else
			f = (log2(v) - s->lo_e) / (double)(s->hi_e - s->lo_e);
	} else {
		f = v / s->hi;
	}
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return PT + PH - f * PH;
}

static double xpos(int64_t t_ns, double dur_ns)
{
	double f = dur_ns > 0 ? (double)t_ns / dur_ns : 0;
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return ML + f * PW;
}

/* Chooses the scale for values from MINPOS (smallest positive) to MAX:
 * log when the largest of the peaks and reference lines is 8 times or
 * more the smallest of them (a linear axis would squash the small ones
 * into the bottom eighth). */
static void choose_scale(struct yscale *s, double peak_lo, double peak_hi,
			 double minpos, double max)
{
	memset(s, 0, sizeof *s);
	if (max < 1024)
		max = 1024;
	s->log = peak_lo > 0 && peak_hi / peak_lo >= 8;
	if (s->log) {
		if (minpos < 1 || minpos > max)
			minpos = max / 1024;
		/* Not more than 2^50 below the top: a 1-byte value beside
		 * 128 TiB would squash everything else. */
		int lo_e = (int)floor(log2(minpos));
		int hi_e = (int)ceil(log2(max));
		if (hi_e - lo_e > 50)
			lo_e = hi_e - 50;
		if (hi_e <= lo_e)
			hi_e = lo_e + 1;
		static const int steps[] = {10, 5, 2, 1};
		int k = 1;
		for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
			k = steps[i];
			int a = (int)floor((double)lo_e / k) * k;
			int b = (int)ceil((double)hi_e / k) * k;
			if ((b - a) / k + 1 >= 4)
				break;
		}
		s->lo_e = (int)floor((double)lo_e / k) * k;
		s->hi_e = (int)ceil((double)hi_e / k) * k;
		if (s->hi_e == s->lo_e)
			s->hi_e += k;
		s->step_e = k;
		s->lo = ldexp(1, s->lo_e);
		s->hi = ldexp(1, s->hi_e);
		return;
	}
	double step = ldexp(1, (int)ceil(log2(max / 5)));
	s->step = step;
	s->lo = 0;
	s->hi = ceil(max / step) * step;
}

/* A round step in seconds for an axis of DUR seconds: 1, 2 or 5 x 10^k. */
static double time_step(double dur)
{
	double raw = dur / 6, p = pow(10, floor(log10(raw)));
	double m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/* The command line of P, shortened, for a title. */
static void put_command(FILE *out, const struct ovc_proc *p)
{
	char buf[160];
	size_t o = 0;
	if (p->argc == 0) {
		snprintf(buf, sizeof buf, "%s", p->exe[0] ? p->exe : "?");
	} else {
		buf[0] = '\0';
		for (size_t i = 0; i < p->argc && o + 1 < sizeof buf; i++) {
			int n = snprintf(buf + o, sizeof buf - o, "%s%s",
					 i ? " " : "", p->argv[i]);
			if (n < 0)
				break;
			o += (size_t)n;
		}
		if (o >= sizeof buf - 1) {
			/* Cut at a character boundary. */
			o = sizeof buf - 5;
			while (o > 0 && ((unsigned char)buf[o] & 0xc0) == 0x80)
				o--;
			strcpy(buf + o, " ...");
		}
	}
	ovc_put_xml(out, buf);
}

static void end_text(const struct ovc_proc *p, char *buf, size_t size)
{
	switch (p->end_kind) {
	case OVC_END_EXIT:
		snprintf(buf, size, "exit %" PRId64, p->end_code);
		break;
	case OVC_END_SIGNAL: {
		const char *a = p->end_signal > 0 && p->end_signal < 65
					? sigabbrev_np((int)p->end_signal)
					: NULL;
		snprintf(buf, size, "killed by SIG%s", a ? a : "?");
		break;
	}
	case OVC_END_EXEC:
		snprintf(buf, size, "replaced by exec");
		break;
	case OVC_END_SNAPSHOT:
		snprintf(buf, size, "watched by ovc snapshot");
		break;
	default:
		snprintf(buf, size, "log ended abruptly");
	}
}

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

/* A label at the right end of a reference line. */
static void ref_line(FILE *out, const struct yscale *ys, int64_t v,
		     const char *name, const char *color, double *last_y)
{
	char b[24];
	if (v <= 0 || (double)v > ys->hi || (!ys->log && v < 0))
		return;
	double y = ypos(ys, (double)v);
	double ly = y + 4;
	if (last_y && *last_y > 0 && fabs(ly - *last_y) < 13)
		ly = *last_y + (ly >= *last_y ? 13 : -13);
	if (last_y)
		*last_y = ly;
	fprintf(out,
		"<line class=\"ref\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		"stroke=\"%s\" stroke-width=\"1.2\" stroke-dasharray=\"9 4\" "
		"data-ref=\"%s\" data-bytes=\"%" PRId64 "\"/>\n",
		ML, y, ML + PW, y, color, name, v);
	fprintf(out,
		"<text x=\"%d\" y=\"%.1f\" fill=\"%s\" font-size=\"12\">%s "
		"%s</text>\n",
		ML + PW + 6, ly, color, name, bytes(v, b));
}

struct peak_label {
	int series;
	double x, y, ly;
	int64_t bytes, t_ns;
	char names[96]; /* the series that share this label */
	bool merged;    /* drawn as part of another label */
};

static int cmp_label(const void *a, const void *b)
{
	const struct peak_label *x = a, *y = b;
	return x->y < y->y ? -1 : x->y > y->y;
}

void ovc_render_svg_chart(FILE *out, const struct ovc_model *m,
			  const struct ovc_proc *p, struct ovc_symbolizer *sym,
			  int x0, int y0)
{
	const struct ovc_series *s = p->extra ? p->extra->series : NULL;
	const struct ovc_host *h = p->host.known ? &p->host : &m->host;
	int height = ovc_svg_chart_height(p);
	char a[64], b[24], c[24], d[24];
	struct ovc_diagnosis dg;
	ovc_diagnose(m, p, &dg);

	struct ovc_point *pts[OVC_SER_COUNT] = {0};
	size_t npts[OVC_SER_COUNT] = {0};
	double minpos = 0, max = 0, peak_lo = 0, peak_hi = 0;
	int64_t dur = 0;
	for (int i = 0; i < OVC_SER_COUNT && s; i++) {
		pts[i] = malloc(2 * OVC_SERIES_MAX_BUCKETS * sizeof *pts[i]);
		if (!pts[i])
			continue;
		npts[i] = ovc_series_points(s, (enum ovc_series_id)i, pts[i]);
		for (size_t j = 0; j < npts[i]; j++) {
			double v = (double)pts[i][j].bytes;
			if (v > 0 && (minpos == 0 || v < minpos))
				minpos = v;
			if (v > max)
				max = v;
			if (pts[i][j].t_ns > dur)
				dur = pts[i][j].t_ns;
		}
		double pk = (double)s->peak[i].bytes;
		if (pk > 0) {
			if (peak_lo == 0 || pk < peak_lo)
				peak_lo = pk;
			if (pk > peak_hi)
				peak_hi = pk;
		}
	}
	int64_t refs[2] = {h->mem_total_bytes, h->commit_limit_bytes};
	for (int i = 0; i < 2; i++) {
		double v = (double)refs[i];
		if (v <= 0)
			continue;
		if (v > max)
			max = v;
		if (peak_lo == 0 || v < peak_lo)
			peak_lo = v;
		if (v > peak_hi)
			peak_hi = v;
	}
	if (dur < 1000000)
		dur = 1000000; /* at least 1 ms wide */
	struct yscale ys;
	choose_scale(&ys, peak_lo, peak_hi, minpos, max);

	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" x=\"%d\" y=\"%d\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
		"class=\"ovc-chart\" data-pid=\"%" PRId64 "\" data-scale=\"%s\">\n",
		x0, y0, W, height, W, height, p->pid, ys.log ? "log" : "linear");
	fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W,
		height);
	/* Title: the process; under it how long, how it ended. */
	fprintf(out, "<text x=\"12\" y=\"22\" font-size=\"15\" "
		     "font-weight=\"bold\" fill=\"#212529\">process %" PRId64
		     ": ",
		p->pid);
	put_command(out, p);
	fputs("</text>\n", out);
	char end[48];
	end_text(p, end, sizeof end);
	fprintf(out, "<text x=\"12\" y=\"41\" font-size=\"12\" "
		     "fill=\"#495057\">%s, %" PRIu64 " samples (%zu points "
		     "drawn per series at most), %s; y: %s scale</text>\n",
		ovc_render_duration(ovc_proc_duration_ns(p), a, sizeof a),
		s ? s->samples : 0, npts[OVC_SER_LIVE] > npts[OVC_SER_RSS]
					  ? npts[OVC_SER_LIVE]
					  : npts[OVC_SER_RSS],
		end, ys.log ? "log" : "linear");
	if (dg.killed)
		fprintf(out, "<text x=\"%d\" y=\"41\" font-size=\"12\" "
			     "font-weight=\"bold\" fill=\"#c92a2a\" "
			     "text-anchor=\"end\">%s</text>\n",
			W - 12, dg.likely_oom ? "likely killed by the OOM killer"
					      : "killed or crashed");

	/* Legend. */
	int lx = 12;
	for (int i = 0; i < OVC_SER_COUNT; i++) {
		int64_t pk = s ? s->peak[i].bytes : -1;
		fprintf(out,
			"<line x1=\"%d\" y1=\"58\" x2=\"%d\" y2=\"58\" "
			"stroke=\"%s\" stroke-width=\"2.5\"%s/>"
			"<text x=\"%d\" y=\"62\" font-size=\"12\" "
			"fill=\"#212529\">%s (peak %s)</text>\n",
			lx, lx + 22, colors[i], dashes[i], lx + 27,
			ovc_series_label((enum ovc_series_id)i),
			pk >= 0 ? bytes(pk, b) : "none");
		lx += 27 + 7 * (int)strlen(ovc_series_label(
				      (enum ovc_series_id)i)) + 110;
	}

	/* Plot frame and y grid. */
	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		     "fill=\"#f8f9fa\" stroke=\"#adb5bd\"/>\n",
		ML, PT, PW, PH);
	if (ys.log) {
		for (int e = ys.lo_e; e <= ys.hi_e; e += ys.step_e) {
			double y = ypos(&ys, ldexp(1, e));
			fprintf(out,
				"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
				"y2=\"%.1f\" stroke=\"#dee2e6\"/><text x=\"%d\" "
				"y=\"%.1f\" font-size=\"11\" fill=\"#495057\" "
				"text-anchor=\"end\">%s</text>\n",
				ML, y, ML + PW, y, ML - 6, y + 4,
				e >= 63 ? "8.0 EiB"
					: bytes((int64_t)1 << (e < 0 ? 0 : e), b));
		}
	} else {
		for (double v = 0; v <= ys.hi + 0.5; v += ys.step) {
			double y = ypos(&ys, v);
			fprintf(out,
				"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
				"y2=\"%.1f\" stroke=\"#dee2e6\"/><text x=\"%d\" "
				"y=\"%.1f\" font-size=\"11\" fill=\"#495057\" "
				"text-anchor=\"end\">%s</text>\n",
				ML, y, ML + PW, y, ML - 6, y + 4,
				bytes((int64_t)v, b));
		}
	}
	fprintf(out, "<text transform=\"translate(14 %d) rotate(-90)\" "
		     "font-size=\"12\" fill=\"#495057\" "
		     "text-anchor=\"middle\">bytes (%s)</text>\n",
		PT + PH / 2, ys.log ? "log scale" : "linear");

	/* x axis: seconds. */
	double dur_s = (double)dur / 1e9, step = time_step(dur_s);
	for (double t = 0; t <= dur_s * 1.0001; t += step) {
		double x = xpos((int64_t)(t * 1e9), (double)dur);
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#dee2e6\"/><text x=\"%.1f\" y=\"%d\" "
			"font-size=\"11\" fill=\"#495057\" "
			"text-anchor=\"middle\">%g s</text>\n",
			x, PT, x, PT + PH, x, PT + PH + 15,
			fabs(t) < step / 1e6 ? 0.0 : t);
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" "
		     "fill=\"#495057\" text-anchor=\"middle\">time since the "
		     "process started (s)</text>\n",
		ML + PW / 2, PT + PH + 32);

	/* Reference lines. */
	double last_label_y = 0;
	ref_line(out, &ys, h->mem_total_bytes, "MemTotal", "#212529",
		 &last_label_y);
	ref_line(out, &ys, h->commit_limit_bytes, "CommitLimit", "#868e96",
		 &last_label_y);

	/* Events: where strict overcommit would have refused, where the
	 * log ends for a killed process. */
	if (dg.over_commit) {
		double x = xpos(dg.over_commit->t_ns, (double)dur);
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#f08c00\" stroke-dasharray=\"3 3\"/>"
			"<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
			"fill=\"#e67700\">strict overcommit refuses here</text>\n",
			x, PT, x, PT + PH, x + 4, PT + 12);
	}
	if (dg.killed) {
		double x = xpos(dg.last_t_ns, (double)dur);
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#c92a2a\" stroke-width=\"1.5\"/>"
			"<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
			"fill=\"#c92a2a\" text-anchor=\"end\">log ends</text>\n",
			x, PT, x, PT + PH, x - 4, PT + PH - 6);
	}
	if (p->extra && p->extra->nrefuse) {
		const struct ovc_proc_extra *xe = p->extra;
		for (uint64_t i = 0; i < xe->nrefuse && i < OVC_REFUSE_KEEP; i++) {
			double x = xpos(xe->refuse[i].t_ns, (double)dur);
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

	/* The series, then their peaks on top. */
	/* Live requested last: on top, it is what the program asked for. */
	static const int draw_order[OVC_SER_COUNT] = {
		OVC_SER_VM, OVC_SER_RSS, OVC_SER_ANON, OVC_SER_LIVE};
	struct peak_label labels[OVC_SER_COUNT];
	size_t nl = 0;
	for (int k = 0; k < OVC_SER_COUNT; k++) {
		int i = draw_order[k];
		if (!npts[i])
			continue;
		int64_t mx = 0;
		for (size_t j = 0; j < npts[i]; j++)
			if (pts[i][j].bytes > mx)
				mx = pts[i][j].bytes;
		fprintf(out,
			"<polyline class=\"series\" data-series=\"%s\" "
			"data-points=\"%zu\" data-max-bytes=\"%" PRId64 "\" "
			"fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
			"stroke-linejoin=\"round\"%s points=\"",
			ovc_series_name((enum ovc_series_id)i), npts[i], mx,
			colors[i], i == OVC_SER_LIVE ? "2.5" : "1.8", dashes[i]);
		for (size_t j = 0; j < npts[i]; j++)
			fprintf(out, "%s%.1f,%.1f", j ? " " : "",
				xpos(pts[i][j].t_ns, (double)dur),
				ypos(&ys, (double)pts[i][j].bytes));
		if (npts[i] == 1) /* one sample: a short flat line */
			fprintf(out, " %.1f,%.1f",
				xpos(pts[i][0].t_ns, (double)dur) + 3,
				ypos(&ys, (double)pts[i][0].bytes));
		fputs("\"/>\n", out);
		const struct ovc_point *pk = &s->peak[i];
		if (pk->bytes <= 0)
			continue;
		labels[nl++] = (struct peak_label){
			.series = i, .x = xpos(pk->t_ns, (double)dur),
			.y = ypos(&ys, (double)pk->bytes), .bytes = pk->bytes,
			.t_ns = pk->t_ns};
	}
	/* Peaks of the same value at the same place share one label; labels
	 * at about the same height are stacked apart, inside the plot. */
	qsort(labels, nl, sizeof *labels, cmp_label);
	for (size_t i = 0; i < nl; i++) {
		snprintf(labels[i].names, sizeof labels[i].names, "%s",
			 ovc_series_label((enum ovc_series_id)labels[i].series));
		labels[i].merged = false;
		for (size_t j = 0; j < i; j++) {
			struct peak_label *o = &labels[j];
			char x1[24], x2[24];
			if (o->merged || fabs(o->y - labels[i].y) > 3 ||
			    fabs(o->x - labels[i].x) > 40 ||
			    strcmp(bytes(o->bytes, x1),
				   bytes(labels[i].bytes, x2)) != 0)
				continue;
			size_t len = strlen(o->names);
			snprintf(o->names + len, sizeof o->names - len, ", %s",
				 ovc_series_label(
					 (enum ovc_series_id)labels[i].series));
			labels[i].merged = true;
			break;
		}
	}
	/* Each label goes just above its point, moved up (or, at the top,
	 * below the point) while it would overlap a label placed before. */
	double lx0[OVC_SER_COUNT], lx1[OVC_SER_COUNT];
	for (size_t i = nl; i-- > 0;) {
		struct peak_label *l = &labels[i];
		if (l->merged)
			continue;
		bool left = l->x > ML + PW * 0.6;
		double w = 6.3 * (double)(strlen(l->names) + 24);
		lx0[i] = left ? l->x - 7 - w : l->x + 7;
		lx1[i] = left ? l->x - 7 : l->x + 7 + w;
		l->ly = l->y - 9;
		double dir = -1;
		for (int tries = 0; tries < 40; tries++) {
			if (l->ly < PT + 13) {
				dir = 1;
				l->ly = l->y + 18;
			}
			bool clash = false;
			for (size_t j = i + 1; j < nl; j++)
				if (!labels[j].merged &&
				    fabs(labels[j].ly - l->ly) < 13 &&
				    lx0[j] < lx1[i] && lx0[i] < lx1[j])
					clash = true;
			if (!clash)
				break;
			l->ly += dir * 14;
		}
		if (l->ly > PT + PH - 4)
			l->ly = PT + PH - 4;
	}
	for (size_t i = 0; i < nl; i++) {
		const struct peak_label *l = &labels[i];
		bool left = l->x > ML + PW * 0.6;
		fprintf(out,
			"<circle class=\"peak\" data-series=\"%s\" "
			"data-peak-bytes=\"%" PRId64 "\" data-t-ns=\"%" PRId64
			"\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" "
			"stroke=\"#ffffff\"/>\n",
			ovc_series_name((enum ovc_series_id)l->series),
			l->bytes, l->t_ns, l->x, l->y, colors[l->series]);
		if (l->merged)
			continue;
		fprintf(out,
			"<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
			"fill=\"%s\" text-anchor=\"%s\" stroke=\"#f8f9fa\" "
			"stroke-width=\"3\" paint-order=\"stroke\">peak %s %s "
			"at %.2f s</text>\n",
			left ? l->x - 7 : l->x + 7, l->ly, colors[l->series],
			left ? "end" : "start", l->names, bytes(l->bytes, b),
			(double)l->t_ns / 1e9);
	}
	if (!s || !s->samples)
		fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"14\" "
			     "fill=\"#868e96\" text-anchor=\"middle\">no "
			     "samples: the process ended before its first "
			     "one</text>\n",
			ML + PW / 2, PT + PH / 2);

	/* The sites that left the most untouched. */
	size_t *order = malloc((p->nsites ? p->nsites : 1) * sizeof *order);
	size_t ns = order ? sites_to_name(p, order) : 0;
	int y = PT + PH + 56;
	if (ns)
		fprintf(out, "<text x=\"12\" y=\"%d\" font-size=\"12\" "
			     "font-weight=\"bold\" fill=\"#212529\">most "
			     "untouched sites</text>\n",
			y);
	for (size_t i = 0; i < ns; i++) {
		const struct ovc_site *site = &p->sites[order[i]];
		struct ovc_site_figures f;
		char label[512];
		ovc_site_figures(site, &f);
		y += SITE_LINE;
		fprintf(out, "<text x=\"24\" y=\"%d\" font-size=\"12\" "
			     "fill=\"#212529\" class=\"site\">%zu. ",
			y, i + 1);
		ovc_put_xml(out, ovc_site_label(sym, p, site, label,
						sizeof label));
		fprintf(out, ": %s untouched of %s requested (%s touched)%s"
			     "</text>\n",
			bytes(f.untouched_bytes, c), bytes(f.requested_bytes, d),
			f.has_ratio ? ovc_render_percent(f.touched_ratio, a,
							 sizeof a)
				    : "-",
			f.estimated ? ", estimated" : "");
	}
	free(order);
	fputs("</svg>\n", out);
	for (int i = 0; i < OVC_SER_COUNT; i++)
		free(pts[i]);
}

static const struct ovc_model *pick_model;

static int cmp_pick(const void *a, const void *b)
{
	const struct ovc_proc *x = pick_model->procs[*(const size_t *)a];
	const struct ovc_proc *y = pick_model->procs[*(const size_t *)b];
	if (x->peak_live_bytes != y->peak_live_bytes)
		return x->peak_live_bytes > y->peak_live_bytes ? -1 : 1;
	if (x->peak_vm_bytes != y->peak_vm_bytes)
		return x->peak_vm_bytes > y->peak_vm_bytes ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int cmp_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

size_t ovc_svg_pick(const struct ovc_model *m, size_t max, size_t *order)
{
	if (!max)
		max = 8;
	for (size_t i = 0; i < m->nprocs; i++)
		order[i] = i;
	if (m->nprocs <= max)
		return m->nprocs;
	pick_model = m;
	qsort(order, m->nprocs, sizeof *order, cmp_pick);
	qsort(order, max, sizeof *order, cmp_index);
	return max;
}

bool ovc_render_svg(const struct ovc_model *m, FILE *out, size_t max,
		    struct ovc_symbolizer *sym)
{
	size_t *order = malloc((m->nprocs ? m->nprocs : 1) * sizeof *order);
	if (!order)
		return false;
	size_t n = ovc_svg_pick(m, max, order);
	int total = 0;
	for (size_t i = 0; i < n; i++)
		total += ovc_svg_chart_height(m->procs[order[i]]) +
			 (i ? GAP : 0);
	if (n == 0)
		total = 60;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n"
		"<title>ovc: requested, virtual and resident memory over "
		"time</title>\n"
		"<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
		W, total, W, total, W, total);
	if (n == 0)
		fputs("<text x=\"12\" y=\"30\" font-size=\"14\">no process "
		      "logs</text>\n",
		      out);
	int y = 0;
	for (size_t i = 0; i < n; i++) {
		ovc_render_svg_chart(out, m, m->procs[order[i]], sym, 0, y);
		y += ovc_svg_chart_height(m->procs[order[i]]) + GAP;
	}
	if (n < m->nprocs)
		fprintf(out, "<!-- %zu more processes with a smaller peak "
			     "live are not drawn -->\n",
			m->nprocs - n);
	fputs("</svg>\n", out);
	free(order);
	return !ferror(out);
}
