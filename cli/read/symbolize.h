/* Module + offset to function, source file and line, after the process has
 * gone: the module's symbol table and DWARF through elfutils' libdwfl. */
#ifndef OVC_CLI_SYMBOLIZE_H
#define OVC_CLI_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>

struct ovc_symbolizer;

/** What is known of one frame. Strings belong to the symbolizer and live
 * as long as it does; any of them may be NULL. */
struct ovc_sym {
	const char *function; /**< demangled where it was a C++ name */
	const char *file;     /**< source file, as recorded in DWARF */
	int line;             /**< 0 when unknown */
	const char *problem;  /**< why nothing better is known: "module changed
				   since the run", "module not found", ... */
};

/** A symbolizer with an empty cache. NULL only when out of memory. */
struct ovc_symbolizer *ovc_sym_new(void);
/** Frees it and every string it handed out; NULL is a no-op. */
void ovc_sym_free(struct ovc_symbolizer *s);

/** Looks up OFFSET (a return address minus the module's load bias, as in
 * the log's `site` records) in the module at PATH, whose GNU build id at
 * run time was BUILD_ID (hex; "" or NULL: not checked). A return address
 * points after its call: the lookup uses OFFSET - 1. A file whose build id
 * differs is not used: OUT->problem says so. Never fails hard. */
void ovc_sym_lookup(struct ovc_symbolizer *s, const char *path,
		    const char *build_id, uint64_t offset, struct ovc_sym *out);

#endif
