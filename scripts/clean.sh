#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make clean`: remove the kernel builds and runs (every configuration key), keeping the
# toolchain and the unpacked source. `make distclean` (--all) removes the whole cache.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if [ "${1:-}" = --all ]; then
	echo "removing $ND_CACHE"
	rm -rf "$ND_CACHE"
else
	echo "removing $ND_CACHE/build"
	rm -rf "$ND_CACHE/build"
fi
rm -rf "$ND_PROJ"/rust/host/target
