/* Layer 0, base: what the preload's open-addressed tables keyed by address
 * share (blocks.c's tracked blocks, budget.c's requested sizes). Inline,
 * no allocation, no lock (the caller holds the table's): hook-safe,
 * sampler-safe, errno untouched. */
#ifndef OVC_PRELOAD_SLOTS_H
#define OVC_PRELOAD_SLOTS_H

#include "base.h"

#include <string.h>

/** Empties slot I of TABLE, CAP slots (a power of two) of SIZE bytes each,
 * whose entries begin with their address (a uintptr_t, 0 for an empty
 * slot) and are found by linear probing from HOME(address, CAP). Later
 * entries of the probe chain move back into the hole (backward-shift
 * deletion), so every chain stays unbroken without tombstones. Inline, so
 * that with SIZE and HOME known where it is called it costs what the loop
 * written out would. */
static inline void ovc_slots_erase(void *table, size_t size, size_t cap,
				   size_t i, size_t (*home)(uintptr_t, size_t))
{
	char *t = table;
	size_t m = cap - 1;
	size_t j = i;
	for (;;) {
		j = (j + 1) & m;
		uintptr_t a = *(const uintptr_t *)(t + j * size);
		if (!a)
			break;
		size_t h = home(a, cap);
		/* move j to i when its home is not in (i, j] cyclically */
		if ((j > i && (h <= i || h > j)) ||
		    (j < i && (h <= i && h > j))) {
			memcpy(t + i * size, t + j * size, size);
			i = j;
		}
	}
	*(uintptr_t *)(t + i * size) = 0;
}

#endif
