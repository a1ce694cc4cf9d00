/* Unit tests of allocation sites as read: mod/site/ss records
 * (cli/read/rec-sites.c), their figures and ranking (cli/read/figures.c),
 * frame names and the symbolizer (cli/read/frames.c, symbolize.c). Their
 * renderers are tested in render/test-render-sites.c. */
#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "read/frames.h"
#include "read/logread.h"
#include "read/model.h"
#include "fixture.h"
#include "read/symbolize.h"

#define MIB ((int64_t)1 << 20)

#define PROC                                                                   \
	"{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":1,\"pid\":100,"    \
	"\"ppid\":99,\"exe\":\"/opt/app/bin/app\",\"argv\":[\"app\"],"        \
	"\"run\":\"r1\",\"origin\":\"start\",\"start_unix_ns\":1000}\n"
#define MOD0                                                                   \
	"{\"t\":\"mod\",\"id\":0,\"path\":\"/nonexistent/app\",\"base\":4096," \
	"\"lo\":4096,\"hi\":8192,\"build_id\":\"abcd\"}\n"
#define MOD3                                                                   \
	"{\"t\":\"mod\",\"id\":3,\"path\":\"/nonexistent/libc.so.6\","         \
	"\"base\":0,\"lo\":0,\"hi\":1,\"build_id\":\"\"}\n"
#define SS(id, req, live, touched, unprobed)                                   \
	"{\"t\":\"ss\",\"ns\":5,\"id\":" #id ",\"blocks\":2,\"requested\":"   \
	#req ",\"live\":" #live ",\"peak_live\":" #req ",\"touched\":"         \
	#touched ",\"unprobed\":" #unprobed                                    \
	",\"sampled\":false,\"shared_pages\":false}\n"

static void setup(void)
{
	fx_setup_named("sites");
}

/* Writes TEXT as a log and reads it into fx_model; returns the process. */
static struct ovc_proc *read_log(const char *text)
{
	fx_read_log("ovc.100.0.jsonl", text);
	fflush(fx_err);
	ck_assert_uint_eq(fx_model->nprocs, 1);
	ovc_model_link(fx_model);
	return fx_model->procs[0];
}

START_TEST(test_sites_read_records)
{
	struct ovc_proc *p = read_log(
		PROC MOD0 MOD3
		"{\"t\":\"site\",\"id\":7,\"frames\":[[0,4468],[3,160330],"
		"[-1,99999]]}\n" SS(7, 100, 100, 10, 0)
		SS(7, 400, 300, 100, 0)
		"{\"t\":\"end\",\"ns\":9,\"kind\":\"exit\",\"code\":0}\n");
	ck_assert_uint_eq(fx_errlen, 0);
	ck_assert_uint_eq(p->nmodules, 2);
	const struct ovc_module *mod = ovc_proc_module(p, 3);
	ck_assert_ptr_nonnull(mod);
	ck_assert_str_eq(mod->path, "/nonexistent/libc.so.6");
	ck_assert_str_eq(ovc_proc_module(p, 0)->build_id, "abcd");
	ck_assert_int_eq(ovc_proc_module(p, 0)->base, 4096);
	ck_assert_ptr_null(ovc_proc_module(p, 1));
	ck_assert_uint_eq(p->nsites, 1);
	struct ovc_site *s = ovc_proc_site(p, 7);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->nframes, 3);
	ck_assert_int_eq(s->frames[0].mod, 0);
	ck_assert_uint_eq(s->frames[0].offset, 4468);
	ck_assert_int_eq(s->frames[2].mod, -1);
	ck_assert_uint_eq(s->frames[2].offset, 99999);
	/* The last ss record holds the totals. */
	ck_assert(s->has_figures);
	ck_assert_int_eq(s->requested_bytes, 400);
	ck_assert_int_eq(s->live_bytes, 300);
	ck_assert_int_eq(s->touched_bytes, 100);
	ck_assert_int_eq(s->blocks, 2);
	/* ss records do not spoil how the image ended. */
	ck_assert_int_eq(p->end_kind, OVC_END_EXIT);
}
END_TEST

/* A site's reused bytes (resident when its blocks were allocated) are read
 * apart from touched and kept out of it; logs without them read as 0. */
