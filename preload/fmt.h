/* Layer 0, base: JSON text into fixed buffers (fmt.c). Every function is
 * hook-safe, sampler-safe and signal-safe: no allocation, no lock, no
 * system call; the caller owns the buffer. */
#ifndef OVC_PRELOAD_FMT_H
#define OVC_PRELOAD_FMT_H

#include "base.h"

/* ---- fmt.c: JSON lines into fixed buffers, no allocation ---- */

struct ovc_buf {
	char *p;
	size_t len, cap;
	bool overflow; /**< something did not fit: the line must not be written */
};

/** Starts an empty buffer over MEM of CAP bytes. */
void ovc_buf_init(struct ovc_buf *b, char *mem, size_t cap) OVC_HIDDEN;
/** Appends raw text. */
void ovc_buf_raw(struct ovc_buf *b, const char *s) OVC_HIDDEN;
void ovc_buf_rawn(struct ovc_buf *b, const char *s, size_t n) OVC_HIDDEN;
void ovc_buf_u64(struct ovc_buf *b, uint64_t v) OVC_HIDDEN;
void ovc_buf_i64(struct ovc_buf *b, int64_t v) OVC_HIDDEN;
/** Appends S (N bytes) as a JSON string with quotes; bytes that are not
 * valid UTF-8 are written as \u00XX of their value. */
void ovc_buf_jstr(struct ovc_buf *b, const char *s, size_t n) OVC_HIDDEN;
/** Appends `,"KEY":` (without the comma when the object just opened). */
void ovc_buf_key(struct ovc_buf *b, const char *key) OVC_HIDDEN;
/** Starts a log record of TYPE (an OVC_REC_*) over MEM of CAP bytes:
 * `{"t":"TYPE"`. */
void ovc_buf_record(struct ovc_buf *b, char *mem, size_t cap,
		    const char *type) OVC_HIDDEN;
/** Appends `,"KEY":V`. */
static inline void ovc_buf_key_u64(struct ovc_buf *b, const char *key,
				   uint64_t v)
{
	ovc_buf_key(b, key);
	ovc_buf_u64(b, v);
}
/** Appends `,"KEY":V`. */
static inline void ovc_buf_key_i64(struct ovc_buf *b, const char *key,
				   int64_t v)
{
	ovc_buf_key(b, key);
	ovc_buf_i64(b, v);
}
/** Appends an array of N unsigned numbers. */
void ovc_buf_u64s(struct ovc_buf *b, const uint64_t *v, size_t n) OVC_HIDDEN;
/** Appends an array of N strings (NUL-terminated). */
void ovc_buf_strs(struct ovc_buf *b, const char *const *v, size_t n) OVC_HIDDEN;

/** Copies SRC into DST (CAP bytes), cut and NUL-terminated. Hook-safe. */
void ovc_copy_str(char *dst, size_t cap, const char *src) OVC_HIDDEN;

#endif
