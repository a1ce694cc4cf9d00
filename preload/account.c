/* Exact call counters and live bytes, one block per thread so that counting
 * an allocation writes no shared cache line and takes no lock. */
#include "account.h"
#include "arena.h"
#include "base.h"
#include "blocks.h"
#include "lock.h"
#include "mapping.h"
#include "unwind.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

__thread struct ovc_tls ovc_tls __attribute__((tls_model("initial-exec")));
int ovc_sampler_due;

static struct ovc_lock reg_lock = OVC_LOCK_INIT;
static struct ovc_tc *reg_head; /* push-only list; readers walk it lock-free */
static pthread_key_t exit_key;
static bool exit_key_ok;

/* While one thread only has counted, its block's peak plus the (constant)
 * live bytes of the other blocks is the exact peak of the image. Once a
 * second thread counts, the peak comes from sums (peak_sum). */
static unsigned registered;
static struct ovc_tc *single;
static int64_t single_base;
static int64_t peak_sum;
/* The same for live + committed (the joint peak of both families). */
static int64_t asked_sum;
/* In a fork child: the forking thread's block, taken back at its next
 * registration (its thread-local pointer is cleared so that the next hook
 * call registers). */
static struct ovc_tc *fork_tc;
static pthread_t fork_thread;

static int64_t live_sum(void)
{
	int64_t s = 0;
	for (struct ovc_tc *t = __atomic_load_n(&reg_head, __ATOMIC_ACQUIRE); t;
	     t = t->next)
		s += OVC_LOAD(t->live);
	return s;
}

