/* The records of a process's life (proc, exec, end, warn, untraced) and
 * of a run file (run, run_end), read into the model (reader.h). */
#include "read/reader.h"

#include <stdlib.h>
#include <string.h>

#include "ovc/log-format.h"
#include "read/proc-extra.h"

void ovc_rd_note_ns(struct ovc_proc *p, int64_t ns)
{
	if (p->first_ns < 0 || ns < p->first_ns)
		p->first_ns = ns;
	if (ns > p->last_ns)
		p->last_ns = ns;
}

bool ovc_rd_ns_str(struct reader *r, json_t *o, struct ovc_proc *p,
		   const char *key, const char **s)
{
	int64_t ns = -1;
	if (ovc_rd_int(r, o, "ns", 0, ABSURD_NS, &ns) == FLD_BAD ||
	    ovc_rd_str(r, o, key, s) == FLD_BAD)
		return false;
	if (ns >= 0)
		ovc_rd_note_ns(p, ns);
	return true;
}

/* For each of the N NAMES whose POS is still -1, its first index in the
 * array A of names (it stays -1 where A does not name it). */
static void find_positions(json_t *a, const char *const *names, int n,
			   int *pos)
{
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		if (!json_is_string(e))
			continue;
		for (int f = 0; f < n; f++)
			if (pos[f] < 0 &&
			    strcmp(json_string_value(e), names[f]) == 0)
				pos[f] = (int)i;
	}
}

static void read_funcs(struct reader *r, json_t *o, struct ovc_proc *p)
{
	json_t *a = json_object_get(o, "funcs");
	if (!a) {
		/* Sane default: the order of log-format.h. */
		for (int i = 0; i < OVC_FN_COUNT; i++)
			p->func_pos[i] = i;
		p->nfuncs = OVC_FN_COUNT;
		return;
	}
	if (!json_is_array(a) || json_array_size(a) > MAX_FUNCS) {
		ovc_rd_why(r, "\"funcs\" is not an array of at most %d names",
			   MAX_FUNCS);
		ovc_rd_header_field(r, FLD_BAD);
		for (int i = 0; i < OVC_FN_COUNT; i++)
			p->func_pos[i] = i;
		p->nfuncs = OVC_FN_COUNT;
		return;
	}
	p->nfuncs = json_array_size(a);
	find_positions(a, ovc_func_names, OVC_FN_COUNT, p->func_pos);
}

/* "map_funcs": the order of the map_* arrays of the samples. */
static void read_map_funcs(struct reader *r, json_t *o, struct ovc_proc *p)
{
	json_t *a = json_object_get(o, "map_funcs");
	if (!a)
		return;
	if (!json_is_array(a) || json_array_size(a) > MAX_FUNCS) {
		ovc_rd_why(r,
			   "\"map_funcs\" is not an array of at most %d names",
			   MAX_FUNCS);
		ovc_rd_header_field(r, FLD_BAD);
		return;
	}
	p->nmap_funcs = json_array_size(a);
	for (int f = 0; f < OVC_MFN_COUNT; f++)
		p->map_pos[f] = -1;
	find_positions(a, ovc_map_func_names, OVC_MFN_COUNT, p->map_pos);
}

