#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test.sh - install what is missing, then run every quality gate:
#   style        SPDX lines and clang-format (scripts/check-style.sh)
#   gcc-debug    gcc, Debug, -Werror: build + ctest
#   clang        clang, RelWithDebInfo, -Werror: build + ctest
#   asan-ubsan   gcc, AddressSanitizer + UndefinedBehaviorSanitizer + ctest
#   tsan         clang, ThreadSanitizer + ctest
# Each build has its own directory under build/. Every stage runs; the
# summary lists them and the script exits non-zero if any failed.
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/lib.sh

install_deps || { echo "test.sh: installing dependencies failed" >&2; exit 1; }

JOBS=2
begin=$(date +%s)
results=
failed=0

# stage NAME COMMAND...: run one gate, time it, record the outcome.
stage()
{
	name=$1
	shift
	echo
	echo "=== $name"
	start=$(date +%s)
	if "$@"; then
		outcome=PASS
	else
		outcome=FAIL
		failed=1
	fi
	results="$results$(printf '%-12s %s %5ss' "$name" "$outcome" \
		$(($(date +%s) - start)))
"
}

# build_and_test DIR CC RUNNER CMAKE_ARGS...: configure, build, ctest. RUNNER
# is a command prefix for ctest ("" for none).
build_and_test()
{
	dir=build/$1
	cc=$2
	runner=$3
	shift 3
	cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DUFFDOPS_WERROR=ON "$@" &&
		cmake --build "$dir" -j$JOBS &&
		(cd "$dir" && $runner ctest --output-on-failure -j$JOBS)
}

# tsan_runner: the command prefix ThreadSanitizer needs here. The TSan
# runtimes of clang 14 and gcc 12 expect the address-space layout of at most
# 28 bits of mmap randomisation and die with "unexpected memory mapping"
# above it (vm.mmap_rnd_bits goes up to 32 on x86-64). There, the tests run
# under `setarch -R` (ADDR_NO_RANDOMIZE, inherited by every test process), so
# no system setting is touched. A probe checks that TSan really runs.
tsan_runner()
{
	runner=
	bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null) || bits=0
	[ "$bits" -le 28 ] || runner="setarch $(uname -m) -R"

	probe=build/tsan-probe
	mkdir -p build
	printf '%s\n' '#include <pthread.h>' \
		'static void *f(void *a) { return a; }' \
		'int main(void) { pthread_t t; pthread_create(&t, 0, f, 0);' \
		'return pthread_join(t, 0); }' >"$probe.c"
	clang -fsanitize=thread -o "$probe" "$probe.c" || return 1
	if ! $runner "$probe" >&2; then
		echo "test.sh: ThreadSanitizer cannot run here" \
			"(vm.mmap_rnd_bits=$bits, runner '$runner')" >&2
		return 1
	fi
	echo "$runner"
}

# The sanitizer stages run in subshells so that their options stay local.
asan_ubsan()
(
	export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	build_and_test asan-ubsan gcc "" \
		-DCMAKE_BUILD_TYPE=Debug -DUFFDOPS_SANITIZE=address,undefined
)

tsan()
(
	runner=$(tsan_runner) || exit 1
	[ -z "$runner" ] ||
		echo "vm.mmap_rnd_bits > 28: running ctest under '$runner'"
	export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
	build_and_test tsan clang "$runner" \
		-DCMAKE_BUILD_TYPE=Debug -DUFFDOPS_SANITIZE=thread
)

stage style scripts/check-style.sh
stage gcc-debug build_and_test gcc-debug gcc "" -DCMAKE_BUILD_TYPE=Debug
stage clang build_and_test clang clang "" -DCMAKE_BUILD_TYPE=RelWithDebInfo
stage asan-ubsan asan_ubsan
stage tsan tsan

echo
echo "=== summary"
printf '%s' "$results"
echo "total        $(($(date +%s) - begin))s"
if [ $failed -ne 0 ]; then
	echo "test.sh: FAILED"
	exit 1
fi
echo "test.sh: all gates passed"
