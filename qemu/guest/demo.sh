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

step "Two network namespaces joined by a veth pair (the C reference)"
ip netns add left
ip netns add right
show ip link add name veth-l netns left type veth peer name veth-r netns right
ip -n left addr add 10.0.0.1/24 dev veth-l
ip -n right addr add 10.0.0.2/24 dev veth-r
ip -n left link set veth-l up
ip -n right link set veth-r up
show ip netns exec left ping -c 3 -i 0.2 10.0.0.2
ip netns del left
ip netns del right

echo
echo "Next: 'make run CMD=...' runs one command here; 'make test' runs the whole suite."
