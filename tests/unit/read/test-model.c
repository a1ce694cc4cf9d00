/* Unit tests of the model (cli/read/model.c): how images are linked by exec, fork
 * and run files, how their end is resolved, and the derived figures. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "read/model.h"
#include "analyze/suite.h"

#define MIB ((int64_t)1 << 20)

static struct ovc_model *m;

static void setup(void)
{
	m = ovc_model_create();
	ck_assert_ptr_nonnull(m);
}

static void teardown(void)
{
	ovc_model_destroy(m);
}

static void set(char **field, const char *v)
{
	free(*field);
	*field = strdup(v);
}

/* Adds the image logged in NAME (ovc.<pid>.<k>.jsonl) of process PID. */
static struct ovc_proc *image(const char *name, int64_t pid, int64_t ppid,
			      const char *origin, const char *parent_log,
			      int64_t start)
{
	struct ovc_proc *p = ovc_proc_create(name);
	ck_assert_ptr_nonnull(p);
	p->pid = pid;
	p->ppid = ppid;
	p->proc_start_ticks = 1000 + pid;
	p->start_unix_ns = start;
	set(&p->run, "r1");
	set(&p->origin, origin);
	if (parent_log)
		set(&p->parent_log, parent_log);
	ck_assert(ovc_model_add_proc(m, p));
	return p;
}

static struct ovc_run *run_file(int64_t pid, int64_t ovc_pid,
				enum ovc_end_kind kind, int64_t code_or_sig)
{
	struct ovc_run *r = ovc_run_create("ovc-run.1.0.jsonl");
	ck_assert_ptr_nonnull(r);
	set(&r->run, "r1");
	r->pid = pid;
	r->ovc_pid = ovc_pid;
	r->has_end = true;
	r->end_kind = kind;
	if (kind == OVC_END_SIGNAL)
		r->end_signal = code_or_sig;
	else
		r->end_code = code_or_sig;
	ck_assert(ovc_model_add_run(m, r));
	return r;
}

START_TEST(test_model_end_from_record)
{
	struct ovc_proc *p = image("ovc.10.0.jsonl", 10, 1, "start", NULL, 1);
	p->has_end = true;
	p->end_code = 3;
	run_file(10, 1, OVC_END_SIGNAL, 9); /* the log's own end wins */
	ovc_model_link(m);
	ck_assert_int_eq(p->end_kind, OVC_END_EXIT);
	ck_assert_int_eq(p->end_code, 3);
	ck_assert_int_eq(p->end_source, OVC_SRC_LOG);
}
END_TEST

START_TEST(test_model_abrupt)
{
	struct ovc_proc *p = image("ovc.10.0.jsonl", 10, 1, "start", NULL, 1);
	ovc_model_link(m);
	ck_assert_int_eq(p->end_kind, OVC_END_ABRUPT);
	ck_assert_str_eq(ovc_end_kind_name(p->end_kind), "abrupt");
}
END_TEST

START_TEST(test_model_exec_successor)
{
	struct ovc_proc *a = image("ovc.10.0.jsonl", 10, 1, "start", NULL, 1);
	struct ovc_proc *b =
		image("ovc.10.1.jsonl", 10, 1, "exec", "ovc.10.0.jsonl", 2);
	b->has_end = true;
	b->end_code = 0;
	ovc_model_link(m);
	ck_assert_ptr_eq(a->successor, b);
	ck_assert_ptr_eq(b->predecessor, a);
	ck_assert_int_eq(a->end_kind, OVC_END_EXEC);
	ck_assert_int_eq(a->end_source, OVC_SRC_SUCCESSOR);
	ck_assert_int_eq(b->end_kind, OVC_END_EXIT);
}
END_TEST

START_TEST(test_model_exec_needs_same_process)
{
	/* Same pid but another start time: a recycled pid, not an exec. */
	struct ovc_proc *a = image("ovc.10.0.jsonl", 10, 1, "start", NULL, 1);
	struct ovc_proc *b =
		image("ovc.10.1.jsonl", 10, 1, "exec", "ovc.10.0.jsonl", 2);
	b->proc_start_ticks = 99999;
	ovc_model_link(m);
	ck_assert_ptr_null(a->successor);
	ck_assert_int_eq(a->end_kind, OVC_END_ABRUPT);
}
END_TEST