void ovc_rd_proc_header(struct reader *r, json_t *o, struct ovc_proc *p)
{
	const char *s;
	struct ovc_host *h = &p->host;
	enum field f;

	ovc_rd_header_field(r, ovc_rd_int(r, o, "pid", 0, INT32_MAX, &p->pid));
	ovc_rd_header_field(r,
			    ovc_rd_int(r, o, "ppid", 0, INT32_MAX, &p->ppid));
	if ((f = ovc_rd_str(r, o, "exe", &s)) == FLD_OK)
		ovc_rd_set_string(&p->exe, s);
	ovc_rd_header_field(r, f);
	ovc_rd_header_field(r, ovc_rd_argv(r, o, "argv", &p->argv, &p->argc));
	if ((f = ovc_rd_str(r, o, "run", &s)) == FLD_OK)
		ovc_rd_set_string(&p->run, s);
	ovc_rd_header_field(r, f);
	if ((f = ovc_rd_str(r, o, "origin", &s)) == FLD_OK)
		ovc_rd_set_string(&p->origin, s);
	ovc_rd_header_field(r, f);
	if ((f = ovc_rd_str(r, o, "parent_log", &s)) == FLD_OK)
		ovc_rd_set_string(&p->parent_log, s);
	ovc_rd_header_field(r, f);
	ovc_rd_header_field(r, ovc_rd_int(r, o, "proc_start_ticks", 0,
					  INT64_MAX, &p->proc_start_ticks));
	ovc_rd_header_field(r, ovc_rd_int(r, o, "start_unix_ns", 0, INT64_MAX,
					  &p->start_unix_ns));
	ovc_rd_header_field(r, ovc_rd_int(r, o, "start_mono_ns", 0, INT64_MAX,
					  &p->start_mono_ns));
	ovc_rd_header_field(r, ovc_rd_int(r, o, "interval_ms", 0, INT32_MAX,
					  &p->interval_ms));
	ovc_rd_header_field(r, ovc_rd_int(r, o, "sample", 0, ABSURD_BYTES,
					  &p->sample_bytes));
	ovc_rd_header_field(r, ovc_rd_int(r, o, "page_size", 1,
					  (int64_t)1 << 40, &h->page_size));
	ovc_rd_header_field(r, ovc_rd_int(r, o, "mem_total", 0, ABSURD_BYTES,
					  &h->mem_total_bytes));
	ovc_rd_header_field(r,
			    ovc_rd_int(r, o, "mem_available", 0, ABSURD_BYTES,
				       &h->mem_available_bytes));
	ovc_rd_header_field(r, ovc_rd_int(r, o, "commit_limit", 0, ABSURD_BYTES,
					  &h->commit_limit_bytes));
	ovc_rd_header_field(r, ovc_rd_int(r, o, "committed_as", 0, ABSURD_BYTES,
					  &h->committed_as_bytes));
	ovc_rd_header_field(r, ovc_rd_int(r, o, "overcommit_memory", -1, 2,
					  &h->overcommit_memory));
	ovc_rd_header_field(r, ovc_rd_int(r, o, "overcommit_ratio", -1,
					  INT32_MAX, &h->overcommit_ratio));
	h->known = h->mem_total_bytes >= 0 || h->commit_limit_bytes >= 0 ||
		   h->overcommit_memory >= 0;
	read_funcs(r, o, p);
	read_map_funcs(r, o, p);

	json_t *b = json_object_get(o, "baseline");
	if (b && json_is_object(b)) {
		int64_t vm = -1, rss = -1, sh = -1;
		ovc_rd_header_field(
			r, ovc_rd_int(r, b, "vm", 0, ABSURD_BYTES, &vm));
		ovc_rd_header_field(
			r, ovc_rd_int(r, b, "rss", 0, ABSURD_BYTES, &rss));
		ovc_rd_header_field(
			r, ovc_rd_int(r, b, "shared", 0, ABSURD_BYTES, &sh));
		p->baseline_vm_bytes = vm > 0 ? vm : 0;
		p->baseline_rss_bytes = rss > 0 ? rss : 0;
		p->baseline_shared_bytes = sh > 0 ? sh : 0;
	} else if (b) {
		ovc_rd_why(r, "\"baseline\" is not an object");
		ovc_rd_header_field(r, FLD_BAD);
	}
	json_t *inh = json_object_get(o, "inherited");
	if (inh && json_is_object(inh)) {
		ovc_rd_header_field(r, ovc_rd_int(r, inh, "live", 0, ABSURD_BYTES,
						  &p->inherited_live_bytes));
		ovc_rd_header_field(r, ovc_rd_int(r, inh, "committed", 0,
						  ABSURD_BYTES,
						  &p->inherited_committed_bytes));
	} else if (inh) {
		ovc_rd_why(r, "\"inherited\" is not an object");
		ovc_rd_header_field(r, FLD_BAD);
	}
	/* OVC_BUDGET / OVC_PREFAULT, when they were set. */
	int64_t budget = -1;
	const char *mode = "";
	ovc_rd_header_field(
		r, ovc_rd_int(r, o, "budget", 0, ABSURD_BYTES, &budget));
	ovc_rd_header_field(r, ovc_rd_str(r, o, "budget_mode", &mode));
	bool prefault = json_is_true(json_object_get(o, "prefault"));
	if (budget >= 0 || prefault)
		ovc_proc_note_budget(p, budget, mode, prefault);

	json_t *cg = json_object_get(o, "cgroup");
	if (cg && !json_is_null(cg)) {
		struct ovc_cgroup c = {.max_bytes = -1, .oom_kill_start = -1};
		int64_t version = 0;
		const char *dir = "";
		enum field cf = FLD_OK;
		if (!json_is_object(cg)) {
			ovc_rd_why(r, "\"cgroup\" is not an object");
			cf = FLD_BAD;
		} else if ((cf = ovc_rd_int(r, cg, "version", 1, 2,
					    &version)) != FLD_BAD &&
			   (cf = ovc_rd_str(r, cg, "dir", &dir)) != FLD_BAD &&
			   (cf = ovc_rd_int(r, cg, "max", 0, INT64_MAX,
					    &c.max_bytes)) != FLD_BAD &&
			   (cf = ovc_rd_int(r, cg, "oom_kill", 0, INT64_MAX,
					    &c.oom_kill_start)) != FLD_BAD) {
			c.version = (int)version;
			snprintf(c.dir, sizeof c.dir, "%s", dir);
			if (c.version && c.dir[0])
				ovc_proc_note_cgroup(p, &c);
		}
		ovc_rd_header_field(r, cf);
	}
}

