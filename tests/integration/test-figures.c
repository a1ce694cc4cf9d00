/* A suite's figures that must not count one thing twice or call noise a
 * change: a fork child's own figures apart from what it inherited, a
 * suite's peaks at one moment (and the --total gates on them), `ovc diff`
 * of two runs of one command, and one count of untraced programs in the
 * tree, the totals and the list. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* `ovc run -o DIR -- sh -c CMD`, which must exit 0. */
static void run_sh(const char *dir, const char *cmd)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	struct it_result r;
	it_ovc_run(dir, argv, 120, &r);
	ck_assert_msg(r.code == 0, "%s: exit %d\n%s", cmd, r.code, r.err);
	it_result_free(&r);
}

/* The process of REPORT whose origin is ORIGIN and exe EXE_NAME (one). */
static json_t *by_origin(json_t *report, const char *exe_name,
			 const char *origin)
{
	json_t *all = it_processes(report, exe_name), *p, *found = NULL;
	size_t i;
	json_array_foreach(all, i, p)
		if (strcmp(it_str(p, "origin"), origin) == 0) {
			ck_assert_msg(!found, "two %s %s", origin, exe_name);
			found = p;
		}
	ck_assert_msg(found, "no %s %s in\n%s", origin, exe_name, it_dump(all));
	json_decref(all); /* FOUND is still held by REPORT */
	return found;
}

/* kernel cow: the parent mallocs and writes 64 MiB, its fork child writes
 * 32 MiB of it (copy-on-write) and asks for nothing. The child's own
 * figures: nothing live or asked for, about 32 MiB touched, no gap; the
 * 64 MiB it inherited apart; the totals count the 64 MiB once. */
