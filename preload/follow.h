/* Layer 5, the life cycle: which processes write logs, and untraced
 * programs (follow.c). At start and before an exec or spawn: hook-safe
 * (pages from mmap, raw system calls), never on the hot path or in the
 * sampler. */
#ifndef OVC_PRELOAD_FOLLOW_H
#define OVC_PRELOAD_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base.h"

/** Whether the image of EXE with PID writes a log (OVC_FOLLOW, OVC_ONLY).
 * At start (getenv, no lock). */
bool ovc_follow_wanted(const char *exe, pid_t pid) OVC_HIDDEN;
/** Before exec or spawn of FILE (searched in PATH when SEARCH): writes an
 * `untraced` record when the loader will not preload into it (static,
 * setuid, setgid). Hook-safe. */
void ovc_follow_exec(const char *file, bool search, char *const *envp,
		     uint64_t t_ns) OVC_HIDDEN;

#endif
