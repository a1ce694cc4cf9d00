/* Memory the program maps itself: mmap, mremap, munmap and mprotect as
 * called by the program (glibc's malloc uses internal entry points, so its
 * own mappings are not counted twice). Every mapping counts in the totals;
 * anonymous private ones become tracked, probed mappings with their call
 * stack as blocks of the malloc family do: every one of at least OVC_LARGE
 * bytes, and a byte-weighted sample of the smaller ones, whose site
 * figures count for the inverse of their chance (a short program's one
 * 8 KiB mapping no longer costs it a stack and its site's records).
 * PROT_NONE reservations count as reserved, and what mprotect makes
 * accessible as committed. */
#include "account.h"
#include "arena.h"
#include "base.h"
#include "blocks.h"
#include "config.h"
#include "lazyfree.h"
#include "mapping.h"
#include "procstat.h"
#include "residency.h"
#include "sampling.h"
#include "stack.h"

#include <string.h>
#include <sys/mman.h>

/* A mapping made by the program, [start, end). Committed ranges are kept
 * relative to start (so mremap can move them), sorted and disjoint. */
#define MAX_RANGES 16
struct mapping {
	uintptr_t start, end;
	struct ovc_site *site;
	/* What it counts for in its site's figures; 0: not tracked (not
	 * anonymous and private without OVC_MMAP=all, or small and not
	 * sampled), neither probed nor given a site. */
	double w;
	int64_t touched; /* last probe, -1 before the first */
	int nr;
	uint64_t r[MAX_RANGES][2];
};

static struct mapping *maps; /* sorted by start, under the blocks lock */
static size_t n_maps, cap_maps;
static size_t map_cursor;
static int64_t mapped, peak_mapped, committed, peak_committed;
int64_t ovc_committed_now;

/* ---- committed ranges of one mapping ---- */

static uint64_t ranges_bytes(const struct mapping *m)
{
	uint64_t s = 0;
	for (int i = 0; i < m->nr; i++)
		s += m->r[i][1] - m->r[i][0];
	return s;
}

/* Removes [lo, hi) (relative) from M's committed ranges. */
static void ranges_cut(struct mapping *m, uint64_t lo, uint64_t hi)
{
	uint64_t out[MAX_RANGES + 1][2];
	int n = 0;
	for (int i = 0; i < m->nr; i++) {
		uint64_t a = m->r[i][0], b = m->r[i][1];
		if (b <= lo || a >= hi) {
			out[n][0] = a;
			out[n++][1] = b;
			continue;
		}
		if (a < lo) {
			out[n][0] = a;
			out[n++][1] = lo;
		}
		if (b > hi) {
			out[n][0] = hi;
			out[n++][1] = b;
		}
	}
	/* One range split in two may overflow: merge the closest pair, which
	 * counts their gap as committed (an over-estimate, and rare). */
	while (n > MAX_RANGES) {
		int best = 0;
		for (int i = 1; i + 1 < n; i++)
			if (out[i + 1][0] - out[i][1] < out[best + 1][0] - out[best][1])
				best = i;
		out[best][1] = out[best + 1][1];
		memmove(&out[best + 1], &out[best + 2],
			(size_t)(n - best - 2) * sizeof out[0]);
		n--;
	}
	memcpy(m->r, out, (size_t)n * sizeof out[0]);
	m->nr = n;
}

/* Adds [lo, hi) (relative) to M's committed ranges. */
static void ranges_add(struct mapping *m, uint64_t lo, uint64_t hi)
{
	ranges_cut(m, lo, hi);
	int i = 0;
	while (i < m->nr && m->r[i][0] < lo)
		i++;
	if (m->nr == MAX_RANGES) {
		/* no room: widen a neighbour instead */
		int j = i > 0 ? i - 1 : 0;
		if (lo < m->r[j][0])
			m->r[j][0] = lo;
		if (hi > m->r[j][1])
			m->r[j][1] = hi;
	} else {
		memmove(&m->r[i + 1], &m->r[i], (size_t)(m->nr - i) * sizeof m->r[0]);
		m->r[i][0] = lo;
		m->r[i][1] = hi;
		m->nr++;
	}
	/* coalesce touching neighbours */
	for (int k = 0; k + 1 < m->nr;) {
		if (m->r[k][1] >= m->r[k + 1][0]) {
			if (m->r[k + 1][1] > m->r[k][1])
				m->r[k][1] = m->r[k + 1][1];
			memmove(&m->r[k + 1], &m->r[k + 2],
				(size_t)(m->nr - k - 2) * sizeof m->r[0]);
			m->nr--;
		} else {
			k++;
		}
	}
}

