/* Formatting shared by the renderers: counts with thousands separators,
 * durations and percentages for people, and log text escaped for XML and
 * HTML. Depends on nothing else in the CLI. */
#ifndef OVC_CLI_FORMAT_H
#define OVC_CLI_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ovc/options.h"

/** Writes N with thousands separators ("1,234,567") into BUF (>= 32 bytes);
 * returns BUF. */
char *ovc_render_count(int64_t n, char *buf, size_t size);

/** Writes a duration of NS nanoseconds for people ("850 µs", "212 ms",
 * "5.80 s", "3 min 07 s") into BUF; returns BUF. */
char *ovc_render_duration(int64_t ns, char *buf, size_t size);

/** Writes a touched ratio as a percentage ("100%", "0.42%", "<0.01%");
 * returns BUF. */
char *ovc_render_percent(double ratio, char *buf, size_t size);

/** The note after a figure that threads bracket: WHAT when BOUND is not
 * above VALUE; else "to BOUND: threads; WHAT, the highest seen to the sum
 * of per-thread peaks", written into BUF. Returns the note. */
const char *ovc_render_bound_note(int64_t value, int64_t bound,
				  const char *what, char *buf, size_t size);

/** Writes the command line ARGV[ARGC] (words joined by spaces; EXE, or
 * "(unknown)", when ARGC is 0) into BUF, cut at a character boundary and
 * ended with " ..." where it does not fit in SIZE bytes; returns BUF. */
char *ovc_render_command(size_t argc, char *const *argv, const char *exe,
			 char *buf, size_t size);

/** Writes S to OUT escaped for XML and HTML text and attribute values:
 * & < > " ' as entities, control characters and bytes that are not UTF-8
 * as '?'. Logs are untrusted: every string from them goes through here. */
void ovc_put_xml(FILE *out, const char *s);
/** The same, with the apostrophe written as APOS ("&apos;" in XML files
 * such as JUnit reports, where the HTML-safe "&#39;" is not needed). */
void ovc_put_xml_apos(FILE *out, const char *s, const char *apos);

/** N bytes in binary units ("1.5 MiB"; a negative N as 0) into BUF, of at
 * least 24 bytes; returns BUF. */
static inline const char *ovc_bytes(int64_t n, char *buf)
{
	return ovc_format_bytes(n > 0 ? (uint64_t)n : 0, buf, 24);
}

#endif
