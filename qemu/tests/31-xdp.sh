# Native eBPF XDP in rveth: `ip link set ... xdpdrv obj` attaches real programs
# (samples/xdp/*.bpf.c) that run in the Rust driver. Every action does what it says,
# checked with rveth's per-queue xdp_* counters and what the far side sees; frames that
# C veth's XDP redirects into rveth arrive through ndo_xdp_xmit; a Rust fast-path program
# and an eBPF program never share a device; malformed frames do no harm, oversized ones cannot arrive;
# attach/detach under traffic and deleting a device with a program attached are clean.
. "$(dirname "$0")/../guest/testlib.sh"
. "$(dirname "$0")/../guest/pktgen.sh"
trap 'cleanup_namespaces; unload rxdp' EXIT
cleanup_namespaces
unload rxdp
modprobe rveth || fail "modprobe rveth"
modprobe veth || fail "modprobe veth"
P=/lib/modules/$(uname -r)/xdp
for p in pass drop tx redirect aborted; do
	[ -s "$P/xdp_$p.o" ] || fail "missing $P/xdp_$p.o (built by scripts/build.sh)"
done
pair_in_namespaces rveth
# Both namespaces' /proc/net files through a process in each (testlib's anchor).
anchor ns1
anchor ns2

# xdp NS DEV VERDICT: an eBPF verdict counter of DEV, summed over its receive queues.
xdp() { ethtool_sum "$1" "$2" "*_xdp_$3"; }
# ethstat NS DEV NAME: one device-wide ethtool -S counter.
ethstat() { ethtool_sum "$1" "$2" "$3"; }
attach() { ip -force -n "$1" link set dev "$2" xdpdrv obj "$P/xdp_$3.o" sec xdp; }
detach() { ip -n "$1" link set dev "$2" xdpdrv off; }
# xdp_mode NS DEV: the attach mode `ip -j -d link` reports (1 = native driver mode).
xdp_mode() {
	ip -n "$1" -j -d link show dev "$2" | ndpy json 'd[0].get("xdp", {}).get("mode", 0)'
}
# map_of NS DEV: the id of the (only) map of the program attached to DEV.
map_of() {
	local id
	id=$(ip -n "$1" link show dev "$2" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
	[ -n "$id" ] || fail "no program on $2"
	nsx "$1" bpftool prog show id "$id" | sed -n 's/.*map_ids \([0-9]*\).*/\1/p'
}
noports() { snmp ns2 Udp NoPorts; }
noports_at_least() { [ "$(noports)" -ge "$1" ]; }
rxdp_cmd() { net_write ns2 rxdp "$1"; }
send_udp() {
	ndpy --ns ns1 udp-send 10.9.0.2 "$2" --count "$1" --size 2 ||
		fail "sending UDP from ns1"
}
# wait_counter WHAT NS DEV VERDICT MIN
wait_counter() {
	local what=$1 ns=$2 dev=$3 v=$4 min=$5 i
	for ((i = 0; i < 150; i++)); do
		[ "$(xdp "$ns" "$dev" "$v")" -ge "$min" ] && { note "ok: $what"; return 0; }
		sleep 0.2
	done
	fail "timed out waiting for $what: $dev xdp_$v = $(xdp "$ns" "$dev" "$v"), expected >= $min"
}

must nsx ns1 ping -c 2 -i 0.2 -W 2 -q 10.9.0.2
# The programs below reflect, abort or redirect everything, ARP included, which would
# leave ns1's neighbour entry for 10.9.0.2 FAILED and hold back the datagrams that follow:
# pin x1's address so each one leaves x0 whatever happened to ARP (and x0's at x1).
pin_neighbours 4

# drop: one UDP flow is dropped in the driver; everything else passes.
must attach ns2 x1 drop
expect_eq "$(xdp_mode ns2 x1)" "1" "x1 XDP attach mode (1 = native, in the driver)"
ip -n ns2 link show dev x1 | grep -q 'prog/xdp id' || fail "ip link does not show the program on x1"
before=$(noports)
send_udp 5 9
wait_counter "5 eBPF drops on x1" ns2 x1 drop 5
expect_eq "$(noports)" "$before" "Udp NoPorts in ns2 (dropped before the stack)"
passes=$(xdp ns2 x1 pass)
must nsx ns1 ping -c 3 -i 0.2 -W 2 -q 10.9.0.2
expect_ge "$(($(xdp ns2 x1 pass) - passes))" 3 "x1 xdp_pass for 3 echo requests"
expect_eq "$(ethtool_sum ns2 x1 '*_fp_*')" "0" "x1 Rust fast-path counters (no Rust program ran)"

# One program per device: a Rust program cannot join an eBPF one, nor the other way.
modprobe rxdp || fail "modprobe rxdp"
expect_eq "$(write_errnos ns2 /proc/net/rxdp 'b"attach x1 count"')" "EBUSY" "a Rust program next to an eBPF one"
must detach ns2 x1
expect_eq "$(xdp_mode ns2 x1)" "0" "x1 XDP attach mode after detach"
must rxdp_cmd 'attach x1 count'
msg=$(attach ns2 x1 drop 2>&1) && fail "an eBPF program attached next to a Rust one"
echo "$msg" | grep -q 'Rust fast-path program is attached' || fail "no reason given: $msg"
note "ok: refused with: $(echo "$msg" | grep -o 'rveth: .*attached[^)]*)')"
must rxdp_cmd 'detach x1'
rmmod rxdp || fail "rmmod rxdp"

# detach: the flow reaches the stack again and the counters stop.
before=$(noports)
drops=$(xdp ns2 x1 drop)
send_udp 4 9
wait_for "4 datagrams to port 9 to reach ns2's UDP" 30 noports_at_least $((before + 4))
expect_eq "$(xdp ns2 x1 drop)" "$drops" "x1 xdp_drop after detach"

# tx: x1 swaps the MACs and sends each frame back; x0 receives it, x1's stack never does.
must attach ns2 x1 tx
tx1=$(xdp ns2 x1 tx)
reflected ns1 x0 ns2 x1 3 nsx ns1 ping -c 3 -i 0.2 -W 1 -q 10.9.0.2
expect_ge "$(($(xdp ns2 x1 tx) - tx1))" 3 "x1 xdp_tx for 3 echo requests"

# XDP_TX in bulk: 1000 frames from pktgen into x0; x1's program sends each back, its
# frames gathered and put into x0's ring 16 at a time under one lock (when 16 wait and as
# each poll ends); x0's program drops what comes back. Every frame x1 received went back
# out, and every one of those was dropped at x0 or counted as an error at x1.
# pktgen in ns1 (PG_NS, pktgen.sh): its thread and device files through ns1's anchor.
PG_NS=ns1
modprobe pktgen || fail "modprobe pktgen"
# Nothing else crosses the link meanwhile: ns1's neighbour entry is pinned, and no IPv6
# (router solicitations, MLD) from either end.
quiet_ipv6 ns1 x0
quiet_ipv6 ns2 x1
must attach ns1 x0 drop
rx1=$(stat ns2 x1 rx_packets)
tx1=$(xdp ns2 x1 tx)
err1=$(xdp ns2 x1 errors)
drop0=$(xdp ns1 x0 drop)
x0_tx1=$(stat ns1 x0 tx_packets)
x0_drop1=$(stat ns1 x0 tx_dropped)
pg_clear || fail "pktgen busy in ns1"
pg_add 0 x0 || fail "pktgen refused x0"
pg_setup x0 "count 1000" "pkt_size 60" "delay 0" "flag NO_TIMESTAMP" "flag !SHARED" \
	"dst 10.9.0.2" "udp_dst_min 9" "udp_dst_max 9" "dst_mac $(dev_mac ns2 x1)" ||
	fail "pktgen set-up"
pg_run || fail "pktgen run"
pg_clear || fail "pktgen did not let go of x0"
bounced() { echo $(($(xdp ns1 x0 drop) - drop0 + $(xdp ns2 x1 errors) - err1)); }
settled() {
	local tx=$(($(xdp ns2 x1 tx) - tx1))
	[ "$tx" -eq "$(($(stat ns2 x1 rx_packets) - rx1))" ] && [ "$(bounced)" -eq "$tx" ]
}
# The rings drain in softirq context after pktgen returns: give them a moment.
for _ in $(seq 50); do settled && break; sleep 0.2; done
received=$(($(stat ns2 x1 rx_packets) - rx1))
sent_back=$(($(xdp ns2 x1 tx) - tx1))
x0_sent=$(($(stat ns1 x0 tx_packets) - x0_tx1))
x0_dropped=$(($(stat ns1 x0 tx_dropped) - x0_drop1))
# Every one of pktgen's 1000 frames is accounted for: into x1's ring, or dropped at x0
# (the ring full) and counted; what x1 received is exactly what x0 sent.
expect_eq "$((x0_sent + x0_dropped))" 1000 "x0 tx_packets + tx_dropped for pktgen's 1000"
expect_eq "$received" "$x0_sent" "x1 rx_packets = x0 tx_packets"
expect_ge "$received" 1 "frames pktgen got across to x1"
expect_eq "$sent_back" "$received" "x1 xdp_tx = frames x1 received"
expect_eq "$(bounced)" "$sent_back" "x0 xdp_drop + x1 xdp_errors = x1 xdp_tx"
expect_ge "$(($(xdp ns1 x0 drop) - drop0))" 1 "frames back on x0, dropped by its program"
note "ok: 1000 frames from pktgen: $received into x1 ($x0_dropped dropped at x0, ring full), $sent_back sent back, $(($(xdp ns2 x1 errors) - err1)) not taken by x0's ring"
must detach ns1 x0
unload pktgen

# aborted: dropped and counted.
must attach ns2 x1 aborted
ab=$(xdp ns2 x1 aborted)
must_fail "100% packet loss" nsx ns1 ping -c 3 -i 0.2 -W 1 -q 10.9.0.2
expect_ge "$(($(xdp ns2 x1 aborted) - ab))" 3 "x1 xdp_aborted for 3 echo requests"
must detach ns2 x1

# redirect: frames arriving on x1 leave through r0 (its ndo_xdp_xmit) and arrive on r1
# as XDP frames, where an eBPF program sees them without any copy.
ip link add name r0 netns ns2 type rveth peer name r1 netns ns2 || fail "second pair"
for d in r0 r1; do
	ip -n ns2 link set "$d" addrgenmode none
	ip -n ns2 link set "$d" up
done
must attach ns2 x1 redirect
must attach ns2 r1 pass
ifindex=$(ip netns exec ns2 cat /sys/class/net/r0/ifindex)
le() { printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
must nsx ns2 bpftool map update id "$(map_of ns2 x1)" key 0 0 0 0 value $(le "$ifindex")
rx1=$(stat ns2 r1 rx_packets)
redirects=$(xdp ns2 x1 redirect)
xmits=$(ethstat ns2 r0 xdp_xmit)
send_udp 6 9
wait_for "r1 to receive 6 redirected frames" 30 rx_at_least ns2 r1 $((rx1 + 6))
# x1 hears only the datagrams (x0 is quiet) and r0 transmits only what is redirected to
# it: exactly 6 each. r1 also hears r0's own IPv6 (router solicitations, MLD): 6 or more.
expect_count "x1 xdp_redirect for 6 datagrams" $((redirects + 6)) xdp ns2 x1 redirect
expect_eq "$(ethstat ns2 r0 xdp_xmit)" "$((xmits + 6))" "r0 xdp_xmit (ndo_xdp_xmit) for 6 redirected frames"
expect_ge "$(xdp ns2 r1 pass)" 6 "r1 xdp_pass on redirected frames"
# A target that is down: the redirect fails, counted as an error, the frame dropped.
ip -n ns2 link set r0 down
errors=$(xdp ns2 x1 errors)
send_udp 2 9
wait_counter "2 redirect errors on x1" ns2 x1 errors $((errors + 2))
ip -n ns2 link set r0 up

# Frames from C veth's native XDP, redirected into rveth: ndo_xdp_xmit with another
# driver's memory (veth's page pool), returned or built into sk_buffs by rveth. (The
# devmap refuses targets without NETDEV_XDP_ACT_NDO_XMIT in xdp_features, so this also
# checks what rveth advertises.)
ip link add name v0 netns ns2 type veth peer name v1 netns ns2 || fail "veth pair"
for d in v0 v1; do
	ip -n ns2 link set "$d" addrgenmode none
	ip -n ns2 link set "$d" up
done
detach ns2 x1
must ip -n ns2 link set dev v1 xdpdrv obj "$P/xdp_redirect.o" sec xdp
must nsx ns2 bpftool map update id "$(map_of ns2 v1)" key 0 0 0 0 value $(le "$ifindex")
xmit=$(ethstat ns2 r0 xdp_xmit)
pass=$(xdp ns2 r1 pass)
# A broadcast frame of an experimental ethertype (88b5), 60 bytes: nobody's protocol.
RAW=ffffffffffff02000000000188b5$(printf '00%.0s' {1..46})
ndpy --ns ns2 raw-send v0 "$RAW" --count 8 || fail "sending raw frames on v0"
wait_counter "8 frames from veth's XDP through rveth's ndo_xdp_xmit to r1" ns2 r1 pass $((pass + 8))
expect_ge "$(($(ethstat ns2 r0 xdp_xmit) - xmit))" 8 "r0 xdp_xmit from veth"
ip -n ns2 link set dev v1 xdpdrv off
# Without a program on r1, redirected frames become sk_buffs for r1's stack.
must detach ns2 r1
must ip -n ns2 link set dev v1 xdpdrv obj "$P/xdp_redirect.o" sec xdp
must nsx ns2 bpftool map update id "$(map_of ns2 v1)" key 0 0 0 0 value $(le "$ifindex")
rx1=$(stat ns2 r1 rx_packets)
ndpy --ns ns2 raw-send v0 "$RAW" --count 4 || fail "sending raw frames on v0"
wait_for "r1 to receive 4 frames as sk_buffs" 30 rx_at_least ns2 r1 $((rx1 + 4))
note "ok: frames without a program on r1 reached its stack"
# The Rust fast path sees redirected frames as they are: rxdp's drop program on r1
# drops each once, before any sk_buff is built for it; its reflect
# program sends them back out through r0's ring (XDP_TX), where they become sk_buffs.
fp() { ethtool_sum ns2 "$1" "*_fp_$2"; }
raw_on_v0() { ndpy --ns ns2 raw-send v0 "$RAW" --count "$1" || fail "sending raw frames on v0"; }
modprobe rxdp || fail "modprobe rxdp"
must rxdp_cmd 'attach r1 drop'
drops=$(fp r1 drop)
rx1=$(stat ns2 r1 rx_packets)
raw_on_v0 5
expect_count "r1 fast-path drops after 5 redirected frames" $((drops + 5)) fp r1 drop
expect_eq "$(($(stat ns2 r1 rx_packets) - rx1))" "5" "r1 rx_packets for 5 frames (each counted once, as it arrives)"
must rxdp_cmd 'detach r1'
must rxdp_cmd 'attach r1 reflect'
tx=$(fp r1 tx)
rx0=$(stat ns2 r0 rx_packets)
raw_on_v0 4
wait_for "4 reflected frames back on r0" 30 rx_at_least ns2 r0 $((rx0 + 4))
expect_eq "$(($(fp r1 tx) - tx))" "4" "r1 fast-path tx of 4 redirected frames"
must rxdp_cmd 'detach r1'
rmmod rxdp || fail "rmmod rxdp"
ip -n ns2 link set dev v1 xdpdrv off

# Malformed frames through the eBPF path: runts, lying IPv4/IPv6 headers. A frame too
# big for one page never reaches the program: while it runs, the peer's MTU is capped
# at what fits (veth_xdp_set: 3506 with 4 KiB pages), a 9000-byte MTU is refused, and
# the largest frame that fits passes.
must attach ns2 x1 drop
# Nothing else crosses the link meanwhile (ns1's neighbour entry is pinned; no IPv6).
quiet_ipv6 ns1 x0
passes=$(xdp ns2 x1 pass)
send_malformed_frames ns1 x0
expect_count "x1 xdp_pass for 9 malformed frames" $((passes + 9)) xdp ns2 x1 pass
must_fail "mtu greater than device maximum" ip -n ns1 link set x0 mtu 9000
expect_eq "$(ip -n ns1 -d link show x0 | sed -n 's/.* maxmtu \([0-9]*\).*/\1/p')" "3506" "x0 maxmtu while x1 runs a program"
ip -n ns1 link set x0 mtu 3506 || fail "x0 mtu 3506 refused"
ip -n ns2 link set x1 mtu 3506 || fail "x1 mtu 3506 refused"
passes=$(xdp ns2 x1 pass)
must nsx ns1 ping -c 1 -W 2 -M do -s 3478 -q 10.9.0.2
expect_ge "$(($(xdp ns2 x1 pass) - passes))" 1 "x1 xdp_pass for a 3520-byte frame"
ip -n ns1 link set x0 mtu 1500
ip -n ns2 link set x1 mtu 1500
must nsx ns1 ping -c 2 -i 0.2 -W 2 -q 10.9.0.2

# Attach, replace and detach while a flood runs: the poll reads the program once per
# poll under RCU; the old program is freed after a grace period.
nsx_bg ns1 ping -f -w 8 -q 10.9.0.2 >/dev/null 2>&1
flood=$!
for i in 1 2 3 4 5; do
	attach ns2 x1 pass || fail "attach pass under traffic"
	attach ns2 x1 drop || fail "replace with drop under traffic"
	detach ns2 x1 || fail "detach under traffic"
done
kill $flood 2>/dev/null
wait $flood
must nsx ns1 ping -c 2 -i 0.2 -W 2 -q 10.9.0.2

# Deleting a device with a program attached detaches it (dev_xdp_uninstall).
must attach ns2 r1 pass
ip -n ns2 link del r0 || fail "deleting r0 with a program on r1"
ip -n ns2 link show r1 >/dev/null 2>&1 && fail "r1 still exists"
note "ok: pair deleted with a program attached"
exit 0
