/* The model every ovc command reads: process images with their header facts,
 * aggregates and allocation sites, how each ended, the run files and the
 * host. */
#ifndef OVC_CLI_MODEL_H
#define OVC_CLI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ovc/log-format.h"

/** How a process image ended. */
enum ovc_end_kind {
	OVC_END_ABRUPT, /**< no end record, no successor: killed or crashed */
	OVC_END_EXIT,   /**< exit code known (end record or run file) */
	OVC_END_SIGNAL, /**< killed by a signal (known from the run file) */
	OVC_END_EXEC,   /**< replaced by execve */
	OVC_END_SNAPSHOT, /**< watched from outside (`ovc snapshot --watch`):
			       how it ended is not known */
};

/** Where the end of an image was learnt from. */
enum ovc_end_source {
	OVC_SRC_NONE,
	OVC_SRC_LOG,     /**< its own `end` or `exec` record */
	OVC_SRC_SUCCESSOR, /**< the log of the image that replaced it */
	OVC_SRC_RUN,     /**< the run file of `ovc run` */
};

/** Machine facts, from the `proc` record of a log. Unknown values are -1. */
struct ovc_host {
	bool known;
	int64_t mem_total_bytes;
	int64_t mem_available_bytes;
	int64_t commit_limit_bytes;
	int64_t committed_as_bytes;
	int64_t overcommit_memory;
	int64_t overcommit_ratio;
	int64_t page_size;
};

/** Most sites kept per process image; later ones are counted, not kept. */
#define OVC_MAX_SITES 100000
/** Most frames kept per site (the innermost ones); the rest are counted. */
#define OVC_MAX_FRAMES 256
/** Most frames kept over all sites of a process image, so that a hostile
 * log cannot make ovc hold OVC_MAX_SITES * OVC_MAX_FRAMES frames. */
#define OVC_MAX_FRAMES_TOTAL (1u << 22)
/** Most modules kept per process image. */
#define OVC_MAX_MODULES 65536

/** A loaded object of a process image (`mod` record). */
struct ovc_module {
	int64_t id;     /**< per log */
	char *path;     /**< as logged; never NULL ("" when missing) */
	char *build_id; /**< GNU build id in hex; "" when none */
	int64_t base;   /**< load bias; -1 when missing */
	int64_t lo, hi; /**< address range of its loadable segments; -1
			     when missing */
};

/** One frame of a site, innermost first (`site` record). */
struct ovc_frame {
	int64_t mod;     /**< module id; -1: outside every module (JIT) */
	uint64_t offset; /**< return address - module base; the absolute
			      address when mod is -1 */
};

/** One call stack that reached an allocation function, with the figures of
 * its last `ss` record (they are cumulative). */
struct ovc_site {
	int64_t id;
	struct ovc_frame *frames; /**< nframes, innermost first */
	size_t nframes;
	size_t frames_dropped; /**< beyond OVC_MAX_FRAMES or the total cap */
	bool has_figures;      /**< an `ss` record was read */
	int64_t blocks;
	int64_t requested_bytes;
	int64_t live_bytes, peak_live_bytes;
	int64_t touched_bytes;  /**< as measured (probed blocks only) */
	int64_t reused_bytes;   /**< resident when allocated (reused heap),
				     apart from touched; 0 in older logs */
	int64_t unprobed_bytes; /**< live bytes never probed */
	bool sampled, shared_pages;
	bool lazyfree_shared; /**< pages freed with MADV_FREE were shared out
				   among its blocks and others: estimated */
	int kind; /**< enum ovc_site_family: which family allocated */
	int64_t committed_bytes, peak_committed_bytes; /**< mmap sites */
	bool has_live_touched;      /**< the last `ss` had live_touched */
	int64_t live_touched_bytes; /**< touched bytes of its live blocks */
	int64_t live_blocks;    /**< blocks not yet freed; -1 when the log
				     does not say (older logs, mmap sites) */
	int64_t live_sd_bytes;  /**< sampling standard error of live_bytes */
	int64_t sample_bytes;   /**< OVC_SAMPLE of its process; -1: unknown */
};

/** Which family of functions made a site's blocks. */
enum ovc_site_family {
	OVC_FAMILY_MALLOC = 0, /**< the malloc family */
	OVC_FAMILY_MMAP = 1,   /**< mmap: anonymous private mappings */
	OVC_FAMILY_MAPPED = 2, /**< mmap: file-backed or shared mappings */
};

/** "malloc", "mmap" or "mapped". */
const char *ovc_family_name(int kind);

