/* Per-site figures of `ovc report --json` for programs with known sites:
 * three sites touching all, none and a quarter of their blocks (found by
 * function and file:line), a calloc never written, a C++ member function
 * (demangled), a site in a plugin closed with dlclose before exit, and
 * deep stacks of optimised code, a thread's and a signal handler's. */
#include "sites-helpers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Checks the one site of sites.c allocated by FN: NBLOCKS blocks of
 * BLOCK_MIB, half of them freed, TOUCHED of each written. */
static void check_site(json_t *p, const char *fn, long long block_mib,
		       double touched)
{
	json_t *found = st_sites_at(p, fn), *site, *f0, *f1;
	long long line = st_marked_line("sites.c", fn);
	double ratio;

	if (json_array_size(found) != 1) {
		char *text = it_dump(it_get(p, "sites"));
		ck_abort_msg("%zu sites with %s as frames[0], expected 1; "
			     "sites:\n%.8000s", json_array_size(found), fn, text);
	}
	site = json_array_get(found, 0);
	f0 = json_array_get(json_object_get(site, "frames"), 0);
	f1 = json_array_get(json_object_get(site, "frames"), 1);
	/* Where: the malloc call in FN, called by main. */
	ck_assert_str_eq(st_base(it_str(f0, "file")), "sites.c");
	ck_assert_msg(it_int(f0, "line") == line, "%s: line %lld, expected %lld",
		      fn, it_int(f0, "line"), line);
	ck_assert_str_eq(st_base(it_str(f0, "module")), "sites");
	ck_assert(json_is_null(json_object_get(f0, "problem")));
	ck_assert_str_eq(it_str(f1, "function"), "main");
	ck_assert_str_eq(st_base(it_str(f1, "file")), "sites.c");
	/* How much: 4 blocks, all live at once, 2 freed; exact (large). */
	ck_assert_int_eq(it_int(site, "blocks"), 4);
	ck_assert_int_eq(it_int(site, "requested_bytes"), 4 * block_mib * IT_MIB);
	ck_assert_int_eq(it_int(site, "peak_live_bytes"), 4 * block_mib * IT_MIB);
	ck_assert_int_eq(it_int(site, "live_bytes"), 2 * block_mib * IT_MIB);
	ck_assert(json_is_false(json_object_get(site, "estimated")));
	ck_assert(json_is_false(json_object_get(site, "sampled")));
	ck_assert_int_eq(it_int(site, "unprobed_bytes"), 0);
	/* Touched: measured by the kernel, so within a page or a huge page
	 * per block of the fraction written. */
	ratio = it_num(site, "touched_ratio");
	ck_assert_msg(fabs(ratio - touched) <= 0.03, "%s: touched_ratio %g, "
		      "expected %g", fn, ratio, touched);
	ck_assert_msg(llabs(it_int(site, "touched_bytes") -
			    (long long)(touched * 4 * block_mib * IT_MIB)) <=
		      (long long)(0.03 * 4 * block_mib * IT_MIB),
		      "%s: touched_bytes %lld", fn, it_int(site, "touched_bytes"));
	ck_assert_int_eq(it_int(site, "untouched_bytes"),
			 it_int(site, "requested_bytes") -
			 it_int(site, "touched_bytes"));
	json_decref(found);
}

/* sites: touch_all 4 x 64 MiB all written, touch_none 4 x 256 MiB never
 * written, touch_quarter 4 x 128 MiB a quarter written. Under `ovc run`. */
