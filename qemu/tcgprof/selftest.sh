#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Checks of `make profile`'s two halves, on the host, in seconds (part of `make test`):
# the plugin builds, the installed QEMU loads it, it refuses a bad argument and writes
# its last window at exit; the report maps blocks to functions (a module's symbols per
# window, as modules move), skips windows before the first mark and divides by the
# window's work. Prints KTAP (scripts/ktap.sh): two results, "tcgprof: ...".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
. "$here/../../scripts/ktap.sh"
n=0
pass() { ktap_ok $((n += 1)) "tcgprof: $1"; }
fail() { ktap_not_ok $((n += 1)) "tcgprof: $1"; }
ktap_plan 2

if ! cc -shared -fPIC -O2 -Wall -Werror -o "$t/tbcount.so" "$here/tbcount.c" 2>"$t/cc.log"; then
	fail "the plugin does not build: $(head -3 "$t/cc.log")"
else
	mkdir -p "$t/w"
	qemu=(qemu-system-x86_64 -M none -accel tcg -display none -nodefaults)
	timeout -s TERM 3 "${qemu[@]}" -plugin "$t/tbcount.so,out=$t/w" >/dev/null 2>&1
	bad=$(timeout -s TERM 3 "${qemu[@]}" -plugin "$t/tbcount.so,bogus=1" 2>&1)
	brc=$?
	if [ ! -f "$t/w/window.exit" ]; then
		fail "QEMU ran with the plugin but no window.exit was written"
	elif [ "$brc" = 124 ] || [[ $bad != *"unknown argument 'bogus=1'"* ]]; then
		fail "a bad plugin argument was not refused (exit $brc: $bad)"
	else
		pass "QEMU $(qemu-system-x86_64 --version | sed -n 's/.*version \([0-9.]*\).*/\1/p') loads the plugin, which refuses a bad argument and writes its last window"
	fi
fi

# A profile made by hand: two kernel functions, a module loaded at one address for the
# first case and at another for the second, one window before the first mark; lines
# with memory and locked counts, and without (both are read).
d=$t/p
mkdir -p "$d"
printf '%s\n' 'ffffffff81000000 T fn_a' 'ffffffff81000100 T fn_b' 'ffffffff81000200 t fn_c' >"$t/System.map"
printf '%s\n' '- 1 window' 'case/x 10 packet' '- 1 window' 'case/y 5 packet' >"$d/marks"
echo 'ffffffff81000010 100 99' >"$d/window.0"
echo 'ffffffff81000010 100 99' >"$d/window.1"
printf '%s\n' 'ffffffff81000010 4 10 30 0' 'ffffffffa0000008 3 20 40 20' >"$d/window.2"
echo 'ffffffff81000110 100 99' >"$d/window.3"
printf '%s\n' 'ffffffff81000104 10 5' 'ffffffffa0001004 2 5' >"$d/window.4"
echo 'ffffffff81000010 100 99' >"$d/window.exit"
echo 'ffffffffa0000000 t mod_fn	[mod]' >"$d/kallsyms.1"
echo 'ffffffffa0001000 t mod_fn	[mod]' >"$d/kallsyms.3"
r=$(python3 "$here/report.py" "$d" --system-map "$t/System.map" --case case/x --case case/y 2>&1)
all=$(python3 "$here/report.py" "$d" --system-map "$t/System.map" 2>&1)
arc=$?
want_x='== case/x: 10 instructions, 3.0 blocks, 7.0 memory accesses, 2.00 locked per packet (10 packets)'
want_y='== case/y: 12 instructions, 2.0 blocks, 0.0 memory accesses, 0.00 locked per packet (5 packets)'
if [[ $r == *"$want_x"* ]] && [[ $r == *"$want_y"* ]] &&
	echo "$r" | grep -Eq '^ +6\.0 +2\.00 +4\.0 +2\.00 +mod_fn \[mod\]$' &&
	echo "$r" | grep -Eq '^ +2\.0 +1\.00 +0\.0 +0\.00 +mod_fn \[mod\]$' &&
	echo "$r" | grep -Eq '^ +10\.0 +1\.00 +0\.0 +0\.00 +fn_b$' &&
	[ "$arc" = 0 ] && echo "$all" | grep -Eq '^  case/x +10 insns +3\.0 blocks +7\.0 mem +2\.00 locked per packet$'; then
	pass "the report sums blocks per function and per packet, with each window's module symbols"
else
	fail "the report of a hand-made profile is wrong:"
	echo "$r" "$all" | sed 's/^/# /'
fi
