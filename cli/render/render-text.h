/* Between the files of the text report: render-text.c (the report: runs,
 * machine, leaks, the table of processes) and render-text-proc.c (a
 * process's details). Not for other renderers (render.h). */
#ifndef OVC_CLI_RENDER_TEXT_H
#define OVC_CLI_RENDER_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "render/render.h"

#define LABEL_W 19 /* width of the label column */
#define BYTES_W 10 /* "1023.9 KiB" */
#define CMD_MAX 160 /* longest command line shown before "..." */
#define TABLE_CMD_MAX 60 /* the same in the table of processes */

/** The command line, quoted for a shell where needed, cut at about MAX
 * columns. */
void ovc_text_command(FILE *out, char *const *argv, size_t argc,
		      const char *fallback, size_t max);
/** Writes S with control characters replaced, so a log cannot drive the
 * terminal. */
void ovc_text_safe(FILE *out, const char *s);
/** A line's label, in a column of LABEL_W. */
void ovc_text_label(FILE *out, const char *l);
/** Signal SIG in words ("SIGKILL (signal 9)") into BUF (SIZE bytes). */
void ovc_text_signal(int64_t sig, char *buf, size_t size);
/** How P ended, in a few words into BUF (SIZE bytes): BRIEF for a table
 * ("exit 0", "SIGKILL", "exec", "snapshot", "abrupt"), else for a title
 * ("killed by SIGKILL", "replaced by exec", ...). Returns BUF. */
const char *ovc_text_end_words(const struct ovc_proc *p, bool brief,
			       char *buf, size_t size);
/** How P ended, in words. */
void ovc_text_end(FILE *out, const struct ovc_proc *p);
/** The process block, then its sites; O as ovc_render_opts_resolve()
 * makes it. */
void ovc_text_proc(FILE *out, const struct ovc_model *m,
		   const struct ovc_proc *p, const struct ovc_render_opts *o);

#endif
