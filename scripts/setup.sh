#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the lab needs and is missing. Idempotent: a second run only checks.
#   Debian packages (kernel source, Rust, LLVM 19, QEMU, the guest's tools),
#   bindgen-cli (crates.io, pinned, --locked), and the iproute2 plugin for `type rveth`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# --- the machine ------------------------------------------------------------------------
. /etc/os-release 2>/dev/null || true
if [ "${ID:-}" != debian ] || [ "${VERSION_ID:-}" != 12 ]; then
	[ -n "${NETDIVE_ANY_HOST:-}" ] || nd_die "netdive is set up for Debian 12 (bookworm); this is ${PRETTY_NAME:-an unknown system}" \
		"it needs Debian 12's linux-source-6.12, rustc-web and LLVM 19 packages" \
		"to try anyway: NETDIVE_ANY_HOST=1 make ..."
fi

# --- nothing changed since the last check: done in milliseconds ------------------------
# The record names this script, the plugin's source, the package database's state and
# the installed plugin; a change to any of them runs the checks again.
stamp=$ND_CACHE/.setup-ok
state() {
	stat -c '%n %Y %s' "$ND_PROJ/scripts/setup.sh" "$ND_PROJ/scripts/lib.sh" "$ND_PROJ"/scripts/iproute2/* \
		/var/lib/dpkg/status "$ND_TOOLS/bin/bindgen" 2>/dev/null
	ls -l /usr/lib/*/ip/link_rveth.so /usr/lib/ip/link_rveth.so 2>/dev/null || true
}
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(state | sha256sum)" ]; then
	exit 0
fi

# Room for the kernel source and two kernel builds (about 8 GB with some to spare).
mkdir -p "$ND_CACHE" || nd_die "cannot create the cache directory $ND_CACHE" "set NETDIVE_CACHE to a writable directory"
avail_gb=$(($(df -Pk "$ND_CACHE" | awk 'NR == 2 {print $4}') / 1048576))
if [ "$avail_gb" -lt 10 ] && [ ! -d "$ND_CACHE/build" ]; then
	nd_die "only ${avail_gb} GB free for $ND_CACHE; the kernel source and builds need about 10 GB" \
		"free some space, or point NETDIVE_CACHE at a larger disk"
fi

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
	# make docs: the lesson pages rendered, and a headless browser to check the site
	python3-markdown chromium-headless-shell
)

missing=()
for p in "${PKGS[@]}"; do
	[[ $p == \#* ]] && continue
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

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

# iproute2 only parses `peer ...` for link kinds it knows; teach it `rveth` (and exercise
# 1's `expair`: install.sh builds the plugin for both).
if [ -f "$ND_PROJ/scripts/iproute2/link_rveth.c" ]; then
	if [ "$(id -u)" = 0 ]; then
		bash "$ND_PROJ/scripts/iproute2/install.sh"
	elif ! ls /usr/lib/*/ip/link_rveth.so /usr/lib/ip/link_rveth.so >/dev/null 2>&1; then
		nd_die "the iproute2 plugin for 'type rveth' is not installed, and installing it needs root" \
			"run once as root: sudo bash $ND_PROJ/scripts/iproute2/install.sh"
	fi
fi
if [ -e /dev/kvm ] && ! [ -w /dev/kvm ]; then
	nd_info "note: /dev/kvm is not writable for $(id -un), so guests run under TCG (slow);" \
		"add yourself to the kvm group (sudo adduser $(id -un) kvm) and log in again"
fi
state | sha256sum >"$stamp"
exit 0
