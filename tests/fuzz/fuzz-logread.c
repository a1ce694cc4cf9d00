/* libFuzzer target: the log reader, the model and the renderers on
 * arbitrary bytes (scripts/fuzz runs it). */
#include "fuzz-one.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return ovc_fuzz_one(data, size);
}
