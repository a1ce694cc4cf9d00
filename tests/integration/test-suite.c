/* Whole suites under ovc: a tree of processes started by every means
 * (tests/programs/spawner) with exact counts in `ovc report --json`'s
 * "tree"; the bundled project's `make check` (tests/project) under
 * `ovc run`, its report and gates; `meson test --wrapper='ovc run ...'`;
 * the live status line on a terminal and not elsewhere. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef OVC_PROJECT_SRC
#error "OVC_PROJECT_SRC: the path of tests/project"
#endif

static const char *base(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Whether PROG is found in PATH. */
static bool have(const char *prog)
{
	char *cmd;
	ck_assert(asprintf(&cmd, "command -v %s >/dev/null 2>&1", prog) > 0);
	int rc = system(cmd);
	free(cmd);
	return rc == 0;
}

/* The tree node (index) whose "logs" hold LOG. */
static size_t node_of(json_t *report, const char *log)
{
	json_t *tree = it_get(report, "tree"), *n, *l;
	size_t i, j;
	json_array_foreach(tree, i, n) {
		json_array_foreach(json_object_get(n, "logs"), j, l)
			if (strcmp(json_string_value(l), log) == 0)
				return i;
	}
	ck_abort_msg("log %s is in no tree node", log);
	return 0;
}

/* The exe names of tree node K, joined by '>'. */
static char *node_exes(json_t *report, size_t k)
{
	json_t *n = json_array_get(it_get(report, "tree"), k), *e;
	size_t i;
	char buf[512] = "";
	json_array_foreach(json_object_get(n, "exes"), i, e) {
		if (i)
			strncat(buf, ">", sizeof buf - strlen(buf) - 1);
		const char *name = base(json_string_value(e));
		/* /bin/sh is dash on Debian, bash elsewhere. */
		if (strcmp(name, "dash") == 0 || strcmp(name, "bash") == 0)
			name = "sh";
		strncat(buf, name, sizeof buf - strlen(buf) - 1);
	}
	return strdup(buf);
}

static long long parent_of(json_t *report, size_t k)
{
	json_t *p = json_object_get(json_array_get(it_get(report, "tree"), k),
				    "parent");
	return json_is_integer(p) ? json_integer_value(p) : -1;
}

/* The process of REPORT with exe name EXE and argv[1] ARG1. */
static json_t *proc_arg(json_t *report, const char *exe, const char *arg1)
{
	json_t *list = it_processes(report, exe), *p, *found = NULL;
	size_t i;
	json_array_foreach(list, i, p) {
		const char *a = json_string_value(
			json_array_get(json_object_get(p, "argv"), 1));
		/* A fork child keeps its parent's argv until it execs. */
		if (strcmp(it_str(p, "origin"), "fork") == 0)
			continue;
		if (a && strcmp(a, arg1) == 0) {
			ck_assert_msg(found == NULL, "two %s %s", exe, arg1);
			found = p;
		}
	}
	json_decref(list);
	ck_assert_msg(found != NULL, "no process %s %s in:\n%.4000s", exe, arg1,
		      it_dump(it_get(report, "tree")));
	return found;
}

/* Ancestors of node K as "a>b|c|d" (exe chains from the parent up). */
static char *ancestry(json_t *report, size_t k)
{
	char buf[2048] = "";
	for (long long p = parent_of(report, k), n = 0; p >= 0 && n < 20;
	     p = parent_of(report, (size_t)p), n++) {
		char *e = node_exes(report, (size_t)p);
		if (n)
			strncat(buf, "|", sizeof buf - strlen(buf) - 1);
		strncat(buf, e, sizeof buf - strlen(buf) - 1);
		free(e);
	}
	return strdup(buf);
}

