/* `ovc snapshot` rendered: the text people read and the JSON document
 * (docs/report-json.md, "ovc-snapshot") of one process's memory. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ovc/options.h"
#include "read/model.h"
#include "read/snapshot.h"
#include "render/format.h"
#include "render/render.h"

#define LABEL_W 19
#define BYTES_W 10
#define TOP_DEFAULT 20

static void label(FILE *out, const char *l)
{
	fprintf(out, "  %-*s", LABEL_W, l);
}

/* Writes S with control characters shown as '?' (names come from the
 * process: a path may hold anything). */
static void put_safe(FILE *out, const char *s, size_t max)
{
	size_t n = 0;
	for (; *s && n < max; s++, n++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
	if (*s)
		fputs("...", out);
}

static int64_t map_touched(const struct ovc_snap_map *m)
{
	if (m->pm_present_bytes >= 0)
		return m->pm_present_bytes + m->pm_swapped_bytes;
	return m->rss_bytes + m->swap_bytes;
}

/* Untouched bytes of M: what of a committed mapping was never touched
 * (0 for one that may not be touched). */
static int64_t map_untouched(const struct ovc_snap_map *m)
{
	if (!m->committed)
		return 0;
	int64_t size = (int64_t)(m->hi - m->lo), t = map_touched(m);
	return t < size ? size - t : 0;
}

static const struct ovc_snap *sort_snap;

static int cmp_untouched(const void *a, const void *b)
{
	const struct ovc_snap_map *x = &sort_snap->maps[*(const size_t *)a];
	const struct ovc_snap_map *y = &sort_snap->maps[*(const size_t *)b];
	int64_t ux = map_untouched(x), uy = map_untouched(y);
	if (ux != uy)
		return ux > uy ? -1 : 1;
	int64_t rx = (int64_t)(x->hi - x->lo), ry = (int64_t)(y->hi - y->lo);
	if (rx != ry)
		return rx > ry ? -1 : 1;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static const char *thread_comm(const struct ovc_snap *s, int64_t tid)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].tid == tid)
			return s->threads[i].comm;
	return "";
}

static void put_group_row(FILE *out, const char *name,
			  const struct ovc_snap_sum *g)
{
	char a[24], b[24], c[24], d[24], e[24];
	int64_t untouched = g->committed_bytes - g->touched_bytes;
	fprintf(out, "    %-14s %8" PRId64 " %*s %*s %*s %*s %*s\n", name,
		g->mappings, BYTES_W, ovc_bytes(g->reserved_bytes, a), BYTES_W,
		ovc_bytes(g->committed_bytes, b), BYTES_W,
		ovc_bytes(g->resident_bytes, c), BYTES_W,
		ovc_bytes(g->swapped_bytes, d), BYTES_W,
		ovc_bytes(untouched > 0 ? untouched : 0, e));
}

static void put_map_name(FILE *out, const struct ovc_snap *s,
			 const struct ovc_snap_map *m)
{
	switch (m->kind) {
	case OVC_SNAP_HEAP:
		fputs("[heap]", out);
		break;
	case OVC_SNAP_STACK:
		fprintf(out, "[stack] main thread %" PRId64, m->tid);
		break;
	case OVC_SNAP_THREAD_STACK:
		if (m->guessed) {
			fputs("thread stack (by its guard page: its thread "
			      "was running)",
			      out);
			break;
		}
		fprintf(out, "thread stack %" PRId64, m->tid);
		if (thread_comm(s, m->tid)[0]) {
			fputs(" (", out);
			put_safe(out, thread_comm(s, m->tid), 32);
			fputc(')', out);
		}
		break;
	default:
		if (m->name[0])
			put_safe(out, m->name, 60);
		else
			fputs(m->committed ? "anonymous"
					   : "anonymous, not accessible",
			      out);
	}
	if (m->noreserve)
		fputs(" (noreserve)", out);
}

