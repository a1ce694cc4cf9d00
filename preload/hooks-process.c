/* The functions libovc.so exports that end, split or replace the process:
 * exit, threads, exec and spawn, which write the image's end or hand ovc
 * on first; and syscall(2) and pipe2, which also answer libunwind's
 * checks of readable memory. Thin on purpose: the work is in the life
 * cycle. */
#include "account.h"
#include "arena.h"
#include "base.h"
#include "boot.h"
#include "follow.h"
#include "hooks.h"
#include "lazyfree.h"
#include "lifecycle.h"
#include "sys.h"

#include <errno.h>
#include <dlfcn.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <signal.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

/* ---- exit ---- */

/* _exit and _Exit (the same call in glibc) end the process at once: the
 * end record is written first. */
static __attribute__((noreturn)) void end_at_once(int status, bool upper)
{
	ovc_lifecycle_end(status, "_exit");
	__typeof__(ovc_real.exit_) real = !ready() ? NULL
					  : upper  ? ovc_real.Exit_
						   : ovc_real.exit_;
	if (real)
		real(status);
	for (;;)
		syscall(SYS_exit_group, status);
}

EXPORT void _exit(int status)
{
	end_at_once(status, false);
}

EXPORT void _Exit(int status)
{
	end_at_once(status, true);
}

/* ---- threads: how the last one ends ----
 *
 * glibc ends the process with exit(0) when its last thread ends by
 * pthread_exit or by returning from its function; the end record says
 * which (end.c). */

struct thread_start {
	void *(*fn)(void *);
	void *arg;
};

static void *thread_main(void *p)
{
	struct thread_start ts = *(struct thread_start *)p;
	ovc_arena_release(p, sizeof ts);
	void *r = ts.fn(ts.arg);
	ovc_lifecycle_thread_ending("thread_return");
	return r;
}

EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg)
{
	__typeof__(ovc_real.pthread_create) real =
		ready() ? OVC_REAL_LATER(pthread_create) : NULL;
	if (!real)
		return EAGAIN;
	if (OVC_UNLIKELY(ovc_sampler_due))
		ovc_lifecycle_poke(0);
	struct thread_start *ts = ovc_arena_alloc(sizeof *ts);
	if (!ts)
		return real(th, attr, fn, arg);
	ts->fn = fn;
	ts->arg = arg;
	int r = real(th, attr, thread_main, ts);
	if (r != 0)
		ovc_arena_release(ts, sizeof *ts);
	return r;
}

EXPORT void pthread_exit(void *ret)
{
	ovc_lifecycle_thread_ending("pthread_exit");
	__typeof__(ovc_real.pthread_exit) real =
		ready() ? OVC_REAL_LATER(pthread_exit) : NULL;
	if (real)
		real(ret);
	for (;;)
		syscall(SYS_exit, 0);
}

/* abort ends the process with SIGABRT, which no hook sees: a sampler
 * process that outlives it writes the end record with the real wait
 * status, so one is started now if the process had none yet (one that
 * aborts within its first interval). */
EXPORT void abort(void)
{
	if (ovc_booted)
		ovc_lifecycle_poke(OVC_WAIT_LONG);
	void (*real)(void) = NULL;
	void *sym = dlsym(RTLD_NEXT, "abort");
	memcpy(&real, &sym, sizeof sym);
	if (real)
		real();
	for (;;)
		raise(SIGABRT), syscall(SYS_exit_group, 134);
}

/* quick_exit runs at_quick_exit handlers and ends in glibc's internal
 * _exit, which no preload sees: the end is written here. */
EXPORT void quick_exit(int status)
{
	ovc_lifecycle_end(status, "quick_exit");
	void (*real)(int) = NULL;
	void *sym = dlsym(RTLD_NEXT, "quick_exit");
	memcpy(&real, &sym, sizeof sym);
	if (real)
		real(status);
	for (;;)
		syscall(SYS_exit_group, status);
}

