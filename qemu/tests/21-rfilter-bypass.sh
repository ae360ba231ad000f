# No packet walks past an rfilter rule because of its size or shape: a drop rule holds for
# ICMP echo of every size up to 20000 bytes (reassembled before LOCAL_IN) and ICMPv6 up to
# 5000 bytes (fragments at LOCAL_IN), counting exactly the packets it saw; non-first
# fragments match on protocol, never on ports; a dport rule added in the middle of an
# established TCP stream stops it at once, and the stream completes, intact, once the
# rule goes; `reject with tcp-reset` answers with a reset, not with ICMP.
. "$(dirname "$0")/../guest/testlib.sh"
trap cleanup_namespaces EXIT
cleanup_namespaces
unload rfilter
modprobe rfilter || fail "modprobe rfilter"
pair_in_namespaces rveth

# Both namespaces' /proc/net files through a process in each (testlib's anchor): rules,
# counters and SNMP counters are read and written without a process each.
anchor ns1
anchor ns2
rf() { net_write "$1" rfilter "$2" || fail "rule '$2' refused"; }
hits() { rule_hits "$1" "$2"; }
bytes() {
	local l
	net_lines "$1" rfilter
	for l in "${NET_LINES[@]}"; do
		[[ $l =~ ^$2:\ .*\ bytes\ ([0-9]+)$ ]] && echo "${BASH_REMATCH[1]}"
	done
	return 0
}
# Neighbours pinned both ways: no ARP or neighbour discovery adds to the counts.
pin_neighbours 4 6
must nsx ns1 ping -c 1 -W 2 -q 10.9.0.2
must nsx ns1 ping -6 -c 1 -W 2 -q fd00::2

# IPv4 echo of every size: at LOCAL_IN the packet is whole (ip_local_deliver reassembles
# first), so two echoes are two hits of exactly 28 + size bytes each.
# The rule drops them (ping's 0.2 s wait proves little on its own): ns2's ICMP never
# counts an echo request.
echos0=$(snmp ns2 Icmp InEchos) || fail "no Icmp InEchos in ns2"
for size in 56 120 200 1000 1472 3000 20000; do
	rf ns2 "flush"
	rf ns2 "add drop proto icmp src 10.9.0.1"
	# (No reply comes: ping waits 0.2 s after its last request, the rule's count is
	# then awaited.)
	nsx ns1 ping -c 2 -i 0.2 -W 0.2 -s $size -q 10.9.0.2 >/dev/null 2>&1 &&
		fail "a $size-byte ping passed a drop rule"
	expect_count "hits for 2 echoes of $size bytes" 2 hits ns2 1
	expect_eq "$(bytes ns2 1)" "$((2 * (28 + size)))" "bytes for 2 echoes of $size bytes"
done
expect_eq "$(snmp ns2 Icmp InEchos)" "$echos0" "echo requests ns2's ICMP received past the drop rules"

# ICMPv6: reassembly comes after LOCAL_IN (ipv6_frag_rcv is a protocol handler), so the
# rule sees each fragment: 1448 bytes of message each on a 1500-byte link.
echos0=$(snmp6 ns2 Icmp6InEchos) || fail "no Icmp6InEchos in ns2"
for size in 56 1000 1452 3000 5000; do
	msg=$((size + 8))
	frags=$(( msg + 40 <= 1500 ? 1 : (msg + 1447) / 1448 ))
	rf ns2 "flush"
	rf ns2 "add drop family ip6 proto icmp src fd00::1"
	nsx ns1 ping -6 -c 2 -i 0.2 -W 0.2 -s $size -q fd00::2 >/dev/null 2>&1 &&
		fail "a $size-byte ping6 passed a drop rule"
	expect_count "hits for 2 echoes of $size bytes ($frags fragment(s) each)" "$((2 * frags))" hits ns2 1
done
expect_eq "$(snmp6 ns2 Icmp6InEchos)" "$echos0" "echo requests ns2's ICMPv6 received past the drop rules"

