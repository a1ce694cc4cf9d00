/* `ovc snapshot`: the memory of a running process that ovc did not start,
 * read from /proc/PID (smaps, statm, task/, pagemap) without ptrace and
 * without changing the process; the figures derived from it. Reading
 * (snapshot.c), analysis (snapshot-analyze.c) and rendering
 * (render-snapshot.c) are apart. */
#ifndef OVC_CLI_SNAPSHOT_H
#define OVC_CLI_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "read/model.h"

/** What a mapping is, for the report. */
enum ovc_snap_kind {
	OVC_SNAP_ANON,         /**< private anonymous, unnamed */
	OVC_SNAP_HEAP,         /**< [heap]: the brk heap */
	OVC_SNAP_STACK,        /**< [stack]: the main thread's stack */
	OVC_SNAP_THREAD_STACK, /**< anonymous, holds a thread's stack pointer */
	OVC_SNAP_FILE,         /**< backed by a file */
	OVC_SNAP_SHARED,       /**< shared anonymous memory (shmem, SysV) */
	OVC_SNAP_SPECIAL,      /**< [vdso], [vvar], [vsyscall], ... */
};

/** One line of /proc/PID/smaps with its figures (bytes). */
struct ovc_snap_map {
	uint64_t lo, hi;        /**< [lo, hi) */
	char perms[5];          /**< "rw-p" */
	char *name;             /**< path or [name]; "" for none; never NULL */
	enum ovc_snap_kind kind;
	bool anonymous;         /**< private anonymous (anon, heap, stacks) */
	bool committed;         /**< anonymous and writable (not PROT_NONE
				     nor read-only): it may be touched */
	bool noreserve;         /**< MAP_NORESERVE (VmFlags "nr") */
	int64_t rss_bytes, anon_bytes, swap_bytes;
	/** From PAGEMAP_SCAN, -1 when not scanned: present and swapped pages
	 * that are not the shared zero page, and zero-page pages (read, never
	 * written). */
	int64_t pm_present_bytes, pm_swapped_bytes, pm_zero_bytes;
	int64_t tid;            /**< THREAD_STACK/STACK: the thread, else -1
				     (also for a guessed thread stack) */
	bool guessed;           /**< THREAD_STACK by its layout, not by a
				     stack pointer */
};

/** One thread of the process (/proc/PID/task/TID). */
struct ovc_snap_thread {
	int64_t tid;
	char comm[32];
	uint64_t sp;     /**< stack pointer from task/TID/syscall; 0 unknown */
	long map;        /**< index of the mapping holding sp, or -1 */
};

/** Everything read of one process at one moment. */
struct ovc_snap {
	int64_t pid, ppid, uid;
	char state;               /**< field 3 of /proc/PID/stat */
	int64_t start_ticks;      /**< field 22 of /proc/PID/stat */
	char *exe;                /**< /proc/PID/exe, "" when unreadable */
	char **argv;              /**< /proc/PID/cmdline */
	size_t argc;
	int64_t t_unix_ns, t_mono_ns; /**< when it was read */
	int64_t vm_bytes, rss_bytes, shared_bytes; /**< /proc/PID/statm */
	struct ovc_snap_map *maps;
	size_t nmaps;
	struct ovc_snap_thread *threads;
	size_t nthreads;
	bool pagemap_scanned;     /**< PAGEMAP_SCAN gave the pm_* figures */
	char pagemap_why[96];     /**< why not, when it did not */
	struct ovc_host host;     /**< the machine now (model.h) */
};

/** Why a process cannot be read. */
enum ovc_snap_error {
	OVC_SNAP_OK,
	OVC_SNAP_NO_PROCESS, /**< no such process (or it exited) */
	OVC_SNAP_DENIED,     /**< another user's, without the right */
	OVC_SNAP_KERNEL,     /**< a kernel thread: no user memory */
	OVC_SNAP_ZOMBIE,     /**< exited, not yet reaped: memory gone */
	OVC_SNAP_FAILED,     /**< another error (message says) */
};

