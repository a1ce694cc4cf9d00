/* Gates for CI: `ovc check` with each limit on a run that keeps it and one
 * that breaks it, --total and --only, the JUnit file (valid XML, expected
 * counts, escaping), `ovc run --check` and its exit status; `ovc diff` of
 * a run against itself and against one that reserves twice as much at one
 * site. */
#include "harness.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A run of `gated RESERVE TOUCH [kill]` into DIR (made when NULL). */
static void gated(const char *dir, const char *reserve, const char *touch,
		  bool kill)
{
	char *argv[] = { (char *)it_program("gated"), (char *)reserve,
			 (char *)touch, kill ? "kill" : NULL, NULL };
	struct it_result r;
	it_ovc_run(dir, argv, 60, &r);
	ck_assert_msg(r.code == (kill ? 137 : 0), "gated: exit %d: %s", r.code,
		      r.err);
	it_result_free(&r);
}

static int count(const char *text, const char *what)
{
	int n = 0;
	for (const char *s = text; (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

static char *dir_ok, *dir_killed, *dir_two, *dir_mixed;

static void setup(void)
{
	dir_ok = it_tempdir("gate-ok");
	gated(dir_ok, "64", "16", false);
	dir_killed = it_tempdir("gate-killed");
	gated(dir_killed, "64", "16", true);
	dir_two = it_tempdir("gate-two");
	gated(dir_two, "64", "16", false);
	gated(dir_two, "32", "8", false);
	dir_mixed = it_tempdir("gate-mixed");
	gated(dir_mixed, "64", "16", false);
	char *argv[] = { (char *)it_program("allocn"), "10", NULL };
	struct it_result r;
	it_ovc_run(dir_mixed, argv, 60, &r);
	ck_assert_int_eq(r.code, 0);
	it_result_free(&r);
}

static void teardown(void)
{
	it_rmtree(dir_ok), it_rmtree(dir_killed);
	it_rmtree(dir_two), it_rmtree(dir_mixed);
	free(dir_ok), free(dir_killed), free(dir_two), free(dir_mixed);
}

/* `ovc check LIMIT VALUE DIR` holds (PASS) or fails with one line. */
static void expect(const char *limit, const char *value, const char *dir,
		   bool pass)
{
	struct it_result r;
	const char *args[] = { "check", limit, value, dir, NULL };
	if (!value) {
		args[2] = dir;
		args[3] = NULL;
	}
	int code = it_ovc(&r, args);
	ck_assert_msg(code == (pass ? 0 : 1), "check %s %s: exit %d\n%s%s",
		      limit, value ? value : "", code, r.out, r.err);
	if (pass) {
		ck_assert_msg(strstr(r.out, "all hold") && !strstr(r.out, "FAIL"),
			      "%s", r.out);
	} else {
		ck_assert_int_eq(count(r.out, "FAIL"), 1);
		ck_assert_msg(strstr(r.out, "gated") &&
				      strstr(r.out, limit + 2),
			      "failure line lacks the process or the limit:\n%s",
			      r.out);
	}
	it_result_free(&r);
}

START_TEST(test_gates_each_limit_passes_and_fails)
{
	/* gated 64 16: peak live ~64 MiB, resident ~17 MiB, gap ~48 MiB,
	 * touched ratio ~0.25. */
	expect("--max-peak-live", "100M", dir_ok, true);
	expect("--max-peak-live", "32M", dir_ok, false);
	expect("--max-peak-rss", "1G", dir_ok, true);
	expect("--max-peak-rss", "4M", dir_ok, false);
	expect("--max-untouched", "100M", dir_ok, true);
	expect("--max-untouched", "16M", dir_ok, false);
	expect("--min-touched-ratio", "0.1", dir_ok, true);
	expect("--min-touched-ratio", "50%", dir_ok, false);
	expect("--max-commit-fraction", "0.9", dir_ok, true);
	expect("--max-commit-fraction", "0.000001", dir_ok, false);
	expect("--no-abrupt-end", NULL, dir_ok, true);
	expect("--no-abrupt-end", NULL, dir_killed, false);
}
END_TEST

START_TEST(test_gates_total_and_only)
{
	struct it_result r;
	/* Each of 64 and 32 MiB keeps 80M; so do the totals: the two ran
	 * one after the other, never holding 96 MiB at one moment. */
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--max-peak-live",
						     "80M", dir_two, NULL }),
			 0);
	it_result_free(&r);
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--total",
						     "--max-peak-live", "80M",
						     dir_two, NULL }),
			 0);
	it_result_free(&r);
	/* Their gaps (48 and 24 MiB) are summed: 72 MiB. */
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--max-untouched",
						     "60M", dir_two, NULL }),
			 0);
	it_result_free(&r);
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--total",
						     "--max-untouched", "60M",
						     dir_two, NULL }),
			 1);
	ck_assert_msg(strstr(r.out, "FAIL  totals of 2 process images") != NULL,
		      "%s", r.out);
	it_result_free(&r);
	/* --only picks processes by exe name or path glob. */
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--only", "allocn",
						     "--max-peak-live", "1M",
						     dir_mixed, NULL }),
			 0);
	it_result_free(&r);
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--only",
						     "x,*/gat*",
						     "--max-peak-live", "1M",
						     dir_mixed, NULL }),
			 1);
	ck_assert_int_eq(count(r.out, "FAIL"), 1);
	it_result_free(&r);
	/* Nothing selected: a gate that checked nothing fails. */
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--only", "nomatch",
						     "--max-peak-live", "1M",
						     dir_mixed, NULL }),
			 1);
	ck_assert_msg(strstr(r.out, "no process matches") != NULL, "%s", r.out);
	it_result_free(&r);
}
END_TEST

