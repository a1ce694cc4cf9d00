/* Charts of processes over time as SVG (`ovc plot`, `ovc report --html`). */
#ifndef OVC_CLI_RENDER_SVG_H
#define OVC_CLI_RENDER_SVG_H

#include <stdbool.h>
#include <stdio.h>

#include "read/model.h"
#include "read/symbolize.h"

/** Width of a chart in user units (pixels at 100%). */
#define OVC_SVG_WIDTH 960

/** Height in user units of the chart ovc_render_svg_chart() draws for P. */
int ovc_svg_chart_height(const struct ovc_proc *p);

/** Writes the chart of process P (of linked model M) as one <svg> element
 * at (X, Y) of its parent (0, 0 for a document of its own): live requested,
 * virtual, resident and anonymous resident bytes over time from its
 * reduced series, on an axis chosen from them (log-scaled when their peaks
 * span a factor 8 or more); MemTotal and CommitLimit as reference lines
 * where the data comes within a factor 2 of them, else named with an
 * arrow; the peaks P's figures give (the table's numbers, also in
 * data-peak-bytes attributes) marked, their values in the right margin,
 * stacked apart; how it ended; its top untouched sites named (symbolized
 * with SYM, may be NULL). Text too wide for the chart is cut with an
 * ellipsis, the whole of it in a <title> (shown on hover). */
void ovc_render_svg_chart(FILE *out, const struct ovc_model *m,
			  const struct ovc_proc *p, struct ovc_symbolizer *sym,
			  int x, int y);

/** Samples a process needs for a chart: with fewer it has no course over
 * time to draw (it ended within a few sampling intervals). */
#define OVC_SVG_MIN_SAMPLES 5

/** Whether P has enough samples for a chart (OVC_SVG_MIN_SAMPLES). */
bool ovc_svg_chartable(const struct ovc_proc *p);

/** What ovc_svg_pick() chose. */
struct ovc_svg_picked {
	size_t matched;     /**< processes that match the pattern */
	size_t charted;     /**< charted: the first of ORDER */
	size_t beyond;      /**< chartable, matching, left out by MAX */
	size_t brief;       /**< matching, too few samples for a chart */
	size_t brief_first; /**< where in ORDER the brief ones start */
};

/** The processes of M to chart: those whose executable (a path or its
 * last component) or command line matches one of the comma-separated
 * shell globs of ONLY (NULL: all), with at least OVC_SVG_MIN_SAMPLES
 * samples, at most MAX (0: 8) of them, largest overcommit gap first (then
 * largest peak live, longest). ORDER (room for m->nprocs) gets their
 * indexes, then the other chartable matching ones, then the brief ones,
 * each in that order; WHAT (may be NULL) how many of each. Returns the
 * number charted. */
size_t ovc_svg_pick(const struct ovc_model *m, size_t max, const char *only,
		    size_t *order, struct ovc_svg_picked *what);

/** Lines of ovc_svg_pick_lines(), at most, and their size. */
#define OVC_SVG_NOTE_LINES 4
#define OVC_SVG_LINE_SIZE 512

/** Writes into LINES what a document of charts of M leaves out and how
 * to pick (ORDER and W from ovc_svg_pick() with ONLY): how many were
 * charted, which ran too briefly for a chart, `--only`, OVC_INTERVAL.
 * Returns the number of lines, 0 when every process is charted. */
size_t ovc_svg_pick_lines(const struct ovc_model *m, const size_t *order,
			  const struct ovc_svg_picked *w, const char *only,
			  char lines[][OVC_SVG_LINE_SIZE]);

/** Writes a standalone SVG document with the charts of the processes of M
 * that ovc_svg_pick() picks with MAX and ONLY, one below the other, under
 * the lines of ovc_svg_pick_lines(). Returns false on a write error. */
bool ovc_render_svg(const struct ovc_model *m, FILE *out, size_t max,
		    const char *only, struct ovc_symbolizer *sym);

/* Between render-svg.c (a chart) and render-svg-pick.c (which processes
 * get one, and a document of several). */

/** The width of S (UTF-8) at font size PX in the charts' font, at most
 * (render-svg-text.c). */
double ovc_svg_text_width(const char *s, double px);
/** S in BUF (SIZE bytes), cut where it would be wider than MAX_PX at font
 * size PX, ended with an ellipsis. Returns BUF. */
const char *ovc_svg_fit_text(const char *s, double px, double max_px,
			     char *buf, size_t size);
/** The whole command line of P (at most SIZE - 1 bytes) in BUF. */
const char *ovc_svg_command_line(const struct ovc_proc *p, char *buf,
				 size_t size);
/** The command line of P with its program's name, not its path, in BUF:
 * how a list names a process. */
const char *ovc_svg_short_command(const struct ovc_proc *p, char *buf,
				  size_t size);

#endif
