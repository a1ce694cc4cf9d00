/* Programs with figures the kernel knows exactly, one per mode (argv[1]),
 * each ending by printing its own /proc/self/status high-water marks as
 * "kernel: hwm=<bytes> vm_peak=<bytes> anon=<bytes>", read just before
 * exit, for the tests to hold ovc's figures against:
 *   only-mmap   mmap 8 GiB (MAP_NORESERVE), write one byte per page of
 *               its first 1 GiB (no huge pages): asked 8 GiB, touched 1 GiB
 *   bss-half    a 256 MiB .bss array, one byte per page of its first half
 *               written: 128 MiB touched outside what ovc sees
 *   burst       mmap 300 MiB, write it, unmap it at once: a peak shorter
 *               than a tick
 *   burst-wait  the burst, then "ready" on stdout and a sleep until killed
 *   thp         a 4 MiB malloc block, MADV_HUGEPAGE on its aligned 2 MiB,
 *               one byte written: the kernel gives 2 MiB (if THP is on)
 *   zero-read   a 64 MiB malloc block, every page read, none written; says
 *               how much RssAnon grew while it read
 *   zero-read-4m the same with a 4 MiB block (a program thread probes a
 *               block of up to 16 MiB with mincore where the kernel maps
 *               no zero page: residency.c)
 *   dontneed    a 64 MiB malloc block written, then MADV_DONTNEED
 *   madv-free   the same with MADV_FREE
 *   madv-free-again  the same, then every page written again (they are
 *               not lazily freed any more: touched 64 MiB again)
 *   madv-free-map  a 64 MiB anonymous mapping written, then MADV_FREE
 *   madv-free-two  anonymous mappings of 32 MiB and 48 MiB side by side
 *               (the kernel merges them into one VMA) written, then freed
 *               with MADV_FREE, then the first 16 MiB of the second
 *               written again: touched 0 and 16 MiB; says "one vma" when
 *               the kernel holds both in one VMA (smaps then gives their
 *               lazily freed pages together)
 *   cow         a 64 MiB malloc block written, then fork: the child
 *               writes 32 MiB of it (copy-on-write) and exits; the parent
 *               waits for it
 *   threads     4 threads each hold 16 blocks of 1000 bytes at once, for
 *               a moment between two ticks, then free them: a peak of live
 *               bytes of 4 * 16 * malloc_usable_size(1000)
 *   reused      heap blocks (mallopt: no mmap, no trim; after a spacer of
 *               1 MiB + 128 KiB never written): 1 MiB + 64 KiB written and
 *               freed, then 1 MiB in its memory, never written (reused
 *               1 MiB, touched 0), and 2 MiB of fresh heap written
 *               (touched 2 MiB, reused 0)
 *   half64k     after the same spacer, blocks of 64 KiB and 68 KiB (sampled
 *               sizes; run with OVC_SAMPLE=1): the first half written
 *               (touched 32 KiB, 50%), the second not written
 * The madvise modes wait for the sampler to probe between steps. */
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB ((size_t)1 << 20)
#define GIB ((size_t)1 << 30)
#define PAGE 4096

static char bss[256 * MIB];

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The number of kB after KEY in /proc/self/status, in bytes. */
static unsigned long long status(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);
	return p ? strtoull(p + strlen(key), NULL, 10) * 1024 : 0;
}

/* /proc/self/status into BUF; false when it cannot be read. */
static bool read_status(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return true;
}

static unsigned long long rss_anon(void)
{
	static char buf[8192];
	return read_status(buf, sizeof buf) ? status(buf, "RssAnon:") : 0;
}

static int report(void)
{
	static char buf[8192];
	if (!read_status(buf, sizeof buf))
		return 1;
	printf("kernel: hwm=%llu vm_peak=%llu anon=%llu\n",
	       status(buf, "VmHWM:"), status(buf, "VmPeak:"),
	       status(buf, "RssAnon:"));
	return 0;
}

static void write_pages(volatile char *p, size_t n)
{
	for (size_t i = 0; i < n; i += PAGE)
		p[i] = 1;
}

