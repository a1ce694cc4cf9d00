/* The traced image's state and its records, shared by the files of its
 * life cycle: image.c (the state, the samples, the ticker's step), start.c
 * (start, the header, fork, when the sampler starts), end.c (exit, exec,
 * a death the sampler saw). Not for other parts of the preload: they use
 * the ovc_lifecycle_* functions of lifecycle.h. */
#ifndef OVC_PRELOAD_IMAGE_H
#define OVC_PRELOAD_IMAGE_H

#include "account.h"
#include "base.h"
#include "fmt.h"
#include "procstat.h"

/* The image being traced. Fields are written under the log lock, except at
 * start and in a fork child, when no other thread of ovc's runs. */
struct ovc_image {
	pid_t pid;
	bool logging;    /* a log is open for this image */
	bool ended;      /* the end record is written */
	uint64_t start_ns;
	uint64_t last_write_ns;
	struct ovc_totals last;   /* totals of the last sample written */
	struct ovc_statm last_statm;
	struct ovc_status last_status; /* zero while unread */
	struct ovc_statm base;
	uint64_t peak_rss, peak_anon;
	bool probe_pending; /* memory had moved at the last probe: again */
	uint64_t probed_ns;   /* when the ticker last probed */
	uint64_t probed_anon; /* anonymous resident bytes then */
	bool probe_round;     /* a round over the blocks is under way */
	bool sampler_paused;  /* stopped for an exec: started again if it fails */
	int64_t dirty_base;   /* a fork child: Private_Dirty at the fork; -1 */
	uint64_t written_ns;  /* when written_since_fork was last measured */
	int64_t written;      /* bytes written since the fork then; -1: none */
	char name[128];          /* file name of the log, without directory */
	uint64_t ticks;          /* the process's start time; 0: not read */
};
/** The image of this process (lifecycle: image.c, start.c, end.c). */
extern struct ovc_image ovc_img OVC_HIDDEN;

/* The counters and statm at one moment: read once per tick, then both
 * compared with the last sample and written. */
struct ovc_moment {
	struct ovc_totals t;
	struct ovc_statm sm;
	struct ovc_status st; /* the kernel's high-water marks */
};

/** What the final probe of an image's blocks may cost (end, exec). */
#define OVC_FINAL_PROBE_NS 400000000u

/** Closes a record being built in B. */
void ovc_img_line_end(struct ovc_buf *b) OVC_HIDDEN;
/** Appends the record in B to the log (unless it overflowed). Caller holds
 * the log lock. */
void ovc_img_write_line(struct ovc_buf *b) OVC_HIDDEN;
/** Reads the counters, and statm unless SM is given, into M. Under the log
 * lock. */
void ovc_img_moment_take(struct ovc_moment *m, const struct ovc_statm *sm,
			 const struct ovc_status *st) OVC_HIDDEN;
/** Whether M differs from the last sample written. Under the log lock. */
bool ovc_img_moment_changed(const struct ovc_moment *m) OVC_HIDDEN;
/** Writes a sample of moment M taken at NOW. Under the log lock. */
void ovc_img_sample_at(uint64_t now, const struct ovc_moment *m) OVC_HIDDEN;
/** The file name of the log of process PID's K-th image (no directory). */
void ovc_img_log_name(char *dst, size_t cap, pid_t pid, unsigned k) OVC_HIDDEN;
/** The full path of that log, in OVC_OUTPUT; false when it does not fit. */
bool ovc_img_log_path(char *dst, size_t cap, pid_t pid, unsigned k) OVC_HIDDEN;
/** Reads the decimal number right after KEY in S (a log's line) into *OUT;
 * false when KEY or the number is missing. */
bool ovc_img_number_after(const char *s, const char *key, uint64_t *out) OVC_HIDDEN;
/** Takes the last moment of the image and writes it. Under the log lock. */
void ovc_img_sample_final(uint64_t now) OVC_HIDDEN;

#endif
