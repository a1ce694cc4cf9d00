/* The waiting calls and the signals a process sends itself: where a
 * process that lives on, or is about to end by a signal, starts its sampler
 * (start.c, "when the sampler starts"). Each is passed on unchanged. */
#undef _FILE_OFFSET_BITS
#include "account.h"
#include "base.h"
#include "hooks.h"
#include "lifecycle.h"

#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The next definition of a hooked function that the boot does not
 * resolve (every process would pay a dlsym for each): found on its first
 * call. */
#define NEXT_FN(type, name)                                                    \
	({                                                                     \
		static type real_;                                             \
		type r_ = __atomic_load_n(&real_, __ATOMIC_ACQUIRE);           \
		if (!r_) {                                                     \
			void *s_ = dlsym(RTLD_NEXT, name);                     \
			memcpy(&r_, &s_, sizeof r_);                           \
			__atomic_store_n(&real_, r_, __ATOMIC_RELEASE);        \
		}                                                              \
		r_;                                                            \
	})

#define NOSYS(ret)                                                             \
	do {                                                                   \
		errno = ENOSYS;                                                \
		return ret;                                                    \
	} while (0)

/* ---- signals a process sends itself ----
 *
 * A process killed by a signal gets its end record from its sampler
 * process, which outlives it; one that ends within its first interval has
 * none yet (start.c). Where the program itself sends the signal that
 * may end it, the sampler is started first, so the end record says so
 * (raise(SIGTERM), kill(getpid(), SIGKILL), abort). A fault (SIGSEGV) or
 * a signal from outside within the first interval cannot be seen coming:
 * that log ends after its first sample. */

static inline void self_signal(int sig)
{
	if (sig > 0 && OVC_UNLIKELY(ovc_sampler_due))
		ovc_lifecycle_poke(OVC_WAIT_LONG);
}

/* Whether kill(PID, ...) may reach this process. */
static bool may_hit_self(pid_t pid)
{
	return pid == 0 || pid == -1 || pid == getpid() ||
	       (pid < -1 && -pid == getpgrp());
}

EXPORT int raise(int sig)
{
	typedef int (*fn_t)(int);
	fn_t real = NEXT_FN(fn_t, "raise");
	if (!real)
		NOSYS(-1);
	self_signal(sig);
	return real(sig);
}

/* kill and killpg: the sampler first where the signal may reach this
 * process (SELF). */
typedef int (*kill_fn)(pid_t, int);

static int kill_passed_on(kill_fn real, pid_t target, int sig, bool self)
{
	if (!real)
		NOSYS(-1);
	if (self)
		self_signal(sig);
	return real(target, sig);
}

EXPORT int kill(pid_t pid, int sig)
{
	return kill_passed_on(NEXT_FN(kill_fn, "kill"), pid, sig,
			      OVC_UNLIKELY(ovc_sampler_due) &&
				      may_hit_self(pid));
}

EXPORT int killpg(pid_t pgrp, int sig)
{
	return kill_passed_on(NEXT_FN(kill_fn, "killpg"), pgrp, sig,
			      OVC_UNLIKELY(ovc_sampler_due) &&
				      (pgrp == 0 || pgrp == getpgrp()));
}

EXPORT int pthread_kill(pthread_t th, int sig)
{
	typedef int (*fn_t)(pthread_t, int);
	fn_t real = NEXT_FN(fn_t, "pthread_kill");
	if (!real)
		return ENOSYS;
	self_signal(sig);
	return real(th, sig);
}

/* syscall(SYS_kill, ...) and its kin, as raise and kill above. */
void ovc_hook_syscall_signal(long nr, long a, long b, long c)
{
	if (OVC_UNLIKELY(ovc_sampler_due) &&
	    ((nr == SYS_kill && may_hit_self((pid_t)a)) ||
	     (nr == SYS_tgkill && a == getpid()) || nr == SYS_tkill))
		self_signal((int)(nr == SYS_tgkill ? c : b));
}

