/* The model of a set of logs: process images with their sites, run files,
 * the links between them and the figures derived from their aggregates. */
#include "read/model.h"

#include "analyze/diagnose.h"

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
	switch (k) {
	case OVC_END_EXIT:
		return "exit";
	case OVC_END_SIGNAL:
		return "signal";
	case OVC_END_EXEC:
		return "exec";
	case OVC_END_SNAPSHOT:
		return "snapshot";
	case OVC_END_ABRUPT:
		break;
	}
	return "abrupt";
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

static void host_init(struct ovc_host *h)
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
	host_init(&p->host);
	for (int i = 0; i < OVC_FN_COUNT; i++)
		p->func_pos[i] = -1;
	for (int i = 0; i < OVC_MFN_COUNT; i++)
		p->map_pos[i] = i; /* log-format.h's order until map_funcs says */
	p->nmap_funcs = OVC_MFN_COUNT;
	p->first_ns = p->last_ns = -1;
	p->peak_asked_bytes = -1;
	p->peak_live_bound_bytes = -1;
	p->written_since_fork_bytes = -1;
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
		size_t ncap = x->cap ? x->cap * 2 : 64;
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

/* Grows the array *ARR of *CAP elements of SIZE bytes to hold N + 1. */
static bool grow_array(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *na = realloc(*arr, ncap * size);
	if (!na)
		return false;
	*arr = na;
	*cap = ncap;
	return true;
}

