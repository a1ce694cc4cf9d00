/* Names of the frames of a site: module + offset of a process image turned
 * into function, file:line and module, through one shared symbolizer. */
#ifndef OVC_CLI_FRAMES_H
#define OVC_CLI_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "read/model.h"
#include "read/symbolize.h"

/** What is known of one frame. Strings belong to the process image or to
 * the symbolizer; function, file, module and problem may be NULL. */
struct ovc_frame_info {
	const char *function; /**< demangled; NULL when unknown */
	const char *file;     /**< source file as in DWARF; NULL when unknown */
	int line;             /**< 0 when unknown */
	const char *module;   /**< path as logged; NULL when the frame is
				   outside every module or its module has no
				   `mod` record */
	const char *module_name; /**< last part of module; "?" when none */
	const char *build_id;    /**< "" when none or unknown */
	int64_t module_id;       /**< as logged; -1 outside every module */
	uint64_t offset;         /**< from the log (absolute when module_id
				      is -1) */
	const char *problem;     /**< why the function is unknown, or NULL */
};

/** Describes frame F of a site of P, looking it up with SYM (may be NULL:
 * then only module and offset are known). Never fails. */
void ovc_frame_describe(struct ovc_symbolizer *sym, const struct ovc_proc *p,
			const struct ovc_frame *f, struct ovc_frame_info *out);

/** Writes the short name of a frame into BUF (SIZE bytes): its function, or
 * "module+0xoffset" when the function is unknown ("0xaddress" outside every
 * module). Returns BUF. */
char *ovc_frame_label(const struct ovc_frame_info *fi, char *buf, size_t size);

/** Last part of PATH (after the last '/'); PATH itself when it has none. */
const char *ovc_path_base(const char *path);

#endif