START_TEST(test_suite_spawn_tree_exact_counts)
{
	char *dir = it_tempdir("spawn");
	char *cmd;
	ck_assert(asprintf(&cmd, "%s 2; true", it_program("spawner")) > 0);
	char *argv[] = { "sh", "-c", cmd, NULL };
	struct it_result r;

	it_ovc_run(dir, argv, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d, stderr:\n%s", r.code, r.err);
	json_t *report = it_report(dir, NULL);

	/* Every image is in exactly one node of the tree. */
	json_t *tree = it_get(report, "tree"), *n;
	size_t i, images = 0;
	json_array_foreach(tree, i, n)
		images += json_array_size(json_object_get(n, "logs"));
	ck_assert_int_eq(images,
			 json_array_size(it_get(report, "processes")));
	ck_assert_int_eq(it_int(report, "totals.images"), images);
	ck_assert_int_eq(it_int(report, "totals.processes"),
			 json_array_size(tree));

	/* Each allocn K made exactly K mallocs and frees of 100 bytes, and
	 * sits where the way it was started puts it. */
	static const struct {
		const char *k, *node, *ancestry, *node2, *ancestry2;
	} want[] = {
		{ "11", "spawner>allocn", "spawner|sh", NULL, NULL },   /* fork + exec */
		{ "12", "allocn", "spawner|sh", NULL, NULL },           /* vfork + exec */
		{ "13", "allocn", "spawner|sh", NULL, NULL },           /* posix_spawn */
		/* system: the shell forks, or (bash) execs the command */
		{ "14", "allocn", "sh|spawner|sh", "sh>allocn", "spawner|sh" },
		{ "15", "spawner>allocn", "spawner|sh", NULL, NULL },   /* execve, env {} */
		{ "21", "spawner>allocn", "spawner|spawner|sh", NULL, NULL },
		{ "22", "allocn", "spawner|spawner|sh", NULL, NULL },
	};
	for (size_t w = 0; w < sizeof want / sizeof *want; w++) {
		json_t *p = proc_arg(report, "allocn", want[w].k);
		long long k = atoll(want[w].k);
		ck_assert_int_eq(it_int(p, "calls.malloc"), k);
		ck_assert_int_eq(it_int(p, "calls.free"), k);
		ck_assert_int_eq(it_int(p, "requested_bytes"), 100 * k);
		ck_assert_str_eq(it_str(p, "end.kind"), "exit");
		size_t nd = node_of(report, it_str(p, "log"));
		char *exes = node_exes(report, nd);
		char *anc = ancestry(report, nd);
		bool ok = strcmp(exes, want[w].node) == 0 &&
			  strcmp(anc, want[w].ancestry) == 0;
		if (want[w].node2)
			ok = ok || (strcmp(exes, want[w].node2) == 0 &&
				    strcmp(anc, want[w].ancestry2) == 0);
		ck_assert_msg(ok,
			      "allocn %s: node %s under %s, expected %s under %s",
			      want[w].k, exes, anc, want[w].node,
			      want[w].ancestry);
		free(exes);
		free(anc);
	}
	/* The root is the shell of the run; spawner 1 is under spawner 2. */
	json_t *s1 = proc_arg(report, "spawner", "1");
	json_t *s2 = proc_arg(report, "spawner", "2");
	size_t n1 = node_of(report, it_str(s1, "log"));
	size_t n2 = node_of(report, it_str(s2, "log"));
	ck_assert_int_eq(parent_of(report, n1), (long long)n2);
	json_t *parent_log = json_object_get(json_array_get(tree, n1),
					     "parent_log");
	ck_assert_str_eq(json_string_value(parent_log), it_str(s2, "log"));
	ck_assert_int_eq(it_int(report, "totals.untraced"), 0);
	ck_assert_int_eq(it_int(report, "totals.abrupt"), 0);

	/* The text report shows the tree. */
	char *rargv[] = { (char *)it_env("OVC_BIN"), "report", dir, NULL };
	struct it_result t;
	it_run(rargv, NULL, 60, &t);
	ck_assert_int_eq(t.code, 0);
	ck_assert_msg(strstr(t.out, "process tree") &&
			      strstr(t.out, "spawner → allocn") &&
			      strstr(t.out, "totals ("),
		      "%s", t.out);
	it_result_free(&t);

	json_decref(report);
	it_result_free(&r);
	free(cmd);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Copies tests/project to a new directory and returns its path. */
static char *project_copy(void)
{
	char *dir = it_tempdir("project");
	char *argv[] = { "cp", "-R", OVC_PROJECT_SRC "/.", dir, NULL };
	struct it_result r;
	it_run(argv, NULL, 30, &r);
	ck_assert_msg(r.code == 0, "cp: %s", r.err);
	it_result_free(&r);
	return dir;
}

START_TEST(test_suite_project_make_check)
{
	if (!have("make") || !have("cc")) {
		fputs("make or cc missing: test skipped\n", stderr);
		return;
	}
	char *proj = project_copy();
	char *dir = it_tempdir("project-logs");
	char *argv[] = { "make", "-C", proj, "check", "CC=cc", NULL };
	struct it_result r;

	it_ovc_run(dir, argv, 240, &r);
	ck_assert_msg(r.code == 0, "exit %d\nstdout:\n%s\nstderr:\n%s", r.code,
		      r.out, r.err);
	ck_assert_msg(strstr(r.out, "PASS: t-over") != NULL, "%s", r.out);
	json_t *report = it_report(dir, NULL);

	/* All three test programs, each under make. */
	static const char *const tests[] = { "t-small", "t-strings", "t-over" };
	for (size_t i = 0; i < 3; i++) {
		json_t *p = it_process(report, tests[i]);
		ck_assert_str_eq(it_str(p, "end.kind"), "exit");
		ck_assert_int_eq(it_int(p, "end.code"), 0);
		char *anc = ancestry(report, node_of(report, it_str(p, "log")));
		ck_assert_msg(strstr(anc, "make") != NULL, "%s under %s",
			      tests[i], anc);
		free(anc);
	}
	json_t *over = it_process(report, "t-over");
	ck_assert_int_ge(it_int(over, "overcommit_gap_bytes"), 900 * IT_MIB);
	/* The compilers ran under ovc too. */
	json_t *cc1 = it_processes(report, "cc1");
	ck_assert_int_ge(json_array_size(cc1), 3);
	json_decref(cc1);
	ck_assert_int_ge(it_int(report, "totals.processes"), 10);

	/* A gate over the suite: t-over breaks --max-untouched 256M, the
	 * others keep it. */
	char *gate[] = { (char *)it_env("OVC_BIN"), "check", "--max-untouched",
			 "256M", dir, NULL };
	struct it_result g;
	it_run(gate, NULL, 60, &g);
	ck_assert_msg(g.code == 1, "exit %d: %s%s", g.code, g.out, g.err);
	ck_assert_msg(strstr(g.out, "FAIL") && strstr(g.out, "t-over") &&
			      strstr(g.out, "max-untouched"),
		      "%s", g.out);
	int fails = 0;
	for (const char *s = g.out; (s = strstr(s, "FAIL")); s++)
		fails++;
	ck_assert_int_eq(fails, 1);
	it_result_free(&g);

	char *gate2[] = { (char *)it_env("OVC_BIN"), "check", "--only",
			  "t-small,t-strings", "--max-untouched", "256M",
			  "--no-abrupt-end", dir, NULL };
	it_run(gate2, NULL, 60, &g);
	ck_assert_msg(g.code == 0, "exit %d: %s%s", g.code, g.out, g.err);
	ck_assert_msg(strstr(g.out, "all hold") != NULL, "%s", g.out);
	it_result_free(&g);

	/* The same gate as part of the run: make succeeds, the gate fails:
	 * exit 1. */
	char *dir2 = it_tempdir("project-gate");
	char *run[] = { (char *)it_env("OVC_BIN"), "run", "-q", "-o", dir2,
			"--check", "max-untouched=256M,only=t-*", "--", "make",
			"-C", proj, "check", "CC=cc", NULL };
	it_run(run, NULL, 240, &g);
	ck_assert_msg(g.code == 1, "exit %d: %s", g.code, g.err);
	ck_assert_msg(strstr(g.err, "FAIL") && strstr(g.err, "t-over"), "%s",
		      g.err);
	it_result_free(&g);

	json_decref(report);
	it_result_free(&r);
	it_rmtree(proj);
	it_rmtree(dir);
	it_rmtree(dir2);
	free(proj);
	free(dir);
	free(dir2);
}
END_TEST

START_TEST(test_suite_meson_test_wrapper)
{
	if (!have("meson") || !have("ninja") || !have("cc")) {
		fputs("meson, ninja or cc missing: test skipped\n", stderr);
		return;
	}
	char *proj = it_tempdir("mesonproj");
	char *logs = it_tempdir("mesonlogs");
	char *path, *text, *wrapper, *bdir;
	/* it_program() returns static storage: one at a time. */
	char *allocn = strdup(it_program("allocn"));
	char *spawner = strdup(it_program("spawner"));
	ck_assert(asprintf(&path, "%s/meson.build", proj) > 0);
	ck_assert(asprintf(&text,
			   "project('w', 'c')\n"
			   "allocn = find_program('%s')\n"
			   "test('five', allocn, args : ['5'])\n"
			   "test('seven', allocn, args : ['7'])\n"
			   "test('spawn', find_program('%s'), args : ['1'])\n",
			   allocn, spawner) > 0);
	it_write_file(path, text, strlen(text));
	ck_assert(asprintf(&bdir, "%s/build", proj) > 0);
	char *setup[] = { "meson", "setup", bdir, proj, NULL };
	struct it_result r;
	it_run(setup, NULL, 120, &r);
	ck_assert_msg(r.code == 0, "meson setup: %s%s", r.out, r.err);
	it_result_free(&r);
	ck_assert(asprintf(&wrapper, "--wrapper=%s run -o %s --",
			   it_env("OVC_BIN"), logs) > 0);
	char *test[] = { "meson", "test", "-C", bdir, wrapper, NULL };
	it_run(test, NULL, 120, &r);
	ck_assert_msg(r.code == 0, "meson test: %s%s", r.out, r.err);
	it_result_free(&r);

	/* One run per test, all in one directory: by default the report is
	 * of the newest run, and says which ones it left out. */
	json_t *report = it_report(logs, NULL);
	ck_assert_int_eq(json_array_size(it_get(report, "runs")), 1);
	ck_assert_int_eq(json_array_size(it_get(report, "runs_left_out")), 2);
	json_decref(report);
	/* --all-runs: one report over all. */
	char *all[] = { (char *)it_env("OVC_BIN"), "report", "--json",
			"--all-runs", logs, NULL };
	it_run(all, NULL, 120, &r);
	ck_assert_msg(r.code == 0, "ovc report --all-runs: %s", r.err);
	report = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(report);
	it_result_free(&r);
	ck_assert_int_eq(json_array_size(it_get(report, "runs")), 3);
	ck_assert_int_eq(json_array_size(it_get(report, "runs_left_out")), 0);
	ck_assert_int_eq(it_int(proc_arg(report, "allocn", "5"), "calls.malloc"),
			 5);
	ck_assert_int_eq(it_int(proc_arg(report, "allocn", "7"), "calls.malloc"),
			 7);
	ck_assert_int_eq(it_int(proc_arg(report, "allocn", "21"),
				"calls.malloc"),
			 21);
	ck_assert_int_eq(it_int(report, "totals.processes"), 5);
	json_decref(report);

	it_rmtree(proj);
	it_rmtree(logs);
	free(proj), free(logs), free(path), free(text), free(wrapper);
	free(bdir), free(allocn), free(spawner);
}
END_TEST

START_TEST(test_suite_status_line_on_a_terminal_only)
{
	if (!have("script")) {
		fputs("script(1) missing: test skipped\n", stderr);
		return;
	}
	char *dir = it_tempdir("status");
	char *inner, *cmd;
	ck_assert(asprintf(&inner, "%s 64 16; sleep 2.5", it_program("gated")) >
		  0);
	ck_assert(asprintf(&cmd, "%s run -q -o %s -- sh -c '%s'",
			   it_env("OVC_BIN"), dir, inner) > 0);
	char *argv[] = { "script", "-qec", cmd, "/dev/null", NULL };
	struct it_result r;

	/* Under script(1), stderr is a terminal: the line is drawn (at
	 * least twice in 2.5 s), then erased. */
	it_run(argv, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
	ck_assert_msg(strstr(r.out, "\rovc: ") != NULL, "no status line:\n%s",
		      r.out);
	ck_assert_msg(strstr(r.out, "largest: live 64.0 MiB gated") != NULL,
		      "no largest live:\n%s", r.out);
	ck_assert_msg(strstr(r.out, "\r\033[K") != NULL, "line not erased:\n%s",
		      r.out);
	it_result_free(&r);

	/* Not a terminal: nothing of the kind. */
	char *plain[] = { "sh", "-c", inner, NULL };
	it_ovc_run(dir, plain, 60, &r);
	ck_assert_int_eq(r.code, 0);
	ck_assert_msg(strchr(r.err, '\r') == NULL && !strstr(r.err, "\033[K"),
		      "status line without a terminal:\n%s", r.err);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir), free(inner), free(cmd);
}
END_TEST

START_TEST(test_suite_untraced_programs_listed)
{
	char *dir = it_tempdir("untraced");
	char *cmd;
	char *st = strdup(it_program("allocn-static"));
	ck_assert(asprintf(&cmd, "%s 3; %s 4; true", st, it_program("allocn")) >
		  0);
	free(st);
	char *argv[] = { "sh", "-c", cmd, NULL };
	struct it_result r;
	it_ovc_run(dir, argv, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "untraced processes (1)") &&
			      strstr(r.err, "allocn-static (untraced: static)"),
		      "%s", r.err);
	it_result_free(&r);
	json_t *report = it_report(dir, NULL);
	ck_assert_int_eq(it_int(report, "totals.untraced"), 1);
	json_t *u = json_array_get(it_get(report, "untraced"), 0);
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(base(it_str(u, "path")), "allocn-static");
	ck_assert_str_eq(it_str(u, "why"), "static");
	/* Listed under the shell that started it, in the tree. */
	size_t nd = node_of(report, it_str(u, "by_log"));
	json_t *un = json_object_get(json_array_get(it_get(report, "tree"), nd),
				     "untraced");
	ck_assert_int_eq(json_array_size(un), 1);
	ck_assert_int_eq(it_int(proc_arg(report, "allocn", "4"), "calls.malloc"),
			 4);
	json_decref(report);
	it_rmtree(dir);
	free(dir), free(cmd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("suite");
	TCase *tc = tcase_create("suite");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_suite_spawn_tree_exact_counts);
	tcase_add_test(tc, test_suite_project_make_check);
	tcase_add_test(tc, test_suite_meson_test_wrapper);
	tcase_add_test(tc, test_suite_status_line_on_a_terminal_only);
	tcase_add_test(tc, test_suite_untraced_programs_listed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return it_main(suite());
}
