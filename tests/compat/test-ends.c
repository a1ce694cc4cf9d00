/* Every way a process can end (tests/programs/ends.c), from the main thread
 * and from another, in the process itself and in a child of fork from the
 * main thread or from another thread: under a bare LD_PRELOAD and under
 * `ovc run`, the process ends as it does plain (same status and stdout,
 * within 10 s and in a time of the same order), and each image's log says
 * how it ended.
 *
 * The end records expected (docs/log-format.md, `end`):
 *   exit(3), return from main    {"t":"end","kind":"exit","code":C,"via":"exit"}
 *   _exit(4)                     {"t":"end","kind":"exit","code":4,"via":"_exit"}
 *   syscall(SYS_exit_group, 5)   {"t":"end","kind":"exit","code":5,"via":"exit_group"}
 *   the last thread's pthread_exit
 *                                {"t":"end","kind":"exit","code":0,"via":"pthread_exit"}
 *   the last thread returns from its thread function
 *                                {"t":"end","kind":"exit","code":0,"via":"thread_return"}
 *   a fatal signal S (SIGSEGV, SIGABRT, SIGTERM, SIGKILL)
 *                                {"t":"end","kind":"signal","signal":S}
 *   exec                         no end record but an `exec` record; the
 *                                next image's log (origin "exec") ends as
 *                                that image did (here exit(3))
 * exactly one end record per image. A fork's parent ends by returning 0
 * from main: {"kind":"exit","code":0,"via":"exit"}. */
#include "harness.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ways[] = { "exit", "_exit", "exit_group",
	"pthread_exit", "return", "segv", "abort", "term", "kill", "exec" };
static const char *const wheres[] = { "main", "thread" };
static const char *const forks[] = { "none", "main", "thread" };
#define NWAYS (sizeof ways / sizeof *ways)
#define NWHERES (sizeof wheres / sizeof *wheres)
#define NFORKS (sizeof forks / sizeof *forks)
#define NCASES ((int)(NWAYS * NWHERES * NFORKS))

/* A 10 s bound on every run: a process that does not end by then hangs. */
#define TIMEOUT_S 10

struct ends_case {
	const char *way, *where, *fork;
};

static struct ends_case case_of(int i)
{
	struct ends_case c = {
		ways[i / (int)(NWHERES * NFORKS)],
		wheres[i / (int)NFORKS % (int)NWHERES],
		forks[i % (int)NFORKS],
	};
	return c;
}

/* How the image that runs the case ends: its end record. */
struct expect {
	const char *kind; /* "exit", "signal", or NULL for exec */
	int code;         /* kind exit */
	const char *via;  /* kind exit */
	int signal;       /* kind signal */
};

static struct expect expect_of(struct ends_case c)
{
	/* The case thread is the main thread of its process unless a
	 * non-main thread forked. */
	bool case_is_main = strcmp(c.fork, "thread") != 0;
	bool here = strcmp(c.where, "main") == 0;
	const char *w = c.way;

	if (strcmp(w, "exit") == 0)
		return (struct expect){ "exit", 3, "exit", 0 };
	if (strcmp(w, "_exit") == 0)
		return (struct expect){ "exit", 4, "_exit", 0 };
	if (strcmp(w, "exit_group") == 0)
		return (struct expect){ "exit", 5, "exit_group", 0 };
	if (strcmp(w, "pthread_exit") == 0)
		return (struct expect){ "exit", 0, "pthread_exit", 0 };
	if (strcmp(w, "return") == 0)
		return here && case_is_main ?
			(struct expect){ "exit", 6, "exit", 0 } :
			(struct expect){ "exit", 0, "thread_return", 0 };
	if (strcmp(w, "segv") == 0)
		return (struct expect){ "signal", 0, NULL, 11 };
	if (strcmp(w, "abort") == 0)
		return (struct expect){ "signal", 0, NULL, 6 };
	if (strcmp(w, "term") == 0)
		return (struct expect){ "signal", 0, NULL, 15 };
	if (strcmp(w, "kill") == 0)
		return (struct expect){ "signal", 0, NULL, 9 };
	return (struct expect){ NULL, 3, "exit", 0 }; /* exec: then exit(3) */
}

/* The status the case image's process ends with, as it_result's code. */
static int status_code(struct expect e)
{
	if (e.kind != NULL && strcmp(e.kind, "signal") == 0)
		return 128 + e.signal;
	return e.code;
}

