/* Which processes write logs (OVC_FOLLOW, OVC_ONLY), and programs that
 * cannot be preloaded recorded as untraced by the process that starts them. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* `ovc run -o DIR -- sh -c SCRIPT` with the OVC_* settings in ENV. */
static void run_sh(const char *dir, char *const env[], const char *script,
		   struct it_result *r)
{
	char *argv[] = { (char *)it_env("OVC_BIN"), "run", "-o", (char *)dir,
			 "--", "sh", "-c", (char *)script, NULL };
	it_run(argv, env, 120, r);
	ck_assert_msg(r->code == 0, "exit %d: %s", r->code, r->err);
}

/* Base names of the executables of DIR's logs, sorted, space-separated. */
static char *exes(const char *dir)
{
	json_t *report = it_report(dir, NULL);
	json_t *procs = it_processes(report, NULL);
	char *names[64];
	size_t n = 0, i;
	json_t *p;
	json_array_foreach(procs, i, p) {
		const char *exe = it_str(p, "exe");
		const char *base = strrchr(exe, '/');
		if (n < 64)
			names[n++] = strdup(base ? base + 1 : exe);
	}
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(names[b - 1], names[b]) > 0; b--) {
			char *t = names[b];
			names[b] = names[b - 1];
			names[b - 1] = t;
		}
	char *out = calloc(1, 4096);
	for (size_t k = 0; k < n; k++) {
		if (k)
			strcat(out, " ");
		strncat(out, names[k], 200);
		free(names[k]);
	}
	json_decref(procs);
	json_decref(report);
	return out;
}

START_TEST(test_follow_none_traces_the_command_only)
{
	char *dir = it_tempdir("follow-none");
	char script[4096];
	/* A child (article-touch) and then an exec of the shell itself. */
	char touch[2048];
	snprintf(touch, sizeof touch, "%s", it_program("article-touch"));
	snprintf(script, sizeof script, "%s 4 >/dev/null; exec %s 4", touch,
		 it_program("article-reserve"));
	char *env[] = { "OVC_FOLLOW=none", NULL };
	struct it_result r;
	run_sh(dir, env, script, &r);
	char *names = exes(dir);
	/* The shell and the image it exec'd into: the same process. */
	ck_assert_str_eq(names, "article-reserve dash");
	free(names);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_follow_only_pattern)
{
	char *dir = it_tempdir("follow-only");
	char script[4096];
	char touch[2048];
	snprintf(touch, sizeof touch, "%s", it_program("article-touch"));
	snprintf(script, sizeof script, "%s 4 >/dev/null; %s 2 >/dev/null",
		 touch, it_program("article-reserve"));
	char *env[] = { "OVC_ONLY=nothing-here,article-t*", NULL };
	struct it_result r;
	run_sh(dir, env, script, &r);
	char *names = exes(dir);
	ck_assert_str_eq(names, "article-touch");
	free(names);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_follow_static_program_is_untraced)
{
	/* Debian's ldconfig is statically linked. */
	if (access("/sbin/ldconfig", X_OK) != 0)
		return;
	char *dir = it_tempdir("follow-static");
	struct it_result r;
	run_sh(dir, NULL, "/sbin/ldconfig -p >/dev/null; true", &r);
	json_t *logs = it_list_dir(dir, "ovc.");
	int found = 0;
	size_t i;
	json_t *name;
	json_array_foreach(logs, i, name) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, json_string_value(name));
		json_t *lines = it_read_jsonl(path);
		size_t j;
		json_t *rec;
		json_array_foreach(lines, j, rec) {
			const char *t = json_string_value(json_object_get(rec, "t"));
			if (t && strcmp(t, "untraced") == 0) {
				ck_assert_str_eq(it_str(rec, "path"), "/sbin/ldconfig");
				ck_assert_str_eq(it_str(rec, "why"), "static");
				found++;
			}
		}
		json_decref(lines);
	}
	ck_assert_int_eq(found, 1);
	json_decref(logs);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Processes of DIR's report whose executable's base name is NAME. */
static size_t count_exe(const char *dir, const char *name)
{
	json_t *report = it_report(dir, NULL);
	json_t *procs = it_processes(report, name);
	size_t n = json_array_size(procs);
	json_decref(procs);
	json_decref(report);
	return n;
}

