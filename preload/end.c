/* The end of a traced image: its last sample and end record (exit, _exit,
 * a thread's end, a death the sampler saw) or exec record, and the one
 * summary line of a bare LD_PRELOAD. */
#include "account.h"
#include "blocks.h"
#include "config.h"
#include "fmt.h"
#include "follow.h"
#include "image.h"
#include "lifecycle.h"
#include "log.h"
#include "procstat.h"
#include "sys.h"
#include "ticker.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The one line a bare LD_PRELOAD user sees at exit. */
static void summary_line(void)
{
	if (ovc_cfg.run[0])
		return; /* `ovc run` prints the report itself */
	if (ovc_cfg.summary == OVC_SUMMARY_NEVER ||
	    (ovc_cfg.summary == OVC_SUMMARY_TTY && !ovc_sys_isatty(2)))
		return;
	char msg[4600], num[32];
	struct ovc_buf b;
	ovc_buf_init(&b, msg, sizeof msg - 1);
	ovc_buf_raw(&b, ovc_log_path());
	ovc_buf_raw(&b, ": peak live ");
	int64_t live = ovc_img.last.peak_live > 0 ? ovc_img.last.peak_live : 0;
	ovc_buf_raw(&b, ovc_format_bytes((uint64_t)live, num, sizeof num));
	ovc_buf_raw(&b, ", peak resident ");
	uint64_t hwm = ovc_img.last_status.rss_hwm; /* exact where read */
	ovc_buf_raw(&b, ovc_format_bytes(hwm > ovc_img.peak_rss ? hwm : ovc_img.peak_rss,
					 num, sizeof num));
	ovc_buf_raw(&b, ", touched ");
	uint64_t base_anon = ovc_img.base.rss - ovc_img.base.shared;
	/* Of what was asked for (live + committed at their joint peak), not
	 * clamped: above 100% where the program touched memory ovc does not
	 * see (stacks, .bss). */
	int64_t asked = ovc_img.last.peak_asked > live ? ovc_img.last.peak_asked : live;
	if (asked > 0) {
		uint64_t grown = ovc_img.peak_anon > base_anon ? ovc_img.peak_anon - base_anon : 0;
		uint64_t permille = grown / (uint64_t)asked * 1000 +
				    grown % (uint64_t)asked * 1000 / (uint64_t)asked;
		ovc_buf_u64(&b, permille / 10);
		ovc_buf_raw(&b, ".");
		ovc_buf_u64(&b, permille % 10);
		ovc_buf_raw(&b, "% of peak asked for");
	} else {
		ovc_buf_raw(&b, "n/a");
	}
	ovc_buf_raw(&b, " (ovc report ");
	ovc_buf_raw(&b, ovc_cfg.output);
	ovc_buf_raw(&b, " for more)");
	msg[b.overflow ? sizeof msg - 1 : b.len] = '\0';
	ovc_say(msg);
}

/* Takes the log lock, unless ovc's code on this thread was interrupted
 * (NESTED: a signal handler calling _exit or execve) and may hold it: then
 * it goes on without, since every line is one O_APPEND write. Returns
 * whether the lock is held. */
static bool log_lock_end(bool nested)
{
	if (!nested) {
		ovc_log_lock();
		return true;
	}
	return ovc_log_trylock();
}

/* How the thread now ending the process got there (hooks.c): its own
 * pthread_exit, or a return from its thread function. */
static __thread const char *thread_end_via;

void ovc_lifecycle_thread_ending(const char *via)
{
	thread_end_via = via;
}

/* Builds the end record of KIND "exit" (CODE, VIA) or "signal" (SIG, CORE). */
static void end_record(struct ovc_buf *b, bool signal, int code_or_sig,
		       bool core, const char *via)
{
	ovc_buf_raw(b, "{\"t\":\"" OVC_REC_END "\"");
	ovc_buf_key(b, "ns");
	ovc_buf_u64(b, ovc_img.last_write_ns - ovc_img.start_ns);
	if (signal) {
		ovc_buf_key(b, "kind");
		ovc_buf_raw(b, "\"signal\"");
		ovc_buf_key(b, "signal");
		ovc_buf_i64(b, code_or_sig);
		if (core) {
			ovc_buf_key(b, "core");
			ovc_buf_raw(b, "true");
		}
	} else {
		ovc_buf_key(b, "kind");
		ovc_buf_raw(b, "\"exit\"");
		ovc_buf_key(b, "code");
		ovc_buf_i64(b, code_or_sig & 0xff);
		ovc_buf_key(b, "via");
		ovc_buf_jstr(b, via, strlen(via));
	}
	ovc_img_line_end(b);
}

