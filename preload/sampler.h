/* Layer 4, the sampler: what its two files share, ticker.c (a thread; when
 * it starts and stops) and sampler.c (the sampler process); not for other
 * parts (they use ticker.h). */
#ifndef OVC_PRELOAD_SAMPLER_H
#define OVC_PRELOAD_SAMPLER_H

#include <time.h>

#include "base.h"
#include "sys.h"

/* The sanitizers keep per-thread state the sampler process would share
 * with the thread that made it (gcc defines __SANITIZE_*, clang answers
 * __has_feature). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||     \
	__has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif

#if OVC_SYS_RAW && !defined(SANITIZED)
#define SAMPLER_PROCESS 1
#else
#define SAMPLER_PROCESS 0
#endif

/** The life cycle's steps (ovc_ticker_steps): the sampler calls up through
 * them, being below the life cycle, which starts and stops it. */
struct ovc_ticker_step {
	void (*tick)(pid_t owner);
	void (*died)(int wstatus);
};
extern struct ovc_ticker_step ovc_ticker_step OVC_HIDDEN;
/** Whether the ticker runs as the sampler process now. */
bool ovc_ticker_is_process(void) OVC_HIDDEN;
/** The time of the tick after the one due at NEXT (ticker.c). No TLS. */
uint64_t ovc_ticker_next(uint64_t next) OVC_HIDDEN;
/** NS as a timespec. */
struct timespec ovc_ticker_at(uint64_t ns) OVC_HIDDEN;

#if SAMPLER_PROCESS
/** Starts the sampler process (sampler.c); false when it cannot be had
 * (then a thread samples). */
bool ovc_sampler_start(void) OVC_HIDDEN;
/** Asks the sampler process to exit; WAIT: for at most 200 ms. */
void ovc_sampler_stop(bool wait) OVC_HIDDEN;
/** In a fork child: the parent's sampler's memory is released. */
void ovc_sampler_fork_child(void) OVC_HIDDEN;
#endif

#endif