START_TEST(test_model_exec_fallback_by_k)
{
	struct ovc_proc *a = image("ovc.10.0.jsonl", 10, 1, "start", NULL, 1);
	struct ovc_proc *b = image("ovc.10.1.jsonl", 10, 1, "exec", NULL, 2);
	struct ovc_proc *c = image("ovc.10.2.jsonl", 10, 1, "exec", NULL, 3);
	ovc_model_link(m);
	ck_assert_ptr_eq(a->successor, b);
	ck_assert_ptr_eq(b->successor, c);
	ck_assert_ptr_null(c->successor);
}
END_TEST

START_TEST(test_model_exec_untraced)
{
	struct ovc_proc *a = image("ovc.10.0.jsonl", 10, 1, "start", NULL, 1);
	a->exec_last = true;
	a->exec_path = strdup("/bin/static-thing");
	run_file(10, 1, OVC_END_EXIT, 0);
	ovc_model_link(m);
	ck_assert_int_eq(a->end_kind, OVC_END_EXEC);
	ck_assert_ptr_null(a->successor);
}
END_TEST

START_TEST(test_model_fork_parent_in_pid_namespace)
{
	/* `unshare --fork --pid`: the child is pid 1 of its namespace, its
	 * ppid 0; its parent_log names its parent: one tree, one root. */
	struct ovc_proc *parent =
		image("ovc.500.0.jsonl", 500, 499, "start", NULL, 1);
	struct ovc_proc *child =
		image("ovc.1.0.jsonl", 1, 0, "fork", "ovc.500.0.jsonl", 2);
	struct ovc_proc *grandchild =
		image("ovc.3.0.jsonl", 3, 1, "fork", "ovc.1.0.jsonl", 3);
	/* A log of another run with the parent's name is not the parent. */
	struct ovc_proc *other =
		image("ovc.500.0.jsonl", 500, 1, "start", NULL, 0);
	set(&other->run, "r2");
	ovc_model_link(m);
	ck_assert_ptr_eq(child->parent, parent);
	ck_assert_ptr_eq(grandchild->parent, child);
	struct ovc_tree *t = ovc_tree_build(m);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->nroots, 2); /* parent, and run r2's process */
	size_t pn = SIZE_MAX;
	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i] == parent)
			pn = t->node_of[i];
	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i] == child)
			ck_assert_uint_eq(t->nodes[t->node_of[i]].parent, pn);
	ovc_tree_free(t);
}
END_TEST

START_TEST(test_model_named_parent_started_before)
{
	/* A log of that name that started after the child cannot be its
	 * parent (and ppid 0 matches no process). */
	image("ovc.500.0.jsonl", 500, 499, "start", NULL, 5);
	struct ovc_proc *child =
		image("ovc.1.0.jsonl", 1, 0, "fork", "ovc.500.0.jsonl", 2);
	ovc_model_link(m);
	ck_assert_ptr_null(child->parent);
	struct ovc_tree *t = ovc_tree_build(m);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->nroots, 2);
	ovc_tree_free(t);
}
END_TEST

START_TEST(test_model_run_signal_to_last_image)
{
	struct ovc_proc *a = image("ovc.10.0.jsonl", 10, 5, "start", NULL, 1);
	struct ovc_proc *b =
		image("ovc.10.1.jsonl", 10, 5, "exec", "ovc.10.0.jsonl", 2);
	struct ovc_proc *child = image("ovc.11.0.jsonl", 11, 10, "fork",
				       "ovc.10.1.jsonl", 3);
	run_file(10, 5, OVC_END_SIGNAL, 9);
	ovc_model_link(m);
	ck_assert_int_eq(a->end_kind, OVC_END_EXEC);
	ck_assert_int_eq(b->end_kind, OVC_END_SIGNAL);
	ck_assert_int_eq(b->end_signal, 9);
	ck_assert_int_eq(b->end_source, OVC_SRC_RUN);
	ck_assert_int_eq(child->end_kind, OVC_END_ABRUPT);
	ck_assert_ptr_eq(child->parent, b);
}
END_TEST