START_TEST(test_gates_bad_usage)
{
	struct it_result r;
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", dir_ok, NULL }), 2);
	it_result_free(&r);
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--max-peak-live",
						     "lots", dir_ok, NULL }),
			 2);
	it_result_free(&r);
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--check",
						     "max-bogus=1", dir_ok,
						     NULL }),
			 2);
	it_result_free(&r);
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--no-abrupt-end",
						     "/nonexistent/ovc-logs",
						     NULL }),
			 2);
	it_result_free(&r);
	/* ovc run refuses bad gates before running anything. */
	char *dir = it_tempdir("gate-usage");
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "run", "-o", dir, "--check",
						     "max-peak-live=huge", "--",
						     "true", NULL }),
			 2);
	it_result_free(&r);
	json_t *files = it_list_dir(dir, "ovc");
	ck_assert_int_eq(json_array_size(files), 0);
	json_decref(files);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_gates_junit_file)
{
	if (access("/usr/bin/xmllint", X_OK) != 0 &&
	    system("command -v xmllint >/dev/null 2>&1") != 0) {
		fputs("xmllint missing (libxml2-utils): test skipped\n", stderr);
		return;
	}
	char *dir = it_tempdir("junit");
	char *xml, *odd, *cmd;
	ck_assert(asprintf(&xml, "%s/out.xml", dir) > 0);
	/* A program whose name needs escaping in XML. */
	ck_assert(asprintf(&odd, "%s/a<b&\"c'd>", dir) > 0);
	ck_assert(asprintf(&cmd, "cp '%s' '%s/a<b&\"c'\\''d>'",
			   it_program("allocn"), dir) > 0);
	ck_assert_int_eq(system(cmd), 0);
	char *logs = it_tempdir("junit-logs");
	gated(logs, "64", "16", false);
	char *argv[] = { odd, "3", NULL };
	struct it_result r;
	it_ovc_run(logs, argv, 60, &r);
	ck_assert_int_eq(r.code, 0);
	it_result_free(&r);

	/* 2 processes x 2 limits; gated breaks --max-peak-live 32M. */
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--junit", xml,
						     "--max-peak-live", "32M",
						     "--no-abrupt-end", logs,
						     NULL }),
			 1);
	it_result_free(&r);
	char *lint[] = { "xmllint", "--noout", xml, NULL };
	it_run(lint, NULL, 30, &r);
	char *text = it_read_file(xml, NULL);
	ck_assert_msg(r.code == 0, "xmllint: %s\n%s", r.err, text);
	it_result_free(&r);
	ck_assert_msg(strstr(text, "<testsuites name=\"ovc\" tests=\"4\" "
				   "failures=\"1\"") != NULL,
		      "%s", text);
	ck_assert_int_eq(count(text, "<testcase "), 4);
	ck_assert_int_eq(count(text, "<failure "), 1);
	ck_assert_msg(strstr(text, "a&lt;b&amp;&quot;c&apos;d&gt;") != NULL,
		      "name not escaped:\n%s", text);
	/* The failure counts as much through xmllint's eyes. */
	char *xpath[] = { "xmllint", "--xpath", "count(//testcase/failure)", xml,
			  NULL };
	it_run(xpath, NULL, 30, &r);
	ck_assert_msg(r.code == 0 && strncmp(r.out, "1", 1) == 0, "%s%s",
		      r.out, r.err);
	it_result_free(&r);
	free(text);

	/* A passing gate writes a file without failures. */
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "check", "--junit", xml,
						     "--max-peak-live", "1G",
						     logs, NULL }),
			 0);
	it_result_free(&r);
	text = it_read_file(xml, NULL);
	ck_assert_int_eq(count(text, "<failure "), 0);
	ck_assert_int_eq(count(text, "<testcase "), 2);
	free(text);
	it_rmtree(dir), it_rmtree(logs);
	free(dir), free(logs), free(xml), free(odd), free(cmd);
}
END_TEST

