/* One complete log per process image, linked to its parent or predecessor:
 * tests/programs/forks makes children by fork (ending by exit and by _exit),
 * by fork + exec, by a failed exec, and by system() of a shell chain. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The last component of a path. */
static const char *base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The log file name of P, taken from the report's "log" field. */
static const char *log_of(json_t *p)
{
	return base(it_str(p, "log"));
}

static const char *parent_log_of(json_t *p)
{
	return base(it_str(p, "parent_log"));
}

/* The process of LIST whose end is KIND (and CODE for exits). */
static json_t *by_end(json_t *list, const char *kind, int code)
{
	json_t *p, *found = NULL;
	size_t i;

	json_array_foreach(list, i, p) {
		if (strcmp(it_str(p, "end.kind"), kind) != 0)
			continue;
		if (strcmp(kind, "exit") == 0 && it_int(p, "end.code") != code)
			continue;
		ck_assert_msg(found == NULL, "two processes ended %s %d", kind,
			      code);
		found = p;
	}
	ck_assert_msg(found != NULL, "no process ended %s %d in:\n%.6000s", kind,
		      code, it_dump(list));
	return found;
}

/* The process of LIST whose argv[1] is ARG1. */
static json_t *by_arg1(json_t *list, const char *arg1)
{
	json_t *p;
	size_t i;

	json_array_foreach(list, i, p) {
		const char *a = json_string_value(json_array_get(
			json_object_get(p, "argv"), 1));
		if (a != NULL && strcmp(a, arg1) == 0)
			return p;
	}
	ck_abort_msg("no process with argv[1] %s in:\n%.6000s", arg1,
		     it_dump(list));
	return NULL;
}

