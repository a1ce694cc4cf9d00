/* Output directories that several runs share: `ovc run -o DIR` started
 * twice at once writes every log of both, each with its own run id;
 * `ovc report --run ID` reads one run's processes, the default report of
 * the directory reads the newest run and says so on its first line, and
 * `--all-runs` reads them all. Figures are compared with each command run
 * alone into a directory of its own. */
#include "harness.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "exe calls.malloc" of every process of REPORT, sorted and joined by
 * newlines (malloc'd): what tells the processes of one command apart
 * (allocn N makes exactly N mallocs). */
static char *signature(json_t *report)
{
	json_t *procs = json_object_get(report, "processes");
	size_t n = json_array_size(procs);
	char **v = calloc(n + 1, sizeof *v);
	size_t len = 1;
	ck_assert(v);
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_array_get(procs, i);
		const char *exe = it_str(p, "exe");
		const char *slash = strrchr(exe, '/');
		ck_assert(asprintf(&v[i], "%s %lld", slash ? slash + 1 : exe,
				   it_int(p, "calls.malloc")) > 0);
		len += strlen(v[i]) + 1;
	}
	qsort(v, n, sizeof *v, cmp_str);
	char *s = calloc(1, len);
	ck_assert(s);
	for (size_t i = 0; i < n; i++) {
		strcat(strcat(s, v[i]), "\n");
		free(v[i]);
	}
	free(v);
	return s;
}

/* `ovc report ARGS... --json DIR` (exit 0), parsed. */
static json_t *report_args(const char *dir, const char *a1, const char *a2)
{
	char *argv[] = { (char *)it_env("OVC_BIN"), "report", "--json",
			 (char *)a1, (char *)(a2 ? a2 : dir),
			 (char *)(a2 ? dir : NULL), NULL };
	struct it_result r;
	json_error_t e;
	it_run(argv, NULL, 120, &r);
	ck_assert_msg(r.code == 0, "ovc report %s %s: exit %d:\n%s",
		      a1 ? a1 : "", a2 ? a2 : "", r.code, r.err);
	json_t *doc = json_loads(r.out, 0, &e);
	ck_assert_msg(doc, "not JSON: %s", e.text);
	it_result_free(&r);
	return doc;
}

/* The one run of REPORT: its id. */
static const char *only_run(json_t *report)
{
	json_t *runs = json_object_get(report, "runs");
	ck_assert_int_eq(json_array_size(runs), 1);
	return it_str(json_array_get(runs, 0), "run");
}

static const char *const command_a[] = { "spawner", "2" };
static const char *const command_b[] = { "spawner", "1" };

static void start(const char *dir, const char *const cmd[2], pid_t *pid,
		  int *fd)
{
	char *argv[] = { (char *)it_env("OVC_BIN"), "run", "-q", "-o",
			 (char *)dir, "--no-status", "--",
			 (char *)it_program(cmd[0]), (char *)cmd[1], NULL };
	it_spawn(argv, NULL, pid, fd);
}

