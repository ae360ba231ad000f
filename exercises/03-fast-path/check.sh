# SPDX-License-Identifier: GPL-2.0
# Exercise 3's checker (in the guest): exfast on x1 (ns2) of an rveth pair; ns1 sends.
# ns2's own stack answers no ping (icmp_echo_ignore_all), so a reply can only be the
# program's.
. "$(dirname "$0")/../checklib.sh"
plan 11

ctl() { net_write ns2 exfast "$1"; }
listing() { net_read ns2 exfast; }
# udp_round PORT N: N datagrams from ns1 to ns2's PORT, where a receiver counts them;
# prints how many arrived.
udp_round() {
	local rpid
	rm -f /tmp/ex3.ready /tmp/ex3.sent
	ndpy_bg --ns ns2 udp-count 10.9.0.2 "$1" --ready /tmp/ex3.ready --until /tmp/ex3.sent >/tmp/ex3.udp
	rpid=$!
	wait_for "the UDP receiver" 30 test -e /tmp/ex3.ready
	ndpy --ns ns1 udp-send 10.9.0.2 "$1" --count "$2" --size 64 --gap 0.002
	touch /tmp/ex3.sent
	wait $rpid
	cat /tmp/ex3.udp
}
udp_dropped() { same "$(udp_round 7777 50)" 0 && same "$(listing)" "x1 dropped 50 reflected 0"; }
udp_passes() { same "$(udp_round 7778 20)" 20; }
# pings SIZE: 5 echo requests of SIZE bytes; every reply must be accepted, none corrupt.
pings() {
	local out
	out=$(nsx ns1 ping -c 5 -i 0.2 -W 2 -s "$1" 10.9.0.2 2>&1)
	echo "$out" | tail -n 3
	echo "$out" | grep -q ' 5 received' && ! echo "$out" | grep -qiE 'BAD CHECKSUM|DUP|wrong data'
}
odd_sizes() { pings 333 && pings 1400; }
detached_again() { ctl detach && no_answer && same "$(udp_round 7777 5)" 5; }
no_answer() { nsx ns1 ping -c 2 -i 0.2 -W 1 -q 10.9.0.2 | grep -q ' 0 received'; }
cleanup() {
	kill $(jobs -p) 2>/dev/null
	cleanup_namespaces
	unload exfast
	rm -f /tmp/ex3.*
}
trap cleanup EXIT

need "the module loads" "insmod must succeed: see dmesg" load_module
pair_in_namespaces rveth
# ns2's /proc/net files read and written by this bash (testlib's anchor: no process).
anchor ns2
# Neighbours pinned both ways: the program sees no ARP, the counts are exact.
pin_neighbours 4
nsx ns2 sysctl -qw net.ipv4.icmp_echo_ignore_all=1
need "ns2's own stack does not answer ping" "(the checker's set-up)" no_answer
need "'attach x1' attaches the program" "(given: the control file)" ctl "attach x1"
step "50 datagrams to UDP port 7777: none arrive, 50 counted as dropped" \
	"a frame starts with the Ethernet header; the program's verdict for it decides whether the stack ever sees it (XDP_DROP in veth_xdp_rcv_skb)" \
	udp_dropped
step "20 datagrams to UDP port 7778 all arrive" "only the one flow is dropped; the rest is passed on" \
	udp_passes
step "ping gets 5 replies, answered in the driver" \
	"the reply goes back out of the device it came in on (XDP_TX), with both addresses swapped at both layers and the type changed; ping's kernel (icmp_rcv) drops a reply whose checksum is wrong" \
	pings 56
step "replies to odd sizes (333 and 1400 bytes) are right too" \
	"an incremental checksum update (RFC 1624) does not depend on the length; the IP header's checksum is a sum, in any order" \
	odd_sizes
step "the counts are exact: 50 dropped, 15 reflected" "count what the program did, once per frame" \
	same "$(listing)" "x1 dropped 50 reflected 15"
step "rmmod is refused while the program is attached" \
	"(given: an attached program holds a reference on its module, as its code runs in the driver)" \
	must_fail "in use" rmmod exfast
step "after detach, ns2 is silent again and port 7777 receives" "(given: detach)" \
	detached_again
step "rmmod after detach" "nothing holds the module any more" rmmod exfast
