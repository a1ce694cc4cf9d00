/* The fixture shared by the unit tests that read logs: a fresh temporary
 * directory, a model, and a memory stream that collects the warnings. */
#ifndef OVC_TEST_FIXTURE_H
#define OVC_TEST_FIXTURE_H

#include <stdio.h>

#include "read/model.h"

extern char fx_dir[64];     /**< the test's temporary directory */
extern char *fx_errbuf;     /**< what was written to fx_err so far */
extern size_t fx_errlen;
extern FILE *fx_err;        /**< where the reader's warnings go */
extern struct ovc_model *fx_model;

/** Check setup: makes the directory (named after NAME), the stream, the
 * model. */
void fx_setup_named(const char *name);
/** Check teardown: removes the directory and its files, frees the rest. */
void fx_teardown(void);

#endif
