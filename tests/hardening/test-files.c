/* The output directory and the log file under hostile conditions: a
 * symlinked directory, files and symlinks already at the log's name, a
 * directory of another user, a read-only one, a file-size limit, a full
 * disk. The host program must never fail or behave differently (exit code
 * and stdout as plain, never SIGXFSZ from ovc's writes); ovc must never
 * write outside the output directory or through a symlink, never clobber
 * a file, and warn once where it cannot log. Logs are 0600 and the
 * directories ovc makes 0700, whatever the umask. The cache of the
 * machine's facts ovc keeps there is never trusted blindly. */
#include "hcommon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char *plain_out;

static const char *hello_plain(void)
{
	if (!plain_out) {
		char *argv[] = { (char *)h_program("h-hello"), NULL };
		struct it_result r;
		it_run(argv, NULL, 30, &r);
		ck_assert_int_eq(r.code, 0);
		plain_out = strdup(r.out);
		it_result_free(&r);
	}
	return plain_out;
}

/* The names of the ovc logs in DIR, as a JSON array. */
static json_t *logs_in(const char *dir)
{
	return it_list_dir(dir, "ovc.");
}

static char *path2(const char *a, const char *b)
{
	char *p;
	ck_assert(asprintf(&p, "%s/%s", a, b) > 0);
	return p;
}

START_TEST(test_files_symlinked_output_dir)
{
	char *base = it_tempdir("h-files-link"), *elsewhere = it_tempdir("h-files-target");
	char *link = path2(base, "out");
	ck_assert(symlink(elsewhere, link) == 0);
	char *argv[] = { (char *)h_program("h-hello"), NULL };
	struct it_result r;

	it_preload_run(link, argv, 30, &r);
	h_assert_same(&r, 0, hello_plain(), "symlinked OVC_OUTPUT");
	/* The logs are in the directory the link names; next to the link
	 * there is nothing but the link. */
	json_t *names = logs_in(elsewhere);
	ck_assert_int_eq(json_array_size(names), 1);
	char *log = path2(elsewhere, json_string_value(json_array_get(names, 0)));
	ck_assert_int_eq(h_mode(log), 0600);
	ck_assert_int_eq(h_dir_entries(base), 1);
	json_t *report = it_report(link, NULL);
	ck_assert_str_eq(it_str(it_process(report, "h-hello"), "end.kind"), "exit");
	json_decref(report), json_decref(names);
	it_result_free(&r);
	free(log), free(link);
	it_rmtree(base), it_rmtree(elsewhere);
	free(base), free(elsewhere);
}
END_TEST

START_TEST(test_files_existing_names)
{
	char *dir = it_tempdir("h-files-exist"), *other = it_tempdir("h-files-victim");
	char *victim = path2(other, "victim"), *absent = path2(other, "absent");
	it_write_file(victim, "victim\n", 7);
	/* The shell learns its pid, puts a file, a symlink to an existing
	 * file, a symlink to nowhere and a directory at the names of logs
	 * 0 to 3 of that pid, then execs hello under the preload (same pid):
	 * its log must be number 4, and nothing else touched. */
	char *script =
		"echo precious > \"$1/ovc.$$.0.jsonl\" && "
		"ln -s \"$2\" \"$1/ovc.$$.1.jsonl\" && "
		"ln -s \"$3\" \"$1/ovc.$$.2.jsonl\" && "
		"mkdir \"$1/ovc.$$.3.jsonl\" && echo $$ >&2 && "
		"export LD_PRELOAD=\"$4\" OVC_OUTPUT=\"$1\" && exec \"$5\"";
	char *argv[] = { "/bin/sh", "-c", script, "sh", dir, victim, absent,
			 (char *)it_env("OVC_LIB"), (char *)h_program("h-hello"), NULL };
	struct it_result r;

	it_run(argv, NULL, 30, &r);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq(r.out, hello_plain());
	int pid = atoi(r.err);
	ck_assert_int_gt(pid, 0);
	char name[64];
	snprintf(name, sizeof name, "ovc.%d.0.jsonl", pid);
	char *p0 = path2(dir, name);
	size_t len;
	char *text = it_read_file(p0, &len);
	ck_assert_str_eq(text, "precious\n");
	free(text);
	text = it_read_file(victim, &len);
	ck_assert_str_eq(text, "victim\n");
	free(text);
	ck_assert_int_eq(access(absent, F_OK), -1);
	snprintf(name, sizeof name, "ovc.%d.4.jsonl", pid);
	char *p4 = path2(dir, name);
	ck_assert_int_eq(h_mode(p4), 0600);
	json_t *report = it_report(p4, NULL);
	ck_assert_str_eq(it_str(it_process(report, "h-hello"), "end.kind"), "exit");
	json_decref(report);
	it_result_free(&r);
	free(p0), free(p4), free(victim), free(absent);
	it_rmtree(dir), it_rmtree(other);
	free(dir), free(other);
}
END_TEST

