# rfilter really filters: between two namespaces joined by veth and by rveth, a drop
# rule stops ping and counts exactly the packets it dropped, reject answers with ICMP
# port unreachable, IPv6 works, rules stay in their namespace, del/flush restore traffic,
# and a bad line is refused with EINVAL leaving the table exactly as it was.
. "$(dirname "$0")/../guest/testlib.sh"
trap cleanup_namespaces EXIT
unload rfilter
modprobe rfilter || fail "modprobe rfilter"
[ -f /proc/net/rfilter ] || fail "no /proc/net/rfilter in init_net"

# Each namespace's /proc/net/rfilter, read and written by bash itself (testlib's anchor).
rf() { net_write "$1" rfilter "$2"; }
rules() { net_read "$1" rfilter; }
hits() { rule_hits "$1" "$2"; }
ping_ok() { nsx "$1" ping "${@:3}" -c 2 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }

for kind in veth rveth; do
	note "--- namespaces joined by $kind"
	cleanup_namespaces
	pair_in_namespaces $kind
	anchor ns1
	anchor ns2
	ping_ok ns1 10.9.0.2 || fail "$kind: ping before any rule"
	expect_empty "$kind: a new namespace starts with no rules" rules ns2

	# Drop: ping fails, the counter rises by exactly the echo requests sent.
	rf ns2 "add drop proto icmp src 10.9.0.1" || fail "add drop refused"
	nsx ns1 ping -c 3 -i 0.2 -W 1 10.9.0.2 >/dev/null 2>&1 && fail "$kind: ping passed a drop rule"
	expect_eq "$(hits ns2 1)" "3" "$kind: drop rule hits after 3 echo requests"
	expect_eq "$(rules ns2 | sed -n 's/.* bytes \([0-9]*\)$/\1/p')" "252" "$kind: bytes of 3 84-byte packets"

	# Rules live in their namespace: ns1 has none, init_net has none.
	expect_empty "$kind: ns1 table after adding in ns2" rules ns1
	expect_empty "$kind: init_net table after adding in ns2" cat /proc/net/rfilter

	# del restores traffic.
	rf ns2 "del 1"
	ping_ok ns1 10.9.0.2 || fail "$kind: ping after del"

	# Reject: the sender is told.
	rf ns2 "add reject hook input proto icmp"
	out=$(nsx ns1 ping -c 1 -W 1 10.9.0.2 2>&1)
	echo "$out" | grep -q "Destination Port Unreachable" || fail "$kind: reject: $out"
	note "ok: reject -> Destination Port Unreachable"

	# IPv6: `proto icmp` means ICMPv6 for ip6; IPv4 keeps flowing.
	rf ns2 "flush"
	ping_ok ns1 fd00::2 -6 || fail "$kind: ping6 before a v6 rule"
	# Neighbour discovery is ICMPv6 too, from fd00::1 when ns1 probes fd00::2 again or
	# answers ns2's probe of fd00::1: both entries pinned, ns1 sends ns2 nothing but the
	# echo requests, so the rule counts exactly those.
	pin_neighbours 6
	rf ns2 "add drop family ip6 proto icmp src fd00::1"
	nsx ns1 ping -6 -c 3 -i 0.2 -W 1 fd00::2 >/dev/null 2>&1 && fail "$kind: ping6 passed a v6 drop rule"
	expect_eq "$(hits ns2 1)" 3 "$kind: v6 icmp drop rule hits after 3 echo requests"
	ping_ok ns1 10.9.0.2 || fail "$kind: IPv4 stopped by a family ip6 rule"
	# Exactly three UDP datagrams, exactly three hits.
	rf ns2 "flush"
	rf ns2 "add drop family ip6 proto udp dport 7"
	ndpy --ns ns1 udp-send fd00::2 7 --count 3 --size 10 || fail "sending UDP"
	expect_count "$kind: v6 udp drop rule hits after 3 datagrams" 3 hits ns2 1
	expect_eq "$(rules ns2 | sed -n 's/.* bytes \([0-9]*\)$/\1/p')" "174" "$kind: bytes of 3 58-byte IPv6/UDP packets"
	out=$(rf ns2 "add reject family ip6 hook input proto udp dport 9" && rf ns2 "del 1" &&
		ndpy --ns ns1 udp-refused fd00::2 9 2>&1)
	expect_eq "$out" "refused" "$kind: UDP to a v6 reject rule gets ICMPv6 port unreachable"

	# Output hook and flush.
	rf ns1 "add drop hook output dst 10.9.0.2"
	ping_ok ns1 10.9.0.2 && fail "$kind: output rule did not drop"
	# IPv4 to 10.9.0.2 from ns1: ping's 2 echo requests, nothing else (ARP is not IPv4).
	expect_eq "$(hits ns1 1)" 2 "$kind: output rule hits after 2 echo requests"
	rf ns1 "flush"
	rf ns2 "flush"
	ping_ok ns1 10.9.0.2 || fail "$kind: ping after flush"
done

# Bad lines: each refused with EINVAL, with a line in the kernel log, the table exactly as
# it was (read back around each write).
rf ns2 "add accept proto tcp dport 22" || fail "add accept refused"
before=$(rules ns2)
bad=(" " $'\n' "add" "add deny" "insert drop" "add drop hook inbound" "add drop src 10.0.0.0/33"
	"add drop src 300.1.1.1" "add drop dport 22" "add drop proto tcp dport 70000"
	"add drop family ip6 src 10.0.0.1" "add drop proto icmp proto tcp" "del 0" "del 9"
	"del x" "flush now" $'add drop\nadd sideways' $'\xff\xfe')
mapfile -t got < <(refused_writes ns2 /proc/net/rfilter "rfilter: refused" "${bad[@]}")
[ ${#got[@]} = ${#bad[@]} ] || fail "${#got[@]} answers for ${#bad[@]} malformed writes"
for i in "${!bad[@]}"; do
	[ "${got[i]}" = "EINVAL same logged" ] ||
		fail "'${bad[i]}' gave '${got[i]}', expected 'EINVAL same logged' (refused, table unchanged, a dmesg line)"
done
expect_eq "$(rules ns2)" "$before" "table after ${#bad[@]} malformed writes"
note "ok: ${#bad[@]} malformed writes refused with EINVAL, each with a kernel log line, table unchanged"

# log: the decoded packet appears in dmesg.
mark_dmesg
rf ns2 "add accept proto icmp log"
ping_ok ns1 10.9.0.2 || fail "ping with a log rule"
dmesg_since_mark | grep -q "rfilter: rule 2 hook input in=x1 out=- 10.9.0.1 -> 10.9.0.2 proto 1 .* icmp 8/0" ||
	fail "log rule printed nothing matching: $(dmesg_since_mark | grep rfilter | head -3)"
note "ok: log line: $(dmesg_since_mark | grep -m1 'rfilter: rule')"

# rmmod while traffic flows through a rule.
nsx_bg ns1 ping -f -w 20 10.9.0.2 >/dev/null 2>&1
pid=$!
flooded() { [ "$(hits ns2 2)" -ge 20 ] 2>/dev/null; }
wait_for "the flood to hit rule 2" 60 flooded
must rmmod rfilter
anchored ns1 rfilter # (the anchor alive: a dead one has no files either)
[ -e "${ND_NET[ns1]}/rfilter" ] && fail "/proc/net/rfilter survived rmmod"
kill $pid 2>/dev/null
wait $pid
ping_ok ns1 10.9.0.2 || fail "ping after rmmod"
note "ok: rmmod under traffic"
