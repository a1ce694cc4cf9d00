/* Layer 0, base: ovc's futex lock (lock.c). Hook-safe, sampler-safe (a
 * futex, no TLS), no allocation, errno untouched. A wait in the sampler
 * process asks the sampler whether the program died (sampler-link.h). */
#ifndef OVC_PRELOAD_LOCK_H
#define OVC_PRELOAD_LOCK_H

#include "base.h"

/* ---- lock.c: the lock of ovc's hot tables ---- */

/** A futex lock: inline and uncontended, one atomic instruction to take and
 * one to give back (pthread_mutex also keeps an owner and a user count);
 * contended, it spins briefly (the sections it guards are short) before
 * sleeping in the kernel. Not recursive; no allocation; errno untouched
 * (raw system calls). */
struct ovc_lock {
	int v; /**< 0 free, 1 held, 2 held and someone may sleep on it */
};
#define OVC_LOCK_INIT {0}

void ovc_lock_wait(struct ovc_lock *l) OVC_HIDDEN;
void ovc_lock_wake(struct ovc_lock *l) OVC_HIDDEN;

static inline bool ovc_lock_try(struct ovc_lock *l)
{
	int free_ = 0;
	return __atomic_compare_exchange_n(&l->v, &free_, 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void ovc_lock_take(struct ovc_lock *l)
{
	if (OVC_UNLIKELY(!ovc_lock_try(l)))
		ovc_lock_wait(l);
}

static inline void ovc_lock_give(struct ovc_lock *l)
{
	if (OVC_UNLIKELY(__atomic_exchange_n(&l->v, 0, __ATOMIC_RELEASE) == 2))
		ovc_lock_wake(l);
}

/** In a fork child: only the forking thread is left, and it holds nothing. */
static inline void ovc_lock_reset(struct ovc_lock *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELAXED);
}

#endif