/* ---- exec: close this image's log, keep ovc in the new image ---- */

/* How an exec names the next image: a path, a file looked up in PATH, or
 * an open descriptor. */
enum exec_by { EXEC_PATH, EXEC_SEARCH, EXEC_FD };

/* The exec calls: this image's log is closed and ovc stays in the
 * environment of the next image; an exec that fails returns to an image
 * whose log goes on. ENOSYS where the real call is not there. */
static int exec_keeping_ovc(enum exec_by by, const char *name, int fd,
			    char *const argv[], char *const envp[])
{
	int saved = errno;
	bool have = ready() && (by == EXEC_PATH     ? ovc_real.execve != NULL
				: by == EXEC_SEARCH ? OVC_REAL_LATER(execvpe) != NULL
						    : ovc_real.fexecve != NULL);
	if (!have) {
		errno = ENOSYS;
		return -1;
	}
	char *const *env = ovc_lifecycle_exec_env(envp);
	ovc_lifecycle_exec(name, by == EXEC_SEARCH, env);
	errno = saved;
	int r = by == EXEC_PATH	      ? ovc_real.execve(name, argv, env)
		: by == EXEC_SEARCH ? OVC_REAL_LATER(execvpe)(name, argv, env)
				    : ovc_real.fexecve(fd, argv, env);
	ovc_lifecycle_exec_failed();
	return r;
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return exec_keeping_ovc(EXEC_PATH, path, -1, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return exec_keeping_ovc(EXEC_SEARCH, file, -1, argv, envp);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	return exec_keeping_ovc(EXEC_FD, "(fexecve)", fd, argv, envp);
}

/* posix_spawn and posix_spawnp start a process without exec'ing this one:
 * its environment keeps ovc, and a program ovc cannot follow is logged. */
static int spawn_keeping_ovc(bool search, pid_t *pid, const char *name,
			     const posix_spawn_file_actions_t *fa,
			     const posix_spawnattr_t *attr,
			     char *const argv[], char *const envp[])
{
	if (!ready())
		return ENOSYS;
	int (*real)(pid_t *, const char *, const void *, const void *,
		    char *const[], char *const[]) =
		search ? OVC_REAL_LATER(posix_spawnp) : OVC_REAL_LATER(posix_spawn);
	if (!real)
		return ENOSYS;
	int saved = errno;
	char *const *env = ovc_lifecycle_exec_env(envp);
	ovc_follow_exec(name, search, env, ovc_lifecycle_ns());
	errno = saved;
	return real(pid, name, fa, attr, argv, env);
}

EXPORT int posix_spawn(pid_t *pid, const char *path,
		       const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[],
		       char *const envp[])
{
	return spawn_keeping_ovc(false, pid, path, fa, attr, argv, envp);
}

EXPORT int posix_spawnp(pid_t *pid, const char *file,
			const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[],
			char *const envp[])
{
	return spawn_keeping_ovc(true, pid, file, fa, attr, argv, envp);
}

/* execl, execlp, execle: collect the variadic arguments into an array on
 * the stack (or in ovc's pages for very long lists) and go through the
 * array forms above. */
#define MAX_STACK_ARGS 1024

static int count_args(const char *arg, va_list ap)
{
	va_list c;
	va_copy(c, ap);
	int n = 1;
	if (arg)
		while (va_arg(c, const char *))
			n++;
	va_end(c);
	return n;
}

enum exec_kind { EXEC_L, EXEC_LP, EXEC_LE };

static int exec_list(enum exec_kind kind, const char *path, const char *arg,
		     va_list ap)
{
	int n = count_args(arg, ap);
	char *stack[MAX_STACK_ARGS + 1];
	char **argv = stack;
	size_t bytes = ((size_t)n + 1) * sizeof *argv;
	if (n > MAX_STACK_ARGS && !(argv = ovc_pages_alloc(bytes))) {
		errno = E2BIG;
		return -1;
	}
	argv[0] = (char *)arg;
	for (int i = 1; i < n; i++)
		argv[i] = va_arg(ap, char *);
	if (arg)
		(void)va_arg(ap, char *); /* the terminating NULL */
	argv[n] = NULL;
	int r;
	if (kind == EXEC_LE) {
		char *const *envp = va_arg(ap, char *const *);
		r = execve(path, argv, envp);
	} else if (kind == EXEC_LP) {
		r = execvp(path, argv);
	} else {
		r = execv(path, argv);
	}
	if (argv != stack) {
		int saved = errno;
		ovc_pages_free(argv, bytes);
		errno = saved;
	}
	return r;
}

/* The three exported functions differ only in their kind: a variadic
 * function cannot pass its arguments on but as a va_list. */
#define EXEC_LIST(name, kind)                                           \
	EXPORT int name(const char *path, const char *arg, ...)         \
	{                                                               \
		va_list ap;                                             \
		va_start(ap, arg);                                      \
		int r = exec_list(kind, path, arg, ap);                 \
		va_end(ap);                                             \
		return r;                                               \
	}

EXEC_LIST(execl, EXEC_L)
EXEC_LIST(execlp, EXEC_LP) /* PATH is a file name, looked up in $PATH */
EXEC_LIST(execle, EXEC_LE)

/* ---- descriptors ----
 *
 * libunwind 1.6 checks that an address is readable, before it reads a
 * frame there, by writing a byte of it into a pipe of its own (x86_64
 * Ginit.c: read(pipe[0]) to drain, then syscall(SYS_write, pipe[1], addr,
 * 1)), which it opens once and keeps: two descriptors the program would
 * see in /proc/self/fd, and might close, after which libunwind would close
 * whatever took their numbers. libunwind resolves pipe2 and syscall
 * through the global scope, where these definitions stand first. Inside
 * ovc's own code (the capture of a stack) pipe2 hands out two numbers that
 * are no descriptor (FAKE_PIPE: far above any the kernel gives), and the
 * write to the second is answered here: whether the byte can be read,
 * asked of process_vm_readv, which needs no descriptor. Reads and closes
 * of those numbers fail with EBADF in the kernel, which libunwind takes in
 * its stride. The program's own calls go to the kernel as glibc's would. */
#define FAKE_PIPE 0x7ffffff0

EXPORT int pipe2(int fds[2], int flags)
{
	if (ovc_tls_guard > 0) {
		fds[0] = FAKE_PIPE;
		fds[1] = FAKE_PIPE + 1;
		return 0;
	}
	long r = OVC_SYS_(SYS_pipe2, fds, flags, 0, 0, 0, 0);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
}

/* Whether the byte at ADDR can be read. */
static bool readable(const void *addr)
{
	char c;
	struct iovec local = {&c, 1}, remote = {(void *)(uintptr_t)addr, 1};
	return OVC_SYS_(SYS_process_vm_readv, ovc_sys_getpid(), &local, 1,
			&remote, 1, 0) == 1;
}

/* glibc's syscall(2), plus libunwind's checks (above) and the end record
 * of a process that ends with syscall(SYS_exit_group). */
EXPORT long syscall(long nr, ...)
{
	va_list ap;
	va_start(ap, nr);
	long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long),
	     d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_write && a == FAKE_PIPE + 1) {
		if (readable((const void *)b))
			return 1;
		errno = EFAULT;
		return -1;
	}
	if (nr == SYS_exit_group)
		ovc_lifecycle_end((int)a, "exit_group");
	ovc_hook_syscall_signal(nr, a, b, c);
	long r = ovc_sys6(nr, a, b, c, d, e, f);
	if (nr == SYS_madvise && r == 0 && !ovc_tls_guard) {
		ovc_tls_guard++;
		ovc_lazy_advised((void *)a, (size_t)b, (int)c);
		ovc_tls_guard--;
	}
	if ((unsigned long)r > -4096ul) {
		errno = (int)-r;
		return -1;
	}
	return r;
}
