#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A tour of the tracing lesson in the guest: `make run CMD='bash docs/examples/trace-tour.sh'`.
# ns1 and ns2 over an rveth pair (qemu/trace/topology.sh); each step asks netdive-trace
# where a packet went: delivered, dropped by a netfilter rule (rfilter), by rveth's Rust
# fast path (rxdp), by an eBPF XDP program in rveth, or sent to a port nobody listens on.
set -e
P=$(cd "$(dirname "$0")/../.." && pwd)
TRACE="python3 $P/qemu/trace/netdive-trace"
OUT=${ND_OUT:-/tmp}
say() { printf '\n== %s\n' "$*"; }
# One UDP datagram to 10.9.0.2, the port as the argument.
UDP='import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"hi", ("10.9.0.2", int(sys.argv[1])))'
cleanup() {
	for m in rxdp rfilter; do rmmod $m 2>/dev/null || true; done
	ip netns del ns1 2>/dev/null || true
	ip netns del ns2 2>/dev/null || true
}
trap cleanup EXIT
cleanup
bash "$P/qemu/trace/topology.sh"

say "counters first: what moved when one ping crossed (ip -s link, nstat)"
ip netns exec ns1 nstat -n; ip -n ns1 -s link show x0 | sed -n '3,6p'
ip netns exec ns1 ping -c1 -W1 -q 10.9.0.2 >/dev/null
ip -n ns1 -s link show x0 | sed -n '3,6p'; ip netns exec ns1 nstat | grep -E 'Icmp(Out|In)Echo'

say "one ping, traced: both packets, every step, the namespace and device at each"
$TRACE --ns ns1 --cost --svg "$OUT/trace-ping.svg" -- ping -c1 -W1 10.9.0.2

say "a netfilter rule in ns2 drops ICMP: the trace names the hook, the reason and the rule"
modprobe rfilter
ip netns exec ns2 sh -c 'echo "add drop proto icmp" > /proc/net/rfilter'
$TRACE --ns ns1 --svg "$OUT/trace-rfilter.svg" -- ping -c1 -W1 10.9.0.2 || true
ip netns exec ns2 sh -c 'echo flush > /proc/net/rfilter'
rmmod rfilter

say "rveth's Rust fast path in ns2 drops UDP to port 9 (rxdp): dropped before the stack"
modprobe rxdp
ip netns exec ns2 sh -c 'echo "attach x1 drop proto udp dport 9" > /proc/net/rxdp'
$TRACE --ns ns1 -- python3 -c "$UDP" 9
ip netns exec ns2 sh -c 'echo "detach x1" > /proc/net/rxdp'
rmmod rxdp

say "an eBPF XDP program in rveth (xdp_drop.o) drops the same flow"
ip -n ns2 link set dev x1 xdpdrv obj "/lib/modules/$(uname -r)/xdp/xdp_drop.o" sec xdp
$TRACE --ns ns1 -- python3 -c "$UDP" 9
ip -n ns2 link set dev x1 xdpdrv off

say "a datagram to a port nobody listens on: NO_SOCKET, and the ICMP error that answers it"
$TRACE --ns ns1 -- python3 -c "$UDP" 4242
say "what tracing costs: 500 datagrams, untraced then traced (--cost), the paths summed up"
ip netns exec ns2 python3 -c '
import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.9.0.2", 9))
s.settimeout(60)
while True: s.recv(100)' &
sleep 1
$TRACE --ns ns1 --cost --summary -- python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(500): s.sendto(b"x" * 64, ("10.9.0.2", 9))'
kill %1 2>/dev/null || true
echo
echo "pictures: $OUT/trace-ping.svg $OUT/trace-rfilter.svg"
