/* The `module`, `site` and `ss` (site figures) records of a process log,
 * and `snapshot_end`, read into the model (reader.h). */
#include "read/reader.h"

#include <stdlib.h>
#include <string.h>

#include "ovc/log-format.h"

bool ovc_rd_module(struct reader *r, json_t *o, struct ovc_proc *p)
{
	struct ovc_module m = {.id = -1, .base = -1, .lo = -1, .hi = -1,
			       .path = "", .build_id = ""};
	const char *path = "", *bid = "";
	if (ovc_rd_int(r, o, "id", 0, INT64_MAX, &m.id) == FLD_BAD ||
	    ovc_rd_str(r, o, "path", &path) == FLD_BAD ||
	    ovc_rd_str(r, o, "build_id", &bid) == FLD_BAD ||
	    ovc_rd_int(r, o, "base", 0, INT64_MAX, &m.base) == FLD_BAD ||
	    ovc_rd_int(r, o, "lo", 0, INT64_MAX, &m.lo) == FLD_BAD ||
	    ovc_rd_int(r, o, "hi", 0, INT64_MAX, &m.hi) == FLD_BAD)
		return false;
	if (m.lo > m.hi)
		m.lo = m.hi = -1; /* a range that cannot be: unknown */
	if (m.id < 0) {
		ovc_rd_why(r, "\"mod\" record without an \"id\"");
		return false;
	}
	for (const char *c = bid; *c; c++) {
		if (!strchr("0123456789abcdefABCDEF", *c) ||
		    c - bid >= MAX_BUILD_ID) {
			ovc_rd_why(r, "\"build_id\" is not a hex string");
			return false;
		}
	}
	char *cpath = ovc_rd_dup(path, MAX_STRING);
	m.path = cpath;
	m.build_id = (char *)bid;
	/* A repeated id keeps its first record (ids are never reused). */
	if (!cpath || ovc_proc_add_module(p, &m) < 0)
		ovc_rd_say_once(r, &r->said_oom,
				"out of memory; modules dropped");
	free(cpath);
	return true;
}

bool ovc_rd_site(struct reader *r, json_t *o, struct ovc_proc *p)
{
	/* 4 KiB on the stack: logs are read on several threads (logread.c). */
	struct ovc_frame frames[OVC_MAX_FRAMES];
	int64_t id = -1;
	if (ovc_rd_int(r, o, "id", 0, INT64_MAX, &id) == FLD_BAD)
		return false;
	if (id < 0) {
		ovc_rd_why(r, "\"site\" record without an \"id\"");
		return false;
	}
	json_t *a = json_object_get(o, "frames");
	if (!json_is_array(a)) {
		ovc_rd_why(r, "\"frames\" is not an array");
		return false;
	}
	size_t n = json_array_size(a), kept = 0;
	bool unknown_mod = false;
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array_get(a, i);
		json_t *fm = json_array_get(f, 0), *fo = json_array_get(f, 1);
		if (!json_is_array(f) || json_array_size(f) != 2 ||
		    !json_is_integer(fm) || !json_is_integer(fo) ||
		    json_integer_value(fm) < -1 || json_integer_value(fo) < 0) {
			ovc_rd_why(r,
				   "\"frames\"[%zu] is not a [module, offset] "
				   "pair",
				   i);
			return false;
		}
		if (kept == OVC_MAX_FRAMES)
			continue;
		frames[kept].mod = (int64_t)json_integer_value(fm);
		frames[kept].offset = (uint64_t)json_integer_value(fo);
		if (frames[kept].mod >= 0 &&
		    !ovc_proc_module(p, frames[kept].mod))
			unknown_mod = true;
		kept++;
	}
	if (unknown_mod)
		ovc_rd_say_once(
			r, &r->said_unknown_module,
			"site %lld names a module with no \"mod\" record; its "
			"frames there are shown as module ids (said once)",
			(long long)id);
	const char *kind = "malloc";
	if (ovc_rd_str(r, o, "kind", &kind) == FLD_BAD)
		return false;
	bool dup = false;
	struct ovc_site *s = ovc_proc_add_site(p, id, frames, kept, &dup);
	if (s) {
		s->frames_dropped += n - kept;
		s->kind = strcmp(kind, "mmap") == 0     ? OVC_FAMILY_MMAP
			  : strcmp(kind, "mapped") == 0 ? OVC_FAMILY_MAPPED
							: OVC_FAMILY_MALLOC;
	} else if (dup) {
		ovc_rd_say_once(
			r, &r->said_dup_site,
			"site %lld is defined again; the first definition is "
			"kept (said once)",
			(long long)id);
	} else if (p->nsites >= OVC_MAX_SITES) {
		ovc_rd_say_once(r, &r->said_site_cap,
				"more than %d sites; the rest are counted, not "
				"shown",
				OVC_MAX_SITES);
	} else {
		ovc_rd_say_once(r, &r->said_oom,
				"out of memory; sites dropped");
	}
	return true;
}

