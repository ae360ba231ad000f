#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A tour of lesson 5 in the guest: `make run CMD='bash docs/examples/rxdp-tour.sh'`.
# An rveth pair across two namespaces; a Rust fast-path program on the receiving end
# drops one UDP flow before the stack sees it, then reflects pings back to the sender.
set -e
say() { printf '\n== %s\n' "$*"; }
ip netns add a && ip netns add b
trap 'ip netns del a; ip netns del b' EXIT
modprobe rxdp
ip link add name rv0 netns a type rveth peer name rv1 netns b
ip -n a addr add 10.5.0.1/24 dev rv0 && ip -n a link set rv0 up
ip -n b addr add 10.5.0.2/24 dev rv1 && ip -n b link set rv1 up
ip netns exec a ping -c 1 -q 10.5.0.2 >/dev/null

say "attach a drop program to rv1 (namespace b)"
ip netns exec b sh -c "echo 'attach rv1 drop proto udp dport 9' > /proc/net/rxdp"
ip netns exec b cat /proc/net/rxdp
noports() { ip netns exec b awk '$1 == "Udp:" && $3 ~ /^[0-9]+$/ {print $3}' /proc/net/snmp; }
before=$(noports)
for i in 1 2 3; do ip netns exec a bash -c 'echo hi >/dev/udp/10.5.0.2/9'; done
sleep 0.5
say "3 datagrams to port 9: dropped in the driver, so UDP never counted them (NoPorts $before -> $(noports))"
ip netns exec b cat /proc/net/rxdp
ip netns exec b ethtool -S rv1 | grep -E 'fp_(pass|drop)'

say "replace it with reflect: rv1 swaps the MACs and sends every frame back (XDP_TX)"
ip netns exec b sh -c "echo 'detach rv1' > /proc/net/rxdp"
ip netns exec b sh -c "echo 'attach rv1 reflect' > /proc/net/rxdp"
ip netns exec a ping -c 2 -W 1 -q 10.5.0.2 || echo "(no answer: b's stack never saw the echo requests)"
ip netns exec b ethtool -S rv1 | grep -E 'fp_tx'
ip -n a -s link show rv0 | sed -n '3,4p'
