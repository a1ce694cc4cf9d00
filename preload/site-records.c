/* The records of the sites of tracked blocks (blocks.c): `over` when live
 * bytes first pass a machine limit, and `ss` with a site's figures when
 * they changed, batched per tick. */
#include "account.h"
#include "blocks.h"
#include "fmt.h"
#include "log.h"
#include "stack.h"

#include <string.h>

/* ---- limits ---- */

/* Machine limits for the `over` records: each is logged once, by the large
 * allocation that takes live bytes above it. */
static uint64_t limit_commit, limit_total;
static bool over_commit, over_total;

void ovc_blocks_set_limits(uint64_t commit_limit, uint64_t mem_total)
{
	limit_commit = commit_limit;
	limit_total = mem_total;
}

static void write_over(const char *limit, uint64_t limit_bytes, int64_t live,
		       size_t size, const struct ovc_site *s)
{
	char line[512];
	struct ovc_buf b;
	ovc_buf_record(&b, line, sizeof line, OVC_REC_OVER);
	ovc_buf_key_u64(&b, "ns", ovc_log_ns());
	ovc_buf_key(&b, "limit");
	ovc_buf_jstr(&b, limit, strlen(limit));
	ovc_buf_key_u64(&b, "limit_bytes", limit_bytes);
	ovc_buf_key_i64(&b, "live", live);
	ovc_buf_key_u64(&b, "size", size);
	ovc_buf_key_i64(&b, "site", s ? (int64_t)s->id : -1);
	ovc_buf_raw(&b, "}\n");
	ovc_record_write(&b);
}

/* Under the blocks lock, after a large allocation of SIZE at site S. */
void ovc_over_check(size_t size, const struct ovc_site *s)
{
	if ((over_commit || !limit_commit) && (over_total || !limit_total))
		return;
	int64_t live = ovc_account_live();
	if (!over_commit && limit_commit && (uint64_t)live > limit_commit) {
		over_commit = true;
		write_over("commit_limit", limit_commit, live, size, s);
	}
	if (!over_total && limit_total && (uint64_t)live > limit_total) {
		over_total = true;
		write_over("mem_total", limit_total, live, size, s);
	}
}

void ovc_over_fork_child(void)
{
	over_commit = over_total = false;
}

/* ---- records ---- */

/* V to the nearest whole number, 0 below 0 and UINT64_MAX from 2^64 on
 * (a site's sums are doubles: converting one past the range is undefined). */
static uint64_t rounded(double v)
{
	if (!(v > 0))
		return 0;
	return v + 0.5 >= 18446744073709551616.0 ? UINT64_MAX
						 : (uint64_t)(v + 0.5);
}

/* A site's `ss` record is written at most this often while the image
 * runs (when its figures changed), unless its live or touched bytes moved
 * by SS_STEP_MIN (or 1/16 of its live bytes), and always at the end: what
 * a SIGKILL leaves in the log is late by little where it matters. */
#define SS_EVERY_NS 100000000u
#define SS_STEP_MIN (1024.0 * 1024)

static bool ss_due(const struct ovc_site *s, uint64_t now)
{
	if (!s->ss_ns || now - s->ss_ns >= SS_EVERY_NS)
		return true;
	double step = s->live / 16 > SS_STEP_MIN ? s->live / 16 : SS_STEP_MIN;
	return __builtin_fabs(s->live - s->ss_live) >= step ||
	       __builtin_fabs(s->touched_live - s->ss_touched) >= step;
}

/* The `ss` records of one tick, written with one write(2). Under the
 * blocks lock; empty between ticks. */
static char batch[32768] OVC_TABLE("sites");
static size_t batch_len;

static void batch_flush(void)
{
	if (!batch_len)
		return;
	ovc_log_lock();
	ovc_log_write(batch, batch_len);
	ovc_log_unlock();
	batch_len = 0;
}

