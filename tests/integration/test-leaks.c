/* Leaks at exit (tests/programs/leaks.c): the "leaks" object of `ovc report
 * --json`, `ovc report --leaks`, and the gate --max-leaked of `ovc check`
 * (JUnit included) and `ovc run`.
 *
 * leak_small leaves 10240 blocks of 1 KiB, sampled at OVC_SAMPLE=16K: each
 * is tracked independently with p = 1 - exp(-1024 / 16384) = 0.0606, so
 * K, the number tracked, is Binomial(10240, p) with mean mu = 620.6, and
 * the estimate K * 1024 / p has a standard error of 1024 * sqrt(10240 *
 * (1 - p) / p) = 398 KiB (3.9%); the report's sd_bytes estimates it from
 * K. The test wants the estimate within 5 reported standard errors of the
 * truth (about one run in 10^6 fails by chance; with the Chernoff bound
 * on K, fewer than 1 in 10^4 for the 20% that 5 standard errors make) and
 * sd_bytes within 15% of 398 KiB (K within 30% of mu: a Chernoff bound of
 * exp(-mu * 0.3^2 / 2.6) < 10^-9). A missing scale is 16 standard errors
 * off, a wrong variance formula a factor sqrt(1/p) = 4 off.
 *
 * leak_large leaves 3 blocks of 4 MiB: above OVC_LARGE, tracked, exact. */
#include "sites-helpers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMALL_BLOCKS 10240
#define SMALL_BYTES (10 * IT_MIB)
#define LARGE_BYTES (12 * IT_MIB)
#define SAMPLE "OVC_SAMPLE=16K"

/* The sd of the estimate of SMALL_BYTES in 1 KiB blocks at OVC_SAMPLE
 * 16 KiB (see the top of the file). */
static double small_sd(void)
{
	double p = -expm1(-1024.0 / 16384.0);
	return 1024.0 * sqrt(SMALL_BLOCKS * (1 - p) / p);
}

/* The leak sites of P whose innermost frame is FN. */
static json_t *leak_sites_at(json_t *p, const char *fn)
{
	json_t *sites = it_get(p, "leaks.sites"), *site, *found = json_array();
	size_t i;

	ck_assert_msg(json_is_array(sites), "no leaks.sites");
	json_array_foreach(sites, i, site) {
		json_t *f0 = json_array_get(json_object_get(site, "frames"), 0);
		const char *f = json_string_value(json_object_get(f0, "function"));
		if (f != NULL && strcmp(f, fn) == 0)
			json_array_append(found, site);
	}
	return found;
}

/* Runs leaks under the preload at OVC_SAMPLE=16K into a new directory. */
static char *run_leaks(void)
{
	char *dir = it_tempdir("leaks");
	char *argv[] = { (char *)it_program("leaks"), NULL };
	struct it_result r;

	st_preload_run(dir, argv, SAMPLE, 60, &r);
	ck_assert_msg(r.code == 0, "leaks: exit %d, stderr:\n%s", r.code, r.err);
	it_result_free(&r);
	return dir;
}

