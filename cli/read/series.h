/* A process's samples over time, reduced as they are read to a bounded
 * number of time buckets that keep each series' minimum and maximum (and
 * so its peak): what `ovc plot` and the HTML report draw. */
#ifndef OVC_CLI_SERIES_H
#define OVC_CLI_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The series of a process, in drawing order. */
enum ovc_series_id {
	OVC_SER_LIVE, /**< live requested bytes */
	OVC_SER_VM,   /**< virtual size (statm size) */
	OVC_SER_RSS,  /**< resident (statm resident) */
	OVC_SER_ANON, /**< anonymous resident (resident - shared) */
	OVC_SER_COUNT,
};

/** Most buckets kept: each holds a minimum and a maximum, so a series has
 * at most 2 * OVC_SERIES_MAX_BUCKETS points (2,000). */
#define OVC_SERIES_MAX_BUCKETS 1000

/** One value and when it was seen. */
struct ovc_point {
	int64_t t_ns;
	int64_t bytes;
};

/** One time bucket: per series the smallest and the largest value seen in
 * it (bytes -1: no value of that series in the bucket). */
struct ovc_bucket {
	int64_t index; /**< bucket number: t_ns / width_ns */
	struct ovc_point min[OVC_SER_COUNT], max[OVC_SER_COUNT];
};

/** The reduced series of one process image. */
struct ovc_series {
	int64_t width_ns;       /**< bucket width; doubles as the run grows */
	struct ovc_bucket *buckets; /**< in time order */
	size_t nbuckets, cap;
	uint64_t samples;       /**< samples added */
	struct ovc_point peak[OVC_SER_COUNT]; /**< first largest value */
	struct ovc_point last[OVC_SER_COUNT]; /**< latest value */
	int64_t last_t_ns;      /**< time of the latest sample; -1 when none */
};

/** Returns an empty series, or NULL when out of memory. */
struct ovc_series *ovc_series_create(void);

/** Frees S; NULL is a no-op. */
void ovc_series_destroy(struct ovc_series *s);

/** Adds a sample taken at T_NS with VALUES (bytes; -1 where the sample
 * lacked that figure). Samples should come in time order; an earlier one
 * is counted in the latest bucket. Keeps at most OVC_SERIES_MAX_BUCKETS
 * buckets by doubling the bucket width and merging neighbours, which never
 * loses a bucket's minimum or maximum. Returns false when out of memory
 * (the sample is then only counted in the peaks). */
bool ovc_series_add(struct ovc_series *s, int64_t t_ns,
		    const int64_t values[OVC_SER_COUNT]);

/** Writes the points of series ID of S into OUT (room for
 * 2 * OVC_SERIES_MAX_BUCKETS), in time order: per bucket its minimum and
 * maximum (one point when they are the same sample). Returns the count. */
size_t ovc_series_points(const struct ovc_series *s, enum ovc_series_id id,
			 struct ovc_point *out);

/** Short name of series ID: "live", "vm", "rss", "anon". */
const char *ovc_series_name(enum ovc_series_id id);

/** What series ID shows, for legends: "live requested", "virtual", ... */
const char *ovc_series_label(enum ovc_series_id id);

#endif
