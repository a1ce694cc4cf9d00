/* `ovc diff BASE NEW`: two runs compared per executable (by exe path,
 * images of one exe aggregated) and per site (by symbolized stack: the
 * function and file names of its frames, not addresses), for regression
 * gates. Either side is a log directory (or log files), read into a model
 * and compared as it is, or a saved `ovc report --json`. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "read/frames.h"
#include "read/model.h"
#include "ovc/options.h"
#include "render/render.h"
#include "read/symbolize.h"

/* Changes smaller than this many bytes are noise unless told otherwise. */
#define MIN_BYTES_DEFAULT (64 * 1024)

enum fig { F_REQUESTED, F_PEAK_LIVE, F_RESIDENT, F_UNTOUCHED, F_RATIO, F_N };

static const char *const exe_fig_names[F_N] = {
	"requested_bytes", "peak_live_bytes", "peak_rss_bytes",
	"overcommit_gap_bytes", "touched_ratio"};
static const char *const site_fig_names[F_N] = {
	"requested_bytes", "peak_live_bytes", "touched_bytes",
	"untouched_bytes", "touched_ratio"};
static const char *const exe_fig_labels[F_N] = {
	"requested", "peak live", "peak resident", "overcommit gap",
	"touched ratio"};
static const char *const site_fig_labels[F_N] = {
	"requested", "peak live", "touched", "untouched", "touched ratio"};

/* One executable or site, aggregated on one side. */
struct agg {
	bool present;
	int64_t images;
	int64_t v[F_N - 1]; /* byte figures */
	int64_t touched, live_for_ratio; /* for the ratio of sums */
	bool estimated;
};

struct row {
	char *key;   /* exe path, or exe + stack */
	char *label; /* what people read */
	uint16_t *frame_len; /* site rows: length of each frame's label in
				key, innermost first (the labels follow the
				exe, each after a \x1e) */
	size_t nframes;
	struct agg side[2];
};

/* Rows in the order first seen, found by key through an open-addressing
 * hash table of their positions (0: empty slot, else position + 1). */
struct table {
	struct row *v;
	size_t n, cap;
	size_t *slot;
	size_t nslots; /* a power of two, at least twice n */
};

static uint64_t hash_key(const char *key)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return h;
}

/* The slot of KEY: where it is, or the empty one where it goes. */
static size_t *slot_of(const struct table *t, const char *key)
{
	size_t mask = t->nslots - 1;
	for (size_t i = (size_t)hash_key(key) & mask;; i = (i + 1) & mask)
		if (!t->slot[i] || strcmp(t->v[t->slot[i] - 1].key, key) == 0)
			return &t->slot[i];
}

static bool table_grow(struct table *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 256;
	size_t *ns = calloc(n, sizeof *ns);
	if (!ns)
		return false;
	free(t->slot);
	t->slot = ns;
	t->nslots = n;
	for (size_t i = 0; i < t->n; i++)
		*slot_of(t, t->v[i].key) = i + 1;
	return true;
}

static struct row *row_get(struct table *t, const char *key,
			   const char *label)
{
	if ((t->n + 1) * 2 > t->nslots && !table_grow(t))
		return NULL;
	size_t *slot = slot_of(t, key);
	if (*slot)
		return &t->v[*slot - 1];
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct row *nv = realloc(t->v, ncap * sizeof *nv);
		if (!nv)
			return NULL;
		t->v = nv;
		t->cap = ncap;
	}
	struct row *r = &t->v[t->n];
	memset(r, 0, sizeof *r);
	r->key = strdup(key);
	r->label = strdup(label);
	if (!r->key || !r->label) {
		free(r->key);
		free(r->label);
		return NULL;
	}
	t->n++;
	*slot = t->n;
	return r;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].key);
		free(t->v[i].label);
		free(t->v[i].frame_len);
	}
	free(t->v);
	free(t->slot);
}

static int64_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) && json_integer_value(v) > 0
		       ? (int64_t)json_integer_value(v)
		       : 0;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	return b > 0 && a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* The name of a frame as matched: its function FN (module MOD+0xOFFSET
 * when unknown) and its file's last part. Line numbers are left out, so
 * that an edit elsewhere in a file does not break the match. */