void ovc_lifecycle_end(int code, const char *via)
{
	bool nested = ovc_tls_guard > 0;
	ovc_tls_guard++;
	if (strcmp(via, "exit") == 0 && thread_end_via)
		via = thread_end_via; /* glibc's exit(0) after the last thread */
	bool mine = ovc_img.pid == ovc_sys_getpid();
	if (ovc_img.logging && !ovc_img.ended && mine)
		ovc_blocks_final(OVC_FINAL_PROBE_NS, ovc_now_ns() - ovc_img.start_ns,
				 nested);
	bool locked = log_lock_end(nested);
	bool wrote = false;
	if (ovc_img.logging && !ovc_img.ended && mine) {
		if (locked)
			ovc_img_sample_final(ovc_now_ns());
		char line[256];
		struct ovc_buf b;
		ovc_buf_init(&b, line, sizeof line);
		end_record(&b, false, code, false, via);
		if (locked)
			ovc_img_write_line(&b);
		else if (!b.overflow)
			ovc_log_write_now(b.p, b.len);
		__atomic_store_n(&ovc_img.ended, true, __ATOMIC_RELEASE);
		wrote = true;
	}
	if (locked)
		ovc_log_unlock();
	/* The sampler process writes the buffer out and exits (it can write
	 * the log where this thread may not: a change of user); what is
	 * left, this thread writes. It is waited for and reaped: a sampler
	 * left to outlive the program would be a zombie wherever the init
	 * process does not reap (a container's). Only a process that lived
	 * past its first interval has one to wait for. */
	__atomic_store_n(&ovc_sampler_due, 0, __ATOMIC_RELAXED);
	if (mine)
		ovc_ticker_pause(!nested);
	if (wrote) {
		if (locked)
			ovc_log_flush();
		summary_line();
	}
	if (mine)
		ovc_warn_flush();
	ovc_tls_guard--;
}

void ovc_lifecycle_died(int wstatus)
{
	/* The program is gone: nothing else writes the buffer now. A lock it
	 * held stays held; the sampler goes on without. */
	bool locked = ovc_log_trylock();
	if (ovc_img.logging && !__atomic_load_n(&ovc_img.ended, __ATOMIC_ACQUIRE)) {
		ovc_img_sample_final(ovc_now_ns());
		char line[256];
		struct ovc_buf b;
		ovc_buf_init(&b, line, sizeof line);
		if (wstatus < 0)
			ovc_buf_raw(&b, "{\"t\":\"" OVC_REC_END "\",\"kind\":\"unknown\"}\n");
		else if ((wstatus & 0x7f) != 0 && (wstatus & 0x7f) != 0x7f)
			end_record(&b, true, wstatus & 0x7f, wstatus & 0x80, "");
		else /* it exited without passing ovc's exit hooks */
			end_record(&b, false, (wstatus >> 8) & 0xff, false,
				   "exit_group");
		ovc_log_write(b.p, b.len);
		ovc_img.ended = true;
	}
	ovc_log_flush_locked();
	if (locked)
		ovc_log_unlock();
}

void ovc_lifecycle_exec(const char *path, bool search, char *const *envp)
{
	bool nested = ovc_tls_guard > 0;
	ovc_tls_guard++;
	/* A vfork child (a shell running a command) may record in its
	 * parent's log, which stands still meanwhile, that the program it is
	 * about to exec cannot be followed. */
	if (!nested && ovc_img.logging && !ovc_img.ended && path && path[0] != '(' &&
	    (ovc_img.pid == ovc_sys_getpid() || ovc_img.pid == ovc_sys_getppid()))
		ovc_follow_exec(path, search, envp,
				ovc_now_ns() - ovc_img.start_ns);
	/* A vfork child (posix_spawn, or vfork itself) shares the parent's
	 * memory and must not write the parent's log. */
	if (ovc_img.logging && !ovc_img.ended && ovc_img.pid == ovc_sys_getpid()) {
		ovc_blocks_final(OVC_FINAL_PROBE_NS, ovc_now_ns() - ovc_img.start_ns,
				 nested);
		bool locked = log_lock_end(nested);
		if (locked)
			ovc_img_sample_final(ovc_now_ns());
		char line[4400];
		struct ovc_buf b;
		ovc_buf_init(&b, line, sizeof line);
		ovc_buf_raw(&b, "{\"t\":\"" OVC_REC_EXEC "\"");
		ovc_buf_key(&b, "ns");
		ovc_buf_u64(&b, ovc_img.last_write_ns - ovc_img.start_ns);
		/* what links the next image to this one (start.c) */
		if (!ovc_img.ticks)
			ovc_img.ticks = ovc_proc_start_ticks();
		if (ovc_img.ticks) {
			ovc_buf_key(&b, "proc_start_ticks");
			ovc_buf_u64(&b, ovc_img.ticks);
		}
		ovc_buf_key(&b, "path");
		ovc_buf_jstr(&b, path ? path : "", path ? strnlen(path, 4096) : 0);
		ovc_img_line_end(&b);
		if (locked) {
			ovc_img_write_line(&b);
			ovc_log_unlock();
		} else if (!b.overflow) {
			ovc_log_write_now(b.p, b.len);
		}
		ovc_img.sampler_paused = ovc_ticker_pause(!nested);
		if (locked)
			ovc_log_flush();
		ovc_warn_flush();
	}
	ovc_tls_guard--;
}

