/* Signal handlers interrupting the malloc family under the preload, with
 * OVC_SAMPLE=1 so that nearly every call runs ovc's slow path (stack
 * capture, block table, log) and holds its locks when the signal lands.
 * A handler that calls only async-signal-safe functions must never
 * deadlock on ovc: not write(2), and not _exit or execve either, which
 * ovc hooks to close the log. */
#include "hcommon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *sample_all[] = { "OVC_SAMPLE=1", NULL };

START_TEST(test_signals_write_handler)
{
	char *dir = it_tempdir("h-sig-write");
	char *argv[] = { (char *)h_program("h-sigmalloc"), "write", "1500", NULL };
	struct it_result r;

	h_preload_run(dir, argv, sample_all, 30, &r);
	h_assert_same(&r, 0, "sigmalloc: write ok\n", "write handler");
	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "h-sigmalloc");
	ck_assert_str_eq(it_str(p, "end.kind"), "exit");
	ck_assert_int_gt(it_int(p, "calls.malloc"), 1000);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* MODE's handler fires after a delay that differs per round, so that over
 * the rounds it lands in every part of ovc's slow path. Each round must
 * end within 10 s (a plain round takes a few ms). */
static void rounds(const char *mode, int want_code, const char *end_via)
{
	const int n = 12;
	for (int i = 0; i < n; i++) {
		char *dir = it_tempdir("h-sig");
		char us[32];
		snprintf(us, sizeof us, "%d", 300 + (i * 7919) % 20000);
		char *argv[] = { (char *)h_program("h-sigmalloc"), (char *)mode,
				 us, NULL };
		struct it_result r;

		h_preload_run(dir, argv, sample_all, 10, &r);
		ck_assert_msg(r.code == want_code,
			      "%s after %s us: exit %d (124/137: hung), want %d\n%s",
			      mode, us, r.code, want_code, r.err);
		if (end_via) {
			json_t *report = it_report(dir, NULL);
			json_t *p = it_process(report, "h-sigmalloc");
			ck_assert_str_eq(it_str(p, "end.kind"), "exit");
			ck_assert_int_eq(it_int(p, "end.code"), want_code);
			json_decref(report);
		}
		it_result_free(&r);
		it_rmtree(dir);
		free(dir);
	}
}

START_TEST(test_signals_exit_from_handler)
{
	rounds("_exit", 42, "_exit");
}
END_TEST

START_TEST(test_signals_execve_from_handler)
{
	rounds("execve", 0, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hardening-signals");
	TCase *tc = tcase_create("signals");
	tcase_set_timeout(tc, 200);
	tcase_add_test(tc, test_signals_write_handler);
	tcase_add_test(tc, test_signals_exit_from_handler);
	tcase_add_test(tc, test_signals_execve_from_handler);
	suite_add_tcase(s, tc);
	return it_main(s);
}
