/* `ovc snapshot PID...` on processes ovc did not start: reserve-wait
 * (8 GiB reserved, 1 GiB touched, a thread, a PROT_NONE reservation), the
 * article's reservation program (about 128 TiB, held while its last write
 * blocks on a full pipe), the errors (no such process, a kernel thread, a
 * zombie, another user's process), and --watch logs read back by `ovc
 * report` and `ovc plot`.
 *
 * `test-snapshot perm` runs only the other-user test: it needs root (to
 * drop privileges in a child) and exits 77 without it. */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* A running test program with a pipe on its stdin and one on its stdout. */
struct prog {
	pid_t pid;
	int in, out;
};

/* Starts program NAME with ARGS (NULL-ended) and its stdout on OUT_FD
 * when >= 0 (else a pipe, in p->out); stdin is a pipe (p->in). */
static void prog_start(struct prog *p, const char *name, char *const args[],
		       int out_fd)
{
	int inp[2], outp[2] = {-1, -1};
	ck_assert(pipe2(inp, O_CLOEXEC) == 0);
	if (out_fd < 0)
		ck_assert(pipe2(outp, O_CLOEXEC) == 0);
	char *argv[8] = {(char *)it_program(name)};
	for (int i = 0; args && args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	argv[0] = strdup(argv[0]);
	p->pid = fork();
	ck_assert(p->pid >= 0);
	if (p->pid == 0) {
		dup2(inp[0], 0);
		dup2(out_fd >= 0 ? out_fd : outp[1], 1);
		/* glibc would fill every fresh block: article-reserve would
		 * touch its 128 TiB. */
		unsetenv("MALLOC_PERTURB_");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[0], argv);
		_exit(127);
	}
	free(argv[0]);
	close(inp[0]);
	p->in = inp[1];
	if (out_fd < 0) {
		close(outp[1]);
		p->out = outp[0];
	} else {
		p->out = -1;
	}
}

/* Closes P's stdin (reserve-wait then exits) and reaps it. */
static int prog_end(struct prog *p)
{
	int st = 0;
	close(p->in);
	if (p->out >= 0)
		close(p->out);
	ck_assert(waitpid(p->pid, &st, 0) == p->pid);
	return st;
}

static void say_ready(struct prog *p)
{
	char line[64];
	it_read_line(p->out, line, sizeof line, 20000);
	ck_assert_str_eq(line, "ready");
}

/* `ovc snapshot ARGS... PID`: its result in R. */
static void snapshot(pid_t pid, const char *a1, const char *a2,
		     struct it_result *r)
{
	char pidtext[24];
	snprintf(pidtext, sizeof pidtext, "%d", (int)pid);
	char *argv[6] = {(char *)it_env("OVC_BIN"), "snapshot"};
	int n = 2;
	if (a1)
		argv[n++] = (char *)a1;
	if (a2)
		argv[n++] = (char *)a2;
	argv[n++] = pidtext;
	argv[n] = NULL;
	it_run(argv, NULL, 120, r);
}

/* The one process of `ovc snapshot --json [OPT] PID`; new reference. */
static json_t *snapshot_json(pid_t pid, const char *opt)
{
	struct it_result r;
	snapshot(pid, "--json", opt, &r);
	ck_assert_msg(r.code == 0, "ovc snapshot: exit %d:\n%s", r.code, r.err);
	json_error_t e;
	json_t *doc = json_loads(r.out, 0, &e);
	ck_assert_msg(doc, "not JSON: %s\n%s", e.text, r.out);
	ck_assert_str_eq(it_str(doc, "format"), "ovc-snapshot");
	ck_assert_int_eq(it_int(doc, "version"), 1);
	json_t *procs = json_object_get(doc, "processes");
	ck_assert_int_eq(json_array_size(procs), 1);
	json_t *p = json_incref(json_array_get(procs, 0));
	ck_assert_int_eq(it_int(p, "pid"), pid);
	json_decref(doc);
	it_result_free(&r);
	return p;
}

/* OBJ as text for a failure message, without its long lists. */
static char *brief(json_t *obj)
{
	json_t *c = json_copy(obj);
	json_object_del(c, "mappings");
	json_object_del(c, "threads");
	json_object_del(c, "argv");
	char *d = it_dump(c);
	json_decref(c);
	if (strlen(d) > 3000)
		d[3000] = '\0';
	return d;
}