static void frame_name(const char *fn, const char *file, const char *mod,
		       int64_t offset, char *buf, size_t size)
{
	char tmp[300];
	if (fn)
		snprintf(tmp, sizeof tmp, "%s", fn);
	else
		snprintf(tmp, sizeof tmp, "%s+0x%llx",
			 mod ? ovc_path_base(mod) : "?",
			 (unsigned long long)offset);
	if (file)
		snprintf(buf, size, "%s (%s)", tmp, ovc_path_base(file));
	else
		snprintf(buf, size, "%s", tmp);
}

/* The figures of one process or site, as its JSON report has them
 * (negative ones as 0). */
struct figs {
	int64_t requested, peak_live, rss, gap, touched; /* processes */
	int64_t v[F_RATIO]; /* sites: by site_fig_names */
	bool sampled;
};

/* Adds one process of executable EXE to EXES as side SIDE. */
static bool add_exe(struct table *exes, int side, const char *exe,
		    const struct figs *p)
{
	struct row *r = row_get(exes, exe, exe);
	if (!r)
		return false;
	struct agg *a = &r->side[side];
	a->present = true;
	a->images++;
	a->v[F_REQUESTED] = sat_add(a->v[F_REQUESTED], p->requested);
	if (p->peak_live > a->v[F_PEAK_LIVE])
		a->v[F_PEAK_LIVE] = p->peak_live;
	if (p->rss > a->v[F_RESIDENT])
		a->v[F_RESIDENT] = p->rss;
	if (p->gap > a->v[F_UNTOUCHED])
		a->v[F_UNTOUCHED] = p->gap;
	a->touched = sat_add(a->touched, p->touched < p->peak_live
						 ? p->touched
						 : p->peak_live);
	a->live_for_ratio = sat_add(a->live_for_ratio, p->peak_live);
	return true;
}

/* Frame names of one site, built up one by one. */
struct stack_key {
	char *key;    /* exe, then \x1e and each frame's name */
	size_t len, cap;
	uint16_t *lens; /* each frame's name's length, innermost first */
	size_t lcap;
	char label[600]; /* exe's base name and the first 3 frames */
	size_t ll;
	size_t n;
};

static bool key_start(struct stack_key *k, const char *exe)
{
	k->cap = 4096;
	k->key = malloc(k->cap);
	k->lcap = 64;
	k->lens = malloc(k->lcap * sizeof *k->lens);
	if (!k->key || !k->lens) {
		free(k->key);
		free(k->lens);
		return false;
	}
	k->len = (size_t)snprintf(k->key, k->cap, "%s", exe);
	if (k->len >= k->cap)
		k->len = k->cap - 1;
	k->ll = (size_t)snprintf(k->label, sizeof k->label, "%s:",
				 ovc_path_base(exe));
	k->n = 0;
	return true;
}

static bool key_add(struct stack_key *k, const char *name)
{
	size_t nl = strlen(name);
	if (k->len + nl + 2 > k->cap) {
		size_t cap = (k->len + nl + 2) * 2;
		char *nk = realloc(k->key, cap);
		if (!nk)
			return false;
		k->key = nk;
		k->cap = cap;
	}
	if (k->n == k->lcap) {
		uint16_t *nl2 = realloc(k->lens, 2 * k->lcap * sizeof *nl2);
		if (!nl2)
			return false;
		k->lens = nl2;
		k->lcap *= 2;
	}
	k->lens[k->n] = (uint16_t)nl; /* names are under 400 bytes */
	k->key[k->len++] = '\x1e';
	memcpy(k->key + k->len, name, nl + 1);
	k->len += nl;

	if (k->n < 3 && k->ll < sizeof k->label)
		k->ll += (size_t)snprintf(k->label + k->ll,
					  sizeof k->label - k->ll, "%s%s",
					  k->n ? " < " : " ", name);
	k->n++;
	return true;
}