START_TEST(test_model_run_exit_without_end)
{
	struct ovc_proc *a = image("ovc.10.0.jsonl", 10, 5, "start", NULL, 1);
	run_file(10, 5, OVC_END_EXIT, 42);
	ovc_model_link(m);
	ck_assert_int_eq(a->end_kind, OVC_END_EXIT);
	ck_assert_int_eq(a->end_code, 42);
	ck_assert_int_eq(a->end_source, OVC_SRC_RUN);
}
END_TEST

START_TEST(test_model_run_needs_ovc_parent)
{
	/* pid matches but the first image's parent is not ovc run. */
	struct ovc_proc *a = image("ovc.10.0.jsonl", 10, 6, "start", NULL, 1);
	run_file(10, 5, OVC_END_SIGNAL, 9);
	ovc_model_link(m);
	ck_assert_int_eq(a->end_kind, OVC_END_ABRUPT);
}
END_TEST

START_TEST(test_model_run_other_run_id)
{
	struct ovc_proc *a = image("ovc.10.0.jsonl", 10, 5, "start", NULL, 1);
	struct ovc_run *r = run_file(10, 5, OVC_END_SIGNAL, 9);
	set(&r->run, "r2");
	ovc_model_link(m);
	ck_assert_int_eq(a->end_kind, OVC_END_ABRUPT);
}
END_TEST

START_TEST(test_model_sort_order)
{
	struct ovc_proc *c = image("ovc.30.0.jsonl", 30, 1, "start", NULL, 5);
	struct ovc_proc *b = image("ovc.20.1.jsonl", 20, 1, "start", NULL, 5);
	struct ovc_proc *a = image("ovc.20.0.jsonl", 20, 1, "start", NULL, 5);
	struct ovc_proc *first = image("ovc.90.0.jsonl", 90, 1, "start", NULL, 1);
	ovc_model_link(m);
	ck_assert_ptr_eq(m->procs[0], first);
	ck_assert_ptr_eq(m->procs[1], a);
	ck_assert_ptr_eq(m->procs[2], b);
	ck_assert_ptr_eq(m->procs[3], c);
}
END_TEST

START_TEST(test_model_host_from_first)
{
	struct ovc_proc *late = image("ovc.2.0.jsonl", 2, 1, "start", NULL, 9);
	struct ovc_proc *early = image("ovc.3.0.jsonl", 3, 1, "start", NULL, 1);
	late->host.known = true;
	late->host.mem_total_bytes = 111;
	early->host.known = true;
	early->host.mem_total_bytes = 222;
	ovc_model_link(m);
	ck_assert_int_eq(m->host.mem_total_bytes, 222);
}
END_TEST

START_TEST(test_model_touched_ratio_and_gap)
{
	struct ovc_proc *p = image("ovc.1.0.jsonl", 1, 0, "start", NULL, 1);
	p->baseline_rss_bytes = 3 * MIB;
	p->baseline_shared_bytes = 2 * MIB; /* baseline anon: 1 MiB */
	p->peak_anon_rss_bytes = 26 * MIB;  /* touched: 25 MiB */
	p->peak_live_bytes = 100 * MIB;
	double r = -1;
	ck_assert_int_eq(ovc_proc_baseline_anon_bytes(p), 1 * MIB);
	ck_assert_int_eq(ovc_proc_touched_bytes(p), 25 * MIB);
	ck_assert(ovc_proc_touched_ratio(p, &r));
	ck_assert_double_eq_tol(r, 0.25, 1e-12);
	ck_assert_int_eq(ovc_proc_gap_bytes(p), 75 * MIB);
}
END_TEST

