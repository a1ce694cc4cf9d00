/* The traced image while it runs: its state, its samples (the counters,
 * statm and the kernel's high-water marks at one moment), the ticker's
 * step and the names of its logs. Its start is in start.c, its end in
 * end.c. */
#include "account.h"
#include "blocks.h"
#include "config.h"
#include "fmt.h"
#include "image.h"
#include "lifecycle.h"
#include "log.h"
#include "procstat.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ovc_image ovc_img;

/* ---- records ---- */

void ovc_img_line_end(struct ovc_buf *b)
{
	ovc_buf_raw(b, "}\n");
}

void ovc_img_write_line(struct ovc_buf *b)
{
	if (!b->overflow)
		ovc_log_write(b->p, b->len);
}


/* Reads the counters, and statm unless SM is given (already read). Under
 * the log lock (ovc_img.last_statm is the fallback). */
void ovc_img_moment_take(struct ovc_moment *m, const struct ovc_statm *sm,
			 const struct ovc_status *st)
{
	ovc_account_totals(&m->t);
	unsigned got = 0;
	if (sm && st) {
		m->sm = *sm;
		m->st = *st;
		got = OVC_GOT_STATM | OVC_GOT_STATUS;
	} else {
		got = ovc_proc_now(&m->sm, &m->st);
	}
	if (!(got & OVC_GOT_STATM))
		m->sm = ovc_img.last_statm;
	if (!(got & OVC_GOT_STATUS))
		m->st = ovc_img.last_status;
}

bool ovc_img_moment_changed(const struct ovc_moment *m)
{
	return m->sm.vm != ovc_img.last_statm.vm || m->sm.rss != ovc_img.last_statm.rss ||
	       m->sm.shared != ovc_img.last_statm.shared ||
	       memcmp(&m->st, &ovc_img.last_status, sizeof m->st) != 0 ||
	       memcmp(&m->t, &ovc_img.last, sizeof m->t) != 0;
}

/* The kernel's high-water marks and anonymous resident of a sample
 * (docs/log-format.md); nothing when status could not be read. */
static void status_fields(struct ovc_buf *b, const struct ovc_status *st)
{
	if (!st->rss_hwm)
		return;
	ovc_buf_key(b, OVC_FIELD_VM_PEAK);
	ovc_buf_u64(b, st->vm_peak);
	ovc_buf_key(b, OVC_FIELD_RSS_HWM);
	ovc_buf_u64(b, st->rss_hwm);
	if (st->has_anon) {
		ovc_buf_key(b, OVC_FIELD_RSS_ANON);
		ovc_buf_u64(b, st->rss_anon);
	}
	if (st->hugetlb) {
		ovc_buf_key(b, OVC_FIELD_HUGETLB);
		ovc_buf_u64(b, st->hugetlb);
	}
}

/* A fork child's bytes written since the fork (docs/log-format.md): the
 * growth of its Private_Dirty, measured at most every 50 ms (the kernel
 * walks the page tables for it) and always in the last sample (FINAL). */
static void fork_written_field(struct ovc_buf *b, uint64_t now, bool final)
{
	if (ovc_img.dirty_base < 0)
		return;
	if (final || now - ovc_img.written_ns >= 50000000u) {
		int64_t d = ovc_rollup_private_dirty();
		if (d >= 0 && d - ovc_img.dirty_base > ovc_img.written)
			ovc_img.written = d - ovc_img.dirty_base;
		ovc_img.written_ns = now;
	}
	if (ovc_img.written >= 0) {
		ovc_buf_key(b, "written_since_fork");
		ovc_buf_i64(b, ovc_img.written);
	}
}

/* The moment of the last sample of an image (end, exec). */
static struct ovc_moment final_moment;

void ovc_img_sample_at(uint64_t now, const struct ovc_moment *m)
{
	const struct ovc_totals t = m->t;
	const struct ovc_statm sm = m->sm;
	if (sm.rss > ovc_img.peak_rss)
		ovc_img.peak_rss = sm.rss;
	if (sm.rss - sm.shared > ovc_img.peak_anon)
		ovc_img.peak_anon = sm.rss - sm.shared;
	char line[2048];
	struct ovc_buf b;
	ovc_buf_init(&b, line, sizeof line);
	ovc_buf_raw(&b, "{\"t\":\"" OVC_REC_SAMPLE "\"");
	ovc_buf_key(&b, "ns");
	ovc_buf_u64(&b, now - ovc_img.start_ns);
	ovc_buf_key(&b, "vm");
	ovc_buf_u64(&b, sm.vm);
	ovc_buf_key(&b, "rss");
	ovc_buf_u64(&b, sm.rss);
	ovc_buf_key(&b, "shared");
	ovc_buf_u64(&b, sm.shared);
	ovc_buf_key(&b, "live");
	ovc_buf_i64(&b, t.live);
	ovc_buf_key(&b, "peak_live");
	ovc_buf_i64(&b, t.peak_live);
	const struct {
		const char *key;
		const uint64_t *v;
		size_t n;
	} per_func[] = {
		{"calls", t.calls, OVC_FN_COUNT},
		{"failed", t.failed, OVC_FN_COUNT},
		{"requested", t.requested, OVC_FN_COUNT},
		{"map_calls", t.map_calls, OVC_MFN_COUNT},
		{"map_failed", t.map_failed, OVC_MFN_COUNT},
		{"map_bytes", t.map_bytes, OVC_MFN_COUNT},
	};
	for (size_t i = 0; i < sizeof per_func / sizeof *per_func; i++) {
		ovc_buf_key(&b, per_func[i].key);
		ovc_buf_u64s(&b, per_func[i].v, per_func[i].n);
	}
	static const char *const map_keys[4] = {"mapped", "peak_mapped",
						 "committed", "peak_committed"};
	for (int i = 0; i < 4; i++) {
		ovc_buf_key(&b, map_keys[i]);
		ovc_buf_i64(&b, t.maps[i]);
	}
	ovc_buf_key(&b, "peak_asked");
	ovc_buf_i64(&b, t.peak_asked);
	fork_written_field(&b, now, m == &final_moment);
	if (t.peak_live_bound > t.peak_live) {
		ovc_buf_key(&b, "peak_live_bound");
		ovc_buf_i64(&b, t.peak_live_bound);
	}
	status_fields(&b, &m->st);
	ovc_img_line_end(&b);
	ovc_img_write_line(&b);
	ovc_img.last = t;
	ovc_img.last_statm = sm;
	ovc_img.last_status = m->st;
	ovc_img.last_write_ns = now;
}

