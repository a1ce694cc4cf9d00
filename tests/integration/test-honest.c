/* Honest allocation: OVC_BUDGET refuses what would pass the budget, exactly
 * and with the program's own error path taken; OVC_PREFAULT makes large
 * blocks resident when malloc returns. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs PROG ARGS... under `ovc run -o DIR` with the OVC_* settings in ENV. */
static void run_with(const char *dir, char *const env[], char *const args[],
		     struct it_result *r)
{
	char *argv[16] = { (char *)it_env("OVC_BIN"), "run", "-o", (char *)dir,
			   "--" };
	int n = 5;
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	it_run(argv, env, 120, r);
}

/* Records of type TYPE in the one process log of DIR. */
static json_t *records(const char *dir, const char *type)
{
	json_t *lines = it_read_only_log(dir, NULL, 0);
	json_t *out = json_array();
	size_t i;
	json_t *rec;
	json_array_foreach(lines, i, rec) {
		const char *t = json_string_value(json_object_get(rec, "t"));
		if (t && strcmp(t, type) == 0)
			json_array_append(out, rec);
	}
	json_decref(lines);
	return out;
}

START_TEST(test_honest_article_under_budget)
{
	char *dir = it_tempdir("honest-article");
	char *env[] = { "OVC_BUDGET=4G", NULL };
	char *args[] = { (char *)it_program("article-reserve"), NULL };
	struct it_result r;
	run_with(dir, env, args, &r);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.out, "4 GiB allocated\n");

	/* The first refusal is the fifth block. A budget that is exactly full
	 * refuses everything after it: stdio's buffer for the printf too
	 * (printf then writes unbuffered), so there may be more. */
	json_t *refused = records(dir, "refuse");
	ck_assert_int_ge(json_array_size(refused), 1);
	json_t *x = json_array_get(refused, 0);
	ck_assert_str_eq(it_str(x, "fn"), "malloc");
	ck_assert_int_eq(it_int(x, "size"), IT_GIB);
	ck_assert_int_eq(it_int(x, "budget"), 4 * IT_GIB);
	ck_assert_int_ge(it_int(x, "live"), 4 * IT_GIB);
	ck_assert_int_ge(it_int(x, "site"), 0);

	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "article-reserve");
	ck_assert_int_eq(it_int(p, "calls.failed"),
			 (long long)json_array_size(refused));
	json_decref(refused);
	ck_assert_int_le(it_int(p, "peak_live_bytes"), 4 * IT_GIB + 4 * 4096);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_honest_exact_refusal)
{
	char *dir = it_tempdir("honest-exact");
	/* libc's own small allocations (stdio, thread records) count too: the
	 * budget leaves 1 MiB for them. */
	char *env[] = { "OVC_BUDGET=1001M", NULL };
	char *args[] = { (char *)it_program("honest"), "100", "1", NULL };
	struct it_result r;
	run_with(dir, env, args, &r);
	ck_assert_int_eq(r.code, 0);
	/* 10 blocks of 100 MiB fit; the 11th is refused, and the program sees
	 * glibc's own failure: NULL with ENOMEM. */
	ck_assert_str_eq(r.out, "10 blocks of 100 MiB, then malloc failed: "
				"Cannot allocate memory\n");
	json_t *refused = records(dir, "refuse");
	ck_assert_int_eq(json_array_size(refused), 1);
	long long live = it_int(json_array_get(refused, 0), "live");
	ck_assert_int_ge(live, 1000 * IT_MIB);
	ck_assert_int_le(live, 1001 * IT_MIB);
	json_decref(refused);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_honest_threads_race_to_the_budget)
{
	char *dir = it_tempdir("honest-race");
	char *env[] = { "OVC_BUDGET=1001M", NULL };
	char *args[] = { (char *)it_program("honest"), "10", "4", NULL };
	struct it_result r;
	run_with(dir, env, args, &r);
	ck_assert_int_eq(r.code, 0);
	/* Reservations are atomic: together the four threads get exactly
	 * 100 blocks of 10 MiB, never more, whatever the interleaving. */
	ck_assert_str_eq(r.out, "100 blocks of 10 MiB, then malloc failed: "
				"Cannot allocate memory\n");
	json_t *refused = records(dir, "refuse");
	ck_assert_int_eq(json_array_size(refused), 4);
	size_t i;
	json_t *x;
	json_array_foreach(refused, i, x)
		ck_assert_int_le(it_int(x, "live"), 1001 * IT_MIB);
	json_decref(refused);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_honest_prefault_makes_blocks_resident)
{
	char *dir = it_tempdir("honest-prefault");
	char *env[] = { "OVC_PREFAULT=1", "OVC_BUDGET=257M", NULL };
	char *args[] = { (char *)it_program("honest"), "64", "1", NULL };
	struct it_result r;
	run_with(dir, env, args, &r);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.out, "4 blocks of 64 MiB, then malloc failed: "
				"Cannot allocate memory\n");
	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "honest");
	/* The program never writes its blocks: only prefault made them
	 * resident. */
	ck_assert_msg(it_num(p, "touched_ratio") >= 0.95, "touched ratio %f",
		      it_num(p, "touched_ratio"));
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_honest_bad_budget_warns_and_runs_free)
{
	char *dir = it_tempdir("honest-bad");
	char *env[] = { "OVC_BUDGET=lots", NULL };
	char *args[] = { (char *)it_program("honest"), "100", "1", NULL };
	struct it_result r;
	run_with(dir, env, args, &r);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.out, "4096 blocks of 100 MiB, never failed\n");
	/* Under `ovc run` the warning is the log's (OVC_WARN=auto), never a
	 * line on the program's stderr; the report shows it. */
	ck_assert_ptr_null(strstr(r.err, "ovc: warning: OVC_BUDGET"));
	ck_assert_ptr_nonnull(strstr(r.err, "ovc warned: OVC_BUDGET='lots'"));
	json_t *warns = records(dir, "warn");
	ck_assert_int_eq(json_array_size(warns), 1);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
					     json_array_get(warns, 0), "msg")),
				     "OVC_BUDGET='lots'"));
	json_decref(warns);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("honest");
	TCase *tc = tcase_create("honest");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_honest_article_under_budget);
	tcase_add_test(tc, test_honest_exact_refusal);
	tcase_add_test(tc, test_honest_threads_race_to_the_budget);
	tcase_add_test(tc, test_honest_prefault_makes_blocks_resident);
	tcase_add_test(tc, test_honest_bad_budget_warns_and_runs_free);
	suite_add_tcase(s, tc);
	return it_main(s);
}
