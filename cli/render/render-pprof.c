/* The pprof profile of process images (pprof.h): the model's sites as the
 * messages of profile.proto, encoded by protobuf-c and gzipped (gzip.h). */
#include "render/pprof.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "read/frames.h"
#include "analyze/leaks.h"
#include "render/gzip.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

/* The sample types, in the order of every sample's values. */
enum { V_REQUESTED, V_TOUCHED, V_UNTOUCHED, V_PEAK_LIVE, V_BLOCKS, V_LEAKED,
       V_COUNT };
static const char *const value_names[V_COUNT][2] = {
	[V_REQUESTED] = {"requested", "bytes"},
	[V_TOUCHED] = {"touched", "bytes"},
	[V_UNTOUCHED] = {"untouched", "bytes"},
	[V_PEAK_LIVE] = {"peak_live", "bytes"},
	[V_BLOCKS] = {"blocks", "count"},
	[V_LEAKED] = {"leaked", "bytes"},
};

/* ---- a map from a pair of integers, or from a string, to an index ---- */

struct slot {
	uint64_t a, b; /* the key (a string's hash and its index for strings) */
	uint64_t v;    /* value + 1; 0: empty */
};

struct map {
	struct slot *t;
	size_t cap, n;
};

static uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

static bool map_grow(struct map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 256;
	struct slot *t = calloc(ncap, sizeof *t);
	if (!t)
		return false;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->t[i].v)
			continue;
		size_t j = mix(m->t[i].a, m->t[i].b) & (ncap - 1);
		while (t[j].v)
			j = (j + 1) & (ncap - 1);
		t[j] = m->t[i];
	}
	free(m->t);
	m->t = t;
	m->cap = ncap;
	return true;
}

/* The slot of key (A, B): holding it, or the empty one where it goes;
 * NULL when out of memory (*OOM set). */
static struct slot *map_slot(struct map *m, uint64_t a, uint64_t b, bool *oom)
{
	if ((m->n + 1) * 2 > m->cap && !map_grow(m)) {
		*oom = true;
		return NULL;
	}
	size_t i = mix(a, b) & (m->cap - 1);
	while (m->t[i].v && (m->t[i].a != a || m->t[i].b != b))
		i = (i + 1) & (m->cap - 1);
	return &m->t[i];
}

/* Fills SL, the empty slot of key (A, B) in M, with V (not 0); returns V. */
static uint64_t map_fill(struct map *m, struct slot *sl, uint64_t a,
			 uint64_t b, uint64_t v)
{
	sl->a = a;
	sl->b = b;
	sl->v = v;
	m->n++;
	return v;
}

/* ---- the profile being built ---- */

/* What is known of a mapping's locations, for its has_* flags. */
struct mapinfo {
	bool all_functions, all_files, all_lines;
	bool range_known;
};

/* A growing array of pointers to messages. */
struct vec {
	void **v;
	size_t n, cap;
};

struct ovc_pprof {
	struct ovc_symbolizer *sym;
	Profile prof;
	struct vec strings, samples, mappings, locations, functions, comments;
	struct mapinfo *info; /* per mapping, by id - 1 */
	size_t info_cap;
	struct map string_map;   /* (hash, 0) chains, checked by content */
	struct map location_map; /* (mapping id, address) -> location id */
	struct map function_map; /* (name, file) string indexes -> id */
	int64_t start_ns, end_ns; /* the span of the process images */
	bool oom;
};

static bool vec_push(struct ovc_pprof *b, struct vec *v, void *x)
{
	if (!x || !ovc_grow(&v->v, &v->cap, v->n, sizeof *v->v, 64)) {
		b->oom = true;
		return false;
	}
	v->v[v->n++] = x;
	return true;
}

/* A new message of SIZE bytes, pushed on V; NULL when out of memory
 * (noted). */
static void *new_message(struct ovc_pprof *b, struct vec *v, size_t size)
{
	void *x = malloc(size);
	if (vec_push(b, v, x))
		return x;
	free(x);
	return NULL;
}

/* SIZE bytes for a message that another message owns; NULL when out of
 * memory (noted). */