/** What a report shows of a site: its figures with the touched bytes of
 * unprobed blocks extrapolated (docs/report-json.md). */
struct ovc_site_figures {
	int64_t blocks;
	int64_t requested_bytes;
	int64_t live_bytes, peak_live_bytes;
	int64_t touched_bytes;   /**< measured + extrapolated, <= requested */
	int64_t untouched_bytes; /**< requested - touched, >= 0 */
	int64_t reused_bytes;    /**< resident when allocated, not touched */
	bool has_ratio;          /**< false when nothing was requested */
	double touched_ratio;    /**< touched / requested in [0, 1] */
	bool estimated; /**< sampled, shared pages or unprobed bytes */
	/** For a sampled site: the sampling error (one standard error) of
	 * requested_bytes and touched_bytes, sqrt(OVC_SAMPLE * figure), an
	 * upper bound for byte-weighted sampling; 0 when not sampled or the
	 * log does not give OVC_SAMPLE. */
	int64_t requested_err_bytes, touched_err_bytes;
};

/** Orders of the sites of a process. */
enum ovc_site_sort {
	OVC_SORT_UNTOUCHED, /**< most untouched bytes first */
	OVC_SORT_REQUESTED, /**< most requested bytes first */
	OVC_SORT_TOUCHED,   /**< most touched bytes first */
	OVC_SORT_RATIO,     /**< lowest touched ratio first */
};

struct ovc_id_index;
struct ovc_proc_extra; /* proc-extra.h: chart samples, over/refuse */

/** A program an image started (exec or posix_spawn) that the preload
 * cannot follow (`untraced` record): statically linked, setuid or setgid. */
struct ovc_untraced {
	int64_t t_ns; /**< when, since the image began; -1 when unknown */
	char *path;   /**< the program, as given; never NULL */
	char *why;    /**< "static", "setuid", "setgid", "cleared" (the
			   program set LD_PRELOAD empty), "output" (it set
			   OVC_OUTPUT to another directory), ...; never NULL */
	char *output; /**< with "output": that directory; else NULL */
};
/** Most untraced records kept per image; later ones are counted. */
#define OVC_MAX_UNTRACED 1000

/** One process image: one `ovc.<pid>.<k>.jsonl` log. Only aggregates are
 * kept, never the samples, so memory does not grow with the log. */
struct ovc_proc {
	char *log;        /**< path as read */
	const char *log_name; /**< file name part of log */
	int64_t k;        /**< from the file name; -1 when it does not parse */
	size_t read_index; /**< order in which the log was read */

	/* header facts (proc record); strings never NULL, "" when missing */
	int64_t pid, ppid;
	char *exe;
	char **argv; /**< argc strings */
	size_t argc;
	char *run;
	char *origin;     /**< "start", "fork", "exec" */
	char *parent_log; /**< "" when absent */
	int64_t proc_start_ticks;
	int64_t start_unix_ns, start_mono_ns;
	int64_t interval_ms;
	int64_t sample_bytes; /**< OVC_SAMPLE in force (header); -1: unknown */
	struct ovc_host host;
	int64_t baseline_vm_bytes, baseline_rss_bytes, baseline_shared_bytes;
	/** A fork child: the live bytes (malloc family) and committed bytes
	 * (mmap family) it held of its parent's at the fork (header
	 * "inherited"); -1 when the log does not say (older logs). Its own
	 * figures below leave them out (ovc_model_link). */
	int64_t inherited_live_bytes, inherited_committed_bytes;
	/** A fork child: its figures as logged, the inherited bytes included,
	 * before ovc_model_link made them its own; -1 for other images. */
	int64_t logged_peak_live_bytes, logged_last_live_bytes;
	/** Position in the log's arrays of each enum ovc_func, or -1. */
	int func_pos[OVC_FN_COUNT];
	size_t nfuncs; /**< length of the log's funcs array */