/* Adds the site of stack K (consumed) to SITES as side SIDE. */
static bool add_site(struct table *sites, int side, struct stack_key *k,
		     const struct figs *s)
{
	if (k->n > 3 && k->ll < sizeof k->label)
		snprintf(k->label + k->ll, sizeof k->label - k->ll, " < ...");
	struct row *sr = row_get(sites, k->key, k->label);
	free(k->key);
	if (!sr) {
		free(k->lens);
		return false;
	}
	if (!sr->frame_len) {
		/* Kept at its size: one per distinct stack. */
		uint16_t *nl = realloc(k->lens, (k->n ? k->n : 1) * sizeof *nl);
		sr->frame_len = nl ? nl : k->lens;
		sr->nframes = k->n;
	} else {
		free(k->lens);
	}
	struct agg *b = &sr->side[side];
	b->present = true;
	b->images++;
	for (int fi = 0; fi < F_RATIO; fi++)
		b->v[fi] = sat_add(b->v[fi], s->v[fi]);
	b->touched = sat_add(b->touched, s->v[F_RESIDENT]); /* touched */
	b->live_for_ratio = sat_add(b->live_for_ratio, s->v[F_REQUESTED]);
	if (s->sampled)
		b->estimated = true;
	return true;
}

/* Adds the processes of a saved JSON REPORT to EXES and SITES as side
 * SIDE. */
static bool add_report(json_t *report, int side, struct table *exes,
		       struct table *sites)
{
	json_t *procs = json_object_get(report, "processes"), *p;
	size_t i;
	json_array_foreach(procs, i, p) {
		const char *exe = jstr(p, "exe");
		if (!exe || !exe[0])
			exe = "?";
		struct figs pf = {
			.requested = jint(p, "requested_bytes"),
			.peak_live = jint(p, "peak_live_bytes"),
			.rss = jint(p, "peak_rss_bytes"),
			.gap = jint(p, "overcommit_gap_bytes"),
			.touched = jint(p, "touched_bytes"),
		};
		if (!add_exe(exes, side, exe, &pf))
			return false;

		json_t *ss = json_object_get(p, "sites"), *s;
		size_t j;
		json_array_foreach(ss, j, s) {
			json_t *frames = json_object_get(s, "frames"), *f;
			size_t k;
			struct stack_key key;
			if (!key_start(&key, exe))
				return false;
			json_array_foreach(frames, k, f) {
				char name[400];
				frame_name(jstr(f, "function"), jstr(f, "file"),
					   jstr(f, "module"), jint(f, "offset"),
					   name, sizeof name);
				if (!key_add(&key, name)) {
					free(key.key);
					free(key.lens);
					return false;
				}
			}
			struct figs sf = {.sampled = json_is_true(
						  json_object_get(s, "sampled"))};
			for (int fi = 0; fi < F_RATIO; fi++)
				sf.v[fi] = jint(s, site_fig_names[fi]);
			if (!add_site(sites, side, &key, &sf))
				return false;
		}
	}
	return true;
}

/* S as the JSON report has it: NULL where it would be null (NULL, or not
 * UTF-8). */
static const char *as_json(const char *s)
{
	if (!s)
		return NULL;
	json_t *j = json_string(s);
	json_decref(j);
	return j ? s : NULL;
}

static int64_t positive(int64_t v)
{
	return v > 0 ? v : 0;
}

/* Adds the processes of model M to EXES and SITES as side SIDE: the same
 * figures and sites, in the same order, as its JSON report with every site
 * (`ovc report --json --top all`), without making that report. */
static bool add_model(const struct ovc_model *m, struct ovc_symbolizer *sym,
		      int side, struct table *exes, struct table *sites)
{
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct ovc_proc *p = m->procs[i];
		const char *exe = as_json(p->exe);
		if (!exe || !exe[0])
			exe = "?";
		struct figs pf = {
			.requested = positive(ovc_proc_total_requested(p)),
			.peak_live = positive(p->peak_live_bytes),
			.rss = positive(p->peak_rss_bytes),
			.gap = positive(ovc_proc_gap_bytes(p)),
			.touched = positive(ovc_proc_touched_bytes(p)),
		};
		if (!add_exe(exes, side, exe, &pf))
			return false;
		size_t *order = malloc((p->nsites ? p->nsites : 1) *
				       sizeof *order);
		if (!order)
			return false;
		size_t ranked = ovc_proc_rank_sites(p, OVC_SORT_UNTOUCHED,
						    order);
		for (size_t j = 0; j < ranked; j++) {
			const struct ovc_site *s = &p->sites[order[j]];
			struct stack_key key;
			bool ok = key_start(&key, exe);
			for (size_t k = 0; ok && k < s->nframes; k++) {
				struct ovc_frame_info fi;
				ovc_frame_describe(sym, p, &s->frames[k], &fi);
				char name[400];
				frame_name(as_json(fi.function), as_json(fi.file),
					   as_json(fi.module),
					   positive((int64_t)fi.offset), name,
					   sizeof name);
				if (!key_add(&key, name)) {
					free(key.key);
					free(key.lens);
					ok = false;
				}
			}
			if (!ok) {
				free(order);
				return false;
			}
			struct ovc_site_figures f;
			ovc_site_figures(s, &f);
			struct figs sf = {.sampled = s->sampled};
			sf.v[F_REQUESTED] = positive(f.requested_bytes);
			sf.v[F_PEAK_LIVE] = positive(f.peak_live_bytes);
			sf.v[F_RESIDENT] = positive(f.touched_bytes);
			sf.v[F_UNTOUCHED] = positive(f.untouched_bytes);
			if (!add_site(sites, side, &key, &sf)) {
				free(order);
				return false;
			}
		}
		free(order);
	}
	return true;
}