/* Runs hello as user nobody (setpriv) under the preload into DIR. */
static void run_as_nobody(const char *dir, struct it_result *r)
{
	char *pre, *out;
	ck_assert(asprintf(&pre, "LD_PRELOAD=%s", it_env("OVC_LIB")) > 0);
	ck_assert(asprintf(&out, "OVC_OUTPUT=%s", dir) > 0);
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534",
			 "--clear-groups", "env", pre, out,
			 (char *)h_program("h-hello"), NULL };
	it_run(argv, NULL, 30, r);
	free(pre), free(out);
}

START_TEST(test_files_other_users_and_read_only_dirs)
{
	if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
		puts("files: not root (or no setpriv): other-user cases skipped");
		return;
	}
	char *base = it_tempdir("h-files-owner");
	ck_assert(chmod(base, 0755) == 0);
	struct it_result r;

	/* Root into a directory of another user: logged, the log root's
	 * own and 0600 (the directory's owner cannot read it). */
	char *theirs = path2(base, "theirs");
	ck_assert(mkdir(theirs, 0755) == 0 && chown(theirs, 65534, 65534) == 0);
	it_preload_run(theirs, (char *[]){ (char *)h_program("h-hello"), NULL }, 30, &r);
	h_assert_same(&r, 0, hello_plain(), "root into nobody's directory");
	json_t *names = logs_in(theirs);
	ck_assert_int_eq(json_array_size(names), 1);
	char *log = path2(theirs, json_string_value(json_array_get(names, 0)));
	struct stat st;
	ck_assert(stat(log, &st) == 0);
	ck_assert_int_eq(st.st_uid, 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	it_result_free(&r);
	json_decref(names);
	free(log);

	/* nobody into root's directory, and into its own read-only one:
	 * one warning, the program untouched, nothing written. */
	char *roots = path2(base, "roots"), *ro = path2(base, "ro");
	ck_assert(mkdir(roots, 0755) == 0);
	ck_assert(mkdir(ro, 0555) == 0 && chown(ro, 65534, 65534) == 0);
	const char *dirs[] = { roots, ro };
	for (int i = 0; i < 2; i++) {
		run_as_nobody(dirs[i], &r);
		h_assert_same(&r, 0, hello_plain(), dirs[i]);
		ck_assert_msg(h_count_lines(r.err, "ovc: warning: cannot write logs") == 1 &&
				      h_count_lines(r.err, "ovc:") == 1,
			      "%s: want one warning:\n%s", dirs[i], r.err);
		ck_assert_int_eq(h_dir_entries(dirs[i]), 0);
		it_result_free(&r);
	}
	free(roots), free(ro), free(theirs);
	it_rmtree(base);
	free(base);
}
END_TEST

/* Runs a stress that writes many records (OVC_SAMPLE=1: a site per call)
 * under RLIMIT_FSIZE = LIMIT bytes; the host must not get SIGXFSZ. */
