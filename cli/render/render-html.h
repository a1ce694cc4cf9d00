/* The report as one HTML page with its charts inline: nothing external,
 * so it opens from a CI artifact. */
#ifndef OVC_CLI_RENDER_HTML_H
#define OVC_CLI_RENDER_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "read/model.h"
#include "render/render.h"

/** Writes M (linked) as a self-contained HTML page to OUT: the runs, a
 * table of the processes, and per process (at most O->max_detail, 0: 8,
 * those with the largest peak live) its figures, verdicts, diagnosis,
 * chart and sites with their stacks in <details>; with CHARTS_ONLY just
 * the charts. All text from the logs is escaped; inline CSS, no script,
 * no external resource. Returns false on a write error. */
bool ovc_render_html(const struct ovc_model *m, FILE *out,
		     const struct ovc_render_opts *o, bool charts_only);

#endif
