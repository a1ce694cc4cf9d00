/* `ovc run`: runs a command with libovc.so preloaded, records how it ended
 * in a run file and reports its logs on stderr. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "ovc/log-format.h"
#include "read/status.h"
#include "analyze/gate.h"
#include "render/render-gate.h"
#include "cmd/commands.h"
#include "cmd/run-signals.h"
#include "cmd/run-target.h"

extern char **environ;

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Creates DIR/ovc-run.<pid>.<k>.jsonl, never overwriting; returns the fd
 * and stores the path in PATH. */
static int create_run_file(const char *dir, char *path, size_t size)
{
	for (int k = 0; k < 100000; k++) {
		snprintf(path, size, "%s/" OVC_RUN_PREFIX "%d.%d" OVC_LOG_SUFFIX,
			 dir, (int)getpid(), k);
		int fd = open(path,
			      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				      O_CLOEXEC,
			      0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* Whether the LD_PRELOAD value LIST names LIB already (an `ovc run` under
 * another: its command is preloaded once). */
static bool names_lib(const char *list, const char *lib)
{
	size_t n = strlen(lib);
	for (const char *p = list; p && (p = strstr(p, lib)); p += n)
		if ((p == list || p[-1] == ':' || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ':' || p[n] == ' '))
			return true;
	return false;
}

/* In the child: sets the environment and execs; reports errno on ERR_FD. */
static void child(const char *path, char **cmd, const char *lib,
		  const char *dir, const char *run_id, int err_fd,
		  const sigset_t *mask)
{
	/* ovc's handlers are not installed yet; exec resets caught signals
	 * and keeps ignored ones ignored. */
	sigprocmask(SIG_SETMASK, mask, NULL);
	const char *old = getenv("LD_PRELOAD");
	char *pre = malloc(strlen(lib) + (old ? strlen(old) : 0) + 2);
	if (pre && !names_lib(old, lib)) {
		if (old && old[0])
			sprintf(pre, "%s:%s", lib, old);
		else
			strcpy(pre, lib);
		setenv("LD_PRELOAD", pre, 1);
	}
	free(pre);
	setenv("OVC_OUTPUT", dir, 1);
	setenv("OVC_RUN", run_id, 1);
	/* For OVC_FOLLOW=none: the command's own images are the ones traced. */
	char top[24];
	snprintf(top, sizeof top, "%ld", (long)getpid());
	setenv("OVC_TOP", top, 1);
	execve(path, cmd, environ);
	if (errno == ENOEXEC) {
		/* A script without #!: run it with sh, as execvp does. */
		size_t n = 0;
		while (cmd[n])
			n++;
		char **v = calloc(n + 2, sizeof *v);
		if (v) {
			v[0] = (char *)"sh";
			v[1] = (char *)path;
			for (size_t i = 1; i < n; i++)
				v[i + 1] = cmd[i];
			execve("/bin/sh", v, environ);
		}
		errno = ENOEXEC;
	}
	int e = errno;
	ssize_t w = write(err_fd, &e, sizeof e);
	(void)w;
	_exit(127);
}

/* Waits for PID to end; with LIVE, redraws the status line about once a
 * second meanwhile. When PID stops, ovc stops with it. Returns what
 * waitpid() returned. */
static pid_t wait_child(pid_t pid, int *wst, struct ovc_status *live)
{
	pid_t w;
	if (!live) {
		for (;;) {
			w = waitpid(pid, wst, WUNTRACED);
			if (w < 0 && errno == EINTR)
				continue;
			if (w == pid && WIFSTOPPED(*wst)) {
				ovc_run_stopped_with(pid, WSTOPSIG(*wst));
				continue;
			}
			return w;
		}
	}
	/* A pidfd becomes readable when the child ends (Linux 5.3), not when
	 * it stops: look every 100 ms. */
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int64_t next = now_ns(CLOCK_MONOTONIC) + 1000000000;
	for (;;) {
		w = waitpid(pid, wst, WNOHANG | WUNTRACED);
		if (w < 0 && errno == EINTR)
			continue;
		if (w == pid && WIFSTOPPED(*wst)) {
			ovc_run_stopped_with(pid, WSTOPSIG(*wst));
			continue;
		}
		if (w != 0)
			break;
		int64_t left_ms = (next - now_ns(CLOCK_MONOTONIC)) / 1000000;
		if (left_ms > 0) {
			struct pollfd p = {pfd, POLLIN, 0};
			int wait_ms = (int)(left_ms < 100 ? left_ms : 100);
			poll(pfd >= 0 ? &p : NULL, pfd >= 0 ? 1 : 0, wait_ms);
			continue;
		}
		ovc_status_update(live);
		next = now_ns(CLOCK_MONOTONIC) + 1000000000;
	}
	if (pfd >= 0)
		close(pfd);
	return w;
}

/* The side channel (preload/log.c, ovc_side_send): an abstract unix
 * datagram socket named after the run, where a process that cannot write
 * its log says so instead of on the program's stderr. -1 when it cannot
 * be had (the messages are then lost, the run goes on). */
static int side_open(const char *run_id)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1,
			 OVC_SIDE_PREFIX "%s", run_id);
	if (n < 0 || (size_t)n >= sizeof a.sun_path - 1 ||
	    bind(fd, (struct sockaddr *)&a,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			     (size_t)n)) != 0) {
		close(fd);
		return -1;
	}
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	return fd;
}

