/* Leaks: what a process image still held at exit and never freed, per
 * site, from the last `ss` record of each site (docs/log-format.md). */
#ifndef OVC_CLI_LEAKS_H
#define OVC_CLI_LEAKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "read/model.h"

/** What leaked at one site, or over a process image. */
struct ovc_leak {
	int64_t bytes;    /**< requested bytes still live at exit */
	int64_t blocks;   /**< blocks still live; -1 when the log does not
			       say (a log of an older preload) */
	int64_t sd_bytes; /**< sampling standard error of bytes: 0 when
			       exact (every live block tracked) */
	bool estimated;   /**< scaled from sampled blocks */
};

/** Whether the leaks of P are known: it ended by exit (its own `end`
 * record, so the sites' last records were written at exit). When not,
 * *WHY (may be NULL) says why in a few words. */
bool ovc_proc_leaks_known(const struct ovc_proc *p, const char **why);

/** What site S leaked: its live bytes and blocks in its last `ss`
 * record. Only malloc-family sites leak (mappings left at exit are the
 * address space, not blocks never freed): 0 for the others. Meaningful
 * only when ovc_proc_leaks_known() of its process. */
void ovc_site_leak(const struct ovc_site *s, struct ovc_leak *out);

/** The sum over the sites of P (standard errors add in quadrature:
 * the sites are sampled independently). All zero when the leaks of P are
 * not known. */
void ovc_proc_leak(const struct ovc_proc *p, struct ovc_leak *out);

/** Fills ORDER (room for p->nsites) with the indexes of P's sites that
 * leaked, most leaked bytes first (ties: lower id). Returns how many. */
size_t ovc_proc_rank_leaks(const struct ovc_proc *p, size_t *order);

#endif