bool ovc_rd_site_stats(struct reader *r, json_t *o, struct ovc_proc *p)
{
	int64_t ns = -1, id = -1, blocks = 0, req = 0, live = 0, peak = 0,
		touched = 0, reused = 0, unprobed = 0, live_touched = -1, com = 0, pcom = 0,
		live_blocks = -1, live_sd = 0;
	bool sampled = false, shared = false, lazy_shared = false;
	if (ovc_rd_int(r, o, "ns", 0, ABSURD_NS, &ns) == FLD_BAD ||
	    ovc_rd_int(r, o, "id", 0, INT64_MAX, &id) == FLD_BAD ||
	    ovc_rd_int(r, o, "blocks", 0, INT64_MAX, &blocks) == FLD_BAD ||
	    ovc_rd_int(r, o, "requested", 0, INT64_MAX, &req) == FLD_BAD ||
	    ovc_rd_int(r, o, "live", 0, ABSURD_BYTES, &live) == FLD_BAD ||
	    ovc_rd_int(r, o, "peak_live", 0, ABSURD_BYTES, &peak) == FLD_BAD ||
	    ovc_rd_int(r, o, "touched", 0, INT64_MAX, &touched) == FLD_BAD ||
	    ovc_rd_int(r, o, "reused", 0, INT64_MAX, &reused) == FLD_BAD ||
	    ovc_rd_int(r, o, "unprobed", 0, ABSURD_BYTES, &unprobed) ==
		    FLD_BAD ||
	    ovc_rd_int(r, o, "live_touched", 0, ABSURD_BYTES, &live_touched) ==
		    FLD_BAD ||
	    ovc_rd_bool(r, o, "sampled", &sampled) == FLD_BAD ||
	    ovc_rd_bool(r, o, "shared_pages", &shared) == FLD_BAD ||
	    ovc_rd_bool(r, o, "lazyfree_shared", &lazy_shared) == FLD_BAD ||
	    ovc_rd_int(r, o, "committed", 0, ABSURD_BYTES, &com) == FLD_BAD ||
	    ovc_rd_int(r, o, "peak_committed", 0, ABSURD_BYTES, &pcom) ==
		    FLD_BAD ||
	    ovc_rd_int(r, o, "live_blocks", 0, ABSURD_BYTES, &live_blocks) ==
		    FLD_BAD ||
	    ovc_rd_int(r, o, "live_sd", 0, ABSURD_BYTES, &live_sd) == FLD_BAD)
		return false;
	if (id < 0) {
		ovc_rd_why(r, "\"ss\" record without an \"id\"");
		return false;
	}
	if (ns >= 0)
		ovc_rd_note_ns(p, ns);
	struct ovc_site *s = ovc_proc_site(p, id);
	if (!s) {
		/* Sites beyond the cap were dropped on purpose. */
		if (!p->sites_dropped)
			ovc_rd_say_once(
				r, &r->said_unknown_site,
				"\"ss\" record of site %lld, which has no "
				"\"site\" record; ignored (said once)",
				(long long)id);
		return true;
	}
	/* Cumulative figures: the last record holds the totals. */
	s->has_figures = true;
	s->blocks = blocks;
	s->requested_bytes = req;
	s->live_bytes = live;
	s->peak_live_bytes = peak;
	s->touched_bytes = touched;
	s->reused_bytes = reused;
	s->unprobed_bytes = unprobed;
	s->sampled = sampled;
	s->shared_pages = shared;
	s->lazyfree_shared = lazy_shared;
	s->has_live_touched = live_touched >= 0;
	s->live_touched_bytes = live_touched;
	s->committed_bytes = com;
	s->peak_committed_bytes = pcom;
	s->live_blocks = live_blocks;
	s->live_sd_bytes = live_sd;
	s->sample_bytes = p->sample_bytes;
	return true;
}

/* A `snapshot_end` record: why `ovc snapshot --watch` stopped. */
bool ovc_rd_snapshot_end(struct reader *r, json_t *o, struct ovc_proc *p)
{
	const char *why = "";
	if (!ovc_rd_ns_str(r, o, p, "why", &why))
		return false;
	if (!ovc_rd_set_string(&p->snapshot_end, why))
		ovc_rd_say_once(r, &r->said_oom, "out of memory");
	return true;
}