START_TEST(test_model_touched_ratio_unclamped)
{
	struct ovc_proc *p = image("ovc.1.0.jsonl", 1, 0, "start", NULL, 1);
	double r = -1;
	/* more resident than live: ratio 5, no gap, 40 MiB touched outside
	 * what ovc saw */
	p->peak_anon_rss_bytes = 50 * MIB;
	p->peak_live_bytes = 10 * MIB;
	ck_assert(ovc_proc_touched_ratio(p, &r));
	ck_assert_double_eq(r, 5.0);
	ck_assert_int_eq(ovc_proc_gap_bytes(p), 0);
	ck_assert_int_eq(ovc_proc_outside_bytes(p), 40 * MIB);
	/* with the joint peak of live + committed: asked 60 MiB */
	p->peak_asked_bytes = 60 * MIB;
	ck_assert(ovc_proc_asked_joint(p));
	ck_assert_int_eq(ovc_proc_asked_bytes(p), 60 * MIB);
	ck_assert(ovc_proc_touched_ratio(p, &r));
	ck_assert_double_eq_tol(r, 50.0 / 60.0, 1e-12);
	ck_assert_int_eq(ovc_proc_gap_bytes(p), 10 * MIB);
	ck_assert_int_eq(ovc_proc_outside_bytes(p), 0);
	p->peak_asked_bytes = -1;
	/* resident below the baseline: ratio 0, gap = all of live */
	p->baseline_rss_bytes = 80 * MIB;
	p->baseline_shared_bytes = 0;
	ck_assert(ovc_proc_touched_ratio(p, &r));
	ck_assert_double_eq(r, 0.0);
	ck_assert_int_eq(ovc_proc_touched_bytes(p), 0);
	ck_assert_int_eq(ovc_proc_gap_bytes(p), 10 * MIB);
	/* shared above rss in the baseline: baseline anon is 0 */
	p->baseline_shared_bytes = 90 * MIB;
	ck_assert_int_eq(ovc_proc_baseline_anon_bytes(p), 0);
}
END_TEST

START_TEST(test_model_touched_ratio_nothing_live)
{
	struct ovc_proc *p = image("ovc.1.0.jsonl", 1, 0, "start", NULL, 1);
	double r = 0.5;
	p->peak_anon_rss_bytes = 5 * MIB;
	ck_assert(!ovc_proc_touched_ratio(p, &r));
	ck_assert_double_eq(r, 0.5);
	ck_assert_int_eq(ovc_proc_gap_bytes(p), 0);
}
END_TEST

START_TEST(test_model_verdicts)
{
	struct ovc_proc *p = image("ovc.1.0.jsonl", 1, 0, "start", NULL, 1);
	struct ovc_host h = {.known = true,
			     .mem_total_bytes = 16 * MIB,
			     .commit_limit_bytes = 8 * MIB};
	const char *v[2];
	p->peak_live_bytes = 4 * MIB;
	ck_assert_uint_eq(ovc_proc_verdicts(p, &h, v), 0);
	p->peak_live_bytes = 12 * MIB;
	ck_assert_uint_eq(ovc_proc_verdicts(p, &h, v), 1);
	ck_assert_str_eq(v[0], "exceeds_commit_limit");
	p->peak_live_bytes = 17 * MIB;
	ck_assert_uint_eq(ovc_proc_verdicts(p, &h, v), 2);
	ck_assert_str_eq(v[1], "exceeds_mem_total");
	h.commit_limit_bytes = -1; /* unknown: no verdict */
	ck_assert_uint_eq(ovc_proc_verdicts(p, &h, v), 1);
	ck_assert_str_eq(v[0], "exceeds_mem_total");
}
END_TEST

START_TEST(test_model_totals_saturate)
{
	struct ovc_proc *p = image("ovc.1.0.jsonl", 1, 0, "start", NULL, 1);
	p->requested[0] = INT64_MAX;
	p->requested[1] = INT64_MAX;
	p->failed[2] = 3;
	p->failed[5] = 4;
	ck_assert_int_eq(ovc_proc_total_requested(p), INT64_MAX);
	ck_assert_int_eq(ovc_proc_total_failed(p), 7);
}
END_TEST

/* A fork child's counters go on from its parent's live bytes: its own
 * figures leave them out, and never exceed what it asked for since. */
