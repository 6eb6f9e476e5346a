#!/bin/sh
# SPDX-License-Identifier: MIT
#
# demo.sh - install what is missing, build libuffdops and run examples/demo:
# a guest_memfd-like memory type registered, a broken ops table explained,
# and the capability matrix of every registered memory type.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh

install_deps
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DUFFDOPS_BUILD_TESTS=OFF -DUFFDOPS_BUILD_BENCH=OFF
cmake --build build/demo -j2 --target example_demo
echo
exec ./build/demo/examples/demo
