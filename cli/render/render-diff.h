/* `ovc diff` told: text for people, or the "ovc-diff" JSON document
 * (docs/report-json.md). */
#ifndef OVC_CLI_RENDER_DIFF_H
#define OVC_CLI_RENDER_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "analyze/diff.h"

/** Writes the comparison of BASE and NEW_RUN (EXES and SITES, judged with
 * O) as the "ovc-diff" JSON document to OUT; adds the rows that grew past
 * the gate to *FLAGGED. Returns false when it could not be written. */
bool ovc_render_diff_json(FILE *out, const char *base, const char *new_run,
			  struct ovc_diff_table *exes,
			  struct ovc_diff_table *sites,
			  const struct ovc_diff_opts *o, size_t *flagged);

/** Writes the comparison as text to OUT: a heading, the executables and
 * sites that changed (all with O->all), and a closing count; adds the rows
 * that grew past the gate to *FLAGGED. */
void ovc_render_diff_text(FILE *out, const char *base, const char *new_run,
			  struct ovc_diff_table *exes,
			  struct ovc_diff_table *sites,
			  const struct ovc_diff_opts *o, size_t *flagged);

#endif
