/* Call stacks on x86-64 without libunwind: the rule of each return address
 * (where its frame's CFA is, where the caller's rbp was saved) is read once
 * from the module's .eh_frame and cached per thread, so that a capture
 * costs a few loads per frame. Anything out of the ordinary (a signal
 * frame, a DWARF expression, a module not in the table, a stack pointer
 * outside the mapping it was found in) answers -1 and stack.c asks
 * libunwind instead.
 *
 * Memory is read only where it is known to be mapped: stack words between
 * the stack pointer and the end of the mapping that holds it (found once
 * per thread in /proc/self/maps), and .eh_frame data inside the segment of
 * a module verified to be the one the table describes (its ELF header and
 * build id compared through process_vm_readv, which fails instead of
 * faulting: a module closed with dlclose and another loaded in its place
 * is caught). The table of modules is built with dl_iterate_phdr, never
 * while ovc holds a lock another thread may wait for inside the loader. */
#include "account.h"
#include "arena.h"
#include "base.h"
#include "lock.h"
#include "procstat.h"
#include "stack.h"
#include "sys.h"
#include "eh-frame.h"
#include "unwind.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#ifdef OVC_FAST_UNWIND

/* ---- the table of modules ---- */

struct utab {
	unsigned long long adds, subs; /* dl_iterate_phdr's counters */
	int n;
	struct umod m[]; /* sorted by lo */
};

#define MAX_UMODS 4096
static struct utab *utab; /* published with release; never freed */
static unsigned utab_gen; /* bumped with each new table */
static struct ovc_lock utab_lock;
static struct umod scratch[MAX_UMODS] OVC_TABLE("unwind"); /* under utab_lock */
static int n_scratch;
static unsigned long long scratch_adds, scratch_subs;
static int fast_off;   /* process_vm_readv refused: libunwind only */
/* An address was in no module of the table, or there is no table yet: it
 * is made at the first capture, not at start (most processes of a suite
 * never capture a stack). */
static int want_fresh = 1;
static uint64_t fresh_ns;

static void load_span(const struct dl_phdr_info *info, struct umod *m)
{
	m->lo = UINTPTR_MAX;
	m->hi = 0;
	uintptr_t hdr_vaddr = 0;
	bool has_hdr = false;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_GNU_EH_FRAME) {
			hdr_vaddr = ph->p_vaddr;
			has_hdr = true;
		}
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t s = info->dlpi_addr + ph->p_vaddr;
		if (s < m->lo)
			m->lo = s;
		if (s + ph->p_memsz > m->hi)
			m->hi = s + ph->p_memsz;
		if (ph->p_offset == 0)
			m->elf = s;
	}
	if (!has_hdr)
		return;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && ph->p_vaddr <= hdr_vaddr &&
		    hdr_vaddr < ph->p_vaddr + ph->p_filesz) {
			m->seg_lo = info->dlpi_addr + ph->p_vaddr;
			m->seg_hi = m->seg_lo + ph->p_filesz;
			m->hdr = info->dlpi_addr + hdr_vaddr;
		}
	}
}

static int on_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)arg;
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
		scratch_adds = info->dlpi_adds;
		scratch_subs = info->dlpi_subs;
	}
	if (n_scratch >= MAX_UMODS)
		return 0;
	struct umod *m = &scratch[n_scratch];
	memset(m, 0, sizeof *m);
	load_span(info, m);
	if (m->lo >= m->hi || !m->elf)
		return 0;
	/* Loaded now, under the loader's lock: safe to read. */
	memcpy(m->elf_copy, (const void *)m->elf, sizeof m->elf_copy);
	size_t bl;
	const unsigned char *bid = ovc_build_id(info, &bl);
	if (bid && bl) {
		m->bid = (uintptr_t)bid;
		m->bid_len = (uint8_t)(bl < sizeof m->bid_copy ? bl : sizeof m->bid_copy);
		memcpy(m->bid_copy, bid, m->bid_len);
	}
	n_scratch++;
	return 0;
}