static void put_maps(FILE *out, const struct ovc_snap *s,
		     const struct ovc_snap_render_opts *o)
{
	size_t n = 0;
	size_t *order = malloc((s->nmaps + 1) * sizeof *order);
	if (!order)
		return;
	for (size_t i = 0; i < s->nmaps; i++)
		if (s->maps[i].anonymous ||
		    s->maps[i].kind == OVC_SNAP_THREAD_STACK ||
		    (o && o->all_maps))
			order[n++] = i;
	sort_snap = s;
	qsort(order, n, sizeof *order, cmp_untouched);
	size_t top = o && o->top ? o->top : TOP_DEFAULT;
	size_t shown = n < top ? n : top;
	fprintf(out, "  mappings           %zu of %zu %s, most untouched first\n",
		shown, n, o && o->all_maps ? "mappings" : "anonymous");
	fprintf(out, "    %-25s %-4s %*s %*s %*s %*s %*s  %s\n", "address",
		"perm", BYTES_W, "reserved", BYTES_W, "committed", BYTES_W,
		"resident", BYTES_W, "swapped", BYTES_W, "untouched", "what");
	for (size_t k = 0; k < shown; k++) {
		const struct ovc_snap_map *m = &s->maps[order[k]];
		char a[24], b[24], c[24], d[24], e[24], addr[40];
		snprintf(addr, sizeof addr, "%" PRIx64 "-%" PRIx64, m->lo,
			 m->hi);
		fprintf(out, "    %-25s %-4s %*s %*s %*s %*s %*s  ", addr,
			m->perms, BYTES_W, ovc_bytes((int64_t)(m->hi - m->lo), a),
			BYTES_W,
			ovc_bytes(m->committed ? (int64_t)(m->hi - m->lo) : 0, b),
			BYTES_W, ovc_bytes(m->rss_bytes, c), BYTES_W,
			ovc_bytes(m->swap_bytes, d), BYTES_W,
			ovc_bytes(map_untouched(m), e));
		put_map_name(out, s, m);
		fputc('\n', out);
	}
	if (shown < n)
		fprintf(out, "    (%zu more: --top all, or --json)\n",
			n - shown);
	free(order);
}

