/* Figures at the top of the u64 range, written by the preload and read
 * back (issue 19): refused requests of sizes up to SIZE_MAX under
 * OVC_BUDGET=1G, and byte totals past INT64_MAX (600,000 munmap calls of
 * 16 TiB: 1.05e19) and past UINT64_MAX (1,200,000: saturated). Every line
 * of the log is read (no bad line, no warning), every refusal counted,
 * the calls of the last sample kept. */
#include "harness.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *program(void)
{
	static char path[4096];
	snprintf(path, sizeof path, "%s/h-numbers", it_env("OVC_HOSTILE_PROGRAMS"));
	return path;
}

/* Runs `h-numbers ARGS...` under the preload with EXTRA set; returns the
 * report (and its process in *P), checked for bad lines and warnings. */
static json_t *run(const char *tag, char *const args[], const char *extra,
		   const char *expect_out, json_t **p, char **dir)
{
	char *argv[4] = { (char *)program(), args[0], args[1], NULL };
	char *env[4];
	*dir = it_tempdir(tag);
	ck_assert(asprintf(&env[0], "LD_PRELOAD=%s", it_env("OVC_LIB")) > 0);
	ck_assert(asprintf(&env[1], "OVC_OUTPUT=%s", *dir) > 0);
	env[2] = (char *)extra;
	env[3] = NULL;
	struct it_result r;
	it_run(argv, env, 60, &r);
	ck_assert_msg(r.code == 0, "%s: exit %d: %s", tag, r.code, r.err);
	ck_assert_str_eq(r.out, expect_out);
	it_result_free(&r);
	free(env[0]), free(env[1]);
	char *err = NULL;
	json_t *report = it_report(*dir, &err);
	ck_assert_msg(err[0] == '\0', "%s: ovc report said:\n%s", tag, err);
	free(err);
	*p = it_process(report, "h-numbers");
	ck_assert_int_eq(it_int(*p, "bad_lines"), 0);
	ck_assert_str_eq(it_str(*p, "end.kind"), "exit");
	return report;
}

START_TEST(test_numbers_refused_sizes)
{
	char *args[] = { "refuse", NULL };
	json_t *p;
	char *dir;
	json_t *report = run("numbers-refuse", args, "OVC_BUDGET=1G",
			     "refused 7\n", &p, &dir);
	ck_assert_int_eq(it_int(p, "failed.malloc"), 7);
	ck_assert_int_eq(it_int(p, "diagnosis.budget.refused"), 7);
	json_t *first = it_get(p, "diagnosis.budget.first_refusals");
	ck_assert_int_eq(json_array_size(first), 7);
	/* SIZE_MAX, SIZE_MAX - 4096, 2^63 and INT64_MAX: saturated */
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(it_int(json_array_get(first, i), "size_bytes"),
				 INT64_MAX);
	ck_assert_int_eq(it_int(json_array_get(first, 4), "size_bytes"),
			 (long long)1 << 62);
	ck_assert_int_eq(it_int(json_array_get(first, 6), "size_bytes"),
			 3 * IT_GIB);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

static void munmaps(const char *n, const char *out)
{
	char *args[] = { "munmap", (char *)n, NULL };
	json_t *p;
	char *dir;
	json_t *report = run("numbers-munmap", args, NULL, out, &p, &dir);
	ck_assert_int_eq(it_int(p, "calls.munmap"), atoll(n) + 1);
	ck_assert_int_eq(it_int(p, "calls.mmap"), 1);
	/* the last sample, with the malloc and free after the loop, is read */
	ck_assert_int_ge(it_int(p, "calls.malloc"), 1);
	ck_assert_int_ge(it_int(p, "calls.free"), 1);
	/* 16 TiB times N is past INT64_MAX: saturated */
	ck_assert_int_eq(it_int(p, "map_bytes.munmap"), INT64_MAX);
	ck_assert_int_eq(it_int(p, "map_bytes.mmap"), 4096);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}

START_TEST(test_numbers_munmap_past_int64)
{
	munmaps("600000", "munmap 600000\n");
}
END_TEST

START_TEST(test_numbers_munmap_past_uint64)
{
	munmaps("1200000", "munmap 1200000\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("numbers");
	TCase *tc = tcase_create("numbers");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_numbers_refused_sizes);
	tcase_add_test(tc, test_numbers_munmap_past_int64);
	tcase_add_test(tc, test_numbers_munmap_past_uint64);
	suite_add_tcase(s, tc);
	return it_main(s);
}
