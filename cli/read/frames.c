/* Names the frames of sites: the log's module + offset, the module's record
 * and what the symbolizer finds there. */
#include "read/frames.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *ovc_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

void ovc_frame_describe(struct ovc_symbolizer *sym, const struct ovc_proc *p,
			const struct ovc_frame *f, struct ovc_frame_info *out)
{
	memset(out, 0, sizeof *out);
	out->module_id = f->mod;
	out->offset = f->offset;
	out->module_name = "?";
	out->build_id = "";
	if (f->mod < 0) {
		out->problem = "outside every module (generated code?)";
		return;
	}
	const struct ovc_module *m = ovc_proc_module(p, f->mod);
	if (!m) {
		out->problem = "the log has no record of this module";
		return;
	}
	out->module = m->path;
	out->module_name = m->path[0] ? ovc_path_base(m->path) : "?";
	out->build_id = m->build_id;
	if (!sym) {
		out->problem = "not symbolized";
		return;
	}
	struct ovc_sym s;
	ovc_sym_lookup(sym, m->path, m->build_id, f->offset, &s);
	out->function = s.function;
	out->file = s.file;
	out->line = s.line;
	out->problem = s.function ? NULL : s.problem;
	if (!out->function && !out->problem)
		out->problem = "no symbol at this address";
}

char *ovc_frame_label(const struct ovc_frame_info *fi, char *buf, size_t size)
{
	if (fi->function)
		snprintf(buf, size, "%s", fi->function);
	else if (fi->module_id < 0)
		snprintf(buf, size, "0x%" PRIx64, fi->offset);
	else if (!fi->module)
		snprintf(buf, size, "module%" PRId64 "+0x%" PRIx64,
			 fi->module_id, fi->offset);
	else
		snprintf(buf, size, "%s+0x%" PRIx64, fi->module_name,
			 fi->offset);
	return buf;
}
