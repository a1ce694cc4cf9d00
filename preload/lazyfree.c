/* Pages the program released with madvise(MADV_FREE): they stay present in
 * the page tables (and in RssAnon) until the kernel reclaims them, so page
 * residency alone would count them as touched. The kernel tells them apart
 * only in /proc/self/smaps, per VMA (`LazyFree:`: an anonymous page not
 * swap-backed whose PTE is clean; a page written again is dirty and no
 * longer counts). This file keeps the ranges the program freed lazily, reads
 * the LazyFree of the VMAs holding them (a slow walk of the page tables:
 * only while such ranges exist, and at most one read in 20 of its own cost),
 * and says how much of a probed range is lazily freed. */
#include "lazyfree.h"
#include "lock.h"
#include "procstat.h"
#include "residency.h"
#include "sampler-link.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MADV_FREE
#define MADV_FREE 8 /* Linux 4.5 */
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24 /* Linux 5.18 */
#endif

/* A range freed lazily, [lo, hi), page-aligned; GEN numbers the madvise
 * calls (a read of smaps covers the ranges of generations up to its
 * own); ADDED_NS: when. Sorted by address, disjoint. */
#define MAX_RANGES 64
struct range {
	uintptr_t lo, hi;
	uint64_t gen, added_ns;
};

/* One VMA of the last read of smaps that holds a range: its LazyFree, and
 * the resident bytes of the ranges in it, probed just after the read. */
#define MAX_VMAS 128
struct vma {
	uintptr_t lo, hi;
	uint64_t lazy, present;
};

/* The lock guards the ranges and the snapshot; nothing else is taken
 * under it (it is the last in every order: the blocks and shard locks
 * come first), and no read of smaps is made holding it. */
static struct ovc_lock lazy_lock = OVC_LOCK_INIT;
static struct range ranges[MAX_RANGES] OVC_TABLE("lazyfree");
static int n_ranges;
static uint64_t gen_now;
static struct vma snap[MAX_VMAS] OVC_TABLE("lazyfree");
static int n_snap;
static uint64_t snap_gen; /* ranges up to this generation were read */
/* When the next read may be made: for a range not read yet, and to see
 * pages written again (which no other figure shows). */
static uint64_t next_new_ns, next_again_ns;

/* Non-zero while ranges are kept: a program that never frees lazily pays
 * one load per probe. */
int ovc_lazy_active;
/* One reader of smaps at a time (the sampler, or a thread freeing a block):
 * its buffer is this file's. */
static int reading;
static char rbuf[16384] OVC_TABLE("lazyfree");

/* A read of smaps must not cost the program more than 1/READ_SHARE of the
 * time (a 128 MiB resident process: 3 ms here; 1 GiB: 12 ms); pages
 * written again are looked for at most every AGAIN_NS. */
#define READ_SHARE 20
#define AGAIN_NS 100000000u
/* A range whose VMA shows no LazyFree is forgotten once it is this old:
 * the kernel marks the last pages a call freed (up to 15 per CPU, in a
 * per-CPU batch) a moment later. */
#define SETTLED_NS 1000000000u

/* ---- the ranges (under the lock) ---- */

/* Removes [lo, hi) from the ranges; false when a split would not fit (the
 * ranges are left as they were). */
static bool cut(uintptr_t lo, uintptr_t hi)
{
	struct range out[MAX_RANGES];
	int n = 0;
	for (int i = 0; i < n_ranges; i++) {
		struct range r = ranges[i];
		if (r.hi <= lo || r.lo >= hi) {
			if (n == MAX_RANGES)
				return false;
			out[n++] = r;
			continue;
		}
		if (r.lo < lo) {
			if (n == MAX_RANGES)
				return false;
			out[n] = r;
			out[n++].hi = lo;
		}
		if (r.hi > hi) {
			if (n == MAX_RANGES)
				return false;
			out[n] = r;
			out[n++].lo = hi;
		}
	}
	memcpy(ranges, out, (size_t)n * sizeof *out);
	n_ranges = n;
	return true;
}