#define IN_RANGE(v, lo, hi, what, obj)                                         \
	do {                                                                   \
		long long v_ = (v);                                            \
		if (v_ < (lo) || v_ > (hi)) {                                  \
			char *d_ = brief(obj);                                 \
			ck_abort_msg("%s = %lld, not in [%lld, %lld]\n%s",     \
				     what, v_, (long long)(lo),                \
				     (long long)(hi), d_);                     \
		}                                                              \
	} while (0)

/* The mapping of P of exactly SIZE reserved bytes (the only one). */
static json_t *mapping_of_size(json_t *p, long long lo, long long hi)
{
	json_t *maps = json_object_get(p, "mappings"), *found = NULL, *m;
	size_t i;
	json_array_foreach(maps, i, m)
	{
		long long r = it_int(m, "reserved_bytes");
		if (r >= lo && r <= hi) {
			ck_assert_msg(!found, "two mappings of that size");
			found = m;
		}
	}
	ck_assert_msg(found, "no mapping of %lld..%lld bytes", lo, hi);
	return found;
}

/* RssAnon of this process, in bytes; 0 when it cannot be read. */
static long long rss_anon_self(void)
{
	char line[256];
	long long kib = 0;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "RssAnon: %lld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib * 1024;
}

/* What reading (never writing) 16 MiB of fresh private anonymous memory
 * costs on this kernel: nothing where a read fault maps the shared zero
 * page, 16 MiB where it gives each read a page of its own (seen on some
 * machines here). Measured plain, from this process's RssAnon. */
static long long zero_read_cost(void)
{
	const size_t n = 16 * IT_MIB;
	volatile char *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	long long before = rss_anon_self();
	unsigned sum = 0;
	for (size_t o = 0; o < n; o += 4096)
		sum += (unsigned)p[o];
	long long grown = rss_anon_self() - before;
	munmap((void *)p, n);
	return sum == 0 && grown >= (long long)n / 2 ? (long long)n : 0;
}

