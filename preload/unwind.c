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
static struct umod scratch[MAX_UMODS]; /* under utab_lock */
static int n_scratch;
static unsigned long long scratch_adds, scratch_subs;
static int fast_off;   /* process_vm_readv refused: libunwind only */
static int want_fresh; /* an address was in no module of the table */
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

/* ---- reading .eh_frame ---- */

struct cur {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t rd_uleb(struct cur *c)
{
	uint64_t v = 0;
	for (int shift = 0; c->p < c->end && shift < 64; shift += 7) {
		uint8_t b = *c->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true;
	return 0;
}

static int64_t rd_sleb(struct cur *c)
{
	int64_t v = 0;
	int shift = 0;
	for (; c->p < c->end && shift < 64;) {
		uint8_t b = *c->p++;
		v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= -((int64_t)1 << shift);
			return v;
		}
	}
	c->bad = true;
	return 0;
}

static uint64_t rd_n(struct cur *c, int n)
{
	if (c->end - c->p < n) {
		c->bad = true;
		return 0;
	}
	uint64_t v = 0;
	memcpy(&v, c->p, (size_t)n); /* little-endian */
	c->p += n;
	return v;
}

/* A pointer encoded as ENC (DW_EH_PE_*); only the forms compilers emit in
 * .eh_frame: absolute or pc-relative, fixed or LEB128 sized. FORMAT_ONLY:
 * a length (pc_range), no base applied. */
static uintptr_t rd_enc(struct cur *c, uint8_t enc, bool format_only)
{
	if (enc == 0xff) /* DW_EH_PE_omit */
		return 0;
	uintptr_t field = (uintptr_t)c->p;
	uint64_t v;
	switch (enc & 0x0f) {
	case 0x00: v = rd_n(c, 8); break;                    /* absptr */
	case 0x01: v = rd_uleb(c); break;                    /* uleb128 */
	case 0x02: v = rd_n(c, 2); break;                    /* udata2 */
	case 0x03: v = rd_n(c, 4); break;                    /* udata4 */
	case 0x04: v = rd_n(c, 8); break;                    /* udata8 */
	case 0x09: v = (uint64_t)rd_sleb(c); break;          /* sleb128 */
	case 0x0a: v = (uint64_t)(int64_t)(int16_t)rd_n(c, 2); break;
	case 0x0b: v = (uint64_t)(int64_t)(int32_t)rd_n(c, 4); break;
	case 0x0c: v = rd_n(c, 8); break;                    /* sdata8 */
	default: c->bad = true; return 0;
	}
	if (format_only)
		return (uintptr_t)v;
	switch (enc & 0x70) {
	case 0x00: return (uintptr_t)v;
	case 0x10: return field + (uintptr_t)v; /* pcrel */
	default: c->bad = true; return 0;
	}
}

/* The row being built while the CFA program runs. */
struct row {
	int cfa_reg;
	int64_t cfa_off;
	int bp;      /* 0 same value, 1 saved at offset, 2 other */
	int64_t bp_off;
	int ra;      /* 0 undefined, 1 at offset, 2 other */
	int64_t ra_off;
};

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;
	uint8_t fde_enc;
	bool signal;
	bool z; /* augmentation data follow in each FDE */
	struct cur insns;
};

static bool parse_cie(const uint8_t *p, const uint8_t *seg_end, struct cie *out)
{
	struct cur c = {p, seg_end, false};
	uint64_t len = rd_n(&c, 4);
	if (c.bad || len == 0 || len == 0xffffffff || len > (uint64_t)(seg_end - c.p))
		return false;
	c.end = c.p + len;
	if (rd_n(&c, 4) != 0) /* CIE id in .eh_frame */
		return false;
	uint8_t version = (uint8_t)rd_n(&c, 1);
	if (version != 1 && version != 3)
		return false;
	const char *aug = (const char *)c.p;
	while (c.p < c.end && *c.p)
		c.p++;
	if (c.p >= c.end)
		return false;
	c.p++;
	out->code_align = rd_uleb(&c);
	out->data_align = rd_sleb(&c);
	out->ra_reg = version == 1 ? rd_n(&c, 1) : rd_uleb(&c);
	out->fde_enc = 0;
	out->signal = false;
	out->z = aug[0] == 'z';
	if (out->z) {
		uint64_t alen = rd_uleb(&c);
		if (c.bad || alen > (uint64_t)(c.end - c.p))
			return false;
		const uint8_t *aend = c.p + alen;
		for (const char *a = aug + 1; *a; a++) {
			if (*a == 'R') {
				out->fde_enc = (uint8_t)rd_n(&c, 1);
			} else if (*a == 'L') {
				rd_n(&c, 1);
			} else if (*a == 'P') {
				uint8_t enc = (uint8_t)rd_n(&c, 1);
				rd_enc(&c, enc & 0x0f, true); /* skipped */
			} else if (*a == 'S') {
				out->signal = true;
			} else {
				return false;
			}
		}
		c.p = aend;
	} else if (aug[0]) {
		return false;
	}
	if (c.bad || out->ra_reg != REG_RA)
		return false;
	out->insns = c;
	return true;
}

