/* The sampler (preload/ticker.c): by default a process of ovc's own, so a
 * single-threaded program stays single-threaded in glibc's eyes; it holds
 * only ovc's four descriptors, is sealed by seccomp, is gone (and reaped)
 * before an exec, and samples all along. OVC_SAMPLER=thread: a thread. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sample, end and exec records in the log of DIR whose name is NAME. */
static int samples_in(const char *dir, const char *name, int *ends, int *execs)
{
	char path[4096];
	json_t *lines;
	int n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	lines = it_read_jsonl(path);
	n = it_count_records(lines, "s");
	*ends = it_count_records(lines, "end");
	*execs = it_count_records(lines, "exec");
	json_decref(lines);
	return n;
}

static void check(const char *sampler, const char *expect)
{
	char *dir = it_tempdir("sampler");
	char *argv[] = { (char *)it_program("sampler"), NULL };
	char mode[64];
	struct it_result r;

	snprintf(mode, sizeof mode, "OVC_SAMPLER=%s", sampler);
	it_preload_run_with(dir, argv, mode, 60, &r);
	ck_assert_msg(r.code == 0, "sampler: exit %d\nstderr:\n%s", r.code, r.err);
	ck_assert_str_eq(r.out, expect);
	ck_assert_str_eq(r.err, "");

	/* Two images, one log each: the first ends with exec, the second
	 * with exit. Each has a sample of the sampler's (a tick after the
	 * allocations: samples are written when something changed) and the
	 * final one. */
	json_t *logs = it_list_dir(dir, "ovc.");
	ck_assert_int_eq(json_array_size(logs), 2);
	int ends = 0, execs = 0;
	for (size_t i = 0; i < 2; i++) {
		int e, x;
		int n = samples_in(dir, json_string_value(json_array_get(logs, i)),
				   &e, &x);
		ck_assert_msg(n >= 2, "%s: %d samples", sampler, n);
		ends += e;
		execs += x;
	}
	ck_assert_int_eq(ends, 1);
	ck_assert_int_eq(execs, 1);
	json_decref(logs);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}

/* The sampler process's descriptors: the log, statm, pagemap, status,
 * smaps_rollup, smaps, the program's pidfd and its stat. */
START_TEST(test_sampler_process)
{
	check("process",
	      "start: single=1 tasks=1 samplers=1 zombies=0 fds=8 std=0 sealed=1\n"
	      "after-exec: single=1 tasks=1 samplers=1 zombies=0 fds=8 std=0 "
	      "sealed=1\n");
}
END_TEST

START_TEST(test_sampler_thread)
{
	check("thread",
	      "start: single=0 tasks=2 samplers=0 zombies=0 fds=-1 std=0 sealed=0\n"
	      "after-exec: single=0 tasks=2 samplers=0 zombies=0 fds=-1 std=0 "
	      "sealed=0\n");
}
END_TEST

/* An exec that fails: ovc stopped the sampler for it, and starts another;
 * the first was reaped (no zombie). */
