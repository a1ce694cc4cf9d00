/* The axes of an SVG chart, for render-svg.c: the layout of the plot
 * area, the y scale chosen for the data, where a byte count or a time
 * stands on it, the grid and the time axis (render-svg-axes.c). */
#ifndef OVC_CLI_RENDER_SVG_AXES_H
#define OVC_CLI_RENDER_SVG_AXES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "render/render-svg.h"

/* Layout, in user units. */
#define W OVC_SVG_WIDTH
#define ML 84   /* left margin: y labels */
#define MR 170  /* right margin: labels of peaks and reference lines */
#define PT 78   /* top of the plot area */
#define PH 300  /* plot height */
#define PW (W - ML - MR)

/** The y scale: linear from 0, or log2 from LO. */
struct ovc_svg_scale {
	bool log;
	double lo, hi; /* bytes at the bottom and the top */
	int lo_e, hi_e, step_e; /* log: exponents of 2 of the ends, the
				 * octaves between ticks */
	double step;   /* linear: bytes between ticks */
};

/** The height in the chart of V bytes on scale S (clamped to the plot). */
double ovc_svg_ypos(const struct ovc_svg_scale *s, double v);

/** Where in the chart T_NS stands on a time axis DUR_NS wide (clamped). */
double ovc_svg_xpos(int64_t t_ns, double dur_ns);

/** Chooses the scale S for what is drawn: PEAK_LO and PEAK_HI the smallest
 * and largest positive peaks (of the series and of the reference lines
 * drawn), MINPOS the smallest positive value, MAX the largest; log when the
 * peaks span a factor 8 or more. */
void ovc_svg_choose_scale(struct ovc_svg_scale *s, double peak_lo,
			  double peak_hi, double minpos, double max);

/** Writes the plot frame, the y grid of S and the time axis, DUR_NS wide
 * (seconds). */
void ovc_svg_put_axes(FILE *out, const struct ovc_svg_scale *ys,
		      int64_t dur_ns);

#endif