/* Runs the CFA instructions of C on ROW up to code address TARGET (LOC is
 * the address the instructions start at; INIT the row after the CIE's
 * instructions, for DW_CFA_restore). False on anything not handled. */
static bool run_cfa(struct cur c, const struct cie *cie, uintptr_t loc,
		    uintptr_t target, struct row *row, const struct row *init)
{
	struct row stack[8];
	int depth = 0;
	while (c.p < c.end && !c.bad) {
		uint8_t op = *c.p++;
		uint64_t reg, delta = 0;
		int64_t off;
		switch (op >> 6) {
		case 1: /* advance_loc */
			delta = op & 0x3f;
			goto advance;
		case 2: /* offset */
			reg = op & 0x3f;
			off = (int64_t)rd_uleb(&c) * cie->data_align;
			goto offset;
		case 3: /* restore */
			reg = op & 0x3f;
			goto restore;
		}
		switch (op) {
		case 0x00: /* nop */
			break;
		case 0x02:
			delta = rd_n(&c, 1);
			goto advance;
		case 0x03:
			delta = rd_n(&c, 2);
			goto advance;
		case 0x04:
			delta = rd_n(&c, 4);
			goto advance;
		case 0x05: /* offset_extended */
			reg = rd_uleb(&c);
			off = (int64_t)rd_uleb(&c) * cie->data_align;
			goto offset;
		case 0x11: /* offset_extended_sf */
			reg = rd_uleb(&c);
			off = rd_sleb(&c) * cie->data_align;
			goto offset;
		case 0x2f: /* GNU_negative_offset_extended */
			reg = rd_uleb(&c);
			off = -(int64_t)rd_uleb(&c) * cie->data_align;
			goto offset;
		case 0x06: /* restore_extended */
			reg = rd_uleb(&c);
			goto restore;
		case 0x07: /* undefined */
		case 0x08: /* same_value */
			reg = rd_uleb(&c);
			if (reg == REG_RBP)
				row->bp = op == 0x08 ? 0 : 2;
			else if (reg == REG_RA)
				row->ra = op == 0x07 ? 0 : 2;
			break;
		case 0x09: /* register */
			reg = rd_uleb(&c);
			rd_uleb(&c);
			if (reg == REG_RBP)
				row->bp = 2;
			else if (reg == REG_RA)
				row->ra = 2;
			break;
		case 0x0a: /* remember_state */
			if (depth == 8)
				return false;
			stack[depth++] = *row;
			break;
		case 0x0b: /* restore_state */
			if (depth == 0)
				return false;
			{
				/* the CFA rule too, as GCC's epilogues expect
				 * (and libgcc's unwinder does) */
				*row = stack[--depth];
			}
			break;
		case 0x0c: /* def_cfa */
			row->cfa_reg = (int)rd_uleb(&c);
			row->cfa_off = (int64_t)rd_uleb(&c);
			break;
		case 0x12: /* def_cfa_sf */
			row->cfa_reg = (int)rd_uleb(&c);
			row->cfa_off = rd_sleb(&c) * cie->data_align;
			break;
		case 0x0d: /* def_cfa_register */
			row->cfa_reg = (int)rd_uleb(&c);
			break;
		case 0x0e: /* def_cfa_offset */
			row->cfa_off = (int64_t)rd_uleb(&c);
			break;
		case 0x13: /* def_cfa_offset_sf */
			row->cfa_off = rd_sleb(&c) * cie->data_align;
			break;
		case 0x0f: /* def_cfa_expression */
			row->cfa_reg = -1;
			reg = rd_uleb(&c);
			if (reg > (uint64_t)(c.end - c.p))
				return false;
			c.p += reg;
			break;
		case 0x10: /* expression */
		case 0x16: /* val_expression */
			reg = rd_uleb(&c);
			delta = rd_uleb(&c);
			if (delta > (uint64_t)(c.end - c.p))
				return false;
			c.p += delta;
			if (reg == REG_RBP)
				row->bp = 2;
			else if (reg == REG_RA)
				row->ra = 2;
			break;
		case 0x14: /* val_offset */
		case 0x15: /* val_offset_sf */
			reg = rd_uleb(&c);
			if (op == 0x14)
				rd_uleb(&c);
			else
				rd_sleb(&c);
			if (reg == REG_RBP)
				row->bp = 2;
			else if (reg == REG_RA)
				row->ra = 2;
			break;
		case 0x2e: /* GNU_args_size */
			rd_uleb(&c);
			break;
		default:
			return false; /* set_loc and the rest: not handled */
		}
		continue;
	advance:
		loc += delta * cie->code_align;
		if (loc > target)
			return !c.bad;
		continue;
	offset:
		if (reg == REG_RBP) {
			row->bp = 1;
			row->bp_off = off;
		} else if (reg == REG_RA) {
			row->ra = 1;
			row->ra_off = off;
		}
		continue;
	restore:
		if (!init)
			return false;
		if (reg == REG_RBP) {
			row->bp = init->bp;
			row->bp_off = init->bp_off;
		} else if (reg == REG_RA) {
			row->ra = init->ra;
			row->ra_off = init->ra_off;
		}
		continue;
	}
	return !c.bad;
}

