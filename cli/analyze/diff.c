/* Two runs compared per executable and per site (diff.h): the rows of
 * each side, from a model or a saved JSON report, and their verdicts. */
#include "analyze/diff.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "read/frames.h"

const char *const ovc_diff_exe_names[OVC_DIFF_N] = {
	"requested_bytes", "peak_live_bytes", "peak_rss_bytes",
	"overcommit_gap_bytes", "touched_ratio"};
const char *const ovc_diff_site_names[OVC_DIFF_N] = {
	"requested_bytes", "peak_live_bytes", "touched_bytes",
	"untouched_bytes", "touched_ratio"};

static uint64_t hash_key(const char *key)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return h;
}

/* The slot of KEY: where it is, or the empty one where it goes. */
static size_t *slot_of(const struct ovc_diff_table *t, const char *key)
{
	size_t mask = t->nslots - 1;
	for (size_t i = (size_t)hash_key(key) & mask;; i = (i + 1) & mask)
		if (!t->slot[i] || strcmp(t->v[t->slot[i] - 1].key, key) == 0)
			return &t->slot[i];
}

static bool table_grow(struct ovc_diff_table *t)
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

/* Frees what row R holds (not R). */
static void row_clear(struct ovc_diff_row *r)
{
	free(r->key);
	free(r->label);
	free(r->frame_len);
}

static struct ovc_diff_row *row_get(struct ovc_diff_table *t, const char *key,
				    const char *label)
{
	if ((t->n + 1) * 2 > t->nslots && !table_grow(t))
		return NULL;
	size_t *slot = slot_of(t, key);
	if (*slot)
		return &t->v[*slot - 1];
	if (!ovc_grow(&t->v, &t->cap, t->n, sizeof *t->v, 64))
		return NULL;
	struct ovc_diff_row *r = &t->v[t->n];
	memset(r, 0, sizeof *r);
	r->key = strdup(key);
	r->label = strdup(label);
	if (!r->key || !r->label) {
		row_clear(r);
		return NULL;
	}
	t->n++;
	*slot = t->n;
	return r;
}

void ovc_diff_table_free(struct ovc_diff_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		row_clear(&t->v[i]);
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
	int64_t v[OVC_DIFF_RATIO]; /* sites: by ovc_diff_site_names */
	bool sampled;
	int64_t sample_bytes; /* sampled sites: OVC_SAMPLE, else 0 */
};

/* OVC_SAMPLE's default: the mean of a sampled site whose report does not
 * give its error. */
#define SAMPLE_DEFAULT (512 * 1024)