# Fragments at PRE_ROUTING (no reassembly yet): a protocol rule sees all three fragments
# of a 3000-byte echo; a port rule sees the first only (the others have no UDP header, as
# in iptables), and that is enough: the datagram never reassembles.
rf ns2 "flush"
rf ns2 "add drop hook prerouting proto icmp src 10.9.0.1"
nsx ns1 ping -c 1 -W 1 -s 3000 -q 10.9.0.2 >/dev/null 2>&1 && fail "fragmented ping passed a prerouting rule"
expect_eq "$(hits ns2 1)" "3" "prerouting protocol rule hits for a 3-fragment echo"
noports() { snmp ns2 Udp NoPorts; }
udp3000() {
	ndpy --ns ns1 udp-send 10.9.0.2 "$2" --count "$1" --size 3000 --byte u || fail "sending UDP"
}
rf ns2 "flush"
rf ns2 "add drop hook prerouting proto udp dport 9"
before=$(noports)
udp3000 4 9
expect_count "port rule hits: the first fragment of each of 4 datagrams" 4 hits ns2 1
expect_eq "$(noports)" "$before" "Udp NoPorts (no datagram to port 9 reassembled)"
udp3000 2 10
noports_at_least() { [ "$(noports)" -ge "$1" ]; }
wait_for "2 datagrams to port 10 through a port-9 rule" 30 noports_at_least $((before + 2))
expect_eq "$(hits ns2 1)" "4" "port rule hits after datagrams to another port"
rf ns2 "flush"
rf ns2 "add drop hook prerouting proto udp"
udp3000 2 9
expect_count "protocol rule hits: every fragment of 2 datagrams" 6 hits ns2 1

# TCP: a dport rule added mid-stream stops the data (segments of 1448 bytes, which a
# fixed window of header bytes used to let through), and the stream completes, intact,
# after the rule goes.
rf ns2 "flush"
head -c 3145728 /dev/urandom >/tmp/stream
want=$(sha256sum </tmp/stream | cut -d' ' -f1)
tcp_sink ns2 10.9.0.2 5001 /tmp/got
ndpy_bg --ns ns1 tcp-send 10.9.0.2 5001 /tmp/stream 0.02
client=$!
# progress: the bytes the sink has received so far (read by bash itself: no process).
progress() {
	local n=0
	[ -e /tmp/got.progress ] && read -r n </tmp/got.progress
	echo "${n:-0}"
}
under_way() { [ "$(progress)" -ge 262144 ]; }
wait_for "the stream to be under way" 60 under_way
rf ns2 "add drop proto tcp dport 5001"
sleep 1
stalled=$(progress)
sleep 3
expect_eq "$(progress)" "$stalled" "bytes received in the 3 s after the dport rule"
expect_ge "$(hits ns2 1)" 3 "dport rule hits on the established stream"
[ "$stalled" -lt 3145728 ] || fail "the stream finished before the rule"
rf ns2 "flush"
wait $client || fail "the TCP client failed after the rule was removed"
wait $TCP_SINK_PID || fail "the TCP server failed"
expect_eq "$(cat /tmp/got)" "3145728 $want" "stream bytes and sha256 after the rule went"

# reject with tcp-reset: the connection is refused by a reset, and no ICMP error comes
# back; the default reject answers with ICMP port unreachable instead. IPv4 and IPv6.
icmp_in() { snmp ns1 Icmp InDestUnreachs; }
icmp6_in() { snmp6 ns1 Icmp6InDestUnreachs; }
connect() {
	ndpy --ns ns1 tcp-connect "$1" 7777 --timeout 3
}
for family in 4 6; do
	if [ $family = 4 ]; then addr=10.9.0.2 fam=ip; else addr=fd00::2 fam=ip6; fi
	in4=$(icmp_in)
	in6=$(icmp6_in)
	rf ns2 "flush"
	rf ns2 "add reject with tcp-reset family $fam proto tcp dport 7777"
	expect_eq "$(connect $addr)" "refused" "IPv$family connect to a tcp-reset rule"
	expect_eq "$(hits ns2 1)" "1" "IPv$family tcp-reset rule hits"
	expect_eq "$(icmp_in) $(icmp6_in)" "$in4 $in6" "ICMP destination unreachable received (none for a reset)"
	rf ns2 "flush"
	rf ns2 "add reject family $fam proto tcp dport 7777"
	expect_eq "$(connect $addr)" "refused" "IPv$family connect to a default reject rule"
	# One error per rejected SYN. If the error lands while connect() still holds the
	# socket lock, TCP keeps it as a soft error and the SYN is retransmitted
	# (tcp_v4_err/tcp_v6_err), so there may be more than one SYN: count them.
	syns=$(hits ns2 1)
	expect_ge "$syns" 1 "IPv$family SYNs the default reject rule answered"
	if [ $family = 4 ]; then
		expect_eq "$(icmp_in)" "$((in4 + syns))" "ICMP destination unreachable, one per rejected SYN"
	else
		expect_eq "$(icmp6_in)" "$((in6 + syns))" "ICMPv6 destination unreachable, one per rejected SYN"
	fi
done
rf ns2 "flush"
must nsx ns1 ping -c 1 -W 2 -q 10.9.0.2
