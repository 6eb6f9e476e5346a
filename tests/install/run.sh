#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run.sh BUILD_DIR SOURCE_DIR [CC [EXTRA_FLAGS]] - install the library built
# in BUILD_DIR into a temporary prefix, then build tests/install/consumer.c
# against it twice, through pkg-config and through find_package(uffdops),
# and run both: each must print OK. EXTRA_FLAGS (the sanitizer flags of the
# build, if any) are added to both consumers.
set -eu

build=$1
src=$2
cc=${3:-cc}
extra=${4:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/uffdops-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

check_ok()
{
	out=$("$@")
	if [ "$out" != OK ]; then
		echo "FAIL: $* printed: $out" >&2
		exit 1
	fi
	echo "ok: $*"
}

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"

# Only the documented files are installed.
test -f "$prefix/include/uffdops/uffdops.h"
test -f "$prefix/include/uffdops/uapi.h"
pcdir=$(dirname "$(find "$prefix" -name uffdops.pc)")
libdir=$(dirname "$pcdir")
test -f "$libdir/libuffdops.a"
test -L "$libdir/libuffdops.so"
test -f "$libdir/cmake/uffdops/uffdopsConfig.cmake"
test -f "$libdir/cmake/uffdops/uffdopsConfigVersion.cmake"

# 1. pkg-config
export PKG_CONFIG_PATH="$pcdir"
# shellcheck disable=SC2046,SC2086 # flags are meant to be split
"$cc" $extra -o "$tmp/consumer-pc" "$src/tests/install/consumer.c" \
	$(pkg-config --cflags --libs uffdops)
LD_LIBRARY_PATH="$libdir" check_ok "$tmp/consumer-pc"

# The static library with its private dependencies.
# shellcheck disable=SC2046,SC2086
"$cc" $extra -o "$tmp/consumer-static" \
	"$src/tests/install/consumer.c" \
	$(pkg-config --cflags uffdops) "$libdir/libuffdops.a" \
	$(pkg-config --libs-only-l --static uffdops | sed 's/-luffdops//')
check_ok "$tmp/consumer-static"

# 2. find_package(uffdops): uffdops::uffdops and uffdops::uffdops_static
cmake -S "$src/tests/install" -B "$tmp/cmake-build" \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_C_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" \
	>"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log" >&2; exit 1; }
cmake --build "$tmp/cmake-build" >"$tmp/build.log" 2>&1 ||
	{ cat "$tmp/build.log" >&2; exit 1; }
check_ok "$tmp/cmake-build/consumer"
check_ok "$tmp/cmake-build/consumer_static"

echo "install test passed"
