#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build a lab kernel and our Rust modules: scripts/build.sh lab|test [VAR=value...]
#
#   1. unpack Debian's linux-source-6.12 once into $ND_CACHE/src
#   2. lay our rust/ and samples/ into that tree as symlinks (an edit here is an
#      edit there, so kbuild rebuilds just what changed)
#   3. configure: tinyconfig + kvm_guest.config + qemu/lab.config [+ qemu/test.config]
#   4. build bzImage and modules in $ND_CACHE/build/<key>/<flavour> (O=), install
#      the modules for the guest's /lib/modules
set -euo pipefail
. "$(dirname "$0")/lib.sh"
nd_setup_vars

flavour=${1:-lab}
shift || true
case $flavour in lab | test) ;; *) nd_die "unknown kernel flavour '$flavour' (want lab or test)" ;; esac
B=$(nd_build_dir "$flavour")
MODS=$(nd_mods_dir "$flavour")

# --- 1. the source tree ---------------------------------------------------------
unpack_source() {
	[ -f "$ND_KSRC/Makefile" ] && return
	[ -f "$ND_KSRC_TARBALL" ] || nd_die "$ND_KSRC_TARBALL not found" "run: make doctor"
	nd_stage "unpacking $ND_KSRC_TARBALL (about 30 s)"
	local tmp=$ND_CACHE/src/.unpack.$$
	rm -rf "$tmp" && mkdir -p "$tmp"
	tar -C "$tmp" -xf "$ND_KSRC_TARBALL" || nd_die "unpacking the kernel source failed"
	mv "$tmp"/linux-source-6.12 "$ND_KSRC" && rmdir "$tmp"
}

# --- 2. our files in the tree -------------------------------------------------------
# Every file under our rust/ appears at the same path in the tree. A file that the
# tree already has (rust/kernel/net.rs) is kept as <file>.orig, once.
link_file() {
	local src=$1 dst=$2
	if [ -e "$dst" ] && [ ! -L "$dst" ]; then mv "$dst" "$dst.orig"; fi
	ln -sfn "$src" "$dst"
}

# Append a line to a tree file once, before an anchor line if one is given.
add_line_once() {
	local file=$1 line=$2 anchor=${3:-}
	grep -qxF "$line" "$file" && return
	if [ -n "$anchor" ]; then
		sed -i "/^${anchor}\$/i ${line}" "$file"
	else
		printf '%s\n' "$line" >>"$file"
	fi
}

