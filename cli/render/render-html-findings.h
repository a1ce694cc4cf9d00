/* The findings section of the HTML report (render-html-findings.c), and
 * the pieces of the page that render-html.c writes for both files. */
#ifndef OVC_CLI_RENDER_HTML_FINDINGS_H
#define OVC_CLI_RENDER_HTML_FINDINGS_H

#include <stdbool.h>
#include <stdio.h>

#include "read/model.h"
#include "read/symbolize.h"
#include "render/render.h"

/** Characters of a command line shortened in a table or a heading. */
#define OVC_HTML_CMD_CHARS 40

/** Writes the findings of M (linked) as a <section id="findings">: the
 * verdicts of its processes in the order ORDER (exceeding CommitLimit or
 * MemTotal, a kill, budget refusals; the first 10 in view, the others
 * collapsed), and for more than one process the totals and the top sites
 * over all processes (ranked and limited by O, may be NULL), then the
 * process tree (its first 30 lines in view) and the untraced programs.
 * A process whose SHOWN[i] is true is linked to its section "proc-i". */
void ovc_html_findings(FILE *out, const struct ovc_model *m,
		       const size_t *order, const bool *shown,
		       const struct ovc_render_opts *o,
		       struct ovc_symbolizer *sym);

/** Writes the command line ARGV[ARGC] (EXE when it has none) as <code>:
 * the program's name without its directory and the arguments, cut to MAX
 * characters with an ellipsis; the whole line (its first 640 bytes; and
 * EXE where it is not argv[0]) in its title, shown on hover. */
void ovc_html_put_args(FILE *out, size_t argc, char *const *argv,
		       const char *exe, size_t max);

/** P's command line, as ovc_html_put_args() writes it. */
void ovc_html_put_cmd(FILE *out, const struct ovc_proc *p, size_t max);

/** Writes TEXT escaped, keeping its line breaks (for a <pre>); TEXT is
 * cut at its line breaks as it goes. */
void ovc_html_put_lines(FILE *out, char *text);

/** Opens a row of a table of sites: the rank R (from 1), then the bytes
 * untouched, requested and touched and the touched ratio of F. */
void ovc_html_site_cells(FILE *out, size_t r, const struct ovc_site_figures *f);

/** Closes a row of a table of sites: site S of P (its executable's name
 * first when WITH_EXE, "(estimated)" when ESTIMATED) in a <details> with
 * its frames, symbolized with SYM: O->max_frames of them when O says
 * (--frames), else 16, then how many more. */
void ovc_html_site_stack_cell(FILE *out, const struct ovc_proc *p,
			      const struct ovc_site *s, bool estimated,
			      bool with_exe, const struct ovc_render_opts *o,
			      struct ovc_symbolizer *sym);

#endif
