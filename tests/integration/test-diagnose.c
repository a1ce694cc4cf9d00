/* The diagnosis in `ovc report` (text, JSON, HTML): tests/programs/killed
 * killed by SIGKILL under `ovc run` is said to be likely the OOM killer's
 * victim, naming the site that held its touched memory; logs written by
 * hand carry `over` and `refuse` records, a budget, a process that ended
 * abruptly near MemAvailable and one far below it, and hostile strings
 * that the HTML page and the SVG chart must escape. */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FUNCS                                                                  \
	"[\"malloc\",\"calloc\",\"realloc\",\"reallocarray\",\"free\","        \
	"\"posix_memalign\",\"aligned_alloc\",\"memalign\",\"valloc\","        \
	"\"pvalloc\"]"
#define ZEROS "[0,0,0,0,0,0,0,0,0,0]"
#define GIB_ 1073741824LL

/* The proc record of a hand-written log: pid PID, the machine has 16 GiB
 * (MemAvailable 12 GiB, CommitLimit 8 GiB); EXTRA is spliced in (budget
 * fields), EXE and ARG0 are JSON string contents. */
static void put_header(FILE *f, int pid, const char *exe, const char *arg0,
		       const char *extra)
{
	fprintf(f,
		"{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":1,"
		"\"pid\":%d,\"ppid\":1,\"exe\":\"%s\",\"argv\":[\"%s\"],"
		"\"run\":\"\",\"origin\":\"start\",\"proc_start_ticks\":%d,"
		"\"start_unix_ns\":17000000000000%05d,\"start_mono_ns\":1,"
		"\"page_size\":4096,\"mem_total\":%lld,\"mem_available\":%lld,"
		"\"commit_limit\":%lld,\"committed_as\":0,"
		"\"overcommit_memory\":0,\"overcommit_ratio\":50,"
		"\"interval_ms\":10,\"funcs\":" FUNCS ","
		"\"baseline\":{\"vm\":1000000,\"rss\":500000,\"shared\":400000}"
		"%s}\n",
		pid, exe, arg0, pid, pid, 16 * GIB_, 12 * GIB_, 8 * GIB_, extra);
}

static void put_sample(FILE *f, long long ns, long long vm, long long rss,
		       long long live)
{
	fprintf(f,
		"{\"t\":\"s\",\"ns\":%lld,\"vm\":%lld,\"rss\":%lld,"
		"\"shared\":100000,\"live\":%lld,\"peak_live\":%lld,"
		"\"calls\":" ZEROS ",\"failed\":" ZEROS
		",\"requested\":" ZEROS "}\n",
		ns, vm, rss, live, live);
}

static FILE *open_log(const char *dir, int pid)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/ovc.%d.0.jsonl", dir, pid);
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	return f;
}

/* pid 101: reserves 20 GiB in 1 GiB blocks from site 0 (crossing
 * CommitLimit at the 9th, MemTotal at the 17th) under a 4 GiB budget that
 * refused 12 allocations; exits. pid 102: abrupt end with resident at 95%
 * of MemAvailable, site 1 holds 11 GiB touched. pid 103: abrupt end with
 * 10 MiB resident. pid 104: hostile strings. */
