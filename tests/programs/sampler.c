/* Says how ovc's sampler looks from inside the program, once at start and
 * once more after exec'ing itself: whether glibc still sees one thread,
 * how many tasks the process has, how many live sampler processes (and
 * zombies of them) are its children, how many descriptors the sampler
 * holds (and how many of them are the program's stdin, stdout or stderr),
 * and whether
 * it is sealed by seccomp. Allocates and sleeps 60 ms first, so that the
 * sampler has ticked. With an argument it says that word instead of
 * "start" and does not exec; with "failed-exec", an exec that fails comes
 * first; with "quick", it neither allocates nor sleeps first (a process
 * that ends within its first interval: ovc starts no sampler for it); with
 * "clone-wait", it then waits for clone children (__WALL, as strace does)
 * and says what the wait returned: plain, at once ECHILD (it has none);
 * with "young", it allocates and frees blocks of 256 KiB for 25 ms without
 * a pause (a young image: ovc samples it from its own slow paths and
 * starts no sampler). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/single_threaded.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Whether descriptor NAME of the directory DIR (another process's fd/) is
 * the file of our stdin, stdout or stderr: the sampler must hold none of
 * the program's files. */
static int is_our_std(const char *dir, const char *name)
{
	char path[300], target[256], ours[256], self[32];
	ssize_t n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	n = readlink(path, target, sizeof target - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	for (int fd = 0; fd <= 2; fd++) {
		snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
		n = readlink(self, ours, sizeof ours - 1);
		if (n < 0)
			continue;
		ours[n] = '\0';
		if (strcmp(ours, target) == 0)
			return 1;
	}
	return 0;
}

static int entries(const char *dir, int *std)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		if (std != NULL && is_our_std(dir, e->d_name))
			(*std)++;
	}
	closedir(d);
	return n;
}

/* Counts our children named ovc-sampler: live ones (the last in *PID) and
 * zombies. */
static int samplers(pid_t *pid, int *zombies)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	*zombies = 0;
	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[300], buf[512];
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		size_t len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = '\0';
		char *close = strrchr(buf, ')');
		char state;
		int ppid;
		if (close == NULL || strstr(buf, "(ovc-sampler)") == NULL ||
		    sscanf(close + 1, " %c %d", &state, &ppid) != 2 ||
		    ppid != getpid())
			continue;
		if (state == 'Z') {
			(*zombies)++;
		} else {
			n++;
			*pid = atoi(e->d_name);
		}
	}
	if (d != NULL)
		closedir(d);
	return n;
}

static void describe(const char *when)
{
	pid_t s = 0;
	int zombies, n = samplers(&s, &zombies), fds = -1, std = 0, sealed = 0;

	if (n == 1) {
		char path[64], line[256];
		FILE *f;

		snprintf(path, sizeof path, "/proc/%d/fd", (int)s);
		fds = entries(path, &std);
		snprintf(path, sizeof path, "/proc/%d/status", (int)s);
		f = fopen(path, "r");
		while (f != NULL && fgets(line, sizeof line, f) != NULL)
			if (strcmp(line, "Seccomp:\t2\n") == 0)
				sealed = 1;
		if (f != NULL)
			fclose(f);
	}
	printf("%s: single=%d tasks=%d samplers=%d zombies=%d fds=%d std=%d "
	       "sealed=%d\n",
	       when, __libc_single_threaded, entries("/proc/self/task", NULL), n,
	       zombies, fds, std, sealed);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct timespec pause = {0, 60 * 1000 * 1000};

	if (argc > 1 && strcmp(argv[1], "quick") == 0) {
		describe("quick");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "young") == 0) {
		struct timespec t0, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			char *p = malloc(256 << 10);
			if (p)
				p[0] = 1;
			free(p);
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec -
				 t0.tv_nsec <
			 25 * 1000 * 1000L);
		describe("young");
		return 0;
	}
	for (int i = 0; i < 1000; i++)
		free(malloc(100 + (size_t)i));
	nanosleep(&pause, NULL);
	if (argc > 1 && strcmp(argv[1], "failed-exec") == 0) {
		/* ovc stops the sampler before an exec: one that fails must
		 * get it back */
		execl("/nonexistent/ovc-sampler-test", "x", (char *)NULL);
		nanosleep(&pause, NULL);
	}
	if (argc > 1 && strcmp(argv[1], "clone-wait") == 0) {
		int st;
		pid_t r = waitpid(-1, &st, __WALL);
		printf("wait: %s\n", r == -1 && errno == ECHILD ? "ECHILD" : "other");
		/* and it goes on being sampled */
		for (int i = 0; i < 1000; i++)
			free(malloc(200 + (size_t)i));
		nanosleep(&pause, NULL);
	}
	describe(argc > 1 ? argv[1] : "start");
	if (argc == 1) {
		execl("/proc/self/exe", argv[0], "after-exec", (char *)NULL);
		perror("sampler: exec");
		return 1;
	}
	return 0;
}
