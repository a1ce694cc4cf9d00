/* The one contract between libovc.so and the ovc command: log file names,
 * record types, field names and the format version (docs/log-format.md). */
#ifndef OVC_LOG_FORMAT_H
#define OVC_LOG_FORMAT_H

/** Value of "format" in the first record of every ovc log. */
#define OVC_LOG_FORMAT "ovc-log"
/** Format version; readers refuse logs with a version they do not know. */
#define OVC_LOG_VERSION 1

/** Process logs are named OVC_LOG_PREFIX "<pid>.<k>" OVC_LOG_SUFFIX, where k is
 * the first number (0, 1, ...) for which no file of that name exists yet. */
#define OVC_LOG_PREFIX "ovc."
/** Run files written by `ovc run`: OVC_RUN_PREFIX "<pid>.<k>" OVC_LOG_SUFFIX. */
#define OVC_RUN_PREFIX "ovc-run."
#define OVC_LOG_SUFFIX ".jsonl"

/* Record types: the value of the "t" field of each line. */
#define OVC_REC_PROC "proc"   /**< first line: format, version, process facts */
#define OVC_REC_SAMPLE "s"    /**< counters and statm at one moment */
#define OVC_REC_EXEC "exec"   /**< the image is about to call execve */
#define OVC_REC_END "end"     /**< the image ended: exit code */
#define OVC_REC_WARN "warn"   /**< something ovc could not do */
#define OVC_REC_MODULE "mod"  /**< a loaded object: path, build id, address */
#define OVC_REC_SITE "site"   /**< a call stack, as module + offset frames */
#define OVC_REC_SITE_STATS "ss" /**< a site's figures at one moment */
#define OVC_REC_UNTRACED "untraced" /**< exec/spawn of a program ovc cannot follow */
#define OVC_REC_OVER "over"   /**< live bytes crossed CommitLimit or MemTotal */
#define OVC_REC_REFUSE "refuse" /**< an allocation refused by OVC_BUDGET */
#define OVC_REC_SNAPSHOT_END "snapshot_end" /**< `ovc snapshot --watch` stopped */
#define OVC_REC_RUN "run"     /**< first line of a run file */
#define OVC_REC_RUN_END "run_end" /**< how the command of `ovc run` ended */
#define OVC_REC_SIDE "side" /**< a message a process sent `ovc run` (run file) */
/** `ovc run` binds the abstract unix datagram socket "\0" OVC_SIDE_PREFIX
 * "<run id>"; a process that cannot write its log says so there. */
#define OVC_SIDE_PREFIX "ovc-run-"

/* Optional fields of a sample record (older logs lack them; readers take
 * the sampled statm figures then): the kernel's own figures from
 * /proc/self/status, in bytes. VmPeak and VmHWM are high-water marks,
 * exact however short the peak; RssAnon is the value at the sample. */
#define OVC_FIELD_VM_PEAK "vm_peak"   /**< VmPeak */
#define OVC_FIELD_RSS_HWM "rss_hwm"   /**< VmHWM */
#define OVC_FIELD_RSS_ANON "rss_anon" /**< RssAnon */
#define OVC_FIELD_HUGETLB "hugetlb"   /**< HugetlbPages, only when not 0 */

/** The hooked functions, in the order of the "calls", "failed" and
 * "requested" arrays of a sample record. The header repeats this list as
 * "funcs", so a reader takes the order from the log, not from this macro. */
#define OVC_FUNCS(X)                                                           \
	X(MALLOC, "malloc")                                                    \
	X(CALLOC, "calloc")                                                    \
	X(REALLOC, "realloc")                                                  \
	X(REALLOCARRAY, "reallocarray")                                        \
	X(FREE, "free")                                                        \
	X(POSIX_MEMALIGN, "posix_memalign")                                    \
	X(ALIGNED_ALLOC, "aligned_alloc")                                      \
	X(MEMALIGN, "memalign")                                                \
	X(VALLOC, "valloc")                                                    \
	X(PVALLOC, "pvalloc")

/** The mmap family, in the order of the "map_calls", "map_failed" and
 * "map_bytes" arrays of a sample record (the header repeats it as
 * "map_funcs"). Kept apart from OVC_FUNCS: mapped bytes are not requested
 * bytes of the malloc family, and reports show the two side by side. */
#define OVC_MAP_FUNCS(X)                                                       \
	X(MMAP, "mmap")                                                        \
	X(MUNMAP, "munmap")                                                    \
	X(MREMAP, "mremap")                                                    \
	X(MPROTECT, "mprotect")

enum ovc_map_func {
#define OVC_MAP_FUNC_ENUM(id, name) OVC_MFN_##id,
	OVC_MAP_FUNCS(OVC_MAP_FUNC_ENUM)
#undef OVC_MAP_FUNC_ENUM
	OVC_MFN_COUNT
};

enum ovc_func {
#define OVC_FUNC_ENUM(id, name) OVC_FN_##id,
	OVC_FUNCS(OVC_FUNC_ENUM)
#undef OVC_FUNC_ENUM
	OVC_FN_COUNT
};

/** The names of OVC_FUNCS and OVC_MAP_FUNCS, by enum value: the one table
 * the preload writes into logs and the CLI reads and prints. */
__attribute__((unused)) static const char *const ovc_func_names[OVC_FN_COUNT] = {
#define OVC_FUNC_NAME_(id, name) [OVC_FN_##id] = name,
	OVC_FUNCS(OVC_FUNC_NAME_)
#undef OVC_FUNC_NAME_
};
__attribute__((unused)) static const char *const ovc_map_func_names[OVC_MFN_COUNT] = {
#define OVC_MAP_FUNC_NAME_(id, name) [OVC_MFN_##id] = name,
	OVC_MAP_FUNCS(OVC_MAP_FUNC_NAME_)
#undef OVC_MAP_FUNC_NAME_
};

#endif