static void write_logs(const char *dir)
{
	FILE *f = open_log(dir, 101);
	put_header(f, 101, "/opt/reserver", "reserver",
		   ",\"budget\":4294967296,\"budget_mode\":\"size\","
		   "\"prefault\":false");
	fprintf(f, "{\"t\":\"mod\",\"id\":0,\"path\":\"/opt/reserver\","
		   "\"base\":0,\"lo\":0,\"hi\":100000,\"build_id\":\"\"}\n"
		   "{\"t\":\"site\",\"id\":0,\"frames\":[[0,4660]]}\n");
	for (int i = 1; i <= 20; i++) {
		put_sample(f, i * 10000000LL, i * GIB_ + 1000000, 2000000,
			   i * GIB_);
		if (i == 9)
			fprintf(f, "{\"t\":\"over\",\"ns\":%lld,\"limit\":"
				   "\"commit_limit\",\"limit_bytes\":%lld,"
				   "\"live\":%lld,\"fn\":\"malloc\",\"size\":"
				   "%lld,\"site\":0}\n",
				i * 10000000LL - 5000, 8 * GIB_, 9 * GIB_, GIB_);
		if (i == 17)
			fprintf(f, "{\"t\":\"over\",\"ns\":%lld,\"limit\":"
				   "\"mem_total\",\"limit_bytes\":%lld,"
				   "\"live\":%lld,\"size\":%lld,\"site\":0}\n",
				i * 10000000LL - 5000, 16 * GIB_, 17 * GIB_,
				GIB_);
	}
	for (int i = 0; i < 12; i++)
		fprintf(f, "{\"t\":\"refuse\",\"ns\":%d,\"fn\":\"calloc\","
			   "\"size\":%lld,\"live\":%lld,\"budget\":%lld,"
			   "\"site\":%d}\n",
			210000000 + i * 1000, GIB_ + i, 4 * GIB_, 4 * GIB_,
			i == 0 ? 0 : -1);
	fprintf(f, "{\"t\":\"ss\",\"ns\":200000000,\"id\":0,\"blocks\":20,"
		   "\"requested\":%lld,\"live\":%lld,\"peak_live\":%lld,"
		   "\"touched\":0,\"live_touched\":0,\"unprobed\":0,"
		   "\"sampled\":false,\"shared_pages\":false}\n",
		   20 * GIB_, 20 * GIB_, 20 * GIB_);
	fprintf(f, "{\"t\":\"end\",\"ns\":220000000,\"kind\":\"exit\","
		   "\"code\":0,\"via\":\"exit\"}\n");
	fclose(f);

	f = open_log(dir, 102);
	put_header(f, 102, "/opt/toucher", "toucher", "");
	fprintf(f, "{\"t\":\"site\",\"id\":0,\"frames\":[]}\n"
		   "{\"t\":\"site\",\"id\":1,\"frames\":[]}\n");
	for (int i = 1; i <= 12; i++)
		put_sample(f, i * 100000000LL, 13 * GIB_,
			   i < 12 ? i * GIB_ : 11 * GIB_ + 700 * IT_MIB,
			   12 * GIB_);
	fprintf(f, "{\"t\":\"ss\",\"ns\":1100000000,\"id\":0,\"blocks\":1,"
		   "\"requested\":%lld,\"live\":%lld,\"peak_live\":%lld,"
		   "\"touched\":%lld,\"live_touched\":%lld,\"unprobed\":0,"
		   "\"sampled\":false,\"shared_pages\":false}\n",
		   GIB_, GIB_, GIB_, GIB_ / 2, GIB_ / 2);
	fprintf(f, "{\"t\":\"ss\",\"ns\":1100000000,\"id\":1,\"blocks\":11,"
		   "\"requested\":%lld,\"live\":%lld,\"peak_live\":%lld,"
		   "\"touched\":%lld,\"live_touched\":%lld,\"unprobed\":0,"
		   "\"sampled\":false,\"shared_pages\":false}\n",
		   11 * GIB_, 11 * GIB_, 11 * GIB_, 11 * GIB_, 11 * GIB_);
	fclose(f);

	f = open_log(dir, 103);
	put_header(f, 103, "/opt/crasher", "crasher", "");
	put_sample(f, 10000000, 50 * IT_MIB, 10 * IT_MIB, 5 * IT_MIB);
	fclose(f);

	f = open_log(dir, 104);
	put_header(f, 104, "/tmp/<script>alert(1)</script>&amp;\\\"q'",
		   "<img src=x onerror=alert(2)>", "");
	put_sample(f, 10000000, 50 * IT_MIB, 10 * IT_MIB, 5 * IT_MIB);
	fprintf(f, "{\"t\":\"end\",\"ns\":20000000,\"kind\":\"exit\","
		   "\"code\":0,\"via\":\"exit\"}\n");
	fclose(f);
}

