#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest: benchmarks, ours against the kernel's C, in one boot. The method is in
# docs/bench.md; in short:
#  - every comparison is paired: in each round the two sides run back to back, in an
#    order that alternates from round to round, and the ratio is taken per round; the
#    line reports the median ratio and its spread (min, max) over the rounds;
#  - every case proves it measured the path it names: the counter of the thing that
#    does the work (the receiving device, the rule's hits, the program's drop counter)
#    must account for the frames sent, or the bench stops with an error;
#  - pktgen runs as the kernel's samples/pktgen scripts run it (`delay 0`,
#    `flag NO_TIMESTAMP`) and with `flag !SHARED`: its default (F_SHARED) hands the
#    same sk_buff to the stack with a second reference, which makes ip_rcv clone it and
#    GRO skip it, a cost some paths pay and others do not; unshared, every path gets a
#    buffer of its own.
# Parts (ND_BENCH_PARTS, default "link filter fastpath stream socket"):
#  link:     pktgen into one end of a pair; the other end's rx_packets: rveth against
#            veth as created (GRO off: veth's netif_rx and the per-CPU backlog), and both
#            with GRO on at the receiver (NAPI and GRO in both: rveth-gro, veth-napi).
#  filter:   pktgen in netif_receive mode into a dummy device; a PRE_ROUTING rule drops
#            the UDP frames: rfilter against nftables, one rule and 20, 60 and 1400 bytes.
#  fastpath: pktgen into a pair; the far end drops one UDP flow in rveth's Rust fast
#            path (rxdp), in an eBPF XDP program in rveth or in veth, in rfilter or in
#            nftables; and the generator alone, whose cost every case includes. The
#            -frame cases send through a veth whose XDP program redirects into rveth,
#            so the frames arrive as XDP frames: the Rust and the eBPF program both see
#            them in place (ratio fastpath/xdp); on sk_buffs from pktgen the eBPF
#            program sees a copy and the Rust one the buffer (ratio fastpath/xdp-copy).
#            xdp-tx: the far end's eBPF program sends every frame back (XDP_TX), the near
#            end's drops it: rveth against veth (ratio xdp-tx-rveth/veth).
#  stream:   iperf3 between two namespaces over a pair: one TCP stream, one UDP stream of
#            1400-byte datagrams; rveth against veth; and two streams over two queues
#            against one stream over one (2q/1q), for each driver.
#  socket:   echo servers over a veth pair between two namespaces, rsock's in the kernel
#            against a user-space one (qemu/guest/echoperf.c, built here with cc): UDP
#            round trips of 64 bytes per second (ratio rsock-echo/user-echo) and a TCP
#            stream echoed back, Gbit/s (ratio rsock-tcp-echo/user-tcp-echo). The
#            server's own byte counts must equal what the client got back.
set -u
OUT=${ND_BENCH_OUT:-/tmp}
COUNT=${ND_BENCH_COUNT:-300000}
ROUNDS=${ND_BENCH_ROUNDS:-7}
STREAM_SECONDS=${ND_BENCH_STREAM_SECONDS:-4}
PG=/proc/net/pktgen
. "$(dirname "$0")/pktgen.sh"
RUNS=$OUT/rounds.txt
: >"$RUNS"
# Under `make profile` (qemu/tcgprof): each measured run is a window of the profile,
# named PROF_CASE ("part/case"); otherwise prof_mark does nothing.
prof_mark() { :; }
PROF_CASE=-
if [ -n "${ND_BENCH_PROFILE:-}" ]; then
	. "$(dirname "$0")/tcgprof.sh"
fi

die() {
	echo "bench: error: $*"
	exit 1
}

modprobe pktgen || die "modprobe pktgen failed"
modprobe rveth || die "modprobe rveth failed"
modprobe veth || die "modprobe veth failed"
modprobe dummy || die "modprobe dummy failed"

if dmesg | grep -q 'Hypervisor detected: KVM'; then
	ACCEL=kvm
