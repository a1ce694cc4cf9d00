/* Layer 5, the life cycle: what the hooks ask of the image's start,
 * samples and end (start.c, image.c, end.c, env.c). Their shared state is
 * image.h, for those four files only. Each function runs on a slow path
 * (an exit, an exec, a wait, a new thread), takes the log lock where it
 * writes, and keeps errno unless it says otherwise. */
#ifndef OVC_PRELOAD_LIFECYCLE_H
#define OVC_PRELOAD_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base.h"

/** Nanoseconds since this image's log began. Hook-safe, sampler-safe. The
 * layers below reach it as ovc_log_ns (log.h). */
uint64_t ovc_lifecycle_ns(void) OVC_HIDDEN;
/** In the sampler process, once the program is gone: writes what the
 * program left in the buffer and, unless the program wrote one, the end
 * record that WSTATUS (a wait(2) status; -1: unknown) says. */
void ovc_lifecycle_died(int wstatus) OVC_HIDDEN;

/** One ticker step for the image of process OWNER (nothing when the image
 * is another's): writes a sample when something changed or a second
 * passed. Takes the log lock. Runs in the sampler process: no
 * thread-local storage, no libc locks (ticker.c). */
void ovc_lifecycle_tick(pid_t owner) OVC_HIDDEN;
/** A slow path or a waiting call of the program, seen while
 * ovc_sampler_due: starts the sampler when the image has lived its first
 * interval, or will have by the end of a wait of WAIT_NS (OVC_WAIT_LONG:
 * no end set, 0: not a wait). A slow path (0) of a young image
 * (OVC_YOUNG_NS) writes a sample of its own instead, at most once an
 * interval. Hook-safe; saves errno. */
void ovc_lifecycle_poke(uint64_t wait_ns) OVC_HIDDEN;
/** ovc_lifecycle_poke for a waiting call that a signal's handler cuts short
 * (EINTR): true when a signal the program handles was delivered while ovc
 * worked here; the call then returns interrupted instead of waiting. */
bool ovc_lifecycle_poke_wait(uint64_t wait_ns) OVC_HIDDEN;
#define OVC_WAIT_LONG UINT64_MAX
/** An image younger than this samples itself at its slow paths: most of
 * a test suite's short programs (an interpreter's start) end before it,
 * and a sampler would be a third of what ovc costs them. */
#define OVC_YOUNG_NS 50000000u
/** A block at least this large starts the sampler at once: writing it
 * can outlast an interval without another call into ovc (the article's
 * program), and only the sampler sees that. */
#define OVC_SAMPLER_NOW_BYTES ((size_t)64 << 20)
/** The program is about to wait for clone children (__WALL, __WCLONE: a
 * tracer), which would see a sampler process: it is stopped and reaped
 * now, and a thread samples from then on. Hook-safe. */
void ovc_lifecycle_clone_wait(void) OVC_HIDDEN;
/** Writes a final sample and an `end` record with CODE (VIA names the
 * function: "exit" or "_exit"); once per image. Hook-safe. */
void ovc_lifecycle_end(int code, const char *via) OVC_HIDDEN;
/** The program reaped child PID with wait status WSTATUS: a child killed
 * by a signal before its sampler started (its first interval) gets its
 * end record here, in its newest log, when that log is this process's
 * child's, has no end and no sampler holds it (end.c). Hook-safe; saves
 * errno. */
void ovc_lifecycle_child_died(pid_t pid, int wstatus) OVC_HIDDEN;
/** Remembers libovc.so's path and the OVC_* settings this image started
 * with, to add back where an exec's environment lacks them (env.c). */
void ovc_env_remember(void) OVC_HIDDEN;
/** The calling thread is about to end by VIA ("pthread_exit" or
 * "thread_return"): if glibc then ends the process with exit(0) because it
 * was the last thread, the end record says so. Hook-safe. */
void ovc_lifecycle_thread_ending(const char *via) OVC_HIDDEN;
/** Writes a final sample and an `exec` record for PATH (searched in PATH
 * when SEARCH), unless this is a vfork child sharing the parent's memory.
 * Hook-safe. */
void ovc_lifecycle_exec(const char *path, bool search,
			char *const *envp) OVC_HIDDEN;
/** After an exec that failed (and returned): starts again what
 * ovc_lifecycle_exec stopped. Hook-safe; saves errno. */
void ovc_lifecycle_exec_failed(void) OVC_HIDDEN;
/** An environment for an exec that keeps ovc loaded: ENVP itself when it
 * already has our LD_PRELOAD and OVC_* settings, otherwise a copy in ovc's
 * arena with them added. Hook-safe. */
char *const *ovc_lifecycle_exec_env(char *const *envp) OVC_HIDDEN;

#endif
