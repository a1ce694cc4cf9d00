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

int main(void)
{
	Suite *s = suite_create("follow");
	TCase *tc = tcase_create("follow");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_follow_none_traces_the_command_only);
	tcase_add_test(tc, test_follow_only_pattern);
	tcase_add_test(tc, test_follow_static_program_is_untraced);
	suite_add_tcase(s, tc);
	return it_main(s);
}