elif grep -q 'QEMU TCG' /proc/cpuinfo; then
	ACCEL=tcg
else
	ACCEL=unknown
fi

# pg_timed DEV SIZE [SETTING...]: COUNT frames of SIZE bytes out of DEV with pktgen
# (pktgen.sh), as the kernel's sample scripts do, unshared; prints the microseconds it took.
pg_timed() {
	local dev=$1 size=$2 usec
	shift 2
	pg_clear && pg_add 0 "$dev" &&
		pg_setup "$dev" "count $COUNT" "pkt_size $size" "delay 0" "flag NO_TIMESTAMP" "flag !SHARED" "$@" ||
		die "pktgen set-up on $dev failed"
	prof_mark -
	pg_run || die "pktgen on $dev failed"
	prof_mark "$PROF_CASE" "$COUNT" packet
	usec=$(pg_usec "$dev")
	pg_clear
	[ -n "$usec" ] && [ "$usec" -gt 0 ] || die "pktgen on $dev did not finish"
	echo "$usec"
}

mpps() { awk -v n="$1" -v u="$2" 'BEGIN {printf "%.4f", n / u}'; }
sysstat() { cat "/sys/class/net/$1/statistics/$2"; }
# ethsum DEV SUFFIX: the sum of DEV's ethtool -S counters whose name ends in SUFFIX.
ethsum() {
	ethtool -S "$1" | awk -v k="$2:" 'index($1, k) && substr($1, length($1) - length(k) + 1) == k {s += $2} END {print s + 0}'
}
# expect_count WHAT GOT: the proof that a case measured its path.
expect_count() {
	[ "$2" = "$COUNT" ] || die "$1 counted $2 of $COUNT frames: the case did not measure the path it names"
}

