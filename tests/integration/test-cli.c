/* The ovc command on its own: `ovc report` on logs written by hand (exact
 * figures, funcs order taken from the log, unknown records ignored; bad
 * input: not a log, a garbage line, a torn last line, an unknown version),
 * and `ovc run`'s exit status (the command's, 128 + signal, 127). */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#define FUNCS_IN_ORDER                                                         \
	"[\"malloc\",\"calloc\",\"realloc\",\"reallocarray\",\"free\","        \
	"\"posix_memalign\",\"aligned_alloc\",\"memalign\",\"valloc\","        \
	"\"pvalloc\"]"
#define FUNCS_REVERSED                                                         \
	"[\"pvalloc\",\"valloc\",\"memalign\",\"aligned_alloc\","              \
	"\"posix_memalign\",\"free\",\"reallocarray\",\"realloc\",\"calloc\"," \
	"\"malloc\"]"

#define MIB 1048576LL

/* A process log in the format of docs/log-format.md: a proc record (version
 * VERSION, funcs as given), four samples, an end record. Figures:
 *   baseline rss 2 MiB, shared 1 MiB: anonymous 1 MiB
 *   samples: anonymous resident 2, 52, 38, 29 MiB; rss 3, 53, 40, 30 MiB;
 *            vm up to 2 GiB + 8 MiB; live up to 200 MiB
 *   calls in funcs order: 5 2 3 1 9 1 1 1 1 1; failed: malloc 1,
 *            posix_memalign 1; requested: 1000 + ... = 214748364 + 17
 * so touched_ratio = (52 - 1) / 200 = 0.255. Lines are numbered from 1;
 * line 2 is the first sample. */
static const char *const synthetic_lines[] = {
	"{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":%d,\"pid\":4242,"
	"\"ppid\":4241,\"exe\":\"/usr/bin/synthetic\",\"argv\":[\"synthetic\","
	"\"--flag\",\"x y\"],\"run\":\"\",\"origin\":\"start\","
	"\"proc_start_ticks\":123,\"start_unix_ns\":1700000000000000000,"
	"\"start_mono_ns\":5000,\"page_size\":4096,\"mem_total\":25000000000,"
	"\"mem_available\":24000000000,\"commit_limit\":12500000000,"
	"\"committed_as\":1000000,\"overcommit_memory\":0,"
	"\"overcommit_ratio\":50,\"interval_ms\":10,\"funcs\":%s,"
	"\"baseline\":{\"vm\":10485760,\"rss\":2097152,\"shared\":1048576}}",
	"{\"t\":\"s\",\"ns\":10000000,\"vm\":1073741824,\"rss\":3145728,"
	"\"shared\":1048576,\"live\":104857600,\"peak_live\":104857600,"
	"\"calls\":%s,\"failed\":%s,\"requested\":%s}",
	"{\"t\":\"s\",\"ns\":20000000,\"vm\":2147483648,\"rss\":55574528,"
	"\"shared\":1048576,\"live\":209715200,\"peak_live\":209715200,"
	"\"calls\":%s,\"failed\":%s,\"requested\":%s}",
	"{\"t\":\"s\",\"ns\":30000000,\"vm\":2155872256,\"rss\":41943040,"
	"\"shared\":2097152,\"live\":52428800,\"peak_live\":209715200,"
	"\"calls\":%s,\"failed\":%s,\"requested\":%s}",
	"{\"t\":\"s\",\"ns\":40000000,\"vm\":1073741824,\"rss\":31457280,"
	"\"shared\":1048576,\"live\":0,\"peak_live\":209715200,"
	"\"calls\":%s,\"failed\":%s,\"requested\":%s}",
	"{\"t\":\"end\",\"ns\":40000000,\"kind\":\"exit\",\"code\":0,"
	"\"via\":\"exit\"}",
};
#define SYNTHETIC_SAMPLES 4

/* Counters of the samples, in the order of FUNCS_IN_ORDER; the earlier
 * samples have smaller ones (cumulative), the last has these. */
static const long long final_calls[10] = { 5, 2, 3, 1, 9, 1, 1, 1, 1, 1 };
static const long long final_failed[10] = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0 };
static const long long final_requested[10] = {
	214748364, 10, 1, 1, 0, 1, 1, 1, 1, 1
};
static const char *const func_names[10] = {
	"malloc", "calloc", "realloc", "reallocarray", "free",
	"posix_memalign", "aligned_alloc", "memalign", "valloc", "pvalloc",
};