static void *owned_message(struct ovc_pprof *b, size_t size)
{
	void *x = malloc(size);
	if (!x)
		b->oom = true;
	return x;
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* The index of S in the string table, added when new (0 for "" and when
 * out of memory). */
static int64_t str_index(struct ovc_pprof *b, const char *s)
{
	if (!s || !*s || b->oom)
		return 0;
	uint64_t h = str_hash(s);
	/* Strings of one hash are told apart by their index (b of the key):
	 * walk 0, 1, ... until the string or a free slot is found. */
	for (uint64_t k = 0;; k++) {
		struct slot *sl = map_slot(&b->string_map, h, k, &b->oom);
		if (!sl)
			return 0;
		if (!sl->v) {
			char *copy = strdup(s);
			if (!vec_push(b, &b->strings, copy)) {
				free(copy);
				return 0;
			}
			/* the value: index + 1 */
			return (int64_t)map_fill(&b->string_map, sl, h, k,
						 b->strings.n) - 1;
		}
		if (strcmp(b->strings.v[sl->v - 1], s) == 0)
			return (int64_t)sl->v - 1;
	}
}

struct ovc_pprof *ovc_pprof_new(struct ovc_symbolizer *sym)
{
	struct ovc_pprof *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->sym = sym;
	perftools__profiles__profile__init(&b->prof);
	char *empty = strdup("");
	if (!vec_push(b, &b->strings, empty)) {
		free(empty);
		ovc_pprof_free(b);
		return NULL;
	}
	b->start_ns = INT64_MAX;
	b->end_ns = INT64_MIN;
	return b;
}

static void vec_free(struct vec *v, void (*f)(void *))
{
	for (size_t i = 0; i < v->n; i++)
		f(v->v[i]);
	free(v->v);
}

static void free_sample(void *x)
{
	Sample *s = x;
	for (size_t i = 0; i < s->n_label; i++)
		free(s->label[i]);
	free(s->label);
	free(s->location_id);
	free(s->value);
	free(s);
}

static void free_location(void *x)
{
	Location *l = x;
	for (size_t i = 0; i < l->n_line; i++)
		free(l->line[i]);
	free(l->line);
	free(l);
}

void ovc_pprof_free(struct ovc_pprof *b)
{
	if (!b)
		return;
	vec_free(&b->strings, free);
	vec_free(&b->samples, free_sample);
	vec_free(&b->mappings, free);
	vec_free(&b->locations, free_location);
	vec_free(&b->functions, free);
	free(b->comments.v);
	free(b->info);
	free(b->string_map.t);
	free(b->location_map.t);
	free(b->function_map.t);
	for (size_t i = 0; i < b->prof.n_sample_type; i++)
		free(b->prof.sample_type[i]);
	free(b->prof.sample_type);
	free(b->prof.period_type);
	free(b);
}

/* ---- mappings, locations, functions ---- */

/* The mapping of module MOD of P, added. Returns its id, 0 when out of
 * memory. */
static uint64_t add_mapping(struct ovc_pprof *b, const struct ovc_module *mod)
{
	Mapping *m = new_message(b, &b->mappings, sizeof *m);
	if (!m)
		return 0;
	perftools__profiles__mapping__init(m);
	m->id = b->mappings.n;
	if (!ovc_grow(&b->info, &b->info_cap, m->id - 1, sizeof *b->info, 64)) {
		b->oom = true;
		return 0;
	}
	struct mapinfo *mi = &b->info[m->id - 1];
	*mi = (struct mapinfo){true, true, true, false};
	/* One mapping over the module's loadable segments: its first
	 * segment, which holds the ELF header, starts at file offset 0. */
	if (mod->lo >= 0 && mod->hi > mod->lo) {
		m->memory_start = (uint64_t)mod->lo;
		m->memory_limit = (uint64_t)mod->hi;
		mi->range_known = true;
	} else {
		/* a log without the range: from the load bias to the
		 * highest address of a frame (see add_location) */
		m->memory_start = mod->base > 0 ? (uint64_t)mod->base : 0;
		m->memory_limit = m->memory_start + 1;
	}
	m->file_offset = 0;
	m->filename = str_index(b, mod->path);
	m->build_id = str_index(b, mod->build_id);
	return m->id;
}

/* The message of key (A, B) in MAP, interned in V: its id in *ID. Returns
 * a new message of SIZE bytes, whose id is *ID, for the caller to set up;
 * NULL when the key was there already, or when out of memory (*ID 0). */
static void *intern(struct ovc_pprof *b, struct map *map, struct vec *v,
		    size_t size, uint64_t a, uint64_t k, uint64_t *id)
{
	struct slot *sl = map_slot(map, a, k, &b->oom);
	*id = sl ? sl->v : 0;
	if (!sl || sl->v)
		return NULL;
	void *x = new_message(b, v, size);
	if (x)
		*id = map_fill(map, sl, a, k, v->n);
	return x;
}

static uint64_t function_id(struct ovc_pprof *b, const char *name,
			    const char *file)
{
	int64_t ni = str_index(b, name), fi = str_index(b, file);
	uint64_t id;
	Function *f = intern(b, &b->function_map, &b->functions, sizeof *f,
			     (uint64_t)ni, (uint64_t)fi, &id);
	if (f) {
		perftools__profiles__function__init(f);
		f->id = id;
		f->name = ni;
		f->system_name = ni;
		f->filename = fi;
	}
	return id;
}

/* The location of frame F of P, whose modules' mappings are MAP_IDS (by
 * index in p->modules). Returns its id, 0 when out of memory. */
static uint64_t add_location(struct ovc_pprof *b, const struct ovc_proc *p,
			     const uint64_t *map_ids, const struct ovc_frame *f)
{
	struct ovc_frame_info fi;
	ovc_frame_describe(b->sym, p, f, &fi);
	const struct ovc_module *mod = f->mod >= 0 ? ovc_proc_module(p, f->mod)
						   : NULL;
	uint64_t mapping = 0, address = 0, key;
	if (mod) {
		mapping = map_ids[mod - p->modules];
		/* The log has return addresses: the call is the byte before,
		 * which is what a symbolizer must look up. */
		uint64_t base = mod->base > 0 ? (uint64_t)mod->base : 0;
		address = base + f->offset - (f->offset > 0);
		key = address;
	} else if (f->mod < 0) {
		address = f->offset; /* absolute: outside every module */
		key = address;
	} else {
		/* a module without a record: no address to give, one location
		 * per (module, offset), named module+offset */
		key = f->offset ^ ((uint64_t)f->mod << 48) ^ (1ull << 63);
	}
	uint64_t id;
	Location *l = intern(b, &b->location_map, &b->locations, sizeof *l,
			     mapping, key, &id);
	if (!l)
		return id;
	perftools__profiles__location__init(l);
	l->id = id;
	l->mapping_id = mapping;
	l->address = address;

	char label[256];
	const char *name = fi.function;
	if (!name && mod == NULL)
		name = ovc_frame_label(&fi, label, sizeof label);
	if (mapping) {
		struct mapinfo *mi = &b->info[mapping - 1];
		Mapping *m = b->mappings.v[mapping - 1];
		mi->all_functions &= fi.function != NULL;
		mi->all_files &= fi.file != NULL;
		mi->all_lines &= fi.line > 0;
		if (!mi->range_known && address >= m->memory_limit)
			m->memory_limit = address + 1;
	}
	if (!name)
		return l->id; /* pprof symbolizes it from the mapping's file */
	Line *ln = owned_message(b, sizeof *ln);
	l->line = ln ? owned_message(b, sizeof *l->line) : NULL;
	if (!l->line) {
		free(ln);
		return 0;
	}
	perftools__profiles__line__init(ln);
	ln->function_id = function_id(b, name, fi.file);
	ln->line = fi.line > 0 ? fi.line : 0;
	l->line[0] = ln;
	l->n_line = 1;
	return l->id;
}

/* ---- samples ---- */

static Label *label_new(struct ovc_pprof *b, const char *key, const char *s,
			int64_t num)
{
	Label *l = owned_message(b, sizeof *l);
	if (!l)
		return NULL;
	perftools__profiles__label__init(l);
	l->key = str_index(b, key);
	if (s)
		l->str = str_index(b, s);
	else
		l->num = num;
	return l;
}

static void add_sample(struct ovc_pprof *b, const struct ovc_proc *p,
		       const uint64_t *map_ids, const struct ovc_site *s,
		       bool leaks_known)
{
	struct ovc_site_figures f;
	struct ovc_leak leak;
	ovc_site_figures(s, &f);
	ovc_site_leak(s, &leak);
	Sample *sa = calloc(1, sizeof *sa);
	if (!sa || !vec_push(b, &b->samples, sa)) {
		free(sa);
		return;
	}
	perftools__profiles__sample__init(sa);
	sa->value = calloc(V_COUNT, sizeof *sa->value);
	sa->location_id = calloc(s->nframes ? s->nframes : 1,
				 sizeof *sa->location_id);
	sa->label = calloc(3, sizeof *sa->label);
	if (!sa->value || !sa->location_id || !sa->label) {
		b->oom = true;
		return;
	}
	sa->n_value = V_COUNT;
	sa->value[V_REQUESTED] = f.requested_bytes;
	sa->value[V_TOUCHED] = f.touched_bytes;
	sa->value[V_UNTOUCHED] = f.untouched_bytes;
	sa->value[V_PEAK_LIVE] = f.peak_live_bytes;
	sa->value[V_BLOCKS] = f.blocks;
	sa->value[V_LEAKED] = leaks_known ? leak.bytes : 0;
	for (size_t i = 0; i < s->nframes && !b->oom; i++) {
		uint64_t id = add_location(b, p, map_ids, &s->frames[i]);
		if (id)
			sa->location_id[sa->n_location_id++] = id;
	}
	const char *exe = p->exe[0] ? p->exe : "?";
	Label *ls[3] = {label_new(b, "pid", NULL, p->pid),
			label_new(b, "exe", exe, 0),
			label_new(b, "family", ovc_family_name(s->kind), 0)};
	for (int i = 0; i < 3; i++)
		if (ls[i])
			sa->label[sa->n_label++] = ls[i];
}

static void add_comment(struct ovc_pprof *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_comment(struct ovc_pprof *b, const char *fmt, ...)
{
	char text[4200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	int64_t i = str_index(b, text);
	if (i > 0)
		vec_push(b, &b->comments, (void *)(intptr_t)i);
}

bool ovc_pprof_add_proc(struct ovc_pprof *b, const struct ovc_proc *p)
{
	if (b->oom)
		return false;
	uint64_t *map_ids = calloc(p->nmodules ? p->nmodules : 1,
				   sizeof *map_ids);
	if (!map_ids) {
		b->oom = true;
		return false;
	}
	/* The main executable first: pprof takes mapping[0] for it. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->nmodules && !b->oom; i++) {
			bool main_exe = strcmp(p->modules[i].path, p->exe) == 0;
			if (main_exe == (pass == 0))
				map_ids[i] = add_mapping(b, &p->modules[i]);
		}
	bool known = ovc_proc_leaks_known(p, NULL);
	for (size_t i = 0; i < p->nsites && !b->oom; i++)
		if (p->sites[i].has_figures)
			add_sample(b, p, map_ids, &p->sites[i], known);
	free(map_ids);
	for (size_t i = 0; i < b->mappings.n; i++) {
		Mapping *m = b->mappings.v[i];
		m->has_functions = b->info[i].all_functions;
		m->has_filenames = b->info[i].all_files;
		m->has_line_numbers = b->info[i].all_lines;
	}
	add_comment(b, "pid %" PRId64 ": %s (%s)", p->pid,
		    p->exe[0] ? p->exe : "?", p->log_name);
	if (p->start_unix_ns > 0) {
		if (p->start_unix_ns < b->start_ns)
			b->start_ns = p->start_unix_ns;
		int64_t end = p->start_unix_ns + ovc_proc_duration_ns(p);
		if (end > b->end_ns)
			b->end_ns = end;
	}
	return !b->oom;
}

/* ---- output ---- */

static ValueType *value_type(struct ovc_pprof *b, const char *type,
			     const char *unit)
{
	ValueType *v = owned_message(b, sizeof *v);
	if (!v)
		return NULL;
	perftools__profiles__value_type__init(v);
	v->type = str_index(b, type);
	v->unit = str_index(b, unit);
	return v;
}

bool ovc_pprof_write(struct ovc_pprof *b, FILE *out)
{
	Profile *pr = &b->prof;
	if (!pr->sample_type) {
		pr->sample_type = calloc(V_COUNT, sizeof *pr->sample_type);
		if (!pr->sample_type)
			return false;
		for (int v = 0; v < V_COUNT; v++)
			pr->sample_type[pr->n_sample_type++] =
				value_type(b, value_names[v][0],
					   value_names[v][1]);
		pr->period_type = value_type(b, "space", "bytes");
		pr->default_sample_type = str_index(b, "requested");
		add_comment(b, "written by ovc pprof from ovc's logs; the "
			       "figures of sampled sites are estimates");
	}
	if (b->oom)
		return false;
	pr->n_sample = b->samples.n;
	pr->sample = (Sample **)b->samples.v;
	pr->n_mapping = b->mappings.n;
	pr->mapping = (Mapping **)b->mappings.v;
	pr->n_location = b->locations.n;
	pr->location = (Location **)b->locations.v;
	pr->n_function = b->functions.n;
	pr->function = (Function **)b->functions.v;
	pr->n_string_table = b->strings.n;
	pr->string_table = (char **)b->strings.v;
	int64_t *comments = malloc((b->comments.n + 1) * sizeof *comments);
	if (!comments)
		return false;
	for (size_t i = 0; i < b->comments.n; i++)
		comments[i] = (int64_t)(intptr_t)b->comments.v[i];
	pr->n_comment = b->comments.n;
	pr->comment = comments;
	if (b->start_ns != INT64_MAX) {
		pr->time_nanos = b->start_ns;
		pr->duration_nanos = b->end_ns - b->start_ns;
	}
	size_t len = perftools__profiles__profile__get_packed_size(pr);
	uint8_t *buf = malloc(len ? len : 1);
	bool ok = buf != NULL;
	if (ok) {
		perftools__profiles__profile__pack(pr, buf);
		ok = ovc_gzip_write(buf, len, out);
	}
	free(buf);
	free(comments);
	pr->comment = NULL;
	pr->n_comment = 0;
	return ok && !ferror(out);
}