START_TEST(test_gates_run_check_exit_status)
{
	char *dir = it_tempdir("run-check");
	const char *g = it_program("gated");
	char *gated_path = strdup(g);
	char *sh;
	ck_assert(asprintf(&sh, "%s 64 16; exit 3", gated_path) > 0);
	struct it_result r;
	/* The command succeeds, the gate fails: 1. */
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "run", "-q", "-o", dir,
						     "--check",
						     "max-peak-live=32M", "--",
						     gated_path, "64", "16",
						     NULL }),
			 1);
	ck_assert_msg(strstr(r.err, "FAIL") && strstr(r.err, "max-peak-live"),
		      "%s", r.err);
	it_result_free(&r);
	/* Both hold: 0; the option form works as --check does. */
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "run", "-q", "-o", dir,
						     "--max-peak-live", "100M",
						     "--no-abrupt-end", "--",
						     gated_path, "64", "16",
						     NULL }),
			 0);
	it_result_free(&r);
	/* The command's own failure takes precedence. */
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "run", "-q", "-o", dir,
						     "--check",
						     "max-peak-live=32M", "--",
						     "sh", "-c", sh, NULL }),
			 3);
	it_result_free(&r);
	/* Killed by SIGKILL: 137, and the gate says so. */
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "run", "-q", "-o", dir,
						     "--no-abrupt-end", "--",
						     gated_path, "8", "1",
						     "kill", NULL }),
			 137);
	ck_assert_msg(strstr(r.err, "killed by SIGKILL") != NULL, "%s", r.err);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir), free(sh), free(gated_path);
}
END_TEST

/* The sites of an `ovc diff --json` that are flagged. */
static json_t *flagged_sites(json_t *d)
{
	json_t *out = json_array(), *s;
	size_t i;
	json_array_foreach(json_object_get(d, "sites"), i, s)
		if (json_is_true(json_object_get(s, "flagged")))
			json_array_append(out, s);
	return out;
}

static json_t *diff_json(const char *a, const char *b, int want_code)
{
	struct it_result r;
	int code = it_ovc(&r, (const char *[]){ "diff", "--json", "--fail-over",
					     "10", a, b, NULL });
	ck_assert_msg(code == want_code, "diff %s %s: exit %d\n%s", a, b, code,
		      r.err);
	json_error_t e;
	json_t *d = json_loads(r.out, 0, &e);
	ck_assert_msg(d != NULL, "not JSON: %s\n%.2000s", e.text, r.out);
	ck_assert_str_eq(it_str(d, "format"), "ovc-diff");
	it_result_free(&r);
	return d;
}

