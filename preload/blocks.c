/* Tracked blocks: every large allocation and a byte-weighted sample of the
 * small ones, kept (address, size, site) until freed, their figures summed
 * per site (the touched bytes of one block: block-probe.c). */
#include "account.h"
#include "arena.h"
#include "block-probe.h"
#include "blocks.h"
#include "boot.h"
#include "config.h"
#include "lazyfree.h"
#include "lock.h"
#include "log.h"
#include "mapping.h"
#include "procstat.h"
#include "residency.h"
#include "sampling.h"
#include "slots.h"
#include "stack.h"

#include <errno.h>
#include <string.h>

size_t ovc_large_bytes = SIZE_MAX;
uint8_t *ovc_block_filter;
/* The filter's counters: a table, not pages mapped at start (one system
 * call less for every process); a page of it is touched only where a
 * tracked block is. */
static uint8_t filter_table[(size_t)1 << OVC_FILTER_BITS] OVC_TABLE("blocks");

/* The blocks lock guards the sites, their figures and the mapping table;
 * each shard's lock guards its part of the block table. Order: shards (in
 * index order), then the blocks lock. */
static struct {
	struct ovc_lock lock;
} __attribute__((aligned(64))) blocks_line = {OVC_LOCK_INIT};
/* On a cache line of its own: the variables every hook reads
 * (ovc_large_bytes, enabled, ovc_sample_mean) sat on the lock's line, and
 * with two threads tracking, each taking of the lock made the other thread's
 * next hook miss the cache (perf: a quarter of ovc_track_alloc's samples
 * on the read of `enabled`, ubench-2t under OVC_SAMPLE=1). */
#define blocks_lock (blocks_line.lock)
static bool enabled;
static int frames = 32;

/* The block table, in shards by page number: threads freeing blocks of
 * different pages do not wait for each other, and every block of a page
 * (and of the pages that share its filter slot) is in one shard, so the
 * filter's counters are written under one lock. */
#define SHARDS 16
static struct shard {
	struct ovc_lock lock;
	struct ovc_block *table;
	size_t cap, used;
	size_t cursor; /* where the ticker's probing goes on */
} __attribute__((aligned(64))) shards[SHARDS];
static unsigned shard_cursor; /* the shard the ticker probes next */

static struct shard *shard_of(uintptr_t a)
{
	return &shards[(a >> 12) & (SHARDS - 1)];
}

/* ---- the table ---- */

/* Home slot of address A in a table of CAP slots: a full 64-bit mix (the
 * filter's slot keeps only OVC_FILTER_BITS bits, which would pile every
 * block of a table larger than 2^20 slots into its first part). */
static size_t home(uintptr_t a, size_t cap_)
{
	uint64_t h = (uint64_t)(a >> 4) * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return (size_t)h & (cap_ - 1);
}

static struct ovc_block *find(struct shard *sh, uintptr_t a)
{
	struct ovc_block *table = sh->table;
	if (!table)
		return NULL;
	size_t m = sh->cap - 1;
	for (size_t i = home(a, sh->cap);; i = (i + 1) & m) {
		if (table[i].addr == a)
			return &table[i];
		if (!table[i].addr)
			return NULL;
	}
}

static bool grow(struct shard *sh)
{
	/* First a page of 128 slots: the sampler walks every slot of every
	 * shard at each tick, and a program with a few large blocks live
	 * (ubench-large: 64) left it 16 shards of 1024 mostly empty slots,
	 * 512 KiB read every 10 ms. */
	size_t cap = sh->cap, ncap = cap ? cap * 2 : 128;
	/* Present at once: each insertion reads its slot before it writes. */
	struct ovc_block *n = ovc_pages_alloc_present(ncap * sizeof *n);
	if (!n)
		return false;
	for (size_t i = 0; i < cap; i++) {
		uintptr_t a = sh->table[i].addr;
		if (!a)
			continue;
		size_t j = home(a, ncap);
		while (n[j].addr)
			j = (j + 1) & (ncap - 1);
		n[j] = sh->table[i];
	}
	ovc_pages_free(sh->table, cap * sizeof *sh->table);
	sh->table = n;
	sh->cap = ncap;
	sh->cursor = 0;
	return true;
}