void ovc_unwind_refresh(void)
{
	if (!ovc_lock_try(&utab_lock))
		return; /* another thread is at it */
	n_scratch = 0;
	scratch_adds = scratch_subs = 0;
	dl_iterate_phdr(on_module, NULL);
	struct utab *cur = __atomic_load_n(&utab, __ATOMIC_ACQUIRE);
	if (cur && cur->adds == scratch_adds && cur->subs == scratch_subs &&
	    cur->n == n_scratch) {
		ovc_lock_give(&utab_lock);
		return; /* nothing was loaded or closed since */
	}
	/* insertion sort by lo: short and nearly sorted */
	for (int i = 1; i < n_scratch; i++) {
		struct umod m = scratch[i];
		int j = i;
		while (j > 0 && scratch[j - 1].lo > m.lo) {
			scratch[j] = scratch[j - 1];
			j--;
		}
		scratch[j] = m;
	}
	struct utab *t = ovc_arena_alloc(sizeof *t + (size_t)n_scratch * sizeof t->m[0]);
	if (t) {
		t->adds = scratch_adds;
		t->subs = scratch_subs;
		t->n = n_scratch;
		memcpy(t->m, scratch, (size_t)n_scratch * sizeof t->m[0]);
		__atomic_store_n(&utab, t, __ATOMIC_RELEASE);
		__atomic_add_fetch(&utab_gen, 1, __ATOMIC_RELEASE);
	}
	ovc_lock_give(&utab_lock);
}

void ovc_unwind_fork_child(void)
{
	/* Another thread of the parent may have held it at the fork. */
	ovc_lock_reset(&utab_lock);
}

bool ovc_unwind_wants_refresh(void)
{
	if (!__atomic_load_n(&want_fresh, __ATOMIC_RELAXED))
		return false;
	/* At most one refresh every 10 ms: code outside every module (a JIT)
	 * would otherwise ask on every capture. */
	uint64_t now = ovc_now_ns();
	if (now - __atomic_load_n(&fresh_ns, __ATOMIC_RELAXED) < 10000000)
		return false;
	__atomic_store_n(&fresh_ns, now, __ATOMIC_RELAXED);
	__atomic_store_n(&want_fresh, 0, __ATOMIC_RELAXED);
	return true;
}

static const struct umod *umod_of(const struct utab *t, uintptr_t pc)
{
	int lo = 0, hi = t->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (pc < t->m[mid].lo)
			hi = mid - 1;
		else if (pc >= t->m[mid].hi)
			lo = mid + 1;
		else
			return &t->m[mid];
	}
	return NULL;
}

/* Whether module M is still the one loaded at its place: its ELF header
 * and build id, read with process_vm_readv (an error, not a fault, where
 * nothing is mapped any more). */
static bool verified(const struct umod *m)
{
	uint8_t buf[sizeof m->elf_copy + sizeof m->bid_copy];
	struct iovec local = {buf, sizeof m->elf_copy + m->bid_len};
	struct iovec remote[2] = {{(void *)m->elf, sizeof m->elf_copy},
				  {(void *)m->bid, m->bid_len}};
	long r = OVC_SYS_(SYS_process_vm_readv, ovc_sys_getpid(), &local, 1,
			  remote, m->bid_len ? 2 : 1, 0);
	if (r == -EPERM || r == -ENOSYS || r == -EACCES) {
		__atomic_store_n(&fast_off, 1, __ATOMIC_RELAXED);
		return false;
	}
	return r == (long)local.iov_len &&
	       memcmp(buf, m->elf_copy, sizeof m->elf_copy) == 0 &&
	       memcmp(buf + sizeof m->elf_copy, m->bid_copy, m->bid_len) == 0;
}

/* ---- per thread ---- */

#define RULES 2048 /* cache of rules by code address, in sets of WAYS */
/* Its first slots are used alone until they have been filled that often:
 * a short process then touches one page of the cache, not all eight (a
 * first touch is a page fault, about 10 us on this project's VM). */
#define RULES_FIRST 128
#define WAYS 4 /* rules in a set, a cache line: the sets are what a hash picks */

/* Whole stacks seen before, per thread: a capture that starts where an
 * earlier one did (the same stack pointer, rbp, stack mapping, table of
 * modules and frames wanted) and finds the same words at every stack
 * address that unwinding read (each return address and each saved rbp)
 * unwinds to the same frames, since each step depends on nothing else:
 * the rule of a return address, and the CFA from the stack pointer or
 * rbp. Those words are compared, all independent loads, instead of a
 * rule looked up and a CFA computed for each frame in turn (OVC_SAMPLE=1
 * on sqlite: a quarter of its time was that loop). Made after
 * MEMO_AFTER captures: a short process touches none of its pages. */
#define MEMOS 32
#define MEMO_READS 48 /* stack words an entry compares, at most */
#define MEMO_AFTER 64

