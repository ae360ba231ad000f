#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make fuzz`: libFuzzer (cargo fuzz) over the pure parsers the kernel code uses:
# `headers` (net/hdr.rs), `rules` (rfilter's rule language) and `spec` (rxdp's command
# language). FUZZ_SECONDS per target (default 60); `make test` runs each for a few
# seconds. Prints KTAP (scripts/ktap.sh), a line "fuzz <target> ..." per target;
# the corpus is kept in the cache, so each run starts where the last one stopped.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
secs=${FUZZ_SECONDS:-60}
case $secs in '' | *[!0-9]*) nd_die "FUZZ_SECONDS wants a number of seconds, got '$secs'" ;; esac
if [ ! -x "$ND_TOOLS/bin/cargo-fuzz" ]; then
	nd_stage "cargo install cargo-fuzz (once, about 1 minute)"
	mkdir -p "$ND_TOOLS"
	cargo install -q --locked --root "$ND_TOOLS" cargo-fuzz >"$ND_TOOLS/cargo-fuzz.log" 2>&1 ||
		{ tail -20 "$ND_TOOLS/cargo-fuzz.log" >&2; nd_die "installing cargo-fuzz failed"; }
fi
cd "$ND_PROJ/rust/host" || exit 1
# cargo fuzz wants nightly flags (-Zsanitizer); the stable toolchain accepts them with
# RUSTC_BOOTSTRAP, and ships the sanitizer runtime.
export RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$ND_CACHE/fuzz-target
failed=0 n=0
targets=(headers rules spec query rsock)
echo "KTAP version 1"
ktap_plan ${#targets[@]}
for t in "${targets[@]}"; do
	n=$((n + 1))
	nd_stage "fuzzing $t for ${secs}s"
	mkdir -p "$ND_CACHE/fuzz-corpus/$t"
	log=$ND_CACHE/fuzz-$t.log
	"$ND_TOOLS/bin/cargo-fuzz" run --fuzz-dir fuzz "$t" "$ND_CACHE/fuzz-corpus/$t" -- \
		-max_total_time="$secs" -max_len=512 >"$log" 2>&1
	rc=$?
	grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)|ERROR|panicked|SUMMARY' "$log" | sed 's/^/# /'
	runs=$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$log" | tail -n 1)
	if [ $rc = 0 ] && [ -n "$runs" ]; then
		ktap_ok $n "fuzz $t ($runs inputs in ${secs}s)"
	else
		ktap_not_ok $n "fuzz $t (exit $rc; log: $log)"
		tail -n 5 "$log" | sed 's/^/# /'
		failed=1
	fi
done
exit $failed