START_TEST(test_sampler_failed_exec)
{
	char *dir = it_tempdir("sampler-failed-exec");
	char *argv[] = { (char *)it_program("sampler"), "failed-exec", NULL };
	struct it_result r;

	it_preload_run(dir, argv, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d\nstderr:\n%s", r.code, r.err);
	ck_assert_str_eq(r.out, "failed-exec: single=1 tasks=1 samplers=1 "
				"zombies=0 fds=8 std=0 sealed=1\n");
	json_t *logs = it_list_dir(dir, "ovc.");
	ck_assert_int_eq(json_array_size(logs), 1);
	int ends, execs;
	int n = samples_in(dir, json_string_value(json_array_get(logs, 0)), &ends,
			   &execs);
	ck_assert_int_ge(n, 2);
	ck_assert_int_eq(ends, 1);
	ck_assert_int_eq(execs, 1); /* the exec record is written before */
	json_decref(logs);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Runs the sampler program with WORD preloaded; returns its stdout (to
 * free) and the number of samples, end and exec records of its one log. */
static char *run_word(const char *word, const char *interval, int *samples,
		      int *ends)
{
	char *dir = it_tempdir("sampler-word");
	char *argv[] = { (char *)it_program("sampler"), (char *)word, NULL };
	char iv[64];
	struct it_result r;

	snprintf(iv, sizeof iv, "OVC_INTERVAL=%s", interval);
	it_preload_run_with(dir, argv, iv, 60, &r);
	ck_assert_msg(r.code == 0, "%s: exit %d\nstderr:\n%s", word, r.code,
		      r.err);
	ck_assert_str_eq(r.err, "");
	json_t *logs = it_list_dir(dir, "ovc.");
	ck_assert_int_eq(json_array_size(logs), 1);
	int execs;
	*samples = samples_in(dir, json_string_value(json_array_get(logs, 0)),
			      ends, &execs);
	ck_assert_int_eq(execs, 0);
	json_decref(logs);
	char *out = strdup(r.out);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
	return out;
}

/* Issue 15: a process that ends within its first interval gets no sampler
 * (it sees what it sees plain: no child), and its log still has its start
 * sample, its last one and its end. The interval is 10 s here, so that a
 * loaded machine cannot stretch the program past it. */
START_TEST(test_sampler_lazy)
{
	int samples, ends;
	char *out = run_word("quick", "10000", &samples, &ends);
	ck_assert_str_eq(out, "quick: single=1 tasks=1 samplers=0 zombies=0 "
			      "fds=-1 std=0 sealed=0\n");
	ck_assert_int_eq(samples, 2);
	ck_assert_int_eq(ends, 1);
	free(out);
}
END_TEST

/* A young image (it allocates for 25 ms, OVC_YOUNG_NS is 50 ms) gets no
 * sampler: it writes samples of its own at its slow paths, one an interval
 * at most, out to the file at once, between its start and its end. */
START_TEST(test_sampler_young)
{
	int samples, ends;
	char *out = run_word("young", "5", &samples, &ends);
	ck_assert_str_eq(out, "young: single=1 tasks=1 samplers=0 zombies=0 "
			      "fds=-1 std=0 sealed=0\n");
	ck_assert_int_ge(samples, 3);
	ck_assert_int_le(samples, 2 + 25 / 5 + 1);
	ck_assert_int_eq(ends, 1);
	free(out);
}
END_TEST

/* A wait for clone children (strace's) sees what it sees plain, ECHILD at
 * once, not the sampler process (it waited for it for ever): ovc samples
 * with a thread from then on. */
START_TEST(test_sampler_clone_wait)
{
	int samples, ends;
	char *out = run_word("clone-wait", "10", &samples, &ends);
	ck_assert_str_eq(out, "wait: ECHILD\nclone-wait: single=0 tasks=2 "
			      "samplers=0 zombies=0 fds=-1 std=0 sealed=0\n");
	ck_assert_int_ge(samples, 3);
	ck_assert_int_eq(ends, 1);
	free(out);
}
END_TEST

/* Runs ARGV (whose last argument is the sampler program and "no-exec")
 * preloaded, and checks that ovc took a thread and nothing was said. */
static void check_thread_taken(char *const argv[], const char *what)
{
	char *dir = it_tempdir("sampler-thread");
	struct it_result r;

	it_preload_run(dir, argv, 120, &r);
	ck_assert_msg(r.code == 0, "%s: exit %d\nstderr:\n%s", what, r.code,
		      r.err);
	ck_assert_str_eq(r.out, "no-exec: single=0 tasks=2 samplers=0 "
				"zombies=0 fds=-1 std=0 sealed=0\n");
	ck_assert_str_eq(r.err, "");
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}

/* A program that starts under a seccomp filter (a sandbox's child) gets a
 * thread: the sampler could not be sealed by the same rules, and the
 * program's filter treats a thread as the program's own. */
START_TEST(test_sampler_filtered)
{
	/* it_program's result lives until its next call */
	char *filtered = strdup(it_program("filtered"));
	char *argv[] = { filtered, (char *)it_program("sampler"), "no-exec",
			 NULL };

	check_thread_taken(argv, "filtered");
	free(filtered);
}
END_TEST

/* Under valgrind (which runs the program's system calls itself and knows
 * neither this clone nor seccomp) ovc takes a thread, and valgrind has
 * nothing to say: not about those calls, not about ovc's reads. The
 * program does not exec itself: valgrind refuses to run its own tool by
 * /proc/self/exe. */
START_TEST(test_sampler_valgrind)
{
	const char *vg = "/usr/bin/valgrind";
	if (access(vg, X_OK) != 0) {
		printf("sampler: %s not installed; the valgrind case is not run\n",
		       vg);
		return;
	}
	char *argv[] = { (char *)vg, "-q", "--error-exitcode=9",
			 (char *)it_program("sampler"), "no-exec", NULL };

	check_thread_taken(argv, "valgrind");
}
END_TEST

/* A signal the program handles, delivered while ovc's hook of a waiting
 * call starts the sampler (strace injects SIGUSR1 at the sampler's
 * clone), cuts the wait short as it would had it come at the wait's
 * start: nanosleep returns EINTR at once. Before, the handler ran inside
 * the hook and the sleep then slept its whole time (a child of Python's
 * test_subprocess slept 30 s for a SIGINT it had already taken). */
START_TEST(test_sampler_wait_cut_short)
{
	const char *st = "/usr/bin/strace";
	if (access(st, X_OK) != 0) {
		printf("sampler: %s not installed (scripts/setup installs it); "
		       "the signal-in-the-hook case is not run\n", st);
		return;
	}
	char *dir = it_tempdir("sampler-cut");
	char *lib, *out;
	ck_assert(asprintf(&lib, "LD_PRELOAD=%s", it_env("OVC_LIB")) > 0);
	ck_assert(asprintf(&out, "OVC_OUTPUT=%s", dir) > 0);
	char *argv[] = { (char *)st, "-o", "/dev/null", "-e", "trace=clone,clone3",
			 "-e", "inject=clone,clone3:signal=SIGUSR1", "env", lib, out,
			 (char *)it_program("sleepsig"), "20", NULL };
	struct it_result r;

	it_run(argv, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d after %.1f s\nstdout:\n%s\nstderr:\n%s",
		      r.code, r.seconds, r.out, r.err);
	ck_assert_msg(strstr(r.out, "cut short by the handler") != NULL, "%s", r.out);
	ck_assert_msg(r.seconds < 10, "took %.1f s", r.seconds);
	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "sleepsig");
	ck_assert_str_eq(it_str(p, "end.kind"), "exit");
	ck_assert_int_eq(it_int(p, "end.code"), 0);
	json_decref(report);
	free(lib);
	free(out);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sampler");
	TCase *tc = tcase_create("sampler");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sampler_process);
	tcase_add_test(tc, test_sampler_thread);
	tcase_add_test(tc, test_sampler_failed_exec);
	tcase_add_test(tc, test_sampler_lazy);
	tcase_add_test(tc, test_sampler_young);
	tcase_add_test(tc, test_sampler_clone_wait);
	tcase_add_test(tc, test_sampler_filtered);
	tcase_add_test(tc, test_sampler_valgrind);
	tcase_add_test(tc, test_sampler_wait_cut_short);
	suite_add_tcase(s, tc);
	return it_main(s);
}
