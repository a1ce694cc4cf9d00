/* The runs a set of logs holds, and the choice of the newest (runs.h). */
#include "read/runs.h"

#include <stdlib.h>
#include <string.h>

static char *join(char *const *argv, size_t argc)
{
	enum { MAX = 200 };
	char *s = malloc(MAX + 4);
	if (!s)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < argc && n < MAX; i++) {
		if (i)
			s[n++] = ' ';
		for (const char *a = argv[i]; *a && n < MAX; a++)
			s[n++] = (unsigned char)*a < 0x20 ? '?' : *a;
	}
	if (n >= MAX)
		memcpy(s + n, "...", 3), n += 3;
	s[n] = '\0';
	return s;
}

/* The run RUN of S, added (no logs, start unknown) when it is not there;
 * NULL when out of memory. */
static struct ovc_run_seen *find_or_add(struct ovc_runs_seen *s,
					const char *run)
{
	/* Runs are few (a directory of a CI job's runs: tens, a test suite
	 * run test by test under `meson test --wrapper`: hundreds), and
	 * the last one met is most often the one again. */
	for (size_t i = s->n; i-- > 0;)
		if (strcmp(s->v[i].run, run) == 0)
			return &s->v[i];
	if (!ovc_grow(&s->v, &s->cap, s->n, sizeof *s->v, 8))
		return NULL;
	char *id = strdup(run);
	if (!id)
		return NULL;
	struct ovc_run_seen *r = &s->v[s->n++];
	*r = (struct ovc_run_seen){.run = id, .start_unix_ns = -1};
	return r;
}

/* Counts LOGS logs started at START (-1: unknown; the earliest counts
 * while no run file gave the run's start) in R. */
static void add_logs(struct ovc_run_seen *r, size_t logs, int64_t start)
{
	r->logs += logs;
	if (!r->has_file && start >= 0 &&
	    (r->start_unix_ns < 0 || start < r->start_unix_ns))
		r->start_unix_ns = start;
}

void ovc_runs_note(struct ovc_runs_seen *s, const char *run, bool file,
		   int64_t start_unix_ns, char *const *argv, size_t argc)
{
	struct ovc_run_seen *r = find_or_add(s, run ? run : "");
	if (!r)
		return;
	if (!file) {
		add_logs(r, 1, start_unix_ns);
	} else if (!r->has_file) {
		r->has_file = true;
		r->start_unix_ns = start_unix_ns;
		r->command = join(argv, argc);
	}
}

void ovc_runs_merge(struct ovc_runs_seen *dst, const struct ovc_runs_seen *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct ovc_run_seen *r = &src->v[i];
		struct ovc_run_seen *d = find_or_add(dst, r->run);
		if (!d)
			continue;
		if (r->has_file && !d->has_file) {
			d->has_file = true;
			d->start_unix_ns = r->start_unix_ns;
			d->command = r->command ? strdup(r->command) : NULL;
		}
		add_logs(d, r->logs, r->has_file ? -1 : r->start_unix_ns);
	}
}

const struct ovc_run_seen *ovc_runs_newest(const struct ovc_runs_seen *s)
{
	const struct ovc_run_seen *best = NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct ovc_run_seen *r = &s->v[i];
		if (!best || r->start_unix_ns > best->start_unix_ns ||
		    (r->start_unix_ns == best->start_unix_ns &&
		     strcmp(r->run, best->run) > 0))
			best = r;
	}
	return best;
}

void ovc_model_keep_run(struct ovc_model *m, const char *run)
{
	size_t k = 0;
	for (size_t i = 0; i < m->nprocs; i++) {
		struct ovc_proc *p = m->procs[i];
		if (strcmp(p->run, run) != 0) {
			ovc_proc_destroy(p);
			continue;
		}
		p->read_index = k;
		m->procs[k++] = p;
	}
	m->nprocs = k;
	k = 0;
	for (size_t i = 0; i < m->nruns; i++) {
		struct ovc_run *r = m->runs[i];
		if (strcmp(r->run, run) != 0) {
			ovc_run_destroy(r);
			continue;
		}
		m->runs[k++] = r;
	}
	m->nruns = k;
}

void ovc_runs_seen_free(struct ovc_runs_seen *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].run);
		free(s->v[i].command);
	}
	free(s->v);
	*s = (struct ovc_runs_seen){0};
}
