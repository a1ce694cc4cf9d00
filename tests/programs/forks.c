/* Processes made every way a program makes them, each ending in a known way,
 * so that a test can check one complete log per process image and the links
 * between them:
 *
 *   the program itself       10000 malloc(3000)+free before any fork; exit 0
 *   child A  (fork)          300 malloc(4321), freed; exit(7)
 *   child B  (fork)          200 calloc(1, 1234), freed; _exit(8)
 *   child C  (fork + exec)   execs "article-touch 16" (exit 0)
 *   child D  (fork, failed exec)  execl of a missing file fails; then
 *                            100 malloc(5555), freed; exit(9)
 *   system()                 sh -c "sh -c '<dir>/article-touch 8; exit 3'":
 *                            status 3
 *
 * Usage: forks [PROGRAMS_DIR]   (where article-touch is; default: the
 *                               directory of this program)
 * Exits 0 when every child ended as planned, 1 otherwise. Prints nothing
 * before the last child ended. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[PATH_MAX];
static int surprises;

/* Mallocs COUNT blocks of SIZE bytes (or callocs them), then frees them. */
static void churn(int count, size_t size, int use_calloc)
{
	void *blocks[10000];

	for (int i = 0; i < count; i++) {
		blocks[i] = use_calloc ? calloc(1, size) : malloc(size);
		if (blocks[i] != NULL)
			*(volatile char *)blocks[i] = 1;
	}
	for (int i = 0; i < count; i++)
		free(blocks[i]);
}

/* Waits for PID and counts a surprise unless it exited with CODE. */
static void expect_exit(pid_t pid, int code, const char *what)
{
	int status;

	if (pid < 0) {
		fprintf(stderr, "forks: %s: fork failed: %s\n", what, strerror(errno));
		surprises++;
		return;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			surprises++;
			return;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != code) {
		fprintf(stderr, "forks: %s: status 0x%x, expected exit %d\n", what,
			status, code);
		surprises++;
	}
}

int main(int argc, char **argv)
{
	char touch[PATH_MAX + 32], cmd[2 * PATH_MAX];
	pid_t pid;
	int status;

	if (argc > 1) {
		snprintf(dir, sizeof dir, "%s", argv[1]);
	} else {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (n < 0)
			return 1;
		exe[n] = '\0';
		snprintf(dir, sizeof dir, "%s", dirname(exe));
	}
	if (strchr(dir, '\'') != NULL) {
		fprintf(stderr, "forks: a quote in %s\n", dir);
		return 1;
	}
	snprintf(touch, sizeof touch, "%s/article-touch", dir);

	churn(10000, 3000, 0);

	if ((pid = fork()) == 0) {                     /* A */
		churn(300, 4321, 0);
		exit(7);
	}
	expect_exit(pid, 7, "child A");

	if ((pid = fork()) == 0) {                     /* B */
		churn(200, 1234, 1);
		_exit(8);
	}
	expect_exit(pid, 8, "child B");

	if ((pid = fork()) == 0) {                     /* C */
		execl(touch, "article-touch", "16", (char *)NULL);
		_exit(127);
	}
	expect_exit(pid, 0, "child C");

	if ((pid = fork()) == 0) {                     /* D */
		execl("/nonexistent/ovc-test-program", "missing", (char *)NULL);
		churn(100, 5555, 0);
		exit(errno == ENOENT ? 9 : 10);
	}
	expect_exit(pid, 9, "child D");

	snprintf(cmd, sizeof cmd, "sh -c '%s 8; exit 3'", touch);
	status = system(cmd);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 3) {
		fprintf(stderr, "forks: system: status 0x%x, expected exit 3\n",
			status);
		surprises++;
	}

	printf("forks: %s\n", surprises ? "surprises" : "all children as planned");
	return surprises ? 1 : 0;
}
