/* The article's two programs under ovc: 128 TiB requested and nothing
 * touched, then 2 GiB requested and all of it touched. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* article-reserve: every malloc(1 GiB) until NULL. */
START_TEST(test_article_reserve_untouched)
{
	char *dir = it_tempdir("article-reserve");
	char *argv[] = { (char *)it_program("article-reserve"), NULL };
	struct it_result r;
	long long gib = 0;

	it_ovc_run(dir, argv, 170, &r);
	ck_assert_msg(r.code == 0, "exit %d, stderr:\n%s", r.code, r.err);
	ck_assert_msg(sscanf(r.out, "%lld GiB allocated", &gib) == 1,
		      "stdout: %s", r.out);
	/* ~131,000 on x86-64 (47 bits of user address space). */
	ck_assert_msg(gib >= 100 * 1024, "only %lld GiB reserved", gib);

	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "article-reserve");
	ck_assert_str_eq(it_str(p, "end.kind"), "exit");
	ck_assert_int_eq(it_int(p, "end.code"), 0);
	/* Exactly GIB successful mallocs and one that failed, plus the few
	 * of libc (stdio's buffer, the loader). */
	ck_assert_int_ge(it_int(p, "calls.malloc"), gib + 1);
	ck_assert_int_le(it_int(p, "calls.malloc"), gib + 1 + 100);
	ck_assert_int_eq(it_int(p, "calls.failed"), 1);
	ck_assert_int_ge(it_int(p, "requested_bytes"), gib * IT_GIB);
	ck_assert_int_ge(it_int(p, "peak_live_bytes"), gib * IT_GIB);
	ck_assert_int_ge(it_int(p, "peak_live_bytes"), 100 * IT_TIB);
	ck_assert_int_ge(it_int(p, "peak_vm_bytes"), 100 * IT_TIB);
	/* Not nothing: glibc writes the header of each mmapped chunk, so
	 * every block has its first page resident (~1 GiB in all, plain too:
	 * /usr/bin/time shows a max RSS of ~1 GiB without ovc). */
	ck_assert_int_lt(it_int(p, "peak_rss_bytes"), 2 * IT_GIB);
	ck_assert_msg(it_num(p, "touched_ratio") < 0.001,
		      "touched_ratio %g", it_num(p, "touched_ratio"));
	ck_assert_int_lt(it_int(p, "touched_bytes"), 2 * IT_GIB);
	ck_assert_int_ge(it_int(p, "overcommit_gap_bytes"), 100 * IT_TIB);
	ck_assert_int_ge(it_int(p, "last_live_bytes"), 100 * IT_TIB);
	ck_assert_int_ge(it_int(p, "samples"), 2);
	/* Far beyond RAM and beyond what strict overcommit would allow. */
	char *verdicts = it_dump(it_get(p, "verdicts"));
	ck_assert_msg(strstr(verdicts, "\"exceeds_commit_limit\"") != NULL &&
		      strstr(verdicts, "\"exceeds_mem_total\"") != NULL,
		      "verdicts: %s", verdicts);
	free(verdicts);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Checks the figures of an article-touch process that touched MIB MiB. */
static void check_touched(json_t *p, long long mib)
{
	long long grown = it_int(p, "peak_anon_rss_bytes") -
			  it_int(p, "baseline_anon_rss_bytes");
	double ratio = it_num(p, "touched_ratio");

	ck_assert_str_eq(it_str(p, "end.kind"), "exit");
	ck_assert_int_eq(it_int(p, "end.code"), 0);
	ck_assert_int_ge(it_int(p, "calls.malloc"), (mib + 1023) / 1024);
	ck_assert_int_eq(it_int(p, "calls.failed"), 0);
	ck_assert_int_ge(it_int(p, "requested_bytes"), mib * IT_MIB);
	ck_assert_int_ge(it_int(p, "peak_live_bytes"), mib * IT_MIB);
	/* The blocks and a little more: stdio, ovc's own bookkeeping. */
	ck_assert_int_le(it_int(p, "peak_live_bytes"), mib * IT_MIB + 4 * IT_MIB);
	ck_assert_int_ge(it_int(p, "peak_rss_bytes"), mib * IT_MIB);
	ck_assert_msg(grown >= mib * IT_MIB * 9 / 10,
		      "anonymous resident grew by %lld bytes only", grown);
	/* Not clamped: a little above 1 is the stack and libc's own pages,
	 * touched outside what ovc saw. */
	ck_assert_msg(ratio >= 0.9 && ratio <= 1.01, "touched_ratio %g", ratio);
	ck_assert_int_eq(it_int(p, "touched_bytes"), grown);
	ck_assert_int_le(it_int(p, "overcommit_gap_bytes"), mib * IT_MIB / 10);
	/* 2 GiB fits in RAM and under the commit limit of any machine that
	 * runs these tests. */
	ck_assert_int_eq(json_array_size(it_get(p, "verdicts")), 0);
}

/* article-touch: 2 GiB requested, one byte written per page. */
START_TEST(test_article_touch_all_touched)
{
	char *dir = it_tempdir("article-touch");
	char *argv[] = { (char *)it_program("article-touch"), NULL };
	struct it_result r;

	it_ovc_run(dir, argv, 120, &r);
	ck_assert_msg(r.code == 0, "exit %d, stderr:\n%s", r.code, r.err);
	ck_assert_str_eq(r.out, "2048 MiB allocated and touched in 2 blocks\n");

	json_t *report = it_report(dir, NULL);
	check_touched(it_process(report, "article-touch"), 2048);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* The same with a bare LD_PRELOAD, no `ovc run`: 512 MiB. */
START_TEST(test_article_touch_bare_preload)
{
	char *dir = it_tempdir("article-touch-bare");
	char *argv[] = { (char *)it_program("article-touch"), "512", NULL };
	struct it_result r;

	it_preload_run(dir, argv, 120, &r);
	ck_assert_msg(r.code == 0, "exit %d, stderr:\n%s", r.code, r.err);
	ck_assert_str_eq(r.out, "512 MiB allocated and touched in 1 blocks\n");

	json_t *report = it_report(dir, NULL);
	check_touched(it_process(report, "article-touch"), 512);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("article");
	TCase *tc = tcase_create("article");

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_article_reserve_untouched);
	tcase_add_test(tc, test_article_touch_all_touched);
	tcase_add_test(tc, test_article_touch_bare_preload);
	suite_add_tcase(s, tc);
	return it_main(s);
}
