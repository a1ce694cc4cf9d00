/* Every OVC_* variable given garbage, negative, huge, empty and
 * almost-right values: one warning naming the variable and the default
 * used, a log written with the defaults, and the program's stdout and exit
 * code exactly those of a plain run. */
#include "hcommon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const numeric[] = {
	"OVC_INTERVAL", "OVC_VERBOSE", "OVC_SUMMARY", "OVC_FRAMES",
	"OVC_LARGE", "OVC_SAMPLE",
};

/* Unusable for every numeric option (each has a minimum of 0 or 1 and
 * none takes a sign, a fraction, hex, spaces or 2^64). */
static const char *const bad[] = {
	"garbage", "-1", "-5M", "99999999999999999999999999",
	"18446744073709551616", "", " 10", "10 ", "1e3", "0x10", "1.5",
	"\xff\xfe\x01", "12Q", "NaN", "1K1",
};

static char *plain_out;
static int runs;

static void plain_once(void)
{
	if (plain_out)
		return;
	char *argv[] = { (char *)h_program("h-hello"), NULL };
	struct it_result r;
	it_run(argv, NULL, 30, &r);
	ck_assert_int_eq(r.code, 0);
	plain_out = strdup(r.out);
	it_result_free(&r);
}

/* Runs hello under the preload with ENTRY set; returns its stderr
 * (malloc'd) after checking stdout, exit code and that a log was written
 * when WANT_LOG. */
static char *traced(const char *entry, bool want_log)
{
	char *dir = it_tempdir("h-env");
	char *argv[] = { (char *)h_program("h-hello"), NULL };
	char *extra[] = { (char *)entry, "OVC_SUMMARY_UNUSED=1", NULL };
	struct it_result r;

	plain_once();
	/* OVC_OUTPUT itself under test: put its default (relative) in DIR. */
	ck_assert(chdir(dir) == 0);
	if (strncmp(entry, "OVC_OUTPUT=", 11) == 0) {
		char *env[] = { "LD_PRELOAD=", (char *)entry, NULL };
		char *pre;
		ck_assert(asprintf(&pre, "LD_PRELOAD=%s", it_env("OVC_LIB")) > 0);
		env[0] = pre;
		it_run(argv, env, 30, &r);
		free(pre);
	} else {
		h_preload_run(dir, argv, extra, 30, &r);
	}
	runs++;
	h_assert_same(&r, 0, plain_out, entry);
	if (want_log) {
		/* A refused OVC_OUTPUT means the default, ./ovc-out. */
		char *logs;
		ck_assert(asprintf(&logs, "%s%s", dir,
				   strncmp(entry, "OVC_OUTPUT=", 11) == 0 ?
					   "/ovc-out" : "") > 0);
		ck_assert_int_eq(h_mode(logs) & 0777, 0700);
		json_t *report = it_report(logs, NULL);
		free(logs);
		json_t *p = it_process(report, "h-hello");
		ck_assert_str_eq(it_str(p, "end.kind"), "exit");
		ck_assert_int_ge(it_int(p, "calls.malloc"), 1001);
		json_decref(report);
	}
	char *err = strdup(r.err);
	it_result_free(&r);
	ck_assert(chdir("/") == 0);
	it_rmtree(dir);
	free(dir);
	return err;
}

START_TEST(test_env_numeric_garbage)
{
	for (size_t o = 0; o < sizeof numeric / sizeof numeric[0]; o++) {
		for (size_t v = 0; v < sizeof bad / sizeof bad[0]; v++) {
			char *entry, *needle;
			ck_assert(asprintf(&entry, "%s=%s", numeric[o], bad[v]) > 0);
			ck_assert(asprintf(&needle, "ovc: warning: %s=", numeric[o]) > 0);
			char *err = traced(entry, true);
			ck_assert_msg(h_count_lines(err, needle) == 1 &&
					      h_count_lines(err, "using the default") == 1 &&
					      h_count_lines(err, "ovc:") == 1,
				      "%s: want one warning, got:\n%s", entry, err);
			free(err), free(entry), free(needle);
		}
	}
	printf("env: %d runs with bad numeric values\n", runs);
}
END_TEST

START_TEST(test_env_huge_values)
{
	/* 100 KiB values: numbers are refused (warning), a path that long
	 * is refused (warning, default directory), a run id is cut. */
	size_t n = 100 * 1024;
	char *digits = malloc(n + 32), *entry;
	for (size_t i = 0; i < n; i++)
		digits[i] = (char)('1' + i % 9);
	digits[n] = '\0';
	for (size_t o = 0; o < sizeof numeric / sizeof numeric[0]; o++) {
		ck_assert(asprintf(&entry, "%s=%s", numeric[o], digits) > 0);
		char *err = traced(entry, true);
		ck_assert_msg(h_count_lines(err, "ovc: warning:") == 1, "%s", err);
		ck_assert_msg(strlen(err) < 2048, "warning of %zu bytes", strlen(err));
		free(err), free(entry);
	}
	ck_assert(asprintf(&entry, "OVC_OUTPUT=/%s", digits) > 0);
	char *err = traced(entry, true); /* logs go to ./ovc-out */
	ck_assert_msg(h_count_lines(err, "ovc: warning: OVC_OUTPUT=") == 1, "%s", err);
	free(err), free(entry);
	ck_assert(asprintf(&entry, "OVC_RUN=%s", digits) > 0);
	err = traced(entry, false);
	ck_assert_msg(h_count_lines(err, "ovc:") <= 1, "%s", err);
	free(err), free(entry);
	free(digits);
}
END_TEST