static json_t *proc_by_pid(json_t *report, long long pid)
{
	json_t *procs = it_get(report, "processes"), *p;
	size_t i;
	json_array_foreach(procs, i, p)
		if (json_integer_value(json_object_get(p, "pid")) == pid)
			return p;
	ck_abort_msg("no process %lld in the report", pid);
	return NULL;
}

START_TEST(test_diagnose_handwritten_json)
{
	char *dir = it_tempdir("diag-json");
	write_logs(dir);
	json_t *report = it_report(dir, NULL);

	json_t *p = proc_by_pid(report, 101);
	ck_assert(json_is_null(it_get(p, "diagnosis.killed")));
	ck_assert_int_eq(it_int(p, "diagnosis.commit.peak_live_bytes"),
			 20 * GIB_);
	ck_assert_int_eq(it_int(p, "diagnosis.commit.above_commit_limit_bytes"),
			 12 * GIB_);
	ck_assert_int_eq(it_int(p, "diagnosis.commit.above_mem_available_bytes"),
			 8 * GIB_);
	ck_assert_int_eq(it_int(p, "diagnosis.commit.above_mem_total_bytes"),
			 4 * GIB_);
	ck_assert_int_eq(it_int(p, "diagnosis.commit.strict_refusal.size_bytes"),
			 GIB_);
	ck_assert_int_eq(it_int(p, "diagnosis.commit.strict_refusal.live_bytes"),
			 9 * GIB_);
	ck_assert_int_eq(it_int(p, "diagnosis.commit.strict_refusal.site_id"), 0);
	ck_assert_str_eq(it_str(p, "diagnosis.commit.strict_refusal.fn"),
			 "malloc");
	ck_assert(it_num(p, "diagnosis.commit.strict_refusal.t_s") > 0.0899 &&
		  it_num(p, "diagnosis.commit.strict_refusal.t_s") < 0.0901);
	ck_assert(json_is_null(it_get(p, "diagnosis.commit.mem_total_crossing.fn")));
	ck_assert_int_eq(it_int(p, "diagnosis.commit.mem_total_crossing.live_bytes"),
			 17 * GIB_);
	ck_assert_int_eq(it_int(p, "diagnosis.budget.budget_bytes"), 4 * GIB_);
	ck_assert_str_eq(it_str(p, "diagnosis.budget.mode"), "size");
	ck_assert_int_eq(it_int(p, "diagnosis.budget.refused"), 12);
	json_t *first = it_get(p, "diagnosis.budget.first_refusals");
	ck_assert_int_eq(json_array_size(first), 10);
	ck_assert_int_eq(it_int(json_array_get(first, 0), "size_bytes"), GIB_);
	ck_assert_int_eq(it_int(json_array_get(first, 0), "site_id"), 0);
	ck_assert_int_eq(it_int(json_array_get(first, 9), "size_bytes"),
			 GIB_ + 9);
	ck_assert(json_is_null(it_get(json_array_get(first, 9), "site_id")));
	ck_assert_str_eq(it_str(json_array_get(first, 0), "fn"), "calloc");

	/* Abrupt, resident 11.7 GiB >= 90% of MemAvailable 12 GiB: likely
	 * the OOM killer; site 1 held the most in RAM. */
	p = proc_by_pid(report, 102);
	ck_assert_str_eq(it_str(p, "end.kind"), "abrupt");
	ck_assert(json_is_true(it_get(p, "diagnosis.killed.likely_oom")));
	ck_assert(json_is_true(it_get(p, "diagnosis.killed.near_memory")));
	ck_assert(json_is_false(it_get(p, "diagnosis.killed.sigkill")));
	ck_assert_int_eq(it_int(p, "diagnosis.killed.last_rss_bytes"),
			 11 * GIB_ + 700 * IT_MIB);
	ck_assert_int_eq(it_int(p, "diagnosis.killed.last_live_bytes"),
			 12 * GIB_);
	ck_assert(it_num(p, "diagnosis.killed.last_t_s") > 1.19);
	json_t *sites = it_get(p, "diagnosis.killed.sites");
	ck_assert_int_eq(json_array_size(sites), 2);
	ck_assert_int_eq(it_int(json_array_get(sites, 0), "site_id"), 1);
	ck_assert_int_eq(it_int(json_array_get(sites, 0), "live_touched_bytes"),
			 11 * GIB_);
	ck_assert_int_eq(it_int(json_array_get(sites, 1), "site_id"), 0);

	/* Abrupt with 10 MiB resident: not the OOM killer's doing. */
	p = proc_by_pid(report, 103);
	ck_assert(json_is_false(it_get(p, "diagnosis.killed.likely_oom")));
	ck_assert(json_is_null(it_get(p, "diagnosis.commit.strict_refusal")));
	ck_assert_int_eq(it_int(p, "diagnosis.budget.refused"), 0);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_diagnose_handwritten_text)
{
	char *dir = it_tempdir("diag-text");
	write_logs(dir);
	char *argv[] = { (char *)it_env("OVC_BIN"), "report", dir, NULL };
	struct it_result r;
	it_run(argv, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	const char *want[] = {
		"strict overcommit would have refused",
		"at 0.090 s: malloc(1.0 GiB) with 9.0 GiB live",
		"would need 8.0 GiB more than MemAvailable at start, "
		"4.0 GiB more than MemTotal",
		"above MemTotal     at 0.170 s: allocation of 1.0 GiB",
		"budget             4.0 GiB (size)",
		"12 allocations returned NULL: above the budget",
		"calloc(1.0 GiB) with 4.0 GiB live",
		"... 7 more",
		"likely killed by the OOM killer: resident memory reached "
		"11.7 GiB",
		"journalctl -k",
		"11.0 GiB in RAM at the end: site 1",
		"not the likely cause",
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		ck_assert_msg(strstr(r.out, want[i]) != NULL,
			      "missing \"%s\" in:\n%s", want[i], r.out);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Nothing from a log reaches the page or the chart unescaped. */
START_TEST(test_diagnose_html_escapes)
{
	char *dir = it_tempdir("diag-html");
	char html[4096], svg[4096];
	write_logs(dir);
	snprintf(html, sizeof html, "%s/report.html", dir);
	snprintf(svg, sizeof svg, "%s/chart.svg", dir);
	char *argv[] = { (char *)it_env("OVC_BIN"), "report", "--html", html,
			 dir, NULL };
	struct it_result r;
	it_run(argv, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq(r.out, "");
	it_result_free(&r);
	char *argv2[] = { (char *)it_env("OVC_BIN"), "plot", "--max", "all",
			  "-o", svg, dir, NULL };
	it_run(argv2, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	it_result_free(&r);

	const char *files[] = { html, svg };
	for (int k = 0; k < 2; k++) {
		char *text = it_read_file(files[k], NULL);
		ck_assert(text != NULL);
		ck_assert_msg(strstr(text, "<script") == NULL,
			      "%s: raw <script>", files[k]);
		ck_assert_msg(strstr(text, "<img") == NULL, "%s: raw <img",
			      files[k]);
		ck_assert_msg(strstr(text, "&lt;script&gt;alert(1)&lt;/script"
					   "&gt;&amp;amp;&quot;q&#39;") != NULL ||
				      k == 1,
			      "%s: the exe is not escaped", files[k]);
		ck_assert_msg(strstr(text, "&lt;img src=x onerror=alert(2)&gt;") !=
				      NULL,
			      "%s: argv[0] is not escaped", files[k]);
		/* Self-contained: the only URL is the SVG namespace. */
		for (const char *u = strstr(text, "http"); u;
		     u = strstr(u + 1, "http"))
			ck_assert_msg(strncmp(u, "http://www.w3.org/2000/svg",
					      26) == 0,
				      "%s: external reference at \"%.60s\"",
				      files[k], u);
		if (k == 0) {
			ck_assert(strstr(text, "<details>") != NULL);
			ck_assert(strstr(text, "exceeds_commit_limit") != NULL);
			ck_assert(strstr(text, "likely killed by the OOM killer") !=
				  NULL);
			ck_assert(strstr(text, "12 allocations returned NULL") !=
				  NULL);
		} else {
			/* The exact peak of pid 101's live bytes. */
			ck_assert(strstr(text, "data-series=\"live\" "
					       "data-peak-bytes=\"21474836480\"") !=
				  NULL);
			ck_assert(strstr(text, "strict overcommit refuses "
					       "here") != NULL);
		}
		free(text);
	}
	it_rmtree(dir);
	free(dir);
}
END_TEST

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* tests/programs/killed under `ovc run`, killed by SIGKILL: the report
 * ovc run prints names the OOM killer as the likely cause and the site
 * that touched the 640 MiB. */
START_TEST(test_diagnose_killed_sigkill)
{
	char *dir = it_tempdir("diag-killed");
	char *argv[] = { (char *)it_env("OVC_BIN"), "run", "-o", dir, "--",
			 (char *)it_program("killed"), NULL };
	char errpath[4096], line[128];
	pid_t ovc;
	int fd, status;
	long pid = 0;

	/* ovc run's report goes to its stderr: catch it in a file. */
	snprintf(errpath, sizeof errpath, "%s/ovc-run.err", dir);
	int saved = dup(2);
	FILE *ef = fopen(errpath, "w");
	ck_assert(ef != NULL && saved >= 0);
	dup2(fileno(ef), 2);
	it_spawn(argv, NULL, &ovc, &fd);
	dup2(saved, 2);
	close(saved);
	it_read_line(fd, line, sizeof line, 30000);
	ck_assert_msg(sscanf(line, "ready %ld", &pid) == 1 && pid > 0,
		      "expected \"ready <pid>\", got \"%s\"", line);
	sleep_ms(100);
	ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(ovc, &status, 0), ovc);
	fclose(ef);
	close(fd);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGKILL);

	char *text = it_read_file(errpath, NULL);
	ck_assert(text != NULL);
	const char *want[] = { "last moments", "likely killed by the OOM killer",
			       "it died of SIGKILL", "dmesg", "journalctl -k",
			       "640.0 MiB in RAM at the end: main" };
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		ck_assert_msg(strstr(text, want[i]) != NULL,
			      "missing \"%s\" in the report:\n%s", want[i], text);
	free(text);

	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "killed");
	ck_assert(json_is_true(it_get(p, "diagnosis.killed.likely_oom")));
	ck_assert(json_is_true(it_get(p, "diagnosis.killed.sigkill")));
	ck_assert_int_ge(it_int(p, "diagnosis.killed.last_rss_bytes"),
			 640 * IT_MIB);
	json_t *site = json_array_get(it_get(p, "diagnosis.killed.sites"), 0);
	ck_assert(site != NULL);
	ck_assert_msg(strncmp(it_str(site, "site"), "main", 4) == 0,
		      "site \"%s\"", it_str(site, "site"));
	ck_assert_int_ge(it_int(site, "live_touched_bytes"), 600 * IT_MIB);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diagnose");
	TCase *tc = tcase_create("diagnose");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_diagnose_handwritten_json);
	tcase_add_test(tc, test_diagnose_handwritten_text);
	tcase_add_test(tc, test_diagnose_html_escapes);
	tcase_add_test(tc, test_diagnose_killed_sigkill);
	suite_add_tcase(s, tc);
	return it_main(s);
}
