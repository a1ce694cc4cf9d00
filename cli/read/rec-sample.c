/* The `s` sample records and the limit records (`over`, `refuse`) of a
 * process log, read into the model (reader.h). */
#include "read/reader.h"

#include <stdlib.h>
#include <string.h>

#include "ovc/log-format.h"
#include "read/proc-extra.h"

/* Applies an `s` record to P; false (r->why set) when the line is bad. All
 * fields are checked before any is applied. */
/* The kernel's high-water marks of a sample (-1 where absent) into P's
 * peaks; RSS and ANON are the sample's resident and anonymous resident.
 * The kernel keeps no anonymous high-water mark: where VmHWM rose since
 * the last sample, the peak fell between the two, and at it the anonymous
 * part was at least VmHWM minus the larger of the two samples' file pages
 * (exact while those stay put, as they mostly do). */
static void kernel_peaks(struct ovc_proc *p, int64_t rss, int64_t anon,
			 int64_t vm_peak, int64_t hwm)
{
	if (vm_peak < 0 || hwm < 0)
		return;
	p->kernel_peaks = true;
	if (vm_peak > p->peak_vm_bytes)
		p->peak_vm_bytes = vm_peak;
	if (hwm > p->peak_rss_bytes)
		p->peak_rss_bytes = hwm;
	int64_t file = rss - anon;
	if (p->last_hwm_bytes < 0 && p->baseline_rss_bytes >= 0 &&
	    p->baseline_shared_bytes >= 0 &&
	    p->baseline_shared_bytes <= p->baseline_rss_bytes) {
		/* before the first sample: the image's start */
		p->last_hwm_bytes = p->baseline_rss_bytes;
		p->last_file_bytes = p->baseline_shared_bytes;
	}
	if (p->last_hwm_bytes >= 0 && hwm > p->last_hwm_bytes &&
	    hwm > rss && p->last_file_bytes >= 0) {
		int64_t most = file > p->last_file_bytes ? file : p->last_file_bytes;
		if (hwm - most > p->peak_anon_rss_bytes)
			p->peak_anon_rss_bytes = hwm - most;
	}
	p->last_hwm_bytes = hwm;
	p->last_file_bytes = file;
}

/* A figure of a sample, NOW and the sample's own PEAK of it (-1 where the
 * sample has none): NOW into *CUR, and the larger of them into *MAX where
 * it is larger. */
static void now_and_peak(int64_t *cur, int64_t *max, int64_t now,
			 int64_t peak)
{
	if (now >= 0)
		*cur = now;
	if (peak > *max)
		*max = peak;
	if (now > *max)
		*max = now;
}

/* The three counts of each of N functions a sample carries (calls, failed,
 * bytes): into TO[k][f] from FROM[k] at the function's position POS[f] in
 * the sample's arrays, of NPOS entries, for each array k the sample had
 * (FLD_OK). A function the log does not name (POS -1) keeps its figures. */
static void put_counts(int n, const int *pos, size_t npos,
		       const enum field had[3], int64_t *const to[3],
		       const int64_t *const from[3])
{
	for (int f = 0; f < n; f++) {
		if (pos[f] < 0 || (size_t)pos[f] >= npos)
			continue;
		for (int k = 0; k < 3; k++)
			if (had[k] == FLD_OK)
				to[k][f] = from[k][pos[f]];
	}
}

