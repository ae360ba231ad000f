#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the lab needs and is missing. Idempotent: a second run only checks.
#   Debian packages (kernel source, Rust, LLVM 19, QEMU, the guest's tools),
#   bindgen-cli (crates.io, pinned, --locked), and the iproute2 plugin for `type rveth`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS=(
	# kernel source and build
	linux-source-6.12 make flex bison bc libelf-dev libssl-dev cpio kmod xz-utils
	# Rust for the kernel (Debian's, with library source) and LLVM 19
	rustc-web cargo-web rust-web-src libstd-rust-web-dev rust-web-clippy rustfmt-web
	clang-19 lld-19 llvm-19 libclang-19-dev
	# the guest machine
	qemu-system-x86 busybox-static
	# the tools the guest runs from the host's filesystem
	iproute2 ethtool tcpdump nftables iputils-ping bpftool socat procps iperf3
	libbpf-dev gcc python3
)

missing=()
for p in "${PKGS[@]}"; do
	[[ $p == \#* ]] && continue
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

mkdir -p "$ND_CACHE" || nd_die "cannot create the cache directory $ND_CACHE" "set NETDIVE_CACHE to a writable directory"
if ((${#missing[@]})); then
	[ "$(id -u)" = 0 ] || nd_die "missing Debian packages: ${missing[*]}" \
		"run as root, or: sudo apt-get install ${missing[*]}"
	nd_stage "apt-get install ${#missing[@]} package(s): ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || nd_die "apt-get update failed"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >"$ND_CACHE/apt.log" 2>&1 ||
		{ tail -20 "$ND_CACHE/apt.log" >&2; nd_die "apt-get install failed (log: $ND_CACHE/apt.log)"; }
fi

mkdir -p "$ND_TOOLS"
if [ "$("$ND_TOOLS/bin/bindgen" --version 2>/dev/null)" != "bindgen $ND_BINDGEN_VERSION" ]; then
	command -v cargo >/dev/null || nd_die "cargo not found (apt-get install cargo-web)"
	nd_stage "cargo install bindgen-cli $ND_BINDGEN_VERSION (about 1 minute)"
	LIBCLANG_PATH=/usr/lib/llvm-19/lib cargo install -q --locked --root "$ND_TOOLS" \
		bindgen-cli --version "$ND_BINDGEN_VERSION" >"$ND_TOOLS/bindgen.log" 2>&1 ||
		{ tail -20 "$ND_TOOLS/bindgen.log" >&2; nd_die "building bindgen-cli failed"; }
fi

# The guest bind-mounts our modules over /lib/modules; the directory must exist
# in the host filesystem it boots from.
[ -d /lib/modules ] || mkdir -p /lib/modules 2>/dev/null || true

# iproute2 only parses `peer ...` for link kinds it knows; teach it `rveth`.
if [ -f "$ND_PROJ/scripts/iproute2/link_rveth.c" ]; then
	bash "$ND_PROJ/scripts/iproute2/install.sh"
fi
exit 0