static struct ovc_block *insert(struct shard *sh, uintptr_t a)
{
	if ((sh->used + 1) * 2 > sh->cap && !grow(sh))
		return NULL;
	struct ovc_block *table = sh->table;
	size_t m = sh->cap - 1;
	size_t i = home(a, sh->cap);
	while (table[i].addr && table[i].addr != a)
		i = (i + 1) & m;
	if (!table[i].addr)
		sh->used++;
	table[i].addr = a;
	return &table[i];
}

static void erase(struct shard *sh, struct ovc_block *b)
{
	ovc_slots_erase(sh->table, sizeof *sh->table, sh->cap,
			(size_t)(b - sh->table), home);
	sh->used--;
}

/* Takes what guards shard SH for a tracking call: while the program has
 * one thread (ovc_account_multi false), the blocks lock alone, which keeps
 * out the sampler too (it takes both) and saves a lock and its release on
 * every tracked allocation and free; returns true then, with the blocks
 * lock held. Else the shard's lock (and false). The thread that ends the
 * one-thread time waits for the blocks lock once (ovc_blocks_went_multi),
 * so no call that took the blocks lock alone overlaps a call that took
 * only a shard's lock. */
static bool take_table(struct shard *sh)
{
	if (!ovc_account_multi()) {
		ovc_lock_take(&blocks_lock);
		if (!ovc_account_multi())
			return true;
		ovc_lock_give(&blocks_lock);
	}
	ovc_lock_take(&sh->lock);
	return false;
}

void ovc_blocks_went_multi(void)
{
	ovc_lock_take(&blocks_lock);
	ovc_lock_give(&blocks_lock);
}

/* Takes every lock of the blocks: the ticker's, the end's and fork's. */
static void lock_all(void)
{
	for (int i = 0; i < SHARDS; i++)
		ovc_lock_take(&shards[i].lock);
	ovc_lock_take(&blocks_lock);
}

/* lock_all for a nested end: false (nothing held) when a lock is taken,
 * perhaps by this very thread. */
static bool try_all(void)
{
	for (int i = 0; i < SHARDS; i++) {
		if (!ovc_lock_try(&shards[i].lock)) {
			while (i-- > 0)
				ovc_lock_give(&shards[i].lock);
			return false;
		}
	}
	if (ovc_lock_try(&blocks_lock))
		return true;
	for (int i = SHARDS - 1; i >= 0; i--)
		ovc_lock_give(&shards[i].lock);
	return false;
}

static void unlock_all(void)
{
	ovc_lock_give(&blocks_lock);
	for (int i = SHARDS - 1; i >= 0; i--)
		ovc_lock_give(&shards[i].lock);
}

static void filter_add(uintptr_t a, int d)
{
	uint8_t *f = &ovc_block_filter[ovc_block_slot((void *)a)];
	/* a saturated counter stays: a few more lookups, never a miss */
	if (*f != 255)
		__atomic_store_n(f, (uint8_t)(*f + d), __ATOMIC_RELAXED);
}

/* Resident whole pages of the block at P of N bytes as it is allocated,
 * the reused part of a heap chunk. Not probed where none can be: glibc's
 * mmap'd chunks are fresh from the kernel, blocks with no whole page are
 * not probed at all, and with OVC_PREFAULT ovc itself wrote the block.
 * With mincore: one system call in the program's thread, not three. */
static uint32_t reused_at_alloc(void *p, size_t n)
{
	uintptr_t ps = (uintptr_t)ovc_page_size();
	uintptr_t lo = ((uintptr_t)p + ps - 1) & ~(ps - 1);
	uintptr_t hi = ((uintptr_t)p + n) & ~(ps - 1);
	if (lo >= hi || (ovc_cfg.prefault && n >= ovc_large_bytes))
		return 0;
	if (ovc_glibc_layout && (((const size_t *)p)[-1] & 2))
		return 0; /* IS_MMAPPED */
	int64_t t = ovc_probe_quick(lo, hi) / ovc_page_size();
	return t > INT32_MAX ? INT32_MAX : (uint32_t)t;
}