START_TEST(test_sites_reused)
{
	struct ovc_proc *p = read_log(
		PROC MOD0
		"{\"t\":\"site\",\"id\":1,\"frames\":[[0,4468]]}\n"
		"{\"t\":\"site\",\"id\":2,\"frames\":[[0,4470]]}\n"
		"{\"t\":\"ss\",\"ns\":5,\"id\":1,\"blocks\":1,"
		"\"requested\":1048576,\"live\":1048576,\"peak_live\":1048576,"
		"\"touched\":0,\"reused\":1048576,\"unprobed\":0}\n"
		"{\"t\":\"ss\",\"ns\":5,\"id\":2,\"blocks\":1,"
		"\"requested\":4096,\"touched\":4096}\n"
		"{\"t\":\"ss\",\"id\":2,\"reused\":-1}\n");
	ck_assert_uint_eq(p->bad_lines, 1);
	struct ovc_site_figures f;
	ovc_site_figures(ovc_proc_site(p, 1), &f);
	ck_assert_int_eq(f.reused_bytes, MIB);
	ck_assert_int_eq(f.touched_bytes, 0);
	ck_assert_int_eq(f.untouched_bytes, MIB);
	ck_assert(!f.estimated);
	ovc_site_figures(ovc_proc_site(p, 2), &f);
	ck_assert_int_eq(f.reused_bytes, 0);
	ck_assert_int_eq(f.touched_bytes, 4096);
}
END_TEST

/* `lazyfree_shared`: MADV_FREE'd pages shared out among the blocks of one
 * VMA make the site's figures estimates; absent (older logs) or false,
 * they stay exact; not a bool, the line is bad. */
START_TEST(test_sites_lazyfree_shared)
{
	struct ovc_proc *p = read_log(
		PROC MOD0
		"{\"t\":\"site\",\"id\":1,\"frames\":[[0,4468]]}\n"
		"{\"t\":\"site\",\"id\":2,\"frames\":[[0,4470]]}\n"
		"{\"t\":\"ss\",\"ns\":5,\"id\":1,\"blocks\":1,"
		"\"requested\":1048576,\"touched\":524288,"
		"\"lazyfree_shared\":true}\n"
		"{\"t\":\"ss\",\"ns\":5,\"id\":2,\"blocks\":1,"
		"\"requested\":1048576,\"touched\":0}\n"
		"{\"t\":\"ss\",\"ns\":6,\"id\":2,\"blocks\":1,"
		"\"requested\":1048576,\"touched\":0,\"lazyfree_shared\":1}\n");
	ck_assert_uint_eq(p->bad_lines, 1);
	struct ovc_site_figures f;
	ovc_site_figures(ovc_proc_site(p, 1), &f);
	ck_assert(ovc_proc_site(p, 1)->lazyfree_shared);
	ck_assert(f.estimated);
	ck_assert_int_eq(f.touched_bytes, MIB / 2);
	ovc_site_figures(ovc_proc_site(p, 2), &f);
	ck_assert(!ovc_proc_site(p, 2)->lazyfree_shared);
	ck_assert(!f.estimated);
}
END_TEST

START_TEST(test_sites_unknown_ids_warn_once)
{
	struct ovc_proc *p = read_log(
		PROC MOD0 SS(5, 1, 1, 1, 0) SS(6, 1, 1, 1, 0)
		"{\"t\":\"site\",\"id\":1,\"frames\":[[9,1]]}\n"
		"{\"t\":\"site\",\"id\":2,\"frames\":[[8,1]]}\n"
		"{\"t\":\"site\",\"id\":1,\"frames\":[[0,5]]}\n"
		"{\"t\":\"site\",\"id\":1,\"frames\":[[0,6]]}\n"
		SS(1, 50, 50, 0, 0));
	ck_assert_uint_eq(fx_count(fx_errbuf, "no \"site\" record"), 1);
	ck_assert_uint_eq(fx_count(fx_errbuf, "no \"mod\" record"), 1);
	ck_assert_uint_eq(fx_count(fx_errbuf, "defined again"), 1);
	ck_assert_uint_eq(fx_count(fx_errbuf, "ovc.100.0.jsonl:3:"), 1);
	ck_assert_uint_eq(p->bad_lines, 0);
	ck_assert_uint_eq(p->nsites, 2);
	/* The first definition of site 1 stands. */
	ck_assert_int_eq(ovc_proc_site(p, 1)->frames[0].mod, 9);
	ck_assert_int_eq(ovc_proc_site(p, 1)->requested_bytes, 50);
	ck_assert(!ovc_proc_site(p, 2)->has_figures);
	/* A frame of a module without record is named by its id. */
	struct ovc_frame_info fi;
	char buf[64];
	ovc_frame_describe(NULL, p, &ovc_proc_site(p, 1)->frames[0], &fi);
	ck_assert_ptr_null(fi.module);
	ck_assert_ptr_nonnull(fi.problem);
	ck_assert_str_eq(ovc_frame_label(&fi, buf, sizeof buf), "module9+0x1");
}
END_TEST