START_TEST(test_snapshot_reserve_touch)
{
	struct prog p;
	prog_start(&p, "reserve-wait", NULL, -1);
	say_ready(&p);
	json_t *s = snapshot_json(p.pid, NULL);

	/* 8 GiB malloc'd (one mmap of 8 GiB + a page), 1 GiB PROT_NONE, an
	 * 8 MiB thread stack, the libraries' and the loader's bits. */
	IN_RANGE(it_int(s, "anonymous.reserved_bytes"), 9 * IT_GIB,
		 9 * IT_GIB + 64 * IT_MIB, "reserved", s);
	IN_RANGE(it_int(s, "anonymous.committed_bytes"), 8 * IT_GIB,
		 8 * IT_GIB + 32 * IT_MIB, "committed", s);
	/* the 16 MiB only read are touched where the kernel has no zero
	 * page for them */
	long long zr = zero_read_cost();
	IN_RANGE(it_int(s, "anonymous.touched_bytes"), IT_GIB + zr,
		 IT_GIB + zr + 4 * IT_MIB, "touched", s);
	IN_RANGE(it_int(s, "anonymous.resident_bytes"), IT_GIB + zr,
		 IT_GIB + zr + 4 * IT_MIB, "resident", s);
	ck_assert_int_eq(it_int(s, "anonymous.swapped_bytes"), 0);
	IN_RANGE(it_int(s, "overcommit_gap_bytes"), 7 * IT_GIB - zr - 4 * IT_MIB,
		 7 * IT_GIB - zr + 32 * IT_MIB, "gap", s);
	double ratio = it_num(s, "touched_ratio");
	ck_assert_msg(ratio > 0.12 && ratio < 0.13, "ratio %f", ratio);

	/* (the kernel may merge a small neighbour into it) */
	json_t *big = mapping_of_size(s, 8 * IT_GIB, 8 * IT_GIB + IT_MIB);
	ck_assert(json_is_true(json_object_get(big, "committed")));
	IN_RANGE(it_int(big, "touched_bytes"), IT_GIB + zr,
		 IT_GIB + zr + 64 * 1024, "the 8 GiB block's touched", big);
	IN_RANGE(it_int(big, "untouched_bytes"), 7 * IT_GIB - zr - 4096,
		 7 * IT_GIB - zr + IT_MIB, "the 8 GiB block's untouched", big);
	json_t *none = mapping_of_size(s, IT_GIB, IT_GIB);
	ck_assert(json_is_false(json_object_get(none, "committed")));
	ck_assert(json_is_true(json_object_get(none, "noreserve")));
	ck_assert_str_eq(it_str(none, "perms"), "---p");
	ck_assert_int_eq(it_int(none, "committed_bytes"), 0);

	/* PAGEMAP_SCAN (Linux 6.7+) sees the 16 MiB that were only read:
	 * the shared zero page. */
	if (json_is_true(json_object_get(s, "pagemap_scanned"))) {
		ck_assert_str_eq(it_str(s, "touched_source"), "pagemap");
		IN_RANGE(it_int(big, "zero_page_bytes"), 16 * IT_MIB - zr,
			 16 * IT_MIB - zr, "zero page", big);
	} else {
		fprintf(stderr, "test-snapshot: no PAGEMAP_SCAN here: %s\n",
			it_str(s, "pagemap_why"));
	}

	/* Heap, main stack and the thread's stack, named. */
	ck_assert_int_eq(it_int(s, "groups.heap.mappings"), 1);
	ck_assert_int_eq(it_int(s, "groups.stack.mappings"), 1);
	ck_assert_int_eq(it_int(s, "groups.thread_stacks.mappings"), 1);
	IN_RANGE(it_int(s, "groups.thread_stacks.reserved_bytes"), IT_MIB,
		 16 * IT_MIB, "thread stack", s);
	json_t *threads = json_object_get(s, "threads"), *t;
	ck_assert_int_eq(json_array_size(threads), 2);
	size_t i;
	json_array_foreach(threads, i, t)
	{
		ck_assert_msg(json_is_integer(json_object_get(t, "stack_start")),
			      "thread %lld: stack not found", it_int(t, "tid"));
	}
	/* The verdicts follow the machine's figures. */
	long long com = it_int(s, "anonymous.committed_bytes");
	/* ... and committed is said as a share of CommitLimit */
	double cl = it_num(s, "committed_of_commit_limit");
	size_t mlen;
	char *meminfo = it_read_file("/proc/meminfo", &mlen);
	ck_assert(meminfo && strstr(meminfo, "CommitLimit:"));
	long long limit_kib = atoll(strstr(meminfo, "CommitLimit:") + 12);
	free(meminfo);
	ck_assert_msg(fabs(cl * (double)limit_kib * 1024.0 - (double)com) <
			      (double)com / 100,
		      "committed %lld, fraction %f of %lld KiB", com, cl,
		      limit_kib);
	json_t *verdicts = json_object_get(s, "verdicts");
	bool over_cl = false, over_mt = false;
	json_t *v;
	json_array_foreach(verdicts, i, v)
	{
		over_cl |= strcmp(json_string_value(v), "exceeds_commit_limit") == 0;
		over_mt |= strcmp(json_string_value(v), "exceeds_mem_total") == 0;
	}
	json_decref(s);

	/* Without PAGEMAP_SCAN: smaps' Rss + Swap, the same figure. */
	s = snapshot_json(p.pid, "--no-pagemap");
	ck_assert(json_is_false(json_object_get(s, "pagemap_scanned")));
	ck_assert_str_eq(it_str(s, "touched_source"), "smaps");
	ck_assert(json_is_null(it_get(s, "anonymous.zero_page_bytes")));
	IN_RANGE(it_int(s, "anonymous.touched_bytes"), IT_GIB + zr,
		 IT_GIB + zr + 4 * IT_MIB, "touched (smaps)", s);
	json_decref(s);

	/* The text says the same, in DESIGN.md's words. */
	struct it_result r;
	snapshot(p.pid, NULL, NULL, &r);
	ck_assert_int_eq(r.code, 0);
	ck_assert_msg(strstr(r.out, "  reserved              9.0 GiB"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "  committed             8.0 GiB"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "  touched               1.0 GiB"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "  overcommit gap        7.0 GiB"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "thread stack "), "%s", r.out);
	ck_assert_msg(strstr(r.out, "[stack] main thread"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "[heap]"), "%s", r.out);
	ck_assert(!!strstr(r.out, "more than CommitLimit") == over_cl);
	ck_assert(!!strstr(r.out, "more than MemTotal") == over_mt);
	it_result_free(&r);
	ck_assert_int_eq(prog_end(&p), 0);
}
END_TEST

