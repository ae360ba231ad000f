#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make trace's default set-up: the tests' topology (qemu/guest/testlib.sh,
# pair_in_namespaces): namespaces ns1 and ns2 joined by an rveth pair, x0 in ns1
# (10.9.0.1, fd00::1) and x1 in ns2 (10.9.0.2, fd00::2), both up. A SETUP script of your
# own replaces it (make trace SETUP='bash my-topology.sh').
. "$(dirname "$0")/../guest/testlib.sh"
modprobe rveth || fail "modprobe rveth"
pair_in_namespaces rveth
# The first packet to a new neighbour waits for ARP: resolve it now, so the trace shows
# the command's own packets.
ip netns exec ns1 ping -c1 -W2 -q 10.9.0.2 >/dev/null || fail "ns1 cannot reach ns2"
