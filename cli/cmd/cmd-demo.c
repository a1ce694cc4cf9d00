/* `ovc demo`: the article's two overcommit experiments, each run under
 * `ovc run` by re-executing ovc itself (`ovc __demo reserve|touch`). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"

#define GIB ((size_t)1 << 30)
/* Experiment 1 stops here even if malloc never fails: 256 TiB. */
#define RESERVE_MAX_BLOCKS ((size_t)1 << 18)

/* MemAvailable in bytes from /proc/meminfo, or 0 when unknown. Plain
 * read(2): this runs inside the preload. */
static uint64_t mem_available(void)
{
	char buf[4096];
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *p = strstr(buf, "MemAvailable:");
	if (!p)
		return 0;
	return strtoull(p + 13, NULL, 10) * 1024;
}

static int demo_reserve(void)
{
	size_t n = 0;
	/* Never freed, never written: only address space is reserved. */
	while (n < RESERVE_MAX_BLOCKS && malloc(GIB) != NULL)
		n++;
	printf("%zu GiB allocated (%zu blocks of 1 GiB) before malloc "
	       "returned NULL%s\n",
	       n, n, n == RESERVE_MAX_BLOCKS ? " (stopped at the demo's limit)"
					    : "");
	fflush(stdout);
	return 0;
}

static int demo_touch(void)
{
	char *blocks[4] = {0};
	size_t got = 0;
	for (; got < 4; got++) {
		blocks[got] = malloc(GIB);
		if (!blocks[got])
			break;
	}
	if (got == 0) {
		printf("malloc(1 GiB) returned NULL: nothing to touch\n");
		return 0;
	}
	/* Bounded for safety: never write more than half of what is free. */
	size_t touch = GIB;
	uint64_t avail = mem_available();
	if (avail && avail / 2 < touch)
		touch = (size_t)(avail / 2);
	long page = sysconf(_SC_PAGESIZE);
	if (page <= 0)
		page = 4096;
	size_t pages = 0;
	for (size_t off = 0; off < touch; off += (size_t)page, pages++)
		blocks[0][off] = 1;
	printf("allocated %zu GiB in blocks of 1 GiB; wrote one byte in each "
	       "of the %zu pages of the first %zu MiB\n",
	       got, pages, touch >> 20);
	fflush(stdout);
	return 0;
}

int ovc_cmd_demo_child(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "reserve") == 0)
		return demo_reserve();
	if (argc == 2 && strcmp(argv[1], "touch") == 0)
		return demo_touch();
	fputs("ovc: __demo: expected 'reserve' or 'touch'\n", stderr);
	return OVC_EXIT_USAGE;
}

static int experiment(const char *self, const char *dir, const char *what)
{
	char *cmd[] = {(char *)self, (char *)"__demo", (char *)what, NULL};
	struct ovc_run_opts o = {.out_dir = dir, .report = stdout, .cmd = cmd};
	fflush(stdout);
	return ovc_run_command(&o);
}

int ovc_cmd_demo(int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "ovc: demo: takes no arguments\n");
		return OVC_EXIT_USAGE;
	}
	(void)argv;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		fprintf(stderr, "ovc: /proc/self/exe: %s\n", strerror(errno));
		return OVC_EXIT_USAGE;
	}
	self[n] = '\0';
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/ovc-demo.XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "ovc: %s: cannot create: %s\n", dir,
			strerror(errno));
		return OVC_EXIT_USAGE;
	}

	printf("ovc demo: two experiments on Linux overcommit; logs in %s\n\n",
	       dir);
	printf("Experiment 1: call malloc(1 GiB) again and again, never "
	       "writing to it,\n"
	       "until malloc returns NULL. The kernel only reserves address "
	       "space: on x86-64\n"
	       "this goes on to about 128 TiB, far beyond this machine's "
	       "memory, and takes\n"
	       "a few seconds. Only the allocator's header at the start of "
	       "each block\n"
	       "becomes resident: a page or two per block.\n\n");
	int rc1 = experiment(self, dir, "reserve");
	printf("\nExperiment 2: malloc 4 GiB in blocks of 1 GiB, then write "
	       "one byte in each\n"
	       "page of the first 1 GiB only. Pages become resident on first "
	       "write, so about\n"
	       "a quarter of what was requested is touched; the rest is the "
	       "overcommit gap.\n\n");
	int rc2 = experiment(self, dir, "touch");
	printf("\nThe logs are kept in %s: `ovc report %s` shows both again.\n"
	       "Next: trace your own program with "
	       "`scripts/ovc run -- ./your-program`\n"
	       "(or `ovc run -- ./your-program` once installed).\n",
	       dir, dir);
	return rc1 || rc2 ? OVC_EXIT_FINDING : OVC_EXIT_OK;
}
