/* A program that looks at its own descriptor table (/proc/self/fd) and
 * writes known lines on stderr, across exec, fork, close_range and a change
 * of user, for tests/compat/test-fds.c: run plain and under ovc, its stdout
 * and stderr must be the same bytes.
 *
 * Usage: fdsee basic | fdsee nobody | fdsee STAGE (internal)
 *   basic   lists its descriptors; forks (the child lists, allocates, exits);
 *           closes every descriptor above 2 (close_range), allocates for
 *           ~300 ms (ovc's ticker runs meanwhile), lists again, forks again;
 *           then execs itself as `fdsee exec`, which lists and exits 0
 *   nobody  (as root) forks; the child drops to uid/gid 65534 (nobody) and
 *           execs itself as `fdsee as-nobody`, which lists, allocates and
 *           exits 0; the parent waits. Not root: says so and exits 0.
 * Every listing is a line "fdsee: STAGE: fds 0,1,2" on stdout (the
 * descriptor of the listing itself left out); every stage also writes
 * "fdsee: STAGE: on stderr" on stderr. Exits 1 when something fails. */
#include <dirent.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char self[PATH_MAX];

static int by_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Lists /proc/self/fd on stdout and says STAGE on stderr. */
static void see(const char *stage)
{
	int fds[4096], n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (d == NULL) {
		printf("fdsee: %s: cannot list /proc/self/fd\n", stage);
		fflush(stdout);
		exit(1);
	}
	while ((e = readdir(d)) != NULL && n < 4096) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd != dirfd(d))
			fds[n++] = fd;
	}
	closedir(d);
	qsort(fds, (size_t)n, sizeof *fds, by_int);
	printf("fdsee: %s: fds ", stage);
	for (int i = 0; i < n; i++)
		printf(i ? ",%d" : "%d", fds[i]);
	printf("\n");
	fflush(stdout);
	fprintf(stderr, "fdsee: %s: on stderr\n", stage);
}

static void work(int rounds)
{
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < 200; i++)
			free(malloc(100 + (size_t)i * 10));
		char *big = malloc(1 << 20);
		if (big != NULL)
			for (size_t i = 0; i < (1 << 20); i += 4096)
				((volatile char *)big)[i] = 1;
		free(big);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* Forks; the child lists as STAGE, allocates and exits 0. */
static void fork_and_see(const char *stage)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		see(stage);
		work(3);
		exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		printf("fdsee: %s: the child failed\n", stage);
		exit(1);
	}
}

static void exec_self(const char *stage)
{
	fflush(NULL);
	execl(self, "fdsee", stage, (char *)NULL);
	perror("fdsee: exec");
	_exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fdsee basic|nobody\n");
		return 2;
	}
	const char *m = argv[1];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0)
		return 1;
	self[len] = '\0';

	if (strcmp(m, "basic") == 0) {
		see("start");
		work(3);
		fork_and_see("fork child");
		if (close_range(3, ~0U, 0) != 0) {
			perror("fdsee: close_range");
			return 1;
		}
		see("after close_range");
		work(30); /* ~300 ms: ovc samples meanwhile */
		see("after close_range and 300 ms");
		fork_and_see("fork child after close_range");
		exec_self("exec");
	}
	if (strcmp(m, "nobody") == 0) {
		see("root");
		if (geteuid() != 0) {
			printf("fdsee: not root, no change of user\n");
			return 0;
		}
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
			    setuid(65534) != 0) {
				perror("fdsee: setuid");
				_exit(1);
			}
			exec_self("as-nobody");
		}
		int st;
		if (waitpid(pid, &st, 0) != pid)
			return 1;
		printf("fdsee: the child as nobody: %s %d\n",
		       WIFEXITED(st) ? "exit" : "signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return 0;
	}
	/* exec, as-nobody: the images exec'd above. */
	see(m);
	work(3);
	return 0;
}
