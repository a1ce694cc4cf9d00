/* Unit tests of allocation sites: reading mod/site/ss records
 * (cli/read/logread.c), their figures and ranking (cli/read/model.c), frame names and
 * the symbolizer (cli/read/frames.c, cli/read/symbolize.c) and the renderers of
 * sites: text, JSON and folded stacks. */
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
#include "render/render.h"
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
	char path[512];
	snprintf(path, sizeof path, "%s/ovc.100.0.jsonl", fx_dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	struct ovc_read_opts o = {.err = fx_err};
	ck_assert_int_eq(ovc_logread_file(fx_model, path, &o), OVC_READ_OK);
	fflush(fx_err);
	ck_assert_uint_eq(fx_model->nprocs, 1);
	ovc_model_link(fx_model);
	return fx_model->procs[0];
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* A process of fx_model with a site of id ID and figures, frames in module 0. */
static struct ovc_site *add_site(struct ovc_proc *p, int64_t id, int64_t req,
				 int64_t touched, int64_t unprobed)
{
	struct ovc_frame fr[2] = {{0, (uint64_t)(0x100 + id)}, {0, 0x900}};
	bool dup;
	struct ovc_site *s = ovc_proc_add_site(p, id, fr, 2, &dup);
	ck_assert_ptr_nonnull(s);
	s->has_figures = true;
	s->blocks = 1;
	s->requested_bytes = req;
	s->live_bytes = req;
	s->peak_live_bytes = req;
	s->touched_bytes = touched;
	s->unprobed_bytes = unprobed;
	return s;
}

static struct ovc_proc *new_proc(const char *exe)
{
	struct ovc_proc *p = ovc_proc_create("ovc.1.0.jsonl");
	ck_assert_ptr_nonnull(p);
	free(p->exe);
	p->exe = strdup(exe);
	ck_assert(ovc_model_add_proc(fx_model, p));
	return p;
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

START_TEST(test_sites_unknown_ids_warn_once)
{
	struct ovc_proc *p = read_log(
		PROC MOD0 SS(5, 1, 1, 1, 0) SS(6, 1, 1, 1, 0)
		"{\"t\":\"site\",\"id\":1,\"frames\":[[9,1]]}\n"
		"{\"t\":\"site\",\"id\":2,\"frames\":[[8,1]]}\n"
		"{\"t\":\"site\",\"id\":1,\"frames\":[[0,5]]}\n"
		"{\"t\":\"site\",\"id\":1,\"frames\":[[0,6]]}\n"
		SS(1, 50, 50, 0, 0));
	ck_assert_uint_eq(count(fx_errbuf, "no \"site\" record"), 1);
	ck_assert_uint_eq(count(fx_errbuf, "no \"mod\" record"), 1);
	ck_assert_uint_eq(count(fx_errbuf, "defined again"), 1);
	ck_assert_uint_eq(count(fx_errbuf, "ovc.100.0.jsonl:3:"), 1);
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
	struct ovc_proc *p = new_proc("/bin/a");
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
	struct ovc_proc *p = new_proc("/bin/a");
	struct ovc_site *s = add_site(p, 1, 512 * MIB, 128 * MIB, 0);
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
	struct ovc_proc *p = new_proc("/bin/a");
	/* 400 requested, 200 of it never probed; the probed 200 are half
	 * touched, so the unprobed count as half touched too. */
	struct ovc_site *s = add_site(p, 1, 400, 100, 200);
	struct ovc_site_figures f;
	ovc_site_figures(s, &f);
	ck_assert(f.estimated);
	ck_assert_int_eq(f.touched_bytes, 200);
	ck_assert_int_eq(f.untouched_bytes, 200);
	ck_assert_double_eq_tol(f.touched_ratio, 0.5, 1e-12);

	/* Nothing probed: the measured figure stands, marked estimated. */
	s = add_site(p, 2, 400, 0, 400);
	ovc_site_figures(s, &f);
	ck_assert(f.estimated);
	ck_assert_int_eq(f.touched_bytes, 0);
	ck_assert_int_eq(f.untouched_bytes, 400);
}
END_TEST

START_TEST(test_sites_figures_flags_and_clamps)
{
	struct ovc_proc *p = new_proc("/bin/a");
	struct ovc_site_figures f;
	struct ovc_site *s = add_site(p, 1, 100, 100, 0);
	s->sampled = true;
	ovc_site_figures(s, &f);
	ck_assert(f.estimated);
	s = add_site(p, 2, 100, 100, 0);
	s->shared_pages = true;
	ovc_site_figures(s, &f);
	ck_assert(f.estimated);
	/* Shared pages can make touched exceed requested: clamped. */
	s = add_site(p, 3, 100, 250, 0);
	ovc_site_figures(s, &f);
	ck_assert_int_eq(f.touched_bytes, 100);
	ck_assert_int_eq(f.untouched_bytes, 0);
	ck_assert_double_eq(f.touched_ratio, 1.0);
	/* Unprobed beyond requested (a bad log): no ratio above 1. */
	s = add_site(p, 4, 100, 50, 900);
	ovc_site_figures(s, &f);
	ck_assert_int_le(f.touched_bytes, 100);
	ck_assert(f.touched_ratio <= 1.0);
	s = add_site(p, 5, 0, 0, 0);
	ovc_site_figures(s, &f);
	ck_assert(!f.has_ratio);
	ck_assert_int_eq(f.untouched_bytes, 0);
}
END_TEST

START_TEST(test_sites_rank)
{
	struct ovc_proc *p = new_proc("/bin/a");
	add_site(p, 10, 64 * MIB, 64 * MIB, 0);   /* all touched */
	add_site(p, 11, 256 * MIB, 0, 0);         /* none touched */
	add_site(p, 12, 512 * MIB, 128 * MIB, 0); /* a quarter */
	add_site(p, 13, 0, 0, 0);                 /* nothing requested */
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
	struct ovc_proc *p = new_proc("/bin/a");
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

/* Renders the folded stacks of fx_model with WEIGHT into a string (caller frees). */
static char *flame(enum ovc_flame_weight weight)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert(ovc_render_flame(fx_model, f, weight, NULL));
	fclose(f);
	return s;
}

START_TEST(test_sites_flame)
{
	struct ovc_proc *p = new_proc("/opt/bin/my;app");
	struct ovc_module mod = {.id = 0, .path = "/x/a;b\nc.so",
				 .build_id = "", .base = 0};
	ck_assert_int_eq(ovc_proc_add_module(p, &mod), 1);
	bool dup;
	struct ovc_frame fr[3] = {{0, 0x10}, {0, 0x20}, {0, 0x30}};
	struct ovc_site *s = ovc_proc_add_site(p, 1, fr, 3, &dup);
	s->has_figures = true;
	s->requested_bytes = 1000;
	s->touched_bytes = 250;
	/* Same stack in another image of the same program: merged. */
	struct ovc_proc *q = new_proc("/opt/bin/my;app");
	ck_assert_int_eq(ovc_proc_add_module(q, &mod), 1);
	s = ovc_proc_add_site(q, 9, fr, 3, &dup);
	s->has_figures = true;
	s->requested_bytes = 100;
	s->touched_bytes = 0;
	/* All touched: weighs nothing by untouched bytes. */
	s = ovc_proc_add_site(q, 10, fr + 1, 2, &dup);
	s->has_figures = true;
	s->requested_bytes = 100;
	s->touched_bytes = 100;

	char *out = flame(OVC_WEIGHT_UNTOUCHED);
	ck_assert_str_eq(out, "my_app;a_b_c.so+0x30;a_b_c.so+0x20;"
			      "a_b_c.so+0x10 850\n");
	free(out);
	out = flame(OVC_WEIGHT_TOUCHED);
	ck_assert_str_eq(out, "my_app;a_b_c.so+0x30;a_b_c.so+0x20 100\n"
			      "my_app;a_b_c.so+0x30;a_b_c.so+0x20;"
			      "a_b_c.so+0x10 250\n");
	free(out);
	out = flame(OVC_WEIGHT_REQUESTED);
	ck_assert_uint_eq(count(out, "\n"), 2);
	ck_assert_ptr_nonnull(strstr(out, "a_b_c.so+0x10 1100\n"));
	free(out);
}
END_TEST

START_TEST(test_sites_json)
{
	struct ovc_proc *p = new_proc("/bin/a");
	struct ovc_module mod = {.id = 0, .path = "/nonexistent/a",
				 .build_id = "beef", .base = 0};
	ovc_proc_add_module(p, &mod);
	add_site(p, 1, 100, 100, 0);
	add_site(p, 2, 300, 0, 0);
	struct ovc_site *s = add_site(p, 3, 200, 50, 0);
	s->sampled = true;
	ovc_model_link(fx_model);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct ovc_render_opts o = {.top_set = true, .top_sites = 2};
	ck_assert(ovc_render_json(fx_model, f, &o));
	fclose(f);
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);
	free(text);
	ck_assert_ptr_nonnull(doc);
	json_t *proc = json_array_get(json_object_get(doc, "processes"), 0);
	json_t *sites = json_object_get(proc, "sites");
	ck_assert_uint_eq(json_array_size(sites), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(proc, "sites_omitted")), 1);
	json_t *s0 = json_array_get(sites, 0), *s1 = json_array_get(sites, 1);
	ck_assert_int_eq(json_integer_value(json_object_get(s0, "id")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(s0, "requested_bytes")), 300);
	ck_assert_int_eq(json_integer_value(json_object_get(s0, "touched_bytes")), 0);
	ck_assert_double_eq(json_real_value(json_object_get(s0, "touched_ratio")), 0.0);
	ck_assert(json_is_false(json_object_get(s0, "estimated")));
	ck_assert_int_eq(json_integer_value(json_object_get(s1, "id")), 3);
	ck_assert(json_is_true(json_object_get(s1, "estimated")));
	ck_assert_int_eq(json_integer_value(json_object_get(s1, "peak_live_bytes")), 200);
	ck_assert_int_eq(json_integer_value(json_object_get(s1, "blocks")), 1);
	json_t *fr = json_array_get(json_object_get(s0, "frames"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(fr, "module")), "/nonexistent/a");
	ck_assert_int_eq(json_integer_value(json_object_get(fr, "offset")), 0x102);
	ck_assert(json_is_null(json_object_get(fr, "function")));
	ck_assert(json_is_null(json_object_get(fr, "file")));
	ck_assert(json_is_null(json_object_get(fr, "line")));
	ck_assert(json_is_string(json_object_get(fr, "problem")));
	json_decref(doc);
}
END_TEST

