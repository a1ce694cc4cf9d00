/* Bytes gzip-compressed into a stream, by zlib (gzip.h). */
#include "render/gzip.h"

#include <zlib.h>

bool ovc_gzip_write(const uint8_t *data, size_t len, FILE *out)
{
	z_stream z = {0};
	/* windowBits 15 + 16: a gzip header and trailer, not zlib's */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	uint8_t buf[65536];
	z.next_in = (uint8_t *)data;
	bool ok = true;
	int rc;
	do {
		/* avail_in is 32 bits: feed at most 1 GiB at a time */
		if (z.avail_in == 0 && len > 0) {
			size_t chunk = len < (1u << 30) ? len : (1u << 30);
			z.avail_in = (uInt)chunk;
			len -= chunk;
		}
		z.next_out = buf;
		z.avail_out = sizeof buf;
		rc = deflate(&z, len == 0 ? Z_FINISH : Z_NO_FLUSH);
		size_t have = sizeof buf - z.avail_out;
		if (rc == Z_STREAM_ERROR ||
		    (have && fwrite(buf, 1, have, out) != have)) {
			ok = false;
			break;
		}
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
	return ok;
}
