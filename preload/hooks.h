/* What the files of libovc.so's exported layer (hooks.c, hooks-wait.c)
 * share. */
#ifndef OVC_PRELOAD_HOOKS_H
#define OVC_PRELOAD_HOOKS_H

#include "base.h"
#include "boot.h"

#define EXPORT __attribute__((visibility("default")))

/** syscall(2)'s hook, for a signal the process sends itself through it
 * (SYS_kill, SYS_tgkill, SYS_tkill): starts the sampler first, as raise
 * and kill do (hooks-wait.c). */
void ovc_hook_syscall_signal(long nr, long a, long b, long c) OVC_HIDDEN;

/** Whether the real functions are known (booting them now if not): every
 * hook asks before it forwards. Inline: the hot path's first test. */
static inline bool ready(void)
{
	return OVC_LIKELY(__atomic_load_n(&ovc_booted, __ATOMIC_ACQUIRE)) ||
	       ovc_boot();
}

#endif