START_TEST(test_gates_diff)
{
	char *d1 = it_tempdir("diff1"), *d2 = it_tempdir("diff2");
	char *argv1[] = { (char *)it_program("diffsite"), "1", NULL };
	struct it_result r;
	it_ovc_run(d1, argv1, 60, &r);
	ck_assert_int_eq(r.code, 0);
	it_result_free(&r);
	char *argv2[] = { (char *)it_program("diffsite"), "2", NULL };
	it_ovc_run(d2, argv2, 60, &r);
	ck_assert_int_eq(r.code, 0);
	it_result_free(&r);

	/* Against itself: nothing changed, nothing flagged. */
	json_t *same = diff_json(d1, d1, 0);
	ck_assert_int_eq(it_int(same, "flagged"), 0);
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(same, "sites"), i, x)
		ck_assert(json_is_false(json_object_get(x, "changed")));
	json_array_foreach(json_object_get(same, "executables"), i, x)
		ck_assert(json_is_false(json_object_get(x, "changed")));
	ck_assert_int_ge(json_array_size(json_object_get(same, "sites")), 3);
	json_decref(same);

	/* A saved JSON report is a valid BASE. */
	char *saved;
	ck_assert(asprintf(&saved, "%s/base.json", d2) > 0);
	json_t *rep = it_report(d1, NULL);
	ck_assert_int_eq(json_dump_file(rep, saved, 0), 0);
	json_decref(rep);

	/* Twice as much at reserve_a: that site and only that one. */
	json_t *d = diff_json(saved, d2, 1);
	json_t *fl = flagged_sites(d);
	ck_assert_msg(json_array_size(fl) == 1, "flagged:\n%s", it_dump(fl));
	json_t *site = json_array_get(fl, 0);
	const char *f0 = json_string_value(
		json_array_get(json_object_get(site, "frames"), 0));
	ck_assert_msg(f0 && strncmp(f0, "reserve_a", 9) == 0, "%s",
		      it_dump(site));
	ck_assert_int_eq(it_int(site, "figures.requested_bytes.change"),
			 32 * IT_MIB);
	ck_assert(json_is_true(it_get(site, "figures.requested_bytes.flagged")));
	json_decref(fl);
	json_decref(d);

	/* The text form says the same; without --fail-over it exits 0. */
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "diff", d1, d2, NULL }), 0);
	ck_assert_msg(strstr(r.out, "reserve_a") && !strstr(r.out, "reserve_c") &&
			      !strstr(r.out, "touch_b"),
		      "%s", r.out);
	it_result_free(&r);
	ck_assert_int_eq(it_ovc(&r, (const char *[]){ "diff", d1, NULL }), 2);
	it_result_free(&r);
	it_rmtree(d1), it_rmtree(d2);
	free(d1), free(d2), free(saved);
}
END_TEST

/* A log of one process with NSITES sites of 32 frames each, in a module
 * that cannot be symbolized; returns its directory. */