/* Waits until process PID sleeps twice in a row 50 ms apart (the article's
 * program blocked writing to the full pipe). */
static void wait_blocked(pid_t pid, int timeout_s)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int asleep = 0;
	for (int i = 0; i < timeout_s * 20 && asleep < 2; i++) {
		size_t len;
		char *s = it_read_file(path, &len);
		ck_assert(s);
		snprintf(buf, sizeof buf, "%s", s);
		free(s);
		char *paren = strrchr(buf, ')');
		ck_assert(paren);
		asleep = paren[2] == 'S' ? asleep + 1 : 0;
		usleep(50000);
	}
	ck_assert_msg(asleep >= 2, "the program never blocked");
}

START_TEST(test_snapshot_article_reserve)
{
	/* Its last printf blocks on a full pipe: the program holds all it
	 * reserved until the test drains the pipe. */
	int outp[2];
	ck_assert(pipe2(outp, O_CLOEXEC) == 0);
	ck_assert(fcntl(outp[1], F_SETFL, O_NONBLOCK) == 0);
	static char fill[4096];
	memset(fill, 'x', sizeof fill);
	size_t filled = 0;
	for (;;) {
		ssize_t w = write(outp[1], fill, sizeof fill);
		if (w <= 0)
			break;
		filled += (size_t)w;
	}
	ck_assert(fcntl(outp[1], F_SETFL, 0) == 0);
	struct prog p;
	prog_start(&p, "article-reserve", NULL, outp[1]);
	close(outp[1]);
	wait_blocked(p.pid, 100);

	json_t *s = snapshot_json(p.pid, NULL);
	/* Drain the pipe: the program ends and says how many GiB it got. */
	char *all = malloc(filled + 256);
	size_t len = 0;
	for (;;) {
		ssize_t n = read(outp[0], all + len, filled + 255 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(outp[0]);
	all[len] = '\0';
	long long gib = 0;
	char *line = strrchr(all, 'x');
	ck_assert(line && sscanf(line + 1, "%lld GiB allocated", &gib) == 1);
	free(all);
	ck_assert_int_eq(prog_end(&p), 0);
	ck_assert_msg(gib > 1000, "only %lld GiB", gib);

	/* Each block is one mmap of 1 GiB and a page; the failed calls at
	 * the end leave smaller mappings in the holes: the anonymous memory
	 * is the whole of the address space (128 TiB on x86-64) but for the
	 * few MiB of the program's files. glibc writes each block's header,
	 * so one or two pages of each are touched (the kernel may fault in
	 * two at once). */
	long long reserved = it_int(s, "anonymous.reserved_bytes");
	IN_RANGE(reserved, gib * IT_GIB, 128 * IT_TIB, "reserved", s);
	IN_RANGE(it_int(s, "statm.vm_bytes") - reserved, 0, 64 * IT_MIB,
		 "virtual minus anonymous reserved", s);
	IN_RANGE(it_int(s, "anonymous.committed_bytes"), gib * IT_GIB,
		 reserved, "committed", s);
	IN_RANGE(it_int(s, "anonymous.touched_bytes"), gib * 4096,
		 gib * 8192 + 16 * IT_MIB, "touched", s);
	IN_RANGE(it_int(s, "overcommit_gap_bytes"),
		 gib * IT_GIB - gib * 8192 - 16 * IT_MIB, reserved, "gap", s);
	json_t *verdicts = json_object_get(s, "verdicts");
	ck_assert_int_eq(json_array_size(verdicts), 2);
	ck_assert_str_eq(json_string_value(json_array_get(verdicts, 0)),
			 "exceeds_commit_limit");
	ck_assert_str_eq(json_string_value(json_array_get(verdicts, 1)),
			 "exceeds_mem_total");
	json_decref(s);
}
END_TEST

/* `ovc snapshot PID` fails with exit 2 and one line naming WHAT. */
static void expect_error(pid_t pid, const char *what)
{
	struct it_result r;
	snapshot(pid, NULL, NULL, &r);
	char head[64];
	snprintf(head, sizeof head, "ovc: snapshot: %d: ", (int)pid);
	ck_assert_msg(r.code == 2, "exit %d for %d:\n%s", r.code, (int)pid,
		      r.err);
	ck_assert_msg(strncmp(r.err, head, strlen(head)) == 0 &&
			      strstr(r.err, what) &&
			      strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
		      "expected one line '%s...%s...', got:\n%s", head, what,
		      r.err);
	ck_assert_str_eq(r.out, "");
	it_result_free(&r);
}

START_TEST(test_snapshot_errors)
{
	/* A pid that is free: a child's, reaped. */
	pid_t gone = fork();
	ck_assert(gone >= 0);
	if (gone == 0)
		_exit(0);
	ck_assert(waitpid(gone, NULL, 0) == gone);
	expect_error(gone, "no such process");

	/* A zombie: a child that exited and is not reaped yet. */
	pid_t z = fork();
	ck_assert(z >= 0);
	if (z == 0)
		_exit(3);
	siginfo_t si;
	ck_assert(waitid(P_PID, (id_t)z, &si, WEXITED | WNOWAIT) == 0);
	expect_error(z, "a zombie");
	ck_assert(waitpid(z, NULL, 0) == z);

	/* A kernel thread: kthreadd is pid 2 where the pid namespace is the
	 * machine's. */
	size_t len;
	char *stat = it_read_file("/proc/2/stat", &len);
	if (stat && strstr(stat, "(kthreadd)"))
		expect_error(2, "a kernel thread");
	else
		fprintf(stderr, "test-snapshot: no kthreadd as pid 2 here; "
				"kernel thread case not checked\n");
	free(stat);

	/* Not a pid at all: usage. */
	struct it_result r;
	char *argv[] = {(char *)it_env("OVC_BIN"), "snapshot", "12ab", NULL};
	it_run(argv, NULL, 30, &r);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "ovc: snapshot: 12ab: not a process id\n");
	it_result_free(&r);
	char *argv2[] = {(char *)it_env("OVC_BIN"), "snapshot", NULL};
	it_run(argv2, NULL, 30, &r);
	ck_assert_int_eq(r.code, 2);
	it_result_free(&r);
	/* Bad values: one line each, exit 2, nothing read. */
	static const char *const bad[][3] = {
		{"--watch", "nan", "ovc: snapshot: --watch wants seconds"},
		{"--watch", "0", "ovc: snapshot: --watch wants seconds"},
		{"--count", "-1", "ovc: snapshot: --count wants"},
		{"--top", "0", "ovc: snapshot: --top wants"},
		{"-o", "x", "ovc: snapshot: --count, -o and -q go with --watch"},
		{"--bogus", "1", "ovc: snapshot: unknown option '--bogus'"},
		{"--", "0", "ovc: snapshot: 0: not a process id"},
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		char *argv3[] = {(char *)it_env("OVC_BIN"), "snapshot",
				 (char *)bad[k][0], (char *)bad[k][1], "1",
				 NULL};
		if (strcmp(bad[k][0], "--count") == 0 ||
		    strcmp(bad[k][0], "-o") == 0)
			argv3[4] = "1"; /* pid 1; never read */
		it_run(argv3, NULL, 30, &r);
		ck_assert_msg(r.code == 2 && strncmp(r.err, bad[k][2],
						     strlen(bad[k][2])) == 0,
			      "%s %s: exit %d, %s", bad[k][0], bad[k][1],
			      r.code, r.err);
		ck_assert_str_eq(r.out, "");
		it_result_free(&r);
	}
}
END_TEST

START_TEST(test_snapshot_other_user)
{
	struct prog p;
	prog_start(&p, "reserve-wait", (char *[]){"64", "16", "0", NULL}, -1);
	say_ready(&p);
	/* As nobody: the process is root's. */
	int errp[2];
	ck_assert(pipe2(errp, O_CLOEXEC) == 0);
	pid_t c = fork();
	ck_assert(c >= 0);
	if (c == 0) {
		char pidtext[24];
		snprintf(pidtext, sizeof pidtext, "%d", (int)p.pid);
		dup2(errp[1], 2);
		dup2(errp[1], 1);
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(99);
		execl(it_env("OVC_BIN"), "ovc", "snapshot", pidtext,
		      (char *)NULL);
		_exit(98);
	}
	close(errp[1]);
	char err[1024];
	size_t len = 0;
	ssize_t n;
	while ((n = read(errp[0], err + len, sizeof err - 1 - len)) > 0)
		len += (size_t)n;
	err[len] = '\0';
	close(errp[0]);
	int st;
	ck_assert(waitpid(c, &st, 0) == c);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %x: %s",
		      st, err);
	char want[160];
	snprintf(want, sizeof want,
		 "ovc: snapshot: %d: permission denied: it belongs to uid 0 "
		 "and ovc runs as uid 65534; run ovc as root or as that "
		 "user\n",
		 (int)p.pid);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(prog_end(&p), 0);
}
END_TEST