/* The rule of code address PC (a return address minus one, or the address
 * the capture started at) in module M, from its .eh_frame. */
void ovc_eh_rule(const struct umod *m, uintptr_t pc, struct rule *r)
{
	r->kind = RULE_NO;
	if (!m->hdr)
		return;
	const uint8_t *seg_end = (const uint8_t *)m->seg_hi;
	const uint8_t *hdr = (const uint8_t *)m->hdr;
	struct cur c = {hdr, seg_end, false};
	uint8_t version = (uint8_t)rd_n(&c, 1);
	uint8_t ptr_enc = (uint8_t)rd_n(&c, 1);
	uint8_t count_enc = (uint8_t)rd_n(&c, 1);
	uint8_t table_enc = (uint8_t)rd_n(&c, 1);
	/* The sorted table of .eh_frame_hdr as ld writes it: datarel sdata4
	 * pairs (start, FDE) relative to the header. */
	if (c.bad || version != 1 || table_enc != 0x3b)
		return;
	rd_enc(&c, ptr_enc, false);
	uint64_t count = rd_enc(&c, count_enc, false);
	if (c.bad || count == 0 || count > (uint64_t)(seg_end - c.p) / 8)
		return;
	const int32_t *table = (const int32_t *)c.p;
	intptr_t rel = (intptr_t)(pc - (uintptr_t)hdr);
	uint64_t lo = 0, hi = count;
	while (hi - lo > 1) { /* the last entry starting at or before PC */
		uint64_t mid = (lo + hi) / 2;
		if ((intptr_t)table[2 * mid] <= rel)
			lo = mid;
		else
			hi = mid;
	}
	if ((intptr_t)table[2 * lo] > rel)
		return;
	const uint8_t *fde = hdr + table[2 * lo + 1];
	if (fde < (const uint8_t *)m->seg_lo || fde + 8 > seg_end)
		return;
	struct cur f = {fde, seg_end, false};
	uint64_t len = rd_n(&f, 4);
	if (len == 0 || len == 0xffffffff || len > (uint64_t)(seg_end - f.p))
		return;
	f.end = f.p + len;
	const uint8_t *idp = f.p;
	uint32_t cie_id = (uint32_t)rd_n(&f, 4);
	const uint8_t *cie_p = idp - cie_id;
	if (cie_id == 0 || cie_p < (const uint8_t *)m->seg_lo || cie_p >= seg_end)
		return;
	struct cie cie;
	if (!parse_cie(cie_p, seg_end, &cie) || cie.signal)
		return;
	uintptr_t start = rd_enc(&f, cie.fde_enc, false);
	uintptr_t range = rd_enc(&f, cie.fde_enc, true);
	if (f.bad || pc < start || pc - start >= range)
		return;
	/* 'z' augmentation: the FDE's augmentation data are skipped */
	if (cie.z) {
		uint64_t alen = rd_uleb(&f);
		if (f.bad || alen > (uint64_t)(f.end - f.p))
			return;
		f.p += alen;
	}
	struct row row = {REG_RSP, 8, 0, 0, 1, -8}, init;
	if (!run_cfa(cie.insns, &cie, start, UINTPTR_MAX, &row, NULL))
		return;
	init = row;
	if (!run_cfa(f, &cie, start, pc, &row, &init))
		return;
	if (row.ra == 0) {
		r->kind = RULE_END; /* the outermost frame (_start, a thread's start) */
		return;
	}
	if (row.ra != 1 || row.ra_off != -8 || row.bp == 2 ||
	    (row.cfa_reg != REG_RSP && row.cfa_reg != REG_RBP) ||
	    row.cfa_off < 8 || row.cfa_off > (1 << 30) ||
	    (row.bp == 1 && (row.bp_off >= 0 || row.bp_off < -32768)))
		return;
	r->cfa_off = (int32_t)row.cfa_off;
	r->cfa_bp = row.cfa_reg == REG_RBP;
	r->bp_off = row.bp == 1 ? (int16_t)row.bp_off : 0;
	r->kind = RULE_OK;
}

