#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The compile-fail check (part of `make test`): each rust/compile-fail/NN-*.rs misuses the
# kernel-crate abstractions in a way that would be undefined behaviour in C (an RCU
# reference kept past its section, a poll-only call from the transmit path, a write to a
# borrowed packet, ...), and must not build, for the reason its `// expect:` lines give:
# an error code (`E0597`) and a phrase of the message, reported at the snippet's own line,
# and no other error code (so a typo cannot stand in for the misuse).
# 00-control.rs uses the same APIs correctly and must build, so a broken harness cannot
# pass for a working type system. Each snippet is built as an external module against
# the given kernel's build (`make M=`), wrapped in a module that includes it.
#
#   scripts/compile-fail.sh [lab|test]     (default test)
#
# Prints KTAP lines and "compile-fail: N ok, N not ok"; exit status 1 on any failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
nd_setup_vars

flavour=${1:-test}
B=$(nd_build_dir "$flavour")
[ -f "$B/Module.symvers" ] || nd_die "no $flavour kernel build at $B" "run: make build KERNEL=$flavour"
work=$ND_CACHE/compile-fail/$flavour
mkdir -p "$work"

snippets=("$ND_PROJ"/rust/compile-fail/[0-9]*.rs)
echo "KTAP version 1"
ktap_plan ${#snippets[@]}
n=0 ok=0 bad=0
for f in "${snippets[@]}"; do
	n=$((n + 1))
	name=$(basename "$f" .rs)
	d=$work/$name
	rm -rf "$d" && mkdir -p "$d"
	cp "$f" "$d/snippet.rs"
	cat >"$d/cf.rs" <<'RS'
// SPDX-License-Identifier: GPL-2.0
//! A compile-fail snippet, wrapped in a module (scripts/compile-fail.sh).
use kernel::prelude::*;

module! {
    type: CompileFail,
    name: "compile_fail",
    license: "GPL",
}

struct CompileFail;

impl kernel::Module for CompileFail {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(CompileFail)
    }
}

#[allow(dead_code, unused_imports, unused_variables, clippy::all)]
mod snippet {
    include!("snippet.rs");
}
RS
	echo 'obj-m := cf.o' >"$d/Kbuild"
	out=$(make -C "$ND_KSRC" O="$B" "${ND_MAKEVARS[@]}" M="$d" modules 2>&1)
	rc=$?
	printf '%s\n' "$out" >"$d/build.log"
	mapfile -t expects < <(sed -n 's#^// expect: ##p' "$f")
	why=""
	if [ "${expects[0]:-}" = compiles ]; then
		[ $rc = 0 ] || why="the control did not build: $(grep -m1 -E '^error' "$d/build.log")"
	elif [ $rc = 0 ]; then
		why="it built, but must not"
	elif ! grep -qE -- "--> .*snippet\.rs:" "$d/build.log"; then
		why="it failed, but not at the snippet: $(grep -m1 -E '^error' "$d/build.log")"
	else
		for e in "${expects[@]}"; do
			case $e in
			E[0-9][0-9][0-9][0-9]) grep -qF "error[$e]" "$d/build.log" || why="no error[$e]" ;;
			*) grep -qF -- "$e" "$d/build.log" || why="no '$e' in the errors" ;;
			esac
			[ -n "$why" ] && break
		done
		[ ${#expects[@]} -gt 0 ] || why="no // expect: lines"
		# No other error than the expected one(s): a typo elsewhere cannot pass for it.
		# (Compared in bash: `printf | grep -q` under pipefail fails whenever grep quits at
		# its first match before printf has written the rest, SIGPIPE: a CI run read its
		# expected E0502 as "also error[E0502]" that way.)
		for code in $(grep -oE '^error\[E[0-9]{4}\]' "$d/build.log" | grep -oE 'E[0-9]{4}' | sort -u); do
			found=
			for e in "${expects[@]}"; do [ "$e" = "$code" ] && found=1; done
			[ -n "$found" ] || why="${why:-also error[$code]}"
		done
		other=$(grep -E '^error: ' "$d/build.log" | grep -v '^error: aborting due to' | head -1)
		[ -z "$other" ] || why="${why:-also: $other}"
	fi
	if [ -z "$why" ]; then
		ok=$((ok + 1))
		ktap_ok $n "compile-fail/$name" "${expects[*]}"
	else
		bad=$((bad + 1))
		ktap_not_ok $n "compile-fail/$name" "$why"
		grep -E -A6 '^error' "$d/build.log" | head -20 | sed 's/^/# /'
	fi
done
echo "# compile-fail: $ok ok, $bad not ok"
[ "$bad" = 0 ]
