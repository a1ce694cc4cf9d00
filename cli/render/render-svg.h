/* Charts of processes over time as SVG (`ovc plot`, `ovc report --html`),
 * and the escaping that XML and HTML output of log text needs. */
#ifndef OVC_CLI_RENDER_SVG_H
#define OVC_CLI_RENDER_SVG_H

#include <stdbool.h>
#include <stdio.h>

#include "read/model.h"
#include "read/symbolize.h"

/** Width of a chart in user units (pixels at 100%). */
#define OVC_SVG_WIDTH 960

/** Writes S to OUT escaped for XML and HTML text and attribute values:
 * & < > " ' as entities, control characters and bytes that are not UTF-8
 * as '?'. Logs are untrusted: every string from them goes through here. */
void ovc_put_xml(FILE *out, const char *s);
/** The same, with the apostrophe written as APOS ("&apos;" in XML files
 * such as JUnit reports, where the HTML-safe "&#39;" is not needed). */
void ovc_put_xml_apos(FILE *out, const char *s, const char *apos);

/** Height in user units of the chart ovc_render_svg_chart() draws for P. */
int ovc_svg_chart_height(const struct ovc_proc *p);

/** Writes the chart of process P (of linked model M) as one <svg> element
 * at (X, Y) of its parent (0, 0 for a document of its own): live requested,
 * virtual, resident and anonymous resident bytes over time from its
 * reduced series, MemTotal and CommitLimit as reference lines, log-scaled
 * when the values span orders of magnitude, the peaks labelled (with their
 * exact values in data-peak-bytes attributes), how it ended, and its top
 * untouched sites named (symbolized with SYM, may be NULL). */
void ovc_render_svg_chart(FILE *out, const struct ovc_model *m,
			  const struct ovc_proc *p, struct ovc_symbolizer *sym,
			  int x, int y);

/** Writes a standalone SVG document with the charts of the processes of M
 * (at most MAX of them, those with the largest peak live; 0: 8), one
 * below the other. Returns false on a write error. */
bool ovc_render_svg(const struct ovc_model *m, FILE *out, size_t max,
		    struct ovc_symbolizer *sym);

/** The indexes of the processes of M to chart, at most MAX (0: 8), those
 * with the largest peak live (then the largest peak virtual), in model
 * order. ORDER has room for m->nprocs. Returns the count. */
size_t ovc_svg_pick(const struct ovc_model *m, size_t max, size_t *order);

#endif