/* Joins the two neighbours with the smallest gap: the gap counts as freed
 * (only the kernel's LazyFree is shared out, never more). */
static void join_closest(void)
{
	int best = 0;
	for (int i = 1; i + 1 < n_ranges; i++)
		if (ranges[i + 1].lo - ranges[i].hi <
		    ranges[best + 1].lo - ranges[best].hi)
			best = i;
	struct range *a = &ranges[best], *b = &ranges[best + 1];
	a->hi = b->hi;
	if (b->gen > a->gen)
		a->gen = b->gen;
	if (b->added_ns > a->added_ns)
		a->added_ns = b->added_ns;
	memmove(b, b + 1, (size_t)(n_ranges - best - 2) * sizeof *b);
	n_ranges--;
}

static void add(uintptr_t lo, uintptr_t hi, uint64_t now)
{
	while (!cut(lo, hi))
		join_closest();
	if (n_ranges == MAX_RANGES)
		join_closest();
	int i = 0;
	while (i < n_ranges && ranges[i].lo < lo)
		i++;
	memmove(&ranges[i + 1], &ranges[i], (size_t)(n_ranges - i) * sizeof *ranges);
	ranges[i] = (struct range){lo, hi, ++gen_now, now};
	n_ranges++;
	OVC_STORE(ovc_lazy_active, 1);
}

static void forget(uintptr_t lo, uintptr_t hi)
{
	while (!cut(lo, hi))
		join_closest();
	OVC_STORE(ovc_lazy_active, n_ranges > 0);
}

/* The kernel marks the pages of a MADV_FREE lazily freed through a batch
 * per CPU (up to 15 folios), which it empties at the start of the next
 * MADV_FREE on that CPU, among other times: until then smaps does not
 * count them (60 KiB short here, for seconds). A MADV_FREE of a page of
 * ovc's own, mapped and never written (nothing to free), empties it right
 * after the program's, on the same CPU but for a rare migration. */
static void drain(void)
{
	static uintptr_t page; /* 1: it cannot be mapped */
	uintptr_t p = __atomic_load_n(&page, __ATOMIC_ACQUIRE);
	long ps = ovc_page_size();
	if (!p) {
		long r = ovc_sys_mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS);
		uintptr_t want = r < 0 && r > -4096 ? 1 : (uintptr_t)r;
		if (!__atomic_compare_exchange_n(&page, &p, want, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if (want != 1)
				ovc_sys_munmap((void *)want, (size_t)ps);
		} else {
			p = want;
		}
	}
	if (p > 1)
		OVC_SYS_(SYS_madvise, p, ps, MADV_FREE, 0, 0, 0);
}

void ovc_lazy_advised(void *p, size_t len, int advice)
{
	uintptr_t ps = (uintptr_t)ovc_page_size();
	uintptr_t lo = (uintptr_t)p & ~(ps - 1);
	uintptr_t hi = ((uintptr_t)p + len + ps - 1) & ~(ps - 1);
	if (hi <= lo)
		return;
	if (advice == MADV_FREE) {
		uint64_t now = ovc_now_ns();
		ovc_lock_take(&lazy_lock);
		add(lo, hi, now);
		ovc_lock_give(&lazy_lock);
		drain();
	} else if ((advice == MADV_DONTNEED || advice == MADV_DONTNEED_LOCKED ||
		    advice == MADV_REMOVE) && OVC_LOAD(ovc_lazy_active)) {
		ovc_lazy_forget(lo, hi); /* the pages are gone */
	}
}

void ovc_lazy_forget(uintptr_t lo, uintptr_t hi)
{
	if (!OVC_LOAD(ovc_lazy_active))
		return;
	ovc_lock_take(&lazy_lock);
	forget(lo, hi);
	ovc_lock_give(&lazy_lock);
}

/* ---- reading smaps ---- */

