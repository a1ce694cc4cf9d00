/* The rule of a code address on x86-64, read from its module's .eh_frame
 * through .eh_frame_hdr's table: the CIE and FDE, and the CFA program run
 * up to the address (unwind.c caches the rules per thread). */
#include "eh-frame.h"

#include <string.h>

#ifdef OVC_FAST_UNWIND

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
/* REG (rbp or the return address; others are not followed) has a rule
 * the unwinder cannot follow: "other". */
static void other_rule(struct row *row, uint64_t reg)
{
	if (reg == REG_RBP)
		row->bp = 2;
	else if (reg == REG_RA)
		row->ra = 2;
}

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
			other_rule(row, reg);
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
			other_rule(row, reg);
			break;
		case 0x14: /* val_offset */
		case 0x15: /* val_offset_sf */
			reg = rd_uleb(&c);
			if (op == 0x14)
				rd_uleb(&c);
			else
				rd_sleb(&c);
			other_rule(row, reg);
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

#endif