START_TEST(test_sites_bad_records)
{
	struct ovc_proc *p = read_log(
		PROC MOD0
		"{\"t\":\"site\",\"id\":1,\"frames\":[[0]]}\n"
		"{\"t\":\"site\",\"id\":2,\"frames\":[[0,-4]]}\n"
		"{\"t\":\"site\",\"id\":3,\"frames\":\"x\"}\n"
		"{\"t\":\"site\",\"frames\":[]}\n"
		"{\"t\":\"mod\",\"id\":1,\"path\":\"/x\",\"build_id\":\"zz\"}\n"
		"{\"t\":\"site\",\"id\":4,\"frames\":[]}\n"
		"{\"t\":\"ss\",\"id\":4,\"requested\":-1}\n"
		"{\"t\":\"ss\",\"id\":4,\"requested\":5,\"sampled\":1}\n");
	ck_assert_uint_eq(p->bad_lines, 7);
	ck_assert_uint_eq(p->nsites, 1);
	ck_assert_uint_eq(p->nmodules, 1);
	ck_assert(!ovc_proc_site(p, 4)->has_figures);
}
END_TEST

START_TEST(test_sites_frame_cap)
{
	char *text = malloc(64 * 1024);
	ck_assert_ptr_nonnull(text);
	size_t o = (size_t)sprintf(text, "%s%s{\"t\":\"site\",\"id\":1,"
					 "\"frames\":[",
				   PROC, MOD0);
	for (int i = 0; i < 300; i++)
		o += (size_t)sprintf(text + o, "%s[0,%d]", i ? "," : "", i);
	sprintf(text + o, "]}\n" SS(1, 10, 10, 0, 0));
	struct ovc_proc *p = read_log(text);
	free(text);
	struct ovc_site *s = ovc_proc_site(p, 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->nframes, OVC_MAX_FRAMES);
	ck_assert_uint_eq(s->frames_dropped, 300 - OVC_MAX_FRAMES);
	/* The innermost frames are the ones kept. */
	ck_assert_uint_eq(s->frames[0].offset, 0);
	ck_assert_uint_eq(s->frames[255].offset, 255);
}
END_TEST

START_TEST(test_sites_site_cap)
{
	struct ovc_proc *p = fx_new_proc("/bin/a");
	struct ovc_frame f = {0, 1};
	bool dup;
	for (int64_t i = 0; i < OVC_MAX_SITES; i++)
		ck_assert_ptr_nonnull(ovc_proc_add_site(p, i * 7, &f, 1, &dup));
	ck_assert_ptr_null(ovc_proc_add_site(p, -5, &f, 1, &dup));
	ck_assert(!dup);
	ck_assert_uint_eq(p->sites_dropped, 1);
	ck_assert_ptr_null(ovc_proc_add_site(p, 7, &f, 1, &dup));
	ck_assert(dup);
	ck_assert_uint_eq(p->nsites, OVC_MAX_SITES);
	/* Every one is found by its id, through all the index's growth. */
	for (int64_t i = 0; i < OVC_MAX_SITES; i += 997)
		ck_assert_int_eq(ovc_proc_site(p, i * 7)->id, i * 7);
	ck_assert_ptr_null(ovc_proc_site(p, 8));
}
END_TEST

START_TEST(test_sites_figures_exact)
{
	struct ovc_proc *p = fx_new_proc("/bin/a");
	struct ovc_site *s = fx_add_site(p, 1, 512 * MIB, 128 * MIB, 0);
	struct ovc_site_figures f;
	ovc_site_figures(s, &f);
	ck_assert(!f.estimated);
	ck_assert(f.has_ratio);
	ck_assert_double_eq_tol(f.touched_ratio, 0.25, 1e-12);
	ck_assert_int_eq(f.touched_bytes, 128 * MIB);
	ck_assert_int_eq(f.untouched_bytes, 384 * MIB);
}
END_TEST

