/* Every way a traced process can end, and allocations before and after
 * ovc's own constructor and destructor: the program behaves as it does
 * plain, and its log says how it ended as far as the kernel lets a
 * process know (a signal that kills it leaves no trace in its own log;
 * `ovc run` learns it from wait()). */
#include <signal.h>
#include "hcommon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs `exits MODE` plain and traced; checks the exit code and stdout and
 * returns the one process of the report (borrowed from *REPORT). */
static json_t *run_mode(const char *mode, int code, json_t **report,
			char **dir)
{
	char *argv[] = { (char *)h_program("h-exits"), (char *)mode, NULL };
	struct it_result plain, traced;

	*dir = it_tempdir("h-exits");
	it_run(argv, NULL, 30, &plain);
	ck_assert_msg(plain.code == code, "%s plain: exit %d", mode, plain.code);
	it_preload_run(*dir, argv, 30, &traced);
	h_assert_same(&traced, code, plain.out, mode);
	ck_assert_msg(!strstr(traced.err, "ovc: warning"), "%s", traced.err);
	*report = it_report(*dir, NULL);
	it_result_free(&plain), it_result_free(&traced);
	return it_process(*report, "h-exits");
}

static void done(json_t *report, char *dir)
{
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}

static void expect_exit(const char *mode, int code, const char *via,
			long long min_mallocs)
{
	json_t *report;
	char *dir;
	json_t *p = run_mode(mode, code, &report, &dir);

	ck_assert_msg(strcmp(it_str(p, "end.kind"), "exit") == 0,
		      "%s: the log does not say how it ended:\n%s", mode,
		      it_dump(p));
	ck_assert_int_eq(it_int(p, "end.code"), code);
	ck_assert_str_eq(it_str(p, "end.source"), "log");
	ck_assert_msg(it_int(p, "calls.malloc") >= min_mallocs,
		      "%s: %lld mallocs counted, at least %lld made", mode,
		      it_int(p, "calls.malloc"), min_mallocs);
	(void)via;
	done(report, dir);
}

START_TEST(test_exits_exit_racing_threads)
{
	expect_exit("exit-race", 3, "exit", 1000);
}
END_TEST

START_TEST(test_exits_return_racing_threads)
{
	expect_exit("return-race", 8, "exit", 1000);
}
END_TEST

START_TEST(test_exits_unjoined_threads)
{
	/* 16 threads x 1000 malloc, all counted though never joined. */
	expect_exit("unjoined", 7, "exit", 16000);
}
END_TEST

START_TEST(test_exits_underscore_exit)
{
	expect_exit("_exit", 5, "_exit", 1);
	expect_exit("_Exit", 6, "_exit", 1);
}
END_TEST

START_TEST(test_exits_quick_exit)
{
	/* quick_exit runs the at_quick_exit handlers and then glibc's
	 * internal _exit, which no preload can interpose: ovc must hear of
	 * it some other way (its own at_quick_exit handler). */
	expect_exit("quick_exit", 4, "quick_exit", 1);
}
END_TEST

START_TEST(test_exits_abort)
{
	json_t *report;
	char *dir;
	json_t *p = run_mode("abort", 134, &report, &dir);

	/* Bare, the sampler process outlives the program and writes the
	 * end: SIGABRT. */
	ck_assert_str_eq(it_str(p, "end.kind"), "signal");
	ck_assert_int_eq(it_int(p, "end.signal"), SIGABRT);
	done(report, dir);

	/* Under `ovc run` the run file knows the signal. */
	dir = it_tempdir("h-exits-run");
	char *argv[] = { (char *)h_program("h-exits"), "abort", NULL };
	struct it_result r;
	it_ovc_run(dir, argv, 30, &r);
	ck_assert_int_eq(r.code, 134);
	report = it_report(dir, NULL);
	p = it_process(report, "h-exits");
	ck_assert_str_eq(it_str(p, "end.kind"), "signal");
	ck_assert_int_eq(it_int(p, "end.signal"), 6);
	it_result_free(&r);
	done(report, dir);
}
END_TEST

/* ctordtor with CTORDTOR_EXTRA=EXTRA and LD_PRELOAD=PRELOAD: its malloc
 * and free counts. */
static void ctordtor(const char *preload, const char *extra, long long *mallocs,
		     long long *frees)
{
	char *dir = it_tempdir("h-ctordtor");
	char *argv[] = { (char *)h_program("h-ctordtor"), NULL };
	char *env[4];
	struct it_result r;

	ck_assert(asprintf(&env[0], "LD_PRELOAD=%s", preload) > 0);
	ck_assert(asprintf(&env[1], "OVC_OUTPUT=%s", dir) > 0);
	ck_assert(asprintf(&env[2], "CTORDTOR_EXTRA=%s", extra) > 0);
	env[3] = NULL;
	it_run(argv, env, 30, &r);
	h_assert_same(&r, 0, "ctordtor: main\n", preload);
	ck_assert_msg(!strstr(r.err, "ovc: warning"), "%s", r.err);
	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "h-ctordtor");
	ck_assert_str_eq(it_str(p, "end.kind"), "exit");
	*mallocs = it_int(p, "calls.malloc");
	*frees = it_int(p, "calls.free");
	json_decref(report);
	it_result_free(&r);
	free(env[0]), free(env[1]), free(env[2]);
	it_rmtree(dir);
	free(dir);
}

START_TEST(test_exits_constructors_destructors)
{
	char *orders[2];
	ck_assert(asprintf(&orders[0], "%s:%s", it_env("OVC_LIB"), h_early_lib()) > 0);
	ck_assert(asprintf(&orders[1], "%s:%s", h_early_lib(), it_env("OVC_LIB")) > 0);
	for (int i = 0; i < 2; i++) {
		long long m0, f0, m1, f1;
		ctordtor(orders[i], "0", &m0, &f0);
		ctordtor(orders[i], "1000", &m1, &f1);
		/* The program's own destructor runs after ovc's end record:
		 * its calls are in the sample ovc's destructor writes. */
		ck_assert_msg(m1 - m0 == 1000 && f1 - f0 == 1000,
			      "LD_PRELOAD=%s: a destructor's 1000 malloc/free "
			      "pairs counted as %lld/%lld",
			      orders[i], m1 - m0, f1 - f0);
		ck_assert_int_ge(m0, 100); /* the constructor's */
		free(orders[i]);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hardening-exits");
	TCase *tc = tcase_create("exits");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_exits_exit_racing_threads);
	tcase_add_test(tc, test_exits_return_racing_threads);
	tcase_add_test(tc, test_exits_unjoined_threads);
	tcase_add_test(tc, test_exits_underscore_exit);
	tcase_add_test(tc, test_exits_quick_exit);
	tcase_add_test(tc, test_exits_abort);
	tcase_add_test(tc, test_exits_constructors_destructors);
	suite_add_tcase(s, tc);
	return it_main(s);
}