/* Copies the side channel's messages into the run file as `side`
 * records: only well-formed ones, with the fields the reader takes. */
static void side_drain(int fd, int run_fd)
{
	char buf[4096];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf[n] = '\0';
		json_t *o = json_loads(buf, 0, NULL);
		json_t *t = json_object_get(o, "t");
		if (json_is_object(o) && json_is_string(t) &&
		    strcmp(json_string_value(t), OVC_REC_SIDE) == 0 &&
		    json_is_integer(json_object_get(o, "pid")) &&
		    json_is_string(json_object_get(o, "msg")))
			ovc_write_record(run_fd, json_incref(o));
		json_decref(o);
	}
}

static json_t *argv_json(char **cmd)
{
	json_t *a = json_array();
	for (size_t i = 0; cmd[i]; i++) {
		json_t *s = json_string(cmd[i]);
		json_array_append_new(a, s ? s : json_string("?"));
	}
	return a;
}

int ovc_run_command(const struct ovc_run_opts *o)
{
	FILE *rep = o->report ? o->report : stderr;
	const char *cmd0 = o->cmd[0];
	int status = OVC_EXIT_USAGE;
	char *lib = NULL, *dir = NULL, *path = NULL;
	int run_fd = -1, side_fd = -1;
	char run_path[PATH_MAX + 64];

	path = ovc_run_resolve(cmd0);
	if (!path) {
		if (errno == EACCES) {
			fprintf(stderr, "ovc: %s: cannot execute: permission "
					"denied\n",
				cmd0);
			return 126;
		}
		fprintf(stderr, "ovc: %s: command not found\n", cmd0);
		return 127;
	}
	lib = ovc_run_find_lib();
	if (!lib)
		goto out;
	if (strpbrk(lib, " :")) {
		fprintf(stderr,
			"ovc: %s: a path with a space or colon cannot go into "
			"LD_PRELOAD; set OVC_LIB to another path\n",
			lib);
		goto out;
	}
	dir = ovc_absolute_dir(o->out_dir ? o->out_dir : "ovc-out");
	if (!dir || ovc_mkdir_p(dir, 0700) != 0) {
		fprintf(stderr, "ovc: %s: cannot create the output directory: "
				"%s\n",
			o->out_dir ? o->out_dir : "ovc-out", strerror(errno));
		goto out;
	}

	enum ovc_binary kind = ovc_run_inspect(path);
	const char *secure = ovc_run_secure_exec(path);
	if (kind == OVC_BIN_STATIC)
		fprintf(stderr,
			"ovc: warning: %s is statically linked: libovc.so "
			"cannot be preloaded into it; running it untraced\n",
			cmd0);
	else if (secure)
		fprintf(stderr,
			"ovc: warning: %s is %s: the loader ignores LD_PRELOAD "
			"for it; running it untraced\n",
			cmd0, secure);

	char run_id[64];
	int64_t start_unix = now_ns(CLOCK_REALTIME);
	snprintf(run_id, sizeof run_id, "%x-%" PRIx64, (unsigned)getpid(),
		 (uint64_t)start_unix);
	run_fd = create_run_file(dir, run_path, sizeof run_path);
	if (run_fd < 0) {
		fprintf(stderr, "ovc: %s: cannot create the run file: %s\n",
			run_path, strerror(errno));
		goto out;
	}

	side_fd = side_open(run_id);
	int errpipe[2];
	if (pipe2(errpipe, O_CLOEXEC) != 0) {
		fprintf(stderr, "ovc: pipe: %s\n", strerror(errno));
		goto out;
	}
	/* Block the forwarded signals until the command's pid is known. */
	struct ovc_forwarding fw;
	ovc_run_forwarding_list(&fw);
	sigset_t block, old_mask;
	sigemptyset(&block);
	for (size_t i = 0; i < fw.n; i++)
		sigaddset(&block, fw.sig[i]);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	int64_t start_mono = now_ns(CLOCK_MONOTONIC);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(errpipe[0]);
		child(path, o->cmd, lib, dir, run_id, errpipe[1], &old_mask);
	}
	close(errpipe[1]);
	if (pid < 0) {
		fprintf(stderr, "ovc: fork: %s\n", strerror(errno));
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		close(errpipe[0]);
		goto out;
	}
	ovc_run_forward_to(&fw, pid);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);

	json_t *rec = json_pack("{s:s, s:s, s:i, s:s, s:I, s:I, s:o, s:I}",
				"t", OVC_REC_RUN, "format", OVC_LOG_FORMAT,
				"version", OVC_LOG_VERSION, "run", run_id,
				"pid", (json_int_t)pid, "ovc_pid",
				(json_int_t)getpid(), "argv", argv_json(o->cmd),
				"start_unix_ns", (json_int_t)start_unix);
	if (!rec || !ovc_write_record(run_fd, rec))
		fprintf(stderr, "ovc: %s: cannot write: %s\n", run_path,
			strerror(errno));

	int exec_errno = 0;
	ssize_t got;
	do
		got = read(errpipe[0], &exec_errno, sizeof exec_errno);
	while (got < 0 && errno == EINTR);
	close(errpipe[0]);

	int wst = 0;
	struct ovc_status *live = NULL;
	if (!o->no_status && isatty(STDERR_FILENO))
		live = ovc_status_new(dir, run_id, stderr);
	pid_t w = wait_child(pid, &wst, live);
	ovc_status_clear(live);
	ovc_status_free(live);
	int64_t dur = now_ns(CLOCK_MONOTONIC) - start_mono;
	ovc_run_forward_end(&fw);

	if (got == (ssize_t)sizeof exec_errno) {
		fprintf(stderr, "ovc: %s: cannot execute: %s\n", cmd0,
			strerror(exec_errno));
		status = exec_errno == ENOENT ? 127 : 126;
	} else if (w == pid && WIFSIGNALED(wst)) {
		status = 128 + WTERMSIG(wst);
	} else if (w == pid && WIFEXITED(wst)) {
		status = WEXITSTATUS(wst);
	} else {
		fprintf(stderr, "ovc: waitpid: %s\n", strerror(errno));
		status = OVC_EXIT_USAGE;
	}
	if (side_fd >= 0) {
		side_drain(side_fd, run_fd);
		close(side_fd);
		side_fd = -1;
	}
	if (w == pid && WIFSIGNALED(wst))
		rec = json_pack("{s:s, s:s, s:i, s:I}", "t", OVC_REC_RUN_END,
				"kind", "signal", "signal", WTERMSIG(wst),
				"duration_ns", (json_int_t)dur);
	else
		rec = json_pack("{s:s, s:s, s:i, s:I}", "t", OVC_REC_RUN_END,
				"kind", "exit", "code", status,
				"duration_ns", (json_int_t)dur);
	if (!rec || !ovc_write_record(run_fd, rec))
		fprintf(stderr, "ovc: %s: cannot write: %s\n", run_path,
			strerror(errno));
	close(run_fd);
	run_fd = -1;

	if (!o->quiet) {
		char *paths[] = {dir};
		if (!o->json)
			fputs("\n", rep);
		ovc_report_paths(paths, 1, run_id, o->json, rep, dir, false,
				 NULL);
		if (!o->json)
			fprintf(rep, "\nlogs in %s (ovc report %s)\n", dir, dir);
		fflush(rep);
	}
	if (o->gates) {
		/* The command's own failure comes first; a gate that fails
		 * after a command that succeeded makes the status 1. */
		char *paths[] = {dir};
		struct ovc_model *m = NULL;
		ovc_read_model(paths, 1, run_id, &m);
		int g = OVC_EXIT_FINDING;
		/* With --json the report on stderr is one JSON document: the
		 * gates say their verdict by the exit status (and --junit). */
		FILE *gout = o->json ? fopen("/dev/null", "w") : rep;
		if (m && gout) {
			if (!o->json)
				fputc('\n', rep);
			g = ovc_gates_check(o->gates, m, gout);
		}
		if (gout && gout != rep)
			fclose(gout);
		ovc_model_destroy(m);
		fflush(rep);
		if (status == 0)
			status = g;
	}
