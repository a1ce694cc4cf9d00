/* An OOM kill inside a memory cgroup (issue 19): a program that touches
 * 512 MiB in a cgroup limited to 256 MiB, under `ovc run` and under a bare
 * LD_PRELOAD (no run file: nothing saw the SIGKILL). The diagnosis must
 * name the cgroup's OOM killer, from the cgroup's own files, not clear the
 * OOM killer because the machine had memory to spare. Needs root and a
 * writable memory cgroup (v1 where the machine has its memory controller
 * there, else v2); skipped (77) without one. */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char cg[512]; /* the test's cgroup directory */

static bool write_str(const char *dir, const char *file, const char *text)
{
	char path[640];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

static bool exists(const char *dir, const char *file)
{
	char path[640];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/* Makes a cgroup limited to 256 MiB; false when the machine has no
 * writable memory cgroup. */
static bool make_cgroup(void)
{
	const char *v1 = "/sys/fs/cgroup/memory";
	if (exists(v1, "memory.limit_in_bytes")) {
		snprintf(cg, sizeof cg, "%s/ovc-hostile-%d", v1, (int)getpid());
		if (mkdir(cg, 0755) != 0)
			return false;
		if (!write_str(cg, "memory.limit_in_bytes", "268435456"))
			return false;
		/* with swap accounting: no swapping around the limit */
		if (exists(cg, "memory.memsw.limit_in_bytes"))
			write_str(cg, "memory.memsw.limit_in_bytes", "268435456");
		return true;
	}
	const char *roots[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	for (int i = 0; i < 2; i++) {
		char path[256], buf[512] = "";
		snprintf(path, sizeof path, "%s/cgroup.controllers", roots[i]);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (!strstr(buf, "memory"))
			continue;
		write_str(roots[i], "cgroup.subtree_control", "+memory");
		snprintf(cg, sizeof cg, "%s/ovc-hostile-%d", roots[i], (int)getpid());
		if (mkdir(cg, 0755) != 0)
			return false;
		if (!write_str(cg, "memory.max", "268435456"))
			return false;
		if (exists(cg, "memory.swap.max"))
			write_str(cg, "memory.swap.max", "0");
		return true;
	}
	return false;
}

static void remove_cgroup(void)
{
	if (cg[0])
		rmdir(cg);
}

/* Runs ARGV... inside the cgroup (a shell moves itself there, then execs
 * them). */
static void run_in_cgroup(char *const argv[], char *const env[],
			  struct it_result *r)
{
	char *args[16] = { "/bin/sh", "-c", NULL, "sh" };
	char script[700];
	snprintf(script, sizeof script,
		 "echo $$ > %s/cgroup.procs && exec \"$@\"", cg);
	args[2] = script;
	size_t k = 4;
	for (size_t i = 0; argv[i] && k < 15; i++)
		args[k++] = argv[i];
	args[k] = NULL;
	it_run(args, env, 60, r);
}

static const char *hog(void)
{
	static char path[4096];
	snprintf(path, sizeof path, "%s/h-hog", it_env("OVC_HOSTILE_PROGRAMS"));
	return path;
}

/* The checks on the report of a hog killed in the cgroup. */
static void assert_cgroup_oom(const char *dir, const char *how)
{
	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, "h-hog");
	json_t *k = it_get(p, "diagnosis.killed");
	ck_assert_msg(json_is_object(k), "%s: not seen as killed:\n%s", how,
		      it_dump(p));
	ck_assert_msg(json_is_true(json_object_get(k, "likely_oom")),
		      "%s: the OOM killer is not named:\n%s", how, it_dump(k));
	ck_assert_int_ge(it_int(k, "cgroup.oom_kills"), 1);
	ck_assert_int_eq(it_int(k, "cgroup.max_bytes"), 256 * IT_MIB);
	ck_assert_str_eq(it_str(k, "cgroup.dir"), cg);
	json_decref(report);
}

START_TEST(test_cgroup_oom_under_ovc_run)
{
	char *dir = it_tempdir("cgroup-run");
	char *argv[] = { (char *)it_env("OVC_BIN"), "run", "-o", dir, "--",
			 (char *)hog(), "512", NULL };
	struct it_result r;
	run_in_cgroup(argv, NULL, &r);
	ck_assert_msg(!strstr(r.out, "touched 512 MiB"),
		      "the hog was not stopped at 256 MiB: %s", r.out);
	char *both = NULL;
	ck_assert(asprintf(&both, "%s%s", r.out, r.err) > 0);
	ck_assert_msg(strstr(both, "killed by the OOM killer of its memory cgroup"),
		      "ovc run's report does not name the cgroup's OOM "
		      "killer:\n%s", both);
	ck_assert_msg(!strstr(both, "not the likely cause"), "%s", both);
	free(both);
	it_result_free(&r);
	assert_cgroup_oom(dir, "ovc run");
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_cgroup_oom_bare_preload)
{
	char *dir = it_tempdir("cgroup-bare");
	char *env[3];
	ck_assert(asprintf(&env[0], "LD_PRELOAD=%s", it_env("OVC_LIB")) > 0);
	ck_assert(asprintf(&env[1], "OVC_OUTPUT=%s", dir) > 0);
	env[2] = NULL;
	char *argv[] = { (char *)hog(), "512", NULL };
	struct it_result r;
	run_in_cgroup(argv, env, &r);
	ck_assert_msg(r.code == 128 + 9, "exit %d: %s", r.code, r.err);
	it_result_free(&r);
	assert_cgroup_oom(dir, "bare preload");
	char *argv2[] = { (char *)it_env("OVC_BIN"), "report", dir, NULL };
	it_run(argv2, NULL, 60, &r);
	ck_assert_msg(strstr(r.out, "killed by the OOM killer of its memory cgroup"),
		      "%s", r.out);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir), free(env[0]), free(env[1]);
}
END_TEST

int main(void)
{
	if (geteuid() != 0 || !make_cgroup()) {
		fprintf(stderr, "test-cgroup: no writable memory cgroup: %s\n",
			strerror(errno));
		remove_cgroup();
		return 77;
	}
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("cgroup");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_cgroup_oom_under_ovc_run);
	tcase_add_test(tc, test_cgroup_oom_bare_preload);
	suite_add_tcase(s, tc);
	int rc = it_main(s);
	remove_cgroup();
	return rc;
}
