/* Reduction of a process's samples to bounded min/max time buckets, done
 * while the log is read, so memory does not grow with the log. */
#include "read/series.h"

#include <stdlib.h>
#include <string.h>

/* First bucket width: 1 ms, finer than any sampling interval but
 * OVC_INTERVAL=1; 1,000 buckets then cover the first second. */
#define FIRST_WIDTH_NS 1000000
#define MAX_WIDTH_NS ((int64_t)1 << 61)

struct ovc_series *ovc_series_create(void)
{
	struct ovc_series *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->width_ns = FIRST_WIDTH_NS;
	s->last_t_ns = -1;
	for (int i = 0; i < OVC_SER_COUNT; i++) {
		s->peak[i] = (struct ovc_point){-1, -1};
		s->last[i] = (struct ovc_point){-1, -1};
	}
	return s;
}

void ovc_series_destroy(struct ovc_series *s)
{
	if (!s)
		return;
	free(s->buckets);
	free(s);
}

static void bucket_init(struct ovc_bucket *b, int64_t index)
{
	b->index = index;
	for (int i = 0; i < OVC_SER_COUNT; i++)
		b->min[i] = b->max[i] = (struct ovc_point){-1, -1};
}

/* Folds point P of series I into bucket B. Ties keep the earlier point. */
static void bucket_put(struct ovc_bucket *b, int i, struct ovc_point p)
{
	if (p.bytes < 0)
		return;
	if (b->min[i].bytes < 0 || p.bytes < b->min[i].bytes ||
	    (p.bytes == b->min[i].bytes && p.t_ns < b->min[i].t_ns))
		b->min[i] = p;
	if (b->max[i].bytes < 0 || p.bytes > b->max[i].bytes ||
	    (p.bytes == b->max[i].bytes && p.t_ns < b->max[i].t_ns))
		b->max[i] = p;
}

/* Doubles the bucket width and merges the buckets that now share an index,
 * until at most OVC_SERIES_MAX_BUCKETS / 2 remain (room to grow again). */
static void coarsen(struct ovc_series *s)
{
	while (s->nbuckets > OVC_SERIES_MAX_BUCKETS / 2 &&
	       s->width_ns < MAX_WIDTH_NS) {
		s->width_ns *= 2;
		size_t n = 0;
		for (size_t j = 0; j < s->nbuckets; j++) {
			struct ovc_bucket *b = &s->buckets[j];
			int64_t idx = b->index / 2;
			if (n > 0 && s->buckets[n - 1].index == idx) {
				struct ovc_bucket *into = &s->buckets[n - 1];
				for (int i = 0; i < OVC_SER_COUNT; i++) {
					bucket_put(into, i, b->min[i]);
					bucket_put(into, i, b->max[i]);
				}
				continue;
			}
			s->buckets[n] = *b;
			s->buckets[n].index = idx;
			n++;
		}
		s->nbuckets = n;
	}
}

bool ovc_series_add(struct ovc_series *s, int64_t t_ns,
		    const int64_t values[OVC_SER_COUNT])
{
	if (t_ns < 0)
		t_ns = s->last_t_ns > 0 ? s->last_t_ns : 0;
	s->samples++;
	for (int i = 0; i < OVC_SER_COUNT; i++) {
		if (values[i] < 0)
			continue;
		struct ovc_point p = {t_ns, values[i]};
		if (values[i] > s->peak[i].bytes)
			s->peak[i] = p;
		s->last[i] = p;
	}
	if (t_ns > s->last_t_ns)
		s->last_t_ns = t_ns;

	int64_t idx = t_ns / s->width_ns;
	struct ovc_bucket *b = s->nbuckets ? &s->buckets[s->nbuckets - 1]
					   : NULL;
	/* An earlier sample (out of order) goes into the latest bucket: the
	 * values are kept, only their time is approximate. */
	if (!b || idx > b->index) {
		if (s->nbuckets >= OVC_SERIES_MAX_BUCKETS) {
			coarsen(s);
			idx = t_ns / s->width_ns;
			b = &s->buckets[s->nbuckets - 1];
		}
	}
	if (!b || idx > b->index) {
		if (s->nbuckets == s->cap) {
			size_t ncap = s->cap ? s->cap * 2 : 8;
			if (ncap > OVC_SERIES_MAX_BUCKETS)
				ncap = OVC_SERIES_MAX_BUCKETS;
			struct ovc_bucket *nb =
				realloc(s->buckets, ncap * sizeof *nb);
			if (!nb)
				return false;
			s->buckets = nb;
			s->cap = ncap;
		}
		b = &s->buckets[s->nbuckets++];
		bucket_init(b, idx);
	}
	for (int i = 0; i < OVC_SER_COUNT; i++)
		bucket_put(b, i, (struct ovc_point){t_ns, values[i]});
	return true;
}

size_t ovc_series_points(const struct ovc_series *s, enum ovc_series_id id,
			 struct ovc_point *out)
{
	size_t n = 0;
	if (!s || id >= OVC_SER_COUNT)
		return 0;
	for (size_t j = 0; j < s->nbuckets; j++) {
		struct ovc_point lo = s->buckets[j].min[id];
		struct ovc_point hi = s->buckets[j].max[id];
		if (lo.bytes < 0)
			continue;
		if (lo.t_ns == hi.t_ns && lo.bytes == hi.bytes) {
			out[n++] = lo;
		} else if (lo.t_ns <= hi.t_ns) {
			out[n++] = lo;
			out[n++] = hi;
		} else {
			out[n++] = hi;
			out[n++] = lo;
		}
	}
	return n;
}

static const char *const names[OVC_SER_COUNT] = {"live", "vm", "rss", "anon"};
static const char *const labels[OVC_SER_COUNT] = {
	"live requested", "virtual", "resident", "anon resident"};

const char *ovc_series_name(enum ovc_series_id id)
{
	return id < OVC_SER_COUNT ? names[id] : "?";
}

const char *ovc_series_label(enum ovc_series_id id)
{
	return id < OVC_SER_COUNT ? labels[id] : "?";
}