static void raise_to(int64_t *peak, int64_t v)
{
	int64_t old = __atomic_load_n(peak, __ATOMIC_RELAXED);
	while (v > old && !__atomic_compare_exchange_n(peak, &old, v, true,
						       __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

static void peak_raise(int64_t v)
{
	raise_to(&peak_sum, v);
}

static void on_thread_exit(void *arg)
{
	struct ovc_tc *t = arg;
	/* The thread may still allocate in later destructors: it registers
	 * again then, and this block must not be shared meanwhile. */
	ovc_tls_tc = NULL;
	ovc_lock_take(&reg_lock);
	OVC_STORE(t->in_use, 0);
	ovc_lock_give(&reg_lock);
}

void ovc_account_init(void)
{
	if (!exit_key_ok && pthread_key_create(&exit_key, on_thread_exit) == 0)
		exit_key_ok = true;
	struct ovc_tc *t = ovc_tls_tc;
	if (t && exit_key_ok)
		pthread_setspecific(exit_key, t);
}

struct ovc_tc *ovc_account_register(void)
{
	int saved = errno;
	struct ovc_tc *t = NULL;
	bool went_multi = false;
	ovc_lock_take(&reg_lock);
	if (fork_tc && pthread_equal(pthread_self(), fork_thread)) {
		t = fork_tc;
		fork_tc = NULL;
		ovc_lock_give(&reg_lock);
		ovc_tls_tc = t;
		if (exit_key_ok)
			pthread_setspecific(exit_key, t);
		errno = saved;
		return t;
	}
	for (struct ovc_tc *c = reg_head; c; c = c->next)
		if (!c->in_use) {
			t = c;
			break;
		}
	if (!t) {
		t = ovc_arena_alloc(sizeof *t);
		if (t) {
			t->next = reg_head;
			__atomic_store_n(&reg_head, t, __ATOMIC_RELEASE);
		}
	}
	if (t) {
		t->in_use = 1;
		ovc_unwind_thread_reset(t); /* a new thread: a stack of its own */
		if (++registered == 1) {
			OVC_STORE(single_base, live_sum() - OVC_LOAD(t->live));
			OVC_STORE(t->peak, OVC_LOAD(t->live));
			OVC_STORE(t->peak_asked, OVC_LOAD(t->live) +
						 OVC_LOAD(ovc_committed_now));
			__atomic_store_n(&single, t, __ATOMIC_RELEASE);
		} else if (registered == 2 && single) {
			peak_raise(OVC_LOAD(single->peak) + OVC_LOAD(single_base));
			raise_to(&asked_sum, OVC_LOAD(single->peak_asked) +
						     OVC_LOAD(single_base));
			__atomic_store_n(&single, NULL, __ATOMIC_SEQ_CST);
			went_multi = true;
		}
	}
	ovc_lock_give(&reg_lock);
	if (went_multi)
		ovc_blocks_went_multi();
	ovc_tls_tc = t;
	/* Before the constructor the key does not exist yet; ovc_account_init
	 * sets it for the thread that ran it. */
	if (t && exit_key_ok)
		pthread_setspecific(exit_key, t);
	errno = saved;
	return t;
}

void ovc_account_totals(struct ovc_totals *out)
{
	memset(out, 0, sizeof *out);
	for (struct ovc_tc *t = __atomic_load_n(&reg_head, __ATOMIC_ACQUIRE); t;
	     t = t->next) {
		for (int i = 0; i < OVC_FN_COUNT; i++) {
			out->calls[i] += OVC_LOAD(t->calls[i]);
			out->failed[i] += OVC_LOAD(t->failed[i]);
			out->requested[i] = ovc_sat_add(out->requested[i],
						       OVC_LOAD(t->requested[i]));
		}
		for (int i = 0; i < OVC_MFN_COUNT; i++) {
			out->map_calls[i] += OVC_LOAD(t->map_calls[i]);
			out->map_failed[i] += OVC_LOAD(t->map_failed[i]);
			out->map_bytes[i] = ovc_sat_add(out->map_bytes[i],
						       OVC_LOAD(t->map_bytes[i]));
		}
		out->live += OVC_LOAD(t->live);
		out->peak_live_bound += OVC_LOAD(t->peak);
	}
	peak_raise(out->live);
	int64_t peak = __atomic_load_n(&peak_sum, __ATOMIC_RELAXED);
	struct ovc_tc *s = __atomic_load_n(&single, __ATOMIC_ACQUIRE);
	int64_t base = OVC_LOAD(single_base);
	if (s && OVC_LOAD(s->peak) + base > peak)
		peak = OVC_LOAD(s->peak) + base;
	out->peak_live = peak;
	if (s || out->peak_live_bound < peak)
		out->peak_live_bound = peak; /* exact while single */
	ovc_maps_totals(out->maps);
	raise_to(&asked_sum, out->live + out->maps[2]);
	int64_t asked = __atomic_load_n(&asked_sum, __ATOMIC_RELAXED);
	if (s && OVC_LOAD(s->peak_asked) + base > asked)
		asked = OVC_LOAD(s->peak_asked) + base;
	out->peak_asked = asked;
}

void ovc_account_asked_check(int64_t committed)
{
	raise_to(&asked_sum, live_sum() + committed);
}

int64_t ovc_account_live(void)
{
	return live_sum();
}

void ovc_account_peak_check(void)
{
	int64_t live = live_sum();
	peak_raise(live);
	raise_to(&asked_sum, live + OVC_LOAD(ovc_committed_now));
}

bool ovc_account_multi(void)
{
	return __atomic_load_n(&single, __ATOMIC_RELAXED) == NULL;
}

void ovc_account_fork_prepare(void)
{
	ovc_lock_take(&reg_lock);
}

void ovc_account_fork_parent(void)
{
	ovc_lock_give(&reg_lock);
}

void ovc_account_fork_child(void)
{
	ovc_lock_reset(&reg_lock);
	int64_t inherited = live_sum();
	struct ovc_tc *self = ovc_tls_tc;
	for (struct ovc_tc *t = reg_head; t; t = t->next) {
		memset(t->calls, 0, sizeof t->calls);
		memset(t->failed, 0, sizeof t->failed);
		memset(t->requested, 0, sizeof t->requested);
		memset(t->map_calls, 0, sizeof t->map_calls);
		memset(t->map_failed, 0, sizeof t->map_failed);
		memset(t->map_bytes, 0, sizeof t->map_bytes);
		t->live = 0;
		t->peak = 0;
		t->peak_asked = 0;
		t->in_use = 0;
	}
	/* Only the forking thread lives on; it holds the inherited blocks. */
	registered = 0;
	single = NULL;
	peak_sum = inherited;
	/* The mappings are inherited too (mapping.c keeps them). */
	asked_sum = inherited + OVC_LOAD(ovc_committed_now);
	if (self) {
		self->live = inherited;
		self->in_use = 1;
		registered = 1;
		single = self;
		single_base = 0;
		self->peak = inherited;
		self->peak_asked = asked_sum;
		fork_tc = self;
		fork_thread = pthread_self();
		ovc_tls_tc = NULL;
	} else if (reg_head) {
		/* No thread has counted yet: park the inherited bytes on a free
		 * block, where the sums still see them. */
		reg_head->live = inherited;
	}
}
