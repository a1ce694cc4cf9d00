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

void ovc_runs_note(struct ovc_runs_seen *s, const char *run, bool file,
		   int64_t start_unix_ns, char *const *argv, size_t argc)
{
	if (!run)
		run = "";
	struct ovc_run_seen *r = NULL;
	/* Runs are few (a directory of a CI job's runs: tens, a test suite
	 * run test by test under `meson test --wrapper`: hundreds), and
	 * the last one met is most often the one again. */
	for (size_t i = s->n; i-- > 0;)
		if (strcmp(s->v[i].run, run) == 0) {
			r = &s->v[i];
			break;
		}
	if (!r) {
		if (s->n == s->cap) {
			size_t nc = s->cap ? s->cap * 2 : 8;
			struct ovc_run_seen *nv = realloc(s->v, nc * sizeof *nv);
			if (!nv)
				return;
			s->v = nv;
			s->cap = nc;
		}
		char *id = strdup(run);
		if (!id)
			return;
		r = &s->v[s->n++];
		*r = (struct ovc_run_seen){.run = id, .start_unix_ns = -1};
	}
	if (file) {
		if (!r->has_file) {
			r->has_file = true;
			r->start_unix_ns = start_unix_ns;
			r->command = join(argv, argc);
		}
		return;
	}
	r->logs++;
	if (!r->has_file && start_unix_ns >= 0 &&
	    (r->start_unix_ns < 0 || start_unix_ns < r->start_unix_ns))
		r->start_unix_ns = start_unix_ns;
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