# record PART ROUND CASE VALUE [UNIT]: VALUE is what a case printed: a number, or the
# error it died with (in a subshell), which stops the bench here.
record() {
	[[ $4 =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "$4"; exit 1; }
	echo "$1 $2 $3 $4" >>"$RUNS"
	echo "  round $2: $3: $4 ${5:-Mpps}"
}

# rotate N WORDS...: the words, rotated by N (so each round runs the cases in another
# order, and drift over the run does not favour one side).
rotate() {
	local n=$1
	shift
	local a=("$@") i
	for ((i = 0; i < ${#a[@]}; i++)); do echo -n "${a[(i + n) % ${#a[@]}]} "; done
}

# paired NAME PART OURS REF: the ratio OURS/REF per round, from the same round's values;
# prints "ratio: NAME median (min X, max Y; N paired rounds)" and keeps it for the JSON.
RATIOS=""
paired() {
	local name=$1 part=$2 ours=$3 ref=$4 line
	line=$(awk -v p="$part" -v a="$ours" -v b="$ref" '
		$1 == p && $3 == a {x[$2] = $4}
		$1 == p && $3 == b {y[$2] = $4}
		END {
			n = 0
			for (r in x) if ((r in y) && y[r] > 0) r_[n++] = x[r] / y[r]
			if (n == 0) { print "0 0 0 0"; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (r_[j] < r_[i]) { t = r_[i]; r_[i] = r_[j]; r_[j] = t }
			med = (n % 2) ? r_[(n - 1) / 2] : (r_[n / 2 - 1] + r_[n / 2]) / 2
			printf "%.3f %.3f %.3f %d", med, r_[0], r_[n - 1], n
		}' "$RUNS")
	set -- $line
	echo "ratio: $name $1 (min $2, max $3; $4 paired rounds)"
	RATIOS="$RATIOS${RATIOS:+, }{\"name\": \"$name\", \"median\": $1, \"min\": $2, \"max\": $3, \"rounds\": $4}"
}

# median_of PART CASE: the median of a case's values, for the tables.
median_of() {
	awk -v p="$1" -v c="$2" '$1 == p && $3 == c {print $4}' "$RUNS" | sort -n |
		awk '{a[NR] = $1} END {if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.4f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

PARTS=${ND_BENCH_PARTS:-link filter fastpath stream socket}
part() { [[ " $PARTS " == *" $1 "* ]]; }

# --- link: pktgen into a0, a1's rx_packets -------------------------------------------
# link_case KIND SIZE: one pair, pktgen into one end; prints Mpps received at the other.
# KIND rveth or veth as created (GRO off: rveth's NAPI poll hands each frame to
# netif_receive_skb, veth uses netif_rx and the per-CPU backlog), or with GRO on at the
# receiver, both through NAPI and GRO: rveth-gro, veth-napi. veth takes its NAPI path
# only for frames it may merge (veth_skb_is_eligible_for_gro): with TSO off at the
# sender; its rx_queue_0_xdp_packets, counted by that path alone, proves it.
link_case() {
	local kind=$1 size=$2 usec before got napi napi_before
	ip link add name a0 type "${kind%-*}" peer name a1 || die "cannot create a $kind pair"
	for d in a0 a1; do
		ip link set $d addrgenmode none
		ip link set $d up
	done
	case $kind in
	veth-napi)
		ethtool -K a0 tso off >/dev/null || die "cannot turn off TSO on veth"
		ethtool -K a1 gro on >/dev/null || die "cannot turn on GRO (NAPI) on veth" ;;
	rveth-gro)
		ethtool -K a1 gro on >/dev/null || die "cannot turn on GRO on rveth" ;;
	esac
	before=$(sysstat a1 rx_packets)
	napi_before=0
	[ "$kind" = veth-napi ] && napi_before=$(ethsum a1 _xdp_packets)
	usec=$(pg_timed a0 "$size" "dst 198.18.0.2" "dst_mac $(cat /sys/class/net/a1/address)")
	sleep 0.2
	got=$(($(sysstat a1 rx_packets) - before))
	napi=0
	[ "$kind" = veth-napi ] && napi=$(($(ethsum a1 _xdp_packets) - napi_before))
	ip link del a0
	# A full ring drops frames (counted), which is part of the measurement; a path that
	# lost most of them measured something else.
	[ "$got" -ge $((COUNT * 9 / 10)) ] || die "$kind received $got of $COUNT frames"
	[ "$kind" != veth-napi ] || [ "$napi" -ge "$got" ] ||
		die "veth-napi: $napi of $got frames went through veth's NAPI: the case did not measure the path it names"
	mpps "$got" "$usec"
}

if part link; then
	echo "--- link: pktgen into one end of a pair, frames received at the other"
	for size in 60 1514; do
		kinds="rveth veth"
		[ "$size" = 60 ] && kinds="rveth veth rveth-gro veth-napi"
		for r in $(seq 1 "$ROUNDS"); do
			for kind in $(rotate "$r" $kinds); do
				PROF_CASE=link-$size/$kind
				record "link-$size" "$r" "$kind" "$(link_case "$kind" "$size")"
			done
		done
	done
fi

# --- filter: netif_receive injection into bench0, drop at PRE_ROUTING ------------------
RULE='hook prerouting proto udp dport 9'
# filter_case CASE: sets up the rule(s) of a case; `hits` then reads what matched.
filter_case() {
	rmmod rfilter 2>/dev/null
	nft flush ruleset
	local n=1
	case $1 in
	rfilter-20* | nftables-20*) n=20 ;;
	rfilter-101*) n=101 ;;
	esac
	case $1 in
	none) ;;
	rfilter*)
		modprobe rfilter || die "modprobe rfilter"
		{
			for i in $(seq 1 $((n - 1))); do echo "add drop hook prerouting proto udp dport $((1000 + i))"; done
			echo "add drop $RULE"
		} >/proc/net/rfilter || die "rfilter refused the table"
		;;
	nftables*)
		{
			echo "table ip bench {"
			echo "  chain pre { type filter hook prerouting priority 0;"
			for i in $(seq 1 $((n - 1))); do echo "    udp dport $((1000 + i)) drop"; done
			echo "    udp dport 9 counter drop"
			echo "  }"
			echo "}"
		} | nft -f - || die "nft refused the table"
		;;
	esac
}
# hits CASE: the frames the case's last (matching) rule counted.
hits() {
	case $1 in
	none) echo "$COUNT" ;;
	rfilter*) tail -n 1 /proc/net/rfilter | sed -n 's/.* packets \([0-9]*\) bytes.*/\1/p' ;;
	nftables*) nft list table ip bench | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' ;;
	esac
}
run_filter() {
	local c=$1 size=60 usec
	case $c in *-1400) size=1400 ;; esac
	filter_case "$c"
	usec=$(pg_timed bench0 "$size" "xmit_mode netif_receive" "dst 198.18.0.2" \
		"udp_dst_min 9" "udp_dst_max 9" "dst_mac $(cat /sys/class/net/bench0/address)")
	expect_count "filter case $c" "$(hits "$c")"
	mpps "$COUNT" "$usec"
}

