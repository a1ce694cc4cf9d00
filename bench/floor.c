/* The benchmark's `floor` tool: a preload that does only what every image's
 * log must do by issue 15's rules, and nothing else: at start it reads
 * /proc/self/status (the first sample), creates its log (O_EXCL, as ovc
 * does) and writes 1,230 bytes into it (a header and a sample: what ovc
 * writes for /bin/true), closes it; at exit it reads /proc/self/status
 * again (the exact peaks), opens the log again and appends 440 bytes (the
 * last sample and the end record). No hooks, no stacks, no counts.
 *
 * Its cost on storm is what any tool that keeps a log per process image
 * (one that survives SIGKILL from the start) pays on this machine before
 * it records anything: docs/performance.md, "Seventh round".
 *
 * Build: gcc -O2 -shared -fPIC bench/floor.c -o floor.so
 * Use:   FLOOR_DIR=DIR LD_PRELOAD=./floor.so CMD   (no FLOOR_DIR: nothing) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[4200];
static char buf[2048];

static void status(void)
{
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, buf, sizeof buf, 0) < 0)
			buf[0] = '\0';
		close(fd);
	}
}

static void append(size_t n, int flags)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | flags,
		      0600);
	if (fd < 0)
		return;
	memset(buf, 'x', n);
	buf[n - 1] = '\n';
	if (write(fd, buf, n) < 0)
		path[0] = '\0';
	close(fd);
}

static void at_exit(void)
{
	if (!path[0])
		return;
	status();
	append(440, 0);
}

__attribute__((constructor)) static void start(void)
{
	const char *dir = getenv("FLOOR_DIR");
	if (!dir || snprintf(path, sizeof path, "%s/floor.%d.0.jsonl", dir,
			     (int)getpid()) >= (int)sizeof path) {
		path[0] = '\0';
		return;
	}
	status();
	append(1230, O_CREAT | O_EXCL);
	atexit(at_exit);
}
