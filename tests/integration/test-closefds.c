/* A program that closes every descriptor above 2 mid-run and dup2s its own
 * file over hundreds of descriptors: its files hold exactly what it wrote
 * (the program checks), and ovc's log stays complete, with samples after the
 * close. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Samples of the log LINES whose anonymous resident exceeds the baseline's
 * by at least MIN_BYTES: only the blocks touched after the close do that. */
static int samples_grown(json_t *lines, long long min_bytes)
{
	json_t *line, *proc = json_array_get(lines, 0);
	long long base = it_int(proc, "baseline.rss") -
			 it_int(proc, "baseline.shared");
	int n = 0;
	size_t i;

	json_array_foreach(lines, i, line) {
		const char *t = json_string_value(json_object_get(line, "t"));
		if (t != NULL && strcmp(t, "s") == 0 &&
		    it_int(line, "rss") - it_int(line, "shared") - base >= min_bytes)
			n++;
	}
	return n;
}

static void check_closefds(int under_ovc_run)
{
	char *dir = it_tempdir("closefds");
	char files[4096], path[4096];
	char *argv[] = { (char *)it_program("closefds"), files, NULL };
	struct it_result r;

	/* The program's own files apart from the logs. */
	snprintf(files, sizeof files, "%s/files", dir);
	ck_assert(mkdir(files, 0700) == 0);
	if (under_ovc_run)
		it_ovc_run(dir, argv, 60, &r);
	else
		it_preload_run(dir, argv, 60, &r);
	ck_assert_msg(r.code == 0, "closefds: exit %d, stdout: %s\nstderr:\n%s",
		      r.code, r.out, r.err);
	ck_assert_str_eq(r.out, "closefds: files intact\n");

	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "closefds");
	ck_assert_str_eq(it_str(p, "end.kind"), "exit");
	ck_assert_int_eq(it_int(p, "end.code"), 0);
	/* 1000 + 40 x 100 churned, 40 blocks of 4 MiB, all of it counted
	 * though most came after the close. */
	ck_assert_int_ge(it_int(p, "calls.malloc"), 1000 + 40 * 101);
	ck_assert_int_ge(it_int(p, "calls.free"), 1000 + 40 * 100);
	ck_assert_int_ge(it_int(p, "peak_live_bytes"), 40 * 4 * IT_MIB);
	ck_assert_int_ge(it_int(p, "peak_anon_rss_bytes") -
			 it_int(p, "baseline_anon_rss_bytes"),
			 40 * 4 * IT_MIB * 9 / 10);

	/* The log: complete (an end record) and sampled all along. The
	 * program runs ~800 ms after the close, growing 4 MiB per 20 ms. */
	json_t *lines = it_read_only_log(dir, path, sizeof path);
	ck_assert_str_eq(it_str(json_array_get(lines, 0), "t"), "proc");
	ck_assert_msg(it_count_records(lines, "end") > 0, "%s: no end record", path);
	int grown = samples_grown(lines, 16 * IT_MIB);
	ck_assert_msg(grown >= 10, "%s: %d samples after the close, expected "
		      "at least 10", path, grown);

	/* Nothing but ovc's files (its logs, the run file, the machine's
	 * facts it shares between images) and the program's directory. */
	json_t *all = it_list_dir(dir, "");
	json_t *name;
	size_t i;
	json_array_foreach(all, i, name) {
		const char *n = json_string_value(name);
		ck_assert_msg(strcmp(n, "files") == 0 ||
			      strcmp(n, ".ovc-host") == 0 ||
			      strncmp(n, "ovc.", 4) == 0 ||
			      strncmp(n, "ovc-run.", 8) == 0,
			      "%s: unexpected file %s", dir, n);
	}
	json_t *own = it_list_dir(files, "");
	ck_assert_int_eq(json_array_size(own), 2);

	json_decref(own);
	json_decref(all);
	json_decref(lines);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}

START_TEST(test_closefds_under_ovc_run)
{
	check_closefds(1);
}
END_TEST

START_TEST(test_closefds_bare_preload)
{
	check_closefds(0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("closefds");
	TCase *tc = tcase_create("closefds");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_closefds_under_ovc_run);
	tcase_add_test(tc, test_closefds_bare_preload);
	suite_add_tcase(s, tc);
	return it_main(s);
}
