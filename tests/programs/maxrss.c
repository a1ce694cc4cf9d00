/* maxrss FILE PROGRAM ARGS...: runs PROGRAM, waits for it with wait4(2) and
 * writes its ru_maxrss in bytes to FILE (what `/usr/bin/time -f %M` shows):
 * the kernel's max resident size of the process. Small on purpose: the
 * resident size of a process before it execs counts in that figure. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: maxrss FILE PROGRAM ARGS...\n", stderr);
		return 2;
	}
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[2], argv + 2);
		_exit(127);
	}
	int st;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
		return 127;
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 127;
	fprintf(f, "%ld\n", ru.ru_maxrss * 1024L);
	fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
