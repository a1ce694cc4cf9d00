/* A program that is rough with file descriptors, as daemons and test
 * harnesses are: mid-run it closes every descriptor above 2, then keeps
 * allocating; later it dup2s a file of its own over descriptors 3..1023 and
 * the 64 highest ones its RLIMIT_NOFILE allows, writes through them, and
 * checks that its files hold exactly what it wrote (nobody else's bytes, no
 * holes). Whatever ovc keeps open must not be written into its files, and
 * ovc's log must stay complete.
 *
 * Phases (the test keys on the sizes):
 *   0  open DIR/closefds-1.dat, write to it; 1000 x malloc(2222)+free
 *   1  close every fd > 2; 20 rounds of: malloc(4 MiB) touched (kept),
 *      100 x malloc(3333)+free, sleep 20 ms
 *   2  open DIR/closefds-2.dat, dup2 it over the fds above; 10 rounds of:
 *      write a line through one of them, 100 x malloc(3333)+free,
 *      malloc(4 MiB) touched (kept), sleep 20 ms; close the dups
 *   3  10 rounds as in 1; check both files; exit 0 (1 if a file is wrong)
 *
 * Usage: closefds DIR */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define BLOCK ((size_t)4 << 20)

static size_t page;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* COUNT x malloc(SIZE) then free, all used. */
static void churn(int count, size_t size)
{
	void *blocks[1000];

	for (int i = 0; i < count; i++)
		if ((blocks[i] = malloc(size)) != NULL)
			*(volatile char *)blocks[i] = 1;
	for (int i = 0; i < count; i++)
		free(blocks[i]);
}

/* One 4 MiB block, every page written, never freed. The writes go through
 * a volatile: gcc knows that nothing reads a fresh malloc block that never
 * escapes, and would drop them. */
static int touch_block(void)
{
	char *p = malloc(BLOCK);

	if (p == NULL)
		return -1;
	for (size_t j = 0; j < BLOCK; j += page)
		((volatile char *)p)[j] = 1;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n, len -= (size_t)n;
	}
	return 0;
}

/* Compares the content of PATH with WANT; prints what differs. */
static int check_file(const char *path, const char *want, size_t len)
{
	static char got[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "closefds: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = read(fd, got, sizeof got);
	close(fd);
	if (n != (ssize_t)len || memcmp(got, want, len) != 0) {
		fprintf(stderr, "closefds: %s: %zd bytes, expected %zu%s\n", path,
			n, len, n == (ssize_t)len ? " (content differs)" : "");
		return -1;
	}
	return 0;
}

static void close_above_2(void)
{
	struct rlimit rl;

	if (close_range(3, ~0U, 0) == 0)
		return;
	/* Kernels before 5.9: the loop every old daemon has. */
	getrlimit(RLIMIT_NOFILE, &rl);
	for (rlim_t fd = 3; fd < rl.rlim_cur; fd++)
		close((int)fd);
}

int main(int argc, char **argv)
{
	char path1[4096], path2[4096], line[128];
	static char want1[4096], want2[1 << 15];
	size_t len1 = 0, len2 = 0;
	struct rlimit rl;
	int targets[1024 + 64], ntargets = 0;
	int fd, bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: closefds DIR\n");
		return 2;
	}
	page = (size_t)sysconf(_SC_PAGESIZE);
	snprintf(path1, sizeof path1, "%s/closefds-1.dat", argv[1]);
	snprintf(path2, sizeof path2, "%s/closefds-2.dat", argv[1]);

	/* 0 */
	fd = open(path1, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "closefds: %s: %s\n", path1, strerror(errno));
		return 1;
	}
	len1 = (size_t)snprintf(want1, sizeof want1, "closefds file 1, fd %d\n", fd);
	if (write_all(fd, want1, len1) < 0)
		return 1;
	churn(1000, 2222);
	sleep_ms(50);

	/* 1 */
	close_above_2();
	for (int round = 0; round < 20; round++) {
		bad |= touch_block();
		churn(100, 3333);
		sleep_ms(20);
	}

	/* 2 */
	fd = open(path2, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "closefds: %s: %s\n", path2, strerror(errno));
		return 1;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur > (1 << 20))
		rl.rlim_cur = 1 << 20;
	for (int i = 3; i < 1024 && (rlim_t)i < rl.rlim_cur; i++)
		targets[ntargets++] = i;
	for (rlim_t i = rl.rlim_cur > 1024 + 64 ? rl.rlim_cur - 64 : rl.rlim_cur;
	     i < rl.rlim_cur; i++)
		targets[ntargets++] = (int)i;
	for (int i = 0; i < ntargets; i++)
		if (targets[i] != fd && dup2(fd, targets[i]) < 0) {
			fprintf(stderr, "closefds: dup2(%d, %d): %s\n", fd,
				targets[i], strerror(errno));
			bad = 1;
		}
	for (int round = 0; round < 10; round++) {
		int via = targets[round * (ntargets - 1) / 9];  /* 3 .. highest */
		int n = snprintf(line, sizeof line,
				 "closefds file 2, round %d, via fd %d\n", round, via);
		if (write_all(via, line, (size_t)n) < 0) {
			fprintf(stderr, "closefds: write via %d: %s\n", via,
				strerror(errno));
			bad = 1;
		}
		memcpy(want2 + len2, line, (size_t)n);
		len2 += (size_t)n;
		churn(100, 3333);
		bad |= touch_block();
		sleep_ms(20);
	}
	for (int i = 0; i < ntargets; i++)
		if (targets[i] != fd)
			close(targets[i]);
	close(fd);

	/* 3 */
	for (int round = 0; round < 10; round++) {
		bad |= touch_block();
		churn(100, 3333);
		sleep_ms(20);
	}
	if (check_file(path1, want1, len1) < 0 || check_file(path2, want2, len2) < 0)
		bad = 1;
	printf("closefds: %s\n", bad ? "FAILED" : "files intact");
	return bad ? 1 : 0;
}
