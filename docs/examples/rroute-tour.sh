#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A tour of lesson 2b in the guest: `make run CMD='bash docs/examples/rroute-tour.sh'`.
# Host A, router R, host B (docs/examples/routed-topology.sh); rroute shows what R's
# routing code decides at each step, next to what the packets do.
set -e
here=$(dirname "$0")
. "$here/routed-topology.sh"
say() { printf '\n== %s\n' "$*"; }
ask() { ip netns exec "$1" sh -c "echo '$2' > /proc/net/rroute"; ip netns exec "$1" cat /proc/net/rroute; }
trap 'routed_topology_del' EXIT
modprobe rveth
modprobe rroute
routed_topology

say "A sends to B: A's FIB has only a default route, via R"
ask ra "lookup 10.2.0.9"

say "forwarding off: R's FIB knows B's subnet, but a packet from A gets no route"
ask rr "lookup 10.2.0.9 from 10.1.0.1 iif r0"
ip netns exec ra ping -c 1 -W 1 10.2.0.9 || true

say "forwarding on (net.ipv4.ip_forward=1): the same question, a route out of r1"
ip netns exec rr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ask rr "lookup 10.2.0.9 from 10.1.0.1 iif r0"
ip netns exec ra ping -c 1 -W 1 10.2.0.9

say "TTL 1: R may not forward it, and says so (ICMP time exceeded)"
ip netns exec ra ping -c 1 -W 1 -t 1 10.2.0.9 || true

say "B's link carries 1280 bytes: a 1428-byte packet with DF set comes back as 'fragmentation needed', and A remembers"
ip -n rr link set r1 mtu 1280
ip -n rb link set b0 mtu 1280
ip netns exec ra ping -c 1 -W 1 -M do -s 1400 10.2.0.9 || true
ask ra "lookup 10.2.0.9"
ip -n ra route get 10.2.0.9

say "a policy rule: marked packets use table 100, where B's subnet is a blackhole"
ip -n rr rule add fwmark 7 table 100 pref 100
ip -n rr route add blackhole 10.2.0.0/24 table 100
ask rr "lookup 10.2.0.9 mark 7"
say "... and now every lookup walks the rules (fib_has_custom_rules)"
ask rr "lookup 10.2.0.9"

say "IPv6, the same way"
ask ra "lookup6 fd02::9"
ask rr "lookup6 fd02::9 from fd01::1 iif r0"
