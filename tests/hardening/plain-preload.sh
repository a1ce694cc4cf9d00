#!/bin/sh
# `meson test --wrapper` for the sanitizer builds (scripts/test --all): a
# program built with AddressSanitizer cannot take another malloc
# interposer by LD_PRELOAD, so the preloaded libovc.so and the programs it
# is preloaded into come from the plain build OVC_PLAIN_BUILD, while the
# test drivers and the ovc command under test are the sanitized ones.
# Arguments naming the sanitized build's test programs or libovc.so (OVC_SAN_BUILD)
# are pointed at the plain build's too.
if [ -n "$OVC_PLAIN_BUILD" ]; then
	OVC_LIB="$OVC_PLAIN_BUILD/preload/libovc.so"
	OVC_PROGRAMS="$OVC_PLAIN_BUILD/tests/programs"
	OVC_HPROGRAMS="$OVC_PLAIN_BUILD/tests/hardening"
	OVC_HOSTILE_PROGRAMS="$OVC_PLAIN_BUILD/tests/hostile"
	export OVC_LIB OVC_PROGRAMS OVC_HPROGRAMS OVC_HOSTILE_PROGRAMS
	if [ -n "$OVC_SAN_BUILD" ]; then
		n=$#
		i=0
		while [ "$i" -lt "$n" ]; do
			a=$1
			shift
			case $a in
			"$OVC_SAN_BUILD"/tests/programs*)
				a="$OVC_PLAIN_BUILD${a#"$OVC_SAN_BUILD"}" ;;
			"$OVC_SAN_BUILD"/preload/libovc.so)
				a="$OVC_LIB" ;;
			esac
			set -- "$@" "$a"
			i=$((i + 1))
		done
	fi
fi
exec "$@"