START_TEST(test_forks_one_complete_log_per_image)
{
	char *dir = it_tempdir("forks");
	char *argv[] = { (char *)it_program("forks"), NULL };
	struct it_result r;
	json_t *p;
	size_t i;

	it_ovc_run(dir, argv, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d, stdout: %s\nstderr:\n%s", r.code,
		      r.out, r.err);
	ck_assert_msg(strstr(r.out, "forks: all children as planned") != NULL,
		      "stdout: %s", r.out);

	json_t *report = it_report(dir, NULL);
	json_t *all = it_processes(report, NULL);
	json_t *logs = it_list_dir(dir, "ovc.");

	/* One entry per log, one log per image, and every image ended by
	 * exit or exec: nothing abrupt. All of them belong to the one run. */
	ck_assert_int_eq(json_array_size(all), json_array_size(logs));
	ck_assert_int_eq(json_array_size(it_get(report, "runs")), 1);
	const char *run = it_str(json_array_get(it_get(report, "runs"), 0), "run");
	ck_assert_str_ne(run, "");
	json_array_foreach(all, i, p) {
		ck_assert_str_eq(it_str(p, "run"), run);
		const char *kind = it_str(p, "end.kind");
		ck_assert_msg(strcmp(kind, "exit") == 0 || strcmp(kind, "exec") == 0,
			      "process ended %s:\n%s", kind, it_dump(p));
		if (strcmp(kind, "exec") == 0) {
			/* Its successor: same pid, origin exec, linked. */
			json_t *q, *next = NULL;
			size_t j;
			json_array_foreach(all, j, q)
				if (it_int(q, "pid") == it_int(p, "pid") &&
				    strcmp(it_str(q, "origin"), "exec") == 0 &&
				    strcmp(parent_log_of(q), log_of(p)) == 0)
					next = q;
			ck_assert_msg(next != NULL, "no successor of:\n%s",
				      it_dump(p));
		}
	}

	/* The program itself and its four fork children. */
	json_t *forks = it_processes(report, "forks");
	ck_assert_int_eq(json_array_size(forks), 5);
	json_t *main_p = by_end(forks, "exit", 0);
	ck_assert_str_eq(it_str(main_p, "origin"), "start");
	ck_assert_int_ge(it_int(main_p, "calls.malloc"), 10000);
	json_array_foreach(forks, i, p) {
		if (p == main_p)
			continue;
		ck_assert_str_eq(it_str(p, "origin"), "fork");
		ck_assert_int_eq(it_int(p, "ppid"), it_int(main_p, "pid"));
		ck_assert_str_eq(parent_log_of(p), log_of(main_p));
		/* Counts start afresh in the child: not the parent's 10000. */
		ck_assert_int_lt(it_int(p, "calls.malloc"), 10000);
	}
	json_t *a = by_end(forks, "exit", 7);         /* exit(7) */
	ck_assert_int_ge(it_int(a, "calls.malloc"), 300);
	ck_assert_int_ge(it_int(a, "calls.free"), 300);
	ck_assert_int_ge(it_int(a, "requested_bytes"), 300 * 4321);
	json_t *b = by_end(forks, "exit", 8);         /* _exit(8) */
	ck_assert_int_ge(it_int(b, "calls.calloc"), 200);
	ck_assert_int_ge(it_int(b, "requested_bytes"), 200 * 1234);
	json_t *c = by_end(forks, "exec", 0);         /* fork + exec */
	json_t *d = by_end(forks, "exit", 9);         /* exec failed, exit(9) */
	ck_assert_int_ge(it_int(d, "calls.malloc"), 100);

	/* article-touch 16, exec'd by child C. */
	json_t *touches = it_processes(report, "article-touch");
	ck_assert_int_eq(json_array_size(touches), 2);
	json_t *t16 = by_arg1(touches, "16");
	ck_assert_str_eq(it_str(t16, "origin"), "exec");
	ck_assert_int_eq(it_int(t16, "pid"), it_int(c, "pid"));
	ck_assert_str_eq(parent_log_of(t16), log_of(c));
	ck_assert_str_eq(base(it_str(c, "end.successor_log")), log_of(t16));
	ck_assert_str_eq(base(it_str(c, "end.exec_path")), "article-touch");
	/* One process's start time links the two images: read by C only at
	 * its exec (no log of its pid came before its own), by T16 at its
	 * start (C's log came before it). The program never execs: its
	 * header has none, and nothing gives it. */
	ck_assert_int_gt(it_int(t16, "proc_start_ticks"), 0);
	ck_assert_int_eq(it_int(c, "proc_start_ticks"),
			 it_int(t16, "proc_start_ticks"));
	ck_assert(json_is_null(it_get(main_p, "proc_start_ticks")));
	ck_assert_str_eq(it_str(t16, "end.kind"), "exit");
	ck_assert_int_eq(it_int(t16, "end.code"), 0);
	ck_assert_int_ge(it_int(t16, "peak_live_bytes"), 16 * IT_MIB);
	ck_assert_msg(it_num(t16, "touched_ratio") >= 0.9, "touched_ratio %g",
		      it_num(t16, "touched_ratio"));

	/* system("sh -c '.../article-touch 8; exit 3'"): the shells (how many
	 * images depends on the shell) and article-touch 8, their child. */
	json_t *t8 = by_arg1(touches, "8");
	ck_assert_str_eq(it_str(t8, "end.kind"), "exit");
	ck_assert_int_eq(it_int(t8, "end.code"), 0);
	int shells = 0, exited3 = 0, parent_found = 0;
	json_array_foreach(all, i, p) {
		const char *arg0 = json_string_value(json_array_get(
			json_object_get(p, "argv"), 0));
		if (arg0 == NULL || strcmp(arg0, "sh") != 0)
			continue;
		shells++;
		exited3 += strcmp(it_str(p, "end.kind"), "exit") == 0 &&
			   it_int(p, "end.code") == 3;
		parent_found += it_int(p, "pid") == it_int(t8, "ppid");
	}
	ck_assert_int_ge(shells, 1);
	ck_assert_int_ge(exited3, 1);   /* 2 where the outer shell forks */
	ck_assert_int_ge(parent_found, 1);

	json_decref(touches);
	json_decref(forks);
	json_decref(logs);
	json_decref(all);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Argument I of process P's argv. */
static const char *arg(json_t *p, size_t i)
{
	return json_string_value(json_array_get(json_object_get(p, "argv"), i));
}

/* The header's argv: at start, the arguments the program was started
 * with (from the constructor's arguments, not /proc); in a fork child, what
 * the program had rewritten them to by then. */
START_TEST(test_forks_argv_rewritten)
{
	char *argv[] = { (char *)it_program("argv"), "rewrite", NULL };
	struct it_result r;
	json_t *report = it_preload_report(argv, &r);
	json_t *all = it_processes(report, "argv");
	ck_assert_int_eq(json_array_size(all), 2);
	int starts = 0, forks = 0;
	json_t *p;
	size_t i;
	json_array_foreach(all, i, p) {
		ck_assert_str_eq(arg(p, 0), argv[0]);
		ck_assert_ptr_nonnull(arg(p, 1));
		if (strcmp(it_str(p, "origin"), "start") == 0) {
			ck_assert_str_eq(arg(p, 1), "rewrite");
			starts++;
		} else {
			ck_assert_str_eq(it_str(p, "origin"), "fork");
			ck_assert_str_eq(arg(p, 1), "REWRITE");
			forks++;
		}
	}
	ck_assert_int_eq(starts, 1);
	ck_assert_int_eq(forks, 1);
	json_decref(all);
	json_decref(report);
	it_result_free(&r);
}
END_TEST

/* A command line over 64 KiB is cut where /proc/self/cmdline reading
 * stopped before: its first 65,535 bytes, the last argument cut short.
 * Arguments over 2 KiB take the header's other path. */
START_TEST(test_forks_argv_long)
{
	static char mid[3001], big[70001];
	memset(mid, 'a', sizeof mid - 1);
	memset(big, 'b', sizeof big - 1);
	char *argv[] = { (char *)it_program("argv"), "", mid, big, NULL };
	struct it_result r;
	json_t *report = it_preload_report(argv, &r);
	json_t *p = it_process(report, "argv");
	ck_assert_int_eq(json_array_size(json_object_get(p, "argv")), 4);
	ck_assert_str_eq(arg(p, 0), argv[0]);
	ck_assert_str_eq(arg(p, 1), "");
	ck_assert_str_eq(arg(p, 2), mid);
	size_t before = strlen(argv[0]) + 1 + 1 + sizeof mid;
	ck_assert_uint_eq(strlen(arg(p, 3)), 65535 - before);
	ck_assert_uint_eq(strspn(arg(p, 3), "b"), strlen(arg(p, 3)));
	json_decref(report);
	it_result_free(&r);
}
END_TEST

/* An image that did not read its process's start time at its start gives
 * it in its exec record; here a warning follows that record, as a pending
 * one does. The image exec'd next takes the log for its predecessor when
 * the time is its process's, and for another process's when it is not. */
START_TEST(test_forks_exec_linked_by_its_record)
{
	for (int delta = 0; delta < 2; delta++) {
		char *dir = it_tempdir("exec-record");
		/* it_program's answer is a buffer of its own: one at a time */
		char *helper = strdup(it_program("exec-after-log"));
		char *argv[] = { helper, dir, delta ? "1" : "0",
				 (char *)it_env("OVC_LIB"),
				 (char *)it_program("allocn"), "3", NULL };
		struct it_result r;
		it_run(argv, NULL, 60, &r);
		ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
		json_t *logs = it_list_dir(dir, "ovc.");
		ck_assert_int_eq(json_array_size(logs), 2);
		const char *before = json_string_value(json_array_get(logs, 0));
		const char *ours = json_string_value(json_array_get(logs, 1));
		ck_assert_msg(strstr(before, ".0.jsonl") && strstr(ours, ".1.jsonl"),
			      "%s %s", before, ours);
		char path[4400];
		snprintf(path, sizeof path, "%s/%s", dir, ours);
		json_t *lines = it_read_jsonl(path);
		json_t *head = json_array_get(lines, 0);
		if (delta == 0) {
			ck_assert_str_eq(it_str(head, "origin"), "exec");
			ck_assert_str_eq(it_str(head, "parent_log"), before);
		} else {
			ck_assert_str_eq(it_str(head, "origin"), "start");
			ck_assert(!it_get(head, "parent_log"));
		}
		ck_assert_int_gt(it_int(head, "proc_start_ticks"), 0);
		json_decref(lines);
		json_decref(logs);
		it_result_free(&r);
		it_rmtree(dir);
		free(dir);
		free(helper);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("forks");
	TCase *tc = tcase_create("forks");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_forks_one_complete_log_per_image);
	tcase_add_test(tc, test_forks_argv_rewritten);
	tcase_add_test(tc, test_forks_argv_long);
	tcase_add_test(tc, test_forks_exec_linked_by_its_record);
	suite_add_tcase(s, tc);
	return it_main(s);
}
