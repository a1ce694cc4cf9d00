/* The OVC_* environment variables: one table, read by the preload, printed
 * by `ovc help options` and documented in docs/options.md. */
#ifndef OVC_OPTIONS_H
#define OVC_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

enum ovc_opt_kind {
	OVC_OPT_PATH,     /**< a path; made absolute at start */
	OVC_OPT_MS,       /**< a duration: 10, 10ms, 2s */
	OVC_OPT_SIZE,     /**< a size in bytes: 4096, 128K, 512KiB, 1G */
	OVC_OPT_COUNT,    /**< a non-negative integer */
	OVC_OPT_CHOICE,   /**< one word of a '|'-separated list; value = index */
	OVC_OPT_STRING,   /**< free text, not interpreted */
};

/* X(id, env name, kind, default, min, max, choices, help)
 * min and max bound numeric kinds; choices lists the words of a CHOICE. */
#define OVC_OPTIONS(X)                                                         \
	X(OUTPUT, "OVC_OUTPUT", OVC_OPT_PATH, "ovc-out", 0, 0, NULL,           \
	  "directory the logs are written to; made absolute at start, "       \
	  "created (mode 0700) when missing")                                 \
	X(INTERVAL, "OVC_INTERVAL", OVC_OPT_MS, "10", 1, 60000, NULL,          \
	  "how often the ticker samples /proc/self/statm and the counters, "  \
	  "in milliseconds (suffix ms or s accepted)")                        \
	X(VERBOSE, "OVC_VERBOSE", OVC_OPT_COUNT, "0", 0, 3, NULL,              \
	  "0: warnings only; 1: also say where the log goes; 2, 3: more")     \
	X(SUMMARY, "OVC_SUMMARY", OVC_OPT_CHOICE, "tty", 0, 0,                 \
	  "tty|always|never",                                                  \
	  "one line on stderr at exit naming the log and the headline "       \
	  "figures: tty = only when stderr is a terminal")                    \
	X(FRAMES, "OVC_FRAMES", OVC_OPT_COUNT, "32", 1, 256, NULL,             \
	  "frames kept of each call stack (innermost first)")                 \
	X(LARGE, "OVC_LARGE", OVC_OPT_SIZE, "128K", 1, 0, NULL,                \
	  "allocations of at least this size are always tracked with their "  \
	  "stack (glibc's mmap threshold by default)")                        \
	X(SAMPLE, "OVC_SAMPLE", OVC_OPT_SIZE, "512K", 0, 0, NULL,              \
	  "mean bytes between sampled smaller allocations; 1 tracks every "   \
	  "allocation, 0 tracks only large ones")                             \
	X(SEED, "OVC_SEED", OVC_OPT_COUNT, "0", 0, 0, NULL,                    \
	  "seed of the sampling of small allocations: 0 draws one at start "  \
	  "(logged as the header's seed); the same seed samples the same "    \
	  "allocations again in a program that allocates the same way")      \
	X(MMAP, "OVC_MMAP", OVC_OPT_CHOICE, "anon", 0, 0, "anon|all|none",     \
	  "mappings the program makes with mmap: anon tracks anonymous "      \
	  "private ones with their stack and probes them; all also file and " \
	  "shared ones; none only counts the calls")                          \
	X(FOLLOW, "OVC_FOLLOW", OVC_OPT_CHOICE, "all", 0, 0, "all|none",        \
	  "all: every descendant writes a log; none: only the command of "    \
	  "`ovc run` (its pid is in OVC_TOP)")                                \
	X(ONLY, "OVC_ONLY", OVC_OPT_STRING, "", 0, 0, NULL,                    \
	  "comma-separated shell globs on the executable's path or name: "    \
	  "only matching processes write logs (all still pass ovc on)")       \
	X(BUDGET, "OVC_BUDGET", OVC_OPT_STRING, "", 0, 0, NULL,                \
	  "SIZE, commit or avail: refuse (NULL, ENOMEM) allocations that "    \
	  "would take live requested bytes above SIZE, CommitLimit or the "   \
	  "MemAvailable at start; strict overcommit for one process")         \
	X(PREFAULT, "OVC_PREFAULT", OVC_OPT_COUNT, "0", 0, 1, NULL,            \
	  "1: populate large blocks when allocated (MADV_POPULATE_WRITE), "   \
	  "so malloc returns NULL when the memory is not there")              \
	X(SAMPLER, "OVC_SAMPLER", OVC_OPT_CHOICE, "process", 0, 0,             \
	  "process|thread",                                                    \
	  "what runs the ticker: process = a process of ovc's own sharing "   \
	  "the program's memory (a thread when it cannot be had); thread = "  \
	  "a thread of the program, which makes glibc lock as in a "          \
	  "multi-threaded program")                                           \
	X(WARN, "OVC_WARN", OVC_OPT_CHOICE, "auto", 0, 0,                     \
	  "auto|stderr|log|none",                                              \
	  "where ovc's warnings go: stderr = the stderr the program started "  \
	  "with; log = `warn` records in the log, or `ovc run`'s report when " \
	  "there is no log; none = nowhere; auto = log under `ovc run`, "      \
	  "stderr otherwise")                                                  \
	X(TOP, "OVC_TOP", OVC_OPT_STRING, "", 0, 0, NULL,                      \
	  "pid of the command of `ovc run`, for OVC_FOLLOW=none; set by ovc " \
	  "run")                                                              \
	X(RUN, "OVC_RUN", OVC_OPT_STRING, "", 0, 0, NULL,                      \
	  "run id set by `ovc run` so its report covers only its processes; " \
	  "not meant to be set by hand")

