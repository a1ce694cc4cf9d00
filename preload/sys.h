/* System calls without errno: each returns the kernel's result, -errno on
 * failure. ovc's own code uses these, not libc's wrappers, for two
 * reasons: the program's errno is never touched (no save and restore
 * around every call), and the sampler process (ticker.c) can run them:
 * it shares the program's memory but not its thread-local storage, where
 * libc keeps errno. */
#ifndef OVC_PRELOAD_SYS_H
#define OVC_PRELOAD_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/types.h>

#if defined(__x86_64__)
/** Whether ovc_sys is a raw system call (no libc, no thread-local storage):
 * only then may the sampler be a process of its own. */
#define OVC_SYS_RAW 1
static inline long ovc_sys6(long nr, long a, long b, long c, long d, long e,
			    long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}
#elif defined(__aarch64__)
#define OVC_SYS_RAW 0 /* raw calls, but the sampler process is x86-64 only */
static inline long ovc_sys6(long nr, long a, long b, long c, long d, long e,
			    long f)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
#else
#define OVC_SYS_RAW 0
#include <errno.h>
#include <unistd.h>
static inline long ovc_sys6(long nr, long a, long b, long c, long d, long e,
			    long f)
{
	int saved = errno;
	long r = syscall(nr, a, b, c, d, e, f);
	if (r == -1)
		r = -errno;
	errno = saved;
	return r;
}
#endif

#define OVC_SYS_(nr, a, b, c, d, e, f)                                         \
	ovc_sys6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e),  \
		 (long)(f))

struct stat;
struct rlimit;
struct timespec;

static inline long ovc_sys_read(int fd, void *buf, size_t n)
{
	return OVC_SYS_(SYS_read, fd, buf, n, 0, 0, 0);
}
static inline long ovc_sys_pread(int fd, void *buf, size_t n, off_t at)
{
	return OVC_SYS_(SYS_pread64, fd, buf, n, at, 0, 0);
}
static inline long ovc_sys_pwrite(int fd, const void *buf, size_t n, off_t at)
{
	return OVC_SYS_(SYS_pwrite64, fd, buf, n, at, 0, 0);
}
static inline long ovc_sys_write(int fd, const void *buf, size_t n)
{
	return OVC_SYS_(SYS_write, fd, buf, n, 0, 0, 0);
}
/** open(2) relative to the working directory (AT_FDCWD). */
static inline int ovc_sys_open(const char *path, int flags, int mode)
{
	return (int)OVC_SYS_(SYS_openat, -100, path, flags, mode, 0, 0);
}
static inline int ovc_sys_close(int fd)
{
	return (int)OVC_SYS_(SYS_close, fd, 0, 0, 0, 0, 0);
}
static inline int ovc_sys_fstat(int fd, struct stat *st)
{
	return (int)OVC_SYS_(SYS_fstat, fd, st, 0, 0, 0, 0);
}
static inline int ovc_sys_fcntl(int fd, int cmd, long arg)
{
	return (int)OVC_SYS_(SYS_fcntl, fd, cmd, arg, 0, 0, 0);
}
/** getrlimit(2) of this process (prlimit64 with no new limit). */
static inline int ovc_sys_getrlimit(int resource, struct rlimit *out)
{
	return (int)OVC_SYS_(SYS_prlimit64, 0, resource, 0, out, 0, 0);
}
static inline long ovc_sys_ioctl(int fd, unsigned long req, void *arg)
{
	return OVC_SYS_(SYS_ioctl, fd, req, arg, 0, 0, 0);
}
static inline int ovc_sys_mincore(void *p, size_t len, unsigned char *vec)
{
	return (int)OVC_SYS_(SYS_mincore, p, len, vec, 0, 0, 0);
}
static inline long ovc_sys_mmap(void *p, size_t len, int prot, int flags)
{
	return OVC_SYS_(SYS_mmap, p, len, prot, flags, -1, 0);
}
static inline int ovc_sys_munmap(void *p, size_t len)
{
	return (int)OVC_SYS_(SYS_munmap, p, len, 0, 0, 0, 0);
}
static inline int ovc_sys_mprotect(void *p, size_t len, int prot)
{
	return (int)OVC_SYS_(SYS_mprotect, p, len, prot, 0, 0, 0);
}
static inline long ovc_sys_futex(int *w, int op, int val,
				 const struct timespec *ts, unsigned bits)
{
	return OVC_SYS_(SYS_futex, w, op, val, ts, 0, bits);
}
static inline pid_t ovc_sys_getpid(void)
{
	return (pid_t)OVC_SYS_(SYS_getpid, 0, 0, 0, 0, 0, 0);
}
static inline pid_t ovc_sys_getppid(void)
{
	return (pid_t)OVC_SYS_(SYS_getppid, 0, 0, 0, 0, 0, 0);
}
/* isatty(3) as one ioctl; the kernel's struct termios is smaller than
 * glibc's, which this room holds too. */
static inline bool ovc_sys_isatty(int fd)
{
	long t[16];
	return ovc_sys_ioctl(fd, TCGETS, t) == 0;
}

#endif
