/* The benchmark's timer: runs one command in a process group of its own and
 * prints how it ended, its wall time and its peak resident set, with a
 * timeout and an optional address-space cap.
 *
 * Usage: runner [-t SECONDS] [-m AS_BYTES] [-e ERRFILE] -- CMD [ARG...]
 *   -t  kill the whole process group after SECONDS (default: never)
 *   -m  RLIMIT_AS of the command (and everything it starts), in bytes
 *   -e  where the command's stdout and stderr go (default /dev/null)
 *
 * Prints one line: STATUS WALL_S MAXRSS_KIB CPU_S, where STATUS is "ok",
 * "exit:N", "signal:N" or "timeout". MAXRSS is wait4()'s ru_maxrss: the
 * largest peak resident set of the command and of any descendant it waited
 * for (not their sum). CPU_S is user + system time of the command and the
 * descendants it waited for, all threads: less disturbed than wall time by
 * other load on the machine. Exits 0 when it could run the command, 2
 * otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double timeout_s = 0;
	unsigned long long as_bytes = 0;
	const char *errfile = "/dev/null";
	int opt;

	while ((opt = getopt(argc, argv, "+t:m:e:")) != -1) {
		switch (opt) {
		case 't': timeout_s = atof(optarg); break;
		case 'm': as_bytes = strtoull(optarg, NULL, 10); break;
		case 'e': errfile = optarg; break;
		default: return 2;
		}
	}
	if (optind >= argc) {
		fputs("usage: runner [-t S] [-m BYTES] [-e FILE] -- CMD...\n", stderr);
		return 2;
	}

	double t0 = now_s();
	pid_t pid = fork();
	if (pid < 0) {
		perror("runner: fork");
		return 2;
	}
	if (pid == 0) {
		setpgid(0, 0);
		int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0) {
			dup2(null, 0);
			close(null);
		}
		if (as_bytes) {
			struct rlimit rl = { as_bytes, as_bytes };
			setrlimit(RLIMIT_AS, &rl);
		}
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	setpgid(pid, pid); /* both sides: no race with the kill below */

	int timed_out = 0;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (timeout_s > 0 && pidfd >= 0) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		for (;;) {
			double left = timeout_s - (now_s() - t0);
			if (left <= 0) {
				timed_out = 1;
				break;
			}
			int r = poll(&pfd, 1, (int)(left * 1000) + 1);
			if (r > 0)
				break;
			if (r < 0 && errno != EINTR)
				break;
		}
		if (timed_out)
			kill(-pid, SIGKILL);
	}

	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("runner: wait4");
			return 2;
		}
	double wall = now_s() - t0;
	/* Whatever the command left behind in its group (a background
	 * helper) goes too, so that it cannot disturb the next run. */
	kill(-pid, SIGKILL);

	char st[32];
	if (timed_out)
		snprintf(st, sizeof st, "timeout");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		snprintf(st, sizeof st, "ok");
	else if (WIFEXITED(status))
		snprintf(st, sizeof st, "exit:%d", WEXITSTATUS(status));
	else
		snprintf(st, sizeof st, "signal:%d", WTERMSIG(status));
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("%s %.4f %ld %.4f\n", st, wall, ru.ru_maxrss, cpu);
	return 0;
}
