/* What a program can see of ovc: nothing. tests/programs/fdsee lists its
 * descriptors (/proc/self/fd) and writes known lines on stderr across exec,
 * fork, close_range and, run as root, a child that becomes nobody (uid
 * 65534) and execs: its stdout (the listings) and its stderr are the same
 * bytes plain, under a bare LD_PRELOAD with OVC_OUTPUT set, and under `ovc
 * run`. The log directory is root's, mode 0700: the image that runs as
 * nobody cannot write its log there: under `ovc run` it must not say so on
 * the program's stderr (issue 13: the side channel carries it); under a
 * bare LD_PRELOAD nothing else can carry it, and OVC_WARN=auto allows that
 * one line, "ovc: warning: cannot write logs to ...", and nothing more. */
#include "harness.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Runs `fdsee MODE` plain and traced and compares what it printed. */
static void same_as_plain(const char *mode, bool under_run)
{
	char *argv[] = { (char *)it_program("fdsee"), (char *)mode, NULL };
	const char *how = under_run ? "ovc run" : "LD_PRELOAD";
	struct it_result plain, r;
	char *dir = it_tempdir("fds");

	ck_assert(chmod(dir, 0700) == 0);
	it_run(argv, NULL, 30, &plain);
	ck_assert_msg(plain.code == 0, "fdsee %s plain: status %d\n%s%s", mode,
		      plain.code, plain.out, plain.err);
	if (under_run) {
		const char *head[] = { it_env("OVC_BIN"), "run", "-q", "-o", dir,
				       "--", argv[0], mode, NULL };
		it_run((char *const *)head, NULL, 30, &r);
	} else {
		it_preload_run(dir, argv, 30, &r);
	}
	/* One message with both differences: which descriptors, and which
	 * lines on stderr. */
	bool same_out = strcmp(r.out, plain.out) == 0;
	if (!under_run) {
		const char *key = "ovc: warning: cannot write logs to ";
		char *w = strstr(r.err, key);
		if (w && (w == r.err || w[-1] == '\n') && !strstr(w + 1, key)) {
			char *nl = strchr(w, '\n');
			memmove(w, nl ? nl + 1 : w + strlen(w),
				strlen(nl ? nl + 1 : w + strlen(w)) + 1);
		}
	}
	bool same_err = strcmp(r.err, plain.err) == 0;
	ck_assert_msg(r.code == plain.code && same_out && same_err,
		      "fdsee %s (%s): status %d (plain %d); %s; %s\n"
		      "--- stdout plain\n%s--- stdout %s\n%s"
		      "--- stderr plain\n%s--- stderr %s\n%s", mode, how,
		      r.code, plain.code,
		      same_out ? "same descriptors" : "the program sees other descriptors",
		      same_err ? "same stderr" : "stderr differs",
		      plain.out, how, r.out, plain.err, how, r.err);
	/* ovc did trace it: the first image's log is there and complete. */
	json_t *logs = it_list_dir(dir, "ovc.");
	ck_assert_msg(json_array_size(logs) >= 1, "fdsee %s (%s): no log", mode,
		      how);
	json_decref(logs);
	it_result_free(&plain);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}

START_TEST(test_fds_exec_fork_close_range_preload)
{
	same_as_plain("basic", false);
}
END_TEST

START_TEST(test_fds_exec_fork_close_range_ovc_run)
{
	same_as_plain("basic", true);
}
END_TEST

START_TEST(test_fds_other_user_preload)
{
	same_as_plain("nobody", false);
}
END_TEST

START_TEST(test_fds_other_user_ovc_run)
{
	same_as_plain("nobody", true);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compat-fds");
	TCase *tc = tcase_create("fds");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_fds_exec_fork_close_range_preload);
	tcase_add_test(tc, test_fds_exec_fork_close_range_ovc_run);
	tcase_add_test(tc, test_fds_other_user_preload);
	tcase_add_test(tc, test_fds_other_user_ovc_run);
	suite_add_tcase(s, tc);
	return it_main(s);
}