/* ---- waiting calls: where a process that lives on starts its sampler ----
 *
 * The sampler starts lazily (start.c): a process that ends within its
 * first interval never needs one. One that lives on either allocates (a
 * slow path pokes) or waits: these calls poke with how long they may wait,
 * and pass the call on unchanged. Each finds the next definition on its
 * first call (a dlsym per function, not paid by processes that never call
 * it). */

/* A wait of at most NS nanoseconds (OVC_WAIT_LONG: no end set). */
static inline void waiting(uint64_t ns)
{
	if (OVC_UNLIKELY(ovc_sampler_due))
		ovc_lifecycle_poke(ns);
}

/* waiting() for a call that a signal's handler cuts short (EINTR, never
 * restarted: signal(7)): true when such a signal came while ovc worked
 * here. The call then returns as it would had the signal come at its
 * start, rather than wait for a signal already handled. */
static inline bool waiting_cut(uint64_t ns)
{
	return OVC_UNLIKELY(ovc_sampler_due) && ovc_lifecycle_poke_wait(ns);
}

#define CUT_SHORT(ret)                                                         \
	do {                                                                   \
		errno = EINTR;                                                 \
		return ret;                                                    \
	} while (0)

static uint64_t ts_ns(const struct timespec *ts)
{
	if (!ts)
		return OVC_WAIT_LONG;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0)
		return 0;
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static uint64_t ms_ns(int ms)
{
	return ms < 0 ? OVC_WAIT_LONG : (uint64_t)ms * 1000000u;
}

EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	typedef int (*fn_t)(const struct timespec *, struct timespec *);
	fn_t real = NEXT_FN(fn_t, "nanosleep");
	if (!real)
		NOSYS(-1);
	if (waiting_cut(req ? ts_ns(req) : 0)) {
		if (rem && req)
			*rem = *req;
		CUT_SHORT(-1);
	}
	return real(req, rem);
}

EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
			   struct timespec *rem)
{
	typedef int (*fn_t)(clockid_t, int, const struct timespec *,
			    struct timespec *);
	fn_t real = NEXT_FN(fn_t, "clock_nanosleep");
	if (!real)
		return ENOSYS;
	if (OVC_UNLIKELY(ovc_sampler_due) && req) {
		uint64_t ns = ts_ns(req);
		struct timespec now;
		if ((flags & TIMER_ABSTIME) && clock_gettime(clk, &now) == 0) {
			uint64_t at = ts_ns(&now);
			ns = ns > at ? ns - at : 0;
		}
		if (waiting_cut(ns)) {
			if (rem && !(flags & TIMER_ABSTIME))
				*rem = *req;
			return EINTR;
		}
	}
	return real(clk, flags, req, rem);
}

EXPORT unsigned sleep(unsigned s)
{
	typedef unsigned (*fn_t)(unsigned);
	fn_t real = NEXT_FN(fn_t, "sleep");
	if (!real)
		return s;
	if (waiting_cut((uint64_t)s * 1000000000u))
		return s;
	return real(s);
}

EXPORT int usleep(useconds_t us)
{
	typedef int (*fn_t)(useconds_t);
	fn_t real = NEXT_FN(fn_t, "usleep");
	if (!real)
		NOSYS(-1);
	if (waiting_cut((uint64_t)us * 1000u))
		CUT_SHORT(-1);
	return real(us);
}

EXPORT int pause(void)
{
	typedef int (*fn_t)(void);
	fn_t real = NEXT_FN(fn_t, "pause");
	if (!real)
		NOSYS(-1);
	if (waiting_cut(OVC_WAIT_LONG))
		CUT_SHORT(-1);
	return real();
}

EXPORT int sigsuspend(const sigset_t *mask)
{
	typedef int (*fn_t)(const sigset_t *);
	fn_t real = NEXT_FN(fn_t, "sigsuspend");
	if (!real)
		NOSYS(-1);
	if (waiting_cut(OVC_WAIT_LONG))
		CUT_SHORT(-1);
	return real(mask);
}

