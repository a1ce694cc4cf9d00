/* Starts tests/programs/allocn by every way a program can start another,
 * so a test can find each child in the process tree with its exact call
 * counts (allocn K makes K mallocs):
 *
 *   spawner 2:  fork + execv        allocn 11
 *               vfork + execv       allocn 12
 *               posix_spawn         allocn 13  (environment without
 *                                               LD_PRELOAD: {"SPAWNER=1"})
 *               system              sh -c 'allocn 14'
 *               fork + execve       allocn 15  (empty environment)
 *               posix_spawn         spawner 1  (inherits the environment)
 *   spawner 1:  fork + execv        allocn 21
 *               vfork + execv       allocn 22
 *
 * allocn is taken from the directory of this executable. Exits 0 when every
 * child exited 0, 1 otherwise.
 *
 * Usage: spawner LEVEL */
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char allocn[PATH_MAX], self[PATH_MAX];
static int failures;

static void wait_for(pid_t pid, const char *what)
{
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "spawner: %s failed\n", what);
		failures++;
	}
}

static void fork_exec(const char *arg, char **env)
{
	char *argv[] = {allocn, (char *)arg, NULL};
	pid_t pid = fork();
	if (pid == 0) {
		if (env)
			execve(allocn, argv, env);
		else
			execv(allocn, argv);
		_exit(127);
	}
	wait_for(pid, arg);
}

static void vfork_exec(const char *arg)
{
	char *argv[] = {allocn, (char *)arg, NULL};
	pid_t pid = vfork();
	if (pid == 0) {
		execv(allocn, argv);
		_exit(127);
	}
	wait_for(pid, arg);
}

static void spawn(const char *path, const char *arg, char **env)
{
	char *argv[] = {(char *)path, (char *)arg, NULL};
	pid_t pid;
	if (posix_spawn(&pid, path, NULL, NULL, argv, env) != 0)
		pid = -1;
	wait_for(pid, arg);
}

int main(int argc, char **argv)
{
	int level = argc > 1 ? atoi(argv[1]) : 2;
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	snprintf(allocn, sizeof allocn, "%.*s/allocn",
		 (int)(strrchr(self, '/') - self), self);
	if (level >= 2) {
		char *spawn_env[] = {"SPAWNER=1", NULL};
		char *empty_env[] = {NULL};
		char cmd[PATH_MAX + 16];
		fork_exec("11", NULL);
		vfork_exec("12");
		spawn(allocn, "13", spawn_env);
		snprintf(cmd, sizeof cmd, "'%s' 14", allocn);
		if (system(cmd) != 0) {
			fprintf(stderr, "spawner: system failed\n");
			failures++;
		}
		fork_exec("15", empty_env);
		spawn(self, "1", environ);
	} else {
		fork_exec("21", NULL);
		vfork_exec("22");
	}
	return failures ? 1 : 0;
}
