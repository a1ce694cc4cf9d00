/* `ovc diff` told (render-diff.h): the rows that changed with their
 * figures on both sides, as text for people or as the "ovc-diff" JSON
 * document. */
#include "render/render-diff.h"

#include <stdlib.h>
#include <string.h>

#include "ovc/options.h"

static const char *const exe_fig_labels[OVC_DIFF_N] = {
	"requested", "peak live", "peak resident", "overcommit gap",
	"touched ratio"};
static const char *const site_fig_labels[OVC_DIFF_N] = {
	"requested", "peak live", "touched", "untouched", "touched ratio"};

static void put_change(FILE *out, int64_t b, int64_t n)
{
	char x[24];
	int64_t d = n - b;
	uint64_t ad = d < 0 ? (uint64_t)(-(d + 1)) + 1 : (uint64_t)d;
	fprintf(out, "  %c%s", d < 0 ? '-' : '+',
		ovc_format_bytes(ad, x, sizeof x));
	if (b > 0)
		fprintf(out, " (%+.1f%%)", (double)d / (double)b * 100.0);
	else if (n > 0)
		fputs(" (new)", out);
}

static void put_safe(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

static void text_rows(FILE *out, struct ovc_diff_table *t, const char *title,
		      bool is_site, const struct ovc_diff_opts *o,
		      size_t *nchanged, size_t *nflagged)
{
	const char *const *labels = is_site ? site_fig_labels : exe_fig_labels;
	size_t shown = 0, unchanged = 0;
	fprintf(out, "%s\n", title);
	for (size_t i = 0; i < t->n; i++) {
		const struct ovc_diff_row *r = &t->v[i];
		struct ovc_diff_verdict v;
		ovc_diff_judge(r, o, is_site, &v);
		*nchanged += v.any_changed;
		*nflagged += v.any_flagged;
		if (!v.any_changed && !o->all) {
			unchanged++;
			continue;
		}
		shown++;
		const struct ovc_diff_agg *b = &r->side[0], *n = &r->side[1];
		fputs(v.any_flagged ? "! " : "  ", out);
		put_safe(out, r->label);
		if (!b->present)
			fputs("  [only in NEW]", out);
		else if (!n->present)
			fputs("  [only in BASE]", out);
		else if (!is_site && b->images != n->images)
			fprintf(out, "  [%lld → %lld images]",
				(long long)b->images, (long long)n->images);
		if (b->estimated || n->estimated)
			fputs("  [estimated: sampled]", out);
		fputc('\n', out);
		for (int f = 0; f < OVC_DIFF_N; f++) {
			if (!v.changed[f] && !o->all)
				continue;
			char x[24], y[24];
			fprintf(out, "    %-16s", labels[f]);
			if (f == OVC_DIFF_RATIO) {
				bool hb, hn;
				double rb = ovc_diff_ratio(b, &hb),
				       rn = ovc_diff_ratio(n, &hn);
				char sb[16] = "-", sn[16] = "-";
				if (hb)
					snprintf(sb, sizeof sb, "%.1f%%",
						 rb * 100.0);
				if (hn)
					snprintf(sn, sizeof sn, "%.1f%%",
						 rn * 100.0);
				fprintf(out, "%10s %10s", sb, sn);
				if (hb && hn)
					fprintf(out, "  %+.1f points",
						(rn - rb) * 100.0);
				fputc('\n', out);
				continue;
			}
			fprintf(out, "%10s %10s",
				ovc_format_bytes((uint64_t)b->v[f], x,
						 sizeof x),
				ovc_format_bytes((uint64_t)n->v[f], y,
						 sizeof y));
			put_change(out, b->v[f], n->v[f]);
			if (v.flagged[f])
				fprintf(out, "  over %g%%", o->fail_over);
			fputc('\n', out);
		}
	}
	if (!shown)
		fputs("  no change\n", out);
	if (unchanged && shown)
		fprintf(out, "  (%zu more unchanged)\n", unchanged);
	fputc('\n', out);
}

static json_t *json_rows(struct ovc_diff_table *t, bool is_site,
			 const struct ovc_diff_opts *o, size_t *nflagged)
{
	const char *const *names =
		is_site ? ovc_diff_site_names : ovc_diff_exe_names;
	json_t *a = json_array();
	for (size_t i = 0; i < t->n; i++) {
		const struct ovc_diff_row *r = &t->v[i];
		struct ovc_diff_verdict v;
		ovc_diff_judge(r, o, is_site, &v);
		*nflagged += v.any_flagged;
		const struct ovc_diff_agg *b = &r->side[0], *n = &r->side[1];
		json_t *e = json_object();
		if (is_site) {
			const char *sep = strchr(r->key, '\x1e');
			char *exe = strndup(r->key, sep ? (size_t)(sep - r->key)
							: strlen(r->key));
			json_object_set_new(e, "exe",
					    json_string(exe ? exe : ""));
			free(exe);
			/* The labels are the end of the key. */
			size_t total = 0;
			for (size_t k = 0; k < r->nframes; k++)
				total += r->frame_len[k] + 1u;
			const char *name = r->key + strlen(r->key) - total;
			json_t *frames = json_array();
			for (size_t k = 0; k < r->nframes; k++) {
				json_array_append_new(
					frames, json_stringn(name + 1,
							     r->frame_len[k]));
				name += r->frame_len[k] + 1u;
			}
			json_object_set_new(e, "frames", frames);
		} else {
			json_object_set_new(e, "exe", json_string(r->key));
		}
		json_object_set_new(e, "label", json_string(r->label));
		json_object_set_new(e, "status",
				    json_string(!b->present   ? "new_only"
						: !n->present ? "base_only"
							      : "both"));
		json_object_set_new(e, "base_images", json_integer(b->images));
		json_object_set_new(e, "new_images", json_integer(n->images));
		json_object_set_new(e, "estimated",
				    json_boolean(b->estimated || n->estimated));
		json_t *figs = json_object();
		for (int f = 0; f < OVC_DIFF_N; f++) {
			json_t *x = json_object();
			if (f == OVC_DIFF_RATIO) {
				bool hb, hn;
				double rb = ovc_diff_ratio(b, &hb),
				       rn = ovc_diff_ratio(n, &hn);
				json_object_set_new(x, "base",
						    hb ? json_real(rb)
						       : json_null());
				json_object_set_new(x, "new", hn ? json_real(rn)
								 : json_null());
				json_object_set_new(x, "change",
						    hb && hn
							    ? json_real(rn - rb)
							    : json_null());
			} else {
				int64_t d = n->v[f] - b->v[f];
				json_object_set_new(x, "base",
						    json_integer(b->v[f]));
				json_object_set_new(x, "new",
						    json_integer(n->v[f]));
				json_object_set_new(x, "change",
						    json_integer(d));
				json_object_set_new(
					x, "relative",
					b->v[f] > 0
						? json_real((double)d /
							    (double)b->v[f])
						: json_null());
			}
			json_object_set_new(x, "changed",
					    json_boolean(v.changed[f]));
			json_object_set_new(x, "flagged",
					    json_boolean(v.flagged[f]));
			json_object_set_new(figs, names[f], x);
		}
		json_object_set_new(e, "figures", figs);
		json_object_set_new(e, "changed", json_boolean(v.any_changed));
		json_object_set_new(e, "flagged", json_boolean(v.any_flagged));
		json_array_append_new(a, e);
	}
	return a;
}

bool ovc_render_diff_json(FILE *out, const char *base, const char *new_run,
			  struct ovc_diff_table *exes,
			  struct ovc_diff_table *sites,
			  const struct ovc_diff_opts *o, size_t *flagged)
{
	json_t *doc = json_object();
	json_object_set_new(doc, "format", json_string("ovc-diff"));
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "base", json_string(base));
	json_object_set_new(doc, "new", json_string(new_run));
	json_object_set_new(doc, "fail_over_percent",
			    o->fail_set ? json_real(o->fail_over)
				       : json_null());
	json_object_set_new(doc, "min_bytes", json_integer(o->min_bytes));
	json_object_set_new(doc, "min_percent", json_real(o->min_percent));
	json_object_set_new(doc, "executables",
			    json_rows(exes, false, o, flagged));
	json_object_set_new(doc, "sites",
			    json_rows(sites, true, o, flagged));
	json_object_set_new(doc, "flagged",
			    json_integer((json_int_t)*flagged));
	bool ok = json_dumpf(doc, out,
			     JSON_INDENT(2) | JSON_REAL_PRECISION(6)) == 0;
	fputc('\n', out);
	json_decref(doc);
	return ok;
}

