/* The "sites" section of the text report: the call stacks that asked for a
 * process's memory, ranked, with what became of it. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ovc/options.h"
#include "read/frames.h"
#include "analyze/leaks.h"
#include "render/format.h"
#include "render/render.h"

#define LABEL_W 19 /* as in render-text.c */
#define BYTES_W 10
#define FRAME_INDENT "         "

/* Writes S with control characters replaced: names come from logs and
 * debug information, and must not drive the terminal. */
static void put_safe(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

/* FILE relative to the current directory when it lies below it, else its
 * last part: source paths in DWARF are long and absolute. */
static const char *short_file(const char *file, const char *cwd)
{
	size_t n = cwd ? strlen(cwd) : 0;
	if (n > 1 && strncmp(file, cwd, n) == 0 && file[n] == '/' &&
	    file[n + 1])
		return file + n + 1;
	return ovc_path_base(file);
}

static void put_frame(FILE *out, size_t i, const struct ovc_frame_info *fi,
		      const char *cwd)
{
	char label[256];
	fprintf(out, FRAME_INDENT "#%-2zu ", i);
	put_safe(out, ovc_frame_label(fi, label, sizeof label));
	if (fi->file) {
		fputs(" (", out);
		put_safe(out, short_file(fi->file, cwd));
		if (fi->line > 0)
			fprintf(out, ":%d", fi->line);
		fputc(')', out);
	}
	if (fi->module) {
		fputs("  [", out);
		put_safe(out, fi->module_name);
		if (fi->problem) {
			fputs(": ", out);
			put_safe(out, fi->problem);
		}
		fputc(']', out);
	} else if (fi->problem) {
		fputs("  [", out);
		put_safe(out, fi->problem);
		fputc(']', out);
	}
	fputc('\n', out);
}

/* Why a site's figures are estimates, or "exact". */
static void put_figures_kind(FILE *out, const struct ovc_site *s,
			     const struct ovc_site_figures *f)
{
	char b[24];
	if (!f->estimated) {
		fputs("exact", out);
		return;
	}
	fputs("estimated (", out);
	const char *sep = "";
	if (s->sampled) {
		fputs("sampled", out);
		sep = ", ";
	}
	if (s->shared_pages) {
		/* small blocks share pages with malloc's headers, which
		 * malloc writes: residency cannot tell written from not */
		fprintf(out, "%sresident pages", sep);
		sep = ", ";
	}
	if (s->lazyfree_shared) {
		/* the kernel counts MADV_FREE'd pages per VMA: shared out
		 * among the blocks whose freed pages the VMA holds */
		fprintf(out, "%sMADV_FREE pages shared out", sep);
		sep = ", ";
	}
	if (s->unprobed_bytes > 0)
		fprintf(out, "%s%s unprobed", sep, ovc_bytes(s->unprobed_bytes, b));
	fputc(')', out);
	if (f->touched_err_bytes > 0 || f->requested_err_bytes > 0) {
		char x[24], e[24];
		fprintf(out, ": touched ≈ %s ± %s",
			ovc_bytes(f->touched_bytes, x), ovc_bytes(f->touched_err_bytes, e));
		fprintf(out, ", requested ≈ %s ± %s",
			ovc_bytes(f->requested_bytes, x),
			ovc_bytes(f->requested_err_bytes, e));
	}
}

/* Writes the stack of S (at most MAX frames) under its row. */
static void put_stack(FILE *out, const struct ovc_proc *p,
		      const struct ovc_site *s, size_t max_frames,
		      struct ovc_symbolizer *sym, const char *cwd)
{
	size_t nf = s->nframes < max_frames ? s->nframes : max_frames;
	for (size_t i = 0; i < nf; i++) {
		struct ovc_frame_info fi;
		ovc_frame_describe(sym, p, &s->frames[i], &fi);
		put_frame(out, i, &fi, cwd);
	}
	size_t more = s->nframes - nf + s->frames_dropped;
	if (more && max_frames > 0)
		fprintf(out, FRAME_INDENT "... %zu more frame%s\n", more,
			more == 1 ? "" : "s");
	else if (s->nframes == 0 && s->frames_dropped == 0 && max_frames > 0)
		fputs(FRAME_INDENT "(no frames recorded)\n", out);
}

/* How many sites the text lists (TOP) and frames of each (MAX_FRAMES):
 * O's --top and --frames, or the text's defaults. */
static void text_limits(const struct ovc_render_opts *o, size_t *top,
			size_t *max_frames)
{
	*top = o && o->top_set ? o->top_sites : OVC_TOP_TEXT_DEFAULT;
	*max_frames = o && o->frames_set ? o->max_frames : OVC_FRAMES_DEFAULT;
}

void ovc_render_text_leaks(const struct ovc_proc *p, FILE *out,
			   const struct ovc_render_opts *o)
{
	struct ovc_symbolizer *sym = o ? o->sym : NULL;
	size_t top, max_frames;
	text_limits(o, &top, &max_frames);
	char a[24], b[24], n[32];
	const char *why;

	fprintf(out, "  %-*s", LABEL_W, "leaked");
	if (!ovc_proc_leaks_known(p, &why)) {
		fprintf(out, "not known: %s\n", why);
		return;
	}
	struct ovc_leak total;
	ovc_proc_leak(p, &total);
	if (total.bytes == 0) {
		fputs("nothing: every tracked block was freed\n", out);
		return;
	}
	fprintf(out, "%s", ovc_bytes(total.bytes, a));
	if (total.blocks >= 0)
		fprintf(out, " in %s block%s",
			ovc_render_count(total.blocks, n, sizeof n),
			total.blocks == 1 ? "" : "s");
	if (total.estimated)
		fprintf(out, ", estimated ± %s", ovc_bytes(total.sd_bytes, b));
	fputs("  still live at exit, never freed\n", out);

	size_t *order = malloc((p->nsites ? p->nsites : 1) * sizeof *order);
	if (!order) {
		fputs("  (out of memory)\n", out);
		return;
	}
	size_t ranked = ovc_proc_rank_leaks(p, order);
	size_t shown = ranked < top ? ranked : top;
	fprintf(out, "  %-*s%zu of %zu that leaked, most leaked bytes first\n",
		LABEL_W, "sites", shown, ranked);
	char cwdbuf[4096];
	const char *cwd = getcwd(cwdbuf, sizeof cwdbuf);
	if (shown)
		fprintf(out, "  %4s  %*s  %*s  %9s  %s\n", "#", BYTES_W,
			"leaked", BYTES_W + 2, "error", "blocks", "figures");
	for (size_t r = 0; r < shown; r++) {
		const struct ovc_site *s = &p->sites[order[r]];
		struct ovc_leak l;
		ovc_site_leak(s, &l);
		char err[32];
		if (l.estimated)
			snprintf(err, sizeof err, "± %s", ovc_bytes(l.sd_bytes, b));
		else
			snprintf(err, sizeof err, "-");
		fprintf(out, "  %4zu  %*s  %*s  %9s  %s\n", r + 1, BYTES_W,
			ovc_bytes(l.bytes, a), BYTES_W + 2, err,
			l.blocks >= 0 ? ovc_render_count(l.blocks, n, sizeof n)
				      : "?",
			l.estimated ? "estimated (sampled)" : "exact");
		put_stack(out, p, s, max_frames, sym, cwd);
	}
	if (ranked > shown)
		fprintf(out, "  (%zu more site%s: `--top N` shows more)\n",
			ranked - shown, ranked - shown == 1 ? "" : "s");
	free(order);
}

size_t *ovc_render_rank_sites(const struct ovc_proc *p,
			      const struct ovc_render_opts *o,
			      size_t default_top, size_t *ranked, size_t *shown)
{
	size_t top = o && o->top_set ? o->top_sites : default_top;
	size_t *order = malloc((p->nsites ? p->nsites : 1) * sizeof *order);
	*ranked = order ? ovc_proc_rank_sites(
				  p, o ? o->sort : OVC_SORT_UNTOUCHED, order)
			: 0;
	*shown = *ranked < top ? *ranked : top;
	return order;
}

void ovc_render_text_sites(const struct ovc_proc *p, FILE *out,
			   const struct ovc_render_opts *o)
{
	struct ovc_symbolizer *sym = o ? o->sym : NULL;
	size_t top, max_frames;
	text_limits(o, &top, &max_frames);
	enum ovc_site_sort key = o ? o->sort : OVC_SORT_UNTOUCHED;
	char a[24], b[24], c[24], d[24], e[24], n[32];

	fprintf(out, "  %-*s", LABEL_W, "sites");
	if (p->nsites == 0 && p->sites_dropped == 0) {
		fputs("none recorded: no allocation was large (OVC_LARGE) or "
		      "sampled\n",
		      out);
		return;
	}
	size_t *order = malloc((p->nsites ? p->nsites : 1) * sizeof *order);
	if (!order) {
		fputs("(out of memory)\n", out);
		return;
	}
	size_t ranked = ovc_proc_rank_sites(p, key, order);
	if (ranked == 0 && p->sites_dropped == 0 && ovc_proc_forked(p)) {
		fputs("none of its own: every site is its parent's, nothing "
		      "asked for there since the fork\n",
		      out);
		free(order);
		return;
	}
	size_t shown = ranked < top ? ranked : top;
	fprintf(out, "%zu of %zu", shown, ranked);
	if (key == OVC_SORT_RATIO)
		fputs(", lowest touched ratio first", out);
	else
		fprintf(out, ", most %s bytes first", ovc_site_sort_name(key));
	if (p->sites_dropped)
		fprintf(out, " (%" PRIu64 " more sites beyond ovc's limit of %d "
			     "not read)",
			p->sites_dropped, OVC_MAX_SITES);
	fputc('\n', out);
	if (shown == 0) {
		free(order);
		return;
	}

	char cwdbuf[4096];
	const char *cwd = getcwd(cwdbuf, sizeof cwdbuf);
	fprintf(out, "  %4s  %-6s  %*s  %*s  %*s  %6s  %*s  %9s  %s\n", "#",
		"family", BYTES_W, "untouched", BYTES_W, "requested", BYTES_W,
		"touched", "ratio", BYTES_W, "peak live", "blocks", "figures");
	for (size_t r = 0; r < shown; r++) {
		const struct ovc_site *s = &p->sites[order[r]];
		struct ovc_site_figures f;
		ovc_site_figures(s, &f);
		fprintf(out, "  %4zu  %-6s  %*s  %*s  %*s  %6s  %*s  %9s  ",
			r + 1, ovc_family_name(s->kind),
			BYTES_W, ovc_bytes(f.untouched_bytes, a), BYTES_W,
			ovc_bytes(f.requested_bytes, b), BYTES_W,
			ovc_bytes(f.touched_bytes, e),
			f.has_ratio ? ovc_render_percent(f.touched_ratio, c,
							 sizeof c)
				    : "-",
			BYTES_W, ovc_bytes(f.peak_live_bytes, d),
			ovc_render_count(f.blocks, n, sizeof n));
		put_figures_kind(out, s, &f);
		if (f.reused_bytes > 0)
			/* pages resident before the allocation (a reused heap
			 * chunk): not this site's doing, not in touched */
			fprintf(out, "; reused %s: resident when allocated",
				ovc_bytes(f.reused_bytes, a));
		if (s->kind != OVC_FAMILY_MALLOC)
			/* mappings: what of the reserved address space was
			 * made accessible (mprotect) */
			fprintf(out, "; committed %s at peak",
				ovc_bytes(s->peak_committed_bytes, a));
		fputc('\n', out);
		put_stack(out, p, s, max_frames, sym, cwd);
	}
	if (ranked > shown)
		fprintf(out, "  (%zu more site%s: `--top N` shows more, "
			     "`--top all` every one)\n",
			ranked - shown, ranked - shown == 1 ? "" : "s");
	free(order);
}