bool ovc_rd_sample(struct reader *r, json_t *o, struct ovc_proc *p)
{
	int64_t ns = -1, vm = -1, rss = -1, sh = -1, live = -1, peak = -1;
	int64_t calls[MAX_FUNCS], failed[MAX_FUNCS], req[MAX_FUNCS];
	enum field fc, ff, fr;
	if (ovc_rd_int(r, o, "ns", 0, ABSURD_NS, &ns) == FLD_BAD ||
	    ovc_rd_int(r, o, "vm", 0, ABSURD_BYTES, &vm) == FLD_BAD ||
	    ovc_rd_int(r, o, "rss", 0, ABSURD_BYTES, &rss) == FLD_BAD ||
	    ovc_rd_int(r, o, "shared", 0, ABSURD_BYTES, &sh) == FLD_BAD ||
	    ovc_rd_int(r, o, "live", 0, ABSURD_BYTES, &live) == FLD_BAD ||
	    ovc_rd_int(r, o, "peak_live", 0, ABSURD_BYTES, &peak) == FLD_BAD)
		return false;
	if ((fc = ovc_rd_counts(r, o, "calls", p->nfuncs, calls)) == FLD_BAD ||
	    (ff = ovc_rd_counts(r, o, "failed", p->nfuncs, failed)) ==
		    FLD_BAD ||
	    (fr = ovc_rd_counts(r, o, "requested", p->nfuncs, req)) == FLD_BAD)
		return false;
	/* the mmap family: optional (logs before it have none) */
	int64_t mcalls[MAX_FUNCS], mfailed[MAX_FUNCS], mbytes[MAX_FUNCS];
	int64_t mapped = -1, pmapped = -1, com = -1, pcom = -1;
	enum field mc, mf, mb;
	if ((mc = ovc_rd_counts(r, o, "map_calls", p->nmap_funcs, mcalls)) ==
		    FLD_BAD ||
	    (mf = ovc_rd_counts(r, o, "map_failed", p->nmap_funcs, mfailed)) ==
		    FLD_BAD ||
	    (mb = ovc_rd_counts(r, o, "map_bytes", p->nmap_funcs, mbytes)) ==
		    FLD_BAD ||
	    ovc_rd_int(r, o, "mapped", 0, ABSURD_BYTES, &mapped) == FLD_BAD ||
	    ovc_rd_int(r, o, "peak_mapped", 0, ABSURD_BYTES, &pmapped) ==
		    FLD_BAD ||
	    ovc_rd_int(r, o, "committed", 0, ABSURD_BYTES, &com) == FLD_BAD ||
	    ovc_rd_int(r, o, "peak_committed", 0, ABSURD_BYTES, &pcom) ==
		    FLD_BAD)
		return false;
	/* the kernel's figures and the joint peak: optional (newer logs) */
	int64_t vm_peak = -1, hwm = -1, ranon = -1, huge = -1, asked = -1;
	if (ovc_rd_int(r, o, OVC_FIELD_VM_PEAK, 0, ABSURD_BYTES, &vm_peak) == FLD_BAD ||
	    ovc_rd_int(r, o, OVC_FIELD_RSS_HWM, 0, ABSURD_BYTES, &hwm) == FLD_BAD ||
	    ovc_rd_int(r, o, OVC_FIELD_RSS_ANON, 0, ABSURD_BYTES, &ranon) == FLD_BAD ||
	    ovc_rd_int(r, o, OVC_FIELD_HUGETLB, 0, ABSURD_BYTES, &huge) == FLD_BAD ||
	    ovc_rd_int(r, o, "peak_asked", 0, ABSURD_BYTES, &asked) == FLD_BAD)
		return false;
	int64_t bound = -1, written = -1;
	if (ovc_rd_int(r, o, "peak_live_bound", 0, ABSURD_BYTES, &bound) == FLD_BAD ||
	    ovc_rd_int(r, o, "written_since_fork", 0, ABSURD_BYTES, &written) == FLD_BAD)
		return false;
	if (written > p->written_since_fork_bytes)
		p->written_since_fork_bytes = written;
	if (bound > p->peak_live_bound_bytes)
		p->peak_live_bound_bytes = bound;

	p->samples++;
	if (ns >= 0)
		ovc_rd_note_ns(p, ns);
	const int64_t before[OVC_SER_COUNT] = {
		[OVC_SER_LIVE] = p->peak_live_bytes, [OVC_SER_VM] = p->peak_vm_bytes,
		[OVC_SER_RSS] = p->peak_rss_bytes,
		[OVC_SER_ANON] = p->peak_anon_rss_bytes};
	if (ranon >= 0 && rss >= 0 && ranon <= rss)
		sh = rss - ranon; /* the kernel's own anonymous count */
	if (vm >= 0) {
		p->last_vm_bytes = vm;
		if (vm > p->peak_vm_bytes)
			p->peak_vm_bytes = vm;
	}
	if (rss >= 0) {
		/* Without "shared" all of rss counts as anonymous (an upper
		 * bound); shared above rss is nonsense: no anonymous pages. */
		int64_t anon = sh < 0 ? rss : sh <= rss ? rss - sh : 0;
		kernel_peaks(p, rss, anon, vm_peak, hwm);
		p->last_rss_bytes = rss;
		p->last_anon_rss_bytes = anon;
		if (rss > p->peak_rss_bytes)
			p->peak_rss_bytes = rss;
		if (anon > p->peak_anon_rss_bytes)
			p->peak_anon_rss_bytes = anon;
	}
	if (live >= 0) {
		p->last_live_bytes = live;
		if (live > p->peak_live_bytes)
			p->peak_live_bytes = live;
	}
	if (peak > p->peak_live_bytes)
		p->peak_live_bytes = peak;
	if (asked > p->peak_asked_bytes)
		p->peak_asked_bytes = asked;
	if (huge > p->hugetlb_bytes)
		p->hugetlb_bytes = huge;
	/* A peak that rose between the last sample and this one (the exact
	 * peak_live, the kernel's high-water marks) is drawn just before
	 * this sample, so the chart shows the same peak as the figures. */
	const int64_t after[OVC_SER_COUNT] = {
		[OVC_SER_LIVE] = p->peak_live_bytes, [OVC_SER_VM] = p->peak_vm_bytes,
		[OVC_SER_RSS] = p->peak_rss_bytes,
		[OVC_SER_ANON] = p->peak_anon_rss_bytes};
	const int64_t now[OVC_SER_COUNT] = {
		[OVC_SER_LIVE] = live, [OVC_SER_VM] = vm, [OVC_SER_RSS] = rss,
		[OVC_SER_ANON] = rss < 0 ? -1 : sh < 0 ? rss : sh <= rss ? rss - sh : 0};
	int64_t between[OVC_SER_COUNT];
	bool any = false;
	for (int i = 0; i < OVC_SER_COUNT; i++) {
		between[i] = after[i] > before[i] && after[i] > now[i] ? after[i] : -1;
		any |= between[i] >= 0;
	}
	if (any && ns > 0)
		ovc_proc_note_peak(p, ns - 1, between);
	ovc_proc_note_sample(p, ns, live, vm, rss, sh);
	put_counts(OVC_FN_COUNT, p->func_pos, p->nfuncs,
		   (const enum field[3]){fc, ff, fr},
		   (int64_t *const[3]){p->calls, p->failed, p->requested},
		   (const int64_t *const[3]){calls, failed, req});
	if (mc == FLD_OK)
		p->has_maps = true;
	put_counts(OVC_MFN_COUNT, p->map_pos, p->nmap_funcs,
		   (const enum field[3]){mc, mf, mb},
		   (int64_t *const[3]){p->map_calls, p->map_failed, p->map_bytes},
		   (const int64_t *const[3]){mcalls, mfailed, mbytes});
	now_and_peak(&p->mapped_bytes, &p->peak_mapped_bytes, mapped, pmapped);
	now_and_peak(&p->committed_bytes, &p->peak_committed_bytes, com, pcom);
	return true;
}