void ovc_render_diff_text(FILE *out, const char *base, const char *new_run,
			  struct ovc_diff_table *exes,
			  struct ovc_diff_table *sites,
			  const struct ovc_diff_opts *o, size_t *flagged)
{
	size_t changed = 0;
	char mb[24];
	fputs("ovc diff: BASE ", out);
	put_safe(out, base);
	fputs("\n          NEW  ", out);
	put_safe(out, new_run);
	fprintf(out,
		"\n          changes of %s and %g%% or more, beyond the "
		"sampling error of estimates",
		ovc_format_bytes((uint64_t)o->min_bytes, mb, sizeof mb),
		o->min_percent);
	if (o->fail_set)
		fprintf(out, "; ! marks growth over %g%%",
			o->fail_over);
	fputs("\n\n", out);
	fprintf(out, "  %-20s%10s %10s  %s\n", "", "base", "new",
		"change");
	text_rows(out, exes, "executables", false, o, &changed,
		  flagged);
	text_rows(out, sites, "sites (matched by executable and "
				  "stack)",
		  true, o, &changed, flagged);
	if (o->fail_set)
		fprintf(out, "%zu changed, %zu grew by more than "
				"%g%%\n",
			changed, *flagged, o->fail_over);
	else if (changed)
		fprintf(out, "%zu changed\n", changed);
	else
		fputs("no change\n", out);
}
