#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: boot the lab kernel once and run the benchmarks there, so Rust and the
# kernel's C reference are measured side by side under the same conditions.
# Results: a table on stdout, JSON under the build directory, and one line per
# comparison: "ratio: <ours>/<reference> <value>" (throughput, higher is better).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
nd_setup_vars
flavour=${1:-lab}
out=$(nd_runs_dir "$flavour")/bench-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
nd_stage "benchmarks in the $flavour kernel (results: $out)"
export ND_BENCH_OUT=$out
bash "$ND_PROJ/qemu/run.sh" --kernel "$flavour" --out "$out" --timeout 1800 \
	-- "bash $ND_PROJ/qemu/guest/bench.sh"