	/* aggregates over the `s` records */
	uint64_t samples;
	int64_t first_ns, last_ns; /**< of any record with ns; -1 when none */
	/** Peaks: the kernel's high-water marks (VmPeak, VmHWM) where the
	 * samples carried them (kernel_peaks), else the largest sample. The
	 * anonymous peak: the largest sample, raised where the high-water mark
	 * rose between two samples to VmHWM minus the file pages resident
	 * around it (the kernel keeps no anonymous high-water mark). */
	int64_t peak_vm_bytes, peak_rss_bytes, peak_anon_rss_bytes;
	bool kernel_peaks; /**< a sample carried vm_peak and rss_hwm */
	int64_t hugetlb_bytes; /**< largest HugetlbPages seen, 0 when none */
	int64_t peak_live_bytes;
	/** The joint peak of live + committed (peak_asked); -1 in logs
	 * without it. */
	int64_t peak_asked_bytes;
	/** With several threads: the sum of the per-thread peaks, an upper
	 * bound of peak live (which is then the highest seen, a lower one);
	 * -1 when the log gives none (one thread: peak live is exact). */
	int64_t peak_live_bound_bytes;
	/** A fork child: the bytes it wrote since the fork (its copy-on-write
	 * copies and new pages; written_since_fork), the largest seen; -1
	 * when the log does not give it. */
	int64_t written_since_fork_bytes;
	int64_t last_hwm_bytes; /**< rss_hwm of the last sample; -1: none */
	int64_t last_file_bytes; /**< rss - anon of the last sample; -1: none */
	int64_t last_live_bytes, last_vm_bytes, last_rss_bytes,
		last_anon_rss_bytes;
	int64_t calls[OVC_FN_COUNT];     /**< from the last sample */
	int64_t failed[OVC_FN_COUNT];
	int64_t requested[OVC_FN_COUNT];

	/* the mmap family (map_* fields of the samples); has_maps when any
	 * sample carried them */
	bool has_maps;
	int map_pos[OVC_MFN_COUNT]; /**< position in the log's arrays, or -1 */
	size_t nmap_funcs;
	int64_t map_calls[OVC_MFN_COUNT];
	int64_t map_failed[OVC_MFN_COUNT];
	int64_t map_bytes[OVC_MFN_COUNT];
	int64_t mapped_bytes, peak_mapped_bytes;       /**< last, largest */
	int64_t committed_bytes, peak_committed_bytes; /**< last, largest */

	/* other records */
	bool has_end;
	int64_t end_code;
	char *end_via;
	/** Signal of an end record of kind "signal" (the sampler saw the
	 * process killed); 0 otherwise. */
	int64_t end_log_signal;
	bool exec_last;   /**< an exec record with nothing but samples after */
	char *exec_path;  /**< path of the last exec record, or NULL */
	uint64_t warn_records;
	char *first_warn; /**< msg of the first warn record, or NULL */
	/** A log of `ovc snapshot --watch` (origin "snapshot"): why the watch
	 * stopped ("exited", "interrupted", "count"), NULL when unknown. */
	char *snapshot_end;

	/* modules and sites (mod, site, ss records) */
	struct ovc_module *modules;
	size_t nmodules, modules_cap;
	struct ovc_site *sites;
	size_t nsites, sites_cap;
	size_t nframes_total;  /**< frames kept over all sites */
	uint64_t sites_dropped; /**< site records beyond OVC_MAX_SITES */
	struct ovc_id_index *module_index, *site_index;

	/* reading */
	uint64_t bad_lines;
	bool torn_tail; /**< the last line was cut short */

	/* charts and diagnosis (proc-extra.h); NULL until a record needs it */
	struct ovc_proc_extra *extra;

	/* untraced records (suite.h), in log order */
	struct ovc_untraced *untraced;
	size_t nuntraced, untraced_cap;
	uint64_t untraced_dropped; /**< beyond OVC_MAX_UNTRACED */

	/* resolved by ovc_model_link() */
	enum ovc_end_kind end_kind;
	enum ovc_end_source end_source;
	int64_t end_signal;
	struct ovc_proc *successor;   /**< image that replaced this one */
	struct ovc_proc *predecessor;
	struct ovc_proc *parent;      /**< the log named by parent_log (fork) */
};

/** One run file written by `ovc run`. */
/** A `side` record: a process that had no log (it could not create one,
 * or writing it stopped) and why. */
struct ovc_side {
	int64_t pid;
	char *exe;
	char *why; /**< "output": no log could be created; "log": it stopped */
	char *msg;
};
/** Most side records kept per run; later ones are counted. */
#define OVC_MAX_SIDE 64

struct ovc_run {
	char *log;
	char *run;
	int64_t pid, ovc_pid;
	char **argv;
	size_t argc;
	int64_t start_unix_ns;
	bool has_end;
	enum ovc_end_kind end_kind; /**< OVC_END_EXIT or OVC_END_SIGNAL */
	int64_t end_code, end_signal, duration_ns;
	/** Processes of the run that could not write a log and said so
	 * through `ovc run`'s side channel (`side` records, run file). */
	struct ovc_side *side;
	size_t nside;
	uint64_t side_dropped; /**< beyond OVC_MAX_SIDE */
};