/* ---- figures ---- */

/* LIVE_D mapped and COM_D committed bytes more; a mapping of weight W of
 * site S (NULL: none). The totals are exact, the site's figures weighted. */
static void site_add(struct ovc_site *s, double w, int64_t live_d, int64_t com_d)
{
	mapped += live_d;
	if (mapped > peak_mapped)
		peak_mapped = mapped;
	committed += com_d;
	OVC_STORE(ovc_committed_now, committed);
	if (committed > peak_committed)
		peak_committed = committed;
	if (com_d > 0)
		ovc_account_asked_check(committed);
	if (!s)
		return;
	s->live += (double)live_d * w;
	if (s->live > s->peak_live)
		s->peak_live = s->live;
	s->committed += (double)com_d * w;
	if (s->committed > s->peak_committed)
		s->peak_committed = s->committed;
	ovc_site_dirty(s);
}

/* Forgets M's last probe (its shape changes); the ticker probes it again. */
static void unprobe(struct mapping *m)
{
	if (m->site && m->touched >= 0) {
		m->site->touched_live -= (double)m->touched * m->w;
		m->site->probed_live -= (double)(m->end - m->start) * m->w;
		ovc_site_dirty(m->site);
	}
	m->touched = -1;
}

/* Resident bytes of [LO, HI) less those freed with MADV_FREE (lazyfree.c);
 * S (may be NULL) is marked when those were shared out. FINAL: the pages
 * go now (unmapped), read what the kernel says of them first. */
static int64_t resident(uintptr_t lo, uintptr_t hi, struct ovc_site *s,
			bool final)
{
	int64_t t = ovc_probe_range(lo, hi);
	if (t > 0 && OVC_LOAD(ovc_lazy_active)) {
		bool shared = false;
		if (final)
			ovc_lazy_sync(lo, hi);
		t -= ovc_lazy_bytes(lo, hi, &shared);
		if (shared && s && !(s->flags & OVC_SITE_LAZY_SHARED)) {
			s->flags |= OVC_SITE_LAZY_SHARED;
			ovc_site_dirty(s);
		}
	}
	return t > 0 ? t : 0;
}

static void probe_map(struct mapping *m)
{
	if (m->w == 0)
		return;
	struct ovc_site *s = m->site;
	int64_t t = resident(m->start, m->end, s, false);
	if (s) {
		if (m->touched < 0)
			s->probed_live += (double)(m->end - m->start) * m->w;
		else
			s->touched_live -= (double)m->touched * m->w;
		s->touched_live += (double)t * m->w;
		if (t != m->touched)
			ovc_site_dirty(s);
	}
	m->touched = t;
}

/* ---- the sorted array ---- */

