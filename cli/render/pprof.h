/* Profiles in the pprof format (profile.proto, gzip-compressed) of the
 * sites of process images, for go tool pprof, Pyroscope and Parca. */
#ifndef OVC_CLI_PPROF_H
#define OVC_CLI_PPROF_H

#include <stdbool.h>
#include <stdio.h>

#include "read/model.h"
#include "read/symbolize.h"

struct ovc_pprof;

/** An empty profile; NULL when out of memory. SYM (may be NULL: leave
 * symbolization to pprof, which reads the binaries the mappings name)
 * names the frames and must outlive the profile. */
struct ovc_pprof *ovc_pprof_new(struct ovc_symbolizer *sym);

/** Frees B; NULL is a no-op. */
void ovc_pprof_free(struct ovc_pprof *b);

/** Adds the sites of P to B: one sample per site with figures, with the
 * values requested, touched, untouched and peak_live bytes, blocks and
 * leaked bytes (docs/pprof.md), and the labels pid, exe and family; a
 * mapping per module, a location per frame. Returns false when out of
 * memory (B is then unusable). */
bool ovc_pprof_add_proc(struct ovc_pprof *b, const struct ovc_proc *p);

/** Encodes B and writes it gzip-compressed to OUT. Returns false when
 * out of memory or on a write error. */
bool ovc_pprof_write(struct ovc_pprof *b, FILE *out);

#endif
