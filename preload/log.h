/* Layer 1, services: the crash-tolerant appending writer and the
 * warnings (log.c). Writes go through one buffer under the log lock; no
 * allocation; raw system calls, errno untouched. It runs in the sampler
 * process too (its own descriptor), so no thread-local storage. */
#ifndef OVC_PRELOAD_LOG_H
#define OVC_PRELOAD_LOG_H

#include "base.h"
#include "fmt.h"

/* ---- log.c: the crash-tolerant appending writer ---- */

/** Creates a fresh log in DIR as OVC_LOG_PREFIX "<pid>.<k>" OVC_LOG_SUFFIX
 * with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600. Stores k in *K. False (errno
 * set) when no file can be created. Its descriptor stays open for the
 * writes of the image's start until ovc_log_settle. From the constructor
 * and in a fork child, while no other thread of ovc's runs and no code of
 * the program; not in the sampler. */
bool ovc_log_open(const char *dir, pid_t pid, unsigned *k) OVC_HIDDEN;
/** Closes the descriptor ovc_log_open left open: the program keeps no
 * descriptor of ovc's. */
void ovc_log_settle(void) OVC_HIDDEN;
/** Opens the log by path for writing (append), checked to be the file
 * ovc_log_open created; -errno when it cannot. For the sampler's own
 * descriptor and for the moment of a write. */
int ovc_log_open_fd(void) OVC_HIDDEN;
/** Appends one complete line (must end in '\n') to the log's buffer in
 * memory, writing the buffer out first when it is full (within
 * RLIMIT_FSIZE: the host must never get SIGXFSZ from ovc). On a failure
 * that cannot be mended, warns once and stops logging. Caller holds the
 * log lock. Hook-safe. */
void ovc_log_write(const char *line, size_t len) OVC_HIDDEN;
/** Where a line may be made in place, at the end of the log's buffer: the
 * bytes free there in *CAP; NULL when the log is off. ovc_log_write of a
 * line made there takes it without a copy. Caller holds the log lock. */
char *ovc_log_room(size_t *cap) OVC_HIDDEN;
/** Writes LINE to the log file at once, past the buffer: for an end record
 * written where the log lock cannot be had (a signal handler interrupted
 * ovc). */
void ovc_log_write_now(const char *line, size_t len) OVC_HIDDEN;
/** Writes the buffer out: ovc_log_flush takes the log lock, the _locked
 * one is called with it held (or by the sampler once the program is
 * gone). */
void ovc_log_flush(void) OVC_HIDDEN;
void ovc_log_flush_locked(void) OVC_HIDDEN;
/** Whether records wait in the buffer. Lock-free; sampler-safe. */
bool ovc_log_pending(void) OVC_HIDDEN;
/** Writes the line in B (which must end in '\n') unless it overflowed;
 * takes the log lock. Hook-safe. */
void ovc_record_write(struct ovc_buf *b) OVC_HIDDEN;
/** Forgets the current log and what its buffer holds (a fork child: the
 * parent writes it) before the child opens its own log. */
void ovc_log_forget(void) OVC_HIDDEN;
/** Whether a log is open and writable. Lock-free; sampler-safe. */
bool ovc_log_active(void) OVC_HIDDEN;
/** The current log's path ("" when none). Stable while the log lock is
 * held; sampler-safe. */
const char *ovc_log_path(void) OVC_HIDDEN;
/** Log lock, and its fork handlers. */
void ovc_log_lock(void) OVC_HIDDEN;
/** Takes the log lock if it is free; false otherwise. */
bool ovc_log_trylock(void) OVC_HIDDEN;
void ovc_log_unlock(void) OVC_HIDDEN;
void ovc_log_fork_child(void) OVC_HIDDEN;
/** Sends `ovc run` (OVC_RUN set) one message through its side channel:
 * WHY ("output": no log could be created; "log": the log stopped) and
 * MSG. Opens a socket for the moment. Hook-safe; not in the sampler. */
void ovc_side_send(const char *why, const char *msg) OVC_HIDDEN;

/** Remembers which file descriptor 2 is; from the constructor. */
void ovc_stderr_remember(void) OVC_HIDDEN;
/** Gives warning MSG at most once per KIND (a small integer below 64),
 * where OVC_WARN says: "ovc: warning: MSG" on the stderr the program
 * started with, a `warn` record in the log, or `ovc run`'s side channel
 * when the warning means there is no log. Hook-safe. */
void ovc_warn_once(unsigned kind, const char *msg) OVC_HIDDEN;
/** Gives the warnings the sampler process could not give itself (it has
 * no stderr, and no socket): from a program thread, at its records and at
 * its end. Hook-safe. */
void ovc_warn_flush(void) OVC_HIDDEN;
/** Writes "ovc: MSG\n" to stderr with one write(2), only while descriptor 2
 * is still the file it was at start (ovc_stderr_remember): never into a
 * file the program put there later. Hook-safe. */
void ovc_say(const char *msg) OVC_HIDDEN;

enum ovc_warn_kind {
	OVC_WARN_OPTION = 0, /* 0..OVC_OPT_COUNT_-1: one per option */
	OVC_WARN_OUTPUT = 32,
	OVC_WARN_LOG_WRITE,
	OVC_WARN_LOG_REOPEN,
	OVC_WARN_FSIZE,
	OVC_WARN_ARENA,
	OVC_WARN_TICKER,
	OVC_WARN_BOOT,
	OVC_WARN_ENV,
	OVC_WARN_REFUSALS,
	OVC_WARN_UNWIND,
};

/** Nanoseconds since this image's log began, for the `t` of records
 * written below the life cycle (the log's warnings, tracked blocks, the
 * budget's refusals). The life cycle's clock (ovc_lifecycle_ns, image.c),
 * registered by the constructor before any log is opened: a pointer,
 * because the log and the tracking core stand below the life cycle.
 * Hook-safe, sampler-safe. */
extern uint64_t (*ovc_log_clock)(void) OVC_HIDDEN;
static inline uint64_t ovc_log_ns(void)
{
	return ovc_log_clock ? ovc_log_clock() : 0;
}

#endif
