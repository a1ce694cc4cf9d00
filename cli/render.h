/* Renderers of the model: text for people, JSON for programs. */
#ifndef OVC_CLI_RENDER_H
#define OVC_CLI_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"

struct ovc_render_opts {
	const char *dir;   /**< where the logs are, for hints; may be NULL */
	size_t max_detail; /**< processes shown in full; 0 means 8 */
};

/** Writes the text report of M (linked) to OUT: per process image the
 * command, how it ended, calls, requested and peak figures, touched ratio,
 * overcommit gap and verdicts; then the machine. Returns false on a write
 * error. */
bool ovc_render_text(const struct ovc_model *m, FILE *out,
		     const struct ovc_render_opts *o);

/** Writes M (linked) as one JSON document (docs/report-json.md) to OUT.
 * Returns false on a write error or when out of memory. */
bool ovc_render_json(const struct ovc_model *m, FILE *out);

/** Writes N with thousands separators ("1,234,567") into BUF (>= 32 bytes);
 * returns BUF. */
char *ovc_render_count(int64_t n, char *buf, size_t size);

/** Writes a duration of NS nanoseconds for people ("850 µs", "212 ms",
 * "5.80 s", "3 min 07 s") into BUF; returns BUF. */
char *ovc_render_duration(int64_t ns, char *buf, size_t size);

/** Writes a touched ratio as a percentage ("100%", "0.42%", "<0.01%");
 * returns BUF. */
char *ovc_render_percent(double ratio, char *buf, size_t size);

#endif
