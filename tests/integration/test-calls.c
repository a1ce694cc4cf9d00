/* Exact call counts from two threads: threads-calls run with K and with 2K
 * iterations makes exactly K times its per-iteration calls more in the
 * second run (libc's own allocations are the same in both), so the
 * difference of ovc's counts is asserted to the unit, per function. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 2
#define K 1000   /* 1000 and 2000: the same argv length in both runs */

/* Calls, failures and requested bytes per iteration and thread, as
 * tests/programs/threads-calls.c makes them. */
static const struct {
	const char *func;
	long long calls, failed, requested;
} per_iteration[] = {
	{ "malloc", 1, 0, 1001 },
	{ "calloc", 2, 0, 3 * 111 + 5 * 222 },
	{ "realloc", 3, 0, 2002 + 333 + 4444 },
	{ "reallocarray", 4, 0, 7 * 11 * (1 + 2 + 3 + 4) },
	{ "free", 40, 0, 0 },
	{ "posix_memalign", 5, 1, 4 * 555 + 0 },     /* EINVAL for size 0 */
	{ "aligned_alloc", 6, 0, 6 * 96 },
	{ "memalign", 7, 0, 7 * 777 },
	{ "valloc", 8, 0, 8 * 888 },
	{ "pvalloc", 9, 0, 9 * 999 },   /* what was asked, not the page */
};
#define FAILED_PER_ITERATION 1
#define REQUESTED_PER_ITERATION 34323

enum how { UNDER_OVC_RUN, BARE_PRELOAD };

/* Runs threads-calls ITERATIONS and returns its process of the report. */
static json_t *run(enum how how, const char *iterations, json_t **report,
		   char **dir)
{
	char *argv[] = { (char *)it_program("threads-calls"),
			 (char *)iterations, NULL };
	struct it_result r;

	*dir = it_tempdir("threads-calls");
	if (how == UNDER_OVC_RUN)
		it_ovc_run(*dir, argv, 60, &r);
	else
		it_preload_run(*dir, argv, 60, &r);
	ck_assert_msg(r.code == 0, "threads-calls %s: exit %d, stdout: %s\n"
		      "stderr:\n%s", iterations, r.code, r.out, r.err);
	it_result_free(&r);
	*report = it_report(*dir, NULL);
	return it_process(*report, "threads-calls");
}

static void check_difference(enum how how)
{
	json_t *report1, *report2;
	char *dir1, *dir2;
	json_t *p1 = run(how, "1000", &report1, &dir1);
	json_t *p2 = run(how, "2000", &report2, &dir2);
	const long long n = (long long)THREADS * K;  /* iterations in all */
	char path[64];

	for (size_t i = 0; i < sizeof per_iteration / sizeof per_iteration[0]; i++) {
		snprintf(path, sizeof path, "calls.%s", per_iteration[i].func);
		long long c1 = it_int(p1, path), c2 = it_int(p2, path);
		long long want = n * per_iteration[i].calls;
		ck_assert_msg(c1 >= want, "%s: %lld with K iterations, "
			      "at least %lld made by the program", path, c1, want);
		ck_assert_msg(c2 - c1 == want, "%s: %lld - %lld = %lld, "
			      "expected exactly %lld", path, c2, c1, c2 - c1,
			      want);

		snprintf(path, sizeof path, "failed.%s", per_iteration[i].func);
		c1 = it_int(p1, path), c2 = it_int(p2, path);
		want = n * per_iteration[i].failed;
		ck_assert_msg(c2 - c1 == want, "%s: %lld - %lld = %lld, "
			      "expected exactly %lld", path, c2, c1, c2 - c1,
			      want);

		snprintf(path, sizeof path, "requested.%s", per_iteration[i].func);
		c1 = it_int(p1, path), c2 = it_int(p2, path);
		want = n * per_iteration[i].requested;
		ck_assert_msg(c2 - c1 == want, "%s: %lld - %lld = %lld, "
			      "expected exactly %lld", path, c2, c1, c2 - c1,
			      want);
	}
	ck_assert_int_eq(it_int(p2, "calls.failed") - it_int(p1, "calls.failed"),
			 n * FAILED_PER_ITERATION);
	ck_assert_int_eq(it_int(p2, "requested_bytes") -
			 it_int(p1, "requested_bytes"),
			 n * REQUESTED_PER_ITERATION);
	ck_assert_str_eq(it_str(p1, "end.kind"), "exit");
	ck_assert_str_eq(it_str(p2, "end.kind"), "exit");
	ck_assert_int_eq(it_int(p2, "end.code"), 0);
	json_decref(report1), json_decref(report2);
	it_rmtree(dir1), it_rmtree(dir2);
	free(dir1), free(dir2);
}

START_TEST(test_calls_exact_under_ovc_run)
{
	check_difference(UNDER_OVC_RUN);
}
END_TEST

START_TEST(test_calls_exact_bare_preload)
{
	check_difference(BARE_PRELOAD);
}
END_TEST

/* The same program twice with the same K: the counts are reproducible. */
START_TEST(test_calls_reproducible)
{
	json_t *report1, *report2;
	char *dir1, *dir2;
	json_t *p1 = run(UNDER_OVC_RUN, "1000", &report1, &dir1);
	json_t *p2 = run(UNDER_OVC_RUN, "1000", &report2, &dir2);
	static const char *const fields[] = { "calls", "failed", "requested" };

	for (size_t i = 0; i < 3; i++) {
		char *c1 = it_dump(it_get(p1, fields[i]));
		char *c2 = it_dump(it_get(p2, fields[i]));
		ck_assert_str_eq(c1, c2);
		free(c1), free(c2);
	}
	ck_assert_int_eq(it_int(p1, "requested_bytes"),
			 it_int(p2, "requested_bytes"));
	json_decref(report1), json_decref(report2);
	it_rmtree(dir1), it_rmtree(dir2);
	free(dir1), free(dir2);
}
END_TEST

/* A program built without PIE that takes malloc's address: dlsym answers
 * its PLT stub for "malloc", but its calls reach ovc's malloc and glibc's
 * behind it, so libunwind is not loaded at start (it was, for every
 * python3 of a suite), and every call is counted. */
START_TEST(test_calls_plt_stub)
{
	char *argv[] = { (char *)it_program("plt-malloc"), NULL };
	struct it_result r;
	json_t *report = it_preload_report(argv, &r);

	ck_assert_str_eq(r.out, "libunwind not mapped\n");
	json_t *p = it_process(report, "plt-malloc");
	ck_assert_int_ge(it_int(p, "calls.malloc"), 100);
	ck_assert_int_ge(it_int(p, "calls.free"), 100);
	json_decref(report);
	it_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("calls");
	TCase *tc = tcase_create("calls");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_calls_exact_under_ovc_run);
	tcase_add_test(tc, test_calls_exact_bare_preload);
	tcase_add_test(tc, test_calls_reproducible);
	tcase_add_test(tc, test_calls_plt_stub);
	suite_add_tcase(s, tc);
	return it_main(s);
}
