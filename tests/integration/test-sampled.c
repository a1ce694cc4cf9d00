/* Site attribution of small allocations (small-sampled: 100 MiB per round
 * in 64-byte mallocs, each round freed before the next): at the default
 * OVC_SAMPLE the site's figures are unbiased estimates, with OVC_SAMPLE=1
 * exact counts; and twins, two sites whose stacks differ only in their
 * return addresses, each with its own exact counts. */
#include "sites-helpers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define BLOCK_BYTES 64
#define ROUND_BYTES (100 * IT_MIB)
#define ROUND_BLOCKS (ROUND_BYTES / BLOCK_BYTES) /* 1,638,400 */

/* How many rounds the estimate is made over, and why.
 *
 * Each 64-byte malloc is sampled independently with probability
 * p = 1 - exp(-64 / 512 KiB) ~ 1.22e-4 (the distance to the next sample is
 * exponential, hence memoryless: whether one allocation is sampled does not
 * depend on the others), and a sampled one counts for 64 / p bytes. So with
 * N allocations the number K of samples is Binomial(N, p), mean mu = N p,
 * and the estimate K * 64 / p has a relative standard error of about
 * 1 / sqrt(mu). For one round (100 MiB, mu = 200) that is 7%: a 10% bound
 * would fail one run in ~7. The only honest cure is more samples.
 *
 * With ROUNDS = 12 (1.2 GiB requested in all, at most 100 MiB of it live
 * at once), mu = 2400 and the error is 2.0%. The Chernoff bounds for a sum
 * of independent Bernoulli trials give for the 10% bound:
 *   P(K >= 1.1 mu) <= exp(-mu ((1.1) ln 1.1 - 0.1)) = exp(-11.6) = 9e-6
 *   P(K <= 0.9 mu) <= exp(-mu 0.1^2 / 2)           = exp(-12)   = 6e-6
 * so a correct sampler fails this test less than once in 60,000 runs (the
 * normal approximation says once in ~10^6). A real bias still fails it
 * every time: a factor 2 is 50 standard errors away, and no scaling at all
 * (2400 samples of 64 bytes: 150 KiB) is off by 99.99%.
 *
 * The thread's first small allocation is always sampled (its countdown
 * starts at 0): at most one extra sample, 512 KiB, 0.04% of the total. */
#define ROUNDS 12
#define TOLERANCE 0.10

/* The one site at make_small() in the report of DIR. */
static json_t *make_small_site(json_t *report)
{
	json_t *p = it_process(report, "small-sampled");
	json_t *found = st_sites_at(p, "make_small"), *site;
	long long line = st_marked_line("small-sampled.c", "make_small");

	ck_assert_str_eq(it_str(p, "end.kind"), "exit");
	if (json_array_size(found) != 1) {
		char *text = it_dump(it_get(p, "sites"));
		ck_abort_msg("%zu sites at make_small, expected 1; sites:\n%.8000s",
			     json_array_size(found), text);
	}
	site = json_array_get(found, 0);
	json_decref(found); /* the report still holds it */
	json_t *f0 = json_array_get(json_object_get(site, "frames"), 0);
	ck_assert_str_eq(st_base(it_str(f0, "file")), "small-sampled.c");
	ck_assert_int_eq(it_int(f0, "line"), line);
	/* 64-byte blocks share their pages */
	ck_assert(json_is_true(json_object_get(site, "shared_pages")));
	ck_assert(json_is_true(json_object_get(site, "estimated")));
	/* all freed before exit */
	ck_assert_int_eq(it_int(site, "live_bytes"), 0);
	return site;
}