bool ovc_snap_render_text(FILE *out, const struct ovc_snap *s,
			  const struct ovc_snap_totals *t,
			  const struct ovc_snap_render_opts *o)
{
	char a[24], b[24], note[160], when[64];
	fprintf(out, "snapshot of process %" PRId64 ": ", s->pid);
	if (s->argc) {
		for (size_t i = 0; i < s->argc && i < 16; i++) {
			if (i)
				fputc(' ', out);
			put_safe(out, s->argv[i], 80);
		}
		if (s->argc > 16)
			fputs(" ...", out);
	} else {
		put_safe(out, s->exe[0] ? s->exe : "?", 200);
	}
	fputc('\n', out);
	label(out, "exe");
	put_safe(out, s->exe[0] ? s->exe : "(unreadable)", 400);
	fputc('\n', out);
	label(out, "pid, ppid");
	fprintf(out, "%" PRId64 ", %" PRId64 "  (uid %" PRId64 ", %zu thread%s)\n",
		s->pid, s->ppid, s->uid, s->nthreads,
		s->nthreads == 1 ? "" : "s");
	time_t secs = (time_t)(s->t_unix_ns / 1000000000);
	struct tm tm;
	label(out, "taken");
	if (gmtime_r(&secs, &tm) && strftime(when, sizeof when,
					     "%Y-%m-%d %H:%M:%S UTC", &tm))
		fprintf(out, "%s\n", when);
	else
		fputs("?\n", out);

	snprintf(note, sizeof note, "anonymous address space, %" PRId64
		 " mapping%s", t->anon.mappings, t->anon.mappings == 1 ? "" : "s");
	ovc_render_bytes_line(out, "reserved", t->anon.reserved_bytes, note);
	char pc[24], pm[24];
	const struct ovc_host *hh = &s->host;
	if (hh->commit_limit_bytes > 0 && hh->mem_total_bytes > 0)
		snprintf(note, sizeof note,
			 "of it writable: the program may touch it; %s of "
			 "CommitLimit, %s of MemTotal",
			 ovc_render_percent((double)t->anon.committed_bytes /
						    (double)hh->commit_limit_bytes,
					    pc, sizeof pc),
			 ovc_render_percent((double)t->anon.committed_bytes /
						    (double)hh->mem_total_bytes,
					    pm, sizeof pm));
	else
		snprintf(note, sizeof note,
			 "of it writable: the program may touch it");
	ovc_render_bytes_line(out, "committed", t->anon.committed_bytes, note);
	snprintf(note, sizeof note, "%s of committed; resident %s + swapped "
		 "%s (%s)",
		 t->has_ratio ? ovc_render_percent(t->touched_ratio, pc,
						   sizeof pc)
			      : "nothing committed, none",
		 ovc_bytes(t->anon.resident_bytes, a),
		 ovc_bytes(t->anon.swapped_bytes, b),
		 s->pagemap_scanned ? "pages counted by PAGEMAP_SCAN"
				    : "from smaps");
	ovc_render_bytes_line(out, "touched", t->anon.touched_bytes, note);
	if (t->touched_committed_bytes != t->anon.touched_bytes)
		ovc_render_bytes_line(out, "of it committed", t->touched_committed_bytes,
			  "touched in writable mappings (the ratio's)");
	if (t->anon.zero_page_bytes > 0)
		ovc_render_bytes_line(out, "zero page", t->anon.zero_page_bytes,
			  "read but never written: costs no memory");
	ovc_render_bytes_line(out, "overcommit gap", t->gap_bytes,
		  "committed but never touched");
	ovc_render_bytes_line(out, "virtual", s->vm_bytes, "all of its address space (statm)");
	snprintf(note, sizeof note, "in RAM (statm); anonymous %s",
		 ovc_bytes(s->rss_bytes - s->shared_bytes, a));
	ovc_render_bytes_line(out, "resident", s->rss_bytes, note);
	if (!s->pagemap_scanned) {
		label(out, "pagemap");
		put_safe(out, s->pagemap_why, 96);
		fputs("; touched bytes are smaps' Rss + Swap\n", out);
	}
	const struct ovc_host *h = &s->host;
	if (t->over_commit_limit)
		fprintf(out,
			"  ! committed %s is more than CommitLimit %s: it "
			"would have failed under strict overcommit "
			"(vm.overcommit_memory=2)\n",
			ovc_bytes(t->anon.committed_bytes, a),
			ovc_bytes(h->commit_limit_bytes, b));
	if (t->over_mem_total)
		fprintf(out,
			"  ! committed %s is more than MemTotal %s: touching "
			"it all would invoke the OOM killer\n",
			ovc_bytes(t->anon.committed_bytes, a),
			ovc_bytes(h->mem_total_bytes, b));
	if (t->has_ratio && t->touched_ratio < 0.5 &&
	    t->gap_bytes >= ((int64_t)64 << 20))
		fprintf(out,
			"  > %s of committed memory was never touched: the "
			"process relies on overcommit\n",
			ovc_bytes(t->gap_bytes, a));
	fputs("  groups           mappings   reserved  committed   resident "
	      "   swapped  untouched\n",
	      out);
	put_group_row(out, "heap", &t->heap);
	put_group_row(out, "stack", &t->stack);
	put_group_row(out, "thread stacks", &t->thread_stacks);
	put_group_row(out, "other anon", &t->other_anon);
	if (s->nthreads > 1 && t->threads_located < s->nthreads) {
		label(out, "threads");
		fprintf(out,
			"%zu of %zu stacks found by their stack pointers (a "
			"thread on a CPU shows none in /proc)",
			t->threads_located, s->nthreads);
		if (t->stacks_guessed)
			fprintf(out, ", %zu more by guard page",
				t->stacks_guessed);
		fputc('\n', out);
	}
	put_maps(out, s, o);
	fputs("machine\n", out);
	ovc_render_text_machine(out, h, "committed by all processes now");
	return !ferror(out);
}