int64_t ovc_site_id_here(void)
{
	if (!enabled)
		return -1;
	ovc_tls_guard++;
	int saved = errno;
	uintptr_t ips[OVC_MAX_FRAMES];
	int nf = ovc_stack_capture(ips, frames, true);
	ovc_lock_take(&blocks_lock);
	struct ovc_site *s = ovc_site_get(ips, nf, OVC_KIND_MALLOC);
	int64_t id = s ? (int64_t)s->id : -1;
	ovc_lock_give(&blocks_lock);
	errno = saved;
	ovc_tls_guard--;
	return id;
}

/* ---- tracking ---- */

double ovc_track_sampled(struct ovc_tc *t, size_t n)
{
	if (!enabled) {
		t->sample_left = 0; /* before the constructor: ask again */
		return 0;
	}
	if (!t->rng) {
		/* A thread's first countdown: draw it now and let this
		 * allocation count against it, as any other would. */
		int64_t left = ovc_sample_draw(t) - (int64_t)n;
		t->sample_left = left;
		if (left >= 0)
			return 0;
	}
	t->sample_left = ovc_sample_draw(t);
	return ovc_sample_weight(n);
}

void ovc_track_alloc(struct ovc_tc *t, void *p, size_t n)
{
	bool sampled = n < ovc_large_bytes;
	double w = sampled ? ovc_track_sampled(t, n) : 1;
	if (!enabled || !p || w == 0)
		return;
	ovc_tls_guard++;
	int saved = errno; /* libunwind and its first dlopen may set it */
	/* Before the stack capture and any lock: a system call where the
	 * block has whole pages on the heap. */
	uint32_t reused = reused_at_alloc(p, n);
	uintptr_t ips[OVC_MAX_FRAMES];
	int nf = ovc_stack_capture(ips, frames, true);
	/* Most stacks were seen before by this thread: their site is found
	 * without the lock. */
	struct ovc_site *s = ovc_site_recent(t, ips, nf, OVC_KIND_MALLOC);
	struct shard *sh = shard_of((uintptr_t)p);
	bool alone = take_table(sh);
	if (!s) {
		if (!alone)
			ovc_lock_take(&blocks_lock);
		s = ovc_site_remember(t, ovc_site_get(ips, nf, OVC_KIND_MALLOC));
		if (!alone)
			ovc_lock_give(&blocks_lock);
	}
	struct ovc_block *b = insert(sh, (uintptr_t)p);
	if (b) {
		filter_add((uintptr_t)p, 1);
		b->size = n;
		b->site = s;
		b->resident_pg = -1;
		b->reused_pg = reused;
	}
	if (!alone)
		ovc_lock_take(&blocks_lock);
	if (b) {
		if (s) {
			s->blocks += w;
			s->requested += (double)n * w;
			s->live += (double)n * w;
			s->live_blocks += w;
			s->live_var += ovc_sample_variance(n);
			if (s->live > s->peak_live)
				s->peak_live = s->live;
			if (sampled && ovc_sample_mean > 1)
				s->flags |= OVC_SITE_SAMPLED;
			ovc_site_dirty(s);
		}
	}
	if (!sampled)
		ovc_over_check(n, s);
	ovc_lock_give(&blocks_lock);
	if (!alone)
		ovc_lock_give(&sh->lock);
	errno = saved;
	ovc_tls_guard--;
}

/* Block B of shard SH is freed: its last probe goes to its site, and it
 * leaves the table. Under the shard's lock; takes the blocks lock for the
 * site's figures only (the probe, a system call, runs outside it), unless
 * ALONE: the blocks lock is held already (take_table). */
