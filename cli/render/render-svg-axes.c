/* The axes of an SVG chart: the scale chosen for the data, where a byte
 * count or a time stands on it, the grid and the time axis. */
#include "render/render-svg-axes.h"

#include <math.h>
#include <string.h>

#include "render/format.h"


double ovc_svg_ypos(const struct ovc_svg_scale *s, double v)
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

double ovc_svg_xpos(int64_t t_ns, double dur_ns)
{
	double f = dur_ns > 0 ? (double)t_ns / dur_ns : 0;
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return ML + f * PW;
}

/* Chooses the scale for what is drawn: PEAK_LO and PEAK_HI the smallest
 * and largest positive peaks (of the series and of the reference lines
 * drawn), MINPOS the smallest positive value, MAX the largest. Log when
 * the largest peak is 8 times the smallest or more (a linear axis would
 * squash the small ones into the bottom eighth); its bottom then is the
 * smallest value, but not more than 64 times below the smallest peak, so
 * a process's first kilobytes do not squash its course into a band. */
void ovc_svg_choose_scale(struct ovc_svg_scale *s, double peak_lo,
			  double peak_hi, double minpos, double max)
{
	memset(s, 0, sizeof *s);
	if (max < 1024)
		max = 1024;
	s->log = peak_lo > 0 && peak_hi / peak_lo >= 8;
	if (s->log) {
		double bottom = peak_lo / 64;
		if (minpos >= 1 && minpos > bottom)
			bottom = minpos;
		if (bottom < 1)
			bottom = 1;
		int lo_e = (int)floor(log2(bottom));
		int hi_e = (int)ceil(log2(max));
		if (hi_e <= lo_e)
			hi_e = lo_e + 1;
		/* Ticks every K octaves, K the smallest that makes at most 8;
		 * the axis ends at the powers of 2 around the data. */
		static const int steps[] = {1, 2, 3, 5, 10};
		int k = 10;
		for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
			k = steps[i];
			if ((hi_e - lo_e) / k + 1 <= 8)
				break;
		}
		s->lo_e = lo_e;
		s->hi_e = hi_e;
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

/* A horizontal grid line of the plot area at Y, LABEL at its left (the
 * lowest one raised off the time axis's labels). */
static void grid_line(FILE *out, double y, const char *label)
{
	fprintf(out,
		"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		"stroke=\"#dee2e6\"/><text x=\"%d\" y=\"%.1f\" "
		"font-size=\"11\" fill=\"#495057\" "
		"text-anchor=\"end\">%s</text>\n",
		ML, y, ML + PW, y, ML - 6, y + 4 > PT + PH ? PT + PH : y + 4,
		label);
}

/* A round step in seconds for an axis of DUR seconds: 1, 2 or 5 x 10^k. */
static double time_step(double dur)
{
	double raw = dur / 6, p = pow(10, floor(log10(raw)));
	double m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/* The plot frame, the y grid and the time axis (seconds). */
void ovc_svg_put_axes(FILE *out, const struct ovc_svg_scale *ys,
		      int64_t dur_ns)
{
	char b[24];
	fprintf(out, "<rect class=\"plot\" x=\"%d\" y=\"%d\" width=\"%d\" "
		     "height=\"%d\" fill=\"#f8f9fa\" stroke=\"#adb5bd\"/>\n",
		ML, PT, PW, PH);
	if (ys->log) {
		int e0 = (int)ceil((double)ys->lo_e / ys->step_e) * ys->step_e;
		for (int e = e0; e <= ys->hi_e; e += ys->step_e) {
			grid_line(out, ovc_svg_ypos(ys, ldexp(1, e)),
				  e >= 63 ? "8.0 EiB"
					  : ovc_bytes((int64_t)1 << (e < 0 ? 0 : e),
						  b));
		}
	} else {
		for (double v = 0; v <= ys->hi + 0.5; v += ys->step) {
			grid_line(out, ovc_svg_ypos(ys, v), ovc_bytes((int64_t)v, b));
		}
	}
	fprintf(out, "<text transform=\"translate(14 %d) rotate(-90)\" "
		     "font-size=\"12\" fill=\"#495057\" "
		     "text-anchor=\"middle\">bytes (%s)</text>\n",
		PT + PH / 2, ys->log ? "log scale" : "linear");

	double dur_s = (double)dur_ns / 1e9, step = time_step(dur_s);
	for (double t = 0; t <= dur_s * 1.0001; t += step) {
		double x = ovc_svg_xpos((int64_t)(t * 1e9), (double)dur_ns);
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#dee2e6\"/><text x=\"%.1f\" y=\"%d\" "
			"font-size=\"11\" fill=\"#495057\" "
			"text-anchor=\"middle\">%g s</text>\n",
			x, PT, x, PT + PH, x, PT + PH + 16,
			fabs(t) < step / 1e6 ? 0.0 : t);
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" "
		     "fill=\"#495057\" text-anchor=\"middle\">time since the "
		     "process started (s)</text>\n",
		ML + PW / 2, PT + PH + 32);
}
