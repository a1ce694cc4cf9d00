/* The floor of any heap tool with a background thread: a preload that
 * only starts one thread, which sleeps. glibc's malloc takes its arena
 * locks (atomic instructions) on every call it cannot serve from the
 * thread cache once a process has a second thread, so a single-threaded
 * program pays for a sampler thread even when the thread does nothing.
 * scripts/bench runs it as the tool "thread". */
#include <pthread.h>
#include <unistd.h>

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

__attribute__((constructor)) static void start(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, idle, NULL) == 0)
		pthread_detach(t);
}
