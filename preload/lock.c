/* The slow paths of ovc_lock (lock.h): spin a little, then sleep on a
 * futex, in the manner of Drepper's "Futexes Are Tricky" (mutex 2). */
#include "lock.h"
#include "sampler-link.h"
#include "sys.h"

#include <linux/futex.h>
#include <time.h>

/* Spins before sleeping: a tracked allocation holds the lock for well
 * under a microsecond, much less than a sleep and a wake-up cost. */
#define SPINS 200

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#else
	__asm__ volatile("" ::: "memory");
#endif
}

void ovc_lock_wait(struct ovc_lock *l)
{
	for (int i = 0; i < SPINS; i++) {
		if (!__atomic_load_n(&l->v, __ATOMIC_RELAXED) && ovc_lock_try(l))
			return;
		relax();
	}
	/* Mark it contended; whoever gives it back wakes one sleeper. */
	/* The sampler process does not wait for ever: the program may have
	 * died holding the lock (SIGKILL), and then the sampler writes the
	 * program's end and exits (ticker.c). */
	bool sampler = ovc_in_sampler();
	struct timespec ts = {0, 10000000};
	while (__atomic_exchange_n(&l->v, 2, __ATOMIC_ACQUIRE) != 0) {
		ovc_sys_futex(&l->v, FUTEX_WAIT_PRIVATE, 2, sampler ? &ts : NULL, 0);
		if (sampler)
			ovc_sampler_waiting();
	}
}

void ovc_lock_wake(struct ovc_lock *l)
{
	ovc_sys_futex(&l->v, FUTEX_WAKE_PRIVATE, 1, NULL, 0);
}