/* Adds PATH to EXES and SITES as side SIDE: a saved JSON report, or logs
 * read into a model and compared as they are. False (said on stderr) when
 * it cannot. */
static bool load(const char *path, struct ovc_symbolizer *sym, int side,
		 struct table *exes, struct table *sites)
{
	json_error_t err;
	json_t *doc = json_load_file(path, 0, &err);
	if (doc) {
		const char *fmt = jstr(doc, "format");
		if (fmt && strcmp(fmt, "ovc-report") == 0) {
			if (!json_is_array(json_object_get(doc, "processes"))) {
				fprintf(stderr, "ovc: %s: a report without "
						"\"processes\"\n",
					path);
				json_decref(doc);
				return false;
			}
			bool ok = add_report(doc, side, exes, sites);
			json_decref(doc);
			if (!ok)
				fputs("ovc: out of memory\n", stderr);
			return ok;
		}
		json_decref(doc);
	}
	char *paths[] = {(char *)path};
	struct ovc_model *m;
	int rc = ovc_read_model(paths, 1, NULL, &m);
	if (!m)
		return false;
	bool ok = rc == 0 && add_model(m, sym, side, exes, sites);
	if (rc == 0 && !ok)
		fputs("ovc: out of memory\n", stderr);
	ovc_model_destroy(m);
	return ok;
}

struct diff_opts {
	bool json, all;
	bool fail_set;
	double fail_over; /* percent */
	int64_t min_bytes;
};

static double ratio_of(const struct agg *a, bool *has)
{
	*has = a->present && a->live_for_ratio > 0;
	if (!*has)
		return 0.0;
	double r = (double)a->touched / (double)a->live_for_ratio;
	return r > 1.0 ? 1.0 : r;
}

/* Judges row R: which figures changed and which grew past the gate. */
struct verdict {
	bool changed[F_N], flagged[F_N];
	bool any_changed, any_flagged;
};

static void judge(const struct row *r, const struct diff_opts *o,
		  bool is_site, struct verdict *v)
{
	memset(v, 0, sizeof *v);
	const struct agg *b = &r->side[0], *n = &r->side[1];
	bool estimated = b->estimated || n->estimated;
	for (int f = 0; f < F_RATIO; f++) {
		int64_t d = n->v[f] - b->v[f];
		if ((d < 0 ? -d : d) < o->min_bytes || d == 0)
			continue;
		v->changed[f] = true;
		/* What grows is gated; a site's touched bytes growing is
		 * the program using what it asked for, not a regression. */
		bool gated = !(is_site && f == F_RESIDENT);
		double rel = b->v[f] > 0 ? (double)d / (double)b->v[f] * 100.0
					 : INFINITY;
		if (o->fail_set && gated && d > 0 && rel > o->fail_over &&
		    !estimated)
			v->flagged[f] = true;
	}
	bool hb, hn;
	double rb = ratio_of(b, &hb), rn = ratio_of(n, &hn);
	if (hb && hn && fabs(rn - rb) >= 0.01)
		v->changed[F_RATIO] = true;
	if (b->present != n->present)
		v->any_changed = true;
	for (int f = 0; f < F_N; f++) {
		v->any_changed |= v->changed[f];
		v->any_flagged |= v->flagged[f];
	}
}

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

