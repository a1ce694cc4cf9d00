/* Formatting shared by the renderers (format.h): counts, durations,
 * percentages, and log text escaped for XML and HTML. */
#include "render/format.h"

#include <inttypes.h>

char *ovc_render_count(int64_t n, char *buf, size_t size)
{
	char digits[32];
	int len = snprintf(digits, sizeof digits, "%" PRId64, n);
	size_t o = 0;
	for (int i = 0; i < len && o + 1 < size; i++) {
		buf[o++] = digits[i];
		int rest = len - i - 1;
		if (digits[i] != '-' && rest > 0 && rest % 3 == 0 &&
		    o + 1 < size)
			buf[o++] = ',';
	}
	buf[o] = '\0';
	return buf;
}

char *ovc_render_duration(int64_t ns, char *buf, size_t size)
{
	if (ns < 0)
		ns = 0;
	if (ns < 1000000)
		snprintf(buf, size, "%" PRId64 " µs", ns / 1000);
	else if (ns < 1000000000)
		snprintf(buf, size, "%" PRId64 " ms", ns / 1000000);
	else if (ns < (int64_t)60 * 1000000000)
		snprintf(buf, size, "%.2f s", (double)ns / 1e9);
	else {
		int64_t s = ns / 1000000000;
		if (s < 3600)
			snprintf(buf, size, "%" PRId64 " min %02" PRId64 " s",
				 s / 60, s % 60);
		else
			snprintf(buf, size, "%" PRId64 " h %02" PRId64 " min",
				 s / 3600, s / 60 % 60);
	}
	return buf;
}

const char *ovc_render_bound_note(int64_t value, int64_t bound,
				  const char *what, char *buf, size_t size)
{
	if (bound <= value)
		return what;
	char up[24];
	snprintf(buf, size,
		 "to %s: threads; %s, the highest seen to the sum of "
		 "per-thread peaks",
		 ovc_bytes(bound, up), what);
	return buf;
}

char *ovc_render_percent(double r, char *buf, size_t size)
{
	double pc = r * 100.0;
	if (r <= 0.0)
		snprintf(buf, size, "0%%");
	else if (pc < 0.01)
		snprintf(buf, size, "<0.01%%");
	else if (pc < 1.0)
		snprintf(buf, size, "%.2f%%", pc);
	else if (pc < 10.0)
		snprintf(buf, size, "%.1f%%", pc);
	else if (pc > 99.5 && pc < 100.0)
		snprintf(buf, size, ">99%%");
	else
		snprintf(buf, size, "%.0f%%", pc);
	return buf;
}

/* Length of the UTF-8 sequence at S, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

char *ovc_render_command(size_t argc, char *const *argv, const char *exe,
			 char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = '\0';
	if (argc == 0) {
		snprintf(buf, size, "%s", exe && exe[0] ? exe : "(unknown)");
		return buf;
	}
	for (size_t i = 0; i < argc && o + 1 < size; i++) {
		int n = snprintf(buf + o, size - o, "%s%s", i ? " " : "",
				 argv[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (o >= size - 1) {
		o = size > 5 ? size - 5 : 0;
		while (o > 0 && ((unsigned char)buf[o] & 0xc0) == 0x80)
			o--;
		snprintf(buf + o, size - o, " ...");
	}
	return buf;
}

void ovc_put_xml(FILE *out, const char *str)
{
	ovc_put_xml_apos(out, str, "&#39;");
}

void ovc_put_xml_apos(FILE *out, const char *str, const char *apos)
{
	static const char *const entity[128] = {
		['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
	};
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		const char *e = *s == '\'' ? apos : *s < 0x80 ? entity[*s] : NULL;
		if (e) {
			fputs(e, out);
		} else if (*s < 0x20 || *s == 0x7f) {
			fputc('?', out);
		} else if (*s >= 0x80) {
			size_t n = utf8_len(s);
			if (n) {
				fwrite(s, 1, n, out);
				s += n;
				continue;
			}
			fputc('?', out);
		} else {
			fputc(*s, out);
		}
		s++;
	}
}
