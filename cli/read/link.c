/* Links the model's images (ovc_model_link, model.h): in order of time,
 * each exec'd image to the one it replaced, each child to its parent, each
 * image to its run file and how it ended, and the machine of the set. */
#include "read/model.h"

#include <stdlib.h>
#include <string.h>

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
	} else if (p->has_end && p->end_log_signal > 0) {
		p->end_kind = OVC_END_SIGNAL;
		p->end_signal = p->end_log_signal;
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

static int64_t nonneg(int64_t v)
{
	return v > 0 ? v : 0;
}

/* V less what was inherited (INH, -1 unknown), at least 0 and at most
 * BOUND: a figure of its own cannot exceed what it asked for since. */
static int64_t own_part(int64_t v, int64_t inh, int64_t bound)
{
	if (v < 0)
		return v;
	v = nonneg(v - nonneg(inh));
	return v < bound ? v : bound;
}

/* A fork child's counters go on from its parent's live blocks and
 * mappings (docs/log-format.md, "inherited"): its own figures are what it
 * did after the fork. The live bytes beyond the inherited ones, and never
 * more than it asked for since the fork; the inherited bytes are kept
 * apart. Sites that are only inherited (nothing asked for since) have no
 * figures of the child's. */
static void own_figures(struct ovc_proc *p)
{
	if (strcmp(p->origin, "fork") != 0 || p->logged_peak_live_bytes >= 0)
		return;
	p->logged_peak_live_bytes = nonneg(p->peak_live_bytes);
	p->logged_last_live_bytes = nonneg(p->last_live_bytes);
	int64_t req = nonneg(ovc_proc_total_requested(p));
	int64_t mapped = nonneg(p->map_bytes[OVC_MFN_MMAP]);
	if (p->map_bytes[OVC_MFN_MREMAP] > 0 &&
	    mapped <= INT64_MAX - p->map_bytes[OVC_MFN_MREMAP])
		mapped += p->map_bytes[OVC_MFN_MREMAP];
	int64_t il = p->inherited_live_bytes, ic = p->inherited_committed_bytes;
	p->peak_live_bytes = own_part(p->peak_live_bytes, il, req);
	p->last_live_bytes = own_part(p->last_live_bytes, il, req);
	p->peak_live_bound_bytes = own_part(p->peak_live_bound_bytes, il, req);
	p->peak_committed_bytes = own_part(p->peak_committed_bytes, ic, mapped);
	p->committed_bytes = own_part(p->committed_bytes, ic, mapped);
	p->peak_mapped_bytes = own_part(p->peak_mapped_bytes, ic, mapped);
	p->mapped_bytes = own_part(p->mapped_bytes, ic, mapped);
	if (p->peak_asked_bytes >= 0) {
		int64_t inh = nonneg(il) + nonneg(ic);
		int64_t bound = req > INT64_MAX - mapped ? INT64_MAX : req + mapped;
		p->peak_asked_bytes = own_part(p->peak_asked_bytes, inh, bound);
	}
	for (size_t i = 0; i < p->nsites; i++) {
		struct ovc_site *s = &p->sites[i];
		if (!s->has_figures)
			continue;
		int64_t sreq = nonneg(s->requested_bytes);
		if (sreq == 0 && s->blocks <= 0) {
			s->has_figures = false;
			continue;
		}
		s->peak_live_bytes = own_part(s->peak_live_bytes, -1, sreq);
		s->live_bytes = own_part(s->live_bytes, -1, sreq);
		s->unprobed_bytes = own_part(s->unprobed_bytes, -1, sreq);
		s->peak_committed_bytes =
			own_part(s->peak_committed_bytes, -1, sreq);
		s->committed_bytes = own_part(s->committed_bytes, -1, sreq);
		s->live_touched_bytes = own_part(s->live_touched_bytes, -1, sreq);
		if (s->live_blocks > s->blocks)
			s->live_blocks = nonneg(s->blocks);
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
	for (size_t i = 0; i < m->nprocs; i++) {
		resolve_end(m, m->procs[i]);
		own_figures(m->procs[i]);
	}
	ovc_host_init(&m->host);
	for (size_t i = 0; i < m->nprocs; i++) {
		if (m->procs[i]->host.known) {
			m->host = m->procs[i]->host;
			break;
		}
	}
}
