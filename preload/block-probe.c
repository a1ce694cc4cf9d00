/* The touched bytes of a tracked block (block-probe.h), measured from the
 * kernel over its whole pages, and what a probe changes in its site's
 * figures. */
#include "block-probe.h"
#include "blocks.h"
#include "lazyfree.h"
#include "procstat.h"
#include "residency.h"
#include "sampling.h"
#include "stack.h"

/* ---- touched bytes ---- */

/* The whole pages of block B, [*LO, *HI): false when it has none. */
static bool whole_pages(const struct ovc_block *b, uintptr_t *lo, uintptr_t *hi)
{
	uintptr_t ps = (uintptr_t)ovc_page_size();
	*lo = (b->addr + ps - 1) & ~(ps - 1);
	*hi = (b->addr + b->size) & ~(ps - 1);
	return *lo < *hi;
}

/* Resident whole pages of [LO, HI), at most INT32_MAX (8 TiB), less those
 * freed with MADV_FREE (*LAZY_SHARED: shared out, an estimate). */
static int32_t resident_pages(uintptr_t lo, uintptr_t hi, bool *lazy_shared)
{
	int64_t t = ovc_probe_block(lo, hi);
	if (t > 0 && OVC_LOAD(ovc_lazy_active))
		t -= ovc_lazy_bytes(lo, hi, lazy_shared);
	if (t <= 0)
		return 0;
	t = (t + ovc_page_size() / 2) / ovc_page_size();
	return t > INT32_MAX ? INT32_MAX : (int32_t)t;
}

/* Bytes of PAGES whole pages of block B. A large block's are scaled to its
 * size (its first and last pages, shared with malloc's headers, are not
 * probed: at most 2 pages of 32 or more). A small one's are not scaled
 * past what was measured: a 64 KiB block half written is 32 KiB of its
 * 15 whole pages, not 8/15 of 64 KiB. */
static double pages_bytes(const struct ovc_block *b, uintptr_t lo, uintptr_t hi,
			  int64_t pages)
{
	double t = (double)pages * (double)ovc_page_size();
	if (b->size < ovc_large_bytes || hi - lo == b->size)
		return t;
	return t * (double)b->size / (double)(hi - lo);
}

/* The figures of block B with PAGES of its whole pages [LO, HI) resident
 * (-1: not probed yet, all zero); a block with no whole page (LO == HI)
 * counts as touched. */
static struct ovc_probed split(const struct ovc_block *b, uintptr_t lo,
			       uintptr_t hi, int32_t pages)
{
	struct ovc_probed r = {0, 0, pages};
	if (pages < 0)
		return r;
	if (lo >= hi) {
		r.touched = (double)b->size;
		return r;
	}
	int64_t reused = (int64_t)b->reused_pg < pages ? (int64_t)b->reused_pg
						       : pages;
	r.touched = pages_bytes(b, lo, hi, pages - reused);
	r.reused = pages_bytes(b, lo, hi, reused);
	return r;
}

/* Probes block B: the resident bytes of its whole pages, those resident at
 * its allocation counted apart as reused, those freed with MADV_FREE not
 * at all. A block with no whole page counts as touched (the page it lies
 * on is resident: the allocator wrote its header there, so a probe, a
 * syscall per free, would only say so), and sets *SHARED: its site's
 * figures are resident pages, which cannot tell written bytes from
 * others. *LAZY_SHARED: its lazily freed pages are an estimate. */
struct ovc_probed ovc_block_probe(const struct ovc_block *b, bool *shared,
				  bool *lazy_shared)
{
	uintptr_t lo, hi;
	*shared = !whole_pages(b, &lo, &hi);
	*lazy_shared = false;
	return split(b, lo, hi,
		     *shared ? 0 : resident_pages(lo, hi, lazy_shared));
}

/* The figures of block B's last probe (zero before the first). */
struct ovc_probed ovc_block_last_probe(const struct ovc_block *b)
{
	uintptr_t lo, hi;
	whole_pages(b, &lo, &hi);
	return split(b, lo, hi, b->resident_pg);
}

void ovc_block_site_probe(struct ovc_block *b)
{
	struct ovc_site *s = b->site;
	bool shared, lazy_shared;
	struct ovc_probed was = ovc_block_last_probe(b);
	struct ovc_probed now = ovc_block_probe(b, &shared, &lazy_shared);
	bool first = b->resident_pg < 0;
	b->resident_pg = now.pages;
	if (!s)
		return;
	if (shared)
		s->flags |= OVC_SITE_SHARED;
	if (lazy_shared && !(s->flags & OVC_SITE_LAZY_SHARED)) {
		s->flags |= OVC_SITE_LAZY_SHARED;
		ovc_site_dirty(s);
	}
	double w = ovc_sample_weight(b->size);
	if (first)
		s->probed_live += (double)b->size * w;
	s->touched_live += (now.touched - was.touched) * w;
	s->reused_live += (now.reused - was.reused) * w;
	if (first || now.touched != was.touched || now.reused != was.reused)
		ovc_site_dirty(s);
}