START_TEST(test_env_output_odd)
{
	/* Empty: one warning, default directory. */
	char *err = traced("OVC_OUTPUT=", true);
	ck_assert_msg(h_count_lines(err, "ovc: warning: OVC_OUTPUT=") == 1, "%s", err);
	free(err);
	/* Odd but usable names: no warning. */
	const char *odd[] = { "OVC_OUTPUT=-1", "OVC_OUTPUT=a b/ c",
			      "OVC_OUTPUT=new\nline", "OVC_OUTPUT=./x/../y//" };
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		err = traced(odd[i], false);
		ck_assert_msg(h_count_lines(err, "ovc:") == 0, "%s: %s", odd[i], err);
		free(err);
	}
	/* A path that cannot be a directory: one warning, untracked. */
	err = traced("OVC_OUTPUT=/dev/null/x", false);
	ck_assert_msg(h_count_lines(err, "ovc: warning: cannot write logs") == 1,
		      "%s", err);
	free(err);
}
END_TEST

START_TEST(test_env_all_bad_at_once)
{
	char *dir = it_tempdir("h-env-all");
	char *argv[] = { (char *)h_program("h-hello"), NULL };
	char *extra[] = { "OVC_INTERVAL=0", "OVC_VERBOSE=-1", "OVC_SUMMARY=maybe",
			  "OVC_FRAMES=257", "OVC_LARGE=0", "OVC_SAMPLE=lots", NULL };
	struct it_result r;

	plain_once();
	h_preload_run(dir, argv, extra, 30, &r);
	h_assert_same(&r, 0, plain_out, "all bad");
	ck_assert_msg(h_count_lines(r.err, "ovc: warning:") == 6 &&
			      h_count_lines(r.err, "ovc:") == 6,
		      "want six warnings:\n%s", r.err);
	for (size_t o = 0; o < sizeof numeric / sizeof numeric[0]; o++) {
		char needle[64];
		snprintf(needle, sizeof needle, "warning: %s=", numeric[o]);
		ck_assert_msg(h_count_lines(r.err, needle) == 1, "%s", r.err);
	}
	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "h-hello");
	ck_assert_int_eq(it_int(p, "interval_ms"), 10); /* the default */
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* OVC_FOLLOW=none follows the process whose pid is in OVC_TOP: without a
 * usable one nothing is logged, and ovc says so, once. With the program's
 * own pid, it is logged and nothing is said. */
START_TEST(test_env_follow_none_without_top)
{
	char *argv[] = { (char *)h_program("h-hello"), NULL };
	const char *tops[] = { "OVC_TOP", "OVC_TOP=", "OVC_TOP=abc",
			       "OVC_TOP=0", "OVC_TOP=-12", "OVC_TOP=12x",
			       "OVC_TOP=99999999" };
	plain_once();
	for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
		char *dir = it_tempdir("h-env-top");
		char *extra[] = { "OVC_FOLLOW=none", (char *)tops[i], NULL };
		struct it_result r;
		h_preload_run(dir, argv, extra, 30, &r);
		h_assert_same(&r, 0, plain_out, tops[i]);
		ck_assert_msg(h_count_lines(r.err, "ovc: warning: OVC_") == 1 &&
				      h_count_lines(r.err, "OVC_TOP") == 1 &&
				      h_count_lines(r.err, "ovc:") == 1,
			      "%s: want one warning, got:\n%s", tops[i], r.err);
		json_t *logs = it_list_dir(dir, "ovc.");
		ck_assert_msg(json_array_size(logs) == 0, "%s: logged", tops[i]);
		json_decref(logs);
		it_result_free(&r);
		it_rmtree(dir);
		free(dir);
	}
}
END_TEST

/* A program that put a data file of its own on descriptor 2 gets none of
 * ovc's lines in it: the summary at exit (OVC_SUMMARY=always) and warnings
 * go only to the stderr the program started with. */
START_TEST(test_env_stderr_replaced)
{
	char *dir = it_tempdir("h-env-stderr");
	char *data;
	ck_assert(asprintf(&data, "%s/data", dir) > 0);
	char *argv[] = { (char *)h_program("h-stderr-file"), data, NULL };
	const char *extras[][3] = {
		{ "OVC_SUMMARY=always", NULL, NULL },
		{ "OVC_SUMMARY=always", "OVC_INTERVAL=garbage", NULL },
	};
	for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
		struct it_result r;
		h_preload_run(dir, argv, (char **)extras[i], 30, &r);
		ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
		ck_assert_str_eq(r.out, "done\n");
		size_t len = 0;
		char *got = it_read_file(data, &len);
		ck_assert_msg(got && len == 5 && memcmp(got, "data\n", 5) == 0,
			      "the program's file holds %zu bytes: %.300s", len,
			      got ? got : "(unreadable)");
		free(got);
		it_result_free(&r);
	}
	free(data);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hardening-env");
	TCase *tc = tcase_create("env");
	tcase_set_timeout(tc, 150);
	tcase_add_test(tc, test_env_numeric_garbage);
	tcase_add_test(tc, test_env_huge_values);
	tcase_add_test(tc, test_env_output_odd);
	tcase_add_test(tc, test_env_all_bad_at_once);
	tcase_add_test(tc, test_env_follow_none_without_top);
	tcase_add_test(tc, test_env_stderr_replaced);
	suite_add_tcase(s, tc);
	return it_main(s);
}