struct memo {
	void *site; /* what stack.c found for these frames (ovc_tc.site_hint) */
	uintptr_t bp, hi;
	unsigned gen;
	bool bp_used; /* a CFA came from rbp before it was read from the stack */
	uint16_t want, n, reads;
	uintptr_t at[MEMO_READS], was[MEMO_READS];
	void *out[MEMO_READS];
};

struct ovc_unw {
	uintptr_t stack_lo, stack_hi; /* the mapping holding the stack */
	int maps_reads;
	unsigned gen; /* utab_gen the rules were found under */
	const struct umod *ok[8]; /* modules verified under gen */
	unsigned ok_next;
	unsigned rule_mask; /* sets: RULES_FIRST / WAYS - 1, then RULES / WAYS - 1 */
	unsigned rule_fills;
	unsigned captures; /* up to MEMO_AFTER */
	unsigned memo_next;
	uintptr_t memo_sp[MEMOS]; /* each memo's stack pointer; 0: empty */
	struct rule rules[RULES] __attribute__((aligned(64)));
	struct memo memo[MEMOS];
};

/* glibc's (ld.so): the stack pointer at the program's start, near the
 * top of the main thread's stack. */
extern void *__libc_stack_end;

/* Whether the pages [LO, HI) are all mapped now (mincore fails with
 * ENOMEM on a gap). */
static bool all_mapped(uintptr_t lo, uintptr_t hi)
{
	unsigned char vec[256];
	for (uintptr_t a = lo; a < hi;) {
		size_t len = hi - a < sizeof vec * 4096 ? hi - a : sizeof vec * 4096;
		if (ovc_sys_mincore((void *)a, len, vec) != 0)
			return false;
		a += len;
	}
	return true;
}

/* SP on the main thread's stack, found without /proc/self/maps (whose
 * every read makes the kernel print each mapping: 20-30 us on this
 * project's VM, in every short process that traces a block): from SP's
 * page to the one holding __libc_stack_end, all mapped. Within 64 MiB of
 * that top nothing else should be (the kernel keeps mmap at least 128 MiB
 * below the stack), and mincore says that nothing else is: a stack of the
 * program's own placed there with MAP_FIXED is not taken for the main
 * stack unless every page up to the top is mapped. A slack of 64 KiB
 * below SP, where mapped, keeps a deeper call from asking again. */
#define MAIN_SPAN ((uintptr_t)64 << 20)
#define MAIN_SLACK ((uintptr_t)64 << 10)
static bool main_stack(struct ovc_unw *u, uintptr_t sp)
{
	uintptr_t top = (uintptr_t)__libc_stack_end;
	if (!top || sp >= top || top - sp > MAIN_SPAN)
		return false;
	uintptr_t hi = (top | 4095) + 1, lo = sp & ~(uintptr_t)4095;
	if (lo > MAIN_SLACK && all_mapped(lo - MAIN_SLACK, hi))
		lo -= MAIN_SLACK;
	else if (!all_mapped(lo, hi))
		return false;
	u->stack_lo = lo;
	u->stack_hi = hi;
	return true;
}

/* Finds the mapping that holds SP: the main stack by main_stack (a
 * mincore call each time the stack outgrows what was checked), any other
 * in /proc/self/maps. */