static void fsize_case(unsigned long long limit)
{
	char *dir = it_tempdir("h-files-fsize");
	char *argv[] = { (char *)h_program("h-stress"), "2", "20000", "20", NULL };
	char *extra[] = { "OVC_SAMPLE=1", NULL };
	struct it_result plain, r;
	char lim[64], *pre, *out;

	it_run(argv, NULL, 60, &plain);
	ck_assert_int_eq(plain.code, 0);
	/* The limit is set in the traced process only (prlimit, not
	 * preloaded itself): Check's own result file must not meet it. */
	snprintf(lim, sizeof lim, "--fsize=%llu", (unsigned long long)limit);
	ck_assert(asprintf(&pre, "LD_PRELOAD=%s", it_env("OVC_LIB")) > 0);
	ck_assert(asprintf(&out, "OVC_OUTPUT=%s", dir) > 0);
	char *full[] = { "prlimit", lim, "env", pre, out, extra[0], argv[0],
			 argv[1], argv[2], argv[3], NULL };
	it_run(full, NULL, 120, &r);
	free(pre), free(out);
	ck_assert_msg(r.code != 128 + SIGXFSZ, "the host got SIGXFSZ:\n%s", r.err);
	h_assert_same(&r, 0, plain.out, "RLIMIT_FSIZE");
	ck_assert_msg(h_count_lines(r.err, "file size limit") >= 1, "%s", r.err);
	/* One warning per process image at most. */
	json_t *names = logs_in(dir), *n;
	size_t i;
	/* (A log that could not take its first line is removed, so count
	 * the images: the stress forks once and the child execs: 3.) */
	ck_assert_int_le(h_count_lines(r.err, "ovc: warning:"), 3);
	json_array_foreach(names, i, n) {
		char *p = path2(dir, json_string_value(n));
		struct stat st;
		ck_assert(stat(p, &st) == 0);
		ck_assert_int_le(st.st_size, (long long)limit);
		free(p);
	}
	if (limit >= 4096) {
		/* What was written is whole lines: the report reads it. */
		json_t *report = it_report(dir, NULL);
		json_decref(report);
	}
	json_decref(names);
	it_result_free(&plain), it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}

START_TEST(test_files_fsize_limit)
{
	fsize_case(4096);
	fsize_case(0);
	fsize_case(100);
}
END_TEST

START_TEST(test_files_full_disk)
{
	char *mnt = it_tempdir("h-files-full");
	if (mount("ovc-test", mnt, "tmpfs", 0, "size=64k,mode=0700") != 0) {
		printf("files: cannot mount a small tmpfs (%s): skipped\n",
		       strerror(errno));
		it_rmtree(mnt);
		free(mnt);
		return;
	}
	char *argv[] = { (char *)h_program("h-stress"), "2", "20000", "20", NULL };
	char *extra[] = { "OVC_SAMPLE=1", NULL };
	struct it_result plain, r;
	/* Fill it but for 8 KiB: ovc runs out of room within the first
	 * process image's log. */
	char *filler = path2(mnt, "filler");
	char *block = calloc(1, 56 * 1024);
	it_write_file(filler, block, 56 * 1024);
	free(block), free(filler);
	it_run(argv, NULL, 60, &plain);
	h_preload_run(mnt, argv, extra, 120, &r);
	/* No empty log is left behind: a process that cannot write even its
	 * first record removes the file it made (issue 19). */
	json_t *names = logs_in(mnt), *n;
	size_t i;
	json_array_foreach(names, i, n) {
		char *p = path2(mnt, json_string_value(n));
		struct stat st;
		ck_assert(stat(p, &st) == 0);
		ck_assert_msg(st.st_size > 0, "%s: an empty log", p);
		free(p);
	}
	json_decref(names);
	/* nor an empty cache of the machine's facts */
	char *cache = path2(mnt, ".ovc-host");
	struct stat cst;
	ck_assert_msg(stat(cache, &cst) != 0 || cst.st_size > 0, "%s: empty", cache);
	free(cache);
	umount2(mnt, MNT_DETACH);
	h_assert_same(&r, 0, plain.out, "full disk");
	ck_assert_msg(h_count_lines(r.err, "disk full") >= 1, "%s", r.err);
	it_result_free(&plain), it_result_free(&r);
	it_rmtree(mnt);
	free(mnt);
}
END_TEST

/* Under `ulimit -n 6` a shell's pipe needs descriptors 3 and 4: ovc must
 * hold none of the program's (issue 20: "Pipe call failed" before). */
