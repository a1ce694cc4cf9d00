/* Stress under the preload: THREADS workers each make OPS mixed calls of
 * the malloc family (small, sampled and large blocks, realloc chains,
 * aligned ones), spawn detached threads that exit without being joined,
 * while one more thread forks every FORK_MS milliseconds and the child
 * execs this program again ("child" mode: a few allocations, exit 0).
 *
 * Usage: stress THREADS OPS FORK_MS [MIN_FORKS]
 *        stress child
 * stdout: one line that depends only on THREADS and OPS (so a plain run
 * and a traced one print the same). stderr: "stress: expect malloc=N
 * calloc=N realloc=N free=N posix_memalign=N aligned_alloc=N forks=N
 * detached=N", the calls the workers made (libc's own come on top). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLOTS 64
#define LARGE (256 * 1024)

enum { F_MALLOC, F_CALLOC, F_REALLOC, F_FREE, F_MEMALIGN, F_ALIGNED, F_N };

struct worker {
	pthread_t tid;
	unsigned seed;
	long ops;
	uint64_t calls[F_N];
	uint64_t checksum;
	long detached;
};

static const char *self_path;
static long fork_ms;
static long min_forks; /* MIN_FORKS: forks made however fast the workers are */
static volatile int workers_done;
static long detached_live;
static pthread_mutex_t detached_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void *detached_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < 16; i++) {
		char *p = malloc(100 + (size_t)i * 10);
		if (p)
			p[0] = 1;
		free(p);
	}
	pthread_mutex_lock(&detached_lock);
	detached_live--;
	pthread_mutex_unlock(&detached_lock);
	return NULL; /* never joined */
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	void *slot[SLOTS] = {0};
	uint64_t s = 0x9e3779b97f4a7c15ull * (w->seed + 1);
	for (long i = 0; i < w->ops; i++) {
		uint64_t r = next(&s);
		unsigned k = (unsigned)(r >> 8) % SLOTS;
		size_t n = 8 + (size_t)((r >> 16) % 2000);
		if ((r >> 40) % 1024 == 0)
			n = LARGE + (size_t)((r >> 20) % 4096);
		if (slot[k]) {
			if ((r & 7) == 0) {
				void *q = realloc(slot[k], n);
				w->calls[F_REALLOC]++;
				if (q) {
					((char *)q)[0] = (char)i;
					slot[k] = q;
					w->checksum += n;
				}
				continue;
			}
			free(slot[k]);
			w->calls[F_FREE]++;
			slot[k] = NULL;
			continue;
		}
		void *p = NULL;
		switch ((r >> 3) % 8) {
		case 0:
			p = calloc(1, n);
			w->calls[F_CALLOC]++;
			break;
		case 1:
			if (posix_memalign(&p, 64, n) != 0)
				p = NULL;
			w->calls[F_MEMALIGN]++;
			break;
		case 2:
			p = aligned_alloc(32, (n + 31) & ~(size_t)31);
			w->calls[F_ALIGNED]++;
			break;
		default:
			p = malloc(n);
			w->calls[F_MALLOC]++;
			break;
		}
		if (p) {
			((char *)p)[0] = (char)i;
			((char *)p)[n - 1] = (char)i;
			w->checksum += n;
		}
		slot[k] = p;
		if (i % (w->ops / 4 + 1) == w->ops / 8) {
			pthread_t t;
			pthread_attr_t a;
			pthread_attr_init(&a);
			pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
			pthread_mutex_lock(&detached_lock);
			detached_live++;
			pthread_mutex_unlock(&detached_lock);
			if (pthread_create(&t, &a, detached_main, NULL) == 0) {
				w->detached++;
			} else {
				pthread_mutex_lock(&detached_lock);
				detached_live--;
				pthread_mutex_unlock(&detached_lock);
			}
			pthread_attr_destroy(&a);
		}
	}
	for (int k = 0; k < SLOTS; k++) {
		if (slot[k]) {
			free(slot[k]);
			w->calls[F_FREE]++;
		}
	}
	return NULL;
}

static void *forker_main(void *arg)
{
	long *forks = arg;
	/* at least MIN_FORKS, however fast the workers are: h-stress wants
	 * images that fork and exec while (and, on a fast run, after) they
	 * count */
	while (!__atomic_load_n(&workers_done, __ATOMIC_ACQUIRE) ||
	       *forks < min_forks) {
		usleep((useconds_t)fork_ms * 1000);
		pid_t pid = fork();
		if (pid == 0) {
			execl(self_path, self_path, "child", (char *)NULL);
			_exit(127);
		}
		if (pid < 0)
			continue;
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "stress: child %d ended with status %#x\n",
				(int)pid, st);
			exit(3);
		}
		(*forks)++;
	}
	return NULL;
}

static int child(void)
{
	for (int i = 0; i < 100; i++) {
		char *p = malloc(64 + (size_t)i);
		if (!p)
			return 1;
		p[0] = 0;
		free(p);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "child") == 0)
		return child();
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: stress THREADS OPS FORK_MS [MIN_FORKS]\n");
		return 2;
	}
	min_forks = argc == 5 ? atol(argv[4]) : 0;
	self_path = argv[0];
	int threads = atoi(argv[1]);
	long ops = atol(argv[2]);
	fork_ms = atol(argv[3]);
	if (threads < 1 || threads > 64 || ops < 1 || fork_ms < 1) {
		fprintf(stderr, "stress: bad arguments\n");
		return 2;
	}
	struct worker *w = calloc((size_t)threads, sizeof *w);
	if (!w)
		return 1;
	long forks = 0;
	pthread_t forker;
	if (pthread_create(&forker, NULL, forker_main, &forks) != 0)
		return 1;
	for (int i = 0; i < threads; i++) {
		w[i].seed = (unsigned)i;
		w[i].ops = ops;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0)
			return 1;
	}
	uint64_t calls[F_N] = {0}, checksum = 0;
	long detached = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].tid, NULL);
		for (int f = 0; f < F_N; f++)
			calls[f] += w[i].calls[f];
		checksum += w[i].checksum;
		detached += w[i].detached;
	}
	__atomic_store_n(&workers_done, 1, __ATOMIC_RELEASE);
	pthread_join(forker, NULL);
	/* Wait for the detached threads to have run (they are not joined). */
	for (int i = 0; i < 5000; i++) {
		pthread_mutex_lock(&detached_lock);
		long left = detached_live;
		pthread_mutex_unlock(&detached_lock);
		if (left == 0)
			break;
		usleep(1000);
	}
	printf("stress: %d threads x %ld ops, checksum %llu\n", threads, ops,
	       (unsigned long long)checksum);
	fflush(stdout);
	fprintf(stderr,
		"stress: expect malloc=%llu calloc=%llu realloc=%llu free=%llu "
		"posix_memalign=%llu aligned_alloc=%llu forks=%ld detached=%ld\n",
		(unsigned long long)calls[F_MALLOC],
		(unsigned long long)calls[F_CALLOC],
		(unsigned long long)calls[F_REALLOC],
		(unsigned long long)calls[F_FREE],
		(unsigned long long)calls[F_MEMALIGN],
		(unsigned long long)calls[F_ALIGNED], forks, detached);
	free(w);
	return 0;
}
