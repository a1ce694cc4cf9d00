/* A process killed by SIGKILL leaves a log that holds its last moments:
 * tests/programs/killed touches 640 MiB, says "ready <pid>" and is killed.
 * Its sampler process outlives it and writes the end: the report says
 * signal 9, under a bare LD_PRELOAD as under `ovc run` (which exits 137).
 * Either way the resident memory it had is in the log. */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOUCHED_MIB 640

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Waits for "ready <pid>" on FD and returns the pid. */
static pid_t wait_ready(int fd)
{
	char line[128];
	long pid = 0;

	it_read_line(fd, line, sizeof line, 30000);
	ck_assert_msg(sscanf(line, "ready %ld", &pid) == 1 && pid > 0,
		      "expected \"ready <pid>\", got \"%s\"", line);
	/* Give the ticker (10 ms) time to sample the last of it. */
	sleep_ms(100);
	return (pid_t)pid;
}

/* Starts PROGRAM under a bare LD_PRELOAD of libovc.so logging to DIR; its
 * pid into PID and the read end of its stdout into FD. */
static void spawn_preloaded(const char *program, const char *dir, pid_t *pid,
			    int *fd)
{
	char *argv[] = { (char *)it_program(program), NULL };
	char *env[3];

	ck_assert(asprintf(&env[0], "LD_PRELOAD=%s", it_env("OVC_LIB")) > 0);
	ck_assert(asprintf(&env[1], "OVC_OUTPUT=%s", dir) > 0);
	env[2] = NULL;
	it_spawn(argv, env, pid, fd);
	free(env[0]), free(env[1]);
}

/* The one log in DIR, read once its sampler is done with it: it must
 * hold one end record, of SIGKILL, written by the sampler process that
 * outlived the program. WHAT names the case in a failure. Its lines, for
 * json_decref. */
static json_t *killed_log(const char *dir, const char *what)
{
	json_t *lines = it_read_only_log(dir, NULL, 0), *line;
	size_t i;
	int ends = 0;
	json_array_foreach(lines, i, line) {
		const char *t = json_string_value(json_object_get(line, "t"));
		if (t == NULL || strcmp(t, "end") != 0)
			continue;
		ends++;
		ck_assert_str_eq(it_str(line, "kind"), "signal");
		ck_assert_int_eq(it_int(line, "signal"), SIGKILL);
	}
	ck_assert_msg(ends == 1, "%s: %d end records", what, ends);
	return lines;
}

/* What must hold for the killed process in any case. */
static void check_figures(json_t *p, const char *dir)
{
	ck_assert_int_ge(it_int(p, "calls.malloc"), TOUCHED_MIB / 64);
	ck_assert_int_ge(it_int(p, "peak_live_bytes"), TOUCHED_MIB * IT_MIB);
	ck_assert_int_ge(it_int(p, "peak_rss_bytes"), TOUCHED_MIB * IT_MIB);
	ck_assert_msg(it_num(p, "touched_ratio") >= 0.9, "touched_ratio %g",
		      it_num(p, "touched_ratio"));

	/* The log itself: its end, and the last sample has it all. */
	json_t *lines = killed_log(dir, dir), *line, *last = NULL;
	size_t i;
	json_array_foreach(lines, i, line) {
		const char *t = json_string_value(json_object_get(line, "t"));
		if (t != NULL && strcmp(t, "s") == 0)
			last = line;
	}
	ck_assert_msg(last != NULL, "%s: no sample", dir);
	ck_assert_int_ge(it_int(last, "rss"), TOUCHED_MIB * IT_MIB);
	ck_assert_int_ge(it_int(last, "live"), TOUCHED_MIB * IT_MIB);
	json_decref(lines);
}