START_TEST(test_figures_fork_child_own)
{
	char *dir = it_tempdir("fork-own");
	char *argv[] = { (char *)it_program("kernel"), "cow", NULL };
	struct it_result r;
	it_ovc_run(dir, argv, 120, &r);
	ck_assert_msg(r.code == 0, "exit %d\n%s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "inherited            64.0 MiB") &&
			      strstr(r.err, "at the fork: the parent's state"),
		      "%s", r.err);
	it_result_free(&r);
	json_t *rep = it_report(dir, NULL);
	json_t *parent = by_origin(rep, "kernel", "start");
	json_t *child = by_origin(rep, "kernel", "fork");
	ck_assert_int_eq(it_int(child, "peak_live_bytes"), 0);
	ck_assert_int_eq(it_int(child, "peak_asked_bytes"), 0);
	ck_assert_int_eq(it_int(child, "overcommit_gap_bytes"), 0);
	long long inh = it_int(child, "inherited.live_bytes");
	ck_assert_msg(inh >= 64 * IT_MIB && inh < 64 * IT_MIB + IT_MIB,
		      "inherited %lld", inh);
	ck_assert_int_eq(it_int(child, "inherited.logged_peak_live_bytes"),
			 inh);
	/* Its copies are its own touched bytes: 32 MiB and a few pages. */
	long long touched = it_int(child, "touched_bytes");
	ck_assert_msg(touched >= 32 * IT_MIB && touched < 34 * IT_MIB,
		      "touched %lld", touched);
	/* Its own resident: what it wrote, not the pages it shares. */
	long long own = it_int(child, "own_rss_bytes");
	ck_assert_msg(own >= 32 * IT_MIB && own < 40 * IT_MIB &&
			      it_int(child, "peak_rss_bytes") >= 64 * IT_MIB,
		      "own %lld", own);
	/* The child's sites are the parent's only: none of its own. */
	ck_assert_int_eq(json_array_size(it_get(child, "sites")), 0);
	/* Sums count the heap once. */
	ck_assert_int_eq(it_int(rep, "totals.peak_live_sum_bytes"),
			 it_int(parent, "peak_live_bytes"));
	ck_assert_int_eq(it_int(rep, "totals.overcommit_gap_sum_bytes"),
			 it_int(parent, "overcommit_gap_bytes"));
	long long rss = it_int(rep, "totals.peak_rss_sum_bytes");
	ck_assert_msg(rss == it_int(parent, "peak_rss_bytes") + own, "%lld",
		      rss);
	json_decref(rep);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Two processes that hold 64 MiB each: one after the other the suite's
 * peak is one of them, at once it is both. */
START_TEST(test_figures_peak_at_one_moment)
{
	char *seq = it_tempdir("at-once-seq"), *con = it_tempdir("at-once-con");
	char hold[PATH_MAX], *cmd;
	snprintf(hold, sizeof hold, "%s", it_program("hold"));
	ck_assert(asprintf(&cmd, "%s 64 200; %s 64 200", hold, hold) > 0);
	run_sh(seq, cmd);
	free(cmd);
	/* Two seconds each: together, even on a loaded machine where one
	 * starts or writes its pages much later than the other. */
	ck_assert(asprintf(&cmd, "%s 64 2000 & %s 64 2000; wait", hold,
			   hold) > 0);
	run_sh(con, cmd);
	free(cmd);

	json_t *a = it_report(seq, NULL), *b = it_report(con, NULL);
	long long live_seq = it_int(a, "totals.peak_live_at_once_bytes");
	long long live_con = it_int(b, "totals.peak_live_at_once_bytes");
	/* One 64 MiB block and the shell's few KiB; then both blocks. */
	ck_assert_msg(live_seq >= 64 * IT_MIB && live_seq < 65 * IT_MIB,
		      "%lld", live_seq);
	ck_assert_msg(live_con >= 128 * IT_MIB && live_con < 129 * IT_MIB,
		      "%lld", live_con);
	ck_assert_int_ge(it_int(a, "totals.peak_live_sum_bytes"), 128 * IT_MIB);
	long long rss_seq = it_int(a, "totals.peak_rss_at_once_bytes");
	long long rss_con = it_int(b, "totals.peak_rss_at_once_bytes");
	ck_assert_msg(rss_seq < 100 * IT_MIB &&
			      it_int(a, "totals.peak_rss_sum_bytes") >
				      128 * IT_MIB,
		      "%lld", rss_seq);
	ck_assert_msg(rss_con > 128 * IT_MIB, "%lld", rss_con);
	ck_assert_int_ge(it_int(a, "totals.peak_rss_at_once_ns"), 0);
	json_decref(a), json_decref(b);

	/* The --total gates check the peak at one moment. */
	struct it_result r;
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--total",
						   "--max-peak-rss", "100M",
						   "--max-peak-live", "100M",
						   seq, NULL }),
			 0);
	it_result_free(&r);
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--total",
						   "--max-peak-rss", "100M",
						   con, NULL }),
			 1);
	ck_assert_msg(strstr(r.out, "peak resident at one moment") ||
			      strstr(r.err, "peak resident at one moment"),
		      "%s%s", r.out, r.err);
	it_result_free(&r);
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "report", seq, NULL }), 0);
	ck_assert_msg(strstr(r.out, "peak resident, at once") &&
			      strstr(r.out, "the largest sum at one moment"),
		      "%s", r.out);
	it_result_free(&r);
	it_rmtree(seq), it_rmtree(con);
	free(seq), free(con);
}
END_TEST

/* small-sampled with two seeds: its sampled site's estimates differ (the
 * sampling), within their error. Not a change, even with no byte or
 * percentage threshold; twice the bytes held is one. */