if part filter; then
	echo "--- filter: UDP frames injected into bench0's receive path, dropped at PRE_ROUTING"
	ip link add name bench0 type dummy
	ip addr add 198.18.0.1/24 dev bench0
	ip link set bench0 up
	sysctl -qw net.ipv4.ip_forward=0
	for r in $(seq 1 "$ROUNDS"); do
		for pair in "rfilter-1 nftables" "rfilter-20 nftables-20" "rfilter-1400 nftables-1400" "rfilter-101 none"; do
			for c in $(rotate "$r" $pair); do
				PROF_CASE=filter/$c
				record filter "$r" "$c" "$(run_filter "$c")"
			done
		done
	done
	filter_case none
	ip link del bench0
fi

# --- fastpath: pktgen into fp0 (rveth) or vp0 (veth); the far end drops UDP dport 9 ---
XDP_DROP_OBJ=/lib/modules/$(uname -r)/xdp/xdp_drop.o
XDP_REDIRECT_OBJ=/lib/modules/$(uname -r)/xdp/xdp_redirect.o
XDP_TX_OBJ=/lib/modules/$(uname -r)/xdp/xdp_tx.o
fast_case() {
	# An attached program holds a reference on rxdp: detach it before unloading.
	[ -e /proc/net/rxdp ] && echo "detach fp1" >/proc/net/rxdp 2>/dev/null
	rmmod rxdp 2>/dev/null
	rmmod rfilter 2>/dev/null
	nft flush ruleset
	for d in fp0 fp1 vp0 vp1; do ip link set $d xdpdrv off 2>/dev/null; done
	case $1 in
	fastpath | fastpath-frame)
		modprobe rxdp || die "modprobe rxdp"
		echo "attach fp1 drop proto udp dport 9" >/proc/net/rxdp || die "rxdp refused the program" ;;
	xdp-rveth | xdp-rveth-frame)
		ip link set fp1 xdpdrv obj "$XDP_DROP_OBJ" sec xdp || die "cannot attach $XDP_DROP_OBJ to fp1" ;;
	xdp-veth)
		ip link set vp1 xdpdrv obj "$XDP_DROP_OBJ" sec xdp || die "cannot attach $XDP_DROP_OBJ to vp1" ;;
	# XDP_TX: the far end sends each frame back (MACs swapped), the near end's program
	# drops what comes back; frames only, both ways, through each driver's tx bulk.
	xdp-tx-rveth | xdp-tx-veth)
		local p=fp
		[ "$1" = xdp-tx-veth ] && p=vp
		ip link set ${p}1 xdpdrv obj "$XDP_TX_OBJ" sec xdp || die "cannot attach $XDP_TX_OBJ to ${p}1"
		ip link set ${p}0 xdpdrv obj "$XDP_DROP_OBJ" sec xdp || die "cannot attach $XDP_DROP_OBJ to ${p}0" ;;
	rfilter)
		modprobe rfilter || die "modprobe rfilter"
		echo "add drop $RULE" >/proc/net/rfilter || die "rfilter refused the rule" ;;
	nftables)
		filter_case nftables ;;
	esac
}
# fast_proof CASE: the counter that says the case's path dropped the frames.
fast_proof() {
	case $1 in
	fastpath | fastpath-frame) ethsum fp1 _fp_drop ;;
	xdp-rveth | xdp-rveth-frame) ethsum fp1 _xdp_drop ;;
	xdp-veth) ethsum vp1 _xdp_drops ;;
	# A frame reaches the near end's receive only as the far end's XDP_TX.
	xdp-tx-rveth) ethsum fp0 _xdp_drop ;;
	xdp-tx-veth) ethsum vp0 _xdp_drops ;;
	rfilter) tail -n 1 /proc/net/rfilter | sed -n 's/.* packets \([0-9]*\) bytes.*/\1/p' ;;
	nftables) hits nftables ;;
	generator) sysstat fpgen tx_packets ;;
	esac
}
run_fast() {
	local c=$1 tx=fp0 rx=fp1 before usec
	case $c in
	xdp-veth | xdp-tx-veth) tx=vp0 rx=vp1 ;;
	generator) tx=fpgen rx=fpgen ;;
	# Into veth, whose XDP program redirects each frame into fp0 (ndo_xdp_xmit): the
	# frames reach fp1 as XDP frames, no sk_buff, no copy.
	*-frame) tx=vr0 rx=vr1 ;;
	esac
	fast_case "$c"
	before=$(fast_proof "$c")
	usec=$(pg_timed $tx 60 "dst 198.18.1.2" "udp_dst_min 9" "udp_dst_max 9" \
		"dst_mac $(cat /sys/class/net/$rx/address)")
	sleep 0.2
	expect_count "fastpath case $c" "$(($(fast_proof "$c") - before))"
	mpps "$COUNT" "$usec"
}