/* Adds one process of executable EXE to EXES as side SIDE. */
static bool add_exe(struct ovc_diff_table *exes, int side, const char *exe,
		    const struct figs *p)
{
	struct ovc_diff_row *r = row_get(exes, exe, exe);
	if (!r)
		return false;
	struct ovc_diff_agg *a = &r->side[side];
	a->present = true;
	a->images++;
	a->v[OVC_DIFF_REQUESTED] =
		sat_add(a->v[OVC_DIFF_REQUESTED], p->requested);
	if (p->peak_live > a->v[OVC_DIFF_PEAK_LIVE])
		a->v[OVC_DIFF_PEAK_LIVE] = p->peak_live;
	if (p->rss > a->v[OVC_DIFF_RESIDENT])
		a->v[OVC_DIFF_RESIDENT] = p->rss;
	if (p->gap > a->v[OVC_DIFF_UNTOUCHED])
		a->v[OVC_DIFF_UNTOUCHED] = p->gap;
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
	if (!ovc_grow_text(&k->key, &k->cap, k->len + nl + 2) ||
	    !ovc_grow(&k->lens, &k->lcap, k->n, sizeof *k->lens, 64))
		return false;
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
static bool add_site(struct ovc_diff_table *sites, int side,
		     struct stack_key *k, const struct figs *s)
{
	if (k->n > 3 && k->ll < sizeof k->label)
		snprintf(k->label + k->ll, sizeof k->label - k->ll, " < ...");
	struct ovc_diff_row *sr = row_get(sites, k->key, k->label);
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
	struct ovc_diff_agg *b = &sr->side[side];
	b->present = true;
	b->images++;
	for (int fi = 0; fi < OVC_DIFF_RATIO; fi++)
		b->v[fi] = sat_add(b->v[fi], s->v[fi]);
	b->touched = sat_add(b->touched, s->v[OVC_DIFF_RESIDENT]); /* touched */
	b->live_for_ratio =
		sat_add(b->live_for_ratio, s->v[OVC_DIFF_REQUESTED]);
	if (s->sampled) {
		b->estimated = true;
		/* Byte-weighted sampling: the variance of an estimate X is at
		 * most OVC_SAMPLE * X (figures.c, ovc_site_figures). */
		double S = s->sample_bytes > 0 ? (double)s->sample_bytes
					       : SAMPLE_DEFAULT;
		for (int fi = 0; fi < OVC_DIFF_RATIO; fi++)
			b->var[fi] += S * (double)s->v[fi];
	}
	return true;
}

/* Adds the processes of a saved JSON REPORT to EXES and SITES as side
 * SIDE. */
bool ovc_diff_add_report(json_t *report, int side, struct ovc_diff_table *exes,
			 struct ovc_diff_table *sites)
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
			struct figs sf = {
				.sampled = json_is_true(
					json_object_get(s, "sampled"))};
			for (int fi = 0; fi < OVC_DIFF_RATIO; fi++)
				sf.v[fi] = jint(s, ovc_diff_site_names[fi]);
			/* err = sqrt(S * requested): S back from the report */
			int64_t err = jint(s, "requested_err_bytes");
			if (sf.sampled && err > 0 && sf.v[OVC_DIFF_REQUESTED] > 0)
				sf.sample_bytes = (int64_t)(
					(double)err * (double)err /
					(double)sf.v[OVC_DIFF_REQUESTED]);
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
bool ovc_diff_add_model(const struct ovc_model *m, struct ovc_symbolizer *sym,
			int side, struct ovc_diff_table *exes,
			struct ovc_diff_table *sites)
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
				frame_name(as_json(fi.function),
					   as_json(fi.file), as_json(fi.module),
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
			struct figs sf = {.sampled = s->sampled,
					  .sample_bytes = s->sample_bytes};
			sf.v[OVC_DIFF_REQUESTED] = positive(f.requested_bytes);
			sf.v[OVC_DIFF_PEAK_LIVE] = positive(f.peak_live_bytes);
			sf.v[OVC_DIFF_RESIDENT] = positive(f.touched_bytes);
			sf.v[OVC_DIFF_UNTOUCHED] = positive(f.untouched_bytes);
			if (!add_site(sites, side, &key, &sf)) {
				free(order);
				return false;
			}
		}
		free(order);
	}
	return true;
}

double ovc_diff_ratio(const struct ovc_diff_agg *a, bool *has)
{
	*has = a->present && a->live_for_ratio > 0;
	if (!*has)
		return 0.0;
	double r = (double)a->touched / (double)a->live_for_ratio;
	return r > 1.0 ? 1.0 : r;
}

void ovc_diff_judge(const struct ovc_diff_row *r, const struct ovc_diff_opts *o,
		    bool is_site, struct ovc_diff_verdict *v)
{
	memset(v, 0, sizeof *v);
	const struct ovc_diff_agg *b = &r->side[0], *n = &r->side[1];
	bool estimated = b->estimated || n->estimated;
	for (int f = 0; f < OVC_DIFF_RATIO; f++) {
		int64_t d = n->v[f] - b->v[f];
		int64_t ad = d < 0 ? -d : d;
		if (d == 0 || ad < o->min_bytes)
			continue;
		double rel = b->v[f] > 0 ? (double)d / (double)b->v[f] * 100.0
					 : INFINITY;
		if (fabs(rel) < o->min_percent)
			continue;
		/* Within twice the sampling error of the two estimates: the
		 * same figure drawn twice, not a change. */
		double sd = sqrt(b->var[f] + n->var[f]);
		if ((double)ad <= 2.0 * sd)
			continue;
		v->changed[f] = true;
		/* What grows is gated; a site's touched bytes growing is
		 * the program using what it asked for, not a regression. */
		bool gated = !(is_site && f == OVC_DIFF_RESIDENT);
		if (o->fail_set && gated && d > 0 && rel > o->fail_over &&
		    !estimated)
			v->flagged[f] = true;
	}
	/* The ratio changes with what it is made of: the untouched (or, of
	 * a site, touched) bytes must have changed too. */
	bool hb, hn;
	double rb = ovc_diff_ratio(b, &hb), rn = ovc_diff_ratio(n, &hn);
	if (hb && hn && fabs(rn - rb) >= 0.01 &&
	    (v->changed[OVC_DIFF_UNTOUCHED] || v->changed[OVC_DIFF_RESIDENT]))
		v->changed[OVC_DIFF_RATIO] = true;
	/* An executable on one side only is a change; a site on one side
	 * only is one when its figures are (a sampled site can be missed). */
	if (!is_site && b->present != n->present)
		v->any_changed = true;
	for (int f = 0; f < OVC_DIFF_N; f++) {
		v->any_changed |= v->changed[f];
		v->any_flagged |= v->flagged[f];
	}
}