/* What the end records of LINES are, for messages (malloc'd). */
static char *ends_found(json_t *lines)
{
	json_t *found = json_array(), *line;
	size_t i;

	json_array_foreach(lines, i, line) {
		const char *t = json_string_value(json_object_get(line, "t"));
		if (t != NULL && strcmp(t, "end") == 0)
			json_array_append(found, line);
	}
	char *s = json_dumps(found, JSON_COMPACT);
	json_decref(found);
	return s;
}

static void want_text(char *buf, size_t size, struct expect e)
{
	if (e.kind == NULL)
		snprintf(buf, size, "no end record, an exec record");
	else if (strcmp(e.kind, "signal") == 0)
		snprintf(buf, size, "one {\"t\":\"end\",\"kind\":\"signal\","
			 "\"signal\":%d}", e.signal);
	else
		snprintf(buf, size, "one {\"t\":\"end\",\"kind\":\"exit\","
			 "\"code\":%d,\"via\":\"%s\"}", e.code, e.via);
}

/* Checks that the log NAME (lines LINES) ends as E says. */
static void check_end(const char *what, const char *name, json_t *lines,
		      struct expect e)
{
	char want[256];
	bool ok = true;
	int ends = it_count_records(lines, "end");

	want_text(want, sizeof want, e);
	if (e.kind == NULL) {
		ok = ends == 0 && it_count_records(lines, "exec") == 1;
	} else if (ends != 1) {
		ok = false;
	} else {
		json_t *line, *end = NULL;
		size_t i;
		json_array_foreach(lines, i, line) {
			const char *t = json_string_value(json_object_get(line, "t"));
			if (t != NULL && strcmp(t, "end") == 0)
				end = line;
		}
		const char *kind = json_string_value(json_object_get(end, "kind"));
		ok = kind != NULL && strcmp(kind, e.kind) == 0;
		if (ok && strcmp(e.kind, "signal") == 0) {
			ok = json_integer_value(json_object_get(end, "signal")) == e.signal;
		} else if (ok) {
			const char *via = json_string_value(json_object_get(end, "via"));
			ok = json_integer_value(json_object_get(end, "code")) == e.code &&
			     via != NULL && strcmp(via, e.via) == 0;
		}
	}
	if (!ok) {
		char *found = ends_found(lines);
		ck_abort_msg("%s: log %s: expected %s; its end records: %s", what,
			     name, want, found);
	}
}

struct image {
	char name[256];
	json_t *lines;
	json_t *proc; /* borrowed from lines */
};

/* The logs of DIR (at most MAX). */
static int read_images(const char *dir, struct image *img, int max)
{
	json_t *names = it_list_dir(dir, "ovc.");
	size_t i;
	json_t *n;
	int count = 0;

	json_array_foreach(names, i, n) {
		char path[8192];
		if (count == max)
			break;
		snprintf(img[count].name, sizeof img[count].name, "%s",
			 json_string_value(n));
		snprintf(path, sizeof path, "%s/%s", dir, img[count].name);
		img[count].lines = it_read_jsonl(path);
		img[count].proc = json_array_get(img[count].lines, 0);
		ck_assert_msg(img[count].proc != NULL &&
			      strcmp(it_str(img[count].proc, "t"), "proc") == 0,
			      "%s: no proc record", path);
		count++;
	}
	json_decref(names);
	return count;
}

/* The image of IMG whose origin is ORIGIN and (unless PARENT is NULL)
 * whose parent_log is PARENT; NULL when there is none. */
static struct image *find_image(struct image *img, int n, const char *origin,
				const char *parent)
{
	for (int i = 0; i < n; i++) {
		const char *o = json_string_value(json_object_get(img[i].proc, "origin"));
		const char *p = json_string_value(json_object_get(img[i].proc, "parent_log"));
		if (o != NULL && strcmp(o, origin) == 0 &&
		    (parent == NULL || (p != NULL && strcmp(p, parent) == 0)))
			return &img[i];
	}
	return NULL;
}

static void check_logs(const char *what, const char *dir, struct ends_case c,
		       struct expect e)
{
	struct image img[16];
	int n = read_images(dir, img, 16);
	struct image *top = find_image(img, n, "start", NULL);