if part fastpath; then
	echo "--- fastpath: UDP into a pair, dropped at the far end"
	ip link add name fp0 type rveth peer name fp1 || die "rveth pair"
	ip link add name vp0 type veth peer name vp1 || die "veth pair"
	# The generator alone: pktgen into a dummy device, whose ndo_start_xmit only frees.
	ip link add name fpgen type dummy || die "dummy"
	ip link add name vr0 type veth peer name vr1 || die "veth pair"
	ip addr add 198.18.1.1/24 dev fp1
	ip addr add 198.18.1.1/24 dev vp1
	for d in fp0 fp1 vp0 vp1 fpgen vr0 vr1; do
		ip link set $d addrgenmode none
		ip link set $d up
	done
	ip link set vr1 xdpdrv obj "$XDP_REDIRECT_OBJ" sec xdp || die "cannot attach $XDP_REDIRECT_OBJ to vr1"
	map=$(bpftool prog show id "$(ip -j -d link show vr1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')" |
		sed -n 's/.*map_ids \([0-9]*\).*/\1/p')
	i=$(cat /sys/class/net/fp0/ifindex)
	bpftool map update id "$map" key 0 0 0 0 value $((i & 255)) $((i >> 8 & 255)) 0 0 ||
		die "cannot point the redirect map at fp0"
	for r in $(seq 1 "$ROUNDS"); do
		for c in $(rotate "$r" fastpath xdp-rveth xdp-veth rfilter nftables generator fastpath-frame xdp-rveth-frame xdp-tx-rveth xdp-tx-veth); do
			PROF_CASE=fastpath/$c
			record fastpath "$r" "$c" "$(run_fast "$c")"
		done
	done
	fast_case none
	ip link del fp0
	ip link del vp0
	ip link del vr0
	ip link del fpgen
fi

