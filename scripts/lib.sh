# SPDX-License-Identifier: GPL-2.0
# Shared settings for the netdive scripts: where things live, how the kernel is built.
# Sourced, never run. Everything cached lives under $ND_CACHE, outside the clone.

ND_PROJ=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Every stage prints its results in KTAP, through one printer.
. "$ND_PROJ/scripts/ktap.sh"
ND_CACHE=${NETDIVE_CACHE:-$HOME/.cache/netdive}
ND_TOOLS=$ND_CACHE/tools
ND_KSRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
ND_LLVM_SUFFIX=-19
ND_BINDGEN_VERSION=0.73.2
ND_JOBS=${NETDIVE_JOBS:-$(nproc)}
ND_T0=${ND_T0:-$(date +%s)}
export ND_T0

nd_elapsed() {
	local s=$(( $(date +%s) - ND_T0 ))
	printf '%dm%02ds' $((s / 60)) $((s % 60))
}

# One line per stage, with the time since the command started.
nd_stage() { printf '==> [%s] %s\n' "$(nd_elapsed)" "$*" >&2; }
nd_info() { printf '    %s\n' "$*" >&2; }
nd_die() {
	printf 'netdive: error: %s\n' "$1" >&2
	shift
	for l in "$@"; do printf '    %s\n' "$l" >&2; done
	exit 1
}

# Kernel version of the Debian linux-source package, e.g. 6.12.117 (from the
# package version, so we know it before the tarball is unpacked).
nd_kver() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null | sed -E 's/^([0-9]+\.[0-9]+\.[0-9]+).*/\1/'
}

# The whole package version (6.12.117-1~bpo12+1): a new Debian revision of the same
# kernel can carry different patches, so it is part of the source tree's and the build's key.
nd_kpkg() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null | tr -c 'A-Za-z0-9.+\n' '_'
}

nd_setup_vars() {
	ND_KVER=$(nd_kver)
	[ -n "$ND_KVER" ] || nd_die "linux-source-6.12 is not installed" \
		"run: make doctor   (or: sudo apt-get install linux-source-6.12)"
	ND_KPKG=$(nd_kpkg)
	ND_KSRC=$ND_CACHE/src/linux-$ND_KPKG
	local rustc_v
	rustc_v=$(/usr/bin/rustc --version 2>/dev/null || echo none)
	# A build directory's key names everything a rebuild from scratch depends on: the
	# kernel package, rustc and bindgen. The config fragments are not in it (an edit
	# reconfigures the same tree and kbuild rebuilds what the change touches), nor are
	# our own rust/ and samples/ (kbuild rebuilds those incrementally).
	ND_TOOLCHAIN_ID="$rustc_v; bindgen $ND_BINDGEN_VERSION"
	ND_BUILDROOT=$ND_CACHE/build
	ND_MAKEVARS=(
		LLVM=$ND_LLVM_SUFFIX
		RUSTC=/usr/bin/rustc
		HOSTRUSTC=/usr/bin/rustc
		RUSTDOC=/usr/bin/rustdoc
		RUSTFMT=/usr/bin/rustfmt
		CLIPPY_DRIVER=/usr/bin/clippy-driver
		BINDGEN=$ND_TOOLS/bin/bindgen
	)
	export LIBCLANG_PATH=/usr/lib/llvm-19/lib
}

# nd_key lab|test: the key of that flavour's build directory.
nd_key() {
	echo "$1-$ND_KVER-$({ echo "$ND_KPKG"; echo "$ND_TOOLCHAIN_ID"; } | sha256sum | cut -c1-12)"
}

# nd_build_dir lab|test
nd_build_dir() { echo "$ND_BUILDROOT/$(nd_key "$1")/kernel"; }

# The modules of a build, installed where the guest's /lib/modules points.
nd_mods_dir() { echo "$ND_BUILDROOT/$(nd_key "$1")/mods"; }

# Where runs, test results and benchmark results of a flavour go.
nd_runs_dir() { echo "$ND_BUILDROOT/$(nd_key "$1")/runs"; }
