#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make trace's default set-up: namespaces ns1 and ns2 joined by an rveth pair, x0 in ns1
# (10.9.0.1, fd00::1) and x1 in ns2 (10.9.0.2, fd00::2), both up; the tests' topology.
# A SETUP script of your own replaces it (make trace SETUP='bash my-topology.sh').
set -e
modprobe rveth
ip netns add ns1
ip netns add ns2
ip link add name x0 netns ns1 type rveth peer name x1 netns ns2
ip -n ns1 addr add 10.9.0.1/24 dev x0
ip -n ns2 addr add 10.9.0.2/24 dev x1
ip -n ns1 addr add fd00::1/64 dev x0 nodad
ip -n ns2 addr add fd00::2/64 dev x1 nodad
for n in ns1 ns2; do ip -n $n link set lo up; done
ip -n ns1 link set x0 up
ip -n ns2 link set x1 up
# The first packet to a new neighbour waits for ARP: resolve it now, so the trace shows
# the command's own packets.
ip netns exec ns1 ping -c1 -W2 -q 10.9.0.2 >/dev/null
