/* What a snapshot of a process means: which mappings are its stacks, and
 * its anonymous memory summed into reserved, committed, touched and the
 * overcommit gap, against the machine's CommitLimit and MemTotal. */
#include <string.h>

#include "read/snapshot.h"

const char *ovc_snap_kind_name(enum ovc_snap_kind k)
{
	static const char *const names[] = {
		[OVC_SNAP_ANON] = "anon",   [OVC_SNAP_HEAP] = "heap",
		[OVC_SNAP_STACK] = "stack", [OVC_SNAP_THREAD_STACK] = "thread_stack",
		[OVC_SNAP_FILE] = "file",   [OVC_SNAP_SHARED] = "shared",
		[OVC_SNAP_SPECIAL] = "special",
	};
	return ovc_name_at(names, OVC_NAMES(names), (size_t)k);
}

/* Index of the mapping of S holding ADDR (maps are sorted by address, as
 * smaps lists them), or -1. */
static long find_map(const struct ovc_snap *s, uint64_t addr)
{
	size_t lo = 0, hi = s->nmaps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < s->maps[mid].lo)
			hi = mid;
		else if (addr >= s->maps[mid].hi)
			lo = mid + 1;
		else
			return (long)mid;
	}
	return -1;
}

/* Largest guard below a thread stack that is believed (glibc's default is
 * one page; pthread_attr_setguardsize may ask for more). */
#define MAX_GUARD_BYTES ((uint64_t)1 << 20)

/* A thread on a CPU shows no stack pointer in /proc. Its stack is then
 * named by glibc's layout (allocatestack.c): a writable anonymous mapping
 * right above an inaccessible guard of at most MAX_GUARD_BYTES. malloc's
 * arenas lay out the other way round (writable first, PROT_NONE above), so
 * only when there are no more such mappings than threads not located are
 * they named, as guesses. */
static void guess_stacks(struct ovc_snap *s)
{
	size_t unlocated = 0, candidates = 0;
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].map < 0 && s->threads[i].tid != s->pid)
			unlocated++;
	if (!unlocated)
		return;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 1; i < s->nmaps; i++) {
			struct ovc_snap_map *m = &s->maps[i];
			const struct ovc_snap_map *g = &s->maps[i - 1];
			if (m->kind != OVC_SNAP_ANON || !m->committed ||
			    m->name[0] || g->kind != OVC_SNAP_ANON ||
			    g->hi != m->lo || strcmp(g->perms, "---p") != 0 ||
			    g->hi - g->lo > MAX_GUARD_BYTES)
				continue;
			if (pass == 0) {
				candidates++;
			} else {
				m->kind = OVC_SNAP_THREAD_STACK;
				m->guessed = true;
			}
		}
		if (candidates == 0 || candidates > unlocated)
			return;
	}
}

/* Thread stacks: the anonymous mapping that holds a thread's stack
 * pointer. Since Linux 4.5 smaps no longer names them ([stack:TID]), and
 * glibc maps them like any other memory. */
static void name_stacks(struct ovc_snap *s, struct ovc_snap_totals *t)
{
	for (size_t i = 0; i < s->nthreads; i++) {
		struct ovc_snap_thread *th = &s->threads[i];
		th->map = th->sp ? find_map(s, th->sp) : -1;
		if (th->map < 0)
			continue;
		struct ovc_snap_map *m = &s->maps[th->map];
		if (m->kind == OVC_SNAP_STACK) {
			if (m->tid < 0 || th->tid == s->pid)
				m->tid = th->tid;
		} else if (m->kind == OVC_SNAP_ANON) {
			m->kind = OVC_SNAP_THREAD_STACK;
			m->tid = th->tid;
		} else if (m->kind != OVC_SNAP_THREAD_STACK) {
			/* A stack in the heap or a file: not named. */
			th->map = -1;
			continue;
		}
		t->threads_located++;
	}
	guess_stacks(s);
	/* [stack] belongs to the main thread even while its pointer is
	 * unknown (the thread is running). */
	for (size_t i = 0; i < s->nmaps; i++)
		if (s->maps[i].kind == OVC_SNAP_STACK && s->maps[i].tid < 0)
			s->maps[i].tid = s->pid;
}

