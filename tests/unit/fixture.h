/* The fixture shared by the unit tests that read logs: a fresh temporary
 * directory, a model, and a memory stream that collects the warnings. */
#ifndef OVC_TEST_FIXTURE_H
#define OVC_TEST_FIXTURE_H

#include <check.h>
#include <stdint.h>
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
/** Writes TEXT as log NAME in fx_dir and reads it into fx_model (a Check
 * failure when it is not read). */
void fx_read_log(const char *name, const char *text);
/** How many times NEEDLE occurs in HAY (NULL: none). */
unsigned fx_count(const char *hay, const char *needle);
/** A new process of fx_model (added to it) with executable EXE. */
struct ovc_proc *fx_new_proc(const char *exe);
/** Adds to P a site of id ID with figures: REQ bytes requested, live and
 * peak live, TOUCHED touched, UNPROBED unprobed; two frames in module 0. */
struct ovc_site *fx_add_site(struct ovc_proc *p, int64_t id, int64_t req,
			     int64_t touched, int64_t unprobed);
/** Runs suite S (freed); returns the exit status: 0 when every test
 * passed, else 1. */
int fx_run(Suite *s);
/** Check teardown: removes the directory and its files, frees the rest. */
void fx_teardown(void);

#endif
