/* The fuzzed path: bytes -> log files -> ovc_logread_paths -> model ->
 * text (the report and the leak view), JSON, folded and pprof renderings
 * (see fuzz-one.h). */
#include "fuzz-one.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "read/logread.h"
#include "read/model.h"
#include "render/pprof.h"
#include "render/render.h"
#include "read/symbolize.h"

static char dir[256];
static FILE *devnull;

static void setup(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/ovc-fuzz.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		abort();
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
}

static void cleanup(void)
{
	char path[400];
	for (int i = 0; i < OVC_FUZZ_MAX_FILES; i++) {
		snprintf(path, sizeof path, "%s/ovc.1.%d.jsonl", dir, i);
		unlink(path);
		snprintf(path, sizeof path, "%s/ovc-run.9.%d.jsonl", dir, i);
		unlink(path);
	}
}

int ovc_fuzz_one(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		setup();
		atexit(cleanup);
	}
	cleanup();
	const char *p = (const char *)data, *end = p + size;
	for (int i = 0; i < OVC_FUZZ_MAX_FILES && p <= end; i++) {
		const char *sep = i + 1 < OVC_FUZZ_MAX_FILES ?
			memmem(p, (size_t)(end - p), OVC_FUZZ_SEP, 3) : NULL;
		size_t n = sep ? (size_t)(sep - p) : (size_t)(end - p);
		char path[400];
		bool run = n >= 9 && memcmp(p, "{\"t\":\"run", 9) == 0;
		snprintf(path, sizeof path, run ? "%s/ovc-run.9.%d.jsonl" : "%s/ovc.1.%d.jsonl",
			 dir, i);
		FILE *f = fopen(path, "w");
		if (!f)
			abort();
		fwrite(p, 1, n, f);
		fclose(f);
		if (!sep)
			break;
		p = sep + 3;
	}

	struct ovc_model *m = ovc_model_create();
	if (!m)
		return 0;
	struct ovc_read_opts ro = {.err = devnull};
	char *paths[] = {dir};
	ovc_logread_paths(m, paths, 1, &ro, NULL);
	ovc_model_link(m);
	struct ovc_symbolizer *sym = ovc_sym_new();
	struct ovc_render_opts o = {.dir = dir, .sym = sym};
	ovc_render_text(m, devnull, &o);
	o.top_set = o.frames_set = true;
	o.top_sites = o.max_frames = OVC_ALL;
	o.sort = OVC_SORT_RATIO;
	ovc_render_json(m, devnull, &o);
	ovc_render_flame(m, devnull, OVC_WEIGHT_UNTOUCHED, sym);
	ovc_render_flame(m, devnull, OVC_WEIGHT_TOUCHED, NULL);
	o.leaks = true;
	ovc_render_text(m, devnull, &o);
	struct ovc_pprof *b = ovc_pprof_new(sym);
	bool ok = b != NULL;
	for (size_t i = 0; ok && i < m->nprocs; i++)
		ok = ovc_pprof_add_proc(b, m->procs[i]);
	if (ok)
		ovc_pprof_write(b, devnull);
	ovc_pprof_free(b);
	ovc_sym_free(sym);
	ovc_model_destroy(m);
	return 0;
}