static void forget(struct shard *sh, struct ovc_block *b, bool alone)
{
	struct ovc_site *s = b->site;
	bool shared, lazy_shared;
	uintptr_t ps = (uintptr_t)ovc_page_size();
	uintptr_t lo = b->addr & ~(ps - 1);
	uintptr_t hi = (b->addr + b->size + ps - 1) & ~(ps - 1);
	ovc_lazy_sync(lo, hi);
	struct ovc_probed final = ovc_block_probe(b, &shared, &lazy_shared);
	/* glibc unmaps a chunk it mmap'd: what was freed lazily in it goes */
	if (ovc_glibc_chunks && (((const size_t *)b->addr)[-1] & 2))
		ovc_lazy_forget(lo, hi);
	if (s) {
		double w = ovc_sample_weight(b->size);
		struct ovc_probed was = ovc_block_last_probe(b);
		if (!alone)
			ovc_lock_take(&blocks_lock);
		if (b->resident_pg >= 0) {
			s->touched_live -= was.touched * w;
			s->reused_live -= was.reused * w;
			s->probed_live -= (double)b->size * w;
		}
		s->touched_freed += final.touched * w;
		s->reused_freed += final.reused * w;
		s->live -= (double)b->size * w;
		s->live_blocks -= w;
		s->live_var -= ovc_sample_variance(b->size);
		ovc_site_dirty(s);
		if (shared)
			s->flags |= OVC_SITE_SHARED;
		if (lazy_shared)
			s->flags |= OVC_SITE_LAZY_SHARED;
		if (!alone)
			ovc_lock_give(&blocks_lock);
	}
	filter_add(b->addr, -1);
	erase(sh, b);
}

void ovc_track_free(void *p)
{
	ovc_tls_guard++;
	int saved = errno;
	struct shard *sh = shard_of((uintptr_t)p);
	bool alone = take_table(sh);
	struct ovc_block *b = find(sh, (uintptr_t)p);
	if (b)
		forget(sh, b, alone);
	ovc_lock_give(alone ? &blocks_lock : &sh->lock);
	errno = saved;
	ovc_tls_guard--;
}

/* Probes live blocks of at least two pages, shard by shard from where the
 * last tick stopped, until the budget is spent or 16384 slots were visited
 * (with millions of small tracked blocks the walk itself must not cost
 * the budget many times over). Holds one shard's lock at a time. Returns
 * whether it finished a round: walked the last shard to its end. */
static bool probe_some(uint64_t budget_ns)
{
	uint64_t start = ovc_now_ns();
	uintptr_t ps = (uintptr_t)ovc_page_size();
	size_t visit = 16384, probed = 0;
	for (int k = 0; k < SHARDS && visit > 0; k++) {
		struct shard *sh = &shards[shard_cursor];
		ovc_lock_take(&sh->lock);
		ovc_lock_take(&blocks_lock);
		bool spent = false;
		size_t end = sh->used ? sh->cap : 0;
		while (sh->cursor < end && visit > 0 && !spent) {
			struct ovc_block *b = &sh->table[sh->cursor++];
			visit--;
			if (!b->addr || b->size < 2 * ps)
				continue;
			ovc_block_site_probe(b);
			spent = (++probed & 7) == 0 &&
				ovc_now_ns() - start > budget_ns;
		}
		bool whole = sh->cursor >= end; /* walked to its end */
		if (whole)
			sh->cursor = 0;
		ovc_lock_give(&blocks_lock);
		ovc_lock_give(&sh->lock);
		if (!whole)
			break;
		shard_cursor = (shard_cursor + 1) % SHARDS;
		if (shard_cursor == 0)
			return true;
	}
	return false;
}

void ovc_blocks_lock(void)
{
	ovc_lock_take(&blocks_lock);
}

void ovc_blocks_unlock(void)
{
	ovc_lock_give(&blocks_lock);
}

bool ovc_blocks_enabled(void)
{
	return enabled;
}

bool ovc_blocks_tick(uint64_t budget_ns, bool probe, uint64_t t_ns)
{
	/* Pages freed with MADV_FREE, or written again after it, move no
	 * figure the ticker reads (statm, RssAnon): a fresh read of what the
	 * kernel says of them calls for a probe. */
	if (ovc_lazy_tick(false))
		probe = true;
	bool round_done = !probe || probe_some(budget_ns / 2);
	ovc_lock_take(&blocks_lock);
	if (probe)
		ovc_maps_probe(budget_ns / 2, false);
	ovc_sites_write(t_ns, false);
	ovc_lock_give(&blocks_lock);
	return round_done;
}

