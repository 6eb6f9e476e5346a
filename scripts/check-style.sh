#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-style.sh - every source file carries an MIT SPDX line in its first 3
# lines, and every C file is formatted with the repository's .clang-format.
set -u
cd "$(dirname "$0")/.." || exit 1

status=0
files=$(find . \( -path ./build -o -path ./.git \) -prune -o -type f \
	\( -name '*.[ch]' -o -name '*.sh' -o -name '*.cmake' -o \
	-name '*.cmake.in' -o -name '*.pc.in' -o -name '*.map' -o \
	-name CMakeLists.txt -o -path ./.ci/run \) -print | sort)

for f in $files; do
	if ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier: MIT'; then
		echo "$f: no 'SPDX-License-Identifier: MIT' in its first 3 lines"
		status=1
	fi
done

for f in $files; do
	case $f in
	*.c | *.h)
		clang-format --dry-run --Werror "$f" 2>/dev/null || {
			echo "$f: not clang-formatted (run clang-format -i $f)"
			status=1
		}
		;;
	esac
done

[ $status -eq 0 ] && echo "style: $(echo "$files" | wc -l) files checked"
exit $status