/* A thread on a CPU shows no stack pointer in /proc: its stack is named by
 * the guard page glibc puts below it, as a guess. */
START_TEST(test_snapshot_running_thread)
{
	struct prog p;
	prog_start(&p, "reserve-wait",
		   (char *[]){"64", "16", "0", "spin", NULL}, -1);
	say_ready(&p);
	json_t *s = snapshot_json(p.pid, NULL);
	json_t *threads = json_object_get(s, "threads"), *t;
	size_t i;
	int unknown = 0;
	json_array_foreach(threads, i, t)
		unknown += json_is_null(json_object_get(t, "stack_pointer"));
	ck_assert_msg(unknown == 1, "%d threads without a stack pointer",
		      unknown);
	ck_assert_int_eq(it_int(s, "groups.thread_stacks.mappings"), 1);
	json_t *maps = json_object_get(s, "mappings"), *m, *found = NULL;
	json_array_foreach(maps, i, m)
		if (strcmp(it_str(m, "kind"), "thread_stack") == 0)
			found = m;
	ck_assert(found);
	ck_assert(json_is_true(json_object_get(found, "guessed")));
	IN_RANGE(it_int(found, "reserved_bytes"), IT_MIB, 16 * IT_MIB,
		 "the guessed stack", found);
	json_decref(s);
	ck_assert_int_eq(prog_end(&p), 0);
}
END_TEST

