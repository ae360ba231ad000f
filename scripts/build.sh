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
# The debug kernel is always built with clippy (make test's build), so make test, make
# soak and make run KERNEL=test share one build instead of rebuilding for the flag.
if [ "$flavour" = test ] && [[ " $* " != *" CLIPPY=1 "* ]]; then set -- "$@" CLIPPY=1; fi
B=$(nd_build_dir "$flavour")
MODS=$(nd_mods_dir "$flavour")
mkdir -p "$ND_BUILDROOT"

# One build at a time, of either flavour: the lab and test kernels are built from one
# source tree, into which each build lays the checkout's files (a build beside another
# once found a helper's symlink gone mid-compile). A second build waits for the first.
exec 9>"$ND_BUILDROOT/.build.lock"
if ! flock -n 9; then
	nd_info "waiting for another kernel build (lock: $ND_BUILDROOT/.build.lock)"
	flock 9
fi

# --- 0. nothing changed, nothing to do ----------------------------------------------
# What a build depends on besides the kernel source: our files (names and times) and
# the arguments. Recorded after each successful build; equal means the kernel, the
# modules and the XDP programs in the cache are current, and kbuild need not spend ten
# seconds finding that out.
inputs_id() {
	{
		echo "$flavour $* $ND_KPKG $ND_TOOLCHAIN_ID"
		find "$ND_PROJ/rust" "$ND_PROJ/samples" "$ND_PROJ/qemu/lab.config" "$ND_PROJ/qemu/test.config" \
			"$ND_PROJ/scripts/build.sh" "$ND_PROJ/scripts/lib.sh" \
			-path "$ND_PROJ/rust/host" -prune -o -path "$ND_PROJ/rust/compile-fail" -prune -o \
			-type f -printf '%p %T@ %s\n' | sort
	} | sha256sum | cut -d' ' -f1
}
INPUTS=$(inputs_id "$@")
# The source tree is shared by every checkout that uses this cache: it must still point
# at this one (another clone's build lays its own files in), or the steps below run.
if [ "$(cat "$B/.netdive-inputs" 2>/dev/null)" = "$INPUTS" ] && [ -f "$B/arch/x86/boot/bzImage" ] &&
	[ -d "$MODS/lib/modules" ] && [ "$(readlink "$ND_KSRC/samples/netdive")" = "$ND_PROJ/samples" ]; then
	nd_stage "$flavour kernel up to date: $B/arch/x86/boot/bzImage"
	exit 0
fi
rm -f "$B/.netdive-inputs"

# Build trees of this flavour under other keys (an older kernel package or toolchain)
# are never used again: remove them.
for old in "$ND_BUILDROOT/$flavour"-*; do
	[ -d "$old" ] && [ ! -L "$old" ] && [ "$old" != "$(dirname "$B")" ] || continue
	nd_info "removing an old build tree: $old"
	rm -rf "$old"
done

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
	add_line_once "$ND_KSRC/rust/kernel/sync.rs" 'pub mod arc_list;'
	add_line_once "$ND_KSRC/rust/kernel/sync.rs" 'pub mod sleep;'
	add_line_once "$ND_KSRC/rust/kernel/sync.rs" 'pub mod spinlock_irq;'
	add_line_once "$ND_KSRC/rust/kernel/lib.rs" 'pub mod kthread;'
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
	# A later fragment overrides an earlier one (test.config turns off what lab.config
	# turns on), so each symbol is checked against its last setting.
	local lost=() line sym
	local -A want_of=()
	while IFS= read -r line; do
		sym=${line#\# }
		sym=${sym%%[= ]*}
		want_of[$sym]=$line
	done < <(cat $(fragments | grep "^$ND_PROJ/") | grep -E '^(CONFIG_[A-Z0-9_]+=[ym]|# CONFIG_[A-Z0-9_]+ is not set)$')
	for line in "${want_of[@]}"; do
		case $line in CONFIG_*) grep -qxF "$line" "$B/.config" || lost+=("$line") ;; esac
	done
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
# It runs in a session of its own, so that Ctrl-C (or any end of this script) stops the
# whole of kbuild, not only this script: a background job would otherwise ignore SIGINT.
MAKE_PID=
stop_make() {
	[ -n "$MAKE_PID" ] && kill -TERM -- "-$MAKE_PID" 2>/dev/null
	MAKE_PID=
}
trap 'stop_make; echo "netdive: build interrupted" >&2; exit 130' INT TERM HUP
trap stop_make EXIT
run_make() {
	local what=$1 log=$B/build.log
	shift
	nd_stage "building the $flavour kernel: $what (log: $log)"
	setsid make -C "$ND_KSRC" O="$B" "${ND_MAKEVARS[@]}" -j"$ND_JOBS" "$@" >"$log" 2>&1 &
	local pid=$! n=0
	MAKE_PID=$pid
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		n=$((n + 1))
		if ((n % 20 == 0)); then
			nd_info "[$(nd_elapsed)] $(grep -cE '^\s+(CC|RUSTC|LD|AR|AS)' "$log") steps, last: $(grep -E '^\s+[A-Z]+' "$log" | tail -1 | sed 's/^ *//')"
		fi
	done
	local rc=0
	wait "$pid" || rc=$?
	MAKE_PID=
	if [ "$rc" != 0 ]; then
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

# The guest's /lib/modules is a bind mount of $MODS: a running guest must not have it
# replaced under it. Runs hold the flavour's run lock shared (qemu/run.sh); the swap
# takes it exclusively, and only when a module changed.
install_modules() {
	local stamp=$MODS/.netdive-installed
	if [ -f "$stamp" ] && [ -z "$(find "$B" -name '*.ko' -newer "$stamp" -print -quit)" ] &&
		[ "$B/modules.order" -ot "$stamp" ]; then
		nd_info "modules for the guest: unchanged"
		return
	fi
	rm -rf "$MODS.new"
	make -s -C "$ND_KSRC" O="$B" "${ND_MAKEVARS[@]}" INSTALL_MOD_PATH="$MODS.new" \
		INSTALL_MOD_STRIP=1 modules_install >"$B/modules_install.log" 2>&1 ||
		{ tail -20 "$B/modules_install.log" >&2; nd_die "modules_install failed"; }
	[ -d "$MODS/lib/modules" ] && cp -a "$MODS"/lib/modules/*/xdp "$MODS.new"/lib/modules/*/ 2>/dev/null
	exec 8>"$ND_BUILDROOT/.run-$flavour.lock"
	if ! flock -n 8; then
		nd_info "waiting for the running $flavour guest(s) to finish before replacing their modules"
		flock 8
	fi
	rm -rf "$MODS" && mv "$MODS.new" "$MODS"
	touch "$MODS/.netdive-installed"
	exec 8>&-
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
echo "$INPUTS" >"$B/.netdive-inputs"
nd_stage "$flavour kernel ready: $B/arch/x86/boot/bzImage"