EXPORT int sigwait(const sigset_t *set, int *sig)
{
	typedef int (*fn_t)(const sigset_t *, int *);
	fn_t real = NEXT_FN(fn_t, "sigwait");
	if (!real)
		return ENOSYS;
	waiting(OVC_WAIT_LONG);
	return real(set, sig);
}

EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	typedef int (*fn_t)(const sigset_t *, siginfo_t *);
	fn_t real = NEXT_FN(fn_t, "sigwaitinfo");
	if (!real)
		NOSYS(-1);
	if (waiting_cut(OVC_WAIT_LONG))
		CUT_SHORT(-1);
	return real(set, info);
}

EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info,
			const struct timespec *ts)
{
	typedef int (*fn_t)(const sigset_t *, siginfo_t *,
			    const struct timespec *);
	fn_t real = NEXT_FN(fn_t, "sigtimedwait");
	if (!real)
		NOSYS(-1);
	if (waiting_cut(ts_ns(ts)))
		CUT_SHORT(-1);
	return real(set, info, ts);
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int ms)
{
	typedef int (*fn_t)(struct pollfd *, nfds_t, int);
	fn_t real = NEXT_FN(fn_t, "poll");
	if (!real)
		NOSYS(-1);
	if (waiting_cut(ms_ns(ms)))
		CUT_SHORT(-1);
	return real(fds, n, ms);
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		 const sigset_t *mask)
{
	typedef int (*fn_t)(struct pollfd *, nfds_t, const struct timespec *,
			    const sigset_t *);
	fn_t real = NEXT_FN(fn_t, "ppoll");
	if (!real)
		NOSYS(-1);
	if (waiting_cut(ts_ns(ts)))
		CUT_SHORT(-1);
	return real(fds, n, ts, mask);
}

EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	typedef int (*fn_t)(int, fd_set *, fd_set *, fd_set *,
			    struct timeval *);
	fn_t real = NEXT_FN(fn_t, "select");
	if (!real)
		NOSYS(-1);
	if (OVC_UNLIKELY(ovc_sampler_due)) {
		struct timespec ts;
		if (tv) {
			ts.tv_sec = tv->tv_sec;
			ts.tv_nsec = tv->tv_usec * 1000;
		}
		if (waiting_cut(ts_ns(tv ? &ts : NULL)))
			CUT_SHORT(-1);
	}
	return real(n, r, w, e, tv);
}

EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e,
		   const struct timespec *ts, const sigset_t *mask)
{
	typedef int (*fn_t)(int, fd_set *, fd_set *, fd_set *,
			    const struct timespec *, const sigset_t *);
	fn_t real = NEXT_FN(fn_t, "pselect");
	if (!real)
		NOSYS(-1);
	if (waiting_cut(ts_ns(ts)))
		CUT_SHORT(-1);
	return real(n, r, w, e, ts, mask);
}

EXPORT int epoll_wait(int fd, struct epoll_event *ev, int max, int ms)
{
	typedef int (*fn_t)(int, struct epoll_event *, int, int);
	fn_t real = NEXT_FN(fn_t, "epoll_wait");
	if (!real)
		NOSYS(-1);
	if (waiting_cut(ms_ns(ms)))
		CUT_SHORT(-1);
	return real(fd, ev, max, ms);
}

EXPORT int epoll_pwait(int fd, struct epoll_event *ev, int max, int ms,
		       const sigset_t *mask)
{
	typedef int (*fn_t)(int, struct epoll_event *, int, int,
			    const sigset_t *);
	fn_t real = NEXT_FN(fn_t, "epoll_pwait");
	if (!real)
		NOSYS(-1);
	if (waiting_cut(ms_ns(ms)))
		CUT_SHORT(-1);
	return real(fd, ev, max, ms, mask);
}