static void text_rows(FILE *out, struct table *t, const char *title,
		      bool is_site, const struct diff_opts *o, size_t *nchanged,
		      size_t *nflagged)
{
	const char *const *labels = is_site ? site_fig_labels : exe_fig_labels;
	size_t shown = 0, unchanged = 0;
	fprintf(out, "%s\n", title);
	for (size_t i = 0; i < t->n; i++) {
		const struct row *r = &t->v[i];
		struct verdict v;
		judge(r, o, is_site, &v);
		*nchanged += v.any_changed;
		*nflagged += v.any_flagged;
		if (!v.any_changed && !o->all) {
			unchanged++;
			continue;
		}
		shown++;
		const struct agg *b = &r->side[0], *n = &r->side[1];
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
		for (int f = 0; f < F_N; f++) {
			if (!v.changed[f] && !o->all)
				continue;
			char x[24], y[24];
			fprintf(out, "    %-16s", labels[f]);
			if (f == F_RATIO) {
				bool hb, hn;
				double rb = ratio_of(b, &hb), rn = ratio_of(n, &hn);
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
				ovc_format_bytes((uint64_t)b->v[f], x, sizeof x),
				ovc_format_bytes((uint64_t)n->v[f], y, sizeof y));
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

static json_t *json_rows(struct table *t, bool is_site,
			 const struct diff_opts *o, size_t *nflagged)
{
	const char *const *names = is_site ? site_fig_names : exe_fig_names;
	json_t *a = json_array();
	for (size_t i = 0; i < t->n; i++) {
		const struct row *r = &t->v[i];
		struct verdict v;
		judge(r, o, is_site, &v);
		*nflagged += v.any_flagged;
		const struct agg *b = &r->side[0], *n = &r->side[1];
		json_t *e = json_object();
		if (is_site) {
			const char *sep = strchr(r->key, '\x1e');
			char *exe = strndup(r->key, sep ? (size_t)(sep - r->key)
							: strlen(r->key));
			json_object_set_new(e, "exe", json_string(exe ? exe : ""));
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
		for (int f = 0; f < F_N; f++) {
			json_t *x = json_object();
			if (f == F_RATIO) {
				bool hb, hn;
				double rb = ratio_of(b, &hb), rn = ratio_of(n, &hn);
				json_object_set_new(x, "base", hb ? json_real(rb)
								  : json_null());
				json_object_set_new(x, "new", hn ? json_real(rn)
								 : json_null());
				json_object_set_new(x, "change",
						    hb && hn ? json_real(rn - rb)
							     : json_null());
			} else {
				int64_t d = n->v[f] - b->v[f];
				json_object_set_new(x, "base",
						    json_integer(b->v[f]));
				json_object_set_new(x, "new",
						    json_integer(n->v[f]));
				json_object_set_new(x, "change", json_integer(d));
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

static void diff_usage(FILE *f)
{
	fputs("usage: ovc diff [--json] [--all] [--fail-over PERCENT] "
	      "[--min-bytes SIZE] BASE NEW\n"
	      "  BASE, NEW    a log directory (or log file), or a saved "
	      "`ovc report --json`\n"
	      "  --json       the comparison as JSON (docs/report-json.md)\n"
	      "  --all        show unchanged executables, sites and figures "
	      "too\n"
	      "  --fail-over PERCENT  exit 1 when a figure (requested, peak "
	      "live, peak\n"
	      "               resident, overcommit gap; of a site: requested, "
	      "peak live,\n"
	      "               untouched) grew by more than PERCENT\n"
	      "  --min-bytes SIZE  changes smaller than SIZE are noise "
	      "(default 64K)\n"
	      "Executables are matched by exe path (images of one exe "
	      "aggregated), sites by\n"
	      "executable and stack: the function and file of each frame, not "
	      "addresses.\n"
	      "Sampled sites are estimates: shown, never flagged.\n",
	      f);
}

int ovc_cmd_diff(int argc, char **argv)
{
	struct diff_opts o = {.min_bytes = MIN_BYTES_DEFAULT};
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		const char *v = NULL;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--json") == 0) {
			o.json = true;
		} else if (strcmp(a, "--all") == 0) {
			o.all = true;
		} else if (strcmp(a, "--fail-over") == 0 ||
			   strncmp(a, "--fail-over=", 12) == 0) {
			v = a[11] == '=' ? a + 12 : i + 1 < argc ? argv[++i] : NULL;
			char *end;
			errno = 0;
			double pc = v ? strtod(v, &end) : -1;
			if (!v || errno || end == v ||
			    (*end && strcmp(end, "%") != 0) || !(pc >= 0) ||
			    !isfinite(pc)) {
				fprintf(stderr, "ovc: diff: --fail-over wants a "
						"percentage, not '%s'\n",
					v ? v : "");
				return OVC_EXIT_USAGE;
			}
			o.fail_set = true;
			o.fail_over = pc;
		} else if (strcmp(a, "--min-bytes") == 0 ||
			   strncmp(a, "--min-bytes=", 12) == 0) {
			v = a[11] == '=' ? a + 12 : i + 1 < argc ? argv[++i] : NULL;
			uint64_t mb;
			if (!v || !ovc_parse_size(v, &mb) || mb > INT64_MAX) {
				fprintf(stderr, "ovc: diff: --min-bytes wants a "
						"size, not '%s'\n",
					v ? v : "");
				return OVC_EXIT_USAGE;
			}
			o.min_bytes = (int64_t)mb;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			diff_usage(stdout);
			return OVC_EXIT_OK;
		} else {
			fprintf(stderr, "ovc: diff: unknown option '%s'\n", a);
			diff_usage(stderr);
			return OVC_EXIT_USAGE;
		}
	}
	if (argc - i != 2) {
		fputs("ovc: diff: wants two runs, BASE and NEW\n", stderr);
		diff_usage(stderr);
		return OVC_EXIT_USAGE;
	}
	/* One side at a time: its model is gone before the other is read. */
	struct table exes = {0};
	struct table sites = {0};
	struct ovc_symbolizer *sym = ovc_sym_new();
	int rc = OVC_EXIT_OK;
	if (!sym || !load(argv[i], sym, 0, &exes, &sites) ||
	    !load(argv[i + 1], sym, 1, &exes, &sites)) {
		rc = OVC_EXIT_USAGE;
		goto out;
	}
	size_t changed = 0, flagged = 0;
	if (o.json) {
		json_t *doc = json_object();
		json_object_set_new(doc, "format", json_string("ovc-diff"));
		json_object_set_new(doc, "version", json_integer(1));
		json_object_set_new(doc, "base", json_string(argv[i]));
		json_object_set_new(doc, "new", json_string(argv[i + 1]));
		json_object_set_new(doc, "fail_over_percent",
				    o.fail_set ? json_real(o.fail_over)
					       : json_null());
		json_object_set_new(doc, "min_bytes", json_integer(o.min_bytes));
		json_object_set_new(doc, "executables",
				    json_rows(&exes, false, &o, &flagged));
		json_object_set_new(doc, "sites",
				    json_rows(&sites, true, &o, &flagged));
		json_object_set_new(doc, "flagged",
				    json_integer((json_int_t)flagged));
		if (json_dumpf(doc, stdout,
			       JSON_INDENT(2) | JSON_REAL_PRECISION(6)) != 0)
			rc = OVC_EXIT_USAGE;
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		char mb[24];
		fputs("ovc diff: BASE ", stdout);
		put_safe(stdout, argv[i]);
		fputs("\n          NEW  ", stdout);
		put_safe(stdout, argv[i + 1]);
		fprintf(stdout, "\n          changes of %s or more", ovc_format_bytes(
								 (uint64_t)o.min_bytes,
								 mb, sizeof mb));
		if (o.fail_set)
			fprintf(stdout, "; ! marks growth over %g%%",
				o.fail_over);
		fputs("\n\n", stdout);
		fprintf(stdout, "  %-20s%10s %10s  %s\n", "", "base", "new",
			"change");
		text_rows(stdout, &exes, "executables", false, &o, &changed,
			  &flagged);
		text_rows(stdout, &sites, "sites (matched by executable and "
					  "stack)",
			  true, &o, &changed, &flagged);
		if (o.fail_set)
			fprintf(stdout, "%zu changed, %zu grew by more than "
					"%g%%\n",
				changed, flagged, o.fail_over);
		else
			fprintf(stdout, "%zu changed\n", changed);
	}
	if (fflush(stdout) != 0)
		rc = OVC_EXIT_USAGE;
	if (rc == OVC_EXIT_OK && o.fail_set && flagged)
		rc = OVC_EXIT_FINDING;
out:
	ovc_sym_free(sym);
	table_free(&exes);
	table_free(&sites);
	return rc;
}