out:
	if (run_fd >= 0)
		close(run_fd);
	if (side_fd >= 0)
		close(side_fd);
	free(lib);
	free(dir);
	free(path);
	return status;
}

static void run_usage(FILE *f)
{
	fputs("usage: ovc run [-o DIR] [--json] [-q] [--no-status] [GATES] [--] "
	      "CMD [ARG...]\n"
	      "  -o DIR  where the logs go (default: ovc-out; created, mode "
	      "0700)\n"
	      "  --json  the report as JSON (on stderr)\n"
	      "  -q      no report\n"
	      "  --no-status  no live status line (drawn on stderr when it is "
	      "a terminal)\n"
	      "The command's stdout is left alone: the report goes to "
	      "stderr.\n",
	      f);
	fputs(ovc_gates_help, f);
	fputs("exit status: the command's (128 + N when killed by signal N); "
	      "when it is 0\nand a gate fails, 1.\n",
	      f);
}

int ovc_cmd_run(int argc, char **argv)
{
	struct ovc_run_opts o = {0};
	/* Static: `--check only=P` keeps a copy of P for as long as ovc
	 * runs (ovc_gates_parse_list), reachable from here to the end. */
	static struct ovc_gates gates;
	int gate_rc;
	struct ovc_opts op = OVC_OPTS(argc, argv, "run", run_usage);
	for (const char *a; (a = ovc_opts_next(&op)); op.i++) {
		if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			if (op.i + 1 >= argc) {
				fprintf(stderr, "ovc: run: %s needs a directory\n",
					a);
				run_usage(stderr);
				return OVC_EXIT_USAGE;
			}
			o.out_dir = argv[++op.i];
		} else if (strncmp(a, "-o", 2) == 0) {
			o.out_dir = a + 2;
		} else if (strncmp(a, "--output=", 9) == 0) {
			o.out_dir = a + 9;
		} else if (strcmp(a, "--json") == 0) {
			o.json = true;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			o.quiet = true;
		} else if (strcmp(a, "--no-status") == 0) {
			o.no_status = true;
		} else if ((gate_rc = ovc_gates_parse_opt(&gates, argc, argv,
							  &op.i, "run")) != 0) {
			if (gate_rc < 0)
				return OVC_EXIT_USAGE;
		} else {
			return ovc_opts_bad(&op, a);
		}
	}
	int end = ovc_opts_end(&op, "command");
	if (end >= 0)
		return end;
	if (o.out_dir && !o.out_dir[0]) {
		fputs("ovc: run: -o needs a non-empty directory\n", stderr);
		return OVC_EXIT_USAGE;
	}
	if (ovc_gates_any(&gates))
		o.gates = &gates;
	else if (gates.junit || gates.only || gates.total) {
		fputs("ovc: run: --junit, --only and --total need a limit "
		      "(--check LIMITS, --max-peak-live SIZE, ...)\n",
		      stderr);
		return OVC_EXIT_USAGE;
	}
	o.cmd = argv + op.i;
	return ovc_run_command(&o);
}