/* Runs `ovc snapshot --watch ...` in the background; returns its pid. */
static pid_t watch_start(char *const argv[])
{
	pid_t w = fork();
	ck_assert(w >= 0);
	if (w == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[0], argv);
		_exit(127);
	}
	return w;
}

START_TEST(test_snapshot_watch)
{
	char *dir = it_tempdir("snapshot-watch");
	struct prog p;
	prog_start(&p, "reserve-wait", (char *[]){"2048", "256", "0", NULL},
		   -1);
	say_ready(&p);
	char pidtext[24];
	snprintf(pidtext, sizeof pidtext, "%d", (int)p.pid);
	char *argv[] = {(char *)it_env("OVC_BIN"), "snapshot", "--watch",
			"0.05", "-q", "-o", dir, pidtext, NULL};
	pid_t w = watch_start(argv);
	usleep(300000);
	/* 128 MiB more while it is watched, then the program exits. */
	ck_assert(write(p.in, "touch 128\n", 10) == 10);
	char line[64];
	it_read_line(p.out, line, sizeof line, 20000);
	ck_assert_str_eq(line, "touched");
	usleep(300000);
	ck_assert_int_eq(prog_end(&p), 0);
	int st;
	ck_assert(waitpid(w, &st, 0) == w);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "watch: %x", st);

	char path[4096];
	snprintf(path, sizeof path, "%s/ovc.%d.0.jsonl", dir, (int)p.pid);
	json_t *lines = it_read_jsonl(path);
	ck_assert(lines);
	json_t *head = json_array_get(lines, 0);
	ck_assert_str_eq(it_str(head, "t"), "proc");
	ck_assert_str_eq(it_str(head, "format"), "ovc-log");
	ck_assert_int_eq(it_int(head, "version"), 1);
	ck_assert_str_eq(it_str(head, "origin"), "snapshot");
	ck_assert_int_eq(it_int(head, "interval_ms"), 50);
	ck_assert_int_ge(it_count_records(lines, "s"), 6);
	json_t *last = json_array_get(lines, json_array_size(lines) - 1);
	ck_assert_str_eq(it_str(last, "t"), "snapshot_end");
	ck_assert_str_eq(it_str(last, "why"), "exited");
	json_decref(lines);

	/* `ovc report` reads it like any other log: live is the committed
	 * anonymous memory, touched its anonymous resident peak. */
	json_t *rep = it_report(dir, NULL);
	json_t *proc = it_process(rep, "reserve-wait");
	ck_assert_str_eq(it_str(proc, "origin"), "snapshot");
	ck_assert_str_eq(it_str(proc, "end.kind"), "snapshot");
	IN_RANGE(it_int(proc, "peak_live_bytes"), 2 * IT_GIB,
		 2 * IT_GIB + 32 * IT_MIB, "peak live", proc);
	IN_RANGE(it_int(proc, "touched_bytes"), 384 * IT_MIB,
		 392 * IT_MIB, "touched", proc);
	IN_RANGE(it_int(proc, "overcommit_gap_bytes"),
		 2 * IT_GIB - 392 * IT_MIB, 2 * IT_GIB - 360 * IT_MIB, "gap",
		 proc);
	json_decref(rep);

	struct it_result r;
	char *rargv[] = {(char *)it_env("OVC_BIN"), "report", dir, NULL};
	it_run(rargv, NULL, 60, &r);
	ck_assert_int_eq(r.code, 0);
	ck_assert_msg(strstr(r.out, "exited while ovc snapshot watched it"),
		      "%s", r.out);
	ck_assert_msg(strstr(r.out, "from /proc by ovc snapshot"), "%s", r.out);
	it_result_free(&r);

	snprintf(path, sizeof path, "%s/chart.svg", dir);
	char *pargv[] = {(char *)it_env("OVC_BIN"), "plot", "-o", path, dir,
			 NULL};
	it_run(pargv, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "plot: %s", r.err);
	it_result_free(&r);
	size_t len;
	char *svg = it_read_file(path, &len);
	ck_assert(svg && strstr(svg, "<svg") && strstr(svg, "reserve-wait"));
	free(svg);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_snapshot_watch_count)
{
	char *dir = it_tempdir("snapshot-count");
	struct prog p;
	/* an argument that is not UTF-8: JSON gets '?' in its place */
	prog_start(&p, "reserve-wait",
		   (char *[]){"64", "16", "0", "no", "a\xff\xfe", NULL}, -1);
	say_ready(&p);
	char pidtext[24];
	snprintf(pidtext, sizeof pidtext, "%d", (int)p.pid);
	char *argv[] = {(char *)it_env("OVC_BIN"), "snapshot", "--watch",
			"0.02", "--count", "3", "--json", "-o", dir, pidtext,
			NULL};
	struct it_result r;
	it_run(argv, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "%s", r.err);
	json_t *doc = json_loads(r.out, 0, NULL);
	ck_assert(doc);
	json_t *s = json_array_get(json_object_get(doc, "processes"), 0);
	ck_assert_int_eq(it_int(s, "samples"), 3);
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(s, "argv"), 5)),
			 "a??");
	ck_assert(json_is_false(json_object_get(s, "exited")));
	char path[4096];
	snprintf(path, sizeof path, "%s/ovc.%d.0.jsonl", dir, (int)p.pid);
	ck_assert_str_eq(it_str(s, "log"), path);
	json_decref(doc);
	it_result_free(&r);
	json_t *lines = it_read_jsonl(path);
	ck_assert_int_eq(it_count_records(lines, "s"), 3);
	json_t *last = json_array_get(lines, json_array_size(lines) - 1);
	ck_assert_str_eq(it_str(last, "why"), "count");
	json_decref(lines);
	ck_assert_int_eq(prog_end(&p), 0);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("snapshot");
	tcase_set_timeout(tc, 120);
	if (argc > 1 && strcmp(argv[1], "perm") == 0) {
		if (geteuid() != 0) {
			fprintf(stderr, "test-snapshot perm: needs root to "
					"drop privileges; skipped\n");
			return 77;
		}
		tcase_add_test(tc, test_snapshot_other_user);
	} else {
		tcase_add_test(tc, test_snapshot_reserve_touch);
		tcase_add_test(tc, test_snapshot_errors);
		tcase_add_test(tc, test_snapshot_running_thread);
		tcase_add_test(tc, test_snapshot_watch);
		tcase_add_test(tc, test_snapshot_watch_count);
		tcase_add_test(tc, test_snapshot_article_reserve);
	}
	suite_add_tcase(s, tc);
	return it_main(s);
}