/* An `over` or `refuse` record: an allocation and the limit it met. */
bool ovc_rd_alloc_event(struct reader *r, json_t *o, bool refuse,
			struct ovc_proc *p)
{
	struct ovc_alloc_event e = {.seen = true, .t_ns = -1, .size_bytes = -1,
				    .live_bytes = -1, .limit_bytes = -1,
				    .site = -1};
	const char *fn = "", *limit = "";
	if (ovc_rd_int(r, o, "ns", 0, ABSURD_NS, &e.t_ns) == FLD_BAD ||
	    ovc_rd_str(r, o, "fn", &fn) == FLD_BAD ||
	    ovc_rd_int(r, o, "size", 0, INT64_MAX, &e.size_bytes) == FLD_BAD ||
	    ovc_rd_int(r, o, "live", 0, INT64_MAX, &e.live_bytes) == FLD_BAD ||
	    ovc_rd_int(r, o, refuse ? "budget" : "limit_bytes", 0, INT64_MAX,
		       &e.limit_bytes) == FLD_BAD ||
	    ovc_rd_int(r, o, "site", -1, INT64_MAX, &e.site) == FLD_BAD ||
	    (!refuse && ovc_rd_str(r, o, "limit", &limit) == FLD_BAD))
		return false;
	if (e.t_ns >= 0)
		ovc_rd_note_ns(p, e.t_ns);
	snprintf(e.fn, sizeof e.fn, "%s", fn);
	if (refuse)
		ovc_proc_note_refuse(p, &e);
	else
		ovc_proc_note_over(p, limit, &e);
	return true;
}
