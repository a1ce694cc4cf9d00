/* One fuzz input through the log reader, the model and every renderer;
 * shared by the libFuzzer target and the regression replayer. */
#ifndef OVC_FUZZ_ONE_H
#define OVC_FUZZ_ONE_H

#include <stddef.h>
#include <stdint.h>

/** Separates the files of one input: "\n\f\n". Each part becomes a log of
 * its own in one directory (a run file when it starts with a `run`
 * record), so that the model's linking of images is fuzzed too. */
#define OVC_FUZZ_SEP "\n\f\n"
#define OVC_FUZZ_MAX_FILES 6

/** Writes DATA as files in a private directory, reads them with
 * ovc_logread_paths, links the model and renders it as text, JSON and
 * folded stacks to /dev/null. Returns 0; anything wrong is a crash or a
 * sanitizer report. */
int ovc_fuzz_one(const uint8_t *data, size_t size);

#endif
