/* The model of a set of logs: process images with their modules and sites
 * (found by id), run files, and the set that holds them (model.h). */
#include "read/model.h"

#include "read/proc-extra.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *ovc_family_name(int kind)
{
	return kind == OVC_FAMILY_MMAP     ? "mmap"
	       : kind == OVC_FAMILY_MAPPED ? "mapped"
					   : "malloc";
}

const char *ovc_func_name(int fn)
{
	if (fn < 0 || fn >= OVC_FN_COUNT)
		return "?";
	return ovc_func_names[fn];
}

const char *ovc_end_kind_name(enum ovc_end_kind k)
{
	static const char *const names[] = {
		[OVC_END_ABRUPT] = "abrupt", [OVC_END_EXIT] = "exit",
		[OVC_END_SIGNAL] = "signal", [OVC_END_EXEC] = "exec",
		[OVC_END_SNAPSHOT] = "snapshot",
	};
	return ovc_name_at(names, OVC_NAMES(names), (size_t)k);
}

const char *ovc_overcommit_name(int64_t mode)
{
	switch (mode) {
	case 0:
		return "heuristic";
	case 1:
		return "always";
	case 2:
		return "never";
	default:
		return "unknown";
	}
}

void ovc_host_init(struct ovc_host *h)
{
	h->known = false;
	h->mem_total_bytes = -1;
	h->mem_available_bytes = -1;
	h->commit_limit_bytes = -1;
	h->committed_as_bytes = -1;
	h->overcommit_memory = -1;
	h->overcommit_ratio = -1;
	h->page_size = -1;
}

static const char *name_part(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Parses the <k> of "<prefix><pid>.<k>.jsonl"; -1 when the name differs. */
static int64_t parse_k(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot || strcmp(dot, OVC_LOG_SUFFIX) != 0)
		return -1;
	const char *p = dot;
	while (p > name && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == dot || p == name || p[-1] != '.' || dot - p > 12)
		return -1;
	int64_t k = 0;
	for (const char *q = p; q < dot; q++)
		k = k * 10 + (*q - '0');
	return k;
}

struct ovc_proc *ovc_proc_create(const char *log_path)
{
	struct ovc_proc *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->log = strdup(log_path);
	p->exe = strdup("");
	p->run = strdup("");
	p->origin = strdup("start");
	p->parent_log = strdup("");
	if (!p->log || !p->exe || !p->run || !p->origin || !p->parent_log) {
		ovc_proc_destroy(p);
		return NULL;
	}
	p->log_name = name_part(p->log);
	p->k = parse_k(p->log_name);
	p->pid = p->ppid = -1;
	p->proc_start_ticks = -1;
	p->start_unix_ns = p->start_mono_ns = -1;
	p->interval_ms = -1;
	ovc_host_init(&p->host);
	for (int i = 0; i < OVC_FN_COUNT; i++)
		p->func_pos[i] = -1;
	for (int i = 0; i < OVC_MFN_COUNT; i++)
		p->map_pos[i] = i; /* log-format.h's order until map_funcs says */
	p->nmap_funcs = OVC_MFN_COUNT;
	p->first_ns = p->last_ns = -1;
	p->peak_asked_bytes = -1;
	p->peak_live_bound_bytes = -1;
	p->written_since_fork_bytes = -1;
	p->inherited_live_bytes = p->inherited_committed_bytes = -1;
	p->logged_peak_live_bytes = p->logged_last_live_bytes = -1;
	p->sample_bytes = -1;
	p->last_hwm_bytes = p->last_file_bytes = -1;
	p->end_kind = OVC_END_ABRUPT;
	p->end_signal = -1;
	p->end_code = -1;
	return p;
}