int ovc_proc_add_module(struct ovc_proc *p, const struct ovc_module *mod)
{
	if (index_find(p->module_index, mod->id) != SIZE_MAX ||
	    p->nmodules >= OVC_MAX_MODULES)
		return 0;
	void *arr = p->modules;
	if (!grow_array(&arr, &p->modules_cap, p->nmodules, sizeof *p->modules))
		return -1;
	p->modules = arr;
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
	void *arr = p->sites;
	if (!grow_array(&arr, &p->sites_cap, p->nsites, sizeof *p->sites))
		return NULL;
	p->sites = arr;
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

static int64_t clamp_nonneg(int64_t v)
{
	return v > 0 ? v : 0;
}

void ovc_site_figures(const struct ovc_site *s, struct ovc_site_figures *f)
{
	int64_t req = clamp_nonneg(s->requested_bytes);
	int64_t touched = clamp_nonneg(s->touched_bytes);
	int64_t unprobed = clamp_nonneg(s->unprobed_bytes);
	if (unprobed > req)
		unprobed = req;
	if (touched > req)
		touched = req;
	/* The probed bytes are what was requested minus the live bytes of
	 * never-probed blocks; the unprobed ones are assumed to be touched
	 * at the same ratio. Nothing probed: no ratio to go by, the
	 * measured figure (a lower bound) stands. */
	int64_t probed = req - unprobed;
	if (unprobed > 0 && probed > 0) {
		double r = (double)touched / (double)probed;
		if (r > 1.0)
			r = 1.0;
		touched += (int64_t)((double)unprobed * r + 0.5);
		if (touched > req)
			touched = req;
	}
	f->blocks = clamp_nonneg(s->blocks);
	f->requested_bytes = req;
	f->live_bytes = clamp_nonneg(s->live_bytes);
	f->peak_live_bytes = clamp_nonneg(s->peak_live_bytes);
	f->touched_bytes = touched;
	f->untouched_bytes = req - touched;
	f->has_ratio = req > 0;
	f->touched_ratio = req > 0 ? (double)touched / (double)req : 0.0;
	if (f->touched_ratio > 1.0)
		f->touched_ratio = 1.0;
	f->estimated = s->sampled || s->shared_pages || unprobed > 0;
	/* A figure X estimated from a byte-weighted sample of mean S: each
	 * block of n bytes (x of them counted) is taken with probability
	 * p = 1 - exp(-n/S), and the variance of the sum, the sum of
	 * x^2 (1-p)/p^2 over the blocks, is at most S * X ((1-p)/p <= S/n,
	 * x <= n): the error is at most sqrt(S * X) (docs/options.md,
	 * "Sampling error", measures it). */
	f->requested_err_bytes = f->touched_err_bytes = 0;
	if (s->sampled && s->sample_bytes > 1) {
		double S = (double)s->sample_bytes;
		f->requested_err_bytes = (int64_t)(sqrt(S * (double)req) + 0.5);
		f->touched_err_bytes = (int64_t)(sqrt(S * (double)touched) + 0.5);
	}
}

struct rank_item {
	size_t index;
	int64_t id;
	struct ovc_site_figures f;
};

static int cmp_desc(int64_t a, int64_t b)
{
	return a > b ? -1 : a < b;
}

int ovc_site_figures_cmp(const struct ovc_site_figures *x,
			 const struct ovc_site_figures *y, enum ovc_site_sort key)
{
	int c = 0;
	switch (key) {
	case OVC_SORT_REQUESTED:
		c = cmp_desc(x->requested_bytes, y->requested_bytes);
		break;
	case OVC_SORT_TOUCHED:
		c = cmp_desc(x->touched_bytes, y->touched_bytes);
		break;
	case OVC_SORT_RATIO:
		/* No ratio (nothing requested) goes last. */
		if (x->has_ratio != y->has_ratio)
			return x->has_ratio ? -1 : 1;
		if (x->touched_ratio != y->touched_ratio)
			return x->touched_ratio < y->touched_ratio ? -1 : 1;
		break;
	case OVC_SORT_UNTOUCHED:
		break;
	}
	if (!c)
		c = cmp_desc(x->untouched_bytes, y->untouched_bytes);
	if (!c)
		c = cmp_desc(x->requested_bytes, y->requested_bytes);
	return c;
}

static int cmp_rank(const void *a, const void *b, void *arg)
{
	const struct rank_item *x = a, *y = b;
	int c = ovc_site_figures_cmp(&x->f, &y->f,
				     *(const enum ovc_site_sort *)arg);
	if (!c)
		c = -cmp_desc(x->id, y->id);
	return c;
}

size_t ovc_proc_rank_sites(const struct ovc_proc *p, enum ovc_site_sort key,
			   size_t *order)
{
	size_t n = 0;
	if (!p->nsites)
		return 0;
	struct rank_item *items = malloc(p->nsites * sizeof *items);
	if (!items) {
		/* Out of memory: unsorted, but nothing is lost. */
		for (size_t i = 0; i < p->nsites; i++)
			if (p->sites[i].has_figures)
				order[n++] = i;
		return n;
	}
	for (size_t i = 0; i < p->nsites; i++) {
		if (!p->sites[i].has_figures)
			continue;
		items[n].index = i;
		items[n].id = p->sites[i].id;
		ovc_site_figures(&p->sites[i], &items[n].f);
		n++;
	}
	qsort_r(items, n, sizeof *items, cmp_rank, &key);
	for (size_t i = 0; i < n; i++)
		order[i] = items[i].index;
	free(items);
	return n;
}

static const char *const sort_names[] = {
	[OVC_SORT_UNTOUCHED] = "untouched",
	[OVC_SORT_REQUESTED] = "requested",
	[OVC_SORT_TOUCHED] = "touched",
	[OVC_SORT_RATIO] = "ratio",
};

bool ovc_site_sort_parse(const char *name, enum ovc_site_sort *out)
{
	for (size_t i = 0; i < sizeof sort_names / sizeof *sort_names; i++) {
		if (strcmp(name, sort_names[i]) == 0) {
			*out = (enum ovc_site_sort)i;
			return true;
		}
	}
	return false;
}

const char *ovc_site_sort_name(enum ovc_site_sort key)
{
	if ((size_t)key < sizeof sort_names / sizeof *sort_names)
		return sort_names[key];
	return "?";
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
	if (!r)
		return NULL;
	r->log = strdup(log_path);
	r->run = strdup("");
	if (!r->log || !r->run) {
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
	free(r);
}

struct ovc_model *ovc_model_create(void)
{
	struct ovc_model *m = calloc(1, sizeof *m);
	if (m)
		host_init(&m->host);
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

/* Grows *ARR (of *CAP pointers) to hold at least N + 1. */
static bool grow(void ***arr, size_t *cap, size_t n)
{
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 16;
	void **na = realloc(*arr, ncap * sizeof *na);
	if (!na)
		return false;
	*arr = na;
	*cap = ncap;
	return true;
}

bool ovc_model_add_proc(struct ovc_model *m, struct ovc_proc *p)
{
	void **arr = (void **)m->procs;
	if (!grow(&arr, &m->procs_cap, m->nprocs)) {
		ovc_proc_destroy(p);
		return false;
	}
	m->procs = (struct ovc_proc **)arr;
	p->read_index = m->nprocs;
	m->procs[m->nprocs++] = p;
	return true;
}

bool ovc_model_add_run(struct ovc_model *m, struct ovc_run *r)
{
	void **arr = (void **)m->runs;
	if (!grow(&arr, &m->runs_cap, m->nruns)) {
		ovc_run_destroy(r);
		return false;
	}
	m->runs = (struct ovc_run **)arr;
	m->runs[m->nruns++] = r;
	return true;
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct ovc_proc *x = *(const struct ovc_proc *const *)a;
	const struct ovc_proc *y = *(const struct ovc_proc *const *)b;
	int c = cmp_i64(x->start_unix_ns, y->start_unix_ns);
	if (!c)
		c = cmp_i64(x->pid, y->pid);
	if (!c)
		c = cmp_i64(x->k, y->k);
	if (!c)
		c = cmp_i64((int64_t)x->read_index, (int64_t)y->read_index);
	return c;
}

static int cmp_run(const void *a, const void *b)
{
	const struct ovc_run *x = *(const struct ovc_run *const *)a;
	const struct ovc_run *y = *(const struct ovc_run *const *)b;
	int c = cmp_i64(x->start_unix_ns, y->start_unix_ns);
	return c ? c : strcmp(x->log, y->log);
}

static int cmp_by_name(const void *a, const void *b)
{
	const struct ovc_proc *x = *(const struct ovc_proc *const *)a;
	const struct ovc_proc *y = *(const struct ovc_proc *const *)b;
	return strcmp(x->log_name, y->log_name);
}

/* Images of one process: same pid, start ticks and run. */
static bool same_process(const struct ovc_proc *a, const struct ovc_proc *b)
{
	return a->pid == b->pid && a->proc_start_ticks == b->proc_start_ticks &&
	       strcmp(a->run, b->run) == 0;
}

/* Finds in BYNAME (sorted by file name) the log named NAME that satisfies
 * OK(candidate, P); NULL when none. */
static struct ovc_proc *
find_named(struct ovc_proc **byname, size_t n, const char *name,
	   const struct ovc_proc *p,
	   bool (*ok)(const struct ovc_proc *, const struct ovc_proc *))
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(byname[mid]->log_name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && strcmp(byname[lo]->log_name, name) == 0; lo++)
		if (byname[lo] != p && ok(byname[lo], p))
			return byname[lo];
	return NULL;
}

static bool ok_exec_pred(const struct ovc_proc *cand, const struct ovc_proc *p)
{
	return same_process(cand, p) && !cand->successor;
}

static bool ok_fork_parent(const struct ovc_proc *cand,
			   const struct ovc_proc *p)
{
	return cand->pid == p->ppid && strcmp(cand->run, p->run) == 0;
}

/* The log P names as its parent's, when P's ppid does not say the same:
 * a child in a pid namespace of its own (`unshare --fork --pid`) has ppid
 * 0, its parent being outside; the log name still says who forked it. Of
 * the same run, and started no later than P. */
static bool ok_named_parent(const struct ovc_proc *cand,
			    const struct ovc_proc *p)
{
	return strcmp(cand->run, p->run) == 0 &&
	       (p->start_unix_ns < 0 || cand->start_unix_ns <= p->start_unix_ns);
}

static void link_images(struct ovc_model *m)
{
	struct ovc_proc **byname = malloc((m->nprocs + 1) * sizeof *byname);
	if (byname) {
		if (m->nprocs)
			memcpy(byname, m->procs, m->nprocs * sizeof *byname);
		qsort(byname, m->nprocs, sizeof *byname, cmp_by_name);
	}
	for (size_t i = 0; i < m->nprocs; i++) {
		struct ovc_proc *p = m->procs[i];
		struct ovc_proc *pred = NULL;
		if (strcmp(p->origin, "exec") == 0) {
			if (byname && p->parent_log[0])
				pred = find_named(byname, m->nprocs,
						  p->parent_log, p,
						  ok_exec_pred);
			/* Without a usable parent_log: the image of the same
			 * process with the largest smaller k. */
			if (!pred && p->k >= 0) {
				for (size_t j = 0; j < m->nprocs; j++) {
					struct ovc_proc *c = m->procs[j];
					if (c == p || !ok_exec_pred(c, p) ||
					    c->k < 0 || c->k >= p->k)
						continue;
					if (!pred || c->k > pred->k)
						pred = c;
				}
			}
			if (pred) {
				pred->successor = p;
				p->predecessor = pred;
			}
		} else if (strcmp(p->origin, "fork") == 0 && byname &&
			   p->parent_log[0]) {
			p->parent = find_named(byname, m->nprocs, p->parent_log,
					       p, ok_fork_parent);
			if (!p->parent)
				p->parent = find_named(byname, m->nprocs,
						       p->parent_log, p,
						       ok_named_parent);
		}
	}
	free(byname);
}

/* The run file that started P's process, if P is the last image of the
 * command's top process. */
static const struct ovc_run *run_of_last_image(const struct ovc_model *m,
					       const struct ovc_proc *p)
{
	if (p->successor)
		return NULL;
	const struct ovc_proc *first = p;
	/* Bounded walk: a malformed set of logs cannot loop forever. */
	for (size_t n = 0; first->predecessor && n <= m->nprocs; n++)
		first = first->predecessor;
	for (size_t i = 0; i < m->nruns; i++) {
		const struct ovc_run *r = m->runs[i];
		if (!r->has_end || r->pid != p->pid || r->ovc_pid < 0 ||
		    first->ppid != r->ovc_pid)
			continue;
		if (r->run[0] && p->run[0] && strcmp(r->run, p->run) != 0)
			continue;
		return r;
	}
	return NULL;
}

static void resolve_end(const struct ovc_model *m, struct ovc_proc *p)
{
	const struct ovc_run *r;
	p->end_signal = -1;
	if (strcmp(p->origin, "snapshot") == 0) {
		/* Seen from /proc: an exit leaves no trace there. */
		p->end_kind = OVC_END_SNAPSHOT;
		p->end_source = OVC_SRC_LOG;
	} else if (p->has_end) {
		p->end_kind = OVC_END_EXIT;
		p->end_source = OVC_SRC_LOG;
	} else if (p->successor) {
		p->end_kind = OVC_END_EXEC;
		p->end_source = OVC_SRC_SUCCESSOR;
	} else if (p->exec_last && p->exec_path) {
		/* The new image was not traced (static, setuid, or the
		 * environment was cleared). */
		p->end_kind = OVC_END_EXEC;
		p->end_source = OVC_SRC_LOG;
	} else if ((r = run_of_last_image(m, p)) != NULL) {
		p->end_source = OVC_SRC_RUN;
		if (r->end_kind == OVC_END_SIGNAL) {
			p->end_kind = OVC_END_SIGNAL;
			p->end_signal = r->end_signal;
		} else {
			p->end_kind = OVC_END_EXIT;
			p->end_code = r->end_code;
		}
	} else {
		p->end_kind = OVC_END_ABRUPT;
		p->end_source = OVC_SRC_NONE;
	}
}

void ovc_model_link(struct ovc_model *m)
{
	if (m->nprocs > 1)
		qsort(m->procs, m->nprocs, sizeof *m->procs, cmp_proc);
	if (m->nruns > 1)
		qsort(m->runs, m->nruns, sizeof *m->runs, cmp_run);
	for (size_t i = 0; i < m->nprocs; i++) {
		m->procs[i]->successor = NULL;
		m->procs[i]->predecessor = NULL;
		m->procs[i]->parent = NULL;
	}
	link_images(m);
	for (size_t i = 0; i < m->nprocs; i++)
		resolve_end(m, m->procs[i]);
	host_init(&m->host);
	for (size_t i = 0; i < m->nprocs; i++) {
		if (m->procs[i]->host.known) {
			m->host = m->procs[i]->host;
			break;
		}
	}
}

int64_t ovc_proc_baseline_anon_bytes(const struct ovc_proc *p)
{
	if (p->baseline_rss_bytes < 0 || p->baseline_shared_bytes < 0 ||
	    p->baseline_shared_bytes > p->baseline_rss_bytes)
		return 0;
	return p->baseline_rss_bytes - p->baseline_shared_bytes;
}

int64_t ovc_proc_touched_bytes(const struct ovc_proc *p)
{
	int64_t base = ovc_proc_baseline_anon_bytes(p);
	int64_t grown = p->peak_anon_rss_bytes > base
				? p->peak_anon_rss_bytes - base
				: 0;
	/* A fork child's copy-on-write copies replace pages it already had
	 * resident: they are its own touched bytes, not resident growth. */
	return p->written_since_fork_bytes > grown ? p->written_since_fork_bytes
						   : grown;
}

bool ovc_proc_asked_joint(const struct ovc_proc *p)
{
	return p->peak_asked_bytes >= 0;
}

int64_t ovc_proc_asked_bytes(const struct ovc_proc *p)
{
	int64_t live = p->peak_live_bytes > 0 ? p->peak_live_bytes : 0;
	/* the joint peak is at least the peak of either part alone */
	if (!ovc_proc_asked_joint(p))
		return live;
	int64_t a = p->peak_asked_bytes;
	if (a < live)
		a = live;
	if (a < p->peak_committed_bytes)
		a = p->peak_committed_bytes;
	return a;
}

bool ovc_proc_touched_ratio(const struct ovc_proc *p, double *ratio)
{
	int64_t asked = ovc_proc_asked_bytes(p);
	if (asked <= 0)
		return false;
	*ratio = (double)ovc_proc_touched_bytes(p) / (double)asked;
	return true;
}

int64_t ovc_proc_gap_bytes(const struct ovc_proc *p)
{
	int64_t gap = ovc_proc_asked_bytes(p) - ovc_proc_touched_bytes(p);
	return gap > 0 ? gap : 0;
}

int64_t ovc_proc_asked_bound_bytes(const struct ovc_proc *p)
{
	int64_t a = ovc_proc_asked_bytes(p);
	if (p->peak_live_bound_bytes <= p->peak_live_bytes)
		return a;
	int64_t b = p->peak_live_bound_bytes;
	if (ovc_proc_asked_joint(p) && p->peak_committed_bytes > 0)
		b += p->peak_committed_bytes;
	return b > a ? b : a;
}

int64_t ovc_proc_outside_bytes(const struct ovc_proc *p)
{
	int64_t out = ovc_proc_touched_bytes(p) - ovc_proc_asked_bound_bytes(p);
	return out > 0 ? out : 0;
}

int64_t ovc_proc_duration_ns(const struct ovc_proc *p)
{
	return p->last_ns > 0 ? p->last_ns : 0;
}

/* Sum with saturation: counts come from untrusted logs. */
static int64_t sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	return a + b;
}

int64_t ovc_proc_total_failed(const struct ovc_proc *p)
{
	int64_t t = 0;
	for (int i = 0; i < OVC_FN_COUNT; i++)
		t = sat_add(t, p->failed[i]);
	return t;
}

int64_t ovc_proc_total_requested(const struct ovc_proc *p)
{
	int64_t t = 0;
	for (int i = 0; i < OVC_FN_COUNT; i++)
		t = sat_add(t, p->requested[i]);
	return t;
}

size_t ovc_proc_verdicts(const struct ovc_proc *p, const struct ovc_host *h,
			 const char *out[2])
{
	size_t n = 0;
	if (h->commit_limit_bytes > 0 &&
	    p->peak_live_bytes > h->commit_limit_bytes)
		out[n++] = "exceeds_commit_limit";
	if (h->mem_total_bytes > 0 && p->peak_live_bytes > h->mem_total_bytes)
		out[n++] = "exceeds_mem_total";
	return n;
}
