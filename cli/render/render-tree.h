/* The process tree of the text report on many processes, and its list of
 * untraced programs (render-suite.c's first and third sections). */
#ifndef OVC_CLI_RENDER_TREE_H
#define OVC_CLI_RENDER_TREE_H

#include <stdio.h>

#include "read/model.h"
#include "analyze/suite.h"

/** Writes tree T of M (linked) as the text report's "process tree":
 * children under parents, exec chains on one line ("sh → make → cc1"),
 * children of equal commands merged (×N, figures the largest), depth and
 * kinds of children bounded. */
void ovc_render_text_tree(FILE *out, const struct ovc_model *m,
			  const struct ovc_tree *t);

/** Writes the "untraced processes" section of M: programs its images
 * started that ovc cannot look into (at most 10, then a count). Nothing
 * when there are none. */
void ovc_render_text_untraced(FILE *out, const struct ovc_model *m);

#endif
