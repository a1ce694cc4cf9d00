/* The ticker: a thread of ovc's own that wakes every OVC_INTERVAL to write
 * a sample, so a process killed without warning still leaves its last
 * moments in the log. */
#include "core.h"

#include <pthread.h>
#include <signal.h>
#include <errno.h>
#include <time.h>

static bool running;

static void *ticker_main(void *arg)
{
	(void)arg;
	ovc_tls_guard = 1; /* nothing this thread does is the program's */
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		uint64_t ns = (uint64_t)next.tv_nsec + ovc_cfg.interval_ms * 1000000u;
		next.tv_sec += (time_t)(ns / 1000000000u);
		next.tv_nsec = (long)(ns % 1000000000u);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		ovc_lifecycle_tick();
		/* After a long stall (a stopped process), do not try to catch up. */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec + 1)
			next = now;
	}
	return NULL;
}

void ovc_ticker_start(void)
{
	if (running)
		return;
	ovc_tls_guard++;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* The thread starts with every signal blocked, so the program's
	 * signals keep going to the program's own threads. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t tid;
	int err = pthread_create(&tid, &attr, ticker_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (err == 0) {
		running = true;
		pthread_setname_np(tid, "ovc-ticker");
	} else {
		ovc_warn_once(OVC_WARN_TICKER,
			      "cannot start ovc's sampling thread; only the "
			      "samples at exit will be written");
	}
	ovc_tls_guard--;
}

void ovc_ticker_fork_child(void)
{
	running = false;
}
