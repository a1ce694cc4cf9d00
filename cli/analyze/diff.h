/* Two runs compared (`ovc diff`): per executable (by exe path, images of
 * one exe aggregated) and per site (by symbolized stack: function and file
 * names of its frames, not addresses). Each side is added from a model or
 * from a saved `ovc report --json`; each row is then judged against the
 * thresholds. Told by render/render-diff.c. */
#ifndef OVC_CLI_DIFF_H
#define OVC_CLI_DIFF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "read/model.h"
#include "read/symbolize.h"

/** The figures compared, in the order they are shown. */
enum ovc_diff_fig {
	OVC_DIFF_REQUESTED,
	OVC_DIFF_PEAK_LIVE,
	OVC_DIFF_RESIDENT,
	OVC_DIFF_UNTOUCHED,
	OVC_DIFF_RATIO,
	OVC_DIFF_N
};

/** The JSON names of the figures of an executable and of a site. */
extern const char *const ovc_diff_exe_names[OVC_DIFF_N];
extern const char *const ovc_diff_site_names[OVC_DIFF_N];

/** One executable or site, aggregated on one side. */
struct ovc_diff_agg {
	bool present;
	int64_t images;
	int64_t v[OVC_DIFF_N - 1]; /* byte figures */
	int64_t touched, live_for_ratio; /* for the ratio of sums */
	bool estimated;
	/** Sampled sites: the variance of each byte figure's estimate
	 * (OVC_SAMPLE times the figure, summed over the images), 0 when
	 * exact. */
	double var[OVC_DIFF_N - 1];
};

/** One executable or site with its two sides (0: BASE, 1: NEW). */
struct ovc_diff_row {
	char *key;   /* exe path, or exe + stack */
	char *label; /* what people read */
	uint16_t *frame_len; /* site rows: length of each frame's label in
				key, innermost first (the labels follow the
				exe, each after a \x1e) */
	size_t nframes;
	struct ovc_diff_agg side[2];
};

/** Rows in the order first seen, found by key through an open-addressing
 * hash table of their positions (0: empty slot, else position + 1). */
struct ovc_diff_table {
	struct ovc_diff_row *v;
	size_t n, cap;
	size_t *slot;
	size_t nslots; /* a power of two, at least twice n */
};

/** The thresholds of the comparison and how it is told. */
struct ovc_diff_opts {
	bool json, all;
	bool fail_set;
	double fail_over; /* percent */
	/** A change is one when it is at least min_bytes and min_percent of
	 * the base, and beyond twice the sampling error of an estimate. */
	int64_t min_bytes;
	double min_percent;
};

/** What changed in a row, and what grew past the gate. */
struct ovc_diff_verdict {
	bool changed[OVC_DIFF_N], flagged[OVC_DIFF_N];
	bool any_changed, any_flagged;
};

/** Adds the processes of a saved JSON REPORT to EXES and SITES as side
 * SIDE. */
bool ovc_diff_add_report(json_t *report, int side, struct ovc_diff_table *exes,
			 struct ovc_diff_table *sites);

/** Adds the processes of model M to EXES and SITES as side SIDE: the same
 * figures and sites, in the same order, as its JSON report with every site
 * (`ovc report --json --top all`), without making that report. */
bool ovc_diff_add_model(const struct ovc_model *m, struct ovc_symbolizer *sym,
			int side, struct ovc_diff_table *exes,
			struct ovc_diff_table *sites);

/** Judges row R: which figures changed and which grew past the gate. */
void ovc_diff_judge(const struct ovc_diff_row *r, const struct ovc_diff_opts *o,
		    bool is_site, struct ovc_diff_verdict *v);

/** The touched ratio of A (touched / peak live of the sums, at most 1);
 * *HAS false when it has none. */
double ovc_diff_ratio(const struct ovc_diff_agg *a, bool *has);

/** Frees the rows of T. */
void ovc_diff_table_free(struct ovc_diff_table *t);

#endif