enum ovc_opt_id {
#define OVC_OPT_ENUM(id, ...) OVC_OPT_##id,
	OVC_OPTIONS(OVC_OPT_ENUM)
#undef OVC_OPT_ENUM
	OVC_OPT_COUNT_
};

enum ovc_summary_mode { OVC_SUMMARY_TTY, OVC_SUMMARY_ALWAYS, OVC_SUMMARY_NEVER };
enum ovc_follow_mode { OVC_FOLLOW_ALL, OVC_FOLLOW_NONE };
enum ovc_mmap_mode { OVC_MMAP_ANON, OVC_MMAP_ALL, OVC_MMAP_NONE };
enum ovc_sampler_mode { OVC_SAMPLER_PROCESS, OVC_SAMPLER_THREAD };
enum ovc_warn_mode { OVC_WARN_AUTO, OVC_WARN_TO_STDERR, OVC_WARN_TO_LOG,
		     OVC_WARN_NONE };

struct ovc_opt_def {
	const char *env;
	enum ovc_opt_kind kind;
	const char *def;
	uint64_t min, max;
	const char *choices;
	const char *help;
};

/** The table, indexed by enum ovc_opt_id. */
extern const struct ovc_opt_def ovc_opt_defs[OVC_OPT_COUNT_];

/** Parses TEXT as option DEF into *OUT (numbers; choice index). Returns true
 * on success; false leaves *OUT untouched. Does not allocate; safe in hooks. */
bool ovc_opt_parse_number(const struct ovc_opt_def *def, const char *text,
			  uint64_t *out);

/** Parses a size with an optional binary suffix (K, KB, KiB, M, G, T; case
 * ignored) into bytes. Returns false on garbage, negative or overflow. Does
 * not allocate. */
bool ovc_parse_size(const char *text, uint64_t *out);

/** Parses a process id (OVC_TOP): decimal digits only, 1 to 4194304 (the
 * kernel's largest pid_max). Returns false on anything else. Does not
 * allocate. */
bool ovc_parse_pid(const char *text, long *out);

/** Parses a duration in milliseconds: "10", "10ms", "2s". Does not allocate. */
bool ovc_parse_ms(const char *text, uint64_t *out);

/** Writes N bytes in binary units ("0 B", "512 B", "1.5 KiB", "128.0 TiB")
 * into BUF (at least 16 bytes). Returns BUF. Does not allocate. */
char *ovc_format_bytes(uint64_t n, char *buf, unsigned long size);

#endif