# --- stream: iperf3 over a pair between two namespaces ---------------------------------
# received_mb JSON: the MB an iperf3 run's receiver got (the profile's unit of work).
received_mb() {
	echo "$1" | python3 -c '
import json, sys
try:
    end = json.load(sys.stdin)["end"]
    rx = end.get("sum_received") or end["sum"]
    print(int(rx["bytes"] * (1 - rx.get("lost_percent", 0) / 100) / 1e6))
except (ValueError, KeyError):
    print(0)
'
}
# stream_case KIND QUEUES MODE: a pair of KIND with QUEUES queues each way between ns
# bA and bB; MODE tcp (one stream per queue) or udp (1400-byte datagrams, one stream);
# prints Gbit/s received.
stream_case() {
	local kind=$1 q=$2 mode=$3 res
	ip netns add bA && ip netns add bB || die "namespaces"
	ip link add name s0 netns bA numtxqueues "$q" numrxqueues "$q" type "$kind" \
		peer name s1 netns bB numtxqueues "$q" numrxqueues "$q" || die "$kind pair"
	ip -n bA addr add 10.77.0.1/24 dev s0
	ip -n bB addr add 10.77.0.2/24 dev s1
	ip -n bA link set s0 up
	ip -n bB link set s1 up
	ip -n bA link set lo up
	ip -n bB link set lo up
	ip netns exec bB iperf3 -s -1 -D -B 10.77.0.2 >/dev/null 2>&1 || die "iperf3 server"
	for _ in $(seq 50); do ip netns exec bB ss -ltn | grep -q ':5201 ' && break; sleep 0.1; done
	prof_mark -
	if [ "$mode" = tcp ]; then
		res=$(ip netns exec bA iperf3 -c 10.77.0.2 -t "$STREAM_SECONDS" -P "$q" -J 2>&1)
	else
		res=$(ip netns exec bA iperf3 -c 10.77.0.2 -t "$STREAM_SECONDS" -u -b 0 -l 1400 -J 2>&1)
	fi
	[ -z "${ND_BENCH_PROFILE:-}" ] || prof_mark "$PROF_CASE" "$(received_mb "$res")" MB
	ip netns del bA
	ip netns del bB
	echo "$res" | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
if "error" in r:
    sys.exit(1)
end = r["end"]
if "sum_received" in end:
    rx = end["sum_received"]
    bits, secs = rx["bits_per_second"], rx["seconds"]
else:
    # UDP without a receiver sum: the sending rate less the loss.
    rx = end["sum"]
    bits, secs = rx["bits_per_second"] * (1 - rx.get("lost_percent", 0) / 100), rx["seconds"]
# The proof: data crossed the pair (at least 1 MB each second).
if bits * secs < 8e6 * secs:
    sys.exit(2)
print("%.4f" % (bits / 1e9))
' || die "iperf3 $mode over $kind ($q queues) failed or moved almost nothing: $(echo "$res" | tail -3)"
}

if part stream; then
	echo "--- stream: iperf3 between two namespaces, ${STREAM_SECONDS} s each (Gbit/s received)"
	command -v iperf3 >/dev/null || die "iperf3 is not installed (make setup installs it)"
	for r in $(seq 1 "$ROUNDS"); do
		for c in $(rotate "$r" rveth-tcp veth-tcp rveth-udp veth-udp rveth-tcp-2q veth-tcp-2q); do
			kind=${c%%-*}
			mode=${c#*-}
			q=1
			case $mode in *-2q) q=2 mode=${mode%-2q} ;; esac
			PROF_CASE=stream/$c
			record stream "$r" "$c" "$(stream_case "$kind" "$q" "$mode")" Gbit/s
		done
	done
fi