/* The hexadecimal number at *P, moved past it. */
static uintptr_t hex(const char **p)
{
	uintptr_t v = 0;
	for (const char *s = *p;; s++) {
		int d = *s >= '0' && *s <= '9'   ? *s - '0'
			: *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
						 : -1;
		if (d < 0) {
			*p = s;
			return v;
		}
		v = v * 16 + (uintptr_t)d;
	}
}

/* What one read gathers: the VMAs that overlap the ranges it was given. */
struct gather {
	const struct range *r;
	int nr;
	uintptr_t top; /* the end of the last range: no VMA from there on */
	struct vma v[MAX_VMAS];
	int nv;
	bool cur;      /* the VMA being read is v[nv - 1] */
	bool done;     /* past TOP: reading stops */
	bool overflow; /* more VMAs than fit: what is missing is not known */
};

static bool overlaps(const struct gather *g, uintptr_t lo, uintptr_t hi)
{
	for (int i = 0; i < g->nr; i++)
		if (g->r[i].lo < hi && g->r[i].hi > lo)
			return true;
	return false;
}

/* One line of smaps (without its newline). A VMA's header starts with its
 * address in lower-case hexadecimal; its fields with a capital letter. */
static void line(struct gather *g, const char *s, size_t n)
{
	if (n && ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) {
		const char *p = s;
		uintptr_t lo = hex(&p);
		if (*p++ != '-')
			return;
		uintptr_t hi = hex(&p);
		g->cur = false;
		if (lo >= g->top) {
			g->done = true;
			return;
		}
		if (!overlaps(g, lo, hi))
			return;
		if (g->nv == MAX_VMAS) {
			g->overflow = g->done = true;
			return;
		}
		g->v[g->nv++] = (struct vma){lo, hi, 0, 0};
		g->cur = true;
	} else if (g->cur && n > 9 && memcmp(s, "LazyFree:", 9) == 0) {
		uint64_t kb = 0;
		for (size_t i = 9; i < n; i++)
			if (s[i] >= '0' && s[i] <= '9')
				kb = kb * 10 + (uint64_t)(s[i] - '0');
			else if (kb)
				break;
		g->v[g->nv - 1].lazy = kb * 1024;
	}
}

/* Reads /proc/self/smaps line by line up to G's top; false when it cannot
 * be read to there. The kernel makes the text as it is read, VMA by VMA:
 * stopping early spares it the walk of the VMAs above. */
static bool read_smaps(struct gather *g)
{
	int fd;
	bool own = ovc_sampler_fd(OVC_FD_SMAPS, &fd); /* it cannot open */
	if (!own)
		fd = ovc_sys_open("/proc/self/smaps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return false;
	size_t have = 0;
	off_t at_file = 0; /* pread from 0: the kernel starts the text anew */
	bool ok = false;
	while (!g->done) {
		long n = ovc_sys_pread(fd, rbuf + have, sizeof rbuf - have, at_file);
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			ok = n == 0;
			break;
		}
		at_file += n;
		have += (size_t)n;
		size_t at = 0;
		for (;;) {
			char *nl = memchr(rbuf + at, '\n', have - at);
			if (!nl)
				break;
			line(g, rbuf + at, (size_t)(nl - (rbuf + at)));
			at = (size_t)(nl - rbuf) + 1;
			if (g->done)
				break;
		}
		if (at == 0 && have == sizeof rbuf)
			have = 0; /* a line longer than the buffer: a path, skip it */
		memmove(rbuf, rbuf + at, have - at);
		have -= at;
	}
	if (g->done)
		ok = !g->overflow;
	if (!own)
		ovc_sys_close(fd);
	return ok;
}

/* Keeps of the ranges read (generation up to GEN, freed before SETTLED)
 * only what lies in a VMA with LazyFree: the rest was written again,
 * reclaimed or unmapped, and needs no more reads. Younger ranges lose only
 * what lies in no VMA. Under the lock; nothing changes when the pieces
 * would not fit. */