START_TEST(test_sites_figures_extrapolated)
{
	struct ovc_proc *p = fx_new_proc("/bin/a");
	/* 400 requested, 200 of it never probed; the probed 200 are half
	 * touched, so the unprobed fx_count as half touched too. */
	struct ovc_site *s = fx_add_site(p, 1, 400, 100, 200);
	struct ovc_site_figures f;
	ovc_site_figures(s, &f);
	ck_assert(f.estimated);
	ck_assert_int_eq(f.touched_bytes, 200);
	ck_assert_int_eq(f.untouched_bytes, 200);
	ck_assert_double_eq_tol(f.touched_ratio, 0.5, 1e-12);

	/* Nothing probed: the measured figure stands, marked estimated. */
	s = fx_add_site(p, 2, 400, 0, 400);
	ovc_site_figures(s, &f);
	ck_assert(f.estimated);
	ck_assert_int_eq(f.touched_bytes, 0);
	ck_assert_int_eq(f.untouched_bytes, 400);
}
END_TEST

START_TEST(test_sites_figures_flags_and_clamps)
{
	struct ovc_proc *p = fx_new_proc("/bin/a");
	struct ovc_site_figures f;
	struct ovc_site *s = fx_add_site(p, 1, 100, 100, 0);
	s->sampled = true;
	ovc_site_figures(s, &f);
	ck_assert(f.estimated);
	s = fx_add_site(p, 2, 100, 100, 0);
	s->shared_pages = true;
	ovc_site_figures(s, &f);
	ck_assert(f.estimated);
	/* Shared pages can make touched exceed requested: clamped. */
	s = fx_add_site(p, 3, 100, 250, 0);
	ovc_site_figures(s, &f);
	ck_assert_int_eq(f.touched_bytes, 100);
	ck_assert_int_eq(f.untouched_bytes, 0);
	ck_assert_double_eq(f.touched_ratio, 1.0);
	/* Unprobed beyond requested (a bad log): no ratio above 1. */
	s = fx_add_site(p, 4, 100, 50, 900);
	ovc_site_figures(s, &f);
	ck_assert_int_le(f.touched_bytes, 100);
	ck_assert(f.touched_ratio <= 1.0);
	s = fx_add_site(p, 5, 0, 0, 0);
	ovc_site_figures(s, &f);
	ck_assert(!f.has_ratio);
	ck_assert_int_eq(f.untouched_bytes, 0);
}
END_TEST

START_TEST(test_sites_rank)
{
	struct ovc_proc *p = fx_new_proc("/bin/a");
	fx_add_site(p, 10, 64 * MIB, 64 * MIB, 0);   /* all touched */
	fx_add_site(p, 11, 256 * MIB, 0, 0);         /* none touched */
	fx_add_site(p, 12, 512 * MIB, 128 * MIB, 0); /* a quarter */
	fx_add_site(p, 13, 0, 0, 0);                 /* nothing requested */
	bool dup;
	struct ovc_frame fr = {0, 1};
	ovc_proc_add_site(p, 14, &fr, 1, &dup); /* no figures: not ranked */
	size_t order[5];
	size_t n = ovc_proc_rank_sites(p, OVC_SORT_UNTOUCHED, order);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(p->sites[order[0]].id, 12);
	ck_assert_int_eq(p->sites[order[1]].id, 11);
	n = ovc_proc_rank_sites(p, OVC_SORT_REQUESTED, order);
	ck_assert_int_eq(p->sites[order[0]].id, 12);
	ck_assert_int_eq(p->sites[order[1]].id, 11);
	ck_assert_int_eq(p->sites[order[2]].id, 10);
	n = ovc_proc_rank_sites(p, OVC_SORT_TOUCHED, order);
	ck_assert_int_eq(p->sites[order[0]].id, 12);
	ck_assert_int_eq(p->sites[order[1]].id, 10);
	n = ovc_proc_rank_sites(p, OVC_SORT_RATIO, order);
	ck_assert_int_eq(p->sites[order[0]].id, 11);
	ck_assert_int_eq(p->sites[order[1]].id, 12);
	ck_assert_int_eq(p->sites[order[2]].id, 10);
	ck_assert_int_eq(p->sites[order[3]].id, 13); /* no ratio: last */

	enum ovc_site_sort k;
	ck_assert(ovc_site_sort_parse("ratio", &k));
	ck_assert_int_eq(k, OVC_SORT_RATIO);
	ck_assert(ovc_site_sort_parse("requested", &k));
	ck_assert_int_eq(k, OVC_SORT_REQUESTED);
	ck_assert(!ovc_site_sort_parse("Ratio", &k));
	ck_assert(!ovc_site_sort_parse("", &k));
	ck_assert_str_eq(ovc_site_sort_name(OVC_SORT_TOUCHED), "touched");
}
END_TEST