START_TEST(test_files_low_descriptor_limit)
{
	char *dir = it_tempdir("h-files-nofile");
	/* A process whose table is full cannot have its log for a moment
	 * and runs untraced; OVC_WARN=log keeps that off its stderr. */
	char *script = "ulimit -n 6 && exec env LD_PRELOAD=\"$1\" "
		       "OVC_OUTPUT=\"$2\" OVC_WARN=log "
		       "sh -c 'echo a | cat; ls /proc/self/fd'";
	char *argv[] = { "/bin/sh", "-c", script, "sh", (char *)it_env("OVC_LIB"),
			 dir, NULL };
	char *plain_argv[] = { "/bin/sh", "-c", script, "sh", "", dir, NULL };
	struct it_result r, plain;
	it_run(plain_argv, NULL, 60, &plain);
	it_run(argv, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "exit %d\n%s", r.code, r.err);
	/* the same output, and the same descriptors listed, as plain */
	ck_assert_str_eq(r.out, plain.out);
	ck_assert_str_eq(r.err, "");
	it_result_free(&plain);
	json_t *logs = it_list_dir(dir, "ovc.");
	ck_assert_int_ge(json_array_size(logs), 2);
	json_decref(logs);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* The log directory deleted while the program runs: ovc says so once
 * (the descriptor's file has no link any more) instead of writing into a
 * file nobody can read; the next process makes the directory again. */
START_TEST(test_files_deleted_directory)
{
	char *base = it_tempdir("h-files-deleted");
	char *dir = path2(base, "logs");
	char *argv[] = { "/bin/sh", "-c", "rm -rf \"$1\"; /bin/echo a; echo b",
			 "sh", dir, NULL };
	struct it_result r;
	h_preload_run(dir, argv, NULL, 60, &r);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.out, "a\nb\n");
	ck_assert_msg(h_count_lines(r.err, "ovc's log was deleted") == 1, "%s",
		      r.err);
	json_t *logs = logs_in(dir);
	ck_assert_int_ge(json_array_size(logs), 1); /* /bin/echo's */
	json_decref(logs);
	it_result_free(&r);
	it_rmtree(base);
	free(dir), free(base);
}
END_TEST

/* A directory of empty logs (processes that could not write one): the
 * report says so in one line and reports the rest. */
START_TEST(test_files_empty_logs_one_line)
{
	char *dir = it_tempdir("h-files-empty");
	char *argv[] = { (char *)h_program("h-hello"), NULL };
	struct it_result r;
	h_preload_run(dir, argv, NULL, 60, &r);
	it_result_free(&r);
	for (int i = 0; i < 5; i++) {
		char name[64];
		snprintf(name, sizeof name, "ovc.%d.0.jsonl", 4000000 + i);
		char *p = path2(dir, name);
		it_write_file(p, "", 0);
		free(p);
	}
	char *err = NULL;
	json_t *report = it_report(dir, &err);
	ck_assert_int_eq(json_array_size(it_get(report, "processes")), 1);
	ck_assert_msg(h_count_lines(err, "empty log") == 1 &&
			      strstr(err, "5 empty logs skipped") != NULL,
		      "%s", err);
	free(err);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_files_modes_whatever_umask)
{
	char *base = it_tempdir("h-files-modes");
	char *deep = path2(base, "a/b/c");
	char *script = "umask 0 && export LD_PRELOAD=\"$1\" OVC_OUTPUT=\"$2\" "
		       "&& exec \"$3\"";
	char *argv[] = { "/bin/sh", "-c", script, "sh", (char *)it_env("OVC_LIB"),
			 deep, (char *)h_program("h-hello"), NULL };
	struct it_result r;

	it_run(argv, NULL, 30, &r);
	h_assert_same(&r, 0, hello_plain(), "umask 0");
	const char *made[] = { "a", "a/b", "a/b/c" };
	for (int i = 0; i < 3; i++) {
		char *p = path2(base, made[i]);
		ck_assert_msg(h_mode(p) == 0700, "%s: mode %o", p, h_mode(p));
		free(p);
	}
	json_t *names = logs_in(deep);
	ck_assert_int_eq(json_array_size(names), 1);
	char *log = path2(deep, json_string_value(json_array_get(names, 0)));
	ck_assert_msg(h_mode(log) == 0600, "%s: mode %o", log, h_mode(log));
	json_decref(names);
	it_result_free(&r);
	free(log), free(deep);
	it_rmtree(base);
	free(base);
}
END_TEST

/* Runs hello under the preload into DIR, checks that it ran as plain,
 * and returns the header of its log (the only one in DIR), which it then
 * removes: DIR holds nothing of it but what ovc keeps there. */
static json_t *hello_header(const char *dir)
{
	char *argv[] = { (char *)h_program("h-hello"), NULL };
	struct it_result r;
	it_preload_run(dir, argv, 30, &r);
	h_assert_same(&r, 0, hello_plain(), dir);
	it_result_free(&r);
	json_t *names = logs_in(dir);
	ck_assert_int_eq(json_array_size(names), 1);
	char *log = path2(dir, json_string_value(json_array_get(names, 0)));
	json_t *lines = it_read_jsonl(log);
	json_t *head = json_incref(json_array_get(lines, 0));
	ck_assert_str_eq(it_str(head, "t"), "proc");
	ck_assert_int_le(it_int(head, "host_mono_ns"), it_int(head, "start_mono_ns"));
	unlink(log);
	json_decref(lines), json_decref(names);
	free(log);
	return head;
}

/* The machine's facts an image leaves in DIR/.ovc-host: an image that
 * starts within a second takes them (its header's host_mono_ns is the
 * first one's). A cache that is corrupt is read again and rewritten; a
 * FIFO or a symlink there is not used, does not block, and nothing is
 * written through it. */
START_TEST(test_files_host_cache)
{
	char *dir = it_tempdir("h-files-cache"), *other = it_tempdir("h-files-cache-victim");
	char *cache = path2(dir, ".ovc-host"), *victim = path2(other, "victim");
	json_t *first = hello_header(dir);
	ck_assert_int_eq(h_mode(cache), 0600);

	/* A second image takes the first one's facts, unless a loaded
	 * machine started it more than a second later: then it reads its
	 * own, and the next one is tried (at most 5 times). */
	bool taken = false;
	for (int i = 0; i < 5 && !taken; i++) {
		json_t *next = hello_header(dir);
		long long at = it_int(first, "host_mono_ns");
		if (it_int(next, "host_mono_ns") == at) {
			ck_assert_int_eq(it_int(next, "mem_total"), it_int(first, "mem_total"));
			ck_assert_int_eq(it_int(next, "commit_limit"), it_int(first, "commit_limit"));
			taken = true;
		} else {
			ck_assert_int_gt(it_int(next, "start_mono_ns") - at, 1000000000LL);
			json_decref(first);
			first = json_incref(next);
		}
		json_decref(next);
	}
	ck_assert_msg(taken, "no image took the facts of the one before");

	/* One byte changed: not used, read again, the file made whole. */
	size_t len;
	char *good = it_read_file(cache, &len);
	ck_assert(good != NULL && len > 64);
	good[len / 2] ^= 0x5a;
	it_write_file(cache, good, len);
	json_t *fresh = hello_header(dir);
	ck_assert_int_gt(it_int(fresh, "host_mono_ns"), it_int(first, "host_mono_ns"));
	size_t len2;
	char *rewritten = it_read_file(cache, &len2);
	ck_assert(len2 == len && memcmp(rewritten, good, len) != 0);
	json_decref(fresh);
	free(good), free(rewritten);

	/* A FIFO: neither opened for good nor waited on. */
	ck_assert(unlink(cache) == 0 && mkfifo(cache, 0600) == 0);
	fresh = hello_header(dir);
	struct stat st;
	ck_assert(lstat(cache, &st) == 0 && S_ISFIFO(st.st_mode));
	json_decref(fresh);

	/* A symlink: not followed, its target untouched. */
	it_write_file(victim, "victim\n", 7);
	ck_assert(unlink(cache) == 0 && symlink(victim, cache) == 0);
	json_decref(hello_header(dir));
	json_decref(hello_header(dir));
	char *text = it_read_file(victim, &len);
	ck_assert_str_eq(text, "victim\n");
	ck_assert(lstat(cache, &st) == 0 && S_ISLNK(st.st_mode));
	free(text);

	json_decref(first);
	free(cache), free(victim);
	it_rmtree(dir), it_rmtree(other);
	free(dir), free(other);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hardening-files");
	TCase *tc = tcase_create("files");
	tcase_set_timeout(tc, 150);
	tcase_add_test(tc, test_files_symlinked_output_dir);
	tcase_add_test(tc, test_files_existing_names);
	tcase_add_test(tc, test_files_other_users_and_read_only_dirs);
	tcase_add_test(tc, test_files_fsize_limit);
	tcase_add_test(tc, test_files_full_disk);
	tcase_add_test(tc, test_files_modes_whatever_umask);
	tcase_add_test(tc, test_files_low_descriptor_limit);
	tcase_add_test(tc, test_files_deleted_directory);
	tcase_add_test(tc, test_files_empty_logs_one_line);
	tcase_add_test(tc, test_files_host_cache);
	suite_add_tcase(s, tc);
	return it_main(s);
}
