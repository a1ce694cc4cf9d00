/* The ticker: ovc's own sampler, which wakes every OVC_INTERVAL to write a
 * sample, so a process killed without warning still leaves its last
 * moments in the log.
 *
 * It is a process of its own where it can be: a child made with clone(2)
 * that shares the program's memory but is not one of its threads. A
 * thread is not free even while it sleeps: once a process has two, glibc
 * takes locks it otherwise skips (malloc's arena lock on every call its
 * thread cache cannot serve, stdio's stream locks), and a single-threaded
 * program pays about 7% for them (docs/performance.md).
 * With the sampler process, the program stays single-threaded in glibc's
 * eyes.
 *
 * The sampler process runs ovc's code only, and under three rules:
 * - No thread-local storage. Its thread pointer is a page of its own with
 *   inaccessible memory below it, so that a slip (errno, ovc_tls) faults at
 *   once in the tests instead of writing the program's variables. ovc's
 *   system calls are raw (sys.h) and its locks futexes (lock.c).
 * - No libc function that takes a lock or asks who the thread is.
 * - It may do no more than the program could. It starts with a copy of
 *   the program's descriptor table, closes all of it at once but the log
 *   (opened and locked for it by the program, which closes its own copy
 *   right after: a pipe the program closes must see its end), and opens
 *   ovc's others: the log, statm, status, smaps_rollup, smaps, pagemap, and the program's
 *   pidfd and stat (its exit status). The program itself keeps none of
 *   ovc's descriptors (log.c). Before its first tick it seals itself with
 *   a seccomp filter that allows I/O on those, futexes, clocks and the
 *   residency calls, and nothing else: no open, no signal, no mapping. A
 *   program that drops its privileges or sandboxes itself later cannot be
 *   attacked through it.
 *
 * At each tick it writes out the log's buffer (log.c). It outlives the
 * program when the program is killed: it sees its parent change (the
 * program is gone), writes what the program left in the buffer and the
 * end record with the program's exit status, and exits. It exits too when
 * the program's memory is no longer its own (an exec, seen with kcmp(2);
 * a program being killed loses its memory a moment before its parent
 * changes, and the sampler tells the two apart), and when asked (before
 * an exec, and after the end record). While it
 * runs it holds a shared flock(2) on the log: `ovc run` waits for it to go
 * before it reads the logs. A thread does the work instead on other
 * machines than x86-64, under the sanitizers and valgrind, when the
 * sampler cannot be started or sealed, and with OVC_SAMPLER=thread; then
 * a program killed by a signal leaves no end record. */
#include "account.h"
#include "config.h"
#include "log.h"
#include "procstat.h"
#include "sampler.h"
#include "sys.h"
#include "ticker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <dlfcn.h>
#include <time.h>

enum { OFF, THREAD, PROCESS };
static int mode;
static bool thread_only; /* the program waits for clone children */

struct ovc_ticker_step ovc_ticker_step;

void ovc_ticker_steps(void (*tick)(pid_t owner), void (*died)(int wstatus))
{
	ovc_ticker_step.tick = tick;
	ovc_ticker_step.died = died;
}

bool ovc_ticker_is_process(void)
{
	return mode == PROCESS;
}

/* The time of the tick after the one due at NEXT; after a long stall (a
 * stopped process) the ticks missed are not caught up with. */
uint64_t ovc_ticker_next(uint64_t next)
{
	uint64_t now = ovc_now_ns();
	if (now > next + 1000000000u)
		next = now;
	return next + ovc_cfg.interval_ms * 1000000u;
}

struct timespec ovc_ticker_at(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u),
			      (long)(ns % 1000000000u)};
	return ts;
}

/* ---- a thread ---- */

static void *ticker_main(void *arg)
{
	(void)arg;
	ovc_tls_guard = 1; /* nothing this thread does is the program's */
	pid_t owner = ovc_sys_getpid();
	for (uint64_t next = ovc_ticker_next(ovc_now_ns());; next = ovc_ticker_next(next)) {
		struct timespec ts = ovc_ticker_at(next);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
		       EINTR)
			;
		ovc_ticker_step.tick(owner);
		ovc_log_flush();
	}
	return NULL;
}

static bool thread_start(void)
{
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
	if (err != 0)
		return false;
	pthread_setname_np(tid, "ovc-ticker");
	/* glibc ends the process when its count of threads drops to zero:
	 * the last thread's pthread_exit or return from its function calls
	 * exit(0). This thread must not keep the process alive then (a
	 * program whose last thread ends that way hung under ovc): it is not
	 * counted. It never ends by itself, so the count is not lowered
	 * twice; exit, exec and fork end or drop it without counting. */
	int *nthreads = dlvsym(RTLD_DEFAULT, "__nptl_nthreads", "GLIBC_PRIVATE");
	if (nthreads)
		__atomic_fetch_sub(nthreads, 1, __ATOMIC_ACQ_REL);
	return true;
}

/* ---- start and stop ---- */

void ovc_ticker_start(void)
{
	if (mode != OFF)
		return;
	int saved = errno;
	ovc_tls_guard++;
#if SAMPLER_PROCESS
	if (ovc_cfg.sampler == OVC_SAMPLER_PROCESS && !thread_only &&
	    ovc_sampler_start())
		mode = PROCESS;
#endif
	if (mode == OFF) {
		if (thread_start())
			mode = THREAD;
		else
			ovc_warn_once(OVC_WARN_TICKER,
				      "cannot start ovc's sampler; only the "
				      "samples at exit will be written");
	}
	ovc_tls_guard--;
	errno = saved;
}

bool ovc_ticker_pause(bool wait)
{
#if SAMPLER_PROCESS
	if (mode == PROCESS) {
		ovc_sampler_stop(wait);
		mode = OFF;
		return true;
	}
#endif
	return false;
}

bool ovc_ticker_thread_only(void)
{
	thread_only = true;
	if (mode == THREAD)
		return false;
	/* Stopped and reaped here, so the program's wait does not see it. */
	return ovc_ticker_pause(true);
}

void ovc_ticker_fork_child(void)
{
#if SAMPLER_PROCESS
	ovc_sampler_fork_child();
#endif
	mode = OFF;
}
