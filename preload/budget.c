/* Honest allocation, opt-in for testing: OVC_BUDGET refuses allocations
 * that would take live requested bytes above a budget (strict overcommit
 * for one process), and OVC_PREFAULT populates large blocks when they are
 * allocated, so that malloc fails instead of the OOM killer striking later. */
#include "account.h"
#include "arena.h"
#include "blocks.h"
#include "budget.h"
#include "config.h"
#include "fmt.h"
#include "lock.h"
#include "log.h"
#include "procstat.h"
#include "slots.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

int ovc_honest;          /* budget or prefault on: hooks take the slow path */
static uint64_t budget;  /* 0: no budget */
static bool prefault;
static int64_t live_req; /* requested bytes of live blocks, and reservations */
static unsigned refusals_logged;

/* Requested size of every live block while a budget is on: the allocator
 * only knows usable sizes. Open addressing keyed by address, under a lock
 * (a budget is for tests, where exactness matters more than speed). */
struct entry {
	uintptr_t addr;
	uint64_t size;
};
static struct ovc_lock map_lock = OVC_LOCK_INIT;
static struct entry *map;
static size_t map_cap, map_used;

static size_t slot(uintptr_t a, size_t cap)
{
	return (size_t)((a >> 4) * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
}

static bool map_grow(void)
{
	size_t ncap = map_cap ? map_cap * 2 : 1 << 14;
	struct entry *n = ovc_pages_alloc(ncap * sizeof *n);
	if (!n)
		return false;
	for (size_t i = 0; i < map_cap; i++) {
		if (!map[i].addr)
			continue;
		size_t j = slot(map[i].addr, ncap);
		while (n[j].addr)
			j = (j + 1) & (ncap - 1);
		n[j] = map[i];
	}
	ovc_pages_free(map, map_cap * sizeof *map);
	map = n;
	map_cap = ncap;
	return true;
}

static void map_put(uintptr_t a, uint64_t size)
{
	if ((map_used + 1) * 2 > map_cap && !map_grow())
		return;
	size_t i = slot(a, map_cap);
	while (map[i].addr && map[i].addr != a)
		i = (i + 1) & (map_cap - 1);
	if (!map[i].addr)
		map_used++;
	map[i].addr = a;
	map[i].size = size;
}

/* Removes A; returns its size, or -1 when it is not in the map. */
static int64_t map_take(uintptr_t a)
{
	if (!map)
		return -1;
	size_t m = map_cap - 1;
	size_t i = slot(a, map_cap);
	while (map[i].addr && map[i].addr != a)
		i = (i + 1) & m;
	if (!map[i].addr)
		return -1;
	int64_t size = (int64_t)map[i].size;
	ovc_slots_erase(map, sizeof *map, map_cap, i, slot);
	map_used--;
	return size;
}

void ovc_honest_init(const struct ovc_host *h)
{
	prefault = ovc_cfg.prefault != 0;
	const char *b = ovc_cfg.budget;
	if (b[0]) {
		if (strcmp(b, "commit") == 0) {
			budget = h->commit_limit;
			ovc_cfg.budget_mode = "commit";
		} else if (strcmp(b, "avail") == 0) {
			budget = h->mem_available;
			ovc_cfg.budget_mode = "avail";
		} else if (ovc_parse_size(b, &budget) && budget > 0) {
			ovc_cfg.budget_mode = "size";
		} else {
			char msg[256];
			struct ovc_buf m;
			ovc_buf_init(&m, msg, sizeof msg - 1);
			ovc_buf_raw(&m, "OVC_BUDGET='");
			ovc_buf_rawn(&m, b, strnlen(b, 64));
			ovc_buf_raw(&m, "' is not a size (K, M, G suffixes), commit "
					"or avail; using the default, no budget");
			msg[m.overflow ? sizeof msg - 1 : m.len] = '\0';
			ovc_warn_once(OVC_WARN_OPTION + OVC_OPT_BUDGET, msg);
			budget = 0;
		}
		if (budget == 0 && ovc_cfg.budget_mode[0] &&
		    strcmp(ovc_cfg.budget_mode, "size") != 0)
			ovc_warn_once(OVC_WARN_OPTION + OVC_OPT_BUDGET,
				      "OVC_BUDGET: the machine's figure is unknown; "
				      "no budget");
	}
	ovc_cfg.budget_bytes = budget;
	if (budget || prefault)
		__atomic_store_n(&ovc_honest, 1, __ATOMIC_RELEASE);
}

bool ovc_honest_reserve(size_t n)
{
	if (!budget)
		return true;
	/* Above the budget on its own, and past INT64_MAX (malloc(SIZE_MAX)
	 * would add -1, and live_req go below 0 for a moment). */
	if (n > budget)
		return false;
	int64_t after = __atomic_add_fetch(&live_req, (int64_t)n, __ATOMIC_RELAXED);
	if ((uint64_t)after <= budget)
		return true;
	__atomic_sub_fetch(&live_req, (int64_t)n, __ATOMIC_RELAXED);
	return false;
}

void ovc_honest_unreserve(size_t n)
{
	if (budget)
		__atomic_sub_fetch(&live_req, (int64_t)n, __ATOMIC_RELAXED);
}

void ovc_honest_adopt(void *p, size_t n)
{
	if (!budget)
		return;
	ovc_tls_guard++; /* a signal handler's malloc meanwhile forwards */
	ovc_lock_take(&map_lock);
	map_put((uintptr_t)p, n);
	ovc_lock_give(&map_lock);
	ovc_tls_guard--;
}

int64_t ovc_honest_size(void *p)
{
	if (!budget || !p)
		return -1;
	ovc_tls_guard++; /* a signal handler's malloc meanwhile forwards */
	ovc_lock_take(&map_lock);
	int64_t n = -1;
	if (map) {
		size_t i = slot((uintptr_t)p, map_cap);
		while (map[i].addr && map[i].addr != (uintptr_t)p)
			i = (i + 1) & (map_cap - 1);
		if (map[i].addr)
			n = (int64_t)map[i].size;
	}
	ovc_lock_give(&map_lock);
	ovc_tls_guard--;
	return n;
}

void ovc_honest_forget(void *p)
{
	if (!budget || !p)
		return;
	ovc_tls_guard++; /* a signal handler's malloc meanwhile forwards */
	ovc_lock_take(&map_lock);
	int64_t n = map_take((uintptr_t)p);
	ovc_lock_give(&map_lock);
	ovc_tls_guard--;
	if (n > 0)
		__atomic_sub_fetch(&live_req, n, __ATOMIC_RELAXED);
}

void ovc_honest_resized(void *p, void *q, size_t n, int64_t old)
{
	if (!budget)
		return;
	ovc_tls_guard++; /* a signal handler's malloc meanwhile forwards */
	ovc_lock_take(&map_lock);
	if (p)
		map_take((uintptr_t)p);
	map_put((uintptr_t)q, n);
	ovc_lock_give(&map_lock);
	ovc_tls_guard--;
	if (old > (int64_t)n)
		__atomic_sub_fetch(&live_req, old - (int64_t)n, __ATOMIC_RELAXED);
}

bool ovc_honest_prefault(void *p, size_t n)
{
	if (!prefault || n < ovc_large_bytes)
		return true;
	uintptr_t ps = (uintptr_t)ovc_page_size();
	uintptr_t lo = (uintptr_t)p & ~(ps - 1);
	uintptr_t hi = ((uintptr_t)p + n + ps - 1) & ~(ps - 1);
	int saved = errno;
	int r = madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
	if (r != 0 && errno == EINVAL) {
		/* Before Linux 5.14: write each page, keeping its content. */
		for (uintptr_t a = (uintptr_t)p; a < (uintptr_t)p + n;
		     a = (a & ~(ps - 1)) + ps) {
			volatile char *c = (volatile char *)a;
			*c = *c;
		}
		r = 0;
	}
	errno = saved;
	return r == 0;
}

void ovc_honest_refused(enum ovc_func fn, size_t n, uint64_t t_ns)
{
	if (__atomic_fetch_add(&refusals_logged, 1, __ATOMIC_RELAXED) >= 1000) {
		ovc_warn_once(OVC_WARN_REFUSALS,
			      "more than 1000 allocations refused by OVC_BUDGET; "
			      "only the first 1000 are logged");
		return;
	}
	int64_t site = ovc_site_id_here();
	char line[512];
	struct ovc_buf b;
	ovc_buf_record(&b, line, sizeof line, OVC_REC_REFUSE);
	ovc_buf_key_u64(&b, "ns", t_ns);
	ovc_buf_key(&b, "fn");
	ovc_buf_jstr(&b, ovc_func_names[fn], strlen(ovc_func_names[fn]));
	ovc_buf_key_u64(&b, "size", n);
	/* A failed call's reservation is given back after it: never below 0
	 * in the log (the reader takes sizes from 0 up). */
	int64_t live = __atomic_load_n(&live_req, __ATOMIC_RELAXED);
	ovc_buf_key_u64(&b, "live", live > 0 ? (uint64_t)live : 0);
	ovc_buf_key_u64(&b, "budget", budget);
	ovc_buf_key_i64(&b, "site", site);
	ovc_buf_raw(&b, "}\n");
	ovc_record_write(&b);
}

void ovc_honest_fork_prepare(void)
{
	ovc_lock_take(&map_lock);
}

void ovc_honest_fork_parent(void)
{
	ovc_lock_give(&map_lock);
}

void ovc_honest_fork_child(void)
{
	ovc_lock_reset(&map_lock);
	refusals_logged = 0;
}