/* VALUES (scaled by NUM/DEN) as a JSON array, reversed if asked. */
static void array_text(char *buf, size_t size, const long long *values,
		       int num, int den, int reversed)
{
	size_t len = 0;

	len += (size_t)snprintf(buf + len, size - len, "[");
	for (int i = 0; i < 10; i++) {
		long long v = values[reversed ? 9 - i : i] * num / den;
		len += (size_t)snprintf(buf + len, size - len, "%s%lld",
					i ? "," : "", v);
	}
	snprintf(buf + len, size - len, "]");
}

/* The synthetic log's text; EXTRA (if not NULL) is inserted as a line
 * before line BEFORE_LINE (1-based); the last line is cut to CUT bytes
 * when CUT >= 0 (no newline after it). */
static char *synthetic_log(int version, int reversed, const char *extra,
			   int before_line, int cut, size_t *len_out)
{
	size_t cap = 16384, len = 0;
	char *text = malloc(cap);
	char calls[256], failed[256], requested[256], line[4096];
	int nlines = (int)(sizeof synthetic_lines / sizeof synthetic_lines[0]);

	ck_assert(text != NULL);
	for (int i = 0; i < nlines; i++) {
		/* Sample k of 4 holds k/4 of the final counters. */
		int k = i;
		array_text(calls, sizeof calls, final_calls, k, SYNTHETIC_SAMPLES,
			   reversed);
		array_text(failed, sizeof failed, final_failed, k,
			   SYNTHETIC_SAMPLES, reversed);
		array_text(requested, sizeof requested, final_requested, k,
			   SYNTHETIC_SAMPLES, reversed);
		if (i == 0)
			snprintf(line, sizeof line, synthetic_lines[0], version,
				 reversed ? FUNCS_REVERSED : FUNCS_IN_ORDER);
		else
			snprintf(line, sizeof line, synthetic_lines[i], calls,
				 failed, requested);
		if (extra != NULL && i + 1 == before_line)
			len += (size_t)snprintf(text + len, cap - len, "%s\n", extra);
		if (i == nlines - 1 && cut >= 0) {
			line[cut] = '\0';
			len += (size_t)snprintf(text + len, cap - len, "%s", line);
		} else {
			len += (size_t)snprintf(text + len, cap - len, "%s\n", line);
		}
	}
	*len_out = len;
	return text;
}

static char *write_log(const char *dir, const char *name, int version,
		       int reversed, const char *extra, int before_line, int cut)
{
	size_t len;
	char *text = synthetic_log(version, reversed, extra, before_line, cut,
				   &len);
	char *path;

	ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	it_write_file(path, text, len);
	free(text);
	return path;
}

/* Every figure of the synthetic process, from its report entry. ENDED:
 * its end record was read; BAD_LINES, TORN, WARNINGS: what the reader must
 * have counted. */
