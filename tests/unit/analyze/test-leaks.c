/* Unit tests of leaks (cli/analyze/leaks.c): what a hand-written log
 * (sites-log.h) still held at exit, per site and per process image, and
 * when it is not known. */
#include <check.h>
#include <stdlib.h>

#include "analyze/leaks.h"
#include "fixture.h"
#include "read/model.h"
#include "sites-log.h"

static void setup(void)
{
	fx_setup_named("leaks");
}

START_TEST(test_leaks_known_and_summed)
{
	fx_read_log("ovc.100.0.jsonl", PROC(100) MODS SITES END);
	fx_read_log("ovc.101.0.jsonl", PROC(101) MODS SITES); /* killed */
	ovc_model_link(fx_model);
	ck_assert_uint_eq(fx_errlen, 0);
	struct ovc_proc *p = fx_model->procs[0], *q = fx_model->procs[1];
	ck_assert_int_eq(p->pid, 100);
	const char *why = "x";
	ck_assert(ovc_proc_leaks_known(p, &why));
	ck_assert_ptr_null(why);
	ck_assert(!ovc_proc_leaks_known(q, &why));
	ck_assert_ptr_nonnull(why);

	struct ovc_leak l;
	ovc_site_leak(ovc_proc_site(p, 7), &l);
	ck_assert_int_eq(l.bytes, 300);
	ck_assert_int_eq(l.blocks, 1);
	ck_assert_int_eq(l.sd_bytes, 0);
	ck_assert(!l.estimated);
	ovc_site_leak(ovc_proc_site(p, 8), &l);
	ck_assert(l.estimated);
	ck_assert_int_eq(l.sd_bytes, 1200);

	ovc_proc_leak(p, &l);
	ck_assert_int_eq(l.bytes, 5300);
	ck_assert_int_eq(l.blocks, 51);
	ck_assert_int_eq(l.sd_bytes, 1200); /* sqrt(1200^2 + 0^2) */
	ck_assert(l.estimated);
	ovc_proc_leak(q, &l); /* not known: nothing */
	ck_assert_int_eq(l.bytes, 0);

	size_t order[3];
	ck_assert_uint_eq(ovc_proc_rank_leaks(p, order), 2);
	ck_assert_int_eq(p->sites[order[0]].id, 8);
	ck_assert_int_eq(p->sites[order[1]].id, 7);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("leaks");
	TCase *tc = tcase_create("leaks");
	tcase_add_checked_fixture(tc, setup, fx_teardown);
	tcase_add_test(tc, test_leaks_known_and_summed);
	suite_add_tcase(s, tc);
	return fx_run(s);
}