void ovc_blocks_final(uint64_t budget_ns, uint64_t t_ns, bool nested)
{
	/* NESTED: ovc's own code on this thread was interrupted (a signal
	 * handler calling _exit): the lock may be ours already. */
	if (!nested)
		ovc_lazy_tick(true); /* before the locks: it may take a while */
	if (nested ? !try_all() : (lock_all(), false))
		return;
	ovc_probe_hold();
	uint64_t start = ovc_now_ns();
	/* Two passes: first one block of every site not probed yet, so each
	 * site has a measured fraction to extrapolate from; then the rest,
	 * while the budget lasts. */
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < SHARDS; k++) {
			struct shard *sh = &shards[k];
			for (size_t i = 0; i < sh->cap; i++) {
				struct ovc_block *b = &sh->table[i];
				if (!b->addr || (pass == 0 && (!b->site ||
							       b->site->probed_live > 0)))
					continue;
				if (ovc_now_ns() - start > budget_ns)
					break; /* the rest stays unprobed, and says so */
				ovc_block_site_probe(b);
			}
		}
	}
	ovc_maps_probe(budget_ns, true);
	ovc_probe_release();
	/* NESTED, the log lock may be this thread's own too (a young image
	 * writing its sample when the signal came, start.c): the last `ss`
	 * records are left out rather than waited for for ever. */
	if (!nested || ovc_log_trylock()) {
		if (nested)
			ovc_log_unlock();
		ovc_sites_write(t_ns, true);
	}
	unlock_all();
}

void ovc_blocks_init(void)
{
	frames = (int)ovc_cfg.frames;
	ovc_sample_mean = ovc_cfg.sample_bytes;
	ovc_block_filter = filter_table;
	ovc_probe_init();
	enabled = true;
	__atomic_store_n(&ovc_large_bytes, (size_t)ovc_cfg.large_bytes,
			 __ATOMIC_RELEASE);
}

void ovc_blocks_fork_prepare(void)
{
	lock_all();
	ovc_lazy_fork_prepare();
}

void ovc_blocks_fork_parent(void)
{
	ovc_lazy_fork_parent();
	unlock_all();
}

void ovc_blocks_fork_child(void)
{
	ovc_lock_reset(&blocks_lock);
	for (int k = 0; k < SHARDS; k++)
		ovc_lock_reset(&shards[k].lock);
	/* The child's log starts from the fork: its sites count only what the
	 * child does, plus the blocks it inherited, which are live in it. */
	for (struct ovc_site *s = ovc_site_first(); s; s = ovc_site_next(s)) {
		s->blocks = s->requested = s->live = s->peak_live = 0;
		s->live_blocks = s->live_var = 0;
		s->touched_freed = s->touched_live = s->probed_live = 0;
		s->reused_freed = s->reused_live = 0;
		s->committed = s->peak_committed = 0;
		s->dirty = false;
		s->ss_ns = 0;
		s->next_dirty = NULL;
	}
	ovc_dirty_sites = NULL;
	ovc_maps_fork_child();
	ovc_over_fork_child();
	for (int k = 0; k < SHARDS; k++) {
		for (size_t i = 0; i < shards[k].cap; i++) {
			struct ovc_block *b = &shards[k].table[i];
			if (!b->addr || !b->site)
				continue;
			b->resident_pg = -1;
			b->site->live += (double)b->size * ovc_sample_weight(b->size);
			b->site->live_blocks += ovc_sample_weight(b->size);
			b->site->live_var += ovc_sample_variance(b->size);
			b->site->peak_live = b->site->live;
			ovc_site_dirty(b->site);
		}
	}
	ovc_probe_fork_child();
	ovc_lazy_fork_child();
	ovc_stack_fork_child();
	/* The sites of the inherited blocks go into the child's log now,
	 * while the child has one thread (see ovc_sites_write). */
	for (struct ovc_site *s = ovc_dirty_sites; s; s = s->next_dirty)
		if (!s->written)
			ovc_site_get(s->ips, s->n, (enum ovc_site_kind)s->kind);
}
