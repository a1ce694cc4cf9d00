/* The ways a process can end, for the preload to record.
 *
 * Usage: exits MODE
 *   exit-race   4 threads allocate without pause; once they made 4,000
 *               mallocs, main calls exit(3) while they go on
 *   return-race the same, main returns 8 from main
 *   unjoined    16 threads that allocate and end without being joined;
 *               main returns 7 once they are gone
 *   quick_exit  quick_exit(4) (an at_quick_exit handler prints a line)
 *   _exit       _exit(5)
 *   _Exit       _Exit(6)
 *   abort       abort() (SIGABRT)
 * Prints "exits: MODE" on stdout first. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int gone;
static unsigned long made; /* mallocs of the spinners so far */

static void *spin(void *arg)
{
	(void)arg;
	for (unsigned long i = 0;; i++) {
		__atomic_fetch_add(&made, 1, __ATOMIC_RELAXED);
		void *p = malloc(32 + i % 3000);
		void *q = (i % 64 == 0) ? malloc(300 * 1024) : NULL;
		free(p);
		free(q);
	}
	return NULL;
}

static void *brief(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++)
		free(malloc(64));
	__atomic_fetch_add(&gone, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void on_quick(void)
{
	printf("exits: at_quick_exit handler\n");
	fflush(stdout);
}

static void start(void *(*fn)(void *), int n, int detach)
{
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, fn, NULL) != 0)
			exit(2);
		if (detach)
			pthread_detach(t);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: exits MODE\n");
		return 2;
	}
	const char *m = argv[1];
	printf("exits: %s\n", m);
	fflush(stdout);
	if (strcmp(m, "exit-race") == 0 || strcmp(m, "return-race") == 0) {
		start(spin, 4, 1);
		/* A known amount done before exit (a busy machine may not run
		 * the threads for a while), then exit while they go on. */
		while (__atomic_load_n(&made, __ATOMIC_RELAXED) < 4000)
			usleep(1000);
		if (m[0] == 'e')
			exit(3);
		return 8;
	}
	if (strcmp(m, "unjoined") == 0) {
		start(brief, 16, 0); /* joinable, but never joined */
		while (__atomic_load_n(&gone, __ATOMIC_ACQUIRE) < 16)
			usleep(1000);
		usleep(10000);
		return 7;
	}
	free(malloc(1000));
	if (strcmp(m, "quick_exit") == 0) {
		at_quick_exit(on_quick);
		quick_exit(4);
	}
	if (strcmp(m, "_exit") == 0)
		_exit(5);
	if (strcmp(m, "_Exit") == 0)
		_Exit(6);
	if (strcmp(m, "abort") == 0)
		abort();
	fprintf(stderr, "exits: unknown mode %s\n", m);
	return 2;
}