static char *block(size_t n)
{
	char *p = malloc(n);
	if (!p) {
		fprintf(stderr, "kernel: malloc failed\n");
		exit(1);
	}
	return p;
}

static pthread_barrier_t held;

static void *holder(void *arg)
{
	(void)arg;
	char *b[16];
	for (int i = 0; i < 16; i++)
		b[i] = block(1000);
	pthread_barrier_wait(&held); /* all 64 blocks live here */
	pthread_barrier_wait(&held);
	for (int i = 0; i < 16; i++)
		free(b[i]);
	return NULL;
}

static int threads(void)
{
	pthread_t t[4];
	void *probe = block(1000);
	size_t usable = malloc_usable_size(probe);
	free(probe);
	pthread_barrier_init(&held, NULL, 4);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, holder, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("threads: peak live %zu\n", 4 * 16 * usable);
	return 0;
}

/* Heap blocks only (no mmap'd chunks, no trimming), and a spacer over the
 * heap's first MiB, which the loader and libc may have used and freed
 * (resident): the blocks after it are fresh from the kernel. */
static void fresh_heap(void)
{
	mallopt(M_MMAP_THRESHOLD, 64 * MIB);
	mallopt(M_TRIM_THRESHOLD, 256 * MIB);
	block(MIB + 128 * 1024); /* never written, never freed */
}

/* Sites of their own: the tests tell them apart by size. */
static int reused(void)
{
	fresh_heap();
	char *a = block(MIB + 64 * 1024);
	memset(a, 1, MIB + 64 * 1024);
	char *c = block(2 * MIB); /* after a: fresh */
	free(a); /* a free chunk on the heap, still resident */
	char *b = block(MIB); /* carved from a's chunk, never written */
	memset(c, 1, 2 * MIB);
	sleep_ms(150); /* probed while live */
	printf("reused: %s\n", b == a ? "a's memory" : "elsewhere");
	free(c);
	free(b);
	return 0;
}

/* Whether A and B lie in one VMA of /proc/self/maps. */
static bool one_vma(const void *a, const void *b)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool one = false;
	while (f && fgets(line, sizeof line, f)) {
		uintptr_t lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
		    lo <= (uintptr_t)a && (uintptr_t)a < hi)
			one = lo <= (uintptr_t)b && (uintptr_t)b < hi;
	}
	if (f)
		fclose(f);
	return one;
}

