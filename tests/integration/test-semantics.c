/* The hooked functions keep glibc's semantics: tests/programs/semantics
 * checks them from inside and must pass plain, under a bare LD_PRELOAD and
 * under `ovc run`; its deliberate failures and its untouched 1 GiB calloc
 * show in the report. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void check_passed(const struct it_result *r, const char *how)
{
	ck_assert_msg(r->code == 0, "semantics %s: exit %d, stdout: %s\n"
		      "stderr:\n%s", how, r->code, r->out, r->err);
	ck_assert_msg(strstr(r->out, "semantics: ") != NULL &&
		      strstr(r->out, "checks held") != NULL, "stdout: %s", r->out);
}

START_TEST(test_semantics_plain)
{
	char *argv[] = { (char *)it_program("semantics"), NULL };
	struct it_result r;

	it_run(argv, NULL, 60, &r);
	check_passed(&r, "plain");
	it_result_free(&r);
}
END_TEST

START_TEST(test_semantics_bare_preload)
{
	char *dir = it_tempdir("semantics-bare");
	char out[4096], log[4200], want[64];
	char *argv[] = { (char *)it_program("semantics"), NULL };
	struct it_result r;
	struct stat st;

	/* OVC_OUTPUT names a directory that does not exist yet. */
	snprintf(out, sizeof out, "%s/made-by-ovc", dir);
	it_preload_run(out, argv, 60, &r);
	check_passed(&r, "under LD_PRELOAD");
	/* Nothing from ovc on the program's stderr: OVC_SUMMARY=tty, and
	 * stderr is a pipe here. */
	ck_assert_msg(*r.err == '\0', "stderr:\n%s", r.err);

	/* The preload made the directory (0700) and its log (0600) there,
	 * named ovc.<pid>.0.jsonl, starting with the proc record. */
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	json_t *logs = it_list_dir(out, "ovc.");
	ck_assert_int_eq(json_array_size(logs), 1);
	snprintf(log, sizeof log, "%s/%s", out,
		 json_string_value(json_array_get(logs, 0)));
	ck_assert_int_eq(stat(log, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	json_t *lines = it_read_jsonl(log), *proc = json_array_get(lines, 0);
	ck_assert_str_eq(it_str(proc, "t"), "proc");
	ck_assert_str_eq(it_str(proc, "format"), "ovc-log");
	ck_assert_int_eq(it_int(proc, "version"), 1);
	ck_assert_str_eq(it_str(proc, "run"), "");
	snprintf(want, sizeof want, "ovc.%lld.0.jsonl", it_int(proc, "pid"));
	ck_assert_str_eq(json_string_value(json_array_get(logs, 0)), want);
	json_decref(lines);
	json_decref(logs);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_semantics_under_ovc_run)
{
	char *dir = it_tempdir("semantics-run");
	char *argv[] = { (char *)it_program("semantics"), NULL };
	struct it_result r;

	it_ovc_run(dir, argv, 60, &r);
	check_passed(&r, "under ovc run");

	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "semantics");
	static const char *const funcs[] = {
		"malloc", "calloc", "realloc", "reallocarray", "free",
		"posix_memalign", "aligned_alloc", "memalign", "valloc", "pvalloc",
	};
	char path[64];

	for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
		snprintf(path, sizeof path, "calls.%s", funcs[i]);
		ck_assert_int_ge(it_int(p, path), 2);
	}
	/* 10 calls fail on purpose (ENOMEM, EINVAL); realloc(p, 0) returns
	 * NULL too, having freed p: whether that counts as failed is up to the
	 * preload, so 10 or 11. */
	ck_assert_int_ge(it_int(p, "calls.failed"), 10);
	ck_assert_int_le(it_int(p, "calls.failed"), 11);
	static const struct {
		const char *func;
		long long failed_min, failed_max, requested_min;
	} expect[] = {
		/* requested_min: the successful calls' sizes only. A failed
		 * call's size (SIZE_MAX) may count or not, but must not make
		 * the total wrap around below what the successful ones asked. */
		{ "malloc", 1, 1, IT_GIB + 8 * IT_MIB + 100 + 4000 },
		{ "calloc", 1, 1, IT_GIB + 4000 },
		{ "realloc", 1, 2, 100 + 100000 + 2 * IT_MIB + 10 },
		{ "reallocarray", 1, 1, 100 + 200 },
		{ "free", 0, 0, 0 },
		{ "posix_memalign", 2, 2, 6 * 100 },
		{ "aligned_alloc", 1, 1, 256 + 4096 },
		{ "memalign", 1, 1, 100 + 1 + 100 },
		{ "valloc", 1, 1, 1 },
		{ "pvalloc", 1, 1, 1 },
	};
	for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
		snprintf(path, sizeof path, "failed.%s", expect[i].func);
		ck_assert_msg(it_int(p, path) >= expect[i].failed_min &&
			      it_int(p, path) <= expect[i].failed_max,
			      "%s = %lld, expected %lld..%lld", path,
			      it_int(p, path), expect[i].failed_min,
			      expect[i].failed_max);
		snprintf(path, sizeof path, "requested.%s", expect[i].func);
		ck_assert_msg(it_int(p, path) >= expect[i].requested_min,
			      "%s = %lld, but the calls that succeeded asked "
			      "for %lld", path, it_int(p, path),
			      expect[i].requested_min);
	}
	/* The 1 GiB calloc and malloc were live (one after the other) and
	 * never touched. */
	ck_assert_int_ge(it_int(p, "peak_live_bytes"), IT_GIB);
	ck_assert_int_lt(it_int(p, "peak_live_bytes"), 2 * IT_GIB);
	ck_assert_msg(it_num(p, "touched_ratio") < 0.05, "touched_ratio %g",
		      it_num(p, "touched_ratio"));
	ck_assert_str_eq(it_str(p, "end.kind"), "exit");
	ck_assert_int_eq(it_int(p, "end.code"), 0);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("semantics");
	TCase *tc = tcase_create("semantics");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_semantics_plain);
	tcase_add_test(tc, test_semantics_bare_preload);
	tcase_add_test(tc, test_semantics_under_ovc_run);
	suite_add_tcase(s, tc);
	return it_main(s);
}
