/* Helpers shared by the hardening tests, on top of the integration
 * harness: their own programs (OVC_HPROGRAMS), preload environments, and
 * counting ovc's warnings. */
#ifndef OVC_HARDENING_COMMON_H
#define OVC_HARDENING_COMMON_H

#include "harness.h"

/** Path of hardening program NAME ("h-stress"); static storage. */
const char *h_program(const char *name);

/** Path of the early library (libh-early.so); static storage. */
const char *h_early_lib(void);

/** Runs ARGV under LD_PRELOAD=OVC_LIB with OVC_OUTPUT=DIR and the
 * "NAME=VALUE" entries of EXTRA (NULL-ended, may be NULL). */
void h_preload_run(const char *dir, char *const argv[],
		   char *const extra[], int timeout_s, struct it_result *r);

/** Lines of TEXT that contain NEEDLE. */
int h_count_lines(const char *text, const char *needle);

/** Fails the test unless R ended with exit code CODE and printed EXP_OUT
 * on stdout, and ovc printed no crash report. WHAT names the run. */
void h_assert_same(const struct it_result *r, int code, const char *exp_out,
		   const char *what);

/** The processes of REPORT whose origin is ORIGIN ("start"...), as a new
 * array. */
json_t *h_origin(json_t *report, const char *origin);

/** Mode bits (st_mode & 07777) of PATH, or -1. */
int h_mode(const char *path);

/** Number of entries (not . and ..) of DIR, or -1. */
int h_dir_entries(const char *dir);

#endif
