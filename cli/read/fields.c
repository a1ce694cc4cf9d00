/* Field access for the log reader (reader.h): each value of a record
 * checked (type, range, size) before it is used, integers past INT64_MAX
 * read saturated, and the reader's warnings within their budget. */
#include "read/reader.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void ovc_rd_say(FILE *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ovc: ", err);
	vfprintf(err, fmt, ap);
	fputc('\n', err);
	va_end(ap);
}

void ovc_rd_why(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
}

/* Reports the current line as bad (r->why), within the warning budget. */
void ovc_rd_bad_line(struct reader *r)
{
	if (r->warned >= r->max_warnings) {
		r->suppressed++;
		return;
	}
	r->warned++;
	ovc_rd_say(r->err, "%s:%llu: %s; line skipped", r->path,
		   (unsigned long long)r->lineno, r->why);
}

/* ---- integers past INT64_MAX ----
 *
 * The preload writes its figures unsigned: a request's size (a refused
 * malloc(SIZE_MAX)) and its byte totals (which saturate at UINT64_MAX) may
 * pass INT64_MAX, and jansson, whose integers are long long, rejects a
 * line that holds one. Such an integer, outside strings, is written as a
 * string of its digits before the line is parsed; ovc_rd_int and ovc_rd_counts
 * read that string back as the figure, saturated to INT64_MAX (8 EiB: the
 * model's figures are int64_t) where the field takes any size. */

/* The value of S when it is a whole number in (INT64_MAX, UINT64_MAX]
 * written in decimal digits only. */
static bool big_digits(const char *s, size_t n, uint64_t *out)
{
	if (n < 19 || n > 20)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return false;
	}
	if (v <= INT64_MAX)
		return false;
	*out = v;
	return true;
}

/* A copy of the line S (LEN bytes) with every integer above INT64_MAX
 * outside strings quoted, and its length in *OUT_LEN; NULL when there is
 * none (the common case, decided by one pass) or no memory. */
static char *quote_big_ints(const char *s, size_t len, size_t *out_len)
{
	size_t run = 0, i;
	for (i = 0; i < len; i++) {
		run = (s[i] >= '0' && s[i] <= '9') ? run + 1 : 0;
		if (run == 19)
			break;
	}
	if (i == len)
		return NULL;
	/* At most two quotes per 19 bytes of digits. */
	char *out = malloc(len + len / 9 + 3);
	if (!out)
		return NULL;
	size_t n = 0;
	bool in_str = false, quoted = false;
	for (i = 0; i < len;) {
		char c = s[i];
		if (in_str) {
			out[n++] = c;
			i++;
			if (c == '\\' && i < len)
				out[n++] = s[i++];
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
			out[n++] = c;
			i++;
			continue;
		}
		if ((c >= '0' && c <= '9') || c == '-') {
			size_t j = i;
			while (j < len &&
			       ((s[j] >= '0' && s[j] <= '9') || s[j] == '-' ||
				s[j] == '+' || s[j] == '.' || s[j] == 'e' ||
				s[j] == 'E'))
				j++;
			uint64_t v;
			bool big = big_digits(s + i, j - i, &v);
			if (big)
				out[n++] = '"';
			memcpy(out + n, s + i, j - i);
			n += j - i;
			if (big)
				out[n++] = '"', quoted = true;
			i = j;
			continue;
		}
		out[n++] = c;
		i++;
	}
	if (!quoted) {
		free(out);
		return NULL;
	}
	*out_len = n;
	return out;
}

/* Parses one line with jansson, big integers quoted first. */
json_t *ovc_rd_load_line(const char *buf, size_t len, json_error_t *jerr)
{
	size_t qlen;
	char *q = quote_big_ints(buf, len, &qlen);
	json_t *o = json_loadb(q ? q : buf, q ? qlen : len, 0, jerr);
	free(q);
	return o;
}

/* Whether V is a figure past INT64_MAX that ovc_rd_load_line quoted. */
static bool json_big(json_t *v, uint64_t *out)
{
	return json_is_string(v) &&
	       big_digits(json_string_value(v), json_string_length(v), out);
}

/* Member KEY of O in *V: FLD_MISSING when it is not there or null; where
 * WHAT is not NULL, FLD_BAD (said: "is not WHAT") when it is not of TYPE
 * (JSON_TRUE: a boolean); else FLD_OK. */
static enum field member(struct reader *r, json_t *o, const char *key,
			 json_type type, const char *what, json_t **v)
{
	*v = json_object_get(o, key);
	if (!*v || json_is_null(*v))
		return FLD_MISSING;
	json_type t = json_typeof(*v);
	if (what && t != type && !(type == JSON_TRUE && t == JSON_FALSE)) {
		ovc_rd_why(r, "\"%s\" is not %s", key, what);
		return FLD_BAD;
	}
	return FLD_OK;
}