static void write_stats(struct ovc_site *s, uint64_t now)
{
	char line[512];
	struct ovc_buf b;
	ovc_buf_record(&b, line, sizeof line, OVC_REC_SITE_STATS);
	ovc_buf_key_u64(&b, "ns", now);
	ovc_buf_key_u64(&b, "id", s->id);
	ovc_buf_key_u64(&b, "blocks", rounded(s->blocks));
	ovc_buf_key_u64(&b, "requested", rounded(s->requested));
	ovc_buf_key_u64(&b, "live", rounded(s->live));
	ovc_buf_key_u64(&b, "peak_live", rounded(s->peak_live));
	ovc_buf_key_u64(&b, "touched", rounded(s->touched_freed + s->touched_live));
	ovc_buf_key_u64(&b, "live_touched", rounded(s->touched_live));
	ovc_buf_key_u64(&b, "reused", rounded(s->reused_freed + s->reused_live));
	ovc_buf_key_u64(&b, "unprobed", rounded(s->live - s->probed_live));
	if (s->kind == OVC_KIND_MALLOC) {
		/* what is still live at the end is what leaked */
		bool none = s->live_blocks < 0.5;
		ovc_buf_key_u64(&b, "live_blocks", none ? 0 : rounded(s->live_blocks));
		ovc_buf_key(&b, "live_sd");
		ovc_buf_u64(&b, none || s->live_var <= 0 ? 0
						       : rounded(__builtin_sqrt(s->live_var)));
	} else {
		ovc_buf_key_u64(&b, "committed", rounded(s->committed));
		ovc_buf_key_u64(&b, "peak_committed", rounded(s->peak_committed));
	}
	ovc_buf_key(&b, "sampled");
	ovc_buf_raw(&b, (s->flags & OVC_SITE_SAMPLED) ? "true" : "false");
	ovc_buf_key(&b, "shared_pages");
	ovc_buf_raw(&b, (s->flags & OVC_SITE_SHARED) ? "true" : "false");
	if (s->flags & OVC_SITE_LAZY_SHARED) {
		ovc_buf_key(&b, "lazyfree_shared");
		ovc_buf_raw(&b, "true");
	}
	ovc_buf_raw(&b, "}\n");
	s->dirty = false;
	s->ss_ns = now;
	s->ss_live = s->live;
	s->ss_touched = s->touched_live;
	if (b.overflow)
		return;
	if (batch_len + b.len > sizeof batch)
		batch_flush();
	memcpy(batch + batch_len, b.p, b.len);
	batch_len += b.len;
}

/* The sites whose figures changed since their last `ss` record, linked
 * by next_dirty (under the blocks lock): a tick visits those, not every
 * site. */
struct ovc_site *ovc_dirty_sites;

void ovc_site_dirty(struct ovc_site *s)
{
	if (!s || s->dirty)
		return;
	s->dirty = true;
	s->next_dirty = ovc_dirty_sites;
	ovc_dirty_sites = s;
}

/* Writes the `ss` records of the dirty sites that are due (ss_due), or of
 * all of them when FINAL. A tick leaves alone a site whose `site` record
 * is not in this log (a fork child's): writing it may need the list of
 * loaded objects, which the sampler process must not ask glibc for. The
 * fork handler wrote those of the dirty sites already. */
void ovc_sites_write(uint64_t now, bool final)
{
	struct ovc_site *s = ovc_dirty_sites, *later = NULL;
	ovc_dirty_sites = NULL;
	while (s) {
		struct ovc_site *next = s->next_dirty;
		if (!final && (!ss_due(s, now) || !s->written)) {
			s->next_dirty = later; /* stays dirty */
			later = s;
		} else {
			if (!s->written) {
				/* a fork child's new log: the site record
				 * goes first */
				batch_flush();
				ovc_site_get(s->ips, s->n,
					     (enum ovc_site_kind)s->kind);
			}
			write_stats(s, now);
		}
		s = next;
	}
	batch_flush();
	while (later) { /* back on the list, for a later tick */
		struct ovc_site *next = later->next_dirty;
		later->next_dirty = ovc_dirty_sites;
		ovc_dirty_sites = later;
		later = next;
	}
}
