#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make profile`: the bench's cases under QEMU's tbcount plugin (qemu/tcgprof), one
# round each, then per-function instruction and block counts per packet (or per MB),
# ours against the C reference, for every ratio the bench prints. Under TCG that is
# where the time goes: perf in the guest samples the idle loop, not the code.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
nd_setup_vars
flavour=${1:-lab}
B=$(nd_build_dir "$flavour")
out=$(nd_runs_dir "$flavour")/profile-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out/tcgprof" "$ND_TOOLS"

so=$ND_TOOLS/tbcount.so
src=$ND_PROJ/qemu/tcgprof/tbcount.c
if [ ! -f "$so" ] || [ "$src" -nt "$so" ]; then
	command -v cc >/dev/null || nd_die "no C compiler (cc) to build the profiling plugin" "make setup installs it"
	cc -shared -fPIC -O2 -Wall -o "$so" "$src" || nd_die "the tbcount plugin did not build"
fi
# The window mark: the handler of /proc/sys/kernel/hostname (qemu/guest/tcgprof.sh).
mark=$(awk '$3 == "proc_do_uts_string" {print $1}' "$B/System.map")
[ -n "$mark" ] || nd_die "no proc_do_uts_string in $B/System.map"

nd_stage "profile of the bench's cases under TCG (results: $out)"
export ND_BENCH_OUT=$out ND_BENCH_PROFILE=1
export ND_BENCH_ROUNDS=${ND_BENCH_ROUNDS:-1} ND_BENCH_COUNT=${ND_BENCH_COUNT:-50000}
export ND_BENCH_STREAM_SECONDS=${ND_BENCH_STREAM_SECONDS:-2}
bash "$ND_PROJ/qemu/run.sh" --kernel "$flavour" --out "$out" --timeout 3600 \
	--plugin "$so,out=$out/tcgprof,mark=$mark" -- "bash $ND_PROJ/qemu/guest/bench.sh" ||
	nd_die "the profiled bench failed (console: $out/console.log)"
python3 "$ND_PROJ/qemu/tcgprof/report.py" "$out/tcgprof" --system-map "$B/System.map" \
	${ND_PROFILE_CASE:+--case "$ND_PROFILE_CASE"} | tee "$out/profile.txt" ||
	nd_die "the report failed (windows: $out/tcgprof)"
echo "profile: $out/profile.txt (one case: python3 qemu/tcgprof/report.py $out/tcgprof --system-map $B/System.map --case link-60/rveth)"
