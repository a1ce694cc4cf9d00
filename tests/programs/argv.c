/* A command line a test knows, as the log's header must show it:
 *
 *   argv rewrite   overwrites its argv[1] in place ("rewrite" becomes
 *                  "REWRITE", as setproctitle does), then forks a child
 *                  that mallocs 1000 B, frees it and exits 0. The start's
 *                  header shows the arguments it was started with, the
 *                  child's the rewritten ones (what /proc/PID/cmdline
 *                  showed at the fork).
 *   argv ARGS...   exits 0 at once (long or odd arguments).
 *
 * Exits 0, or 1 when the child did not end as planned. Prints nothing. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "rewrite") != 0)
		return 0;
	memcpy(argv[1], "REWRITE", 7);
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		char *p = malloc(1000);
		free(p);
		exit(0);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 1;
	return 0;
}
