# The Rust fast path in rveth, driven by rxdp: every verdict does what it says, checked
# with rveth's per-queue verdict counters, the program's hits and what the far side (or
# its stack) sees; bad commands change nothing; malformed frames pass through unharmed;
# rmmod rxdp is refused while a program is attached (it holds a module reference), and
# rmmod rveth under traffic with a program attached releases it.
. "$(dirname "$0")/../guest/testlib.sh"
trap 'cleanup_namespaces; unload rxdp' EXIT
cleanup_namespaces
unload rxdp
modprobe rveth || fail "modprobe rveth"
modprobe rxdp || fail "modprobe rxdp"
pair_in_namespaces rveth
# Both namespaces' /proc/net files through a process in each (testlib's anchor).
anchor ns1
anchor ns2

ctl() { net_write "$1" rxdp "$2"; }
table() { net_read ns2 rxdp; }
# fp NS DEV VERDICT: a fast-path verdict counter of DEV, summed over its receive queues.
fp() { ethtool_sum "$1" "$2" "*_fp_$3"; }
hits() { table | sed -n "s/^$1: .* hits \([0-9]*\).*/\1/p"; }
# Datagrams that reached ns2's UDP layer and found no socket (Udp: NoPorts).
noports() { snmp ns2 Udp NoPorts; }
noports_at_least() { [ "$(noports)" -ge "$1" ]; }
# send_udp N PORT: N datagrams from ns1 to 10.9.0.2:PORT.
send_udp() {
	ndpy --ns ns1 udp-send 10.9.0.2 "$2" --count "$1" --size 2 ||
		fail "sending UDP from ns1"
}

must nsx ns1 ping -c 2 -i 0.2 -W 2 -q 10.9.0.2
# reflect and redirect below take ARP too, which would leave ns1's neighbour entry for
# 10.9.0.2 FAILED and hold back later datagrams: pin x1's address. And nothing but what a
# step sends crosses the link, so each count is exact: ns2's neighbour entry pinned too
# (no ARP probes answered), no IPv6 (router solicitations, MLD).
pin_neighbours 4
quiet_ipv6 ns1 x0
quiet_ipv6 ns2 x1

# drop: one UDP flow never reaches the stack; the rest passes.
must ctl ns2 'attach x1 drop proto udp dport 9'
expect_eq "$(table)" "x1: drop proto udp dport 9 hits 0" "table after attach"
before=$(noports)
send_udp 5 9
expect_count "fast-path drops on x1 (5 datagrams to port 9)" 5 fp ns2 x1 drop
expect_eq "$(hits x1)" "5" "drop program hits"
expect_eq "$(noports)" "$before" "Udp NoPorts in ns2 (dropped before the stack)"
pass0=$(fp ns2 x1 pass)
must nsx ns1 ping -c 3 -i 0.2 -W 2 -q 10.9.0.2
expect_eq "$(($(fp ns2 x1 pass) - pass0))" 3 "x1 fp_pass for 3 echo requests with the drop program attached"
send_udp 3 10
wait_for "3 datagrams to port 10 to reach ns2's UDP" 30 noports_at_least $((before + 3))
note "ok: other UDP ports pass"

# detach: the flow reaches the stack again and the counters stop.
must ctl ns2 'detach x1'
expect_empty "table after detach" table
before=$(noports)
drops=$(fp ns2 x1 drop)
send_udp 4 9
wait_for "4 datagrams to port 9 to reach ns2's UDP" 30 noports_at_least $((before + 4))
expect_eq "$(fp ns2 x1 drop)" "$drops" "x1 fp_drop after detach"

# count: every frame counted and passed.
must ctl ns2 'attach x1 count'
must nsx ns1 ping -c 3 -i 0.2 -W 2 -q 10.9.0.2
expect_eq "$(hits x1)" 3 "count program hits after 3 pings"
must ctl ns2 'detach x1'

# reflect: x1 swaps the MACs and sends each frame back; x0 receives it, x1's stack never
# sees it (so a ping gets no answer).
must ctl ns2 'attach x1 reflect'
tx1=$(fp ns2 x1 tx)
reflected ns1 x0 ns2 x1 3 nsx ns1 ping -c 3 -i 0.2 -W 1 -q 10.9.0.2
expect_eq "$(($(fp ns2 x1 tx) - tx1))" 3 "x1 fp_tx for 3 echo requests"
must_fail "100% packet loss" nsx ns1 ping -c 2 -i 0.2 -W 1 -q 10.9.0.2
must ctl ns2 'detach x1'

# redirect: frames arriving on x1 leave through r0 and arrive on its peer r1.
ip link add name r0 netns ns2 type rveth peer name r1 netns ns2 || fail "second pair"
for d in r0 r1; do
	ip -n ns2 link set "$d" addrgenmode none
	ip -n ns2 link set "$d" up