START_TEST(test_leaks_json)
{
	char *dir = run_leaks();
	json_t *report = st_report_all(dir);
	json_t *p = it_process(report, "leaks");
	json_t *found, *site;

	ck_assert(json_is_true(it_get(p, "leaks.known")));
	ck_assert(json_is_null(it_get(p, "leaks.why_unknown")));

	/* the large blocks: exact */
	found = leak_sites_at(p, "leak_large");
	ck_assert_int_eq(json_array_size(found), 1);
	site = json_array_get(found, 0);
	ck_assert_int_eq(it_int(site, "leaked_bytes"), LARGE_BYTES);
	ck_assert_int_eq(it_int(site, "leaked_blocks"), 3);
	ck_assert_int_eq(it_int(site, "sd_bytes"), 0);
	ck_assert(json_is_false(json_object_get(site, "estimated")));
	json_t *f0 = json_array_get(json_object_get(site, "frames"), 0);
	ck_assert_int_eq(it_int(f0, "line"),
			 st_marked_line("leaks.c", "leak_large"));
	json_decref(found);

	/* the small blocks: estimated, within the stated error */
	found = leak_sites_at(p, "leak_small");
	ck_assert_int_eq(json_array_size(found), 1);
	site = json_array_get(found, 0);
	long long est = it_int(site, "leaked_bytes");
	long long sd = it_int(site, "sd_bytes");
	long long blocks = it_int(site, "leaked_blocks");
	ck_assert(json_is_true(json_object_get(site, "estimated")));
	ck_assert_msg(fabs((double)sd / small_sd() - 1) <= 0.15,
		      "sd_bytes %lld, expected about %.0f", sd, small_sd());
	ck_assert_msg(llabs(est - SMALL_BYTES) <= 5 * sd,
		      "leaked_bytes %lld estimated, %lld true, sd %lld", est,
		      (long long)SMALL_BYTES, sd);
	/* the same samples counted in blocks: the error divided by 1 KiB */
	ck_assert_msg(llabs(blocks - SMALL_BLOCKS) <= 5 * sd / 1024 + 1,
		      "leaked_blocks %lld, %d true", blocks, SMALL_BLOCKS);
	json_decref(found);

	/* freed by main, by an atexit handler, by a destructor: no leak */
	const char *freed[] = { "free_all", "freed_at_exit", "freed_in_dtor" };
	for (size_t i = 0; i < 3; i++) {
		found = leak_sites_at(p, freed[i]);
		ck_assert_msg(json_array_size(found) == 0, "%s leaked", freed[i]);
		json_decref(found);
		found = st_sites_at(p, freed[i]);
		ck_assert_msg(json_array_size(found) >= 1, "no %s site", freed[i]);
		ck_assert_int_eq(st_sum(found, "live_bytes"), 0);
		json_decref(found);
	}

	/* the process's figures: the sum, errors in quadrature (the other
	 * sites leak nothing, or a few sampled libc blocks) */
	ck_assert_int_ge(it_int(p, "leaks.leaked_bytes"), LARGE_BYTES + est);
	ck_assert_int_ge(it_int(p, "leaks.sd_bytes"), sd);
	ck_assert(json_is_true(it_get(p, "leaks.estimated")));
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_leaks_text_and_gates)
{
	char *dir = run_leaks();
	char *junit;
	struct it_result r;

	char *rep[] = { (char *)it_env("OVC_BIN"), "report", "--leaks", dir,
			NULL };
	it_run(rep, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "report --leaks: exit %d\n%s", r.code, r.err);
	ck_assert_msg(strstr(r.out, "leak_large (leaks.c:") &&
		      strstr(r.out, "leak_small (leaks.c:") &&
		      strstr(r.out, "12.0 MiB") && strstr(r.out, "exact") &&
		      strstr(r.out, "estimated (sampled)") &&
		      !strstr(r.out, "free_all") &&
		      !strstr(r.out, "freed_at_exit"),
		      "ovc report --leaks:\n%s", r.out);
	it_result_free(&r);

	/* 22 MiB leaked: a 40 MiB limit holds, a 16 MiB one fails */
	ck_assert(asprintf(&junit, "%s/junit.xml", dir) > 0);
	char *ok[] = { (char *)it_env("OVC_BIN"), "check", "--max-leaked",
		       "40M", dir, NULL };
	it_run(ok, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "check --max-leaked 40M: exit %d\n%s%s",
		      r.code, r.out, r.err);
	it_result_free(&r);
	char *bad[] = { (char *)it_env("OVC_BIN"), "check", "--max-leaked=16M",
			"--junit", junit, dir, NULL };
	it_run(bad, NULL, 60, &r);
	ck_assert_msg(r.code == 1 && strstr(r.out, "FAIL") &&
		      strstr(r.out, "leaked 2") &&
		      strstr(r.out, "> max-leaked 16.0 MiB"),
		      "check --max-leaked 16M: exit %d\n%s%s", r.code, r.out,
		      r.err);
	it_result_free(&r);
	char *xml = it_read_file(junit, NULL);
	ck_assert_msg(xml && strstr(xml, "max-leaked") &&
		      strstr(xml, "<failure"), "JUnit:\n%s", xml);
	free(xml);
	free(junit);
	it_rmtree(dir);
	free(dir);

	/* ovc run with the gate: the command succeeded, the gate fails */
	dir = it_tempdir("leaks-run");
	char *run[] = { (char *)it_env("OVC_BIN"), "run", "-q", "-o", dir,
			"--max-leaked", "1M", "--", (char *)it_program("leaks"),
			NULL };
	char *env[] = { SAMPLE, NULL };
	it_run(run, env, 60, &r);
	ck_assert_msg(r.code == 1 && strstr(r.err, "max-leaked"),
		      "ovc run --max-leaked 1M: exit %d\n%s%s", r.code, r.out,
		      r.err);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("leaks");
	TCase *tc = tcase_create("leaks");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_leaks_json);
	tcase_add_test(tc, test_leaks_text_and_gates);
	suite_add_tcase(s, tc);
	return it_main(s);
}
