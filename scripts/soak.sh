#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make soak [SOAK_MIN=N]`: N minutes (default 10) of stress on the debug kernel, in
# cycles (qemu/guest/soak.sh says what each does). Prints a line per cycle and a summary
# ("soak: C cycles ..., S splat(s), L new kmemleak object(s), balances: ..."); fails on
# any splat, leak or failed cycle.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
nd_setup_vars
minutes=${ND_SOAK_MIN:-}
minutes=${minutes:-10}
case $minutes in *[!0-9]* | 0) nd_die "SOAK_MIN wants a whole number of minutes (1 or more), got '$minutes'" ;; esac
flavour=${ND_SOAK_KERNEL:-test}
# Built as make test builds it (with clippy), so one build serves both.
bash "$ND_PROJ/scripts/build.sh" "$flavour" CLIPPY=1 || nd_die "cannot soak: the $flavour kernel did not build"
out=$(nd_runs_dir "$flavour")/soak-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
nd_stage "soak for $minutes minute(s) on the $flavour kernel (output: $out)"
# The guest's own clock decides when to stop; the timeout only catches a hung guest.
bash "$ND_PROJ/qemu/run.sh" --kernel "$flavour" --out "$out" --timeout $((minutes * 60 + 900)) \
	-- "ND_SOAK_MIN=$minutes bash $ND_PROJ/qemu/guest/soak.sh" | tee "$out/soak.txt"
rc=${PIPESTATUS[0]}
splat=$(paste -sd'|' "$ND_PROJ/qemu/guest/splat-patterns")
if ! grep -q '^soak: [0-9]* cycles' "$out/soak.txt"; then
	echo "soak: the guest stopped before the summary (exit $rc); see $out/console.log"
	grep -E -A20 "$splat" "$out/console.log" | head -40 | sed 's/^/# /'
	exit 1
fi
exit "$rc"