START_TEST(test_sampled_estimate_unbiased)
{
	char *dir = it_tempdir("sampled");
	char rounds[16];
	char *argv[] = { (char *)it_program("small-sampled"), rounds, NULL };
	struct it_result r;
	const long long truth = ROUNDS * ROUND_BYTES;

	snprintf(rounds, sizeof rounds, "%d", ROUNDS);
	st_preload_run(dir, argv, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d, stderr:\n%s", r.code, r.err);

	json_t *report = st_report_all(dir);
	json_t *site = make_small_site(report);
	long long est = it_int(site, "requested_bytes");
	long long blocks = it_int(site, "blocks");

	ck_assert(json_is_true(json_object_get(site, "sampled")));
	ck_assert_msg(fabs((double)est - (double)truth) <= TOLERANCE * truth,
		      "requested_bytes %lld estimated, %lld true (%+.1f%%)", est,
		      truth, 100.0 * ((double)est / (double)truth - 1));
	/* the same samples, counted in blocks */
	ck_assert_msg(fabs((double)blocks - (double)(ROUNDS * ROUND_BLOCKS)) <=
		      TOLERANCE * ROUNDS * ROUND_BLOCKS,
		      "blocks %lld estimated, %lld true", blocks,
		      ROUNDS * ROUND_BLOCKS);
	/* peak live: one round, 100 MiB, estimated from its own samples (200
	 * expected: 7% standard error), so only checked loosely */
	ck_assert_msg(it_int(site, "peak_live_bytes") > ROUND_BYTES / 2 &&
		      it_int(site, "peak_live_bytes") < 2 * ROUND_BYTES,
		      "peak_live_bytes %lld", it_int(site, "peak_live_bytes"));
	/* the process's exact counters know the truth (plus libc's few) */
	json_t *p = it_process(report, "small-sampled");
	ck_assert_int_ge(it_int(p, "calls.malloc"), ROUNDS * ROUND_BLOCKS);
	ck_assert_int_le(it_int(p, "calls.malloc"), ROUNDS * ROUND_BLOCKS + 100);
	ck_assert_int_ge(it_int(p, "requested.malloc"), truth);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* OVC_SAMPLE=1: every allocation is tracked, so the figures are exact. One
 * round: 1,638,400 tracked blocks live at once (more than 2^20: a table
 * sized or hashed for less slows to a crawl). A run of 8-15 s on 2 cores;
 * the program is killed, and the test fails, after 45 s. */
START_TEST(test_sampled_every_allocation_exact)
{
	char *dir = it_tempdir("sampled-exact");
	char *argv[] = { (char *)it_program("small-sampled"), "1", NULL };
	struct it_result r;

	st_preload_run(dir, argv, "OVC_SAMPLE=1", 45, &r);
	ck_assert_msg(r.code == 0, "exit %d, stderr:\n%s", r.code, r.err);

	json_t *report = st_report_all(dir);
	json_t *site = make_small_site(report);

	ck_assert_int_eq(it_int(site, "requested_bytes"), ROUND_BYTES);
	ck_assert_int_eq(it_int(site, "blocks"), ROUND_BLOCKS);
	ck_assert_int_eq(it_int(site, "peak_live_bytes"), ROUND_BYTES);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* OVC_SAMPLE=1 on twins: two sites whose allocations come with the same
 * stack pointer and differ only in the return addresses on the stack (the
 * unwinder's memo of stacks must tell them apart, preload/unwind.c). Each
 * has exactly its own TWIN_CALLS blocks. */
#define TWIN_CALLS 100000
#define TWIN_BYTES 48

static void twin_exact(json_t *p, const char *fn)
{
	json_t *found = st_sites_at(p, fn);

	if (json_array_size(found) != 1) {
		char *text = it_dump(it_get(p, "sites"));
		ck_abort_msg("%zu sites at %s, expected 1; sites:\n%.8000s",
			     json_array_size(found), fn, text);
	}
	json_t *site = json_array_get(found, 0);
	json_t *f0 = json_array_get(json_object_get(site, "frames"), 0);
	ck_assert_str_eq(st_base(it_str(f0, "file")), "twins.c");
	ck_assert_int_eq(it_int(f0, "line"), st_marked_line("twins.c", fn));
	ck_assert_int_eq(it_int(site, "blocks"), TWIN_CALLS);
	ck_assert_int_eq(it_int(site, "requested_bytes"),
			 (long long)TWIN_CALLS * TWIN_BYTES);
	ck_assert_int_eq(it_int(site, "live_bytes"), 0);
	json_decref(found);
}

START_TEST(test_sampled_twins_exact)
{
	char *dir = it_tempdir("sampled-twins");
	char calls[32];
	snprintf(calls, sizeof calls, "%d", TWIN_CALLS);
	char *argv[] = { (char *)it_program("twins"), calls, NULL };
	struct it_result r;

	st_preload_run(dir, argv, "OVC_SAMPLE=1", 45, &r);
	ck_assert_msg(r.code == 0, "exit %d, stderr:\n%s", r.code, r.err);

	json_t *report = st_report_all(dir);
	json_t *p = it_process(report, "twins");
	ck_assert_str_eq(it_str(p, "end.kind"), "exit");
	twin_exact(p, "twin_a");
	twin_exact(p, "twin_b");
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sampled");
	TCase *tc = tcase_create("sampled");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_sampled_estimate_unbiased);
	tcase_add_test(tc, test_sampled_every_allocation_exact);
	tcase_add_test(tc, test_sampled_twins_exact);
	suite_add_tcase(s, tc);
	return it_main(s);
}
