#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host-side unit tests of netdive's pure logic (header parsing): the same source files
# the kernel crate compiles, built by cargo on the host.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v cargo >/dev/null || nd_die "cargo not found" "apt-get install cargo-web (or use rustup's)"
cd "$ND_PROJ/rust/host"
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ND_CACHE/host-target} cargo test --offline --quiet 2>&1
