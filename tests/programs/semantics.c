/* Checks, from inside the process, that every hooked function behaves as
 * glibc's does: results, failures and their errno, errno left alone on
 * success, alignment, zeroing, content kept by realloc, and that a big calloc
 * or malloc stays untouched (no page of it made resident). Run it plain and
 * under libovc.so: it must pass both ways. Exits 0 when every check holds, 1
 * otherwise, naming each failed check on stderr.
 *
 * Makes exactly 10 calls that fail (ENOMEM or EINVAL); realloc(p, 0), which
 * frees p and returns NULL, is an 11th call that returns NULL.
 *
 * Usage: semantics */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ONE_GIB ((size_t)1 << 30)
#define ONE_MIB ((size_t)1 << 20)
#define ERRNO_MARK 1234
/* How much a 1 GiB calloc or malloc may add to the resident set: the
 * allocator's and ovc's bookkeeping, not the block. */
#define UNTOUCHED_SLACK (4 * ONE_MIB)

static int checks, failures;
/* Through volatiles, so that gcc neither warns about the sizes that are
 * meant to fail nor folds the calls. */
static volatile size_t huge = SIZE_MAX;
static volatile size_t half = SIZE_MAX / 2 + 1;
static size_t page;

#define CHECK(cond)                                                            \
	do {                                                                   \
		checks++;                                                      \
		if (!(cond)) {                                                 \
			failures++;                                            \
			fprintf(stderr, "semantics: line %d: failed: %s\n",   \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

/* errno after a call that succeeded must still be the mark set before it. */
#define MARK() (errno = ERRNO_MARK)
#define KEPT() (errno == ERRNO_MARK)

static int aligned(const void *p, size_t alignment)
{
	return p != NULL && (uintptr_t)p % alignment == 0;
}

static int all_bytes(const void *p, size_t n, unsigned char value)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != value)
			return 0;
	return 1;
}

/* Resident bytes of this process from /proc/self/statm, read without stdio
 * (fopen allocates). Returns 0 if unreadable. */
static size_t resident_bytes(void)
{
	char buf[256];
	unsigned long size_pages = 0, resident_pages = 0;
	ssize_t n;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%lu %lu", &size_pages, &resident_pages) != 2)
		return 0;
	return resident_pages * page;
}

static void check_malloc_free(void)
{
	void *p;

	MARK();
	p = malloc(0);
	CHECK(p != NULL && KEPT());
	MARK();
	free(p);
	CHECK(KEPT());
	MARK();
	free(NULL);
	CHECK(KEPT());

	MARK();
	p = malloc(100);
	CHECK(p != NULL && KEPT() && malloc_usable_size(p) >= 100);
	CHECK(aligned(p, 2 * sizeof(size_t)));
	free(p);
	CHECK(malloc_usable_size(NULL) == 0);

	MARK();
	p = malloc(huge);                                         /* fails: 1 */
	CHECK(p == NULL && errno == ENOMEM);

	/* A block of its own mapping (above the mmap threshold): freeing it
	 * munmaps, which must leave errno alone too. */
	MARK();
	p = malloc(8 * ONE_MIB);
	CHECK(p != NULL && KEPT());
	MARK();
	free(p);
	CHECK(KEPT());
}

static void check_calloc(void)
{
	unsigned char *p;

	MARK();
	p = calloc(half, 2);                                      /* fails: 2 */
	CHECK(p == NULL && errno == ENOMEM);
	MARK();
	p = calloc(0, 10);
	CHECK(p != NULL && KEPT());
	free(p);

	/* Zeroed even where the memory is reused: dirty a chunk, free it,
	 * calloc the same size (glibc hands the same chunk back). */
	p = malloc(4000);
	CHECK(p != NULL);
	if (p != NULL) {
		memset(p, 0xaa, 4000);
		free(p);
	}
	MARK();
	p = calloc(500, 8);
	CHECK(p != NULL && KEPT() && all_bytes(p, 4000, 0));
	free(p);
}

static void check_realloc(void)
{
	unsigned char *p, *q;
	unsigned char *volatile keep;

	MARK();
	p = realloc(NULL, 100);
	CHECK(p != NULL && KEPT());
	if (p == NULL)
		return;
	memset(p, 0x5a, 100);
	MARK();
	q = realloc(p, 100000);
	CHECK(q != NULL && KEPT() && all_bytes(q, 100, 0x5a));
	if (q == NULL)
		return;
	p = q;
	MARK();
	q = realloc(p, 2 * ONE_MIB);                 /* into a mapping of its own */
	CHECK(q != NULL && KEPT() && all_bytes(q, 100, 0x5a));
	if (q == NULL)
		return;
	p = q;
	MARK();
	q = realloc(p, 10);
	CHECK(q != NULL && KEPT() && all_bytes(q, 10, 0x5a));
	if (q == NULL)
		return;
	p = q;
	MARK();
	keep = p;        /* gcc cannot know that a failed realloc keeps p */
	q = realloc(p, huge);                                     /* fails: 3 */
	p = keep;
	CHECK(q == NULL && errno == ENOMEM);
	CHECK(all_bytes(p, 10, 0x5a));                /* p is still p's */
	/* glibc: realloc(p, 0) frees p and returns NULL. */
	q = realloc(p, 0);
	CHECK(q == NULL);

	MARK();
	p = reallocarray(NULL, 10, 10);
	CHECK(p != NULL && KEPT());
	if (p == NULL)
		return;
	memset(p, 0x33, 100);
	MARK();
	q = reallocarray(p, 20, 10);
	CHECK(q != NULL && KEPT() && all_bytes(q, 100, 0x33));
	if (q == NULL)
		return;
	p = q;
	MARK();
	keep = p;
	q = reallocarray(p, half, 4);                             /* fails: 4 */
	p = keep;
	CHECK(q == NULL && errno == ENOMEM && all_bytes(p, 100, 0x33));
	free(p);
}

static void check_aligned(void)
{
	void *p, *untouched = (void *)&p;
	int rc;

	/* posix_memalign reports by its result and leaves *memptr alone on
	 * failure (POSIX). */
	p = untouched;
	MARK();
	rc = posix_memalign(&p, 3, 16);                           /* fails: 5 */
	CHECK(rc == EINVAL && p == untouched && KEPT());
	p = untouched;
	rc = posix_memalign(&p, 64, huge);                        /* fails: 6 */
	CHECK(rc == ENOMEM && p == untouched);
	for (size_t a = sizeof(void *); a <= ONE_MIB; a *= 8) {
		p = NULL;
		MARK();
		rc = posix_memalign(&p, a, 100);
		CHECK(rc == 0 && aligned(p, a) && KEPT());
		free(p);
	}

	MARK();
	p = aligned_alloc(64, 256);
	CHECK(aligned(p, 64) && KEPT());
	free(p);
	MARK();
	p = aligned_alloc(4096, 4096);
	CHECK(aligned(p, 4096) && KEPT());
	free(p);
	MARK();
	p = aligned_alloc(64, huge);                              /* fails: 7 */
	CHECK(p == NULL && errno == ENOMEM);

	MARK();
	p = memalign(32, 100);
	CHECK(aligned(p, 32) && KEPT());
	free(p);
	MARK();
	p = memalign(1 << 16, 1);
	CHECK(aligned(p, 1 << 16) && KEPT());
	free(p);
	/* glibc rounds an alignment that is not a power of two up to one. */
	MARK();
	p = memalign(48, 100);
	CHECK(aligned(p, 64) && KEPT());
	free(p);
	MARK();
	p = memalign(64, huge);                                   /* fails: 8 */
	CHECK(p == NULL && errno == ENOMEM);

	MARK();
	p = valloc(1);
	CHECK(aligned(p, page) && KEPT());
	free(p);
	MARK();
	p = valloc(huge);                                         /* fails: 9 */
	CHECK(p == NULL && errno == ENOMEM);

	MARK();
	p = pvalloc(1);
	CHECK(aligned(p, page) && KEPT() && malloc_usable_size(p) >= page);
	free(p);
	MARK();
	p = pvalloc(huge);                                        /* fails: 10 */
	CHECK(p == NULL && errno == ENOMEM);
}

/* 1 GiB from calloc and from malloc: address space only. calloc must not
 * clear fresh mmap memory by writing to it (the kernel gives zero pages). */
static void check_untouched(void)
{
	size_t before, after;
	unsigned char *p;

	before = resident_bytes();
	MARK();
	p = calloc(1, ONE_GIB);
	after = resident_bytes();
	CHECK(p != NULL && KEPT());
	CHECK(before > 0 && after < before + UNTOUCHED_SLACK);
	if (p != NULL) {
		CHECK(p[0] == 0 && p[ONE_GIB / 2] == 0 && p[ONE_GIB - 1] == 0);
		free(p);
	}

	before = resident_bytes();
	p = malloc(ONE_GIB);
	after = resident_bytes();
	CHECK(p != NULL);
	CHECK(before > 0 && after < before + UNTOUCHED_SLACK);
	free(p);
}

/* glibc's malloc tunes itself from what the program frees: freeing a
 * mapped chunk above the mmap threshold (128 KiB at start) raises the
 * threshold to its size. ovc must free nothing of the kind on the
 * program's behalf: a 200 KiB block, first of the program's, is mapped as
 * it is plain. Read from the chunk's header (glibc's layout: bit 2 of the
 * size word in front of the block), so it runs first, before this program
 * frees any block itself. */
static void check_tuning(void)
{
	void *p = malloc(200 * 1024);
	/* through an integer: gcc would see a read before the object */
	uintptr_t head = (uintptr_t)p - sizeof(size_t);
	CHECK(p && (*(const volatile size_t *)head & 2));
	free(p);
}

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	check_tuning();
	check_malloc_free();
	check_calloc();
	check_realloc();
	check_aligned();
	check_untouched();
	printf("semantics: %d of %d checks held\n", checks - failures, checks);
	return failures == 0 ? 0 : 1;
}