/** Reads process PID into *S (zeroed first; free with ovc_snap_free()).
 * With SCAN, also asks PAGEMAP_SCAN for each anonymous mapping (skipped
 * with pagemap_why set where the kernel refuses). Returns OVC_SNAP_OK, or
 * an error with a one-line reason (no "ovc:" prefix) in WHY. Reads only:
 * no ptrace, nothing written to the process. */
enum ovc_snap_error ovc_snap_read(int64_t pid, bool scan, struct ovc_snap *s,
				  char *why, size_t why_size);

/** Parses the text of /proc/PID/smaps from F into S's mappings (appended).
 * Lines that are neither a mapping's header nor one of its fields are
 * skipped. Returns false when out of memory. */
bool ovc_snap_parse_smaps(FILE *f, struct ovc_snap *s);

/** Frees what S holds; S itself is the caller's. */
void ovc_snap_free(struct ovc_snap *s);

/** Reads /proc/meminfo and /proc/sys/vm/overcommit_* into *H (-1 for
 * what cannot be read). */
void ovc_snap_read_host(struct ovc_host *h);

/** Figures of a group of mappings (bytes). */
struct ovc_snap_sum {
	int64_t mappings;
	int64_t reserved_bytes;  /**< address space */
	int64_t committed_bytes; /**< of it, writable */
	int64_t resident_bytes;  /**< in RAM (smaps Rss) */
	int64_t swapped_bytes;   /**< in swap (smaps Swap) */
	int64_t touched_bytes;   /**< resident + swapped (PAGEMAP_SCAN's
				      present and swapped pages when scanned) */
	int64_t zero_page_bytes; /**< read, never written; -1 unknown */
};

/** What ovc_snap_analyze() derives from a snapshot. */
struct ovc_snap_totals {
	struct ovc_snap_sum anon;          /**< every anonymous mapping */
	struct ovc_snap_sum heap, stack, thread_stacks, other_anon;
	struct ovc_snap_sum file, shared;  /**< for completeness */
	int64_t touched_committed_bytes;   /**< touched of committed anon */
	int64_t gap_bytes;      /**< committed anon - its touched, >= 0 */
	bool has_ratio;
	double touched_ratio;   /**< touched / committed anon */
	bool over_commit_limit; /**< committed anon > CommitLimit */
	bool over_mem_total;    /**< committed anon > MemTotal */
	size_t threads_located; /**< threads whose stack was found */
	size_t stacks_guessed;  /**< thread stacks named by their layout */
	const char *touched_source; /**< "pagemap" or "smaps" */
};

/** Names the stacks of S (marks the mappings that hold a thread's stack
 * pointer as THREAD_STACK, the main thread's [stack] with its tid) and sums
 * its mappings into *T. */
void ovc_snap_analyze(struct ovc_snap *s, struct ovc_snap_totals *t);

/** Name of a mapping kind: "anon", "heap", "stack", "thread_stack",
 * "file", "shared", "special". */
const char *ovc_snap_kind_name(enum ovc_snap_kind k);

/** Which mappings a report lists one by one. */
struct ovc_snap_render_opts {
	size_t top;      /**< anonymous mappings shown in text (0: 20) */
	bool all_maps;   /**< every mapping in JSON and text, files too */
};

/** Writes the snapshot S with its totals T as text to OUT. False on a
 * write error. */
bool ovc_snap_render_text(FILE *out, const struct ovc_snap *s,
			  const struct ovc_snap_totals *t,
			  const struct ovc_snap_render_opts *o);

/** The snapshot S with its totals T as a JSON object (report-json.md,
 * "ovc-snapshot"); NULL when out of memory. */
json_t *ovc_snap_render_json(const struct ovc_snap *s,
			     const struct ovc_snap_totals *t,
			     const struct ovc_snap_render_opts *o);

/** The `proc` record of a log of origin "snapshot" for S (log-format.md),
 * of run RUN, sampled every INTERVAL_MS; NULL when out of memory. */
json_t *ovc_snap_log_header(const struct ovc_snap *s, const char *run,
			    int64_t interval_ms);

/** The `s` record of S with totals T, NS after the header's start. */
json_t *ovc_snap_log_sample(const struct ovc_snap *s,
			    const struct ovc_snap_totals *t, int64_t ns,
			    int64_t peak_live);

#endif