bool ovc_rd_exec(struct reader *r, json_t *o, struct ovc_proc *p)
{
	const char *path = "";
	int64_t ticks = -1;
	if (!ovc_rd_ns_str(r, o, p, "path", &path) ||
	    ovc_rd_int(r, o, "proc_start_ticks", 0, INT64_MAX, &ticks) == FLD_BAD)
		return false;
	ovc_rd_set_string(&p->exec_path, path);
	p->exec_last = true;
	/* An image that did not read its process's start time at its start
	 * gives it here, for the image that replaces it (link.c). */
	if (p->proc_start_ticks < 0 && ticks >= 0)
		p->proc_start_ticks = ticks;
	return true;
}

bool ovc_rd_end(struct reader *r, json_t *o, struct ovc_proc *p)
{
	int64_t ns = -1, code = 0, sig = 0;
	const char *via = "", *kind = "exit";
	if (ovc_rd_int(r, o, "ns", 0, ABSURD_NS, &ns) == FLD_BAD ||
	    ovc_rd_int(r, o, "code", INT32_MIN, INT32_MAX, &code) == FLD_BAD ||
	    ovc_rd_str(r, o, "via", &via) == FLD_BAD ||
	    ovc_rd_str(r, o, "kind", &kind) == FLD_BAD ||
	    ovc_rd_int(r, o, "signal", 0, 1024, &sig) == FLD_BAD)
		return false;
	if (ns >= 0)
		ovc_rd_note_ns(p, ns);
	if (strcmp(kind, "signal") == 0) {
		if (sig < 1) {
			ovc_rd_why(r, "end of kind signal without a signal");
			return false;
		}
		p->end_log_signal = sig;
	} else if (strcmp(kind, "exit") != 0) {
		return true; /* "unknown": the sampler could not learn how */
	}
	p->has_end = true;
	p->end_code = code;
	ovc_rd_set_string(&p->end_via, via);
	return true;
}

bool ovc_rd_warn(struct reader *r, json_t *o, struct ovc_proc *p)
{
	const char *msg = "";
	if (!ovc_rd_ns_str(r, o, p, "msg", &msg))
		return false;
	p->warn_records++;
	if (!p->first_warn)
		p->first_warn = ovc_rd_dup(msg, 200);
	return true;
}

/* An `untraced` record: a program this image started that ovc cannot
 * follow. Kept (up to OVC_MAX_UNTRACED) for the process tree and totals. */