START_TEST(test_follow_keeps_the_programs_own_settings)
{
	/* The shell sets its own OVC_OUTPUT for its child: kept, not
	 * overwritten with the one the preload started with. */
	char *a = it_tempdir("follow-own-a");
	char *b = it_tempdir("follow-own-b");
	char *pre, *out_a, *script;
	ck_assert(asprintf(&pre, "LD_PRELOAD=%s", it_env("OVC_LIB")) > 0);
	ck_assert(asprintf(&out_a, "OVC_OUTPUT=%s", a) > 0);
	ck_assert(asprintf(&script, "OVC_OUTPUT=%s sh -c 'echo $OVC_OUTPUT'",
			   b) > 0);
	char *argv[] = { "sh", "-c", script, NULL };
	char *env[] = { pre, out_a, "OVC_SUMMARY=never", NULL };
	struct it_result r;
	it_run(argv, env, 60, &r);
	ck_assert_int_eq(r.code, 0);
	char want[4200];
	snprintf(want, sizeof want, "%s\n", b);
	ck_assert_str_eq(r.out, want);
	/* Each shell logged where its own environment said. */
	ck_assert_int_eq(count_exe(a, "dash"), 1);
	ck_assert_int_eq(count_exe(b, "dash"), 1);
	it_result_free(&r);
	free(pre), free(out_a), free(script);
	it_rmtree(a), it_rmtree(b);
	free(a), free(b);
}
END_TEST

START_TEST(test_follow_through_an_emptied_environment)
{
	/* env -i and execve with an explicit envp: LD_PRELOAD and the OVC_*
	 * settings the process started with are added back (OVC_INTERVAL
	 * shows in the report); an LD_PRELOAD the program set empty is its
	 * choice: that child runs untraced. */
	char *dir = it_tempdir("follow-emptied");
	char script[4096];
	const char *allocn = it_program("allocn");
	snprintf(script, sizeof script,
		 "env -i PATH=/usr/bin:/bin FOO=1 %s 7 && env -i %s 8 && "
		 "LD_PRELOAD= %s 9",
		 allocn, allocn, allocn);
	char *env[] = { "OVC_INTERVAL=7", NULL };
	struct it_result r;
	run_sh(dir, env, script, &r);
	json_t *report = it_report(dir, NULL);
	json_t *procs = it_processes(report, "allocn");
	long seen = 0;
	size_t i;
	json_t *p;
	json_array_foreach(procs, i, p) {
		long n = (long)it_int(p, "calls.malloc");
		ck_assert_msg(n == 7 || n == 8, "allocn %ld traced", n);
		ck_assert_int_eq(it_int(p, "interval_ms"), 7);
		seen += n;
	}
	ck_assert_int_eq(seen, 15);
	/* The shell says why allocn 9 is not there. */
	json_t *un = json_array_get(it_get(report, "untraced"), 0);
	ck_assert_int_eq(json_array_size(it_get(report, "untraced")), 1);
	ck_assert_str_eq(it_str(un, "why"), "cleared");
	ck_assert_str_eq(it_str(un, "path"), allocn);
	json_decref(procs);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_follow_nested_run)
{
	/* ovc run -o A -- ovc run -o B -- allocn 5: the inner run's logs go to
	 * B and its report finds them; A has the inner ovc process. */
	char *a = it_tempdir("follow-nested-a");
	char *b = it_tempdir("follow-nested-b");
	const char *ovc = it_env("OVC_BIN");
	/* The inner ovc runs under the preload: in the sanitizer build
	 * (OVC_PLAIN_BUILD set by its wrapper), the plain build's, as an ASan
	 * program cannot take another malloc interposer. */
	char *inner = NULL;
	const char *plain = getenv("OVC_PLAIN_BUILD");
	if (plain)
		ck_assert(asprintf(&inner, "%s/cli/ovc", plain) > 0);
	char *argv[] = { (char *)ovc, "run", "-o", a, "--",
			 inner ? inner : (char *)ovc, "run",
			 "-o", b, "--json", "--", (char *)it_program("allocn"),
			 "5", NULL };
	struct it_result r;
	it_run(argv, NULL, 120, &r);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(!strstr(r.err, "traced no process") &&
			      !strstr(r.err, "no process:"),
		      "%s", r.err);
	json_t *report = it_report(b, NULL);
	json_t *p = it_process(report, "allocn");
	ck_assert_int_eq(it_int(p, "calls.malloc"), 5);
	json_decref(report);
	ck_assert_int_eq(count_exe(a, "allocn"), 0);
	ck_assert_int_ge(count_exe(a, "ovc"), 1);
	/* The outer run says where the inner command's logs went. */
	report = it_report(a, NULL);
	json_t *un = json_array_get(it_get(report, "untraced"), 0);
	ck_assert_int_eq(json_array_size(it_get(report, "untraced")), 1);
	ck_assert_str_eq(it_str(un, "why"), "output");
	ck_assert_str_eq(it_str(un, "output"), b);
	ck_assert(json_is_true(it_get(un, "exec")));
	json_decref(report);
	it_result_free(&r);
	it_rmtree(a), it_rmtree(b);
	free(a), free(b), free(inner);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("follow");
	TCase *tc = tcase_create("follow");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_follow_none_traces_the_command_only);
	tcase_add_test(tc, test_follow_only_pattern);
	tcase_add_test(tc, test_follow_static_program_is_untraced);
	tcase_add_test(tc, test_follow_keeps_the_programs_own_settings);
	tcase_add_test(tc, test_follow_through_an_emptied_environment);
	tcase_add_test(tc, test_follow_nested_run);
	suite_add_tcase(s, tc);
	return it_main(s);
}