static void add(struct ovc_snap_sum *sum, const struct ovc_snap_map *m,
		bool scanned)
{
	int64_t size = (int64_t)(m->hi - m->lo);
	sum->mappings++;
	sum->reserved_bytes += size;
	if (m->committed)
		sum->committed_bytes += size;
	sum->resident_bytes += m->rss_bytes;
	sum->swapped_bytes += m->swap_bytes;
	if (scanned && m->pm_present_bytes >= 0) {
		sum->touched_bytes += m->pm_present_bytes + m->pm_swapped_bytes;
		if (sum->zero_page_bytes >= 0)
			sum->zero_page_bytes += m->pm_zero_bytes;
	} else {
		sum->touched_bytes += m->rss_bytes + m->swap_bytes;
		sum->zero_page_bytes = -1;
	}
}

/* Touched bytes of M as the totals count them. */
static int64_t touched_of(const struct ovc_snap_map *m, bool scanned)
{
	if (scanned && m->pm_present_bytes >= 0)
		return m->pm_present_bytes + m->pm_swapped_bytes;
	return m->rss_bytes + m->swap_bytes;
}

void ovc_snap_analyze(struct ovc_snap *s, struct ovc_snap_totals *t)
{
	memset(t, 0, sizeof *t);
	name_stacks(s, t);
	bool scanned = s->pagemap_scanned;
	t->touched_source = scanned ? "pagemap" : "smaps";
	struct ovc_snap_sum *sums[] = {&t->anon, &t->heap, &t->stack,
				       &t->thread_stacks, &t->other_anon,
				       &t->file, &t->shared};
	for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
		sums[i]->zero_page_bytes = scanned ? 0 : -1;
	/* File and shared mappings are never scanned. */
	t->file.zero_page_bytes = t->shared.zero_page_bytes = -1;
	/* Where a mapping of each kind is summed (special ones: nowhere). */
	struct ovc_snap_sum *const by_kind[] = {
		[OVC_SNAP_ANON] = &t->other_anon,
		[OVC_SNAP_HEAP] = &t->heap,
		[OVC_SNAP_STACK] = &t->stack,
		[OVC_SNAP_THREAD_STACK] = &t->thread_stacks,
		[OVC_SNAP_FILE] = &t->file,
		[OVC_SNAP_SHARED] = &t->shared,
		[OVC_SNAP_SPECIAL] = NULL,
	};
	for (size_t i = 0; i < s->nmaps; i++) {
		const struct ovc_snap_map *m = &s->maps[i];
		bool anon = m->kind != OVC_SNAP_FILE &&
			    m->kind != OVC_SNAP_SHARED &&
			    m->kind != OVC_SNAP_SPECIAL;
		if (by_kind[m->kind])
			add(by_kind[m->kind], m, scanned && anon);
		if (m->guessed)
			t->stacks_guessed++;
		if (!anon)
			continue;
		add(&t->anon, m, scanned);
		if (!m->committed)
			continue;
		/* The gap per mapping: what of it may be touched and is not
		 * (touched pages of a mapping made PROT_NONE later do not
		 * fill another mapping's gap). */
		int64_t size = (int64_t)(m->hi - m->lo);
		int64_t touched = touched_of(m, scanned);
		if (touched > size)
			touched = size;
		t->touched_committed_bytes += touched;
		t->gap_bytes += size - touched;
	}
	int64_t com = t->anon.committed_bytes;
	t->has_ratio = com > 0;
	if (t->has_ratio) {
		double r = (double)t->touched_committed_bytes / (double)com;
		t->touched_ratio = r > 1.0 ? 1.0 : r;
	}
	t->over_commit_limit = s->host.commit_limit_bytes > 0 &&
			       com > s->host.commit_limit_bytes;
	t->over_mem_total = s->host.mem_total_bytes > 0 &&
			    com > s->host.mem_total_bytes;
}
