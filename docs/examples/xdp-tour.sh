#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A tour of lesson 5b in the guest: `make run CMD='bash docs/examples/xdp-tour.sh'`.
# Real eBPF programs (samples/xdp) attached to rveth in native mode: drop one UDP flow in
# the driver, reflect frames with XDP_TX, redirect through a devmap to another rveth.
set -e
say() { printf '\n== %s\n' "$*"; }
P=/lib/modules/$(uname -r)/xdp
ip netns add a && ip netns add b
trap 'ip netns del a; ip netns del b' EXIT
ip link add name rv0 netns a type rveth peer name rv1 netns b
ip -n a addr add 10.5.0.1/24 dev rv0 && ip -n a link set rv0 up
ip -n b addr add 10.5.0.2/24 dev rv1 && ip -n b link set rv1 up
ip netns exec a ping -c 1 -q 10.5.0.2 >/dev/null

say "attach xdp_drop.o to rv1 in native mode (ndo_bpf of the Rust driver)"
ip -n b link set dev rv1 xdpdrv obj $P/xdp_drop.o sec xdp
ip -n b link show dev rv1
noports() { ip netns exec b awk '$1 == "Udp:" && $3 ~ /^[0-9]+$/ {print $3}' /proc/net/snmp; }
before=$(noports)
for i in 1 2 3; do ip netns exec a bash -c 'echo hi >/dev/udp/10.5.0.2/9'; done
ip netns exec a ping -c 2 -q 10.5.0.2 | tail -2
sleep 0.5
say "3 datagrams to port 9 dropped by eBPF in the driver (UDP NoPorts $before -> $(noports)); pings passed"
ip netns exec b ethtool -S rv1 | grep -E 'xdp_(pass|drop):' | grep -v ': 0$'

say "replace it with xdp_tx.o: MACs swapped, every frame sent back (XDP_TX)"
ip -force -n b link set dev rv1 xdpdrv obj $P/xdp_tx.o sec xdp   # -force: replace
ip netns exec a ping -c 2 -W 1 -q 10.5.0.2 || echo "(no answer: b's stack never saw the echo requests)"
ip netns exec b ethtool -S rv1 | grep -E 'xdp_tx:' | grep -v ': 0$'

say "xdp_redirect.o: rv1's frames leave by r0 (its ndo_xdp_xmit) and arrive on r1 as XDP frames"
ip link add name r0 netns b type rveth peer name r1 netns b
ip -n b link set r0 up && ip -n b link set r1 up
ip -force -n b link set dev rv1 xdpdrv obj $P/xdp_redirect.o sec xdp
idx=$(ip netns exec b cat /sys/class/net/r0/ifindex)
ip netns exec b bpftool map update name tx_port key 0 0 0 0 value $((idx & 255)) $((idx >> 8 & 255)) 0 0
ip netns exec a ping -c 3 -W 1 -q 10.5.0.2 >/dev/null || true
ip netns exec b ethtool -S rv1 | grep -E 'xdp_redirect:' | grep -v ': 0$'
ip netns exec b ethtool -S r0 | grep -E '^ +xdp_xmit:'
echo "r1 rx_packets: $(ip netns exec b cat /sys/class/net/r1/statistics/rx_packets)"
ip -n b link set dev rv1 xdpdrv off
say "detached; see docs/xdp.md"
