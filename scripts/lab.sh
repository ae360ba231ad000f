#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make lab`: boot the lab kernel and run the guided demo; on a terminal, stay in a
# guest shell afterwards ('exit' powers the guest off).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
demo="bash $ND_PROJ/qemu/guest/demo.sh"
if [ -t 0 ] && [ -t 1 ]; then
	exec bash "$ND_PROJ/qemu/run.sh" --kernel lab --shell -- "$demo"
else
	exec bash "$ND_PROJ/qemu/run.sh" --kernel lab --timeout 600 -- "$demo"
fi