enum field ovc_rd_int(struct reader *r, json_t *o, const char *key,
		      int64_t min, int64_t max, int64_t *out)
{
	json_t *v;
	if (member(r, o, key, JSON_INTEGER, NULL, &v) == FLD_MISSING)
		return FLD_MISSING;
	uint64_t big;
	if (json_big(v, &big)) {
		/* Any size: saturated. A bounded field: out of range. */
		if (max != INT64_MAX) {
			ovc_rd_why(r, "\"%s\" is out of range (%llu)", key,
				   (unsigned long long)big);
			return FLD_BAD;
		}
		*out = INT64_MAX;
		return FLD_OK;
	}
	if (!json_is_integer(v)) {
		ovc_rd_why(r, "\"%s\" is not an integer", key);
		return FLD_BAD;
	}
	json_int_t x = json_integer_value(v);
	if (x < min || x > max) {
		ovc_rd_why(r, "\"%s\" is out of range (%lld)", key,
			   (long long)x);
		return FLD_BAD;
	}
	*out = (int64_t)x;
	return FLD_OK;
}

enum field ovc_rd_str(struct reader *r, json_t *o, const char *key,
		      const char **out)
{
	json_t *v;
	enum field f = member(r, o, key, JSON_STRING, "a string", &v);
	if (f == FLD_OK)
		*out = json_string_value(v);
	return f;
}

/* Copy of S cut to MAX_STRING bytes (at a UTF-8 boundary). */
char *ovc_rd_dup(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return strndup(s, n);
}

/* Replaces *DST with a bounded copy of SRC; false when out of memory. */
bool ovc_rd_set_string(char **dst, const char *src)
{
	char *c = ovc_rd_dup(src, MAX_STRING);
	if (!c)
		return false;
	free(*dst);
	*dst = c;
	return true;
}

/* Reads an array of strings (argv) into *ARGV and *ARGC, bounded. */
enum field ovc_rd_argv(struct reader *r, json_t *o, const char *key,
		       char ***argv, size_t *argc)
{
	json_t *a;
	enum field f = member(r, o, key, JSON_ARRAY, "an array", &a);
	if (f != FLD_OK)
		return f;
	size_t n = json_array_size(a);
	if (n > MAX_ARGC)
		n = MAX_ARGC;
	char **v = calloc(n + 1, sizeof *v);
	if (!v) {
		ovc_rd_why(r, "out of memory");
		return FLD_BAD;
	}
	size_t total = 0, k = 0;
	for (size_t i = 0; i < n && total < MAX_ARGV_BYTES; i++) {
		json_t *e = json_array_get(a, i);
		const char *s = json_is_string(e) ? json_string_value(e) : "?";
		char *c = ovc_rd_dup(s, MAX_ARGV_BYTES - total);
		if (!c)
			break;
		total += strlen(c) + 1;
		v[k++] = c;
	}
	for (size_t i = 0; i < *argc; i++)
		free((*argv)[i]);
	free(*argv);
	*argv = v;
	*argc = k;
	return FLD_OK;
}

/* Reads an array of NFUNCS non-negative integers into OUT[NFUNCS]. */
enum field ovc_rd_counts(struct reader *r, json_t *o, const char *key,
			 size_t nfuncs, int64_t *out)
{
	json_t *a;
	if (member(r, o, key, JSON_ARRAY, NULL, &a) == FLD_MISSING)
		return FLD_MISSING;
	if (!json_is_array(a) || json_array_size(a) != nfuncs) {
		ovc_rd_why(r, "\"%s\" is not an array of %zu integers", key,
			   nfuncs);
		return FLD_BAD;
	}
	for (size_t i = 0; i < nfuncs; i++) {
		json_t *e = json_array_get(a, i);
		uint64_t big;
		if (json_big(e, &big)) {
			out[i] = INT64_MAX; /* a byte total: saturated */
			continue;
		}
		if (!json_is_integer(e) || json_integer_value(e) < 0) {
			ovc_rd_why(r,
				   "\"%s\"[%zu] is not a non-negative integer",
				   key, i);
			return FLD_BAD;
		}
		out[i] = (int64_t)json_integer_value(e);
	}
	return FLD_OK;
}

/* A header field that is present but wrong: warn, keep the default. */
void ovc_rd_header_field(struct reader *r, enum field f)
{
	if (f == FLD_BAD) {
		char keep[sizeof r->why];
		memcpy(keep, r->why, sizeof keep);
		ovc_rd_why(r, "%s; default used", keep);
		if (r->warned < r->max_warnings) {
			r->warned++;
			ovc_rd_say(r->err, "%s:%llu: %s", r->path,
				   (unsigned long long)r->lineno, r->why);
		} else {
			r->suppressed++;
		}
	}
}

enum field ovc_rd_bool(struct reader *r, json_t *o, const char *key,
		       bool *out)
{
	json_t *v;
	enum field f = member(r, o, key, JSON_TRUE, "true or false", &v);
	if (f == FLD_OK)
		*out = json_is_true(v);
	return f;
}

void ovc_rd_say_once(struct reader *r, bool *said, const char *fmt, ...)
{
	if (*said)
		return;
	*said = true;
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ovc_rd_say(r->err, "%s:%llu: %s", r->path,
		   (unsigned long long)r->lineno, msg);
}