	ck_assert_msg(top != NULL, "%s: no log of the program in %s", what, dir);
	struct image *cs = top;
	if (strcmp(c.fork, "none") != 0) {
		cs = find_image(img, n, "fork", top->name);
		ck_assert_msg(cs != NULL, "%s: no log of the forked child (of %s)",
			      what, top->name);
		struct expect parent = { "exit", 0, "exit", 0 };
		check_end(what, top->name, top->lines, parent);
	}
	check_end(what, cs->name, cs->lines, e);
	if (e.kind == NULL) {
		struct image *next = find_image(img, n, "exec", cs->name);
		ck_assert_msg(next != NULL, "%s: no log of the image that %s "
			      "exec'd", what, cs->name);
		struct expect then = { "exit", 3, "exit", 0 };
		check_end(what, next->name, next->lines, then);
	}
	for (int i = 0; i < n; i++)
		json_decref(img[i].lines);
}

/* Runs the case traced (UNDER_RUN: under `ovc run`, else a bare
 * LD_PRELOAD) and compares with PLAIN. */
static void run_traced(struct ends_case c, const struct it_result *plain,
		       bool under_run)
{
	char *argv[] = { (char *)it_program("ends"), (char *)c.way,
			 (char *)c.where, (char *)c.fork, NULL };
	char what[128];
	struct it_result r;
	char *dir = it_tempdir("ends");

	snprintf(what, sizeof what, "ends %s %s %s (%s)", c.way, c.where,
		 c.fork, under_run ? "ovc run" : "LD_PRELOAD");
	if (under_run) {
		const char *head[] = { it_env("OVC_BIN"), "run", "-q", "-o", dir,
				       "--", argv[0], c.way, c.where, c.fork, NULL };
		it_run((char *const *)head, NULL, TIMEOUT_S, &r);
	} else {
		it_preload_run(dir, argv, TIMEOUT_S, &r);
	}
	ck_assert_msg(r.code == plain->code && strcmp(r.out, plain->out) == 0,
		      "%s: status %d, stdout:\n%s\nplain: status %d, stdout:\n%s\n"
		      "stderr:\n%s", what, r.code, r.out, plain->code,
		      plain->out, r.err);
	/* Of the same order as plain: a process takes milliseconds here,
	 * ovc's start and end some more; a stall of seconds is a fault. */
	double bound = 2.0 + 10 * plain->seconds;
	ck_assert_msg(r.seconds <= bound, "%s: took %.2f s, plain %.3f s "
		      "(bound %.2f s)", what, r.seconds, plain->seconds, bound);
	check_logs(what, dir, c, expect_of(c));
	it_result_free(&r);
	it_rmtree(dir);
	free(dir);
}

START_TEST(test_ends)
{
	struct ends_case c = case_of(_i);
	struct expect e = expect_of(c);
	char *argv[] = { (char *)it_program("ends"), (char *)c.way,
			 (char *)c.where, (char *)c.fork, NULL };
	char first[128];
	struct it_result plain;

	it_run(argv, NULL, TIMEOUT_S, &plain);
	/* The program does what it says plain. */
	snprintf(first, sizeof first, "ends: %s %s %s\n", c.way, c.where, c.fork);
	ck_assert_msg(strncmp(plain.out, first, strlen(first)) == 0,
		      "plain: %s", plain.out);
	if (strcmp(c.fork, "none") == 0) {
		ck_assert_msg(plain.code == status_code(e), "plain %s %s %s: "
			      "status %d, expected %d", c.way, c.where, c.fork,
			      plain.code, status_code(e));
	} else {
		char line[64];
		if (e.kind != NULL && strcmp(e.kind, "signal") == 0)
			snprintf(line, sizeof line, "ends: child signal %d\n", e.signal);
		else
			snprintf(line, sizeof line, "ends: child exit %d\n", e.code);
		ck_assert_msg(plain.code == 0 && strstr(plain.out, line) != NULL,
			      "plain %s %s %s: status %d, stdout:\n%s", c.way,
			      c.where, c.fork, plain.code, plain.out);
	}
	run_traced(c, &plain, false);
	run_traced(c, &plain, true);
	it_result_free(&plain);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compat-ends");
	TCase *tc = tcase_create("ends");
	/* Three runs of at most TIMEOUT_S each, and the reports. */
	tcase_set_timeout(tc, 4 * TIMEOUT_S);
	tcase_add_loop_test(tc, test_ends, 0, NCASES);
	suite_add_tcase(s, tc);
	return it_main(s);
}
