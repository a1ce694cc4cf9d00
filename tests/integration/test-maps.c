/* The mmap family: mappings the program makes itself are tracked with
 * their stacks (reserved, committed, touched), kept apart from the malloc
 * family, and followed through jemalloc and CPython, which map their own
 * memory. */
#include "harness.h"
#include "sites-helpers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The one site of P whose frame 0 is FN, of family FAMILY. */
static json_t *site_at(json_t *p, const char *fn, const char *family)
{
	json_t *sites = st_sites_at(p, fn);
	ck_assert_msg(json_array_size(sites) == 1, "%zu sites at %s",
		      json_array_size(sites), fn);
	json_t *s = json_incref(json_array_get(sites, 0));
	json_decref(sites);
	ck_assert_str_eq(it_str(s, "family"), family);
	return s;
}

START_TEST(test_maps_anonymous_unmap_and_remap)
{
	char *dir = it_tempdir("maps-anon");
	json_t *p;
	json_t *report = st_run_report(dir, "maps", "anon", &p);

	ck_assert_int_ge(it_int(p, "calls.mmap"), 2);
	ck_assert_int_eq(it_int(p, "calls.munmap"), 1);
	ck_assert_int_eq(it_int(p, "calls.mremap"), 1);
	ck_assert_int_eq(it_int(p, "peak_mapped_bytes"), 8 * IT_GIB);
	/* 8 GiB - 2 GiB unmapped + the 256 MiB grown mapping */
	ck_assert_int_eq(it_int(p, "live_mapped_bytes"), 6 * IT_GIB + 256 * IT_MIB);

	json_t *big = site_at(p, "map_big", "mmap");
	ck_assert_int_eq(it_int(big, "blocks"), 1);
	ck_assert_int_eq(it_int(big, "requested_bytes"), 8 * IT_GIB);
	ck_assert_int_eq(it_int(big, "peak_live_bytes"), 8 * IT_GIB);
	ck_assert_int_eq(it_int(big, "live_bytes"), 6 * IT_GIB);
	ck_assert_int_eq(it_int(big, "touched_bytes"), IT_GIB);
	ck_assert(json_is_false(json_object_get(big, "estimated")));

	json_t *grow = site_at(p, "map_growing", "mmap");
	ck_assert_int_eq(it_int(grow, "requested_bytes"), 256 * IT_MIB);
	ck_assert_int_eq(it_int(grow, "live_bytes"), 256 * IT_MIB);
	ck_assert_int_eq(it_int(grow, "touched_bytes"), 64 * IT_MIB);
	ck_assert_int_eq(it_int(grow, "committed_bytes"), 256 * IT_MIB);

	/* the malloc family is reported apart: the mappings are not in it */
	ck_assert_int_lt(it_int(p, "requested_bytes"), IT_MIB);
	json_decref(big);
	json_decref(grow);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_maps_reserved_committed_touched)
{
	char *dir = it_tempdir("maps-reserve");
	json_t *p;
	json_t *report = st_run_report(dir, "maps", "reserve", &p);
	json_t *s = site_at(p, "reserve_heap", "mmap");
	ck_assert_int_eq(it_int(s, "requested_bytes"), 16 * IT_GIB);
	ck_assert_int_eq(it_int(s, "committed_bytes"), 512 * IT_MIB);
	ck_assert_int_eq(it_int(s, "peak_committed_bytes"), 512 * IT_MIB);
	ck_assert_int_eq(it_int(s, "touched_bytes"), 256 * IT_MIB);
	ck_assert_int_eq(it_int(p, "peak_committed_bytes"), 512 * IT_MIB);
	json_decref(s);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Mappings below OVC_LARGE are sampled as small blocks are: maps small
 * makes 4,096 mappings of 96 KiB at one site (384 MiB) and writes one page
 * of each (16 MiB). The process's own counts are exact at any setting. */
#define SMALL_MAPS 4096
#define SMALL_BYTES (96 * 1024LL)

static json_t *small_maps_run(const char *dir, const char *extra, json_t **site)
{
	char *argv[] = { (char *)it_program("maps"), "small", NULL };
	struct it_result r;
	st_preload_run(dir, argv, extra, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d, stderr:\n%s", r.code, r.err);
	it_result_free(&r);
	json_t *report = st_report_all(dir);
	json_t *p = it_process(report, "maps");
	ck_assert_int_ge(it_int(p, "calls.mmap"), SMALL_MAPS);
	ck_assert_int_le(it_int(p, "calls.mmap"), SMALL_MAPS + 8);
	ck_assert_int_ge(it_int(p, "live_mapped_bytes"),
			 (long long)SMALL_MAPS * SMALL_BYTES);
	*site = site_at(p, "map_small", "mmap");
	return report;
}

/* At OVC_SAMPLE=1 every mapping is tracked: exact figures. */
START_TEST(test_maps_small_exact)
{
	char *dir = it_tempdir("maps-small-exact");
	json_t *s;
	json_t *report = small_maps_run(dir, "OVC_SAMPLE=1", &s);
	ck_assert_int_eq(it_int(s, "blocks"), SMALL_MAPS);
	ck_assert_int_eq(it_int(s, "requested_bytes"),
			 (long long)SMALL_MAPS * SMALL_BYTES);
	ck_assert_int_eq(it_int(s, "touched_bytes"), (long long)SMALL_MAPS * 4096);
	ck_assert(json_is_false(json_object_get(s, "sampled")));
	json_decref(s);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* At the default OVC_SAMPLE (512 KiB) each 96 KiB mapping is sampled with
 * probability 1 - exp(-96/512) = 0.171, about 700 of the 4,096: a relative
 * standard error of 3.8%, and the seed is fixed, so the run is the same
 * every time. The site's figures count each sampled mapping for the
 * inverse of its chance: unweighted they would be a sixth of the truth. */
START_TEST(test_maps_small_sampled)
{
	char *dir = it_tempdir("maps-small-sampled");
	json_t *s;
	json_t *report = small_maps_run(dir, "OVC_SEED=7", &s);
	const double req = (double)SMALL_MAPS * SMALL_BYTES;
	const double touched = (double)SMALL_MAPS * 4096;
	ck_assert(json_is_true(json_object_get(s, "sampled")));
	ck_assert(json_is_true(json_object_get(s, "estimated")));
	ck_assert_msg(fabs((double)it_int(s, "requested_bytes") - req) <= 0.15 * req,
		      "requested %lld, true %.0f", it_int(s, "requested_bytes"), req);
	ck_assert_msg(fabs((double)it_int(s, "touched_bytes") - touched) <=
			      0.15 * touched,
		      "touched %lld, true %.0f", it_int(s, "touched_bytes"), touched);
	ck_assert_msg(fabs((double)it_int(s, "blocks") - SMALL_MAPS) <=
			      0.15 * SMALL_MAPS,
		      "blocks %lld", it_int(s, "blocks"));
	json_decref(s);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Debian's jemalloc maps its extents with mmap: its big allocations show
 * as mmap sites whose stacks lead back to the program's malloc. */
START_TEST(test_maps_through_jemalloc)
{
	const char *je = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
	if (access(je, R_OK) != 0) {
		fprintf(stderr, "%s missing (apt-get install libjemalloc2): "
				"jemalloc case not run\n", je);
		return;
	}
	char *dir = it_tempdir("maps-jemalloc");
	char pre[512];
	snprintf(pre, sizeof pre, "LD_PRELOAD=%s", je);
	/* env sets LD_PRELOAD for the program only (not for ovc), and
	 * leaves ovc out of it: the preload's exec hook puts it back. */
	char *argv[] = { (char *)it_env("OVC_BIN"), "run", "-o", dir, "--",
			 "/usr/bin/env", pre,
			 (char *)it_program("article-touch"), "1024", NULL };
	struct it_result r;
	it_run(argv, NULL, 120, &r);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	json_t *report = st_report_all(dir);
	json_t *p = it_process(report, "article-touch");
	/* jemalloc's mappings, reached from main's malloc calls */
	json_t *through = st_sites_through(p, "main");
	long long mapped = 0, touched = 0;
	size_t i;
	json_t *s;
	json_array_foreach(through, i, s) {
		if (strcmp(it_str(s, "family"), "mmap") != 0)
			continue;
		mapped += it_int(s, "requested_bytes");
		touched += it_int(s, "touched_bytes");
	}
	/* 1 GiB malloc'd and every page written */
	ck_assert_msg(mapped >= IT_GIB, "mapped %lld", mapped);
	ck_assert_msg(touched >= IT_GIB * 9 / 10, "touched %lld", touched);
	json_decref(through);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* CPython maps its small-object arenas itself: their touched bytes account
 * for the interpreter's anonymous resident growth. */
START_TEST(test_maps_cpython_arenas)
{
	const char *py = "/usr/bin/python3";
	if (access(py, X_OK) != 0) {
		fprintf(stderr, "%s missing: CPython case not run\n", py);
		return;
	}
	char *dir = it_tempdir("maps-python");
	/* Only small objects (pymalloc): a chain of 2-tuples, no big list. */
	char *argv[] = { (char *)it_env("OVC_BIN"), "run", "-o", dir, "--",
			 (char *)py, "-S", "-c",
			 "a = None\n"
			 "for i in range(3000000):\n"
			 "    a = (a, i)\n",
			 NULL };
	struct it_result r;
	it_run(argv, NULL, 120, &r);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	json_t *report = st_report_all(dir);
	json_t *procs = it_processes(report, NULL);
	ck_assert_int_eq(json_array_size(procs), 1);
	json_t *p = json_array_get(procs, 0);
	long long touched = 0, arenas = 0;
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(p, "sites"), i, s) {
		if (strcmp(it_str(s, "family"), "mmap") != 0)
			continue;
		touched += it_int(s, "touched_bytes");
		arenas += it_int(s, "blocks");
		/* inside the interpreter: frame 0 is in python's own image */
		json_t *f0 = json_array_get(json_object_get(s, "frames"), 0);
		ck_assert_ptr_nonnull(strstr(it_str(f0, "module"), "python"));
	}
	long long growth = it_int(p, "peak_anon_rss_bytes") -
			   it_int(p, "baseline_anon_rss_bytes");
	ck_assert_int_ge(arenas, 100);
	ck_assert_msg(fabs((double)touched - (double)growth) <= 0.10 * (double)growth,
		      "arenas touched %lld, anonymous growth %lld", touched,
		      growth);
	json_decref(procs);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("maps");
	TCase *tc = tcase_create("maps");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_maps_anonymous_unmap_and_remap);
	tcase_add_test(tc, test_maps_reserved_committed_touched);
	tcase_add_test(tc, test_maps_small_exact);
	tcase_add_test(tc, test_maps_small_sampled);
	tcase_add_test(tc, test_maps_through_jemalloc);
	tcase_add_test(tc, test_maps_cpython_arenas);
	suite_add_tcase(s, tc);
	return it_main(s);
}
