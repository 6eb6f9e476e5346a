# SPDX-License-Identifier: MIT
#
# lib.sh - sourced by demo.sh and test.sh: the Debian packages the build and
# the test suite need, installed when missing.

# The tool chains (gcc, clang with its sanitizer runtimes), the build tools,
# the test and tree libraries, the kernel headers for <linux/userfaultfd.h>,
# clang-format for the style check and setarch (util-linux) for TSan.
UFFDOPS_DEBIAN_PACKAGES="cmake make pkg-config gcc libc6-dev linux-libc-dev
clang libclang-rt-14-dev clang-format libcmocka-dev libbsd-dev util-linux"

# install_deps: apt-get install whatever is missing; nothing when all is there.
install_deps()
{
	missing=
	for pkg in $UFFDOPS_DEBIAN_PACKAGES; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" \
			2>/dev/null) || status=
		[ "$status" = installed ] || missing="$missing $pkg"
	done
	[ -n "$missing" ] || return 0

	echo "Installing missing Debian packages:$missing"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	# shellcheck disable=SC2086 # the package list is meant to be split
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update &&
	$sudo env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends $missing
}
