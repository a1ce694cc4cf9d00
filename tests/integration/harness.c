/* Running commands for the integration tests and reading ovc's JSON report
 * back (see harness.h). */
#include "harness.h"

#include <sys/file.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

const char *it_env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && *v != '\0',
		      "%s is not set: run the tests through `meson test`", name);
	return v;
}

const char *it_program(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", it_env("OVC_PROGRAMS"), name);
	ck_assert_msg(access(path, X_OK) == 0, "%s: %s", path, strerror(errno));
	return path;
}

char *it_tempdir(const char *tag)
{
	const char *base = getenv("OVC_TEST_TMP");
	char *path;

	if (base == NULL || *base == '\0')
		base = getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	ck_assert(asprintf(&path, "%s/tmp-%s.XXXXXX", base, tag) > 0);
	ck_assert_msg(mkdtemp(path) != NULL, "mkdtemp %s: %s", path,
		      strerror(errno));
	return path;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

void it_rmtree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Variables of the test's own environment that the commands must not
 * inherit: an outer preload, glibc's malloc debugging, and every OVC_*
 * setting but OVC_LIB (which `ovc run` reads: the libovc.so under test), so
 * that the preload runs with its defaults. MALLOC_PERTURB_ (which `meson
 * test` sets to a random byte) would make malloc fill every new block, fresh
 * mmaps included: article-reserve would then touch all it reserves. */
static const char *const dropped[] = {
	"LD_PRELOAD=", "MALLOC_", "GLIBC_TUNABLES=", "OVC_",
};

static bool is_dropped(const char *entry)
{
	if (strncmp(entry, "OVC_LIB=", 8) == 0)
		return false;
	for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
		if (strncmp(entry, dropped[i], strlen(dropped[i])) == 0)
			return true;
	return false;
}

/* environ less the dropped variables, changed by SETENV, as a new
 * NULL-ended array. */
static char **make_env(char *const setenv[])
{
	size_t n = 0, extra = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	while (setenv != NULL && setenv[extra] != NULL)
		extra++;
	env = calloc(n + extra + 1, sizeof *env);
	ck_assert(env != NULL);
	for (size_t i = 0; i < n; i++) {
		int replaced = 0;
		for (size_t j = 0; j < extra; j++) {
			size_t len = strcspn(setenv[j], "=");
			if (strncmp(environ[i], setenv[j], len) == 0 &&
			    environ[i][len] == '=')
				replaced = 1;
		}
		if (!replaced && !is_dropped(environ[i]))
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < extra; j++)
		if (strchr(setenv[j], '=') != NULL)
			env[k++] = setenv[j];
	env[k] = NULL;
	return env;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Forks and execs ARGV with OUT and ERR (-1: inherit) as stdout and stderr,
 * stdin from /dev/null, in a process group of its own. */
static pid_t start(char *const argv[], char *const setenv[], int out, int err)
{
	char **env = make_env(setenv);
	pid_t pid = fork();

	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		setpgid(0, 0);
		if (null >= 0)
			dup2(null, 0);
		if (out >= 0)
			dup2(out, 1);
		if (err >= 0)
			dup2(err, 2);
		signal(SIGPIPE, SIG_DFL);
		/* Dies with the test (Check kills a test that times out). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvpe(argv[0], argv, env);
		dprintf(2, "it_run: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(env);
	return pid;
}

struct buf {
	char *data;
	size_t len, cap;
};

static int drain(int fd, struct buf *b)
{
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof chunk);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0)
		return 0;
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->data = realloc(b->data, b->cap);
		ck_assert(b->data != NULL);
	}
	memcpy(b->data + b->len, chunk, (size_t)n);
	b->len += (size_t)n;
	b->data[b->len] = '\0';
	return 1;
}

static int code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

void it_run(char *const argv[], char *const setenv[], int timeout_s,
	    struct it_result *r)
{
	int outp[2], errp[2];
	struct buf out = { 0 }, err = { 0 };
	double t0 = now_s(), deadline = t0 + timeout_s;
	pid_t pid;

	ck_assert(pipe2(outp, O_CLOEXEC) == 0 && pipe2(errp, O_CLOEXEC) == 0);
	pid = start(argv, setenv, outp[1], errp[1]);
	close(outp[1]), close(errp[1]);

	struct pollfd fds[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		double left = deadline - now_s();
		if (left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			ck_abort_msg("%s: still running after %d s; stderr so far:\n%s",
				     argv[0], timeout_s, err.data ? err.data : "");
		}
		int n = poll(fds, 2, (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		ck_assert(n >= 0);
		for (int i = 0; i < 2; i++)
			if (fds[i].fd >= 0 && fds[i].revents != 0 &&
			    !drain(fds[i].fd, i == 0 ? &out : &err)) {
				close(fds[i].fd);
				fds[i].fd = -1;
			}
	}
	while (waitpid(pid, &r->status, 0) < 0)
		ck_assert(errno == EINTR);
	r->code = code_of(r->status);
	r->out = out.data ? out.data : strdup("");
	r->err = err.data ? err.data : strdup("");
	r->seconds = now_s() - t0;
}

static char **join_argv(const char *const head[], size_t nhead,
			char *const tail[])
{
	size_t ntail = 0;
	char **argv;

	while (tail[ntail] != NULL)
		ntail++;
	argv = calloc(nhead + ntail + 1, sizeof *argv);
	ck_assert(argv != NULL);
	for (size_t i = 0; i < nhead; i++)
		argv[i] = (char *)head[i];
	for (size_t i = 0; i < ntail; i++)
		argv[nhead + i] = tail[i];
	return argv;
}

void it_ovc_run(const char *dir, char *const argv[], int timeout_s,
		struct it_result *r)
{
	const char *head[] = { it_env("OVC_BIN"), "run", "-o", dir, "--" };
	char **full = join_argv(head, 5, argv);

	it_run(full, NULL, timeout_s, r);
	free(full);
}

void it_preload_run_with(const char *dir, char *const argv[],
			 const char *setting, int timeout_s, struct it_result *r)
{
	char *env[4];

	ck_assert_msg(access(it_env("OVC_LIB"), R_OK) == 0, "%s: %s",
		      it_env("OVC_LIB"), strerror(errno));
	ck_assert(asprintf(&env[0], "LD_PRELOAD=%s", it_env("OVC_LIB")) > 0);
	ck_assert(asprintf(&env[1], "OVC_OUTPUT=%s", dir) > 0);
	env[2] = (char *)setting;
	env[3] = NULL;
	it_run(argv, env, timeout_s, r);
	free(env[0]), free(env[1]);
}

void it_preload_run(const char *dir, char *const argv[], int timeout_s,
		    struct it_result *r)
{
	it_preload_run_with(dir, argv, NULL, timeout_s, r);
}

json_t *it_preload_report(char *const argv[], struct it_result *r)
{
	char *dir = it_tempdir("report");

	it_preload_run(dir, argv, 60, r);
	ck_assert_msg(r->code == 0, "%s: exit %d, stderr:\n%s", argv[0],
		      r->code, r->err);
	json_t *report = it_report(dir, NULL);
	it_rmtree(dir);
	free(dir);
	return report;
}

void it_result_free(struct it_result *r)
{
	free(r->out), free(r->err);
	r->out = r->err = NULL;
}

void it_spawn(char *const argv[], char *const setenv[], pid_t *pid,
	      int *out_fd)
{
	int outp[2];

	ck_assert(pipe2(outp, O_CLOEXEC) == 0);
	*pid = start(argv, setenv, outp[1], -1);
	close(outp[1]);
	*out_fd = outp[0];
}

void it_read_line(int fd, char *buf, size_t size, int timeout_ms)
{
	double deadline = now_s() + timeout_ms / 1000.0;
	size_t len = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		double left = deadline - now_s();
		char c;

		ck_assert_msg(left > 0, "no line within %d ms (got \"%.*s\")",
			      timeout_ms, (int)len, buf);
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		ck_assert_msg(n == 1, "EOF before a whole line (got \"%.*s\")",
			      (int)len, buf);
		if (c == '\n')
			break;
		if (len + 1 < size)
			buf[len++] = c;
	}
	buf[len] = '\0';
}

json_t *it_report(const char *path, char **stderr_out)
{
	char *argv[] = { (char *)it_env("OVC_BIN"), "report", "--json",
			 "--all", (char *)path, NULL };
	struct it_result r;
	json_error_t error;
	json_t *root;

	it_run(argv, NULL, 120, &r);
	ck_assert_msg(r.code == 0, "ovc report --json --all %s: exit %d, stderr:\n%s",
		      path, r.code, r.err);
	root = json_loads(r.out, 0, &error);
	ck_assert_msg(root != NULL, "ovc report --json %s: not JSON: %s (line %d)"
		      "\n%.2000s", path, error.text, error.line, r.out);
	ck_assert_str_eq(it_str(root, "format"), "ovc-report");
	ck_assert_int_eq(it_int(root, "version"), 1);
	ck_assert(json_is_array(json_object_get(root, "processes")));
	if (stderr_out != NULL)
		*stderr_out = r.err, r.err = NULL;
	it_result_free(&r);
	return root;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

json_t *it_processes(json_t *report, const char *exe_name)
{
	json_t *all = json_object_get(report, "processes"), *p;
	json_t *found = json_array();
	size_t i;

	json_array_foreach(all, i, p) {
		const char *exe = json_string_value(json_object_get(p, "exe"));
		if (exe_name == NULL ||
		    (exe != NULL && strcmp(base_name(exe), exe_name) == 0))
			json_array_append(found, p);
	}
	return found;
}

json_t *it_process(json_t *report, const char *exe_name)
{
	json_t *found = it_processes(report, exe_name), *p;

	if (json_array_size(found) != 1) {
		char *text = it_dump(json_object_get(report, "processes"));
		ck_abort_msg("%zu processes of %s, expected 1; processes:\n%.6000s",
			     json_array_size(found), exe_name, text);
	}
	p = json_array_get(found, 0);
	json_decref(found);          /* the report still holds it */
	return p;
}

json_t *it_get(json_t *o, const char *path)
{
	char key[256];

	while (o != NULL && *path != '\0') {
		size_t len = strcspn(path, ".");
		ck_assert(len < sizeof key);
		memcpy(key, path, len);
		key[len] = '\0';
		o = json_object_get(o, key);
		path += len + (path[len] == '.');
	}
	return o;
}

static void missing(json_t *o, const char *path, const char *what)
{
	char *text = it_dump(o);

	ck_abort_msg("no %s at \"%s\" in:\n%.6000s", what, path, text);
}

long long it_int(json_t *o, const char *path)
{
	json_t *v = it_get(o, path);

	if (!json_is_integer(v))
		missing(o, path, "integer");
	return json_integer_value(v);
}

double it_num(json_t *o, const char *path)
{
	json_t *v = it_get(o, path);

	if (!json_is_number(v))
		missing(o, path, "number");
	return json_number_value(v);
}

const char *it_str(json_t *o, const char *path)
{
	json_t *v = it_get(o, path);

	if (!json_is_string(v))
		missing(o, path, "string");
	return json_string_value(v);
}

char *it_dump(json_t *o)
{
	char *text = o ? json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER
				    | JSON_ENCODE_ANY) : NULL;

	return text ? text : strdup("(null)");
}

char *it_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct buf b = { 0 };

	if (fd < 0)
		return NULL;
	while (drain(fd, &b))
		;
	close(fd);
	if (b.data == NULL)
		b.data = strdup("");
	if (len != NULL)
		*len = b.len;
	return b.data;
}