done
must ctl ns2 'attach x1 redirect r0'
rx1=$(stat ns2 r1 rx_packets)
send_udp 6 9
wait_for "r1 to receive 6 redirected frames" 30 rx_at_least ns2 r1 $((rx1 + 6))
expect_eq "$(fp ns2 x1 redirect)" 6 "x1 fp_redirect for 6 datagrams"
# A target that is down: the verdict is counted, the frame dropped as an error.
ip -n ns2 link set r0 down
errors=$(fp ns2 x1 errors)
send_udp 2 9
expect_count "x1 fp_errors after 2 datagrams redirected to a device that is down" $((errors + 2)) fp ns2 x1 errors
must ctl ns2 'detach x1'

# Bad commands are refused and change nothing (the count program keeps counting, so
# compare without its hits).
must ctl ns2 'attach x1 count'
want=$(table | sed 's/ hits [0-9]*//')
bad=("" "attach" "attach x1" "attach x1 frob" "attach x1 drop dport 9"
	"attach x1 drop proto sctp" "attach x1 drop proto udp dport 70000"
	"attach x1 drop proto udp proto tcp" "attach x1 count extra" "attach x1 redirect"
	"attach averyveryverylongname count" "detach" "frob x1" $'attach x1 count\ndetach x1')
# One Python process writes them all, one write(2) each (through the environment: any
# byte but NUL reaches the file as it is here).
exprs=() einvals=
for i in "${!bad[@]}"; do
	export "ND_BAD$i=${bad[i]}"
	exprs+=("os.environb[b'ND_BAD$i']")
	einvals+="EINVAL "
done
expect_eq "$(write_errnos ns2 /proc/net/rxdp "${exprs[@]}")" "${einvals% }" "errnos of ${#bad[@]} malformed commands"
# The errno says why: busy, not an rveth device, no such device or target, nothing
# attached, not text.
expect_eq "$(write_errnos ns2 /proc/net/rxdp 'b"attach x1 drop"' 'b"attach lo count"' 'b"attach nosuch count"' \
	'b"attach r0 redirect nosuch"' 'b"detach r0"' 'b"attach x1 \377count"')" \
	"EBUSY EOPNOTSUPP ENODEV ENODEV ENOENT EINVAL" "errnos of 6 refused commands"
expect_eq "$(table | sed 's/ hits [0-9]*//')" "$want" "table after 20 refused commands"
must ctl ns2 'detach x1'

# The file is per namespace: ns1's is empty and cannot see ns2's devices.
expect_empty "ns1 table" nsx ns1 cat /proc/net/rxdp
expect_eq "$(write_errnos ns1 /proc/net/rxdp 'b"attach x1 count"')" "ENODEV" "ns1 attaching ns2's device"

# Malformed frames through the fast path: runts, lying IPv4/IPv6 headers.
must ctl ns2 'attach x1 drop proto udp dport 9'
# Nothing else crosses the link meanwhile (ns1's neighbour entry is pinned; no IPv6).
quiet_ipv6 ns1 x0
passes=$(fp ns2 x1 pass)
send_malformed_frames ns1 x0
expect_count "x1 fp_pass for 9 malformed frames" $((passes + 9)) fp ns2 x1 pass
must nsx ns1 ping -c 2 -i 0.2 -W 2 -q 10.9.0.2
note "ok: malformed frames passed through the fast path without harm"

# rmmod while attached is refused: the attached program holds a reference on rxdp, whose
# code a device would otherwise go on calling. The program keeps running.
expect_eq "$(table | sed 's/ hits [0-9]*//')" "x1: drop proto udp dport 9" "table before rmmod"
err=$(rmmod rxdp 2>&1) && fail "rmmod rxdp succeeded with a program attached"
echo "$err" | grep -q "in use" || fail "rmmod rxdp refused for another reason: $err"
grep -q '^rxdp ' /proc/modules || fail "rxdp is gone"
drops=$(fp ns2 x1 drop)
send_udp 3 9
expect_count "x1 fp_drop after 3 more datagrams, the rmmod refused" $((drops + 3)) fp ns2 x1 drop
note "ok: rmmod rxdp refused while attached ($err)"

# rmmod rveth while the program is attached and traffic flows: the devices go, and with
# them the program and its module reference; then rxdp unloads.
nsx_bg ns1 ping -f -w 8 -q 10.9.0.2 >/dev/null 2>&1
flood=$!
wait_for "the flood to reach x1" 60 rx_at_least ns2 x1 100
kill -0 $flood 2>/dev/null || fail "the flood ended before rmmod"
must rmmod rveth
kill $flood 2>/dev/null # (the devices are gone; its -w deadline only bounds a stuck rmmod)
wait $flood
expect_eq "$(table | sed 's/ hits [0-9]*//')" "x1: drop proto udp dport 9 (detached: device gone)" "table after the device went"
must rmmod rxdp
note "ok: rmmod rveth under traffic with a program attached, then rmmod rxdp"
