/* Layer 4, the sampler (ticker.c): a process sharing the program's memory,
 * or a thread, that calls the life cycle's step every OVC_INTERVAL. Its
 * calls up (a tick, a death it saw) are the two steps the life cycle
 * registers at start (ovc_ticker_steps): the sampler stands below the life
 * cycle, which starts and stops it. What the lower layers ask of it is
 * sampler-link.h. Called only from the life cycle, never from a hook's hot
 * path. */
#ifndef OVC_PRELOAD_TICKER_H
#define OVC_PRELOAD_TICKER_H

#include <sys/types.h>

#include "base.h"

/** Starts the ticker: a process sharing the program's memory when it can
 * be had, else a thread; either with every signal blocked. Hook-safe (a
 * thread's own allocations pass untracked under the guard); saves errno. */
void ovc_ticker_start(void) OVC_HIDDEN;
/** Stops a sampler process before an exec (it would keep the old memory
 * and descriptors alive) or at the end; true when one was stopped, to
 * start again if the exec fails. WAIT: until it exited (at most 200 ms);
 * not when this thread may hold a lock the sampler waits for. A thread is
 * left alone: the exec or the exit ends it. */
bool ovc_ticker_pause(bool wait) OVC_HIDDEN;
/** From now on the ticker is a thread, never a process (the program
 * waits for clone children); a sampler process running is stopped and
 * reaped first. Returns whether a ticker was running. */
bool ovc_ticker_thread_only(void) OVC_HIDDEN;
/** Marks the ticker as not running (fork child: neither a thread nor the
 * sampler process is the child's). */
void ovc_ticker_fork_child(void) OVC_HIDDEN;

/** The life cycle's two steps, registered once by the constructor
 * (start.c) before the ticker may start: TICK (ovc_lifecycle_tick) at
 * every interval, DIED (ovc_lifecycle_died) when the sampler process sees
 * the program gone. Pointers, because the sampler is below the life cycle
 * that calls it. Called in the sampler process: no TLS, no libc lock. */
void ovc_ticker_steps(void (*tick)(pid_t owner), void (*died)(int wstatus)) OVC_HIDDEN;

#endif
