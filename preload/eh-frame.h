/* Layer 3, the tracking core: what the two files of the fast unwinder
 * share, unwind.c (the table of modules, the rules cached per thread, the
 * walk) and eh-frame.c (the rule of a code address, read from .eh_frame);
 * not for other parts (they use unwind.h). */
#ifndef OVC_PRELOAD_EH_FRAME_H
#define OVC_PRELOAD_EH_FRAME_H

#include "base.h"

#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
#define OVC_FAST_UNWIND 1
#endif

#ifdef OVC_FAST_UNWIND

/* DWARF register numbers of x86-64 (System V psABI, figure 3.36). */
#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16

/** A module of the table: where its code and .eh_frame_hdr are, and the
 * copies of its ELF header and build id it is verified with. */
struct umod {
	uintptr_t lo, hi;         /* PT_LOAD span: the code is in there */
	uintptr_t seg_lo, seg_hi; /* the segment holding .eh_frame_hdr */
	uintptr_t hdr;            /* .eh_frame_hdr; 0: none */
	uintptr_t elf;            /* the ELF header (segment at offset 0) */
	uintptr_t bid;            /* the build id's bytes; 0: none */
	uint8_t bid_len;
	uint8_t elf_copy[64];
	uint8_t bid_copy[20];
};

/* The rule of one code address: how to find its frame's CFA and the
 * caller's rbp. */
enum { RULE_EMPTY, RULE_OK, RULE_END, RULE_NO };
struct rule {
	uintptr_t pc;
	int32_t cfa_off;
	int16_t bp_off; /* rbp saved at CFA + bp_off; 0: not saved */
	uint8_t cfa_bp; /* CFA from rbp (else rsp) */
	uint8_t kind;
};

/** The rule of code address PC (a return address minus one, or the address
 * the capture started at) in module M, from its .eh_frame (eh-frame.c):
 * kind RULE_NO when it cannot be followed. Reads only M's verified
 * segment; no lock, no allocation, no system call: hook-safe. */
void ovc_eh_rule(const struct umod *m, uintptr_t pc, struct rule *r) OVC_HIDDEN;

#endif
#endif