static void finish(pid_t pid, int fd)
{
	int st;
	ck_assert(waitpid(pid, &st, 0) == pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ovc run: %#x", st);
	close(fd);
}

/* The command CMD run alone: the signature of its processes and their
 * number. */
static char *alone(const char *tag, const char *const cmd[2], size_t *n)
{
	char *dir = it_tempdir(tag);
	pid_t pid;
	int fd;
	start(dir, cmd, &pid, &fd);
	finish(pid, fd);
	json_t *rep = it_report(dir, NULL);
	*n = json_array_size(json_object_get(rep, "processes"));
	ck_assert_int_gt(*n, 1);
	char *sig = signature(rep);
	json_decref(rep);
	it_rmtree(dir);
	free(dir);
	return sig;
}

START_TEST(test_runs_two_at_once_into_one_dir)
{
	size_t na, nb;
	char *sig_a = alone("runs-alone-a", command_a, &na);
	char *sig_b = alone("runs-alone-b", command_b, &nb);
	ck_assert_str_ne(sig_a, sig_b);

	/* Both at once, three times over, into one directory. */
	char *dir = it_tempdir("runs-shared");
	enum { ROUNDS = 3 };
	for (int i = 0; i < ROUNDS; i++) {
		pid_t pa, pb;
		int fa, fb;
		start(dir, command_a, &pa, &fa);
		start(dir, command_b, &pb, &fb);
		finish(pa, fa);
		finish(pb, fb);
	}
	json_t *logs = it_list_dir(dir, "ovc.");
	ck_assert_int_eq(json_array_size(logs), ROUNDS * (na + nb));
	json_decref(logs);
	json_t *runfiles = it_list_dir(dir, "ovc-run.");
	ck_assert_int_eq(json_array_size(runfiles), 2 * ROUNDS);
	json_decref(runfiles);

	/* Every run: exactly the processes of its command, alone. */
	json_t *all = report_args(dir, "--all-runs", NULL);
	json_t *runs = json_object_get(all, "runs");
	ck_assert_int_eq(json_array_size(runs), 2 * ROUNDS);
	ck_assert_int_eq(json_array_size(json_object_get(all, "processes")),
			 ROUNDS * (na + nb));
	ck_assert_int_eq(json_array_size(json_object_get(all, "runs_left_out")),
			 0);
	const char *newest = NULL;
	long long newest_start = -1;
	size_t of_a = 0, of_b = 0;
	for (size_t i = 0; i < json_array_size(runs); i++) {
		json_t *r = json_array_get(runs, i);
		const char *id = it_str(r, "run");
		json_t *one = report_args(dir, "--run", id);
		ck_assert_str_eq(only_run(one), id);
		size_t n = json_array_size(json_object_get(one, "processes"));
		char *sig = signature(one);
		const char *arg =
			json_string_value(json_array_get(it_get(r, "argv"), 1));
		ck_assert_ptr_nonnull(arg);
		bool is_a = strcmp(arg, command_a[1]) == 0;
		ck_assert_uint_eq(n, (is_a ? na : nb));
		ck_assert_str_eq(sig, (is_a ? sig_a : sig_b));
		of_a += is_a, of_b += !is_a;
		for (size_t k = 0; k < n; k++)
			ck_assert_str_eq(
				it_str(json_array_get(json_object_get(one, "processes"),
						      k),
				       "run"),
				id);
		free(sig);
		json_decref(one);
		if (it_int(r, "start_unix_ns") > newest_start) {
			newest_start = it_int(r, "start_unix_ns");
			newest = id;
		}
	}
	ck_assert_uint_eq(of_a, ROUNDS);
	ck_assert_uint_eq(of_b, ROUNDS);

	/* By default: the newest run, the others listed as left out. */
	json_t *def = it_report(dir, NULL);
	ck_assert_str_eq(only_run(def), newest);
	ck_assert_int_eq(json_array_size(json_object_get(def, "runs_left_out")),
			 2 * ROUNDS - 1);
	json_decref(def);

	/* The text report says so on its first line. */
	char *argv[] = { (char *)it_env("OVC_BIN"), "report", dir, NULL };
	struct it_result r;
	it_run(argv, NULL, 120, &r);
	ck_assert_int_eq(r.code, 0);
	char *first;
	ck_assert(asprintf(&first, "%s holds %d runs: this report is of the "
				   "newest, run %s ",
			   dir, 2 * ROUNDS, newest) > 0);
	ck_assert_msg(strncmp(r.out, first, strlen(first)) == 0,
		      "first line is not\n%s\n%.500s", first, r.out);
	free(first);
	it_result_free(&r);

	/* --run and --all-runs together: bad usage. */
	char *bad[] = { (char *)it_env("OVC_BIN"), "report", "--run",
			(char *)newest, "--all-runs", dir, NULL };
	it_run(bad, NULL, 60, &r);
	ck_assert_int_eq(r.code, 2);
	it_result_free(&r);

	json_decref(all);
	free(sig_a);
	free(sig_b);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* One run in a directory: the report is of it, without a word on runs. */
START_TEST(test_runs_one_run_says_nothing)
{
	char *dir = it_tempdir("runs-one");
	pid_t pid;
	int fd;
	start(dir, command_b, &pid, &fd);
	finish(pid, fd);
	char *argv[] = { (char *)it_env("OVC_BIN"), "report", dir, NULL };
	struct it_result r;
	it_run(argv, NULL, 120, &r);
	ck_assert_int_eq(r.code, 0);
	ck_assert_msg(strncmp(r.out, "run ", 4) == 0, "%.300s", r.out);
	ck_assert_ptr_null(strstr(r.out, "--all-runs"));
	it_result_free(&r);
	json_t *rep = it_report(dir, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(rep, "runs_left_out")),
			 0);
	json_decref(rep);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runs");
	TCase *tc = tcase_create("shared");
	tcase_set_timeout(tc, 150);
	tcase_add_test(tc, test_runs_two_at_once_into_one_dir);
	tcase_add_test(tc, test_runs_one_run_says_nothing);
	suite_add_tcase(s, tc);
	return it_main(s);
}