void ovc_img_sample_final(uint64_t now)
{
	ovc_img_moment_take(&final_moment, NULL, NULL);
	ovc_img_sample_at(now, &final_moment);
}

/* What probing may cost: per tick while the program runs, and once at its
 * end (the article's first program leaves 131,000 live blocks of 1 GiB;
 * what is not probed in time is logged as unprobed). */
#define TICK_PROBE_NS 500000u
/* A round of probing starts at most this often: while anonymous resident
 * memory moves, and once more after it stopped (the pages written last
 * are seen). A program whose memory changes all the time (a compiler) is
 * not probed on every tick. Freed blocks are probed at their free
 * whatever this says. */
#define PROBE_EVERY_NS 50000000u

/* Whether the tick at NOW (anonymous resident bytes ANON) starts a round
 * of probing. Under the log lock. */
static bool probe_due(uint64_t now, uint64_t anon)
{
	if (ovc_img.probed_ns && now - ovc_img.probed_ns < PROBE_EVERY_NS)
		return false;
	bool moved = anon != ovc_img.probed_anon;
	if (!moved && !ovc_img.probe_pending)
		return false;
	ovc_img.probe_pending = moved;
	ovc_img.probed_ns = now;
	ovc_img.probed_anon = anon;
	return true;
}

uint64_t ovc_lifecycle_ns(void)
{
	return ovc_now_ns() - ovc_img.start_ns;
}

void ovc_lifecycle_tick(pid_t owner)
{
	if (!ovc_img.logging || ovc_img.pid != owner)
		return;
	struct ovc_statm sm;
	struct ovc_status st;
	unsigned got = ovc_proc_now(&sm, &st);
	bool ok = got & OVC_GOT_STATM;
	ovc_log_lock(); /* ovc_img.last_statm is written under it */
	/* A round under way goes on at every tick until every block was
	 * probed once; a new one starts when probe_due says. */
	bool probe = ok && (ovc_img.probe_round ||
			    probe_due(ovc_now_ns(), sm.rss - sm.shared));
	ovc_log_unlock();
	bool done = ovc_blocks_tick(TICK_PROBE_NS, probe,
				    ovc_now_ns() - ovc_img.start_ns);
	ovc_log_lock();
	ovc_img.probe_round = !done;
	uint64_t now = ovc_now_ns();
	struct ovc_moment m;
	ovc_img_moment_take(&m, ok ? &sm : NULL,
			    got & OVC_GOT_STATUS ? &st : NULL);
	if (!__atomic_load_n(&ovc_img.ended, __ATOMIC_ACQUIRE) &&
	    (ovc_img_moment_changed(&m) || now - ovc_img.last_write_ns >= 1000000000u))
		ovc_img_sample_at(now, &m);
	ovc_log_unlock();
}

/* Finds KEY in S and reads the number right after it; false if absent.
 * Used on a log's first line, to recognise our own previous image. */
bool ovc_img_number_after(const char *s, const char *key, uint64_t *out)
{
	const char *p = strstr(s, key);
	if (!p)
		return false;
	p += strlen(key);
	if (*p < '0' || *p > '9')
		return false;
	uint64_t v = 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	*out = v;
	return true;
}

void ovc_img_log_name(char *dst, size_t cap, pid_t pid, unsigned k)
{
	struct ovc_buf b;
	ovc_buf_init(&b, dst, cap - 1);
	ovc_buf_raw(&b, OVC_LOG_PREFIX);
	ovc_buf_u64(&b, (uint64_t)pid);
	ovc_buf_raw(&b, ".");
	ovc_buf_u64(&b, k);
	ovc_buf_raw(&b, OVC_LOG_SUFFIX);
	dst[b.overflow ? 0 : b.len] = '\0';
}

bool ovc_img_log_path(char *dst, size_t cap, pid_t pid, unsigned k)
{
	char name[128];
	ovc_img_log_name(name, sizeof name, pid, k);
	return name[0] && ovc_path_join(dst, cap, ovc_cfg.output, name);
}