static void check_synthetic(json_t *p, int ended, int bad_lines, int torn,
			    int warnings)
{
	ck_assert_int_eq(it_int(p, "pid"), 4242);
	ck_assert_int_eq(it_int(p, "ppid"), 4241);
	ck_assert_str_eq(it_str(p, "exe"), "/usr/bin/synthetic");
	json_t *argv = it_get(p, "argv");
	ck_assert_int_eq(json_array_size(argv), 3);
	ck_assert_str_eq(json_string_value(json_array_get(argv, 2)), "x y");
	for (int i = 0; i < 10; i++) {
		char path[64];
		snprintf(path, sizeof path, "calls.%s", func_names[i]);
		ck_assert_msg(it_int(p, path) == final_calls[i],
			      "%s = %lld, expected %lld", path, it_int(p, path),
			      final_calls[i]);
	}
	for (int i = 0; i < 10; i++) {
		char path[64];
		snprintf(path, sizeof path, "failed.%s", func_names[i]);
		ck_assert_int_eq(it_int(p, path), final_failed[i]);
		snprintf(path, sizeof path, "requested.%s", func_names[i]);
		ck_assert_int_eq(it_int(p, path), final_requested[i]);
	}
	ck_assert_int_eq(it_int(p, "calls.failed"), 2);
	ck_assert_int_eq(it_int(p, "requested_bytes"), 214748364 + 17);
	ck_assert_str_eq(it_str(p, "run"), "");
	ck_assert_str_eq(it_str(p, "origin"), "start");
	ck_assert(json_is_null(it_get(p, "parent_log")));
	ck_assert_int_eq(it_int(p, "proc_start_ticks"), 123);
	ck_assert_int_eq(it_int(p, "start_unix_ns"), 1700000000000000000LL);
	ck_assert_int_eq(it_int(p, "interval_ms"), 10);
	ck_assert_int_eq(it_int(p, "peak_live_bytes"), 200 * MIB);
	ck_assert_int_eq(it_int(p, "peak_vm_bytes"), 2155872256LL);
	ck_assert_int_eq(it_int(p, "peak_rss_bytes"), 53 * MIB);
	ck_assert_int_eq(it_int(p, "peak_anon_rss_bytes"), 52 * MIB);
	ck_assert_int_eq(it_int(p, "baseline_anon_rss_bytes"), 1 * MIB);
	ck_assert_msg(it_num(p, "touched_ratio") > 0.2549 &&
		      it_num(p, "touched_ratio") < 0.2551,
		      "touched_ratio %g, expected 0.255", it_num(p, "touched_ratio"));
	ck_assert_int_eq(it_int(p, "touched_bytes"), 51 * MIB);
	ck_assert_int_eq(it_int(p, "overcommit_gap_bytes"), 149 * MIB);
	ck_assert_int_eq(it_int(p, "last_live_bytes"), 0);
	ck_assert_int_eq(json_array_size(it_get(p, "verdicts")), 0);
	ck_assert_int_eq(it_int(p, "samples"), SYNTHETIC_SAMPLES);
	ck_assert_int_eq(it_int(p, "bad_lines"), bad_lines);
	ck_assert(json_is_boolean(it_get(p, "torn_tail")));
	ck_assert_int_eq(json_is_true(it_get(p, "torn_tail")), torn);
	ck_assert_int_eq(it_int(p, "warnings"), warnings);
	ck_assert_msg(it_num(p, "duration_s") >= 0.029 &&
		      it_num(p, "duration_s") <= 0.041,
		      "duration_s %g", it_num(p, "duration_s"));
	if (ended) {
		ck_assert_str_eq(it_str(p, "end.kind"), "exit");
		ck_assert_int_eq(it_int(p, "end.code"), 0);
		ck_assert(json_is_null(it_get(p, "end.signal")));
		ck_assert_str_eq(it_str(p, "end.source"), "log");
	} else {
		ck_assert_str_eq(it_str(p, "end.kind"), "abrupt");
		ck_assert_str_eq(it_str(p, "end.source"), "none");
	}
}

