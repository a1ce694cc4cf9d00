/* Layer 0, base: what the services and the tracking core ask of the
 * sampler process, which stands above them (ticker.c): whether this code
 * runs in it, its own descriptors, a lock wait that notices the program
 * died, a drain of the log's buffer. The sampler fills in ovc_sampler_link
 * before it starts a sampler process; until then (and on machines without
 * one) every answer is "no". Function pointers, not calls: the lock, the
 * log, /proc's readers and the residency probe are below the sampler, and
 * the sampler calls them. Every call here is on a slow path (a contended
 * lock, a log write, a /proc read, a probe), never the hot path. */
#ifndef OVC_PRELOAD_SAMPLER_LINK_H
#define OVC_PRELOAD_SAMPLER_LINK_H

#include "base.h"

/** ovc's descriptors. The sampler process has copies of its own, made when
 * it started, which the program cannot close or replace. */
enum ovc_fd {
	OVC_FD_LOG,
	OVC_FD_STATM,
	OVC_FD_PAGEMAP,
	OVC_FD_STATUS,
	OVC_FD_ROLLUP, /* fork children only */
	OVC_FD_SMAPS,  /* while MADV_FREE'd ranges are kept (lazyfree.c) */
	OVC_FD_COUNT_
};

/** Filled in by the sampler (ticker.c) before it starts a sampler process,
 * never cleared (each function checks the process is still there); each
 * pointer is stored and loaded alone (relaxed atomics). */
struct ovc_sampler_link {
	bool (*in_sampler)(void);
	bool (*fd)(enum ovc_fd which, int *fd);
	void (*waiting)(void);
	bool (*drain)(size_t *len);
};
extern struct ovc_sampler_link ovc_sampler_link OVC_HIDDEN;

/** Called by the sampler process while it waits for a lock: if the
 * program is gone, writes its end (ovc_lifecycle_died) and exits the
 * sampler; else returns. No-op elsewhere. */
static inline void ovc_sampler_waiting(void)
{
	void (*f)(void) = OVC_LOAD(ovc_sampler_link.waiting);
	if (f)
		f();
}
/** Whether this code runs in the sampler process (its stack says so). No
 * thread-local storage, no system call. */
static inline bool ovc_in_sampler(void)
{
	bool (*f)(void) = OVC_LOAD(ovc_sampler_link.in_sampler);
	return f && f();
}
/** True when called in the sampler process; *FD is then its copy of
 * descriptor WHICH (-1: it has none). */
static inline bool ovc_sampler_fd(enum ovc_fd which, int *fd)
{
	bool (*f)(enum ovc_fd, int *) = OVC_LOAD(ovc_sampler_link.fd);
	return f && f(which, fd);
}
/** Asks the sampler process to write out the log's buffer, whose length
 * is *LEN, and waits (at most 200 ms, the log lock let go meanwhile) for
 * it to: for a program thread that cannot open the log itself. Caller
 * holds the log lock. False when there is no sampler process. */
static inline bool ovc_ticker_drain(size_t *len)
{
	bool (*f)(size_t *) = OVC_LOAD(ovc_sampler_link.drain);
	return f && f(len);
}

#endif
