# Packets really cross an rveth pair between two namespaces: ping v4/v6 both ways, a TCP
# transfer with its checksum, tcpdump on the far end, counters that agree, jumbo frames.
. "$(dirname "$0")/../guest/testlib.sh"
trap cleanup_namespaces EXIT
cleanup_namespaces
pair_in_namespaces rveth
# Both namespaces' counters (/proc/net/dev) through a process in each (testlib's anchor).
anchor ns1
anchor ns2

must nsx ns1 ping -c 3 -i 0.2 -W 2 10.9.0.2
must nsx ns2 ping -c 3 -i 0.2 -W 2 10.9.0.1
must nsx ns1 ping -6 -c 3 -i 0.2 -W 2 fd00::2
must nsx ns2 ping -6 -c 3 -i 0.2 -W 2 fd00::1

# Counters agree: what x0 sent is what x1 received, packets and bytes. IPv6 keeps
# sending on its own (router solicitations, MLD) until it is turned off below, so compare
# a snapshot that is equal on both sides, i.e. taken when nothing is in flight.
agree() {
	[ "$(stat ns1 x0 tx_packets) $(stat ns1 x0 tx_bytes)" = "$(stat ns2 x1 rx_packets) $(stat ns2 x1 rx_bytes)" ]
}
wait_for "x1 rx_packets/rx_bytes to equal x0 tx_packets/tx_bytes" 30 agree
note "ok: x0 tx = x1 rx = $(stat ns1 x0 tx_packets) packets, $(stat ns1 x0 tx_bytes) bytes"
tx0=$(stat ns1 x0 tx_packets)
expect_ge "$tx0" 12 "x0 tx_packets after 12 pings and neighbour discovery"
# Exactly what 10 echo requests make: nothing else crosses meanwhile (the neighbours
# pinned, no ARP; IPv6 off from here, no router solicitations or MLD), so x0 sends and x1
# receives 10 frames of 98 bytes (14 Ethernet + 20 IPv4 + 8 ICMP + 56), not one more.
pin_neighbours 4
quiet_ipv6 ns1 x0
quiet_ipv6 ns2 x1
counts() { echo "$(stat ns1 x0 tx_packets) $(stat ns1 x0 tx_bytes) $(stat ns2 x1 rx_packets) $(stat ns2 x1 rx_bytes)"; }
link_quiet() {
	local a
	a=$(counts)
	sleep 0.5
	[ "$a" = "$(counts)" ]
}
wait_for "the link to go quiet" 15 link_quiet
read -r -a before <<<"$(counts)"
nsx ns1 ping -c 10 -i 0.05 -W 2 -q 10.9.0.2 >/dev/null || fail "ping -c 10"
read -r -a after <<<"$(counts)"
expect_eq "$((after[0] - before[0])) $((after[1] - before[1])) $((after[2] - before[2])) $((after[3] - before[3]))" \
	"10 980 10 980" "x0 tx packets, bytes and x1 rx packets, bytes for 10 echo requests"
note "ok: 10 echo requests: x0 sent and x1 received exactly 10 frames, 980 bytes"
# ethtool -S sums to the same as ip -s link. The two reads are not atomic and IPv6 may
# deliver a frame between them, so wait for a snapshot in which they agree; a per-queue
# counter that misses packets never agrees and fails the test.
queue_sum() { ethtool_sum ns2 x1 'rx_queue_*_packets'; }
queues_agree() {
	[ "$(queue_sum)" = "$(stat ns2 x1 rx_packets)" ]
}
wait_for "ethtool -S rx_queue_*_packets sum to equal rx_packets" 30 queues_agree
note "ok: ethtool -S rx_queue_*_packets sum = rx_packets = $(stat ns2 x1 rx_packets)"

# tcpdump on x1 sees the frames sent on x0.
# Echo requests only, coming in (x1's own replies go out and must not count); tcpdump
# stops after the 5th, and not before it has counted them.
ip netns exec ns2 timeout 60 tcpdump -i x1 -Q in -n -c 5 -w /tmp/x1.pcap 'icmp[icmptype] == icmp-echo' >/tmp/tcpdump.log 2>&1 &
tpid=$!
wait_for "tcpdump listening on x1" 30 grep -q "listening on x1" /tmp/tcpdump.log
nsx ns1 ping -c 5 -i 0.2 -q 10.9.0.2 >/dev/null
wait $tpid || fail "tcpdump did not capture 5 echo requests: $(cat /tmp/tcpdump.log)"
n=$(tcpdump -n -r /tmp/x1.pcap 2>/dev/null | grep -c 'ICMP echo request')
expect_eq "$n" 5 "ICMP echo requests tcpdump saw coming in on x1"

# A TCP transfer of 4 MiB, checksummed on both sides.
head -c 4194304 /dev/urandom >/tmp/payload
want=$(sha256sum </tmp/payload | cut -d' ' -f1)
tcp_sink ns2 10.9.0.2 5001 /tmp/received
tcp_send ns1 10.9.0.2 5001 /tmp/payload || fail "TCP client failed"
wait $TCP_SINK_PID || fail "TCP server failed"
expect_eq "$(cat /tmp/received)" "4194304 $want" "TCP transfer: bytes and sha256"

# Jumbo frames: MTU 9000 on both ends, an unfragmentable 9000-byte ping passes.
ip -n ns1 link set x0 mtu 9000
ip -n ns2 link set x1 mtu 9000
must nsx ns1 ping -c 2 -M do -s 8972 -W 2 10.9.0.2
# And with the receiver back at 1500, the same frame is dropped on the way in, counted
# in the receiver's rx_dropped (__dev_forward_skb: the frame is not forwardable).
ip -n ns2 link set x1 mtu 1500
dropped=$(stat ns2 x1 rx_dropped)
must_fail "100% packet loss" nsx ns1 ping -c 1 -M do -s 8972 -W 1 10.9.0.2
expect_eq "$(stat ns2 x1 rx_dropped)" "$((dropped + 1))" "x1 rx_dropped after one 9000-byte frame"