START_TEST(test_killed_bare_preload_signal)
{
	char *dir = it_tempdir("killed-bare");
	pid_t pid;
	int fd, status;

	spawn_preloaded("killed", dir, &pid, &fd);
	ck_assert_int_eq(wait_ready(fd), pid);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(fd);

	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "killed");
	ck_assert_str_eq(it_str(p, "end.kind"), "signal");
	ck_assert_int_eq(it_int(p, "end.signal"), SIGKILL);
	ck_assert_str_eq(it_str(p, "end.source"), "log");
	ck_assert_int_eq(it_int(p, "pid"), pid);
	check_figures(p, dir);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_killed_under_ovc_run_signal)
{
	char *dir = it_tempdir("killed-run");
	char *argv[] = { (char *)it_env("OVC_BIN"), "run", "-o", dir, "--",
			 (char *)it_program("killed"), NULL };
	pid_t ovc, pid;
	int fd, status;

	it_spawn(argv, NULL, &ovc, &fd);
	pid = wait_ready(fd);
	ck_assert(pid != ovc);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(ovc, &status, 0), ovc);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGKILL,
		      "ovc run: status 0x%x, expected exit 137", status);
	close(fd);

	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "killed");
	ck_assert_str_eq(it_str(p, "end.kind"), "signal");
	ck_assert_int_eq(it_int(p, "end.signal"), SIGKILL);
	ck_assert_str_eq(it_str(p, "end.source"), "log");
	ck_assert_int_eq(it_int(p, "pid"), pid);
	json_t *run = json_array_get(it_get(report, "runs"), 0);
	ck_assert_int_eq(json_array_size(it_get(report, "runs")), 1);
	ck_assert_str_eq(it_str(run, "end.kind"), "signal");
	ck_assert_int_eq(it_int(run, "end.signal"), SIGKILL);
	ck_assert_int_eq(it_int(run, "pid"), pid);
	ck_assert_int_eq(it_int(run, "ovc_pid"), ovc);
	ck_assert_str_eq(it_str(run, "run"), it_str(p, "run"));
	ck_assert_int_eq(it_int(p, "ppid"), ovc);
	check_figures(p, dir);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* A child killed by a signal within its first interval has no sampler to
 * write its end (start.c): its traced parent, which reaps it, writes it. A
 * fault (segv) and a SIGKILL from the parent 1 ms after the fork. */
static void check_early(const char *how, int sig)
{
	char *dir = it_tempdir("killed-early");
	char *argv[] = { (char *)it_program("early"), (char *)how, NULL };
	struct it_result r;
	char want[64];

	it_preload_run(dir, argv, 60, &r);
	ck_assert_msg(r.code == 0, "early %s: exit %d\n%s", how, r.code, r.err);
	snprintf(want, sizeof want, "child signal %d\n", sig);
	ck_assert_str_eq(r.out, want);
	json_t *logs = it_list_dir(dir, "ovc.");
	ck_assert_int_eq(json_array_size(logs), 2);
	int child_ends = 0;
	for (size_t k = 0; k < 2; k++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir,
			 json_string_value(json_array_get(logs, k)));
		json_t *lines = it_read_jsonl(path), *line;
		size_t i;
		bool child = strcmp(it_str(json_array_get(lines, 0), "origin"),
				    "fork") == 0;
		json_array_foreach(lines, i, line) {
			const char *t = json_string_value(json_object_get(line, "t"));
			if (!child || t == NULL || strcmp(t, "end") != 0)
				continue;
			child_ends++;
			ck_assert_str_eq(it_str(line, "kind"), "signal");
			ck_assert_int_eq(it_int(line, "signal"), sig);
			ck_assert_str_eq(it_str(line, "by"), "parent");
		}
		/* header and first sample */
		if (child)
			ck_assert_int_ge(it_count_records(lines, "s"), 1);
		json_decref(lines);
	}
	ck_assert_int_eq(child_ends, 1);
	json_decref(logs);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}

START_TEST(test_killed_early_segv)
{
	check_early("segv", SIGSEGV);
}
END_TEST

START_TEST(test_killed_early_kill)
{
	check_early("kill", SIGKILL);
}
END_TEST

/* A program killed while it holds thousands of open files: the kernel
 * drops its memory, then closes its files (milliseconds), then hands its
 * children on. In between, the sampler saw the memory it shares with the
 * program gone, took it for an exec and left without writing the end: in
 * 17 of 30 such kills before it was mended. Ten kills, each at another
 * moment of the sampler's 10 ms interval; each log must end with the
 * signal. */
START_TEST(test_killed_with_many_files)
{
	for (int round = 0; round < 10; round++) {
		char *dir = it_tempdir("killed-fds");
		char line[128], what[64];
		long pid = 0, files = 0;
		pid_t child;
		int fd, status;

		spawn_preloaded("killed-fds", dir, &child, &fd);
		it_read_line(fd, line, sizeof line, 30000);
		ck_assert_msg(sscanf(line, "ready %ld %ld", &pid, &files) == 2 &&
				      pid == child,
			      "expected \"ready <pid> <files>\", got \"%s\"", line);
		sleep_ms(1 + round * 7 % 10);
		ck_assert_int_eq(kill(child, SIGKILL), 0);
		ck_assert_int_eq(waitpid(child, &status, 0), child);
		close(fd);

		snprintf(what, sizeof what, "round %d (%ld files open)", round,
			 files);
		json_decref(killed_log(dir, what));
		it_rmtree(dir);
		free(dir);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("killed");
	TCase *tc = tcase_create("killed");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_killed_bare_preload_signal);
	tcase_add_test(tc, test_killed_under_ovc_run_signal);
	tcase_add_test(tc, test_killed_early_segv);
	tcase_add_test(tc, test_killed_early_kill);
	tcase_add_test(tc, test_killed_with_many_files);
	suite_add_tcase(s, tc);
	return it_main(s);
}