static bool stack_mapping(struct ovc_unw *u, uintptr_t sp)
{
	/* A stack pointer outside the mapping it was found in: another stack
	 * (sigaltstack, coroutines), or the main stack grown. Look again a
	 * few times only: a program switching stacks goes on with
	 * libunwind. */
	if (main_stack(u, sp))
		return true;
	if (u->maps_reads >= 16)
		return false;
	u->maps_reads++;
	int fd = ovc_sys_open("/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return false;
	char buf[4096];
	size_t have = 0;
	bool found = false, eof = false;
	while (!found) {
		/* Read again only for a line not whole yet: each read of
		 * the file makes the kernel walk the mappings again. */
		char *nl = memchr(buf, '\n', have);
		if (!nl) {
			if (eof || have == sizeof buf)
				break;
			long n = ovc_sys_read(fd, buf + have, sizeof buf - have);
			if (n == -EINTR)
				continue;
			if (n <= 0)
				eof = true;
			else
				have += (size_t)n;
			continue;
		}
		/* "start-end perms ..." in hex */
		uintptr_t a = 0, b = 0;
		const char *p = buf;
		for (; p < nl && *p != '-'; p++)
			a = a * 16 + (uintptr_t)(*p <= '9' ? *p - '0' : (*p | 32) - 'a' + 10);
		for (p++; p < nl && *p != ' '; p++)
			b = b * 16 + (uintptr_t)(*p <= '9' ? *p - '0' : (*p | 32) - 'a' + 10);
		if (a <= sp && sp < b && p + 1 < nl && p[1] == 'r') {
			u->stack_lo = a;
			u->stack_hi = b;
			found = true;
		}
		size_t used = (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, have - used);
		have -= used;
	}
	ovc_sys_close(fd);
	return found;
}

/* The rule of PC from U's cache (MASK: its rule_mask, read once a
 * capture), else found and cached. */
static const struct rule *rule_of(struct ovc_unw *u, const struct utab *t,
				  uintptr_t pc, unsigned mask)
{
	uint64_t h = (uint64_t)pc * 0x9e3779b97f4a7c15ull;
	struct rule *set = &u->rules[((h >> 40) & mask) * WAYS];
	for (int w = 0; w < WAYS; w++)
		if (OVC_LIKELY(set[w].pc == pc && set[w].kind != RULE_EMPTY))
			return &set[w];
	if (OVC_UNLIKELY(++u->rule_fills == RULES_FIRST)) {
		/* the entries in place stay valid */
		u->rule_mask = RULES / WAYS - 1;
		set = &u->rules[((h >> 40) & u->rule_mask) * WAYS];
	}
	struct rule r = {0};
	const struct umod *m = umod_of(t, pc);
	bool ok = false;
	if (m) {
		for (unsigned i = 0; i < 8 && !ok; i++)
			ok = u->ok[i] == m;
		if (!ok && verified(m)) {
			ok = true;
			u->ok[u->ok_next++ & 7] = m;
		}
	}
	if (ok)
		ovc_eh_rule(m, pc, &r);
	else
		__atomic_store_n(&want_fresh, 1, __ATOMIC_RELAXED);
	if (r.kind == RULE_EMPTY)
		r.kind = RULE_NO;
	r.pc = pc;
	/* First in its set; the set's oldest goes. */
	memmove(&set[1], &set[0], (WAYS - 1) * sizeof *set);
	set[0] = r;
	return &set[0];
}

void ovc_unwind_thread_reset(struct ovc_tc *t)
{
	if (t->unw) {
		t->unw->stack_lo = t->unw->stack_hi = 0;
		t->unw->maps_reads = 0;
		memset(t->unw->memo_sp, 0, sizeof t->unw->memo_sp);
	}
}

/* The frames of the memo of U that a capture starting at SP and BP (the
 * stack mapping ending at HI, table GEN, WANT frames) would unwind to, into
 * OUT: the memo's index, or -1 when no memo holds them. */
static __attribute__((no_sanitize_address)) int
memo_find(struct ovc_unw *u, uintptr_t sp, uintptr_t bp,
		     uintptr_t hi, unsigned gen, int want, void **out)
{
	for (int i = 0; i < MEMOS; i++) {
		if (u->memo_sp[i] != sp)
			continue;
		const struct memo *m = &u->memo[i];
		if ((m->bp_used && m->bp != bp) || m->hi != hi || m->gen != gen ||
		    m->want != want)
			continue;
		int k = 0;
		while (k < m->reads && *(const uintptr_t *)m->at[k] == m->was[k])
			k++;
		if (k < m->reads)
			continue;
		memcpy(out, m->out, (size_t)m->n * sizeof *out);
		return i;
	}
	return -1;
}

/* The stack words an unwinding read: each return address, and each saved
 * rbp that a CFA was then computed from (keep); a saved rbp never used (a
 * caller's register spilled by a function that keeps no frame pointer)
 * changes from call to call and says nothing. */
struct reads {
	uintptr_t at[MEMO_READS], was[MEMO_READS];
	bool keep[MEMO_READS];
	int n;
};

/* Notes that WAS was read at AT (KEEP: a memo compares it); false when
 * there is no room left, and the unwinding makes no memo. */
static inline bool note_read(struct reads *rd, uintptr_t at, uintptr_t was,
			     bool keep)
{
	if (rd->n == MEMO_READS)
		return false;
	rd->at[rd->n] = at;
	rd->was[rd->n] = was;
	rd->keep[rd->n++] = keep;
	return true;
}

__attribute__((noinline, no_sanitize_address)) int
ovc_unwind_fast(struct ovc_tc *t, void **out, int want)
{
	uintptr_t ip, sp, bp;
	__asm__ volatile("lea 0(%%rip), %0\n\t"
			 "mov %%rsp, %1\n\t"
			 "mov %%rbp, %2"
			 : "=r"(ip), "=r"(sp), "=r"(bp));
	const struct utab *tab = __atomic_load_n(&utab, __ATOMIC_ACQUIRE);
	if (!tab || __atomic_load_n(&fast_off, __ATOMIC_RELAXED))
		return -1;
	unsigned gen = __atomic_load_n(&utab_gen, __ATOMIC_ACQUIRE);
	struct ovc_unw *u = t->unw;
	if (OVC_UNLIKELY(!u)) {
		/* Zeroed: its rules are empty already, not written again. */
		u = t->unw = ovc_arena_alloc(sizeof *u);
		if (!u)
			return -1;
		u->gen = gen;
		u->rule_mask = RULES_FIRST / WAYS - 1;
	}
	if (OVC_UNLIKELY(u->gen != gen)) {
		memset(u->rules, 0, sizeof u->rules);
		memset(u->ok, 0, sizeof u->ok);
		u->gen = gen;
	}
	if (OVC_UNLIKELY(sp < u->stack_lo || sp >= u->stack_hi) &&
	    !stack_mapping(u, sp))
		return -1;
	const uintptr_t hi = u->stack_hi;
	const unsigned mask = u->rule_mask;
	const uintptr_t sp0 = sp, bp0 = bp;
	bool memo = u->captures >= MEMO_AFTER;
	if (memo) {
		int i = memo_find(u, sp, bp, hi, gen, want, out);
		if (i >= 0) {
			t->site_hint = &u->memo[i].site;
			return u->memo[i].n;
		}
	} else {
		u->captures++;
	}
	struct reads rd;
	rd.n = 0;
	int bp_read = -1; /* the read rbp came from; -1: the register */
	bool bp_used = false;
	/* The first rule is that of IP itself; the others of a return
	 * address minus one, which lies in the call instruction. */
	uintptr_t pc = ip;
	int n = 0;
	while (n < want) {
		const struct rule *r = rule_of(u, tab, pc, mask);
		if (r->kind == RULE_END)
			break;
		if (r->kind != RULE_OK)
			return -1;
		uintptr_t cfa = (r->cfa_bp ? bp : sp) + (uintptr_t)(intptr_t)r->cfa_off;
		if (r->cfa_bp) {
			if (bp_read >= 0)
				rd.keep[bp_read] = true;
			else
				bp_used = true;
		}
		/* Upwards, inside the mapping: a rule from rbp where rbp is
		 * not what the code thought is caught here. */
		if (cfa < sp + 8 || cfa > hi ||
		    (r->bp_off && cfa + (uintptr_t)(intptr_t)r->bp_off < sp))
			return -1;
		uintptr_t ra = *(const uintptr_t *)(cfa - 8);
		memo &= note_read(&rd, cfa - 8, ra, true);
		if (r->bp_off) {
			uintptr_t a = cfa + (uintptr_t)(intptr_t)r->bp_off;
			bp = *(const uintptr_t *)a;
			if (note_read(&rd, a, bp, false))
				bp_read = rd.n - 1;
			else
				memo = false;
		}
		sp = cfa;
		if (!ra)
			break;
		out[n++] = (void *)ra;
		pc = ra - 1;
	}
	if (memo) {
		unsigned i = u->memo_next++ % MEMOS;
		struct memo *m = &u->memo[i];
		m->bp = bp0;
		m->bp_used = bp_used;
		m->hi = hi;
		m->gen = gen;
		m->want = (uint16_t)want;
		m->n = (uint16_t)n;
		int k = 0;
		for (int j = 0; j < rd.n; j++)
			if (rd.keep[j]) {
				m->at[k] = rd.at[j];
				m->was[k++] = rd.was[j];
			}
		m->reads = (uint16_t)k;
		memcpy(m->out, out, (size_t)n * sizeof *out);
		m->site = NULL;
		u->memo_sp[i] = sp0;
		t->site_hint = &m->site;
	}
	return n;
}

#else /* !OVC_FAST_UNWIND */

void ovc_unwind_refresh(void)
{
}

void ovc_unwind_fork_child(void)
{
}

bool ovc_unwind_wants_refresh(void)
{
	return false;
}

void ovc_unwind_thread_reset(struct ovc_tc *t)
{
	(void)t;
}

int ovc_unwind_fast(struct ovc_tc *t, void **out, int want)
{
	(void)t;
	(void)out;
	(void)want;
	return -1;
}

#endif