void ovc_lifecycle_exec_failed(void)
{
	if (ovc_img.sampler_paused && ovc_img.pid == ovc_sys_getpid()) {
		ovc_img.sampler_paused = false;
		ovc_ticker_start();
	}
}

/* ---- a child's end, seen by its parent ----
 *
 * A child killed by a signal within its first interval had no sampler to
 * write its end record (start.c): a traced parent that reaps it writes it
 * instead, from the wait status, into the child's newest log, when that
 * log is the child's (its header names this process as parent), has no end
 * yet and no sampler holds it. */

void ovc_lifecycle_child_died(pid_t pid, int wstatus)
{
	if (ovc_tls_guard || pid <= 0 || !ovc_img.logging ||
	    !WIFSIGNALED(wstatus))
		return;
	int saved = errno;
	ovc_tls_guard++;
	char path[4400];
	int fd = -1;
	/* the newest of its logs: an exec'd image's is the one after */
	for (unsigned k = 0; k < 64; k++) {
		if (!ovc_img_log_path(path, sizeof path, pid, k))
			break;
		int next = ovc_sys_open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0);
		if (next < 0)
			break;
		if (fd >= 0)
			ovc_sys_close(fd);
		fd = next;
	}
	char head[4096], tail[4096];
	struct stat st;
	if (fd < 0 || ovc_sys_fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    OVC_SYS_(SYS_flock, fd, LOCK_EX | LOCK_NB, 0, 0, 0, 0) != 0)
		goto out; /* a sampler holds it: it writes the end */
	long n = ovc_sys_pread(fd, head, sizeof head - 1, 0);
	head[n > 0 ? n : 0] = '\0';
	char *nl = strchr(head, '\n');
	if (nl)
		*nl = '\0';
	uint64_t hpid, hppid, ns = 0;
	if (!ovc_img_number_after(head, "\"pid\":", &hpid) ||
	    !ovc_img_number_after(head, "\"ppid\":", &hppid) ||
	    hpid != (uint64_t)pid || hppid != (uint64_t)ovc_sys_getpid())
		goto out; /* another process's, of an earlier life of the pid */
	off_t from = st.st_size > (off_t)sizeof tail - 1
			     ? st.st_size - (off_t)sizeof tail + 1
			     : 0;
	n = ovc_sys_pread(fd, tail, sizeof tail - 1, from);
	if (n <= 0 || tail[n - 1] != '\n')
		goto out;
	tail[n - 1] = '\0';
	char *last = strrchr(tail, '\n');
	last = last ? last + 1 : tail;
	if (strstr(last, "\"t\":\"" OVC_REC_END "\"") ||
	    strstr(last, "\"t\":\"" OVC_REC_EXEC "\""))
		goto out;
	ovc_img_number_after(last, "\"ns\":", &ns);
	char line[256];
	struct ovc_buf b;
	ovc_buf_init(&b, line, sizeof line);
	ovc_buf_raw(&b, "{\"t\":\"" OVC_REC_END "\"");
	ovc_buf_key(&b, "ns");
	ovc_buf_u64(&b, ns);
	ovc_buf_key(&b, "kind");
	ovc_buf_raw(&b, "\"signal\"");
	ovc_buf_key(&b, "signal");
	ovc_buf_i64(&b, WTERMSIG(wstatus));
	if (WCOREDUMP(wstatus)) {
		ovc_buf_key(&b, "core");
		ovc_buf_raw(&b, "true");
	}
	ovc_buf_key(&b, "by");
	ovc_buf_raw(&b, "\"parent\"}\n");
	if (!b.overflow)
		ovc_sys_write(fd, line, b.len);
out:
	if (fd >= 0)
		ovc_sys_close(fd);
	ovc_tls_guard--;
	errno = saved;
}
