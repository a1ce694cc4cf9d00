/* Leaves, for its own pid, the log an image replaced by exec leaves when
 * its start did not read the process's start time: a header without
 * proc_start_ticks, an exec record with it, and a warning after (pending
 * warnings are written after the line that drains them). Then it execs
 * PROGRAM with LD_PRELOAD=LIB and OVC_OUTPUT=DIR: that image finds the log
 * before its own and must take itself for its successor ("origin":"exec")
 * when the start time matches, and for a new process when it does not.
 * Run without the preload itself (it writes the log ovc would have).
 *
 * Usage: exec-after-log DIR DELTA LIB PROGRAM [ARG...]
 *   DELTA is added to the start time written (0: the true one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: exec-after-log DIR DELTA LIB PROGRAM [ARG...]\n");
		return 2;
	}
	char stat[1024] = "";
	FILE *f = fopen("/proc/self/stat", "r");
	if (!f || !fgets(stat, sizeof stat, f))
		return 1;
	fclose(f);
	/* field 22, counted after the command's closing parenthesis */
	const char *p = strrchr(stat, ')');
	if (!p)
		return 1;
	p++;
	for (int field = 3; field < 22; field++)
		p = strchr(p + 1, ' ');
	unsigned long long ticks = strtoull(p + 1, NULL, 10) + strtoull(argv[2], NULL, 10);
	char path[4200];
	snprintf(path, sizeof path, "%s/ovc.%d.0.jsonl", argv[1], (int)getpid());
	f = fopen(path, "wx");
	if (!f)
		return 1;
	fprintf(f, "{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":1,\"pid\":%d,"
		   "\"ppid\":%d,\"clk_tck\":100,\"origin\":\"start\",\"run\":\"\","
		   "\"exe\":\"/bin/sh\",\"argv\":[\"sh\"]}\n",
		(int)getpid(), (int)getppid());
	fprintf(f, "{\"t\":\"exec\",\"ns\":5,\"proc_start_ticks\":%llu,\"path\":\"%s\"}\n",
		ticks, argv[4]);
	fprintf(f, "{\"t\":\"warn\",\"ns\":6,\"msg\":\"a warning after the exec\"}\n");
	if (fclose(f) != 0)
		return 1;
	char pre[4200], out[4200];
	snprintf(pre, sizeof pre, "LD_PRELOAD=%s", argv[3]);
	snprintf(out, sizeof out, "OVC_OUTPUT=%s", argv[1]);
	if (putenv(pre) != 0 || putenv(out) != 0)
		return 1;
	execv(argv[4], argv + 4);
	perror("exec-after-log: execv");
	return 127;
}
