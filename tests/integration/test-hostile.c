/* Hostile children: a daemon that closes every descriptor, chroot, chdir,
 * exit from a signal handler, and a make -j2 of a few hundred short-lived
 * processes. Each leaves a complete log (its end record, its counts) and
 * none fails because of ovc. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs `ovc run -o DIR -- hostile MODE` and returns the report. */
static json_t *run_mode(const char *dir, const char *mode)
{
	char *argv[] = { (char *)it_env("OVC_BIN"), "run", "-o", (char *)dir,
			 "--", (char *)it_program("hostile"), (char *)mode,
			 NULL };
	struct it_result r;
	it_run(argv, NULL, 120, &r);
	ck_assert_msg(r.code == 0, "%s: exit %d: %s", mode, r.code, r.err);
	it_result_free(&r);
	return it_report(dir, NULL);
}

/* Every image of REPORT ended by exit or exec, none abruptly; returns the
 * number of images whose malloc count is at least MIN_MALLOCS. */
static int complete_images(json_t *report, long long min_mallocs)
{
	json_t *procs = it_processes(report, NULL);
	int busy = 0;
	size_t i;
	json_t *p;
	json_array_foreach(procs, i, p) {
		const char *kind = it_str(p, "end.kind");
		ck_assert_msg(strcmp(kind, "exit") == 0 || strcmp(kind, "exec") == 0,
			      "%s ended %s", it_str(p, "log"), kind);
		if (it_int(p, "calls.malloc") >= min_mallocs)
			busy++;
	}
	json_decref(procs);
	return busy;
}

START_TEST(test_hostile_daemon_closes_everything)
{
	char *dir = it_tempdir("hostile-daemon");
	json_t *report = run_mode(dir, "daemon");
	/* the program, its child and the daemon (a grandchild). A fork child
	 * counts from the fork: the daemon's log holds its 100 allocations,
	 * all made after it closed every descriptor, ovc's log among them. */
	ck_assert_int_eq(json_array_size(json_object_get(report, "processes")), 3);
	ck_assert_int_eq(complete_images(report, 100), 2);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_hostile_chroot_chdir_and_signal_exit)
{
	static const char *const modes[] = { "chroot", "chdir", "sighandler",
					     "setuid" };
	for (size_t i = 0; i < 4; i++) {
		if ((i == 0 || i == 3) && geteuid() != 0)
			continue; /* chroot and setuid need root */
		char *dir = it_tempdir(modes[i]);
		json_t *report = run_mode(dir, modes[i]);
		ck_assert_int_eq(complete_images(report, 200), 1);
		json_decref(report);
		it_rmtree(dir);
		free(dir);
	}
}
END_TEST

/* make -j2 of 300 trivial targets, each a shell running true. */
START_TEST(test_hostile_make_many_children)
{
	if (access("/usr/bin/make", X_OK) != 0)
		return;
	char *dir = it_tempdir("hostile-make");
	char mk[4096];
	snprintf(mk, sizeof mk, "%s/Makefile", dir);
	FILE *f = fopen(mk, "w");
	ck_assert_ptr_nonnull(f);
	fputs("N := $(shell seq 300)\nall: $(addprefix t,$(N))\n"
	      "t%:\n\t@sh -c 'true; exit 0'\n.PHONY: all\n",
	      f);
	fclose(f);
	char logs[4096];
	snprintf(logs, sizeof logs, "%s/logs", dir);
	char *argv[] = { (char *)it_env("OVC_BIN"), "run", "-o", logs, "--",
			 "make", "-s", "-j2", "-C", dir, NULL };
	struct it_result r;
	it_run(argv, NULL, 300, &r);
	ck_assert_msg(r.code == 0, "make: exit %d: %s", r.code, r.err);
	json_t *report = it_report(logs, NULL);
	json_t *procs = json_object_get(report, "processes");
	/* make, and per target at least the shell it runs */
	ck_assert_int_ge(json_array_size(procs), 301);
	complete_images(report, 0);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("hostile");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_hostile_daemon_closes_everything);
	tcase_add_test(tc, test_hostile_chroot_chdir_and_signal_exit);
	tcase_add_test(tc, test_hostile_make_many_children);
	suite_add_tcase(s, tc);
	return it_main(s);
}