START_TEST(test_cli_report_synthetic_figures)
{
	char *dir = it_tempdir("cli-synthetic");
	char *path = write_log(dir, "ovc.4242.0.jsonl", 1, 0, NULL, 0, -1);
	char *err;
	json_t *report = it_report(path, &err);

	ck_assert_int_eq(it_int(report, "host.mem_total_bytes"), 25000000000LL);
	ck_assert_int_eq(it_int(report, "host.commit_limit_bytes"), 12500000000LL);
	ck_assert_int_eq(it_int(report, "host.overcommit_memory"), 0);
	ck_assert_int_eq(it_int(report, "host.page_size"), 4096);
	ck_assert_int_eq(json_array_size(json_object_get(report, "processes")), 1);
	check_synthetic(json_array_get(json_object_get(report, "processes"), 0),
			1, 0, 0, 0);
	ck_assert_int_eq(json_array_size(it_get(report, "runs")), 0);
	ck_assert_msg(*err == '\0', "warnings on a good log:\n%s", err);
	free(err);
	json_decref(report);

	/* The same directory read as a directory. */
	report = it_report(dir, NULL);
	check_synthetic(it_process(report, "synthetic"), 1, 0, 0, 0);
	json_decref(report);
	free(path);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* The order of "calls", "failed", "requested" is the log's "funcs". */
START_TEST(test_cli_report_funcs_order_from_log)
{
	char *dir = it_tempdir("cli-order");
	char *path = write_log(dir, "ovc.4242.0.jsonl", 1, 1, NULL, 0, -1);
	json_t *report = it_report(path, NULL);

	check_synthetic(it_process(report, "synthetic"), 1, 0, 0, 0);
	json_decref(report);
	free(path);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Record types and fields a reader does not know are ignored, silently;
 * warn records are counted. */
START_TEST(test_cli_report_unknown_records_ignored)
{
	char *dir = it_tempdir("cli-unknown");
	char *path = write_log(dir, "ovc.4242.0.jsonl", 1, 0,
			       "{\"t\":\"future\",\"ns\":15000000,\"x\":[1,2]}\n"
			       "{\"t\":\"warn\",\"ns\":16000000,\"msg\":\"test\","
			       "\"new_field\":true}", 3, -1);
	char *err;
	json_t *report = it_report(path, &err);

	check_synthetic(it_process(report, "synthetic"), 1, 0, 0, 1);
	ck_assert_msg(*err == '\0', "stderr:\n%s", err);
	free(err);
	json_decref(report);
	free(path);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Runs `ovc report [--json] PATH` expecting exit 2 and one line on stderr
 * "ovc: PATH: ...". */
static void expect_refused(const char *path, int json)
{
	char *argv[] = { (char *)it_env("OVC_BIN"), "report",
			 json ? "--json" : (char *)path, json ? (char *)path : NULL,
			 NULL };
	struct it_result r;
	char prefix[4200];

	it_run(argv, NULL, 30, &r);
	ck_assert_msg(r.code == 2, "ovc report %s: exit %d, expected 2; "
		      "stderr:\n%s", path, r.code, r.err);
	snprintf(prefix, sizeof prefix, "ovc: %s: ", path);
	ck_assert_msg(strncmp(r.err, prefix, strlen(prefix)) == 0,
		      "stderr does not start with \"%s\":\n%s", prefix, r.err);
	ck_assert_msg(strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
		      "not exactly one line on stderr:\n%s", r.err);
	it_result_free(&r);
}

START_TEST(test_cli_report_not_a_log)
{
	char *dir = it_tempdir("cli-notlog");
	char *path;

	ck_assert(asprintf(&path, "%s/notes.txt", dir) > 0);
	const char *notes = "hello, this is not a log\nsecond line\n";
	it_write_file(path, notes, strlen(notes));
	expect_refused(path, 0);
	expect_refused(path, 1);
	free(path);

	/* JSON, but not an ovc log. */
	ck_assert(asprintf(&path, "%s/other.jsonl", dir) > 0);
	const char *other = "{\"t\":\"proc\",\"format\":\"other\"}\n";
	it_write_file(path, other, strlen(other));
	expect_refused(path, 1);
	free(path);

	/* A path that does not exist. */
	ck_assert(asprintf(&path, "%s/missing.jsonl", dir) > 0);
	expect_refused(path, 1);
	free(path);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_cli_report_unknown_version)
{
	char *dir = it_tempdir("cli-version");
	char *path = write_log(dir, "ovc.4242.0.jsonl", 2, 0, NULL, 0, -1);

	expect_refused(path, 1);
	expect_refused(path, 0);
	free(path);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* A garbage line in the middle: a warning naming FILE:LINE, the rest
 * reported. */
START_TEST(test_cli_report_garbage_line)
{
	char *dir = it_tempdir("cli-garbage");
	char *path = write_log(dir, "ovc.4242.0.jsonl", 1, 0,
			       "this line is not JSON {", 3, -1);
	char *err, where[4200];
	json_t *report = it_report(path, &err);

	check_synthetic(it_process(report, "synthetic"), 1, 1, 0, 0);
	snprintf(where, sizeof where, "%s:3", path);
	ck_assert_msg(strstr(err, where) != NULL,
		      "no warning naming %s on stderr:\n%s", where, err);
	ck_assert_msg(strncmp(err, "ovc: ", 5) == 0, "stderr:\n%s", err);
	free(err);
	json_decref(report);
	free(path);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* A torn last line (the process was killed mid-write): fine, and the
 * process, whose end record was torn, ended abruptly. */
START_TEST(test_cli_report_torn_last_line)
{
	char *dir = it_tempdir("cli-torn");
	char *path = write_log(dir, "ovc.4242.0.jsonl", 1, 0, NULL, 0, 17);
	json_t *report = it_report(path, NULL);

	check_synthetic(it_process(report, "synthetic"), 0, 0, 1, 0);
	json_decref(report);
	free(path);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Every command answers a bad option line alike: exit 2, the reason on
 * stderr's first line, then the usage; -h prints the usage on stdout and
 * exits 0. */
START_TEST(test_cli_option_errors)
{
	static const char *const cases[][4] = {
		/* command, option, value (or NULL), first line */
		{"report", "--bogus", NULL, "ovc: report: unknown option '--bogus'"},
		{"report", "--run", NULL, "ovc: report: --run needs a value"},
		{"report", "--top", NULL, "ovc: report: --top needs a value"},
		{"flame", "--run", NULL, "ovc: flame: --run needs a value"},
		{"flame", "-o", NULL, "ovc: flame: -o needs a value"},
		{"flame", "--weight", "x", "ovc: flame: --weight wants untouched"},
		{"pprof", "--output", NULL, "ovc: pprof: --output needs a value"},
		{"pprof", "-o", "", "ovc: pprof: -o needs a file or a directory"},
		{"plot", "--max", "0", "ovc: plot: --max wants a positive number"},
		{"plot", "--only", NULL, "ovc: plot: --only needs a value"},
		{"check", "--run", NULL, "ovc: check: --run needs a value"},
		{"check", "--bogus", NULL, "ovc: check: unknown option '--bogus'"},
		{"diff", "--min-bytes", NULL, "ovc: diff: --min-bytes wants a size, not ''"},
		{"diff", "--bogus", NULL, "ovc: diff: unknown option '--bogus'"},
		{"run", "--bogus", NULL, "ovc: run: unknown option '--bogus'"},
		{"run", "--json", NULL, "ovc: run: no command given"},
		{"snapshot", "--json", NULL, "ovc: snapshot: no PID given"},
		{"snapshot", "--top", NULL, "ovc: snapshot: --top needs a value"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char *argv[] = {(char *)it_env("OVC_BIN"), (char *)cases[k][0],
				(char *)cases[k][1], (char *)cases[k][2], NULL};
		struct it_result r;
		it_run(argv, NULL, 30, &r);
		const char *want = cases[k][3];
		ck_assert_msg(r.code == 2 && strncmp(r.err, want, strlen(want)) == 0,
			      "ovc %s %s: exit %d, stderr:\n%s", cases[k][0],
			      cases[k][1], r.code, r.err);
		bool usage = strstr(want, "unknown option") ||
			     strstr(want, "needs a value") ||
			     strstr(want, " given");
		ck_assert_msg(!usage || strstr(r.err, "\nusage: ovc "),
			      "ovc %s %s: no usage after the reason:\n%s",
			      cases[k][0], cases[k][1], r.err);
		ck_assert_str_eq(r.out, "");
		it_result_free(&r);
	}
	static const char *const cmds[] = {"report", "flame", "pprof", "plot",
					   "check",  "diff",  "run",   "snapshot"};
	for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
		char *argv[] = {(char *)it_env("OVC_BIN"), (char *)cmds[k], "-h",
				NULL};
		struct it_result r;
		it_run(argv, NULL, 30, &r);
		ck_assert_msg(r.code == 0 && strncmp(r.out, "usage: ovc ", 11) == 0 &&
				      r.err[0] == '\0',
			      "ovc %s -h: exit %d, stdout:\n%s", cmds[k], r.code,
			      r.out);
		it_result_free(&r);
	}
}
END_TEST

START_TEST(test_cli_run_exit_code)
{
	char *dir = it_tempdir("cli-run-exit");
	char *argv[] = { "sh", "-c", "exit 3", NULL };
	struct it_result r;

	it_ovc_run(dir, argv, 60, &r);
	ck_assert_msg(r.code == 3, "exit %d, stderr:\n%s", r.code, r.err);
	ck_assert_msg(*r.err != '\0', "no report on stderr");
	json_t *report = it_report(dir, NULL);
	json_t *shells = it_processes(report, NULL);
	ck_assert_int_ge(json_array_size(shells), 1);
	json_t *p = json_array_get(shells, 0);
	ck_assert_str_eq(it_str(p, "end.kind"), "exit");
	ck_assert_int_eq(it_int(p, "end.code"), 3);
	ck_assert_int_eq(json_array_size(it_get(report, "runs")), 1);
	json_t *run = json_array_get(it_get(report, "runs"), 0);
	ck_assert_str_eq(it_str(run, "end.kind"), "exit");
	ck_assert_int_eq(it_int(run, "end.code"), 3);
	ck_assert_int_eq(it_int(run, "pid"), it_int(p, "pid"));
	ck_assert_str_eq(it_str(run, "run"), it_str(p, "run"));
	ck_assert_str_ne(it_str(p, "run"), "");
	json_decref(shells);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_cli_run_killed_137)
{
	char *dir = it_tempdir("cli-run-killed");
	char *argv[] = { (char *)it_program("killed"), "64", "self", NULL };
	struct it_result r;

	it_ovc_run(dir, argv, 60, &r);
	ck_assert_msg(r.code == 128 + SIGKILL, "exit %d, stderr:\n%s", r.code,
		      r.err);
	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "killed");
	ck_assert_str_eq(it_str(p, "end.kind"), "signal");
	ck_assert_int_eq(it_int(p, "end.signal"), SIGKILL);
	ck_assert_int_ge(it_int(p, "peak_rss_bytes"), 64 * MIB);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Another signal, sent by the command to itself: 128 + 15. */
START_TEST(test_cli_run_sigterm_143)
{
	char *dir = it_tempdir("cli-run-term");
	char *argv[] = { "sh", "-c", "kill -TERM $$; sleep 5", NULL };
	struct it_result r;

	it_ovc_run(dir, argv, 60, &r);
	ck_assert_msg(r.code == 128 + SIGTERM, "exit %d, stderr:\n%s", r.code,
		      r.err);
	json_t *report = it_report(dir, NULL);
	json_t *run = json_array_get(it_get(report, "runs"), 0);
	ck_assert_str_eq(it_str(run, "end.kind"), "signal");
	ck_assert_int_eq(it_int(run, "end.signal"), SIGTERM);
	json_t *all = it_processes(report, NULL);
	ck_assert_int_eq(json_array_size(all), 1);
	json_t *p = json_array_get(all, 0);
	ck_assert_str_eq(it_str(p, "end.kind"), "signal");
	ck_assert_int_eq(it_int(p, "end.signal"), SIGTERM);
	json_decref(all);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_cli_run_missing_command_127)
{
	char *dir = it_tempdir("cli-run-missing");
	char *argv[] = { "/nonexistent/ovc-no-such-command", NULL };
	struct it_result r;

	it_ovc_run(dir, argv, 60, &r);
	ck_assert_msg(r.code == 127, "exit %d, stderr:\n%s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "ovc-no-such-command") != NULL,
		      "stderr does not name the command:\n%s", r.err);
	it_result_free(&r);

	char *bare[] = { "ovc-no-such-command-in-path", NULL };
	it_ovc_run(dir, bare, 60, &r);
	ck_assert_msg(r.code == 127, "exit %d, stderr:\n%s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "ovc-no-such-command-in-path") != NULL,
		      "stderr does not name the command:\n%s", r.err);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* `ovc run -o DIR -- sigwait MODE SIG` with ovc's stderr in DIR/err, sent
 * SIG (to ovc alone) once the command is ready. Returns ovc's exit code;
 * *GOT is what the command printed after "ready" ("" when nothing), *ERR
 * ovc's stderr (both malloc'd). */
/* Starts `ovc run -o DIR --no-status -- sigwait MODE SIG` with ovc's
 * stderr in *ERRFILE (DIR/err, malloc'd) and the command's stdout on
 * *OUT; returns ovc's pid once the command is ready. */
static pid_t spawn_sigwait(const char *dir, const char *mode, int sig,
			   char **errfile, int *out)
{
	char *sigs;
	ck_assert(asprintf(errfile, "%s/err", dir) > 0);
	ck_assert(asprintf(&sigs, "%d", sig) > 0);
	char *argv[] = { "sh", "-c", "exec 2>\"$1\"; shift; exec \"$@\"", "sh",
			 *errfile, (char *)it_env("OVC_BIN"), "run", "-o",
			 (char *)dir, "--no-status", "--",
			 (char *)it_program("sigwait"), (char *)mode, sigs,
			 NULL };
	pid_t pid;
	it_spawn(argv, NULL, &pid, out);
	char line[256];
	it_read_line(*out, line, sizeof line, 20000);
	ck_assert_str_eq(line, "ready");
	free(sigs);
	return pid;
}

static int run_signalled(const char *dir, const char *mode, int sig,
			 char **got, char **err)
{
	char *errfile;
	int out;
	pid_t pid = spawn_sigwait(dir, mode, sig, &errfile, &out);
	ck_assert(kill(pid, sig) == 0);
	int st;
	ck_assert(waitpid(pid, &st, WUNTRACED) == pid);
	if (WIFSTOPPED(st)) {
		/* Only when the command stops: not with these. */
		kill(pid, SIGKILL);
		ck_abort_msg("ovc stopped by %d after %d", WSTOPSIG(st), sig);
	}
	/* The command has ended before ovc: its output is all there. */
	char buf[256];
	struct pollfd pf = { out, POLLIN, 0 };
	ssize_t n = poll(&pf, 1, 1000) == 1 ? read(out, buf, sizeof buf - 1) : 0;
	buf[n > 0 ? n : 0] = '\0';
	close(out);
	*got = strdup(buf);
	*err = it_read_file(errfile, NULL);
	ck_assert(*err != NULL);
	free(errfile);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Sends SIG to `ovc run -- sigwait MODE SIG`. MODE "catch": the command
 * gets it, says so and exits SIG; ovc exits the same. "default": it kills
 * the command; ovc exits 128 + SIG. Either way ovc writes its report. */
static void check_forwarded(const char *mode, int sig)
{
	bool caught = strcmp(mode, "catch") == 0;
	char *dir = it_tempdir("cli-run-fwd");
	char *got, *err, want[32] = "";
	int code = run_signalled(dir, mode, sig, &got, &err);
	if (caught)
		snprintf(want, sizeof want, "got %d\n", sig);
	ck_assert_msg(strcmp(got, want) == 0 &&
			      code == (caught ? sig : 128 + sig),
		      "%s signal %d: exit %d, stdout \"%s\", stderr:\n%s",
		      mode, sig, code, got, err);
	ck_assert_msg(strstr(err, "logs in ") != NULL,
		      "signal %d: no report:\n%s", sig, err);
	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "sigwait");
	ck_assert_str_eq(it_str(p, "end.kind"), caught ? "exit" : "signal");
	ck_assert_int_eq(it_int(p, caught ? "end.code" : "end.signal"), sig);
	json_decref(report);
	free(got), free(err);
	it_rmtree(dir);
	free(dir);
}

/* Every signal a wrapper forwards reaches the command, which catches it;
 * ovc exits with the command's code and writes its report. */
START_TEST(test_cli_run_forwards_signals)
{
	int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
		       SIGALRM, SIGPIPE, SIGWINCH, SIGCONT, SIGTSTP, SIGTTIN,
		       SIGTTOU, SIGURG, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ,
		       SIGIO, SIGPWR, SIGRTMIN + 1, SIGRTMAX };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		check_forwarded("catch", sigs[i]);
}
END_TEST

/* A forwarded signal that kills the command: ovc exits 128 + N, as the
 * command did, with its report written. */
START_TEST(test_cli_run_forwarded_signal_kills)
{
	int sigs[] = { SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE,
		       SIGXCPU, SIGRTMIN + 2 };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		check_forwarded("default", sigs[i]);
}
END_TEST

/* A signal ignored when ovc starts (nohup) stays ignored in the command. */
START_TEST(test_cli_run_keeps_ignored_signals)
{
	char *dir = it_tempdir("cli-run-nohup");
	char *script = "trap '' HUP; \"$0\" run -o \"$1\" --no-status -- "
		       "sh -c 'kill -HUP $$; echo alive'";
	char *argv[] = { "sh", "-c", script, (char *)it_env("OVC_BIN"), dir,
			 NULL };
	struct it_result r;
	it_run(argv, NULL, 60, &r);
	ck_assert_msg(r.code == 0 && strcmp(r.out, "alive\n") == 0,
		      "exit %d, stdout %s, stderr:\n%s", r.code, r.out, r.err);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* A stop signal sent to ovc alone: the command stops (its default action),
 * ovc stops with it; continued, both go on, and a SIGTERM then ends the
 * command and ovc (128 + 15) with the report written. */
/* The state letter of process PID ('R', 'S', 'T'...). */
static char proc_state(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	char *stat = it_read_file(path, NULL);
	ck_assert(stat != NULL);
	const char *p = strrchr(stat, ')');
	char c = p && p[1] && p[2] ? p[2] : '?';
	free(stat);
	return c;
}

/* The one child of ovc (PID): its command. */
static pid_t command_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	char *kids = it_read_file(path, NULL);
	ck_assert(kids != NULL);
	pid_t c = (pid_t)atoi(kids);
	free(kids);
	return c;
}

/* Ends ovc (PID) with a SIGTERM for its command; checks it exits 128 + 15
 * with its report in ERRFILE and the command's log in DIR; then closes OUT
 * and frees DIR (removed) and ERRFILE. */
static void end_with_term(pid_t pid, char *dir, char *errfile, int out)
{
	int st;
	ck_assert(kill(pid, SIGTERM) == 0);
	ck_assert(waitpid(pid, &st, 0) == pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM,
		      "status %#x", st);
	char *err = it_read_file(errfile, NULL);
	ck_assert_msg(err && strstr(err, "logs in "), "%s", err ? err : "");
	free(err);
	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "sigwait");
	ck_assert_int_eq(it_int(p, "end.signal"), SIGTERM);
	json_decref(report);
	close(out);
	free(errfile);
	it_rmtree(dir);
	free(dir);
}

/* A stop signal sent to ovc alone: the command stops (its default action),
 * ovc stops with it; continued, both go on, and a SIGTERM then ends the
 * command and ovc (128 + 15) with the report written. */
START_TEST(test_cli_run_stops_with_the_command)
{
	char *dir = it_tempdir("cli-run-stop");
	char *errfile;
	int out;
	pid_t pid = spawn_sigwait(dir, "default", SIGTSTP, &errfile, &out);
	ck_assert(kill(pid, SIGTSTP) == 0);
	int st;
	ck_assert(waitpid(pid, &st, WUNTRACED) == pid);
	ck_assert_msg(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP,
		      "ovc did not stop with its command: status %#x", st);
	ck_assert_int_eq(proc_state(command_of(pid)), 'T');
	ck_assert(kill(pid, SIGCONT) == 0);
	end_with_term(pid, dir, errfile, out);
}
END_TEST

/* The command stopped and continued by someone else (a debugger, `kill
 * -STOP` of its pid): ovc does not stop, so it is running when the command
 * goes on and ends. */
START_TEST(test_cli_run_command_stopped_elsewhere)
{
	char *dir = it_tempdir("cli-run-stop-else");
	char *errfile;
	int out;
	pid_t pid = spawn_sigwait(dir, "default", SIGTSTP, &errfile, &out);
	pid_t cmd = command_of(pid);
	ck_assert(kill(cmd, SIGSTOP) == 0);
	for (int i = 0; i < 200 && proc_state(cmd) != 'T'; i++)
		usleep(5000);
	ck_assert_int_eq(proc_state(cmd), 'T');
	usleep(200000); /* time for ovc to (wrongly) stop */
	char st = proc_state(pid);
	ck_assert_msg(st != 'T', "ovc stopped with a command stopped by "
				 "someone else");
	ck_assert(kill(cmd, SIGCONT) == 0);
	end_with_term(pid, dir, errfile, out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *report = tcase_create("report");
	TCase *run = tcase_create("run");

	tcase_set_timeout(report, 60);
	tcase_add_test(report, test_cli_report_synthetic_figures);
	tcase_add_test(report, test_cli_report_funcs_order_from_log);
	tcase_add_test(report, test_cli_report_unknown_records_ignored);
	tcase_add_test(report, test_cli_report_not_a_log);
	tcase_add_test(report, test_cli_report_unknown_version);
	tcase_add_test(report, test_cli_report_garbage_line);
	tcase_add_test(report, test_cli_report_torn_last_line);
	suite_add_tcase(s, report);
	tcase_set_timeout(run, 60);
	tcase_add_test(run, test_cli_option_errors);
	tcase_add_test(run, test_cli_run_exit_code);
	tcase_add_test(run, test_cli_run_killed_137);
	tcase_add_test(run, test_cli_run_sigterm_143);
	tcase_add_test(run, test_cli_run_missing_command_127);
	tcase_add_test(run, test_cli_run_forwards_signals);
	tcase_add_test(run, test_cli_run_forwarded_signal_kills);
	tcase_add_test(run, test_cli_run_keeps_ignored_signals);
	tcase_add_test(run, test_cli_run_stops_with_the_command);
	tcase_add_test(run, test_cli_run_command_stopped_elsewhere);
	suite_add_tcase(s, run);
	return it_main(s);
}