static void settle(const struct gather *g, uint64_t gen, uint64_t settled)
{
	struct range out[MAX_RANGES];
	int n = 0;
	for (int i = 0; i < n_ranges; i++) {
		struct range r = ranges[i];
		if (r.gen > gen) {
			if (n == MAX_RANGES)
				return;
			out[n++] = r;
			continue;
		}
		bool old = r.added_ns < settled;
		for (int k = 0; k < g->nv; k++) {
			const struct vma *v = &g->v[k];
			uintptr_t lo = r.lo > v->lo ? r.lo : v->lo;
			uintptr_t hi = r.hi < v->hi ? r.hi : v->hi;
			if (lo >= hi || (old && !v->lazy))
				continue;
			if (n == MAX_RANGES)
				return;
			out[n] = r;
			out[n].lo = lo;
			out[n++].hi = hi;
		}
	}
	memcpy(ranges, out, (size_t)n * sizeof *out);
	n_ranges = n;
	OVC_STORE(ovc_lazy_active, n_ranges > 0);
}

/* Reads smaps for the ranges kept now and installs what it says. False
 * when another reader is at it or nothing was read. */
static bool refresh(void)
{
	if (__atomic_exchange_n(&reading, 1, __ATOMIC_ACQUIRE))
		return false;
	static struct gather g OVC_TABLE("lazyfree"); /* the reader's, like rbuf */
	static struct range copy[MAX_RANGES] OVC_TABLE("lazyfree");
	uint64_t start = ovc_now_ns();
	ovc_lock_take(&lazy_lock);
	memcpy(copy, ranges, (size_t)n_ranges * sizeof *ranges);
	int nr = n_ranges;
	uint64_t gen = gen_now;
	ovc_lock_give(&lazy_lock);
	g = (struct gather){.r = copy, .nr = nr,
			    .top = nr ? copy[nr - 1].hi : 0};
	bool ok = nr > 0 && read_smaps(&g);
	if (ok) {
		/* the resident bytes of the ranges in each VMA, at once */
		for (int k = 0; k < g.nv; k++) {
			struct vma *v = &g.v[k];
			for (int i = 0; i < nr; i++) {
				uintptr_t lo = copy[i].lo > v->lo ? copy[i].lo : v->lo;
				uintptr_t hi = copy[i].hi < v->hi ? copy[i].hi : v->hi;
				if (lo < hi) {
					int64_t t = ovc_probe_range(lo, hi);
					v->present += t > 0 ? (uint64_t)t : 0;
				}
			}
		}
	}
	uint64_t end = ovc_now_ns();
	uint64_t wait = (end - start) * READ_SHARE;
	ovc_lock_take(&lazy_lock);
	next_new_ns = end + wait;
	next_again_ns = end + (wait > AGAIN_NS ? wait : AGAIN_NS);
	if (ok) {
		memcpy(snap, g.v, (size_t)g.nv * sizeof *snap);
		n_snap = g.nv;
		snap_gen = gen;
		settle(&g, gen, end > SETTLED_NS ? end - SETTLED_NS : 0);
	}
	ovc_lock_give(&lazy_lock);
	__atomic_store_n(&reading, 0, __ATOMIC_RELEASE);
	return ok;
}

bool ovc_lazy_tick(bool force)
{
	if (!OVC_LOAD(ovc_lazy_active))
		return false;
	uint64_t now = ovc_now_ns();
	ovc_lock_take(&lazy_lock);
	bool due = force || now >= next_again_ns ||
		   (gen_now > snap_gen && now >= next_new_ns);
	ovc_lock_give(&lazy_lock);
	bool r = due && refresh();
	return r;
}