/** Everything read from a set of logs. */
struct ovc_model {
	struct ovc_proc **procs;
	size_t nprocs, procs_cap;
	struct ovc_run **runs;
	size_t nruns, runs_cap;
	struct ovc_host host; /**< from the first process (after linking) */
};

/** Sets every figure of H unknown (-1), H->known false. */
void ovc_host_init(struct ovc_host *h);

/** Returns an empty model, or NULL when out of memory. */
struct ovc_model *ovc_model_create(void);

/** Frees the model and everything in it; NULL is a no-op. */
void ovc_model_destroy(struct ovc_model *m);

/** Returns a zeroed process with every field at its default ("" strings,
 * -1 for unknowns), owned by nobody yet; NULL when out of memory. */
struct ovc_proc *ovc_proc_create(const char *log_path);

/** Frees P; NULL is a no-op. */
void ovc_proc_destroy(struct ovc_proc *p);

/** Gives back the room P's arrays of modules and sites keep for more, once
 * its log is read: a report holds thousands of processes. */
void ovc_proc_trim(struct ovc_proc *p);

/** Returns a run with defaults, or NULL when out of memory. */
struct ovc_run *ovc_run_create(const char *log_path);

/** Frees R; NULL is a no-op. */
void ovc_run_destroy(struct ovc_run *r);

/** Hands P (or R) to the model. Returns false (and frees it) when out of
 * memory. */
bool ovc_model_add_proc(struct ovc_model *m, struct ovc_proc *p);
bool ovc_model_add_run(struct ovc_model *m, struct ovc_run *r);

/** (link.c) Sorts the processes by (start_unix_ns, pid, k), links exec successors,
 * fork parents and run files, resolves how each image ended and takes the
 * host facts from the first process. Call once, after all logs are read. */
void ovc_model_link(struct ovc_model *m);

/* ---- figures derived from the aggregates (figures.c) ---- */

/** What P asked for at its peak: the joint peak of live (malloc family)
 * plus committed (mmap family) where the log has it (peak_asked), else
 * peak live (older logs; snapshot logs). */
int64_t ovc_proc_asked_bytes(const struct ovc_proc *p);

/** Whether ovc_proc_asked_bytes counts the mmap family (the log has the
 * joint peak). */
bool ovc_proc_asked_joint(const struct ovc_proc *p);

/** Touched ratio of P: (peak anon rss - baseline anon rss) / asked, not
 * clamped: above 1 where something ovc does not see (stacks, .bss, raw
 * system calls) was touched. Returns false when nothing was asked for
 * (ratio undefined). */
bool ovc_proc_touched_ratio(const struct ovc_proc *p, double *ratio);

/** Anonymous resident growth over the baseline at peak, >= 0. */
int64_t ovc_proc_touched_bytes(const struct ovc_proc *p);

/** Whether P began in a child of fork (origin "fork"): its figures are
 * its own, what it inherited is kept apart (inherited_live_bytes). */
bool ovc_proc_forked(const struct ovc_proc *p);

/** Peak resident of P's own, what sums over processes add: its peak
 * resident, but for a fork child only its resident growth since the fork
 * plus the pages it wrote since (written_since_fork), at most its peak
 * resident: the pages it still shares with its parent are the parent's. */
int64_t ovc_proc_own_rss_bytes(const struct ovc_proc *p);

/** Overcommit gap at peak: asked - touched bytes, clamped to >= 0. */
int64_t ovc_proc_gap_bytes(const struct ovc_proc *p);

/** An upper bound of ovc_proc_asked_bytes: with several threads (the log
 * gives peak_live_bound) that bound plus peak committed; else the same. */
int64_t ovc_proc_asked_bound_bytes(const struct ovc_proc *p);

/** Touched outside what ovc saw: touched - the upper bound of asked,
 * clamped to >= 0. */
int64_t ovc_proc_outside_bytes(const struct ovc_proc *p);

/** Baseline anonymous resident (rss - shared before main), >= 0. */
int64_t ovc_proc_baseline_anon_bytes(const struct ovc_proc *p);

/** Duration of the image in ns (last record's ns), 0 when unknown. */
int64_t ovc_proc_duration_ns(const struct ovc_proc *p);

/** Total of P's failed calls over all functions. */
int64_t ovc_proc_total_failed(const struct ovc_proc *p);