/* Frees the whole pages of [P, P + N) with MADV_FREE. */
static void free_lazily(char *p, size_t n)
{
	char *a = (char *)(((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
	madvise(a, (n - (size_t)(a - p)) & ~(size_t)(PAGE - 1), MADV_FREE);
}

static int madv_free_two(void)
{
	char *a = mmap(NULL, 80 * MIB, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a == MAP_FAILED)
		return 1;
	munmap(a, 80 * MIB); /* a place for both, taken at once */
	char *b = a + 32 * MIB;
	if (mmap(a, 32 * MIB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ||
	    mmap(b, 48 * MIB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return 1;
	memset(a, 1, 32 * MIB);
	memset(b, 1, 48 * MIB);
	sleep_ms(150);
	free_lazily(a, 32 * MIB);
	free_lazily(b, 48 * MIB);
	write_pages(b, 16 * MIB);
	sleep_ms(150);
	if (one_vma(a, b))
		puts("two: one vma");
	return 0;
}

static int half64k(void)
{
	fresh_heap();
	char *half = block(64 * 1024);
	char *none = block(64 * 1024 + 4096);
	memset(half, 1, 32 * 1024);
	sleep_ms(150);
	free(none);
	free(half);
	return 0;
}

/* The kernel marks MADV_FREE's pages lazily freed through a batch of the
 * CPU the call ran on; ovc empties it with a MADV_FREE of its own right
 * after, on the CPU it then runs on. A migration between the two (rare,
 * but seen under a loaded CI) leaves up to 60 KiB counted as touched for
 * seconds (docs/report-json.md): the madvise modes stay on the CPU they
 * start on, so their figures are exact. */
static void pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;
	CPU_ZERO(&set);
	if (cpu >= 0) {
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof set, &set);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "only-mmap") == 0) {
		char *p = mmap(NULL, 8 * GIB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		madvise(p, 8 * GIB, MADV_NOHUGEPAGE);
		write_pages(p, GIB);
	} else if (strcmp(mode, "bss-half") == 0) {
		write_pages(bss, sizeof bss / 2);
	} else if (strcmp(mode, "burst") == 0) {
		sleep_ms(30); /* a few ticks before */
		char *p = mmap(NULL, 300 * MIB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		write_pages(p, 300 * MIB);
		munmap(p, 300 * MIB);
		sleep_ms(30);
	} else if (strcmp(mode, "burst-wait") == 0) {
		char *p = mmap(NULL, 300 * MIB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		write_pages(p, 300 * MIB);
		munmap(p, 300 * MIB);
		puts("ready");
		fflush(stdout);
		for (;;)
			sleep_ms(1000);
	} else if (strcmp(mode, "thp") == 0) {
		char *p = block(4 * MIB);
		char *huge = (char *)(((uintptr_t)p + 2 * MIB - 1) & ~(2 * MIB - 1));
		madvise(huge, 2 * MIB, MADV_HUGEPAGE);
		huge[0] = 1;
		free(p);
	} else if (strncmp(mode, "zero-read", 9) == 0) {
		size_t n = strcmp(mode + 9, "-4m") == 0 ? 4 * MIB : 64 * MIB;
		volatile char *p = block(n);
		unsigned sum = 0;
		unsigned long long before = rss_anon();
		for (size_t i = 0; i < n; i += PAGE)
			sum += (unsigned)p[i];
		/* A kernel without the zero page (pvm_no_zero_page=1) gives
		 * read faults pages of their own: it counts them resident. */
		printf("zero-read: anon grew %llu\n", rss_anon() - before);
		free((void *)p);
		if (sum == 12345)
			puts("unlikely");
	} else if (strcmp(mode, "madv-free-two") == 0) {
		pin_cpu();
		madv_free_two();
	} else if (strcmp(mode, "dontneed") == 0 ||
		   strncmp(mode, "madv-free", 9) == 0) {
		pin_cpu();
		bool map = strcmp(mode, "madv-free-map") == 0;
		char *p = map ? mmap(NULL, 64 * MIB, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
			      : block(64 * MIB);
		if (p == MAP_FAILED)
			return 1;
		memset(p, 1, 64 * MIB);
		sleep_ms(150); /* probed while written */
		char *a = (char *)(((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
		size_t len = (64 * MIB - (size_t)(a - p)) & ~(size_t)(PAGE - 1);
		madvise(a, len, mode[0] == 'd' ? MADV_DONTNEED : MADV_FREE);
		sleep_ms(150); /* probed again; the block stays live to the end */
		if (strcmp(mode, "madv-free-again") == 0) {
			write_pages(a, len);
			/* nothing the sampler reads moves: the next read of
			 * smaps, at most 100 ms after the last, sees it */
			sleep_ms(300);
		}
	} else if (strcmp(mode, "cow") == 0) {
		char *p = block(64 * MIB);
		memset(p, 1, 64 * MIB);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			memset(p, 2, 32 * MIB);
			sleep_ms(100); /* a tick or two */
			_exit(0);
		}
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
			return 1;
	} else if (strcmp(mode, "threads") == 0) {
		threads();
	} else if (strcmp(mode, "reused") == 0) {
		reused();
	} else if (strcmp(mode, "half64k") == 0) {
		half64k();
	} else {
		fprintf(stderr, "usage: kernel only-mmap|bss-half|burst|thp|"
				"zero-read|dontneed|madv-free|madv-free-again|madv-free-map|"
				"madv-free-two|"
				"cow|threads|reused|half64k\n");
		return 2;
	}
	return report();
}