# --- socket: echo servers, in the kernel (rsock) and in user space ---------------------
SOCK_SECONDS=${ND_BENCH_SOCK_SECONDS:-4}
# server_counts CASE: "in N out M" of the case's server: rsock's listing (the UDP server's
# line, or the TCP connection's), or what echoperf wrote when it ended.
server_counts() {
	case $1 in
	rsock-udp) ip netns exec bB awk '$2 == "udp-echo" {print "in", $7, "out", $9}' /proc/net/rsock ;;
	rsock-tcp) ip netns exec bB awk '$2 == "tcp-conn" {print "in", $7, "out", $9}' /proc/net/rsock ;;
	*) cat "$OUT/echoperf.count" 2>/dev/null ;;
	esac
}
# sock_case CASE: rsock-udp, user-udp (prints round trips/s) or rsock-tcp, user-tcp
# (prints Gbit/s echoed), over a veth pair from bA to a server in bB.
sock_case() {
	local c=$1 proto=${1#*-} server=${1%-*} res err back i pid=
	ip netns add bA && ip netns add bB || die "namespaces"
	ip link add name s0 netns bA type veth peer name s1 netns bB || die "veth pair"
	ip -n bA addr add 10.77.0.1/24 dev s0
	ip -n bB addr add 10.77.0.2/24 dev s1
	for n in bA bB; do ip -n $n link set lo up; done
	ip -n bA link set s0 up
	ip -n bB link set s1 up
	rm -f "$OUT/echoperf.count"
	if [ "$server" = rsock ]; then
		ip netns exec bB sh -c "echo '$proto-echo 7' > /proc/net/rsock" || die "rsock $proto-echo"
	else
		ip netns exec bB "$ECHOPERF" "$proto-server" 7 "$OUT/echoperf.count" &
		pid=$!
	fi
	for _ in $(seq 50); do ip netns exec bB ss -Hln | grep -q ':7 ' && break; sleep 0.1; done
	prof_mark -
	if [ "$proto" = udp ]; then
		res=$(ip netns exec bA "$ECHOPERF" udp-rr 10.77.0.2 7 "$SOCK_SECONDS" 2>"$OUT/echoperf.err")
	else
		res=$(ip netns exec bA "$ECHOPERF" tcp-echo 10.77.0.2 7 "$SOCK_SECONDS" 2>"$OUT/echoperf.err")
	fi
	err=$(cat "$OUT/echoperf.err")
	back=$(echo "$err" | awk '{for (i = 1; i < NF; i++) if ($i == "back") print $(i + 1)}')
	if [ -n "${ND_BENCH_PROFILE:-}" ]; then
		if [ "$proto" = udp ]; then
			prof_mark "$PROF_CASE" "$(echo "$err" | awk '/^round trips/ {print $3}')" round-trip
		else
			prof_mark "$PROF_CASE" "$((${back:-0} / 1000000))" MB
		fi
	fi
	[ -n "$pid" ] && { kill -TERM "$pid" 2>/dev/null; wait "$pid"; }
	# The proof: the server received and sent back exactly what the client got back (its
	# counters move just after each send: give them a moment).
	for i in $(seq 50); do
		[ "$(server_counts "$c")" = "in $back out $back" ] && break
		sleep 0.1
	done
	local counts
	counts=$(server_counts "$c")
	[ "$server" = rsock ] && ip netns exec bB sh -c "echo 'close 1' > /proc/net/rsock"
	ip netns del bA
	ip netns del bB
	[ -n "$res" ] && [ -n "$back" ] && [ "$back" -gt 0 ] || die "$c: the client failed: $err"
	[ "$counts" = "in $back out $back" ] ||
		die "$c: the server counted '$counts', the client got $back bytes back: the case did not measure the path it names"
	echo "$res"
}

if part socket; then
	echo "--- socket: echo servers in the kernel (rsock) and in user space, over veth, ${SOCK_SECONDS} s each"
	command -v cc >/dev/null || die "no C compiler (cc) to build echoperf (make setup installs it)"
	ECHOPERF=$OUT/echoperf
	cc -O2 -Wall -o "$ECHOPERF" "$(dirname "$0")/echoperf.c" || die "echoperf did not build"
	modprobe rsock || die "modprobe rsock"
	for r in $(seq 1 "$ROUNDS"); do
		for c in $(rotate "$r" rsock-udp user-udp rsock-tcp user-tcp); do
			PROF_CASE=socket/$c
			unit="round trips/s"
			[ "${c#*-}" = tcp ] && unit=Gbit/s
			record socket "$r" "$c" "$(sock_case "$c")" "$unit"
		done
	done
	rmmod rsock
fi

# --- results ---------------------------------------------------------------------------
echo
echo "Medians over $ROUNDS rounds ($ACCEL, $(uname -r), pktgen: delay 0, NO_TIMESTAMP, !SHARED)"
for p in link-60 link-1514 filter fastpath stream socket; do
	cases=$(awk -v p="$p" '$1 == p {print $3}' "$RUNS" | sort -u)
	[ -n "$cases" ] || continue
	echo "$p:"
	for c in $cases; do printf '  %-22s %10s\n' "$c" "$(median_of "$p" "$c")"; done
done
echo
part link && paired rveth/veth link-60 rveth veth
part link && paired rveth/veth-1518 link-1514 rveth veth
part link && paired rveth/veth-napi link-60 rveth-gro veth-napi
part filter && paired rfilter/nftables filter rfilter-1 nftables
part filter && paired rfilter/nftables-20rules filter rfilter-20 nftables-20
part filter && paired rfilter/nftables-1400 filter rfilter-1400 nftables-1400
part fastpath && paired fastpath/rfilter fastpath fastpath rfilter
part fastpath && paired fastpath/xdp fastpath fastpath-frame xdp-rveth-frame
part fastpath && paired fastpath/xdp-copy fastpath fastpath xdp-rveth
part fastpath && paired xdp-rveth/xdp-veth fastpath xdp-rveth xdp-veth
part fastpath && paired xdp-tx-rveth/veth fastpath xdp-tx-rveth xdp-tx-veth
part stream && paired tcp-stream-rveth/veth stream rveth-tcp veth-tcp
part stream && paired udp-stream-rveth/veth stream rveth-udp veth-udp
part stream && paired 2q/1q-rveth stream rveth-tcp-2q rveth-tcp
part stream && paired 2q/1q-veth stream veth-tcp-2q veth-tcp
part socket && paired rsock-echo/user-echo socket rsock-udp user-udp
part socket && paired rsock-tcp-echo/user-tcp-echo socket rsock-tcp user-tcp
if part fastpath; then
	# The receive side alone: each round's generator-only cost subtracted from the same
	# round's case, in nanoseconds per packet; median and spread over the rounds.
	awk '$1 == "fastpath" {v[$2 " " $3] = $4; r[$2] = 1}
		END {
			n = 0
			for (k in r) {
				g = v[k " generator"]; f = v[k " fastpath"]; x = v[k " rfilter"]
				if (g > 0 && f > 0 && x > 0) { fn = 1000 / f - 1000 / g; rn = 1000 / x - 1000 / g
					if (fn > 0) { q[n++] = rn / fn } }
			}
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (q[j] < q[i]) { t = q[i]; q[i] = q[j]; q[j] = t }
			if (n) printf "ratio: receive-side rfilter/fastpath %.3f (min %.3f, max %.3f; %d paired rounds, generator subtracted per round)\n", (n % 2) ? q[(n - 1) / 2] : (q[n / 2 - 1] + q[n / 2]) / 2, q[0], q[n - 1], n
		}' "$RUNS"
fi

python3 - "$RUNS" "$OUT/bench.json" "$ACCEL" "$(uname -r)" "$COUNT" "$ROUNDS" "[$RATIOS]" <<'PY'
import json, sys
runs, out, accel, kernel, count, rounds, ratios = sys.argv[1:]
rows = [l.split() for l in open(runs) if l.strip()]
json.dump({
    "accelerator": accel, "kernel": kernel, "count": int(count), "rounds": int(rounds),
    "pktgen": "delay 0, flag NO_TIMESTAMP, flag !SHARED",
    "measurements": [{"part": p, "round": int(r), "case": c, "value": float(v)} for p, r, c, v in rows],
    "ratios": json.loads(ratios),
}, open(out, "w"), indent=1)
PY
echo "JSON: $OUT/bench.json"
exit 0