START_TEST(test_sites_three_ratios)
{
	char *dir = it_tempdir("sites");
	char *argv[] = { (char *)it_program("sites"), NULL };
	struct it_result r;

	it_ovc_run(dir, argv, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d, stderr:\n%s", r.code, r.err);
	ck_assert_str_eq(r.out, "sites: 4 blocks per site, 2 freed\n");

	json_t *report = st_report_all(dir);
	json_t *p = it_process(report, "sites");
	ck_assert_str_eq(it_str(p, "end.kind"), "exit");
	ck_assert_int_eq(it_int(p, "sites_omitted"), 0);
	check_site(p, "touch_all", 64, 1.0);
	check_site(p, "touch_none", 256, 0.0);
	check_site(p, "touch_quarter", 128, 0.25);
	/* Sorted most untouched first (the default): touch_none leads. */
	json_t *first = json_array_get(it_get(p, "sites"), 0);
	ck_assert_str_eq(it_str(json_array_get(json_object_get(first, "frames"),
					       0), "function"), "touch_none");
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* calloc-untouched: calloc(1, 1 GiB) twice from zeroed_gib(), never
 * written; one freed, one live at exit. */
START_TEST(test_sites_calloc_untouched)
{
	char *dir = it_tempdir("sites-calloc");
	json_t *p, *report = st_run_report(dir, "calloc-untouched", NULL, &p);
	json_t *found = st_sites_at(p, "zeroed_gib"), *site;
	long long line = st_marked_line("calloc-untouched.c", "zeroed_gib");
	size_t i;

	/* One site, or two when gcc unrolled the loop of two calls. */
	ck_assert_int_ge(json_array_size(found), 1);
	ck_assert_int_eq(st_sum(found, "requested_bytes"), 2 * IT_GIB);
	ck_assert_int_eq(st_sum(found, "blocks"), 2);
	ck_assert_int_eq(st_sum(found, "live_bytes"), IT_GIB);
	ck_assert_msg(st_sum(found, "touched_bytes") < 2 * IT_GIB / 100,
		      "touched_bytes %lld", st_sum(found, "touched_bytes"));
	json_array_foreach(found, i, site) {
		json_t *f0 = json_array_get(json_object_get(site, "frames"), 0);
		double ratio = it_num(site, "touched_ratio");
		ck_assert_msg(ratio < 0.01, "touched_ratio %g", ratio);
		ck_assert(json_is_false(json_object_get(site, "estimated")));
		ck_assert_str_eq(st_base(it_str(f0, "file")),
				 "calloc-untouched.c");
		ck_assert_int_eq(it_int(f0, "line"), line);
	}
	ck_assert_int_eq(it_int(p, "calls.calloc"), 2);
	json_decref(found);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* cxx-new: ovc_test::Arena::grow() takes 2 x 64 MiB with new char[]. The
 * innermost frames are libstdc++'s operator new; the site is found through
 * the demangled name further out. */
START_TEST(test_sites_cxx_demangled)
{
	char *dir = it_tempdir("sites-cxx");
	json_t *p, *report = st_run_report(dir, "cxx-new", NULL, &p);
	json_t *found = st_sites_through(p, "ovc_test::Arena::grow"), *site;
	long long line = st_marked_line("cxx-new.cpp", "ovc_test::Arena::grow");
	size_t i;

	if (json_array_size(found) == 0) {
		char *text = it_dump(it_get(p, "sites"));
		ck_abort_msg("no site through ovc_test::Arena::grow; sites:\n"
			     "%.8000s", text);
	}
	ck_assert_int_eq(st_sum(found, "requested_bytes"), 128 * IT_MIB);
	ck_assert_int_eq(st_sum(found, "blocks"), 2);
	ck_assert_int_eq(st_sum(found, "live_bytes"), 64 * IT_MIB);
	json_array_foreach(found, i, site) {
		json_t *f = st_frame(site, "ovc_test::Arena::grow");
		/* demangled in full, not "_ZN8ovc_test5Arena4growEv" */
		ck_assert_str_eq(it_str(f, "function"), "ovc_test::Arena::grow()");
		ck_assert_str_eq(st_base(it_str(f, "file")), "cxx-new.cpp");
		ck_assert_int_eq(it_int(f, "line"), line);
		/* operator new[] / operator new of libstdc++ lie inside it */
		ck_assert_msg(strstr(it_str(json_array_get(json_object_get(
			site, "frames"), 0), "function"), "operator new") != NULL,
			"frames[0] is not operator new");
	}
	json_decref(found);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* dlopen-plugin: plugin_alloc() of liballoc-plugin.so takes 2 x 32 MiB; the
 * plugin is dlclose'd (unmapped) before exit, one block still live. */
START_TEST(test_sites_dlclosed_plugin)
{
	char *dir = it_tempdir("sites-dlopen");
	char plugin[4096];
	json_t *p, *report, *found, *site;
	long long line = st_marked_line("alloc-plugin.c", "plugin_alloc");
	size_t i;

	snprintf(plugin, sizeof plugin, "%s/liballoc-plugin.so",
		 it_env("OVC_PROGRAMS"));
	report = st_run_report(dir, "dlopen-plugin", plugin, &p);
	found = st_sites_at(p, "plugin_alloc");
	if (json_array_size(found) == 0) {
		char *text = it_dump(it_get(p, "sites"));
		ck_abort_msg("no site at plugin_alloc; sites:\n%.8000s", text);
	}
	ck_assert_int_eq(st_sum(found, "requested_bytes"), 64 * IT_MIB);
	ck_assert_int_eq(st_sum(found, "blocks"), 2);
	ck_assert_int_eq(st_sum(found, "live_bytes"), 32 * IT_MIB);
	json_array_foreach(found, i, site) {
		json_t *frames = json_object_get(site, "frames");
		json_t *f0 = json_array_get(frames, 0);
		ck_assert_str_eq(st_base(it_str(f0, "file")), "alloc-plugin.c");
		ck_assert_int_eq(it_int(f0, "line"), line);
		ck_assert_str_eq(st_base(it_str(f0, "module")),
				 "liballoc-plugin.so");
		ck_assert(json_is_null(json_object_get(f0, "problem")));
		ck_assert_str_eq(it_str(json_array_get(frames, 1), "function"),
				 "main");
	}
	json_decref(found);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* The one site of deepstack's process P at FN (marked "site: FN"), of
 * BYTES; the array of it (the caller's reference). */
static json_t *deep_one_site(json_t *p, const char *fn, long long bytes)
{
	json_t *found = st_sites_at(p, fn);
	ck_assert_int_eq(json_array_size(found), 1);
	json_t *site = json_array_get(found, 0);
	ck_assert_int_eq(it_int(json_array_get(json_object_get(site, "frames"), 0),
				"line"), st_marked_line("deepstack.c", fn));
	ck_assert_int_eq(it_int(site, "requested_bytes"), bytes);
	return found;
}

/* deepstack (-O2, no frame pointers): 3 blocks of 1 MiB from main and 1
 * from a thread through 6 frames of deep (frames of several sizes, one with
 * alloca), 2 MiB in a signal handler on a sigaltstack and 3 MiB in a
 * coroutine on a stack mapped near the main one: every frame is there, in
 * order, at the exact sites, whether ovc's .eh_frame unwinder walked the
 * stack or handed it to libunwind. */
START_TEST(test_sites_deep_stacks)
{
	char *dir = it_tempdir("sites-deep");
	json_t *p, *report = st_run_report(dir, "deepstack", NULL, &p);
	json_t *found = st_sites_at(p, "leaf_alloc"), *site;
	long long line = st_marked_line("deepstack.c", "leaf_alloc");
	size_t i;
	int from_main = 0, from_thread = 0;

	if (json_array_size(found) != 2) {
		char *text = it_dump(it_get(p, "sites"));
		ck_abort_msg("%zu sites at leaf_alloc, expected 2; sites:\n"
			     "%.8000s", json_array_size(found), text);
	}
	json_array_foreach(found, i, site) {
		json_t *frames = json_object_get(site, "frames");
		const char *outer;
		ck_assert_int_eq(it_int(json_array_get(frames, 0), "line"), line);
		ck_assert_str_eq(it_str(json_array_get(frames, 1), "function"),
				 "with_alloca");
		for (size_t k = 2; k < 8; k++)
			ck_assert_str_eq(it_str(json_array_get(frames, k),
						"function"), "deep");
		outer = it_str(json_array_get(frames, 8), "function");
		if (strcmp(outer, "main") == 0) {
			from_main++;
			ck_assert_int_eq(it_int(site, "blocks"), 3);
			ck_assert_int_eq(it_int(site, "requested_bytes"), 3 * IT_MIB);
		} else {
			ck_assert_str_eq(outer, "thread_main");
			from_thread++;
			ck_assert_int_eq(it_int(site, "blocks"), 1);
			ck_assert_int_eq(it_int(site, "requested_bytes"), IT_MIB);
		}
		ck_assert_int_eq(it_int(site, "live_bytes"), 0);
	}
	ck_assert_int_eq(from_main, 1);
	ck_assert_int_eq(from_thread, 1);
	json_decref(found);
	found = deep_one_site(p, "on_signal", 2 * IT_MIB);
	st_frame(json_array_get(found, 0), "main"); /* through the signal frame */
	json_decref(found);
	/* A coroutine on a stack mapped 16 MiB below the main one's top, an
	 * unmapped gap between: not taken for the main stack (the unwinder
	 * reads stack words up to the end of the stack it found), its site
	 * whole. */
	json_decref(deep_one_site(p, "in_coroutine", 3 * IT_MIB));
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sites");
	TCase *tc = tcase_create("sites");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_sites_three_ratios);
	tcase_add_test(tc, test_sites_calloc_untouched);
	tcase_add_test(tc, test_sites_cxx_demangled);
	tcase_add_test(tc, test_sites_dlclosed_plugin);
	tcase_add_test(tc, test_sites_deep_stacks);
	suite_add_tcase(s, tc);
	return it_main(s);
}