static json_t *int_or_null(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *sum_json(const struct ovc_snap_sum *g)
{
	int64_t untouched = g->committed_bytes - g->touched_bytes;
	json_t *o = json_object();
	if (!o)
		return NULL;
	const struct {
		const char *key;
		json_t *v;
	} members[] = {
		{"mappings", json_integer(g->mappings)},
		{"reserved_bytes", json_integer(g->reserved_bytes)},
		{"committed_bytes", json_integer(g->committed_bytes)},
		{"resident_bytes", json_integer(g->resident_bytes)},
		{"swapped_bytes", json_integer(g->swapped_bytes)},
		{"touched_bytes", json_integer(g->touched_bytes)},
		{"zero_page_bytes", int_or_null(g->zero_page_bytes)},
		{"untouched_bytes", json_integer(untouched > 0 ? untouched : 0)},
	};
	for (size_t i = 0; i < sizeof members / sizeof *members; i++)
		json_object_set_new(o, members[i].key, members[i].v);
	return o;
}

static json_t *map_json(const struct ovc_snap *s, const struct ovc_snap_map *m)
{
	int64_t size = (int64_t)(m->hi - m->lo);
	json_t *o = json_pack(
		"{s:I,s:I,s:s,s:s,s:s,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o}",
		"start", (json_int_t)m->lo, "end", (json_int_t)m->hi, "perms",
		m->perms, "name", m->name, "kind", ovc_snap_kind_name(m->kind),
		"committed", m->committed, "noreserve", m->noreserve,
		"reserved_bytes", (json_int_t)size, "committed_bytes",
		(json_int_t)(m->committed ? size : 0), "resident_bytes",
		(json_int_t)m->rss_bytes, "anonymous_bytes",
		(json_int_t)m->anon_bytes, "swapped_bytes",
		(json_int_t)m->swap_bytes, "untouched_bytes",
		(json_int_t)map_untouched(m), "zero_page_bytes",
		int_or_null(m->pm_zero_bytes), "tid",
		m->tid >= 0 ? json_integer(m->tid) : json_null());
	if (o) {
		json_object_set_new(o, "touched_bytes",
				    json_integer(map_touched(m)));
		if (m->kind == OVC_SNAP_THREAD_STACK)
			json_object_set_new(o, "guessed",
					    json_boolean(m->guessed));
	}
	(void)s;
	return o;
}

json_t *ovc_snap_render_json(const struct ovc_snap *s,
			     const struct ovc_snap_totals *t,
			     const struct ovc_snap_render_opts *o)
{
	json_t *p = json_object();
	if (!p)
		return NULL;
	json_object_set_new(p, "pid", json_integer(s->pid));
	json_object_set_new(p, "ppid", int_or_null(s->ppid));
	json_object_set_new(p, "uid", int_or_null(s->uid));
	json_object_set_new(p, "exe", json_string(s->exe ? s->exe : ""));
	json_t *argv = json_array();
	for (size_t i = 0; i < s->argc; i++)
		json_array_append_new(argv, json_string(s->argv[i]));
	json_object_set_new(p, "argv", argv);
	char st[2] = {s->state, '\0'};
	json_object_set_new(p, "state", json_string(st));
	json_object_set_new(p, "taken_unix_ns", json_integer(s->t_unix_ns));
	json_object_set_new(
		p, "statm",
		json_pack("{s:o,s:o,s:o}", "vm_bytes", int_or_null(s->vm_bytes),
			  "rss_bytes", int_or_null(s->rss_bytes),
			  "shared_bytes", int_or_null(s->shared_bytes)));
	json_object_set_new(p, "pagemap_scanned",
			    json_boolean(s->pagemap_scanned));
	json_object_set_new(p, "pagemap_why",
			    s->pagemap_scanned ? json_null()
					       : json_string(s->pagemap_why));
	json_object_set_new(p, "touched_source",
			    json_string(t->touched_source));
	json_object_set_new(p, "anonymous", sum_json(&t->anon));
	json_object_set_new(p, "touched_committed_bytes",
			    json_integer(t->touched_committed_bytes));
	json_object_set_new(p, "overcommit_gap_bytes",
			    json_integer(t->gap_bytes));
	json_object_set_new(p, "touched_ratio",
			    t->has_ratio ? json_real(t->touched_ratio)
					 : json_null());
	json_t *v = json_array();
	if (t->over_commit_limit)
		json_array_append_new(v, json_string("exceeds_commit_limit"));
	if (t->over_mem_total)
		json_array_append_new(v, json_string("exceeds_mem_total"));
	json_object_set_new(p, "verdicts", v);
	const struct ovc_host *h = &s->host;
	json_object_set_new(p, "committed_of_commit_limit",
			    h->commit_limit_bytes > 0
				    ? json_real((double)t->anon.committed_bytes /
						(double)h->commit_limit_bytes)
				    : json_null());
	json_object_set_new(p, "committed_of_mem_total",
			    h->mem_total_bytes > 0
				    ? json_real((double)t->anon.committed_bytes /
						(double)h->mem_total_bytes)
				    : json_null());
	json_object_set_new(
		p, "groups",
		json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "heap", sum_json(&t->heap),
			  "stack", sum_json(&t->stack), "thread_stacks",
			  sum_json(&t->thread_stacks), "other_anon",
			  sum_json(&t->other_anon), "file", sum_json(&t->file),
			  "shared", sum_json(&t->shared)));
	json_t *threads = json_array();
	for (size_t i = 0; i < s->nthreads; i++) {
		const struct ovc_snap_thread *th = &s->threads[i];
		json_array_append_new(
			threads,
			json_pack("{s:I,s:s,s:o,s:o}", "tid", (json_int_t)th->tid,
				  "comm", th->comm, "stack_pointer",
				  th->sp ? json_integer((json_int_t)th->sp)
					 : json_null(),
				  "stack_start",
				  th->map >= 0 ? json_integer((json_int_t)s->maps[th->map].lo)
					       : json_null()));
	}
	json_object_set_new(p, "threads", threads);
	json_t *maps = json_array();
	for (size_t i = 0; i < s->nmaps; i++) {
		const struct ovc_snap_map *m = &s->maps[i];
		if (m->anonymous || m->kind == OVC_SNAP_THREAD_STACK ||
		    (o && o->all_maps))
			json_array_append_new(maps, map_json(s, m));
	}
	json_object_set_new(p, "mappings", maps);
	return p;
}

