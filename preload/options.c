/* The OVC_* option table and the parsing and formatting of its values;
 * shared by the preload (where it runs before main, so it never allocates)
 * and the CLI. */
#include "ovc/options.h"

#include <stddef.h>

const struct ovc_opt_def ovc_opt_defs[OVC_OPT_COUNT_] = {
#define OVC_OPT_ROW(id, env_, kind_, def_, min_, max_, choices_, help_)        \
	[OVC_OPT_##id] = {.env = env_,                                         \
			  .kind = kind_,                                       \
			  .def = def_,                                         \
			  .min = min_,                                         \
			  .max = max_,                                         \
			  .choices = choices_,                                 \
			  .help = help_},
	OVC_OPTIONS(OVC_OPT_ROW)
#undef OVC_OPT_ROW
};

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool word_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return b[n] == '\0';
}

/* Reads the leading decimal digits of *P; false on none or on overflow. */
static bool digits(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return true;
}

/* TEXT as a number and the unit after it: *V the number, *UNIT the rest
 * of TEXT (N bytes). False when TEXT does not start with digits or the
 * number does not fit. */
static bool number_unit(const char *text, uint64_t *v, const char **unit,
			size_t *n)
{
	const char *s = text;
	if (!s || !digits(&s, v))
		return false;
	size_t len = 0;
	while (s[len])
		len++;
	*unit = s;
	*n = len;
	return true;
}

bool ovc_parse_size(const char *text, uint64_t *out)
{
	static const struct {
		const char *word;
		unsigned shift;
	} units[] = {
		{"", 0},      {"b", 0},     {"k", 10},    {"kb", 10},
		{"kib", 10},  {"m", 20},    {"mb", 20},   {"mib", 20},
		{"g", 30},    {"gb", 30},   {"gib", 30},  {"t", 40},
		{"tb", 40},   {"tib", 40},
	};
	const char *s;
	size_t n;
	uint64_t v;
	if (!number_unit(text, &v, &s, &n))
		return false;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (!word_eq(s, units[i].word, n))
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			return false;
		*out = v << units[i].shift;
		return true;
	}
	return false;
}

bool ovc_parse_ms(const char *text, uint64_t *out)
{
	const char *s;
	size_t n;
	uint64_t v;
	if (!number_unit(text, &v, &s, &n))
		return false;
	if (word_eq(s, "", n) || word_eq(s, "ms", n)) {
		*out = v;
		return true;
	}
	if (word_eq(s, "s", n) && v <= UINT64_MAX / 1000) {
		*out = v * 1000;
		return true;
	}
	return false;
}

/* Index of WORD in the '|'-separated LIST, or -1. */
static int choice_index(const char *list, const char *word)
{
	size_t wn = 0;
	while (word[wn])
		wn++;
	int idx = 0;
	for (const char *p = list; *p; idx++) {
		const char *e = p;
		while (*e && *e != '|')
			e++;
		if ((size_t)(e - p) == wn) {
			bool same = true;
			for (size_t i = 0; i < wn; i++)
				if (lower(p[i]) != lower(word[i]))
					same = false;
			if (same)
				return idx;
		}
		p = *e ? e + 1 : e;
	}
	return -1;
}

bool ovc_parse_pid(const char *text, long *out)
{
	if (!text || !*text)
		return false;
	long v = 0;
	for (const char *s = text; *s; s++) {
		if (*s < '0' || *s > '9' || s - text >= 7)
			return false;
		v = v * 10 + (*s - '0');
	}
	if (v < 1 || v > 4194304)
		return false;
	*out = v;
	return true;
}

bool ovc_opt_parse_number(const struct ovc_opt_def *def, const char *text,
			  uint64_t *out)
{
	uint64_t v;
	const char *s = text;
	switch (def->kind) {
	case OVC_OPT_MS:
		if (!ovc_parse_ms(text, &v))
			return false;
		break;
	case OVC_OPT_SIZE:
		if (!ovc_parse_size(text, &v))
			return false;
		break;
	case OVC_OPT_COUNT:
		if (!digits(&s, &v) || *s)
			return false;
		break;
	case OVC_OPT_CHOICE: {
		int i = choice_index(def->choices, text);
		if (i < 0)
			return false;
		*out = (uint64_t)i;
		return true;
	}
	default:
		return false;
	}
	if (v < def->min || (def->max && v > def->max))
		return false;
	*out = v;
	return true;
}

char *ovc_format_bytes(uint64_t n, char *buf, unsigned long size)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	char tmp[32];
	size_t len = 0;
	unsigned u = 0;
	uint64_t whole = n, tenths = 0;
	if (size == 0)
		return buf;
	while (whole >= 1024 && u + 1 < sizeof unit / sizeof unit[0]) {
		/* Keep one decimal of the last division, rounded. */
		uint64_t next = whole / 1024;
		tenths = ((whole % 1024) * 10 + 512) / 1024;
		whole = next;
		u++;
	}
	if (tenths == 10) {
		whole++;
		tenths = 0;
	}
	/* 1023.96 KiB rounds to 1024.0 KiB: say 1.0 MiB instead */
	if (whole == 1024 && u > 0 && u + 1 < sizeof unit / sizeof unit[0]) {
		whole = 1;
		tenths = 0;
		u++;
	}
	/* digits of whole, reversed */
	char rev[24];
	size_t r = 0;
	do {
		rev[r++] = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole);
	while (r)
		tmp[len++] = rev[--r];
	if (u > 0) {
		tmp[len++] = '.';
		tmp[len++] = (char)('0' + tenths);
	}
	tmp[len++] = ' ';
	for (const char *p = unit[u]; *p; p++)
		tmp[len++] = *p;
	if (len >= size)
		len = size - 1;
	for (size_t i = 0; i < len; i++)
		buf[i] = tmp[i];
	buf[len] = '\0';
	return buf;
}