EXPORT int pthread_join(pthread_t th, void **ret)
{
	typedef int (*fn_t)(pthread_t, void **);
	fn_t real = NEXT_FN(fn_t, "pthread_join");
	if (!real)
		return ENOSYS;
	waiting(OVC_WAIT_LONG);
	return real(th, ret);
}

/* A wait for clone children (__WALL, __WCLONE: strace, gdb) would see a
 * sampler process, the program's child, and wait for it for ever once
 * its own children are gone: the sampler becomes a thread first. A wait
 * for ordinary children does not see it (it sends no SIGCHLD) and starts
 * nothing: a shell waiting for a command is not a reason to sample. */
static inline void child_wait(int options)
{
	if (OVC_UNLIKELY(options & (__WALL | __WCLONE)))
		ovc_lifecycle_clone_wait();
}

EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
	typedef pid_t (*fn_t)(pid_t, int *, int);
	fn_t real = NEXT_FN(fn_t, "waitpid");
	if (!real)
		NOSYS(-1);
	child_wait(options);
	int st;
	pid_t r = real(pid, status ? status : &st, options);
	if (r > 0)
		ovc_lifecycle_child_died(r, status ? *status : st);
	return r;
}

EXPORT pid_t wait(int *status)
{
	typedef pid_t (*fn_t)(int *);
	fn_t real = NEXT_FN(fn_t, "wait");
	if (!real)
		NOSYS(-1);
	int st;
	pid_t r = real(status ? status : &st);
	if (r > 0)
		ovc_lifecycle_child_died(r, status ? *status : st);
	return r;
}

EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	typedef pid_t (*fn_t)(pid_t, int *, int, struct rusage *);
	fn_t real = NEXT_FN(fn_t, "wait4");
	if (!real)
		NOSYS(-1);
	child_wait(options);
	int st;
	pid_t r = real(pid, status ? status : &st, options, ru);
	if (r > 0)
		ovc_lifecycle_child_died(r, status ? *status : st);
	return r;
}

EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	typedef int (*fn_t)(idtype_t, id_t, siginfo_t *, int);
	fn_t real = NEXT_FN(fn_t, "waitid");
	if (!real)
		NOSYS(-1);
	child_wait(options);
	int r = real(type, id, info, options);
	/* WNOWAIT leaves the child to be reaped: its end is for later */
	if (r == 0 && info && info->si_pid > 0 && !(options & WNOWAIT) &&
	    (info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED))
		ovc_lifecycle_child_died(info->si_pid,
					 info->si_status |
						 (info->si_code == CLD_DUMPED ? 0x80 : 0));
	return r;
}

/* ---- calls after which the image may not reach its log ----
 *
 * A young image writes its own samples, opening the log by its path
 * (start.c): after chroot, or after a change of user (the log is 0600,
 * its first user's), it could not. The sampler starts before these, with
 * its own descriptor of the log and the credentials the image started
 * with, as it does before a signal the process sends itself. */

#define CUT_OFF(name, params, args)                                            \
	EXPORT int name params                                                 \
	{                                                                      \
		typedef int(*fn_t) params;                                     \
		fn_t real = NEXT_FN(fn_t, #name);                              \
		if (!real)                                                     \
			NOSYS(-1);                                             \
		waiting(OVC_WAIT_LONG);                                        \
		return real args;                                              \
	}

CUT_OFF(chroot, (const char *path), (path))
CUT_OFF(setuid, (uid_t u), (u))
CUT_OFF(seteuid, (uid_t u), (u))
CUT_OFF(setreuid, (uid_t r, uid_t e), (r, e))
CUT_OFF(setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s))
CUT_OFF(setgid, (gid_t g), (g))
CUT_OFF(setegid, (gid_t g), (g))
CUT_OFF(setregid, (gid_t r, gid_t e), (r, e))
CUT_OFF(setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s))
CUT_OFF(setgroups, (size_t n, const gid_t *list), (n, list))