/* ---- the log of `ovc snapshot --watch` (log-format.md) ---- */

json_t *ovc_snap_log_header(const struct ovc_snap *s, const char *run,
			    int64_t interval_ms)
{
	const struct ovc_host *h = &s->host;
	json_t *argv = json_array();
	for (size_t i = 0; i < s->argc; i++)
		json_array_append_new(argv, json_string(s->argv[i]));
	json_t *funcs = json_array();
	for (int f = 0; f < OVC_FN_COUNT; f++)
		json_array_append_new(funcs, json_string(ovc_func_names[f]));
	return json_pack(
		"{s:s,s:s,s:i,s:I,s:I,s:s,s:o,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,"
		"s:I,s:I,s:I,s:I,s:I,s:o,s:s}",
		"t", OVC_REC_PROC, "format", OVC_LOG_FORMAT, "version",
		OVC_LOG_VERSION, "pid", (json_int_t)s->pid, "ppid",
		(json_int_t)(s->ppid > 0 ? s->ppid : 0), "exe",
		s->exe ? s->exe : "", "argv", argv, "run", run, "origin",
		"snapshot", "proc_start_ticks", (json_int_t)s->start_ticks,
		"start_unix_ns", (json_int_t)s->t_unix_ns, "start_mono_ns",
		(json_int_t)s->t_mono_ns, "page_size",
		(json_int_t)h->page_size, "mem_total",
		(json_int_t)h->mem_total_bytes, "mem_available",
		(json_int_t)h->mem_available_bytes, "commit_limit",
		(json_int_t)h->commit_limit_bytes, "committed_as",
		(json_int_t)h->committed_as_bytes, "overcommit_memory",
		(json_int_t)h->overcommit_memory, "overcommit_ratio",
		(json_int_t)h->overcommit_ratio, "interval_ms",
		(json_int_t)interval_ms, "funcs", funcs, "mmap_mode", "none");
}

json_t *ovc_snap_log_sample(const struct ovc_snap *s,
			    const struct ovc_snap_totals *t, int64_t ns,
			    int64_t peak_live)
{
	int64_t live = t->anon.committed_bytes;
	return json_pack(
		"{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"t", OVC_REC_SAMPLE, "ns", (json_int_t)ns, "vm",
		(json_int_t)(s->vm_bytes > 0 ? s->vm_bytes : 0), "rss",
		(json_int_t)(s->rss_bytes > 0 ? s->rss_bytes : 0), "shared",
		(json_int_t)(s->shared_bytes > 0 ? s->shared_bytes : 0),
		"live", (json_int_t)live, "peak_live",
		(json_int_t)(peak_live > live ? peak_live : live), "reserved",
		(json_int_t)t->anon.reserved_bytes, "committed",
		(json_int_t)t->anon.committed_bytes, "touched",
		(json_int_t)t->anon.touched_bytes, "resident_anon",
		(json_int_t)t->anon.resident_bytes, "swapped",
		(json_int_t)t->anon.swapped_bytes, "gap",
		(json_int_t)t->gap_bytes, "threads",
		(json_int_t)s->nthreads);
}
