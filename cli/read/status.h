/* The live status line of `ovc run` on a terminal: processes seen and
 * running, largest live and resident so far, from the logs of the run as
 * they are written (only their new bytes are read at each update). */
#ifndef OVC_CLI_STATUS_H
#define OVC_CLI_STATUS_H

#include <stdio.h>

struct ovc_status;

/** A status line for the logs of run RUN_ID in DIR, drawn on OUT (a
 * terminal). NULL when out of memory. */
struct ovc_status *ovc_status_new(const char *dir, const char *run_id,
				  FILE *out);

/** Reads what the logs gained since the last update and redraws the line
 * ("\r", the text, clear to the end of the line). */
void ovc_status_update(struct ovc_status *s);

/** Erases the line (before the report is written). */
void ovc_status_clear(struct ovc_status *s);

/** Frees S; NULL is a no-op. */
void ovc_status_free(struct ovc_status *s);

#endif