START_TEST(test_sites_text)
{
	struct ovc_proc *p = new_proc("/bin/a");
	for (int i = 0; i < 5; i++)
		add_site(p, i, (i + 1) * MIB, 0, 0);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct ovc_render_opts o = {.top_set = true, .top_sites = 2,
				    .frames_set = true, .max_frames = 1};
	ovc_render_text_sites(p, f, &o, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "2 of 5"));
	/* Largest first; one frame each, the other counted. */
	char *a = strstr(text, "5.0 MiB"), *b = strstr(text, "4.0 MiB");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(a < b);
	ck_assert_ptr_null(strstr(text, "3.0 MiB"));
	ck_assert_uint_eq(count(text, "#0 "), 2);
	ck_assert_uint_eq(count(text, "#1 "), 0);
	ck_assert_uint_eq(count(text, "... 1 more frame\n"), 2);
	ck_assert_uint_eq(count(text, "exact"), 2);
	ck_assert_ptr_nonnull(strstr(text, "3 more sites"));
	free(text);
}
END_TEST

static Suite *sites_suite(void)
{
	Suite *s = suite_create("sites");
	TCase *tc = tcase_create("sites");
	tcase_add_checked_fixture(tc, setup, fx_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sites_read_records);
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
	tcase_add_test(tc, test_sites_flame);
	tcase_add_test(tc, test_sites_json);
	tcase_add_test(tc, test_sites_text);
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