static size_t first_ending_after(uintptr_t a)
{
	size_t lo = 0, hi = n_maps;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (maps[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct mapping *insert_at(size_t i)
{
	if (n_maps == cap_maps) {
		size_t ncap = cap_maps ? cap_maps * 2 : 256;
		struct mapping *n = ovc_pages_alloc(ncap * sizeof *n);
		if (!n)
			return NULL;
		if (maps)
			memcpy(n, maps, n_maps * sizeof *n);
		ovc_pages_free(maps, cap_maps * sizeof *maps);
		maps = n;
		cap_maps = ncap;
	}
	memmove(&maps[i + 1], &maps[i], (n_maps - i) * sizeof *maps);
	n_maps++;
	memset(&maps[i], 0, sizeof maps[i]);
	return &maps[i];
}

static void erase_at(size_t i)
{
	memmove(&maps[i], &maps[i + 1], (n_maps - i - 1) * sizeof *maps);
	n_maps--;
}

/* Unmaps [a, b) from the table: the parts of tracked mappings in it are
 * probed first (their touched bytes count as freed), then trimmed, split
 * or dropped. PROBE false: the pages move elsewhere (mremap), not freed. */
static void remove_range(uintptr_t a, uintptr_t b, bool probe)
{
	for (size_t i = first_ending_after(a); i < n_maps && maps[i].start < b;) {
		struct mapping *m = &maps[i];
		uintptr_t x = m->start > a ? m->start : a;
		uintptr_t y = m->end < b ? m->end : b;
		struct ovc_site *s = m->site;
		if (probe && m->w > 0 && s)
			s->touched_freed += (double)resident(x, y, s, true) * m->w;
		uint64_t before = ranges_bytes(m);
		ranges_cut(m, x - m->start, y - m->start);
		site_add(s, m->w, -(int64_t)(y - x),
			 (int64_t)ranges_bytes(m) - (int64_t)before);
		unprobe(m);
		if (x == m->start && y == m->end) {
			erase_at(i);
			continue;
		}
		if (x == m->start) {
			uint64_t shift = y - m->start;
			for (int k = 0; k < m->nr; k++) {
				m->r[k][0] -= shift;
				m->r[k][1] -= shift;
			}
			m->start = y;
		} else if (y == m->end) {
			m->end = x;
		} else {
			/* a hole in the middle: the tail becomes a mapping of its own */
			struct mapping tail = *m;
			uint64_t shift = y - m->start;
			tail.start = y;
			tail.nr = 0;
			for (int k = 0; k < m->nr; k++)
				if (m->r[k][1] > shift)
					ranges_add(&tail,
						   m->r[k][0] > shift ? m->r[k][0] - shift : 0,
						   m->r[k][1] - shift);
			m->end = x;
			ranges_cut(m, x - m->start, UINT64_MAX);
			struct mapping *t = insert_at(i + 1);
			if (t)
				*t = tail;
			m = &maps[i];
		}
		i++;
	}
}

/* ---- the operations ---- */

static enum ovc_site_kind kind_of(int flags, int fd)
{
	bool anon = (flags & MAP_ANONYMOUS) || fd < 0;
	return anon && !(flags & MAP_SHARED) ? OVC_KIND_MMAP : OVC_KIND_MAPPED;
}

void ovc_map_added(struct ovc_tc *t, void *p, size_t len, int prot,
		   int flags, int fd)
{
	enum ovc_site_kind kind = kind_of(flags, fd);
	bool kept = ovc_cfg.mmap_mode == OVC_MMAP_ALL ||
		    (ovc_cfg.mmap_mode == OVC_MMAP_ANON && kind == OVC_KIND_MMAP);
	/* A small one only when the thread's byte countdown runs out. */
	bool small = len < ovc_large_bytes;
	double w = !kept ? 0 : !small ? 1
		   : ovc_track_wanted(t, len) ? ovc_track_sampled(t, len) : 0;
	uintptr_t ps = (uintptr_t)ovc_page_size();
	uintptr_t a = (uintptr_t)p;
	uintptr_t b = (a + len + ps - 1) & ~(ps - 1);
	struct ovc_site *s = NULL;
	ovc_tls_guard++;
	uintptr_t ips[OVC_MAX_FRAMES];
	int nf = w > 0 ? ovc_stack_capture(ips, (int)ovc_cfg.frames, false) : 0;
	ovc_blocks_lock();
	/* MAP_FIXED replaces what was there. */
	remove_range(a, b, true);
	ovc_lazy_forget(a, b);
	if (w > 0)
		s = ovc_site_get(ips, nf, kind);
	size_t i = first_ending_after(a);
	struct mapping *m = insert_at(i);
	if (m) {
		m->start = a;
		m->end = b;
		m->site = s;
		m->w = w;
		m->touched = -1;
		if (prot != PROT_NONE)
			ranges_add(m, 0, b - a);
		if (s) {
			s->blocks += w;
			s->requested += (double)(b - a) * w;
			if (small && ovc_sample_mean > 1)
				s->flags |= OVC_SITE_SAMPLED;
		}
		site_add(s, w, (int64_t)(b - a),
			 prot != PROT_NONE ? (int64_t)(b - a) : 0);
	}
	ovc_blocks_unlock();
	ovc_tls_guard--;
}

void ovc_map_removed(void *p, size_t len)
{
	uintptr_t ps = (uintptr_t)ovc_page_size();
	uintptr_t a = (uintptr_t)p & ~(ps - 1);
	uintptr_t b = ((uintptr_t)p + len + ps - 1) & ~(ps - 1);
	ovc_tls_guard++;
	ovc_blocks_lock();
	remove_range(a, b, true);
	ovc_lazy_forget(a, b);
	ovc_blocks_unlock();
	ovc_tls_guard--;
}

void ovc_map_moved(void *old, size_t old_len, void *q, size_t new_len)
{
	uintptr_t ps = (uintptr_t)ovc_page_size();
	uintptr_t a = (uintptr_t)old;
	uintptr_t old_b = (a + old_len + ps - 1) & ~(ps - 1);
	uintptr_t nb = ((uintptr_t)q + new_len + ps - 1) & ~(ps - 1);
	ovc_tls_guard++;
	ovc_blocks_lock();
	size_t i = first_ending_after(a);
	if (i < n_maps && maps[i].start == a && maps[i].end == old_b) {
		/* The common case: one whole mapping grows, shrinks or moves. */
		struct mapping m = maps[i];
		uint64_t new_size = nb - (uintptr_t)q;
		uint64_t old_size = old_b - a;
		if (new_size < old_size && m.w > 0 && m.site)
			m.site->touched_freed +=
				(double)resident(a + new_size, old_b, m.site, true) * m.w;
		uint64_t before = ranges_bytes(&m);
		if (new_size < old_size) {
			ranges_cut(&m, new_size, UINT64_MAX);
		} else if (m.nr && m.r[m.nr - 1][1] == old_size) {
			/* new pages get the protection of the last ones */
			m.r[m.nr - 1][1] = new_size;
		}
		unprobe(&maps[i]);
		m.touched = -1;
		erase_at(i);
		m.start = (uintptr_t)q;
		m.end = nb;
		if (m.site && new_size > old_size)
			m.site->requested += (double)(new_size - old_size) * m.w;
		site_add(m.site, m.w, (int64_t)new_size - (int64_t)old_size,
			 (int64_t)ranges_bytes(&m) - (int64_t)before);
		remove_range(m.start, m.end, true); /* MREMAP_FIXED target */
		struct mapping *n = insert_at(first_ending_after(m.start));
		if (n)
			*n = m;
	} else if (i < n_maps && maps[i].start < old_b) {
		/* Part of a mapping: the old pages leave, the new ones come at
		 * the same site, committed as they were. */
		struct ovc_site *s = maps[i].site;
		double w = maps[i].w;
		remove_range(a, old_b, false);
		struct mapping *n = insert_at(first_ending_after((uintptr_t)q));
		if (n) {
			n->start = (uintptr_t)q;
			n->end = nb;
			n->site = s;
			n->w = w;
			n->touched = -1;
			ranges_add(n, 0, nb - (uintptr_t)q);
			if (s && nb - (uintptr_t)q > old_b - a)
				s->requested += (double)(nb - (uintptr_t)q - (old_b - a)) * w;
			site_add(s, w, (int64_t)(nb - (uintptr_t)q),
				 (int64_t)(nb - (uintptr_t)q));
		}
	}
	/* Pages freed lazily that move are counted as resident from now on. */
	ovc_lazy_forget(a, old_b);
	ovc_lazy_forget((uintptr_t)q, nb);
	ovc_blocks_unlock();
	ovc_tls_guard--;
}

void ovc_map_protected(void *p, size_t len, int prot)
{
	uintptr_t ps = (uintptr_t)ovc_page_size();
	uintptr_t a = (uintptr_t)p & ~(ps - 1);
	uintptr_t b = ((uintptr_t)p + len + ps - 1) & ~(ps - 1);
	ovc_tls_guard++;
	ovc_blocks_lock();
	for (size_t i = first_ending_after(a); i < n_maps && maps[i].start < b; i++) {
		struct mapping *m = &maps[i];
		uint64_t x = (m->start > a ? m->start : a) - m->start;
		uint64_t y = (m->end < b ? m->end : b) - m->start;
		uint64_t before = ranges_bytes(m);
		if (prot == PROT_NONE)
			ranges_cut(m, x, y);
		else
			ranges_add(m, x, y);
		site_add(m->site, m->w, 0, (int64_t)ranges_bytes(m) - (int64_t)before);
	}
	ovc_blocks_unlock();
	ovc_tls_guard--;
}

/* ---- ticker, end, fork ---- */

void ovc_maps_probe(uint64_t budget_ns, bool all)
{
	if (!n_maps)
		return;
	uint64_t start = ovc_now_ns();
	size_t visit = all ? n_maps : (n_maps < 4096 ? n_maps : 4096);
	for (size_t k = 0; k < visit; k++) {
		if (map_cursor >= n_maps)
			map_cursor = 0;
		probe_map(&maps[map_cursor++]);
		if (ovc_now_ns() - start > budget_ns)
			break;
	}
}

void ovc_maps_totals(int64_t out[4])
{
	out[0] = mapped;
	out[1] = peak_mapped;
	out[2] = committed;
	out[3] = peak_committed;
}

void ovc_maps_fork_child(void)
{
	map_cursor = 0;
	/* The child inherits the mappings, live in it from the fork on. */
	peak_mapped = mapped;
	peak_committed = committed;
	for (size_t i = 0; i < n_maps; i++) {
		struct mapping *m = &maps[i];
		m->touched = -1;
		if (m->site) {
			m->site->live += (double)(m->end - m->start) * m->w;
			m->site->peak_live = m->site->live;
			m->site->committed += (double)ranges_bytes(m) * m->w;
			m->site->peak_committed = m->site->committed;
			ovc_site_dirty(m->site);
		}
	}
}
