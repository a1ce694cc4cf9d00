/* The gates (analyze/gate.h) told: failure lines, a summary and the JUnit
 * XML file. Used by `ovc check` and `ovc run --check`. */
#ifndef OVC_CLI_RENDER_GATE_H
#define OVC_CLI_RENDER_GATE_H

#include <stdio.h>

#include "read/model.h"
#include "analyze/gate.h"

/** Checks the limits of G against the processes of M (linked): writes one
 * line per failure ("FAIL process: figure > limit") and a closing summary
 * to OUT, and the JUnit file when G->junit is set. Returns 0 when every
 * limit holds, 1 when one fails or no process was selected, 2 when the
 * JUnit file cannot be written. */
int ovc_gates_check(const struct ovc_gates *g, const struct ovc_model *m,
		    FILE *out);

#endif