START_TEST(test_figures_diff_same_command)
{
	char *d1 = it_tempdir("diff-seed1"), *d2 = it_tempdir("diff-seed2");
	char *d3 = it_tempdir("diff-hold64"), *d4 = it_tempdir("diff-hold128");
	struct it_result r;
	const char *seeds[2] = { "OVC_SEED=1", "OVC_SEED=2" };
	char *dirs[2] = { d1, d2 };
	for (int i = 0; i < 2; i++) {
		char *argv[] = { (char *)it_env("OVC_BIN"), "run", "-q", "-o",
				 dirs[i], "--",
				 (char *)it_program("small-sampled"), NULL };
		char *env[] = { (char *)seeds[i], NULL };
		it_run(argv, env, 120, &r);
		ck_assert_msg(r.code == 0, "%s", r.err);
		it_result_free(&r);
	}
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "diff", d1, d2, NULL }), 0);
	ck_assert_msg(strstr(r.out, "\nno change\n"), "%s", r.out);
	it_result_free(&r);
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "diff", "--json",
						   "--min-bytes", "0",
						   "--min-percent", "0", d1, d2,
						   NULL }),
			 0);
	json_t *d = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(d);
	it_result_free(&r);
	json_t *s;
	size_t i, sampled = 0;
	json_array_foreach(json_object_get(d, "sites"), i, s) {
		ck_assert_msg(json_is_false(json_object_get(s, "changed")), "%s",
			      it_dump(s));
		if (json_is_true(json_object_get(s, "estimated"))) {
			sampled++;
			/* The estimates do differ: only their error hides it. */
			ck_assert_int_ne(
				it_int(s, "figures.requested_bytes.change"), 0);
		}
	}
	ck_assert_int_ge(sampled, 1);
	json_decref(d);

	char hold[PATH_MAX], *cmd;
	snprintf(hold, sizeof hold, "%s", it_program("hold"));
	ck_assert(asprintf(&cmd, "%s 64 0", hold) > 0);
	run_sh(d3, cmd);
	free(cmd);
	ck_assert(asprintf(&cmd, "%s 128 0", hold) > 0);
	run_sh(d4, cmd);
	free(cmd);
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "diff", d3, d4, NULL }), 0);
	ck_assert_msg(strstr(r.out, "hold") && !strstr(r.out, "\nno change\n"),
		      "%s", r.out);
	it_result_free(&r);
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "diff", "--fail-over", "50",
						   d3, d4, NULL }),
			 1);
	it_result_free(&r);
	it_rmtree(d1), it_rmtree(d2), it_rmtree(d3), it_rmtree(d4);
	free(d1), free(d2), free(d3), free(d4);
}
END_TEST

/* A traced shell execs a program OVC_ONLY leaves out: the tree, the
 * totals, the list and JSON all count it, with its reason. */
START_TEST(test_figures_untraced_one_definition)
{
	char *dir = it_tempdir("untraced-nolog");
	char sh[PATH_MAX], *only, *cmd;
	ck_assert(realpath("/bin/sh", sh) != NULL);
	const char *shname = strrchr(sh, '/') + 1;
	ck_assert(asprintf(&only, "OVC_ONLY=%s", shname) > 0);
	const char *hold = it_program("hold");
	ck_assert(asprintf(&cmd, "sh -c 'exec %s 1 0'; exec %s 1 0", hold,
			   hold) > 0);
	char *argv[] = { (char *)it_env("OVC_BIN"), "run", "-o", dir, "--",
			 "sh", "-c", cmd, NULL };
	char *env[] = { only, NULL };
	struct it_result r;
	it_run(argv, env, 120, &r);
	ck_assert_msg(r.code == 0, "%s", r.err);
	/* Two shells each exec hold: the tree's line, the totals and the
	 * list all say 2. */
	ck_assert_msg(strstr(r.err, "→ hold (untraced: no log here)") &&
			      strstr(r.err, "untraced programs      2") &&
			      strstr(r.err, "untraced processes (2)"),
		      "%s", r.err);
	it_result_free(&r);
	json_t *rep = it_report(dir, NULL);
	ck_assert_int_eq(it_int(rep, "totals.untraced"), 2);
	json_t *u;
	size_t i, in_tree = 0;
	json_array_foreach(it_get(rep, "untraced"), i, u) {
		ck_assert_str_eq(it_str(u, "why"), "no_log");
		ck_assert(strstr(it_str(u, "reason"), "OVC_ONLY") != NULL);
		ck_assert(json_is_true(json_object_get(u, "exec")));
	}
	ck_assert_int_eq(i, 2);
	json_t *node;
	json_array_foreach(it_get(rep, "tree"), i, node)
		in_tree += json_array_size(json_object_get(node, "untraced"));
	ck_assert_int_eq(in_tree, 2);
	json_decref(rep);
	it_rmtree(dir);
	free(dir), free(only), free(cmd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("figures");
	TCase *tc = tcase_create("figures");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_figures_fork_child_own);
	tcase_add_test(tc, test_figures_peak_at_one_moment);
	tcase_add_test(tc, test_figures_diff_same_command);
	tcase_add_test(tc, test_figures_untraced_one_definition);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return it_main(suite());
}