/** Total bytes requested over all functions. */
int64_t ovc_proc_total_requested(const struct ovc_proc *p);

/** Names of the verdicts of P against host H: at most 2 entries of
 * "exceeds_commit_limit" and "exceeds_mem_total". Returns the count. */
size_t ovc_proc_verdicts(const struct ovc_proc *p, const struct ovc_host *h,
			 const char *out[2]);

/** Adds module MOD (its strings are copied) to P. Returns 1 when added,
 * 0 when a module of that id is known already or P holds OVC_MAX_MODULES
 * (nothing changes), -1 when out of memory. */
int ovc_proc_add_module(struct ovc_proc *p, const struct ovc_module *mod);

/** The module of id ID in P, or NULL. */
const struct ovc_module *ovc_proc_module(const struct ovc_proc *p, int64_t id);

/** Adds a site of id ID with the N frames FRAMES (innermost first; copied,
 * at most OVC_MAX_FRAMES of them kept) to P. Returns the new site, or NULL
 * when ID is known already (*DUP set), when P holds OVC_MAX_SITES sites
 * (counted in sites_dropped) or when out of memory. */
struct ovc_site *ovc_proc_add_site(struct ovc_proc *p, int64_t id,
				   const struct ovc_frame *frames, size_t n,
				   bool *dup);

/** The site of id ID in P, or NULL. */
struct ovc_site *ovc_proc_site(const struct ovc_proc *p, int64_t id);

/* ---- figures of sites (figures.c) ---- */

/** Figures of site S: touched bytes of its unprobed live bytes are
 * extrapolated at the touched ratio of its probed bytes,
 * touched / (requested - unprobed); with nothing probed they count as
 * untouched. */
void ovc_site_figures(const struct ovc_site *s, struct ovc_site_figures *f);

/** Orders the figures of two sites by KEY (then most untouched, then most
 * requested): negative when X comes first. */
int ovc_site_figures_cmp(const struct ovc_site_figures *x,
			 const struct ovc_site_figures *y, enum ovc_site_sort key);

/** Fills ORDER (room for p->nsites) with the indexes of P's sites that have
 * figures, best first by KEY (ties: more untouched, then lower id). Returns
 * how many were written. */
size_t ovc_proc_rank_sites(const struct ovc_proc *p, enum ovc_site_sort key,
			   size_t *order);

/** Parses a sort key name ("untouched", "requested", "touched", "ratio");
 * false when NAME is none of them. */
bool ovc_site_sort_parse(const char *name, enum ovc_site_sort *out);
/** Makes room for element N + 1 in the array at *ARRP (the address of
 * its pointer) of *CAP elements of SIZE bytes: doubles it when full, to
 * FIRST elements when empty. False when out of memory (the array kept). */
bool ovc_grow(void *arrp, size_t *cap, size_t n, size_t size, size_t first);

/** Makes the text at *S (of *CAP bytes) hold NEED bytes: grows it to
 * twice NEED when it is smaller. False when out of memory (the text
 * kept). */
bool ovc_grow_text(char **s, size_t *cap, size_t need);

/** Text built piece by piece (merge keys, folded stacks): S, malloc'd, of
 * LEN bytes and a NUL once anything was added, in CAP; OOM once it could
 * not grow, after which nothing more is added. Starts as {0}. */
struct ovc_text {
	char *s;
	size_t len, cap;
	bool oom;
};

/** Room for N more bytes and a NUL at the end of T: where to write them
 * (the caller then adds what it wrote to T->len), or NULL when out of
 * memory, now or before (T->oom). */
char *ovc_text_room(struct ovc_text *t, size_t n);

/** The index of NAME among the N names of a table of an enum's names
 * (NULL entries skipped), or -1; for the parsers of sort keys. */
#define OVC_NAMES(a) (sizeof(a) / sizeof *(a))
int ovc_name_index(const char *const *names, size_t n, const char *name);
/** Entry I of the table of N names, or "?" past its end. */
const char *ovc_name_at(const char *const *names, size_t n, size_t i);

/** Name of a sort key. */
const char *ovc_site_sort_name(enum ovc_site_sort key);

/** Name of a hooked function (enum ovc_func). */
const char *ovc_func_name(int fn);

/** Name of an end kind: "exit", "signal", "abrupt", "exec". */
const char *ovc_end_kind_name(enum ovc_end_kind k);

/** Human name of overcommit mode MODE ("heuristic", "always", "never"),
 * or "unknown". */
const char *ovc_overcommit_name(int64_t mode);

#endif