bool ovc_rd_untraced(struct reader *r, json_t *o, struct ovc_proc *p)
{
	int64_t ns = -1;
	const char *path = "", *why = "", *output = NULL;
	if (ovc_rd_int(r, o, "ns", 0, ABSURD_NS, &ns) == FLD_BAD ||
	    ovc_rd_str(r, o, "path", &path) == FLD_BAD ||
	    ovc_rd_str(r, o, "why", &why) == FLD_BAD ||
	    ovc_rd_str(r, o, "output", &output) == FLD_BAD)
		return false;
	if (ns >= 0)
		ovc_rd_note_ns(p, ns);
	if (p->nuntraced >= OVC_MAX_UNTRACED) {
		p->untraced_dropped++;
		return true;
	}
	if (p->nuntraced == p->untraced_cap) {
		size_t ncap = p->untraced_cap ? p->untraced_cap * 2 : 4;
		struct ovc_untraced *nu =
			realloc(p->untraced, ncap * sizeof *nu);
		if (!nu) {
			ovc_rd_why(r, "out of memory");
			return false;
		}
		p->untraced = nu;
		p->untraced_cap = ncap;
	}
	struct ovc_untraced *u = &p->untraced[p->nuntraced];
	u->t_ns = ns;
	u->path = ovc_rd_dup(path, MAX_STRING);
	u->why = ovc_rd_dup(why, 64);
	u->output = output ? ovc_rd_dup(output, MAX_STRING) : NULL;
	if (!u->path || !u->why || (output && !u->output)) {
		free(u->path);
		free(u->why);
		free(u->output);
		ovc_rd_why(r, "out of memory");
		return false;
	}
	p->nuntraced++;
	return true;
}

void ovc_rd_run_header(struct reader *r, json_t *o, struct ovc_run *run)
{
	const char *s;
	enum field f;
	if ((f = ovc_rd_str(r, o, "run", &s)) == FLD_OK)
		ovc_rd_set_string(&run->run, s);
	ovc_rd_header_field(r, f);
	ovc_rd_header_field(r,
			    ovc_rd_int(r, o, "pid", 0, INT32_MAX, &run->pid));
	ovc_rd_header_field(
		r, ovc_rd_int(r, o, "ovc_pid", 0, INT32_MAX, &run->ovc_pid));
	ovc_rd_header_field(r,
			    ovc_rd_argv(r, o, "argv", &run->argv, &run->argc));
	ovc_rd_header_field(r, ovc_rd_int(r, o, "start_unix_ns", 0, INT64_MAX,
					  &run->start_unix_ns));
}

bool ovc_rd_run_end(struct reader *r, json_t *o, struct ovc_run *run)
{
	const char *kind = "";
	int64_t code = -1, sig = -1, dur = -1;
	if (ovc_rd_str(r, o, "kind", &kind) == FLD_BAD ||
	    ovc_rd_int(r, o, "code", INT32_MIN, INT32_MAX, &code) == FLD_BAD ||
	    ovc_rd_int(r, o, "signal", 0, 1024, &sig) == FLD_BAD ||
	    ovc_rd_int(r, o, "duration_ns", 0, ABSURD_NS, &dur) == FLD_BAD)
		return false;
	if (strcmp(kind, "signal") == 0) {
		if (sig < 1) {
			ovc_rd_why(r,
				   "run_end of kind signal without a signal");
			return false;
		}
		run->end_kind = OVC_END_SIGNAL;
	} else if (strcmp(kind, "exit") == 0) {
		run->end_kind = OVC_END_EXIT;
	} else {
		ovc_rd_why(r, "unknown run_end kind \"%.40s\"", kind);
		return false;
	}
	run->has_end = true;
	run->end_code = code;
	run->end_signal = sig;
	run->duration_ns = dur;
	return true;
}

bool ovc_rd_side(struct reader *r, json_t *o, struct ovc_run *run)
{
	int64_t pid = -1;
	const char *exe = "", *why = "", *msg = "";
	if (ovc_rd_int(r, o, "pid", 0, INT32_MAX, &pid) == FLD_BAD ||
	    ovc_rd_str(r, o, "exe", &exe) == FLD_BAD ||
	    ovc_rd_str(r, o, "why", &why) == FLD_BAD ||
	    ovc_rd_str(r, o, "msg", &msg) == FLD_BAD)
		return false;
	if (run->nside >= OVC_MAX_SIDE) {
		run->side_dropped++;
		return true;
	}
	struct ovc_side *ns = realloc(run->side, (run->nside + 1) * sizeof *ns);
	if (!ns) {
		ovc_rd_why(r, "out of memory");
		return false;
	}
	run->side = ns;
	struct ovc_side *e = &ns[run->nside];
	e->pid = pid;
	e->exe = strndup(exe, 4096);
	e->why = strndup(why, 64);
	e->msg = strndup(msg, 1024);
	if (!e->exe || !e->why || !e->msg) {
		free(e->exe), free(e->why), free(e->msg);
		ovc_rd_why(r, "out of memory");
		return false;
	}
	run->nside++;
	return true;
}