START_TEST(test_model_fork_child_own_figures)
{
	struct ovc_proc *a = image("ovc.10.0.jsonl", 10, 1, "start", NULL, 1);
	/* An older log: what it inherited is not said. It asked for 416 B;
	 * its counters say 4.6 MiB live. */
	struct ovc_proc *b = image("ovc.11.0.jsonl", 11, 10, "fork",
				   "ovc.10.0.jsonl", 2);
	/* A newer one: 4 MiB inherited, 2 MiB asked for, peak 5 MiB. */
	struct ovc_proc *c = image("ovc.12.0.jsonl", 12, 10, "fork",
				   "ovc.10.0.jsonl", 3);
	a->peak_live_bytes = 4 * MIB + MIB / 2;
	a->requested[0] = a->peak_live_bytes;
	b->peak_live_bytes = b->last_live_bytes = 4 * MIB + MIB / 2;
	b->requested[0] = 416;
	c->inherited_live_bytes = 4 * MIB;
	c->inherited_committed_bytes = 0;
	c->peak_live_bytes = 5 * MIB;
	c->peak_asked_bytes = 5 * MIB;
	c->last_live_bytes = 4 * MIB + 100;
	c->requested[0] = 2 * MIB;
	ovc_model_link(m);
	ck_assert(ovc_proc_forked(b) && !ovc_proc_forked(a));
	ck_assert_int_eq(b->peak_live_bytes, 416);
	ck_assert_int_eq(b->last_live_bytes, 416);
	ck_assert_int_eq(ovc_proc_gap_bytes(b), 416);
	ck_assert_int_eq(b->logged_peak_live_bytes, 4 * MIB + MIB / 2);
	ck_assert_int_eq(c->peak_live_bytes, MIB);
	ck_assert_int_eq(c->peak_asked_bytes, MIB);
	ck_assert_int_eq(c->last_live_bytes, 100);
	/* Linking again changes nothing. */
	ovc_model_link(m);
	ck_assert_int_eq(c->peak_live_bytes, MIB);
	struct ovc_totals t;
	ovc_totals_compute(m, NULL, &t);
	ck_assert_int_eq(t.peak_live_sum_bytes, a->peak_live_bytes + 416 + MIB);
}
END_TEST

/* A fork child's resident pages shared with its parent are the parent's:
 * its own are its growth since the fork and what it wrote since. */
START_TEST(test_model_fork_child_own_rss)
{
	struct ovc_proc *c = image("ovc.12.0.jsonl", 12, 10, "fork", NULL, 3);
	c->baseline_rss_bytes = 66 * MIB;
	c->peak_rss_bytes = 67 * MIB;
	c->written_since_fork_bytes = 32 * MIB;
	ck_assert_int_eq(ovc_proc_own_rss_bytes(c), 33 * MIB);
	c->written_since_fork_bytes = 80 * MIB; /* never above its rss */
	ck_assert_int_eq(ovc_proc_own_rss_bytes(c), 67 * MIB);
	struct ovc_proc *a = image("ovc.10.0.jsonl", 10, 1, "start", NULL, 1);
	a->peak_rss_bytes = 9 * MIB;
	ck_assert_int_eq(ovc_proc_own_rss_bytes(a), 9 * MIB);
}
END_TEST

/* Without samples, each process holds its peaks from its start to its
 * last record: one after another they never add up, at once they do. */
