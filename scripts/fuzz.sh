#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make fuzz`: libFuzzer (cargo fuzz) over the pure parsers the kernel code uses:
# `headers` (net/hdr.rs) and `rules` (rfilter's rule language). FUZZ_SECONDS per target.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
secs=${FUZZ_SECONDS:-60}
case $secs in '' | *[!0-9]*) nd_die "FUZZ_SECONDS wants a number of seconds, got '$secs'" ;; esac
if [ ! -x "$ND_TOOLS/bin/cargo-fuzz" ]; then
	nd_stage "cargo install cargo-fuzz (once, about 1 minute)"
	cargo install -q --locked --root "$ND_TOOLS" cargo-fuzz >"$ND_TOOLS/cargo-fuzz.log" 2>&1 ||
		{ tail -20 "$ND_TOOLS/cargo-fuzz.log" >&2; nd_die "installing cargo-fuzz failed"; }
fi
cd "$ND_PROJ/rust/host"
# cargo fuzz wants nightly flags (-Zsanitizer); the stable toolchain accepts them with
# RUSTC_BOOTSTRAP, and ships the sanitizer runtime.
export RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$ND_CACHE/fuzz-target
for t in headers rules; do
	nd_stage "fuzzing $t for ${secs}s"
	mkdir -p "$ND_CACHE/fuzz-corpus/$t"
	"$ND_TOOLS/bin/cargo-fuzz" run --fuzz-dir fuzz "$t" "$ND_CACHE/fuzz-corpus/$t" -- \
		-max_total_time="$secs" -max_len=512 2>&1 | grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)|ERROR|panicked|SUMMARY' || true
	[ "${PIPESTATUS[0]}" = 0 ] || nd_die "fuzz target $t failed (see above)"
done
