/* Children that make life hard for a tracer, one per mode; each allocates
 * 100 blocks of 1 MiB (touched) before and after its trick, and exits 0.
 *
 *   hostile daemon   double fork, setsid, chdir("/"), close every
 *                    descriptor, then allocate; the parent waits for a
 *                    pipe to close (so the test knows the daemon is done)
 *   hostile chroot   chroot into a fresh empty directory, then allocate
 *   hostile chdir    chdir to /, then allocate
 *   hostile setuid   become nobody (as root), then allocate: the log,
 *                    0600 and root's, is out of the process's reach
 *   hostile sighandler  exit(0) from a SIGALRM handler */
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void churn(void)
{
	for (int i = 0; i < 100; i++) {
		char *p = malloc(1 << 20);
		if (!p)
			exit(1);
		memset(p, i, 1 << 20);
		free(p);
	}
}

static void on_alarm(int sig)
{
	(void)sig;
	exit(0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	churn();
	if (strcmp(mode, "daemon") == 0) {
		int done[2];
		if (pipe(done) != 0)
			return 1;
		pid_t pid = fork();
		if (pid == 0) {
			if (fork() != 0)
				_exit(0);
			setsid();
			if (chdir("/") != 0)
				_exit(1);
			/* Keep only the pipe's write end, at a descriptor of its
			 * own, until the very end: closing it tells the waiter. */
			int keep = dup2(done[1], 200);
			struct rlimit rl;
			getrlimit(RLIMIT_NOFILE, &rl);
			for (int fd = 0; fd < (int)rl.rlim_cur && fd < 65536; fd++)
				if (fd != keep)
					close(fd);
			churn();
			close(keep);
			exit(0);
		}
		close(done[1]);
		waitpid(pid, NULL, 0);
		char c;
		while (read(done[0], &c, 1) > 0)
			;
		return 0;
	}
	if (strcmp(mode, "chroot") == 0) {
		char dir[] = "/tmp/ovc-hostile-chroot.XXXXXX";
		if (!mkdtemp(dir) || chroot(dir) != 0 || chdir("/") != 0)
			return 1;
		churn();
		return 0;
	}
	if (strcmp(mode, "setuid") == 0) {
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
		    setuid(65534) != 0)
			return 1;
		churn();
		return 0;
	}
	if (strcmp(mode, "chdir") == 0) {
		if (chdir("/") != 0)
			return 1;
		churn();
		return 0;
	}
	if (strcmp(mode, "sighandler") == 0) {
		signal(SIGALRM, on_alarm);
		alarm(1);
		for (;;)
			churn();
	}
	fprintf(stderr, "usage: hostile daemon|chroot|chdir|sighandler\n");
	return 2;
}