lay_project_into_tree() {
	local f rel
	# Links into a clone that is gone, or into another clone, or to a file this clone no
	# longer has, are removed; the others are (re)pointed here below.
	local l
	while IFS= read -r l; do
		case $(readlink "$l") in
		"$ND_PROJ"/*) [ -e "$l" ] || rm -f "$l" ;;
		*) rm -f "$l" ;;
		esac
	done < <(find "$ND_KSRC/rust" -type l -lname '*/rust/*' 2>/dev/null)
	while IFS= read -r f; do
		rel=${f#"$ND_PROJ"/}
		mkdir -p "$ND_KSRC/$(dirname "$rel")"
		link_file "$f" "$ND_KSRC/$rel"
	done < <(find "$ND_PROJ/rust" -type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' \) \
		-not -path '*/target/*' -not -path "$ND_PROJ/rust/host/*" -not -path "$ND_PROJ/rust/compile-fail/*")
	for f in "$ND_PROJ"/rust/helpers/netdive_*.c; do
		[ -e "$f" ] && add_line_once "$ND_KSRC/rust/helpers/helpers.c" "#include \"$(basename "$f")\""
	done
	# Helper files this clone no longer has: their #include goes too.
	local inc
	while IFS= read -r inc; do
		[ -e "$ND_PROJ/rust/helpers/$inc" ] || sed -i "/^#include \"${inc}\"\$/d" "$ND_KSRC/rust/helpers/helpers.c"
	done < <(sed -n 's/^#include "\(netdive_[a-z0-9_]*\.c\)"$/\1/p' "$ND_KSRC/rust/helpers/helpers.c")
	add_line_once "$ND_KSRC/rust/bindings/bindings_helper.h" '#include "netdive_bindings.h"'
	add_line_once "$ND_KSRC/rust/kernel/sync.rs" 'pub mod rcu;'
	ln -sfn "$ND_PROJ/samples" "$ND_KSRC/samples/netdive"
	add_line_once "$ND_KSRC/samples/Kconfig" 'source "samples/netdive/Kconfig"' 'endif # SAMPLES'
	add_line_once "$ND_KSRC/samples/Makefile" 'obj-$(CONFIG_SAMPLES_NETDIVE) += netdive/'
}

# --- 3. configuration --------------------------------------------------------------------
fragments() {
	echo "$ND_KSRC/kernel/configs/kvm_guest.config"
	echo "$ND_PROJ/qemu/lab.config"
	[ "$flavour" = test ] && echo "$ND_PROJ/qemu/test.config"
	return 0
}

configure() {
	local stamp=$B/.netdive-config-stamp want
	want=$(cat $(fragments) "$ND_PROJ/samples/Kconfig" | sha256sum | cut -d' ' -f1)
	[ -f "$B/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return
	nd_stage "configuring the $flavour kernel (tinyconfig + fragments)"
	mkdir -p "$B"
	make -s -C "$ND_KSRC" O="$B" "${ND_MAKEVARS[@]}" tinyconfig >"$B/config.log" 2>&1 ||
		{ tail -20 "$B/config.log" >&2; nd_die "make tinyconfig failed"; }
	(cd "$ND_KSRC" && ARCH=x86 scripts/kconfig/merge_config.sh -m -O "$B" "$B/.config" $(fragments)) \
		>>"$B/config.log" 2>&1 || nd_die "merge_config.sh failed (log: $B/config.log)"
	make -s -C "$ND_KSRC" O="$B" "${ND_MAKEVARS[@]}" olddefconfig >>"$B/config.log" 2>&1 ||
		{ tail -20 "$B/config.log" >&2; nd_die "make olddefconfig failed"; }
	# Kconfig drops a symbol whose dependencies are not met without a word; say which.
	local lost=() line
	while IFS= read -r line; do
		grep -qxF "$line" "$B/.config" || lost+=("$line")
	done < <(cat $(fragments | grep "^$ND_PROJ/") | grep -E '^CONFIG_[A-Z0-9_]+=[ym]$')
	if ((${#lost[@]})); then
		if printf '%s\n' "${lost[@]}" | grep -q '^CONFIG_RUST='; then
			make -s -C "$ND_KSRC" O="$B" "${ND_MAKEVARS[@]}" rustavailable >&2 || true
		fi
		nd_die "the kernel configuration dropped: ${lost[*]}" \
			"(a dependency is not met; see $B/config.log and 'make doctor')"
	fi
	echo "$want" >"$stamp"
}

# --- 4. build --------------------------------------------------------------------------
# Kernel make output goes to a log; the terminal gets one progress line every 20 s.
run_make() {
	local what=$1 log=$B/build.log
	shift
	nd_stage "building the $flavour kernel: $what (log: $log)"
	make -C "$ND_KSRC" O="$B" "${ND_MAKEVARS[@]}" -j"$ND_JOBS" "$@" >"$log" 2>&1 &
	local pid=$! n=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		n=$((n + 1))
		if ((n % 20 == 0)); then
			nd_info "[$(nd_elapsed)] $(grep -cE '^\s+(CC|RUSTC|LD|AR|AS)' "$log") steps, last: $(grep -E '^\s+[A-Z]+' "$log" | tail -1 | sed 's/^ *//')"
		fi
	done
	if ! wait "$pid"; then
		echo "----- last errors from $log -----" >&2
		{ grep -nE 'error|Error|warning:' "$log" | tail -30; tail -15 "$log"; } >&2
		nd_die "the $flavour kernel build failed" "full log: $log"
	fi
	# Warnings in our code are errors here (the kernel's own are not ours to fix).
	local ours
	ours=$(cd "$ND_PROJ" && find rust samples -type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' \) |
		sed 's/[.]/[.]/g; s#^samples/#samples/netdive/#' | paste -sd'|')
	if grep -E '(warning|error)(\[[A-Za-z0-9_:]+\])?:' -A4 "$log" | grep -qE "$ours"; then
		grep -E '(warning|error)(\[[A-Za-z0-9_:]+\])?:' -A8 "$log" | grep -B3 -A8 -E "$ours" | head -60 >&2
		# The objects were built all the same: remove them, or the next make would find
		# them up to date and pass without showing the warnings again.
		rm -f "$B"/rust/kernel.o "$B"/rust/helpers/helpers.o "$B"/samples/netdive/*.o
		nd_die "warnings in netdive code (see above; log: $log)"
	fi
}

install_modules() {
	rm -rf "$MODS.new"
	make -s -C "$ND_KSRC" O="$B" "${ND_MAKEVARS[@]}" INSTALL_MOD_PATH="$MODS.new" \
		INSTALL_MOD_STRIP=1 modules_install >"$B/modules_install.log" 2>&1 ||
		{ tail -20 "$B/modules_install.log" >&2; nd_die "modules_install failed"; }
	rm -rf "$MODS" && mv "$MODS.new" "$MODS"
	nd_info "modules for the guest: $MODS/lib/modules/$(cat "$B/include/config/kernel.release")"
}

# The lesson-5 eBPF XDP programs (samples/xdp/*.bpf.c), compiled with clang -target bpf
# and installed beside the modules: /lib/modules/$(uname -r)/xdp/<name>.o in the guest.
build_bpf_samples() {
	local src out=$B/netdive-xdp obj inc=/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
	mkdir -p "$out"
	for src in "$ND_PROJ"/samples/xdp/*.bpf.c; do
		[ -e "$src" ] || continue
		obj=$out/$(basename "$src" .bpf.c).o
		if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ "$ND_PROJ/samples/xdp/parse.h" -nt "$obj" ]; then
			clang-19 -O2 -g -Wall -Werror -target bpf -I"$inc" -c "$src" -o "$obj" 2>"$out/clang.log" ||
				{ cat "$out/clang.log" >&2; nd_die "compiling the XDP program $src failed"; }
		fi
	done
	local dest
	dest=$MODS/lib/modules/$(cat "$B/include/config/kernel.release")/xdp
	mkdir -p "$dest" && cp "$out"/*.o "$dest"/
	nd_info "XDP programs for the guest: /lib/modules/$(cat "$B/include/config/kernel.release")/xdp/"
}

unpack_source
lay_project_into_tree
configure
# Extra arguments are make variables (CLIPPY=1, W=1, ...).
run_make "bzImage modules${*:+ $*}" "$@" bzImage modules
install_modules
build_bpf_samples
nd_stage "$flavour kernel ready: $B/arch/x86/boot/bzImage"
