/* JSON text into fixed buffers, for code that must not allocate. */
#include "fmt.h"

#include <string.h>

void ovc_buf_init(struct ovc_buf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->overflow = false;
}

void ovc_buf_rawn(struct ovc_buf *b, const char *s, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void ovc_buf_raw(struct ovc_buf *b, const char *s)
{
	ovc_buf_rawn(b, s, strlen(s));
}

void ovc_buf_u64(struct ovc_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ovc_buf_rawn(b, tmp + i, sizeof tmp - i);
}

void ovc_buf_i64(struct ovc_buf *b, int64_t v)
{
	if (v < 0) {
		ovc_buf_raw(b, "-");
		ovc_buf_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		ovc_buf_u64(b, (uint64_t)v);
	}
}

/* Length of the valid UTF-8 sequence at S (at most N bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void ovc_buf_jstr(struct ovc_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	ovc_buf_raw(b, "\"");
	size_t i = 0;
	while (i < n && !b->overflow) {
		unsigned char c = u[i];
		size_t run = 0;
		/* copy the longest stretch that needs no escaping at once */
		while (i + run < n && u[i + run] >= 0x20 && u[i + run] < 0x80 &&
		       u[i + run] != '"' && u[i + run] != '\\')
			run++;
		if (run) {
			ovc_buf_rawn(b, s + i, run);
			i += run;
			continue;
		}
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			ovc_buf_rawn(b, e, 2);
			i++;
		} else if (c == '\n') {
			ovc_buf_raw(b, "\\n");
			i++;
		} else if (c == '\t') {
			ovc_buf_raw(b, "\\t");
			i++;
		} else if (c >= 0x80 && utf8_len(u + i, n - i)) {
			size_t l = utf8_len(u + i, n - i);
			ovc_buf_rawn(b, s + i, l);
			i += l;
		} else {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			ovc_buf_rawn(b, e, 6);
			i++;
		}
	}
	ovc_buf_raw(b, "\"");
}

void ovc_buf_key(struct ovc_buf *b, const char *key)
{
	if (b->len && b->p[b->len - 1] != '{')
		ovc_buf_raw(b, ",");
	ovc_buf_raw(b, "\"");
	ovc_buf_raw(b, key);
	ovc_buf_raw(b, "\":");
}

void ovc_buf_record(struct ovc_buf *b, char *mem, size_t cap,
		    const char *type)
{
	ovc_buf_init(b, mem, cap);
	ovc_buf_raw(b, "{\"t\":\"");
	ovc_buf_raw(b, type);
	ovc_buf_raw(b, "\"");
}

void ovc_buf_u64s(struct ovc_buf *b, const uint64_t *v, size_t n)
{
	ovc_buf_raw(b, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			ovc_buf_raw(b, ",");
		ovc_buf_u64(b, v[i]);
	}
	ovc_buf_raw(b, "]");
}

void ovc_buf_strs(struct ovc_buf *b, const char *const *v, size_t n)
{
	ovc_buf_raw(b, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			ovc_buf_raw(b, ",");
		ovc_buf_jstr(b, v[i], strlen(v[i]));
	}
	ovc_buf_raw(b, "]");
}

void ovc_copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}