static char *many_sites_log(int nsites)
{
	char *dir = it_tempdir("diff-many");
	char *path;
	ck_assert(asprintf(&path, "%s/ovc.5151.0.jsonl", dir) > 0);
	FILE *f = fopen(path, "w");
	ck_assert(f != NULL);
	fputs("{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":1,"
	      "\"pid\":5151,\"ppid\":1,\"exe\":\"/usr/bin/many-sites\","
	      "\"argv\":[\"many-sites\"],\"run\":\"\",\"origin\":\"start\","
	      "\"proc_start_ticks\":1,\"start_unix_ns\":1700000000000000000,"
	      "\"start_mono_ns\":5000,\"page_size\":4096,"
	      "\"mem_total\":25000000000,\"mem_available\":24000000000,"
	      "\"commit_limit\":12500000000,\"committed_as\":1000000,"
	      "\"overcommit_memory\":0,\"overcommit_ratio\":50,"
	      "\"interval_ms\":10,\"funcs\":[\"malloc\",\"calloc\",\"realloc\","
	      "\"reallocarray\",\"free\",\"posix_memalign\",\"aligned_alloc\","
	      "\"memalign\",\"valloc\",\"pvalloc\"],"
	      "\"baseline\":{\"vm\":10485760,\"rss\":2097152,"
	      "\"shared\":1048576}}\n",
	      f);
	fputs("{\"t\":\"mod\",\"id\":0,\"path\":\"/nonexistent/libmany.so\","
	      "\"base\":0,\"lo\":0,\"hi\":4000000000,\"build_id\":\"\"}\n",
	      f);
	for (int i = 0; i < nsites; i++) {
		fprintf(f, "{\"t\":\"site\",\"id\":%d,\"frames\":[", i);
		for (int k = 0; k < 32; k++)
			fprintf(f, "%s[0,%d]", k ? "," : "", 1000 + i * 64 + k);
		fputs("]}\n", f);
	}
	for (int i = 0; i < nsites; i++)
		fprintf(f,
			"{\"t\":\"ss\",\"ns\":20000000,\"id\":%d,\"blocks\":1,"
			"\"requested\":%d,\"live\":0,\"peak_live\":%d,"
			"\"touched\":0,\"unprobed\":0,\"sampled\":false,"
			"\"shared_pages\":false}\n",
			i, 4096 + i, 4096 + i);
	fputs("{\"t\":\"s\",\"ns\":30000000,\"vm\":20971520,\"rss\":4194304,"
	      "\"shared\":1048576,\"live\":0,\"peak_live\":50000000,"
	      "\"calls\":[5000,0,0,0,5000,0,0,0,0,0],"
	      "\"failed\":[0,0,0,0,0,0,0,0,0,0],"
	      "\"requested\":[50000000,0,0,0,0,0,0,0,0,0]}\n"
	      "{\"t\":\"end\",\"ns\":30000000,\"kind\":\"exit\",\"code\":0,"
	      "\"via\":\"exit\"}\n",
	      f);
	ck_assert(fclose(f) == 0);
	free(path);
	return dir;
}

/* Peak resident size (KiB) of `ovc ARGS...`, its stdout thrown away;
 * checks that it exits 0. */
static long ovc_maxrss_kib(const char *const args[])
{
	const char *argv[16] = { it_env("OVC_BIN") };
	size_t n = 1;
	for (; args[n - 1] && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st;
	struct rusage ru;
	ck_assert(wait4(pid, &st, 0, &ru) == pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ovc %s: status %#x",
		      args[0], st);
	return ru.ru_maxrss;
}

/* `ovc diff` compares the models it reads, not their JSON reports: on a
 * log with many sites it takes at most twice the memory of `ovc report`
 * (which reads one model); rendering every site to JSON took about ten
 * times as much. Its output lists every site. */
START_TEST(test_gates_diff_memory)
{
	int nsites = 6000;
	char *dir = many_sites_log(nsites);
	long report = ovc_maxrss_kib((const char *[]){ "report", dir, NULL });
	long diff = ovc_maxrss_kib((const char *[]){ "diff", dir, dir, NULL });
	long diff_all = ovc_maxrss_kib(
		(const char *[]){ "diff", "--all", dir, dir, NULL });
	printf("diff memory: report %ld KiB, diff %ld KiB, diff --all %ld KiB\n",
	       report, diff, diff_all);
	/* Not in the sanitizer build (OVC_PLAIN_BUILD set by its wrapper):
	 * ASan's quarantine keeps the first model's memory. */
	if (!getenv("OVC_PLAIN_BUILD"))
		ck_assert_msg(diff <= 2 * report && diff_all <= 2 * report,
			      "ovc report %ld KiB, ovc diff %ld KiB, --all %ld "
			      "KiB",
			      report, diff, diff_all);
	json_t *d = diff_json(dir, dir, 0);
	ck_assert_int_eq(json_array_size(json_object_get(d, "sites")), nsites);
	json_t *first = json_array_get(json_object_get(d, "sites"), 0);
	ck_assert_int_eq(json_array_size(json_object_get(first, "frames")), 32);
	json_decref(d);
	it_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("gates");
	TCase *tc = tcase_create("gates");
	tcase_set_timeout(tc, 300);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gates_each_limit_passes_and_fails);
	tcase_add_test(tc, test_gates_total_and_only);
	tcase_add_test(tc, test_gates_bad_usage);
	tcase_add_test(tc, test_gates_junit_file);
	tcase_add_test(tc, test_gates_run_check_exit_status);
	tcase_add_test(tc, test_gates_diff);
	tcase_add_test(tc, test_gates_diff_memory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return it_main(suite());
}
