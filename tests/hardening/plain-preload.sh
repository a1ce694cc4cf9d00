#!/bin/sh
# `meson test --wrapper` for the sanitizer builds (scripts/test --all): a
# program built with AddressSanitizer cannot take another malloc
# interposer by LD_PRELOAD, so the preloaded libovc.so and the programs it
# is preloaded into come from the plain build OVC_PLAIN_BUILD, while the
# test drivers and the ovc command under test are the sanitized ones.
if [ -n "$OVC_PLAIN_BUILD" ]; then
	OVC_LIB="$OVC_PLAIN_BUILD/preload/libovc.so"
	OVC_PROGRAMS="$OVC_PLAIN_BUILD/tests/programs"
	OVC_HPROGRAMS="$OVC_PLAIN_BUILD/tests/hardening"
	export OVC_LIB OVC_PROGRAMS OVC_HPROGRAMS
fi
exec "$@"
