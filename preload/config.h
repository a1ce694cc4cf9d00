/* Layer 1, services: the OVC_* options in force (config.c), read once by
 * the constructor; afterwards ovc_cfg is only read (hook-safe, sampler-safe:
 * plain memory). The option table itself is ovc/options.h (options.c,
 * shared with the CLI). */
#ifndef OVC_PRELOAD_CONFIG_H
#define OVC_PRELOAD_CONFIG_H

#include "base.h"

#include "ovc/options.h"

/** Options in force, parsed once at start. */
/* The small fields first, the output directory last, and config.c last in
 * libovc.so's objects (preload/meson.build): what the start touches of it,
 * with the other small state before it, lies in as few pages as can be
 * (each one a page fault, 5-10 us on a VM). */
struct ovc_config {
	uint64_t interval_ms;
	uint64_t verbose;
	uint64_t summary;
	uint64_t frames;
	uint64_t large_bytes;
	uint64_t sample_bytes;
	uint64_t follow;
	uint64_t mmap_mode;
	uint64_t sampler;        /**< enum ovc_sampler_mode */
	uint64_t warn;           /**< enum ovc_warn_mode */
	uint64_t prefault;
	uint64_t seed;           /**< OVC_SEED, or the one drawn at start */
	uint64_t budget_bytes;   /**< in force (0: none), from OVC_BUDGET */
	const char *budget_mode; /**< "size", "commit", "avail" or "" */
	char only[1024];
	char budget[64];
	char run[128];
	char output[4096];
};
extern struct ovc_config ovc_cfg OVC_HIDDEN;

/** Reads the OVC_* variables into ovc_cfg, warning about bad values. From
 * the constructor only (getenv). */
void ovc_options_load(struct ovc_config *cfg) OVC_HIDDEN;

#endif
