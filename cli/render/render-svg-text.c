/* The text of the SVG charts: its width in their font, text cut to a
 * width, a process's command line as they name it. */
#include "render/render-svg.h"

#include <string.h>

#include "read/frames.h"
#include "render/format.h"

/* Advance widths of the printable ASCII characters (32 to 126) in DejaVu
 * Sans Bold, the widest face of the charts' font-family, in thousandths of
 * an em, as Chromium measures them; any other character counts as a whole
 * em. Text laid out with them stays where it is put in any of the listed
 * fonts, bold or not. */
static const unsigned short glyph_w[95] = {
	348, 456,  521, 838, 696, 1002, 872, 306, 457, 457, 523, 838,
	380, 415,  380, 365, 696, 696,  696, 696, 696, 696, 696, 696,
	696, 696,  400, 400, 838, 838,  838, 580, 1000, 774, 762, 734,
	830, 683,  683, 821, 837, 372,  372, 775, 637, 995, 837, 850,
	733, 850,  770, 720, 682, 812,  774, 1103, 771, 724, 725, 457,
	365, 457,  838, 500, 500, 675,  716, 593, 716, 678, 435, 716,
	712, 343,  343, 665, 343, 1042, 712, 687, 716, 716, 493, 595,
	478, 712,  652, 924, 645, 652,  582, 712, 365, 712, 838,
};

/* The width of S (UTF-8) at font size PX, at most (glyph_w). */
double ovc_svg_text_width(const char *s, double px)
{
	double w = 0;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c >= 32 && *c < 127)
			w += glyph_w[*c - 32];
		else if ((*c & 0xc0) != 0x80)
			w += 1000;
	}
	return w * px / 1000;
}

/* S in BUF (SIZE bytes), cut where it would be wider than MAX_PX at font
 * size PX: at a space near the end if there is one, else at a character
 * boundary, and ended with an ellipsis. Returns BUF. */
const char *ovc_svg_fit_text(const char *s, double px, double max_px,
			     char *buf, size_t size)
{
	snprintf(buf, size, "%s", s);
	size_t n = strlen(buf);
	if (n + 1 < size && ovc_svg_text_width(buf, px) <= max_px)
		return buf;
	if (size < 4)
		return buf;
	if (n > size - 4)
		n = size - 4;
	buf[n] = '\0';
	while (n > 0 && ovc_svg_text_width(buf, px) + px > max_px) {
		n--;
		while (n > 0 && ((unsigned char)buf[n] & 0xc0) == 0x80)
			n--;
		buf[n] = '\0';
	}
	/* A word boundary within the last 16 bytes reads better. */
	for (size_t k = n; k > 0 && n - k < 16; k--) {
		if (buf[k - 1] == ' ') {
			n = k - 1;
			break;
		}
	}
	strcpy(buf + n, "\xe2\x80\xa6"); /* … */
	return buf;
}

/* The whole command line of P (at most SIZE - 1 bytes) in BUF. */
const char *ovc_svg_command_line(const struct ovc_proc *p, char *buf,
				 size_t size)
{
	return ovc_render_command(p->argc, p->argv, p->exe, buf, size);
}

/* The command line of P with its program's name, not its path, in BUF:
 * how a list names a process. */
const char *ovc_svg_short_command(const struct ovc_proc *p, char *buf,
				  size_t size)
{
	const char *prog = p->argc ? p->argv[0] : p->exe;
	int n = snprintf(buf, size, "%s%s",
			 prog && prog[0] ? ovc_path_base(prog) : "(unknown)",
			 p->argc > 1 ? " " : "");
	if (p->argc > 1 && n > 0 && (size_t)n < size)
		ovc_render_command(p->argc - 1, p->argv + 1, NULL, buf + n,
				   size - (size_t)n);
	return buf;
}
