/* Helpers of the 'sites' suite: finding a process's sites by the functions
 * on their stacks, summing their figures, and finding the source line a test
 * program marks with a "site: NAME" comment. */
#ifndef OVC_TEST_SITES_HELPERS_H
#define OVC_TEST_SITES_HELPERS_H

#include "harness.h"

/** The sites of process P whose innermost frame (frames[0], the caller of
 * the allocation function) is function FN exactly, as a new array. */
json_t *st_sites_at(json_t *p, const char *fn);

/** The sites of process P with a frame whose function contains SUBSTR, as a
 * new array. */
json_t *st_sites_through(json_t *p, const char *substr);

/** The sum of integer field FIELD over the objects of SITES. */
long long st_sum(json_t *sites, const char *field);

/** The first frame of SITE whose function contains SUBSTR; fails the test
 * when there is none. Borrowed reference. */
json_t *st_frame(json_t *site, const char *substr);

/** The 1-based line of tests/programs/FILE that holds "site: MARKER" (the
 * whole of the comment's text up to its end); fails the test unless exactly
 * one line does. */
long long st_marked_line(const char *file, const char *marker);

/** The last component of PATH. */
const char *st_base(const char *path);

/** it_run of ARGV with LD_PRELOAD=OVC_LIB, OVC_OUTPUT=DIR and, when EXTRA is
 * not NULL, one more "NAME=VALUE" setting. */
void st_preload_run(const char *dir, char *const argv[], const char *extra,
		    int timeout_s, struct it_result *r);

/** Runs the program NAME (with ARG, or none when NULL) under a bare
 * preload into DIR, checks that it exits 0, and returns the report of DIR
 * (`ovc report --json --top all DIR`), whose one process of NAME is put in
 * *P. */
json_t *st_run_report(const char *dir, const char *name, const char *arg,
		      json_t **p);

/** `ovc report --json --top all DIR`, checked like it_report. */
json_t *st_report_all(const char *dir);

#endif
