/* Unit tests of the renderers of sites (cli/render/render-flame.c,
 * render-json.c, render-sites.c): folded stacks, the JSON report's sites
 * and the text report's sites section, from models built by hand. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "read/model.h"
#include "render/render.h"

#define MIB ((int64_t)1 << 20)

static void setup(void)
{
	fx_setup_named("render-sites");
}

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

START_TEST(test_render_sites_flame)
{
	struct ovc_proc *p = fx_new_proc("/opt/bin/my;app");
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
	struct ovc_proc *q = fx_new_proc("/opt/bin/my;app");
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
	ck_assert_uint_eq(fx_count(out, "\n"), 2);
	ck_assert_ptr_nonnull(strstr(out, "a_b_c.so+0x10 1100\n"));
	free(out);
}
END_TEST

START_TEST(test_render_sites_json)
{
	struct ovc_proc *p = fx_new_proc("/bin/a");
	struct ovc_module mod = {.id = 0, .path = "/nonexistent/a",
				 .build_id = "beef", .base = 0};
	ovc_proc_add_module(p, &mod);
	fx_add_site(p, 1, 100, 100, 0);
	fx_add_site(p, 2, 300, 0, 0);
	struct ovc_site *s = fx_add_site(p, 3, 200, 50, 0);
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

/* Renders fx_model as JSON with O (may be NULL) and parses it. */
static json_t *json_doc(const struct ovc_render_opts *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert(ovc_render_json(fx_model, f, o));
	fclose(f);
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);
	ck_assert_msg(doc, "%s", jerr.text);
	free(text);
	return doc;
}

/* By default the JSON report is bounded: OVC_TOP_JSON_DEFAULT sites per
 * process, OVC_FRAMES_JSON_DEFAULT frames per site, the rest counted in
 * sites_omitted and frames_omitted; --all (every site, every frame) has
 * them all. */
START_TEST(test_render_sites_json_bounded)
{
	enum { SITES = OVC_TOP_JSON_DEFAULT + 7,
	       FRAMES = OVC_FRAMES_JSON_DEFAULT + 5 };
	struct ovc_proc *p = fx_new_proc("/bin/a");
	struct ovc_module mod = {.id = 0, .path = "/nonexistent/a",
				 .build_id = "", .base = 0};
	ovc_proc_add_module(p, &mod);
	struct ovc_frame fr[FRAMES];
	for (int i = 0; i < SITES; i++) {
		for (int k = 0; k < FRAMES; k++)
			fr[k] = (struct ovc_frame){0, (uint64_t)(0x1000 * i + k)};
		bool dup;
		struct ovc_site *s = ovc_proc_add_site(p, i, fr, FRAMES, &dup);
		s->has_figures = true;
		s->blocks = 1;
		s->requested_bytes = s->live_bytes = s->peak_live_bytes =
			MIB * (i + 1);
	}
	ovc_model_link(fx_model);

	json_t *doc = json_doc(NULL);
	json_t *proc = json_array_get(json_object_get(doc, "processes"), 0);
	json_t *sites = json_object_get(proc, "sites");
	ck_assert_uint_eq(json_array_size(sites), OVC_TOP_JSON_DEFAULT);
	ck_assert_int_eq(json_integer_value(json_object_get(proc, "sites_omitted")),
			 SITES - OVC_TOP_JSON_DEFAULT);
	/* the largest first */
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(sites, 0), "id")),
			 SITES - 1);
	size_t i;
	json_t *s;
	json_array_foreach(sites, i, s) {
		ck_assert_uint_eq(json_array_size(json_object_get(s, "frames")),
				  OVC_FRAMES_JSON_DEFAULT);
		ck_assert_int_eq(json_integer_value(json_object_get(s, "frames_omitted")),
				 FRAMES - OVC_FRAMES_JSON_DEFAULT);
	}
	json_decref(doc);

	struct ovc_render_opts all = {.top_set = true, .top_sites = OVC_ALL,
				      .frames_set = true,
				      .max_frames = OVC_ALL};
	doc = json_doc(&all);
	proc = json_array_get(json_object_get(doc, "processes"), 0);
	sites = json_object_get(proc, "sites");
	ck_assert_uint_eq(json_array_size(sites), SITES);
	ck_assert_int_eq(json_integer_value(json_object_get(proc, "sites_omitted")), 0);
	json_array_foreach(sites, i, s) {
		ck_assert_uint_eq(json_array_size(json_object_get(s, "frames")),
				  FRAMES);
		ck_assert_int_eq(json_integer_value(json_object_get(s, "frames_omitted")), 0);
	}
	json_decref(doc);
}
END_TEST

START_TEST(test_render_sites_text)
{
	struct ovc_proc *p = fx_new_proc("/bin/a");
	for (int i = 0; i < 5; i++)
		fx_add_site(p, i, (i + 1) * MIB, 0, 0);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct ovc_render_opts o = {.top_set = true, .top_sites = 2,
				    .frames_set = true, .max_frames = 1};
	ovc_render_text_sites(p, f, &o); /* o.sym NULL: no symbols */
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "2 of 5"));
	/* Largest first; one frame each, the other counted. */
	char *a = strstr(text, "5.0 MiB"), *b = strstr(text, "4.0 MiB");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(a < b);
	ck_assert_ptr_null(strstr(text, "3.0 MiB"));
	ck_assert_uint_eq(fx_count(text, "#0 "), 2);
	ck_assert_uint_eq(fx_count(text, "#1 "), 0);
	ck_assert_uint_eq(fx_count(text, "... 1 more frame\n"), 2);
	ck_assert_uint_eq(fx_count(text, "exact"), 2);
	ck_assert_ptr_nonnull(strstr(text, "3 more sites"));
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render-sites");
	TCase *tc = tcase_create("render-sites");
	tcase_add_checked_fixture(tc, setup, fx_teardown);
	tcase_add_test(tc, test_render_sites_flame);
	tcase_add_test(tc, test_render_sites_json);
	tcase_add_test(tc, test_render_sites_json_bounded);
	tcase_add_test(tc, test_render_sites_text);
	suite_add_tcase(s, tc);
	return fx_run(s);
}