void it_write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert(write(fd, text, len) == (ssize_t)len);
	close(fd);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

json_t *it_list_dir(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	json_t *names[4096], *list = json_array();
	size_t n = 0;
	struct dirent *e;

	ck_assert_msg(d != NULL, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL && n < 4096)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 &&
		    strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			names[n++] = json_string(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, by_string);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, names[i]);
	return list;
}

/* Waits (at most 3 s) while a sampler process still writes the log at
 * PATH: it holds a shared flock on it until it is done (preload/ticker.c),
 * which for a killed program is after the program's end. */
static void settle_log(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (int i = 0; i < 1500 && flock(fd, LOCK_EX | LOCK_NB) != 0; i++) {
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	close(fd);
}

json_t *it_read_jsonl(const char *path)
{
	settle_log(path);
	char *text = it_read_file(path, NULL), *line, *save = NULL;
	json_t *lines = json_array();

	ck_assert_msg(text != NULL, "%s: %s", path, strerror(errno));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, NULL);
		if (json_is_object(o))
			json_array_append(lines, o);
		json_decref(o);
	}
	free(text);
	return lines;
}

json_t *it_read_only_log(const char *dir, char *path, size_t cap)
{
	char own[4096];
	json_t *logs = it_list_dir(dir, "ovc.");

	ck_assert_int_eq(json_array_size(logs), 1);
	if (path == NULL) {
		path = own;
		cap = sizeof own;
	}
	snprintf(path, cap, "%s/%s", dir,
		 json_string_value(json_array_get(logs, 0)));
	json_decref(logs);
	return it_read_jsonl(path);
}

int it_count_records(json_t *lines, const char *type)
{
	json_t *line;
	size_t i;
	int n = 0;

	json_array_foreach(lines, i, line) {
		const char *t = json_string_value(json_object_get(line, "t"));
		n += t != NULL && strcmp(t, type) == 0;
	}
	return n;
}

int it_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	/* CI may start us without stdin: keep 0, 1, 2 taken, so that no pipe
	 * of ours lands on them. */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			open("/dev/null", O_RDWR);

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

int it_ovc(struct it_result *r, const char *const args[])
{
	const char *argv[32] = { it_env("OVC_BIN") };
	size_t n = 1;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	it_run((char *const *)argv, NULL, 120, r);
	return r->code;
}
