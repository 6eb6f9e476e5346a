#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz.sh - build the libFuzzer harnesses with clang into build/fuzz and run
# each one for a while, starting from its seed corpus.
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]
#
# SECONDS: how long each harness runs (default 60). HARNESS: dispatch,
# registry (default: both). What a run finds is kept under build/fuzz:
# corpus/<harness>/ (grown corpus, reused by the next run) and
# crashes/<harness>/ (crash-*, leak-*, timeout-* reproducers; replay one
# with build/fuzz/fuzz/fuzz_<harness> <file>). Extra libFuzzer options can
# be given in FUZZ_FLAGS. Exits non-zero if a harness failed.
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/lib.sh

secs=${1:-60}
[ $# -gt 0 ] && shift
harnesses=${*:-dispatch registry}
dir=build/fuzz

install_deps || { echo "fuzz.sh: installing dependencies failed" >&2; exit 1; }

cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DUFFDOPS_BUILD_FUZZ=ON -DUFFDOPS_BUILD_TESTS=OFF \
	-DUFFDOPS_BUILD_BENCH=OFF -DUFFDOPS_BUILD_EXAMPLES=OFF >/dev/null &&
	cmake --build "$dir" -j2 --target \
		$(for h in $harnesses; do printf 'fuzz_%s ' "$h"; done) ||
	exit 1

status=0
for h in $harnesses; do
	corpus=$dir/corpus/$h
	crashes=$dir/crashes/$h
	mkdir -p "$corpus" "$crashes"
	echo "=== fuzz_$h for ${secs}s"
	# -timeout: a blocked program is a finding (the harness never waits
	# more than milliseconds for its resolver); -rss_limit_mb: hugetlb
	# files hold 2 MiB folios.
	# shellcheck disable=SC2086 # FUZZ_FLAGS is a list of options
	"$dir/fuzz/fuzz_$h" -max_total_time="$secs" -timeout=20 \
		-rss_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix="$crashes/" ${FUZZ_FLAGS:-} \
		"$corpus" "fuzz/corpus/$h" || status=1
done
exit $status
