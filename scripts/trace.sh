#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make trace CMD='ping -c1 -W1 10.9.0.2' [SETUP='bash my-topology.sh'] [NS=name]`: boot
# the lab kernel, build the topology (by default qemu/trace/topology.sh: ns1 and ns2 over
# an rveth pair, and the command runs in ns1), run the command under netdive-trace
# (qemu/trace) and say where the picture is. The lesson: docs/tracing.md.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
nd_setup_vars
flavour=${1:-lab}
if [ -z "${ND_TRACE_CMD:-}" ]; then
	echo "usage: make trace CMD='ping -c1 -W1 10.9.0.2' [SETUP='bash my-topology.sh'] [NS=ns1]" >&2
	exit 2
fi
setup=${ND_TRACE_SETUP:-}
ns=${ND_TRACE_NS:-}
if [ -z "$setup" ]; then
	setup="bash $(printf '%q' "$ND_PROJ/qemu/trace/topology.sh")"
	ns=${ns:-ns1}
fi
out=$(nd_runs_dir "$flavour")/trace-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
nd_stage "netdive-trace in the $flavour kernel (output: $out)"
trace="python3 $(printf '%q' "$ND_PROJ/qemu/trace/netdive-trace") ${ns:+--ns $(printf '%q' "$ns")}"
trace+=" --svg $(printf '%q' "$out/trace.svg") --raw $(printf '%q' "$out/trace.txt")"
trace+=" -- sh -c $(printf '%q' "$ND_TRACE_CMD")"
bash "$ND_PROJ/qemu/run.sh" --kernel "$flavour" --out "$out" --timeout "${TIMEOUT:-900}" \
	-- "{ $setup; } || { echo 'netdive-trace: the set-up failed (above)' >&2; exit 2; }; $trace"
rc=$?
exit $rc