static void free_argv(char **argv, size_t argc)
{
	if (!argv)
		return;
	for (size_t i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* Maps ids (from the log: any int64) to positions in an array: open
 * addressing with linear probing, at most half full. */
struct ovc_id_index {
	int64_t *keys;
	size_t *pos; /* SIZE_MAX: empty slot */
	size_t cap, n;
};

static void index_free(struct ovc_id_index *x)
{
	if (!x)
		return;
	free(x->keys);
	free(x->pos);
	free(x);
}

static size_t id_hash(int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15u;
	return (size_t)(h ^ (h >> 29));
}

/* Position of ID, or SIZE_MAX. */
static size_t index_find(const struct ovc_id_index *x, int64_t id)
{
	if (!x || !x->cap)
		return SIZE_MAX;
	for (size_t i = id_hash(id) & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
		if (x->pos[i] == SIZE_MAX)
			return SIZE_MAX;
		if (x->keys[i] == id)
			return x->pos[i];
	}
}

static void index_put(struct ovc_id_index *x, int64_t id, size_t pos)
{
	size_t i = id_hash(id) & (x->cap - 1);
	while (x->pos[i] != SIZE_MAX)
		i = (i + 1) & (x->cap - 1);
	x->keys[i] = id;
	x->pos[i] = pos;
	x->n++;
}

/* Adds ID at POS (ID not present); false when out of memory. */
static bool index_add(struct ovc_id_index **xp, int64_t id, size_t pos)
{
	struct ovc_id_index *x = *xp;
	if (!x) {
		x = calloc(1, sizeof *x);
		if (!x)
			return false;
		*xp = x;
	}
	if ((x->n + 1) * 2 > x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 16;
		struct ovc_id_index nx = {
			.keys = malloc(ncap * sizeof *nx.keys),
			.pos = malloc(ncap * sizeof *nx.pos),
			.cap = ncap,
		};
		if (!nx.keys || !nx.pos) {
			free(nx.keys);
			free(nx.pos);
			return false;
		}
		for (size_t i = 0; i < ncap; i++)
			nx.pos[i] = SIZE_MAX;
		for (size_t i = 0; i < x->cap; i++)
			if (x->pos[i] != SIZE_MAX)
				index_put(&nx, x->keys[i], x->pos[i]);
		free(x->keys);
		free(x->pos);
		*x = nx;
	}
	index_put(x, id, pos);
	return true;
}

bool ovc_grow(void *arrp, size_t *cap, size_t n, size_t size, size_t first)
{
	void **arr = arrp;
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : first;
	void *na = realloc(*arr, ncap * size);
	if (!na)
		return false;
	*arr = na;
	*cap = ncap;
	return true;
}

bool ovc_grow_text(char **s, size_t *cap, size_t need)
{
	if (need <= *cap)
		return true;
	char *ns = realloc(*s, need * 2);
	if (!ns)
		return false;
	*s = ns;
	*cap = need * 2;
	return true;
}

char *ovc_text_room(struct ovc_text *t, size_t n)
{
	if (t->oom || !ovc_grow_text(&t->s, &t->cap, t->len + n + 1)) {
		t->oom = true;
		return NULL;
	}
	return t->s + t->len;
}

int ovc_proc_add_module(struct ovc_proc *p, const struct ovc_module *mod)
{
	if (index_find(p->module_index, mod->id) != SIZE_MAX ||
	    p->nmodules >= OVC_MAX_MODULES)
		return 0;
	if (!ovc_grow(&p->modules, &p->modules_cap, p->nmodules,
		      sizeof *p->modules, 16))
		return -1;
	struct ovc_module *m = &p->modules[p->nmodules];
	m->id = mod->id;
	m->base = mod->base;
	m->lo = mod->lo;
	m->hi = mod->hi;
	m->path = strdup(mod->path ? mod->path : "");
	m->build_id = strdup(mod->build_id ? mod->build_id : "");
	if (!m->path || !m->build_id ||
	    !index_add(&p->module_index, mod->id, p->nmodules)) {
		free(m->path);
		free(m->build_id);
		return -1;
	}
	p->nmodules++;
	return 1;
}

void ovc_proc_trim(struct ovc_proc *p)
{
	if (p->modules_cap > p->nmodules && p->nmodules) {
		void *a = realloc(p->modules, p->nmodules * sizeof *p->modules);
		if (a) {
			p->modules = a;
			p->modules_cap = p->nmodules;
		}
	}
	if (p->sites_cap > p->nsites && p->nsites) {
		void *a = realloc(p->sites, p->nsites * sizeof *p->sites);
		if (a) {
			p->sites = a;
			p->sites_cap = p->nsites;
		}
	}
}

const struct ovc_module *ovc_proc_module(const struct ovc_proc *p, int64_t id)
{
	size_t i = index_find(p->module_index, id);
	return i == SIZE_MAX ? NULL : &p->modules[i];
}

struct ovc_site *ovc_proc_add_site(struct ovc_proc *p, int64_t id,
				   const struct ovc_frame *frames, size_t n,
				   bool *dup)
{
	*dup = false;
	if (index_find(p->site_index, id) != SIZE_MAX) {
		*dup = true;
		return NULL;
	}
	if (p->nsites >= OVC_MAX_SITES) {
		p->sites_dropped++;
		return NULL;
	}
	if (!ovc_grow(&p->sites, &p->sites_cap, p->nsites, sizeof *p->sites, 16))
		return NULL;
	size_t keep = n < OVC_MAX_FRAMES ? n : OVC_MAX_FRAMES;
	if (keep > OVC_MAX_FRAMES_TOTAL - p->nframes_total)
		keep = OVC_MAX_FRAMES_TOTAL - p->nframes_total;
	struct ovc_site *s = &p->sites[p->nsites];
	memset(s, 0, sizeof *s);
	s->id = id;
	s->live_blocks = -1;
	s->sample_bytes = -1;
	if (keep) {
		s->frames = malloc(keep * sizeof *s->frames);
		if (!s->frames)
			return NULL;
		memcpy(s->frames, frames, keep * sizeof *s->frames);
	}
	s->nframes = keep;
	s->frames_dropped = n - keep;
	if (!index_add(&p->site_index, id, p->nsites)) {
		free(s->frames);
		return NULL;
	}
	p->nframes_total += keep;
	p->nsites++;
	return s;
}

struct ovc_site *ovc_proc_site(const struct ovc_proc *p, int64_t id)
{
	size_t i = index_find(p->site_index, id);
	return i == SIZE_MAX ? NULL : &p->sites[i];
}

void ovc_proc_destroy(struct ovc_proc *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nmodules; i++) {
		free(p->modules[i].path);
		free(p->modules[i].build_id);
	}
	free(p->modules);
	for (size_t i = 0; i < p->nsites; i++)
		free(p->sites[i].frames);
	free(p->sites);
	index_free(p->module_index);
	index_free(p->site_index);
	free(p->log);
	free(p->exe);
	free_argv(p->argv, p->argc);
	free(p->run);
	free(p->origin);
	free(p->snapshot_end);
	free(p->parent_log);
	free(p->end_via);
	free(p->exec_path);
	free(p->first_warn);
	for (size_t i = 0; i < p->nuntraced; i++) {
		free(p->untraced[i].path);
		free(p->untraced[i].why);
		free(p->untraced[i].output);
	}
	free(p->untraced);
	ovc_proc_extra_destroy(p->extra);
	free(p);
}

struct ovc_run *ovc_run_create(const char *log_path)
{
	struct ovc_run *r = calloc(1, sizeof *r);
	if (!r || !(r->log = strdup(log_path)) || !(r->run = strdup(""))) {
		ovc_run_destroy(r);
		return NULL;
	}
	r->pid = r->ovc_pid = -1;
	r->start_unix_ns = -1;
	r->end_kind = OVC_END_ABRUPT;
	r->end_code = r->end_signal = r->duration_ns = -1;
	return r;
}

void ovc_run_destroy(struct ovc_run *r)
{
	if (!r)
		return;
	free(r->log);
	free(r->run);
	free_argv(r->argv, r->argc);
	for (size_t i = 0; i < r->nside; i++) {
		free(r->side[i].exe);
		free(r->side[i].why);
		free(r->side[i].msg);
	}
	free(r->side);
	free(r);
}

struct ovc_model *ovc_model_create(void)
{
	struct ovc_model *m = calloc(1, sizeof *m);
	if (m)
		ovc_host_init(&m->host);
	return m;
}

void ovc_model_destroy(struct ovc_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nprocs; i++)
		ovc_proc_destroy(m->procs[i]);
	for (size_t i = 0; i < m->nruns; i++)
		ovc_run_destroy(m->runs[i]);
	free(m->procs);
	free(m->runs);
	free(m);
}

bool ovc_model_add_proc(struct ovc_model *m, struct ovc_proc *p)
{
	if (!ovc_grow(&m->procs, &m->procs_cap, m->nprocs, sizeof *m->procs,
		      16)) {
		ovc_proc_destroy(p);
		return false;
	}
	p->read_index = m->nprocs;
	m->procs[m->nprocs++] = p;
	return true;
}

bool ovc_model_add_run(struct ovc_model *m, struct ovc_run *r)
{
	if (!ovc_grow(&m->runs, &m->runs_cap, m->nruns, sizeof *m->runs, 16)) {
		ovc_run_destroy(r);
		return false;
	}
	m->runs[m->nruns++] = r;
	return true;
}
