/* The report as one HTML page with its charts inline: nothing external,
 * so it opens from a CI artifact. */
#ifndef OVC_CLI_RENDER_HTML_H
#define OVC_CLI_RENDER_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "read/model.h"
#include "render/render.h"

/** Writes M (linked) as a self-contained HTML page to OUT. The report
 * (CHARTS_ONLY false): the runs; the findings (verdicts of every process,
 * the totals, the top sites over all processes, the process tree and the
 * untraced programs); the processes ranked by O->proc_sort (the first
 * O->max_rows in view, 0: OVC_ROWS_DEFAULT, the others in collapsed pages);
 * the first O->max_detail of them (0: 8) in detail: figures, verdicts,
 * diagnosis, chart (when it has enough samples) and sites with their
 * stacks in <details>; as many charts of other processes that have enough
 * samples (ovc_svg_pick()); the machine; the text report, collapsed. Command
 * lines are shortened, the whole line in a title (shown on hover). With
 * CHARTS_ONLY, the charts ovc_svg_pick() picks with O->max_detail and ONLY
 * (NULL: any process), under a note on what it left out. All text from
 * the logs is escaped; inline CSS, no script, no external resource.
 * Returns false on a write error. */
bool ovc_render_html(const struct ovc_model *m, FILE *out,
		     const struct ovc_render_opts *o, bool charts_only,
		     const char *only);

/* Between the files of the HTML report: render-html.c (the page, the
 * table of processes, the charts) and render-html-proc.c (a process's
 * section). */

/** How P ended, in words, into a table cell. */
void ovc_html_end(FILE *out, const struct ovc_proc *p);
/** The section of process IDX of M: its figures, sites, diagnosis and
 * chart. */
void ovc_html_put_proc(FILE *out, const struct ovc_model *m, size_t idx,
		       const struct ovc_render_opts *o,
		       struct ovc_symbolizer *sym);

#endif