/* Something to find in this very program. */
__attribute__((noinline)) int ovc_test_marker_function(int x);
__attribute__((noinline)) int ovc_test_marker_function(int x)
{
	return x * 3 + 1;
}

START_TEST(test_sites_symbolize_self)
{
	Dl_info info;
	void *addr = (void *)(uintptr_t)&ovc_test_marker_function;
	ck_assert(dladdr(addr, &info));
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	/* A return address inside the function: the lookup takes one off. */
	uint64_t off = (uint64_t)((uintptr_t)addr - (uintptr_t)info.dli_fbase) + 2;
	struct ovc_symbolizer *s = ovc_sym_new();
	ck_assert_ptr_nonnull(s);
	struct ovc_sym out;
	ovc_sym_lookup(s, exe, "", off, &out);
	ck_assert_ptr_nonnull(out.function);
	ck_assert_str_eq(out.function, "ovc_test_marker_function");
	ck_assert_ptr_null(out.problem);
	/* Cached: the same answer again. */
	struct ovc_sym again;
	ovc_sym_lookup(s, exe, "", off, &again);
	ck_assert_str_eq(again.function, "ovc_test_marker_function");
	/* Another build id: the file is not the one that ran. */
	ovc_sym_lookup(s, exe, "00112233445566778899", off, &out);
	ck_assert_ptr_null(out.function);
	ck_assert_ptr_nonnull(strstr(out.problem, "changed"));
	/* Gone. */
	ovc_sym_lookup(s, "/nonexistent/lib.so", "", off, &out);
	ck_assert_ptr_null(out.function);
	ck_assert_ptr_nonnull(strstr(out.problem, "not found"));
	/* Not a regular file: never opened (a FIFO would block). */
	ovc_sym_lookup(s, "/dev/null", "", off, &out);
	ck_assert_ptr_null(out.function);
	ck_assert_ptr_nonnull(out.problem);
	ovc_sym_free(s);
	ck_assert_int_eq(ovc_test_marker_function(1), 4);
}
END_TEST

START_TEST(test_sites_frame_labels)
{
	struct ovc_proc *p = fx_new_proc("/bin/a");
	struct ovc_module mod = {.id = 2, .path = "/usr/lib/libz.so.1",
				 .build_id = "", .base = 0};
	ck_assert_int_eq(ovc_proc_add_module(p, &mod), 1);
	ck_assert_int_eq(ovc_proc_add_module(p, &mod), 0);
	struct ovc_frame_info fi;
	char buf[64];
	struct ovc_frame f = {2, 0x1a2b};
	ovc_frame_describe(NULL, p, &f, &fi);
	ck_assert_str_eq(fi.module_name, "libz.so.1");
	ck_assert_str_eq(ovc_frame_label(&fi, buf, sizeof buf),
			 "libz.so.1+0x1a2b");
	f = (struct ovc_frame){-1, 0x7fff0000};
	ovc_frame_describe(NULL, p, &f, &fi);
	ck_assert_str_eq(ovc_frame_label(&fi, buf, sizeof buf), "0x7fff0000");
	ck_assert_ptr_nonnull(fi.problem);
}
END_TEST

static Suite *sites_suite(void)
{
	Suite *s = suite_create("sites");
	TCase *tc = tcase_create("sites");
	tcase_add_checked_fixture(tc, setup, fx_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sites_read_records);
	tcase_add_test(tc, test_sites_reused);
	tcase_add_test(tc, test_sites_lazyfree_shared);
	tcase_add_test(tc, test_sites_unknown_ids_warn_once);
	tcase_add_test(tc, test_sites_bad_records);
	tcase_add_test(tc, test_sites_frame_cap);
	tcase_add_test(tc, test_sites_site_cap);
	tcase_add_test(tc, test_sites_figures_exact);
	tcase_add_test(tc, test_sites_figures_extrapolated);
	tcase_add_test(tc, test_sites_figures_flags_and_clamps);
	tcase_add_test(tc, test_sites_rank);
	tcase_add_test(tc, test_sites_symbolize_self);
	tcase_add_test(tc, test_sites_frame_labels);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sites_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