void ovc_lazy_sync(uintptr_t lo, uintptr_t hi)
{
	if (!OVC_LOAD(ovc_lazy_active))
		return;
	uint64_t now = ovc_now_ns();
	bool due = false;
	ovc_lock_take(&lazy_lock);
	if (now >= next_new_ns)
		for (int i = 0; i < n_ranges && !due; i++)
			due = ranges[i].gen > snap_gen && ranges[i].lo < hi &&
			      ranges[i].hi > lo;
	ovc_lock_give(&lazy_lock);
	if (due)
		refresh();
}

/* ---- the figure of a probe ---- */

/* The pieces of [lo, hi) in the ranges of one VMA of the snapshot. */
#define MAX_PIECES 16

/* The lock for a probe, which must not wait for ever: an end written from
 * a signal handler (end.c) may probe on the thread that holds it. Held for
 * microseconds by the others; when it cannot be had, the probe counts the
 * pages as resident, as without this file. */
static bool take_briefly(void)
{
	for (int i = 0; i < 1000; i++) {
		if (ovc_lock_try(&lazy_lock))
			return true;
		if (i >= 100)
			OVC_SYS_(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	}
	return false;
}

int64_t ovc_lazy_bytes(uintptr_t lo, uintptr_t hi, bool *shared)
{
	if (!OVC_LOAD(ovc_lazy_active))
		return 0;
	uintptr_t ps = (uintptr_t)ovc_page_size();
	lo = (lo + ps - 1) & ~(ps - 1);
	hi &= ~(ps - 1);
	if (lo >= hi)
		return 0;
	int64_t total = 0;
	for (int k = 0;; k++) {
		/* One VMA at a time: its pieces are copied under the lock and
		 * probed outside it. */
		uintptr_t piece[MAX_PIECES][2];
		int np = 0;
		bool alone = true;
		uint64_t lazy = 0, present = 0;
		if (!take_briefly())
			break;
		while (k < n_snap && (snap[k].hi <= lo || snap[k].lo >= hi))
			k++;
		bool more = k < n_snap;
		if (more) {
			const struct vma *v = &snap[k];
			lazy = v->lazy;
			present = v->present;
			for (int i = 0; i < n_ranges; i++) {
				const struct range *r = &ranges[i];
				uintptr_t a = r->lo > v->lo ? r->lo : v->lo;
				uintptr_t b = r->hi < v->hi ? r->hi : v->hi;
				if (a >= b || r->gen > snap_gen)
					continue; /* not read yet: the next read */
				if (a < lo || b > hi)
					alone = false; /* freed memory of others */
				if (a < lo)
					a = lo;
				if (b > hi)
					b = hi;
				if (a < b && np < MAX_PIECES) {
					piece[np][0] = a;
					piece[np++][1] = b;
				}
			}
		}
		ovc_lock_give(&lazy_lock);
		if (!more)
			break;
		if (!lazy || !present || !np)
			continue;
		uint64_t mine = 0;
		for (int i = 0; i < np; i++) {
			int64_t t = ovc_probe_range(piece[i][0], piece[i][1]);
			mine += t > 0 ? (uint64_t)t : 0;
		}
		/* The VMA's lazily freed pages, shared by the resident bytes of
		 * its freed ranges: exact when they are all in [lo, hi) (and
		 * nothing moved since the read). */
		double d = (double)lazy * (double)mine / (double)present;
		if (d > (double)mine)
			d = (double)mine;
		total += (int64_t)d;
		if (!alone && d > 0)
			*shared = true;
	}
	return total;
}

void ovc_lazy_fork_prepare(void)
{
	ovc_lock_take(&lazy_lock);
}

void ovc_lazy_fork_parent(void)
{
	ovc_lock_give(&lazy_lock);
}

void ovc_lazy_fork_child(void)
{
	ovc_lock_reset(&lazy_lock);
	__atomic_store_n(&reading, 0, __ATOMIC_RELAXED);
	/* The child's pages are copies of the parent's, lazily freed as they
	 * were (until written): its ranges stay, read again at its first
	 * tick. */
	n_snap = 0;
	snap_gen = 0;
	next_new_ns = next_again_ns = 0;
}
