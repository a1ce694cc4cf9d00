/* Stress under the preload: 8 threads x 1,000,000 mixed calls of the
 * malloc family while another thread forks and execs every 5 ms and
 * detached threads come and go; then the same under `ovc run`. The
 * traced run must print what the plain run prints, every call must be
 * counted (the workers' own counts are exact; libc's few extra calls come
 * on top), and every process image must say how it ended. */
#include "hcommon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Workers' calls, parsed from the program's stderr line. */
struct expect {
	long long malloc_, calloc_, realloc_, free_, memalign_, aligned_;
	long forks, detached;
};

static void parse_expect(const char *err, struct expect *e)
{
	const char *l = strstr(err, "stress: expect ");
	ck_assert_msg(l != NULL, "no expect line in:\n%.2000s", err);
	ck_assert_int_eq(sscanf(l,
		"stress: expect malloc=%lld calloc=%lld realloc=%lld free=%lld "
		"posix_memalign=%lld aligned_alloc=%lld forks=%ld detached=%ld",
		&e->malloc_, &e->calloc_, &e->realloc_, &e->free_,
		&e->memalign_, &e->aligned_, &e->forks, &e->detached), 8);
}

/* COUNT from the report lies in [WANT, WANT + SLACK]: libc (thread start,
 * stdio) calls a few more on its own. */
static void near(json_t *p, const char *fn, long long want, long long slack)
{
	char path[64];
	snprintf(path, sizeof path, "calls.%s", fn);
	long long got = it_int(p, path);
	ck_assert_msg(got >= want && got <= want + slack,
		      "%s: %lld counted, the workers made %lld (+%lld allowed)",
		      fn, got, want, slack);
}

START_TEST(test_stress_threads_forks_execs)
{
	char *dir = it_tempdir("h-stress");
	char *argv[] = { (char *)h_program("h-stress"), "8", "1000000", "5", "12",
			 NULL };
	struct it_result plain, traced;
	struct expect e;

	it_run(argv, NULL, 120, &plain);
	ck_assert_msg(plain.code == 0, "plain run: exit %d\n%s", plain.code,
		      plain.err);
	it_preload_run(dir, argv, 200, &traced);
	h_assert_same(&traced, 0, plain.out, "stress under LD_PRELOAD");
	ck_assert_msg(!strstr(traced.err, "ovc: warning"), "%s", traced.err);
	parse_expect(traced.err, &e);
	ck_assert_int_ge(e.forks, 12); /* the program's minimum: every one an image of its own below */
	printf("stress: %lld calls in %.2f s traced (%.2f s plain), %ld "
	       "fork+exec, %ld detached threads\n",
	       e.malloc_ + e.calloc_ + e.realloc_ + e.free_ + e.memalign_ +
		       e.aligned_,
	       traced.seconds, plain.seconds, e.forks, e.detached);

	json_t *report = it_report(dir, NULL);
	json_t *all = it_processes(report, NULL), *p;
	size_t i;
	/* The first image, each fork child (ended by exec) and each image
	 * it exec'd (ended by exit 0). */
	ck_assert_int_eq(json_array_size(all), 1 + 2 * e.forks);
	json_array_foreach(all, i, p) {
		const char *kind = it_str(p, "end.kind");
		ck_assert_msg(strcmp(kind, "exit") == 0 || strcmp(kind, "exec") == 0,
			      "a process ended '%s':\n%s", kind, it_dump(p));
		if (strcmp(kind, "exit") == 0)
			ck_assert_int_eq(it_int(p, "end.code"), 0);
		ck_assert_int_eq(it_int(p, "bad_lines"), 0);
	}
	json_t *starts = h_origin(report, "start");
	ck_assert_int_eq(json_array_size(starts), 1);
	json_t *main_p = json_array_get(starts, 0);
	long long extra = 1000 + 20 * e.detached;
	near(main_p, "malloc", e.malloc_ + 16 * e.detached, extra);
	near(main_p, "calloc", e.calloc_, extra);
	near(main_p, "realloc", e.realloc_, extra);
	near(main_p, "free", e.free_ + 16 * e.detached, extra);
	near(main_p, "posix_memalign", e.memalign_, extra);
	near(main_p, "aligned_alloc", e.aligned_, extra);
	ck_assert_int_eq(it_int(main_p, "failed.malloc"), 0);
	json_t *execs = h_origin(report, "exec");
	ck_assert_int_eq(json_array_size(execs), e.forks);
	json_array_foreach(execs, i, p)
		ck_assert_int_ge(it_int(p, "calls.malloc"), 100);

	json_decref(execs), json_decref(starts), json_decref(all);
	json_decref(report);
	it_result_free(&plain), it_result_free(&traced);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_stress_ovc_run)
{
	char *dir = it_tempdir("h-stress-run");
	char *argv[] = { (char *)h_program("h-stress"), "4", "250000", "3", NULL };
	struct it_result plain, traced;

	it_run(argv, NULL, 120, &plain);
	ck_assert_int_eq(plain.code, 0);
	it_ovc_run(dir, argv, 200, &traced);
	ck_assert_msg(traced.code == 0, "ovc run: exit %d\n%.3000s", traced.code,
		      traced.err);
	ck_assert_str_eq(traced.out, plain.out);
	ck_assert_msg(!strstr(traced.err, "ovc: warning"), "%s", traced.err);
	json_t *report = it_report(dir, NULL);
	json_t *all = it_processes(report, NULL), *p;
	size_t i;
	json_array_foreach(all, i, p)
		ck_assert_str_ne(it_str(p, "end.kind"), "abrupt");
	json_decref(all), json_decref(report);
	it_result_free(&plain), it_result_free(&traced);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hardening-stress");
	TCase *tc = tcase_create("stress");
	tcase_set_timeout(tc, 280);
	tcase_add_test(tc, test_stress_threads_forks_execs);
	tcase_add_test(tc, test_stress_ovc_run);
	suite_add_tcase(s, tc);
	return it_main(s);
}
