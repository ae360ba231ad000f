#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make doctor`: check every piece the lab needs; say what is missing and how to get it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

bad=0
ok() { printf '  ok    %-26s %s\n' "$1" "$2"; }
no() { printf '  MISSING %-24s %s\n' "$1" "$2"; bad=$((bad + 1)); }
pkg() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }

echo "netdive doctor: $(. /etc/os-release; echo "$PRETTY_NAME"), $(nproc) CPUs, $(free -g | awk '/Mem/ {print $2}') GiB"
v=$(pkg linux-source-6.12) && [ -f "$ND_KSRC_TARBALL" ] && ok "kernel source" "linux-source-6.12 $v" ||
	no "kernel source" "apt-get install linux-source-6.12"
v=$(/usr/bin/rustc --version 2>/dev/null) && ok "rustc (Debian)" "$v" ||
	no "rustc (Debian)" "apt-get install rustc-web libstd-rust-web-dev"
[ -e /usr/lib/rustlib/src/rust/library/core/src/lib.rs ] && ok "Rust library source" "/usr/lib/rustlib/src/rust" ||
	no "Rust library source" "apt-get install rust-web-src"
for t in clippy-driver rustfmt; do
	[ -x /usr/bin/$t ] && ok "$t" "/usr/bin/$t" || no "$t" "apt-get install rust-web-clippy rustfmt-web"
done
v=$("$ND_TOOLS/bin/bindgen" --version 2>/dev/null) && ok "bindgen" "$v ($ND_TOOLS/bin)" ||
	no "bindgen" "cargo install --locked --root $ND_TOOLS bindgen-cli --version $ND_BINDGEN_VERSION (make setup does it)"
for t in clang-19 ld.lld-19 llvm-ar-19; do
	command -v $t >/dev/null && ok "$t" "$(command -v $t)" || no "$t" "apt-get install clang-19 lld-19 llvm-19"
done
[ -e /usr/lib/llvm-19/lib/libclang.so ] || [ -n "$(ls /usr/lib/llvm-19/lib/libclang-19.so* 2>/dev/null)" ] &&
	ok "libclang 19" "/usr/lib/llvm-19/lib" || no "libclang 19" "apt-get install libclang-19-dev"
for t in flex bison bc make cpio depmod; do
	command -v $t >/dev/null && ok "$t" "" || no "$t" "apt-get install flex bison bc make cpio kmod"
done
command -v qemu-system-x86_64 >/dev/null && ok "qemu" "$(qemu-system-x86_64 --version | head -1)" ||
	no "qemu" "apt-get install qemu-system-x86"
[ -x /bin/busybox ] && ok "busybox" "/bin/busybox (guest poweroff)" || no "busybox" "apt-get install busybox-static"
for t in ip ethtool tcpdump nft ping bpftool python3; do
	command -v $t >/dev/null && ok "guest tool $t" "$(command -v $t)" ||
		no "guest tool $t" "apt-get install iproute2 ethtool tcpdump nftables iputils-ping bpftool python3"
done
plugdir=$(strings "$(command -v ip)" 2>/dev/null | grep -m1 -E '^/usr/lib.*/ip$')
plugdir=${IP_LIB_DIR:-${plugdir:-/usr/lib/ip}}
[ -f "$plugdir/link_rveth.so" ] && ok "iproute2 rveth plugin" "$plugdir/link_rveth.so" ||
	no "iproute2 rveth plugin" "bash scripts/iproute2/install.sh (make setup does it); without it 'type rveth peer ...' fails"
if [ -e /dev/kvm ]; then
	probe=$ND_CACHE/kvm-probe
	if [ -f "$probe" ]; then ok "accelerator" "$(tail -1 "$probe") (probed by the last boot)"
	else ok "accelerator" "/dev/kvm exists; the first boot probes whether it runs a guest, else TCG"; fi
else
	ok "accelerator" "no /dev/kvm: TCG (software emulation), about 50x slower than bare metal"
fi
avail=$(df -Pk "$(dirname "$ND_CACHE")" 2>/dev/null | awk 'NR==2 {print int($4/1048576)}')
[ "${avail:-0}" -ge 8 ] && ok "disk" "${avail} GiB free for $ND_CACHE" ||
	no "disk" "${avail:-?} GiB free; the source and two kernel builds need about 8 GiB"

if [ -n "$(nd_kver)" ] && [ -x /usr/bin/rustc ] && [ -x "$ND_TOOLS/bin/bindgen" ]; then
	nd_setup_vars
	if [ -f "$ND_KSRC/Makefile" ]; then
		r=$(make -s -C "$ND_KSRC" "${ND_MAKEVARS[@]}" rustavailable 2>&1 | tail -1)
		[[ $r == *"Rust is available"* ]] && ok "make rustavailable" "$r" || no "make rustavailable" "$r"
	fi
	for f in lab test; do
		b=$(nd_build_dir $f)
		[ -f "$b/arch/x86/boot/bzImage" ] && ok "$f kernel" "$b" || ok "$f kernel" "not built yet (make lab / make test build it)"
	done
fi
if [ $bad = 0 ]; then
	echo "doctor: everything is in place."
else
	echo "doctor: $bad missing piece(s); 'make setup' (as root) installs them all."
	exit 1
fi