/* ---- per thread ---- */

#define RULES 2048 /* direct-mapped cache of rules by code address */

struct ovc_unw {
	uintptr_t stack_lo, stack_hi; /* the mapping holding the stack */
	int maps_reads;
	unsigned gen; /* utab_gen the rules were found under */
	const struct umod *ok[8]; /* modules verified under gen */
	unsigned ok_next;
	struct rule rules[RULES];
};

/* Finds the mapping of /proc/self/maps that holds SP. */
static bool stack_mapping(struct ovc_unw *u, uintptr_t sp)
{
	/* A stack pointer outside the mapping it was found in: another stack
	 * (sigaltstack, coroutines), or the main stack grown. Read the maps
	 * again a few times only: a program switching stacks goes on with
	 * libunwind. */
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
		if (!eof && have < sizeof buf) {
			long n = ovc_sys_read(fd, buf + have, sizeof buf - have);
			if (n == -EINTR)
				continue;
			if (n <= 0)
				eof = true;
			else
				have += (size_t)n;
		}
		char *nl = memchr(buf, '\n', have);
		if (!nl) {
			if (eof || have == sizeof buf)
				break;
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

static const struct rule *rule_of(struct ovc_unw *u, const struct utab *t,
				  uintptr_t pc)
{
	uint64_t h = (uint64_t)pc * 0x9e3779b97f4a7c15ull;
	struct rule *e = &u->rules[(h >> 40) & (RULES - 1)];
	if (OVC_LIKELY(e->pc == pc && e->kind != RULE_EMPTY))
		return e;
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
	*e = r;
	return e;
}

void ovc_unwind_thread_reset(struct ovc_tc *t)
{
	if (t->unw) {
		t->unw->stack_lo = t->unw->stack_hi = 0;
		t->unw->maps_reads = 0;
	}
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
	struct ovc_unw *u = t->unw;
	if (OVC_UNLIKELY(!u)) {
		u = t->unw = ovc_arena_alloc(sizeof *u);
		if (!u)
			return -1;
	}
	unsigned gen = __atomic_load_n(&utab_gen, __ATOMIC_ACQUIRE);
	if (OVC_UNLIKELY(u->gen != gen)) {
		memset(u->rules, 0, sizeof u->rules);
		memset(u->ok, 0, sizeof u->ok);
		u->gen = gen;
	}
	if (OVC_UNLIKELY(sp < u->stack_lo || sp >= u->stack_hi) &&
	    !stack_mapping(u, sp))
		return -1;
	const uintptr_t hi = u->stack_hi;
	/* The first rule is that of IP itself; the others of a return
	 * address minus one, which lies in the call instruction. */
	uintptr_t pc = ip;
	int n = 0;
	while (n < want) {
		const struct rule *r = rule_of(u, tab, pc);
		if (r->kind == RULE_END)
			break;
		if (r->kind != RULE_OK)
			return -1;
		uintptr_t cfa = (r->cfa_bp ? bp : sp) + (uintptr_t)(intptr_t)r->cfa_off;
		/* Upwards, inside the mapping: a rule from rbp where rbp is
		 * not what the code thought is caught here. */
		if (cfa < sp + 8 || cfa > hi ||
		    (r->bp_off && cfa + (uintptr_t)(intptr_t)r->bp_off < sp))
			return -1;
		uintptr_t ra = *(const uintptr_t *)(cfa - 8);
		if (r->bp_off)
			bp = *(const uintptr_t *)(cfa + (uintptr_t)(intptr_t)r->bp_off);
		sp = cfa;
		if (!ra)
			break;
		out[n++] = (void *)ra;
		pc = ra - 1;
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
