/* Bytes written gzip-compressed (RFC 1952), as pprof reads its profiles. */
#ifndef OVC_CLI_GZIP_H
#define OVC_CLI_GZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Writes LEN bytes of DATA gzip-compressed to OUT. False when zlib or the
 * write fails. */
bool ovc_gzip_write(const uint8_t *data, size_t len, FILE *out);

#endif
