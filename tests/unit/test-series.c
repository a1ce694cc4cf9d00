/* The reduced series of cli/read/series.c: bounded however many samples come,
 * never losing a peak, points in time order. */
#include <check.h>
#include <stdlib.h>

#include "read/series.h"

static size_t points(const struct ovc_series *s, enum ovc_series_id id,
		     struct ovc_point **out)
{
	*out = malloc(2 * OVC_SERIES_MAX_BUCKETS * sizeof **out);
	ck_assert(*out != NULL);
	return ovc_series_points(s, id, *out);
}

/* 300,000 samples 1 ms apart (5 minutes) with one spike of one sample:
 * at most 1,000 buckets, the spike and the minimum kept exactly. */
START_TEST(test_series_bounded_keeps_peak)
{
	struct ovc_series *s = ovc_series_create();
	ck_assert(s != NULL);
	size_t most = 0;
	for (int64_t i = 0; i < 300000; i++) {
		int64_t v = 1000 + (i * 7919) % 5000;
		if (i == 254321)
			v = 123456789;
		if (i == 777)
			v = 3;
		int64_t vals[OVC_SER_COUNT] = {v, 2 * v, -1, v / 2};
		if (!ovc_series_add(s, i * 1000000, vals))
			ck_abort_msg("out of memory");
		if (s->nbuckets > most)
			most = s->nbuckets;
	}
	ck_assert_uint_le(most, OVC_SERIES_MAX_BUCKETS);
	ck_assert_uint_eq(s->samples, 300000);
	ck_assert_int_eq(s->peak[OVC_SER_LIVE].bytes, 123456789);
	ck_assert_int_eq(s->peak[OVC_SER_LIVE].t_ns, 254321LL * 1000000);
	struct ovc_point *p;
	size_t n = points(s, OVC_SER_LIVE, &p);
	ck_assert_uint_le(n, 2000);
	ck_assert_uint_ge(n, 500);
	int64_t max = 0, min = INT64_MAX;
	for (size_t i = 0; i < n; i++) {
		if (i)
			ck_assert_int_ge(p[i].t_ns, p[i - 1].t_ns);
		if (p[i].bytes > max)
			max = p[i].bytes;
		if (p[i].bytes < min)
			min = p[i].bytes;
	}
	ck_assert_int_eq(max, 123456789);
	ck_assert_int_eq(min, 3);
	free(p);
	n = points(s, OVC_SER_VM, &p);
	max = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i].bytes > max)
			max = p[i].bytes;
	ck_assert_int_eq(max, 2 * 123456789);
	free(p);
	/* A series never given a value has no points. */
	n = points(s, OVC_SER_RSS, &p);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(s->peak[OVC_SER_RSS].bytes, -1);
	free(p);
	ovc_series_destroy(s);
}
END_TEST

/* A few samples are kept as they are; out-of-order and negative times do
 * not break the order. */
START_TEST(test_series_small_and_disordered)
{
	struct ovc_series *s = ovc_series_create();
	int64_t t[] = {0, 10000000, 20000000, 5000000, -1, 30000000};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		int64_t vals[OVC_SER_COUNT] = {(int64_t)i * 10, -1, -1, -1};
		ck_assert(ovc_series_add(s, t[i], vals));
	}
	struct ovc_point *p;
	size_t n = points(s, OVC_SER_LIVE, &p);
	ck_assert_uint_ge(n, 4);
	for (size_t i = 1; i < n; i++)
		ck_assert_int_ge(p[i].t_ns, p[i - 1].t_ns);
	ck_assert_int_eq(s->peak[OVC_SER_LIVE].bytes, 50);
	ck_assert_int_eq(s->last_t_ns, 30000000);
	free(p);
	ovc_series_destroy(s);
	ovc_series_destroy(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("series");
	TCase *tc = tcase_create("series");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_series_bounded_keeps_peak);
	tcase_add_test(tc, test_series_small_and_disordered);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
