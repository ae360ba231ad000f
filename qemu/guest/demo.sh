#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The guided tour `make lab` runs in the guest: each step loads a netdive module,
# makes it do its job, and shows what the kernel printed.
set -u
step() { printf '\n\033[1m=== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
mark() { MARK=$(dmesg | wc -l); }
kernel_said() { dmesg | tail -n +$((MARK + 1)) | sed 's/^/  kernel: /'; }

step "The lab: $(uname -r), Rust $(zcat /proc/config.gz | grep -q CONFIG_RUST=y && echo enabled)"
echo "The guest sees the host's files read-only (this project is at $(cd "$(dirname "$0")/../.." && pwd))."

step "Lesson 0: every packet starts and ends at a struct net_device (samples/netdevs.rs)"
show ip -br link
mark
show modprobe netdevs
kernel_said
echo "The module walked init_net's device list under rcu_read_lock(), as for_each_netdev_rcu() does."
rmmod netdevs

step "Lesson 1: rveth, a virtual Ethernet pair driver in Rust (samples/rveth.rs)"
ip netns add left
ip netns add right
show ip link add name rv-l netns left type rveth peer name rv-r netns right
echo "(the kernel loaded rveth.ko by its alias rtnl-link-rveth: $(grep -c '^rveth ' /proc/modules) module)"
ip -n left addr add 10.0.0.1/24 dev rv-l
ip -n right addr add 10.0.0.2/24 dev rv-r
ip -n left link set rv-l up
show ip -n left -br link show rv-l
echo "NO-CARRIER: a pair's link is up only when both ends are (netif_carrier_on in ndo_open)."
ip -n right link set rv-r up
show ip -n left -br link show rv-l
show ip netns exec left ping -c 3 -i 0.2 10.0.0.2
echo "Each echo request went ndo_start_xmit -> the peer's ptr_ring -> NAPI poll -> eth_type_trans ->"
echo "netif_receive_skb -> ip_rcv (GRO is off, as on veth; 'ethtool -K rv-r gro on' adds napi_gro_receive)."
show ip -n right -s link show rv-r
show ip netns exec right ethtool -S rv-r
show ip netns exec right ethtool -i rv-r

step "Lesson 1b: rdummy, the smallest driver on the same link layer (samples/rdummy.rs)"
show ip link add name rd0 type rdummy
ip link set rd0 up
ip addr add 10.7.0.1/24 dev rd0
show ping -c 2 -W 1 -q 10.7.0.2
show ip -s link show rd0
echo "Every frame sent to rd0 was counted and freed (dummy.c's ndo_start_xmit): no pair, no NAPI."
ip link del rd0

step "Lesson 2: rfilter, a netfilter hook in Rust, rules per namespace (samples/rfilter.rs)"
modprobe rfilter
show ip netns exec right sh -c 'echo "add drop proto icmp" > /proc/net/rfilter'
show ip netns exec left ping -c 2 -W 1 -q 10.0.0.2
show ip netns exec right cat /proc/net/rfilter
echo "ip_rcv (PRE_ROUTING) -> routing -> ip_local_deliver -> NF_INET_LOCAL_IN:"
echo "our hook matched and returned NF_DROP; the left namespace has no rules."
ip netns exec right sh -c 'echo flush > /proc/net/rfilter'

step "Lesson 2b: rroute, the routing decision shown from inside (samples/rroute.rs)"
modprobe rroute
show ip netns exec left sh -c 'echo "lookup 10.0.0.2" > /proc/net/rroute'
show ip netns exec left cat /proc/net/rroute
show ip -n left route get 10.0.0.2
echo "The FIB (fib_lookup: rules, then the table's longest prefix) chose the entry; the route"
echo "(ip_route_output_key) is what a packet gets: the same answer ip route get prints."
echo "Three namespaces, a router, forwarding and ICMP errors: bash docs/examples/rroute-tour.sh"
rmmod rroute

step "Lesson 3: rsock, UDP and TCP echo servers inside the kernel (samples/rsock.rs)"
modprobe rsock
show ip netns exec right sh -c 'echo "udp-echo 7" > /proc/net/rsock; echo "tcp-echo 7" > /proc/net/rsock'
show ip netns exec left python3 -c 'import socket; c = socket.create_connection(("10.0.0.2", 7)); c.sendall(b"hello"); print(c.recv(5))'
show ip netns exec right cat /proc/net/rsock
show sh -c "ps -e -o comm | grep rsock"
echo "Each server is a kernel thread blocked in kernel_accept or kernel_recvmsg, on the same"
echo "struct socket a user-space server gets; from sock_sendmsg down, the paths are one."
show ip netns exec right cat /proc/net/rsock_states
echo "Every TCP state change of rsock's sockets, as TCP made it (the sock:inet_sock_set_state"
echo "tracepoint): the listener, then the connection accepted and closed by the client."
rmmod rsock

step "Lesson 5: native XDP, a real eBPF program inside the Rust driver (samples/xdp/xdp_tx.bpf.c)"
show ip -n right link set dev rv-r xdpdrv obj "/lib/modules/$(uname -r)/xdp/xdp_tx.o" sec xdp
show ip netns exec left ping -c 2 -W 1 -q 10.0.0.2
show sh -c "ip netns exec right ethtool -S rv-r | grep -E 'xdp_tx:'"
echo "rv-r's NAPI poll ran the program on each frame (bpf_prog_run_xdp) before any sk_buff existed;"
echo "XDP_TX sent them back with the MACs swapped, so the right namespace never answered."
ip -n right link set dev rv-r xdpdrv off
ip netns del left
ip netns del right
echo
echo "Next: 'make run CMD=...' runs one command here; 'make test' runs the whole suite."
