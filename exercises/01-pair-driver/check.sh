# SPDX-License-Identifier: GPL-2.0
# Exercise 1's checker (in the guest): an expair pair c0/c1 for the carrier, then x0 in
# ns1 (10.9.0.1, fd00::1) and x1 in ns2 (10.9.0.2, fd00::2) for the traffic.
. "$(dirname "$0")/../checklib.sh"
plan 12

# `type expair peer name X ...` is parsed by the iproute2 plugin make setup installs
# (scripts/iproute2/install.sh: link_expair.so, veth's syntax, as for rveth).

PINGS=20
# An echo request of ping's default 56 bytes: 14 (Ethernet) + 20 (IPv4) + 8 (ICMP) + 56.
FRAME=98

carrier() { cat "/sys/class/net/$1/carrier"; }
pair_added() { ip link add name c0 type expair peer name c1 && ip link show c1 >/dev/null; }
one_end_up() { ip link set c0 up && same "$(carrier c0)" 0; }
both_ends_up() { ip link set c1 up && same "$(carrier c0) $(carrier c1)" "1 1"; }
both_ends_go() { ip link del c1 && ! ip link show c0 >/dev/null 2>&1; }
pair_made() {
	pair_in_namespaces expair
	ip -n ns1 -d link show x0 | grep -q expair && ip -n ns2 -d link show x1 | grep -q expair
}
# Nothing but the pings crosses the link: the neighbours are pinned (no ARP) and IPv6
# is off (no neighbour discovery, MLD, router solicitations); then the link is quiet.
quiet_link() {
	pin_neighbours 4
	quiet_ipv6 ns1 x0
	quiet_ipv6 ns2 x1
	wait_for "the link to go quiet" 15 settled
}
counts() { echo "$(stat ns1 x0 tx_packets) $(stat ns1 x0 tx_bytes) $(stat ns2 x1 rx_packets) $(stat ns2 x1 rx_bytes)"; }
settled() {
	local a
	a=$(counts)
	sleep 0.5
	[ "$a" = "$(counts)" ]
}
# exact_counts: x0's transmit counters and x1's receive counters each rise by exactly
# the frames the pings sent, and their bytes.
exact_counts() {
	local before after
	quiet_link || return 1
	read -r -a before <<<"$(counts)"
	nsx ns1 ping -c $PINGS -i 0.05 -W 2 -q 10.9.0.2 >/dev/null ||
		{ echo "not every ping came back"; return 1; }
	read -r -a after <<<"$(counts)"
	same "x0 sent $((after[0] - before[0])) frames, $((after[1] - before[1])) bytes; x1 received $((after[2] - before[2])) frames, $((after[3] - before[3])) bytes" \
		"x0 sent $PINGS frames, $((PINGS * FRAME)) bytes; x1 received $PINGS frames, $((PINGS * FRAME)) bytes"
}
tcp_intact() {
	local want
	head -c 1048576 /dev/urandom >/tmp/ex1.payload
	want=$(sha256sum </tmp/ex1.payload | cut -d' ' -f1)
	tcp_sink ns2 10.9.0.2 5001 /tmp/ex1.got
	if ! tcp_send ns1 10.9.0.2 5001 /tmp/ex1.payload; then
		kill "$TCP_SINK_PID"
		echo "the sender gave up"
		return 1
	fi
	wait "$TCP_SINK_PID"
	same "$(cat /tmp/ex1.got 2>/dev/null)" "1048576 $want"
}
none_left() { ! ip -n ns1 link show x0 >/dev/null 2>&1 && ! ip -n ns2 link show x1 >/dev/null 2>&1; }
cleanup() {
	kill $(jobs -p) 2>/dev/null
	ip link del c0 2>/dev/null
	cleanup_namespaces
	unload expair
	rm -rf /tmp/ex1.payload /tmp/ex1.got /tmp/ex1.got.progress /tmp/ex1-ip
}
trap cleanup EXIT

need "the module loads" "insmod must succeed: see dmesg" load_module
need "ip link add ... type expair makes a pair (c0, c1)" \
	"(given) newlink: the peer is created and registered first, then this end" \
	pair_added
step "the carrier is off while only one end is up" \
	"(given) open: a pair's wire is there only when both ends are up (veth_open)" one_end_up
step "the carrier is on when both ends are up" "(given) open, on either end: both carriers on" \
	both_ends_up
step "deleting one end deletes both" "(given) dellink queues both ends" both_ends_go
need "a pair across two namespaces: x0 in ns1, x1 in ns2" \
	"(given) the peer's own attributes (name, netns) come from the request's peer part" pair_made
# The counters are read through /proc/net/dev by this bash (testlib's anchor: no process).
anchor ns1
anchor ns2
need "ping ns1 -> ns2 (IPv4)" \
	"a frame sent on x0 must come out of x1: transmit hands it to the peer and wakes the peer's NAPI; the peer's poll takes it off the ring, classifies it and hands it to the stack" \
	nsx ns1 ping -c 3 -i 0.2 -W 2 -q 10.9.0.2
step "ping ns2 -> ns1 (IPv6)" \
	"the same path the other way; neighbour discovery's multicast frames cross it too" \
	nsx ns2 ping -6 -c 3 -i 0.2 -W 2 -q fd00::1
step "$PINGS pings: x0 counts $PINGS frames sent, x1 $PINGS received, $FRAME bytes each" \
	"count each frame once on each side, sent only if it reached the peer's ring; bytes as the frame crossed the wire, Ethernet header included, the same on both ends (ip -s link reads them through get_stats64)" \
	exact_counts
step "1 MiB over TCP arrives intact (sha256)" \
	"TCP sends faster than ping: a poll must take up to its budget of frames, and report how many it took, or frames wait in the ring until it fills" \
	tcp_intact

nsx_bg ns1 ping -f -q -w 6 10.9.0.2 >/dev/null 2>&1
nsx_bg ns2 ping -f -q -w 6 10.9.0.1 >/dev/null 2>&1
sleep 1
step "rmmod under traffic" "unloading deletes every pair (dellink) while frames cross it" rmmod expair
kill $(jobs -p) 2>/dev/null
wait
step "no expair device is left" "each end is queued for unregistration" none_left