START_TEST(test_model_totals_at_once)
{
	struct ovc_proc *a = image("ovc.10.0.jsonl", 10, 1, "start", NULL, 1);
	struct ovc_proc *b = image("ovc.11.0.jsonl", 11, 1, "start", NULL, 2);
	struct ovc_proc *c = image("ovc.12.0.jsonl", 12, 1, "start", NULL, 3);
	a->start_mono_ns = 1000, a->last_ns = 100;
	b->start_mono_ns = 1100, b->last_ns = 100; /* starts as A ends */
	c->start_mono_ns = 1150, c->last_ns = 10;  /* while B runs */
	a->peak_live_bytes = 64 * MIB, a->peak_rss_bytes = 66 * MIB;
	b->peak_live_bytes = 32 * MIB, b->peak_rss_bytes = 34 * MIB;
	c->peak_live_bytes = 16 * MIB, c->peak_rss_bytes = 18 * MIB;
	ovc_model_link(m);
	struct ovc_totals t;
	ovc_totals_compute(m, NULL, &t);
	ck_assert_int_eq(t.peak_live_sum_bytes, 112 * MIB);
	ck_assert_int_eq(t.peak_live_at_once_bytes, 64 * MIB);
	ck_assert_int_eq(t.at_once_live_ns, 0);
	ck_assert_int_eq(t.peak_rss_at_once_bytes, 66 * MIB);
	/* C longer: B and C together pass A. */
	c->last_ns = 50, c->peak_live_bytes = 40 * MIB;
	ovc_totals_compute(m, NULL, &t);
	ck_assert_int_eq(t.peak_live_at_once_bytes, 72 * MIB);
	ck_assert_int_eq(t.at_once_live_ns, 150);
	/* Selected: A alone. */
	bool sel[3] = {true, false, false};
	ovc_totals_compute(m, sel, &t);
	ck_assert_int_eq(t.peak_live_at_once_bytes, 64 * MIB);
}
END_TEST

/* An exec whose new image has no log, and no record says why, is an
 * untraced program too, counted once with a record that does say. */
START_TEST(test_model_untraced_count)
{
	struct ovc_proc *a = image("ovc.10.0.jsonl", 10, 1, "start", NULL, 1);
	a->exec_last = true;
	a->exec_path = strdup("/usr/bin/python3");
	run_file(10, 1, OVC_END_EXIT, 0);
	ovc_model_link(m);
	ck_assert(ovc_proc_exec_unlogged(a));
	ck_assert_uint_eq(ovc_proc_untraced_count(a), 1);
	struct ovc_totals t;
	ovc_totals_compute(m, NULL, &t);
	ck_assert_uint_eq(t.untraced, 1);
	/* A record for it: the same one program, with its reason. */
	a->untraced = calloc(1, sizeof *a->untraced);
	a->untraced[0].path = strdup("/usr/bin/python3");
	a->untraced[0].why = strdup("setuid");
	a->nuntraced = a->untraced_cap = 1;
	ck_assert(!ovc_proc_exec_unlogged(a));
	ck_assert_uint_eq(ovc_proc_untraced_count(a), 1);
	ck_assert_str_eq(ovc_untraced_reason("no_log"),
			 "no log here: left out by OVC_ONLY or OVC_FOLLOW, or "
			 "its log is elsewhere");
}
END_TEST

static Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("model");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_model_end_from_record);
	tcase_add_test(tc, test_model_abrupt);
	tcase_add_test(tc, test_model_exec_successor);
	tcase_add_test(tc, test_model_fork_parent_in_pid_namespace);
	tcase_add_test(tc, test_model_named_parent_started_before);
	tcase_add_test(tc, test_model_exec_needs_same_process);
	tcase_add_test(tc, test_model_exec_fallback_by_k);
	tcase_add_test(tc, test_model_exec_untraced);
	tcase_add_test(tc, test_model_run_signal_to_last_image);
	tcase_add_test(tc, test_model_run_exit_without_end);
	tcase_add_test(tc, test_model_run_needs_ovc_parent);
	tcase_add_test(tc, test_model_run_other_run_id);
	tcase_add_test(tc, test_model_sort_order);
	tcase_add_test(tc, test_model_host_from_first);
	tcase_add_test(tc, test_model_touched_ratio_and_gap);
	tcase_add_test(tc, test_model_touched_ratio_unclamped);
	tcase_add_test(tc, test_model_touched_ratio_nothing_live);
	tcase_add_test(tc, test_model_verdicts);
	tcase_add_test(tc, test_model_totals_saturate);
	tcase_add_test(tc, test_model_fork_child_own_figures);
	tcase_add_test(tc, test_model_fork_child_own_rss);
	tcase_add_test(tc, test_model_totals_at_once);
	tcase_add_test(tc, test_model_untraced_count);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(model_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
