#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest: pktgen benchmarks, ours against the kernel's C in one boot.
#  link:   pktgen into one end of a pair, counting what the other end received
#          (rx_packets): the whole driver path, rveth against veth as created
#          (receive through netif_rx and the per-CPU backlog) and against veth with GRO on
#          (veth-napi: a ptr_ring and NAPI per queue, the design rveth follows).
#  filter: pktgen in netif_receive mode injects UDP frames into a dummy device's receive
#          path; a PRE_ROUTING rule drops them: rfilter against nftables.
#  fastpath: pktgen into a pair; the receiving end drops one UDP flow in its Rust fast
#          path (rxdp), in an eBPF XDP program in rveth, in an eBPF XDP program in the
#          kernel's veth, in rfilter's PRE_ROUTING hook, or with nftables; and the
#          generator alone (pktgen into a dummy device), whose per-packet cost every case
#          pays and which is subtracted for the receive-side ratio.
# ND_BENCH_PARTS picks parts (default: "link filter fastpath").
# pktgen runs as the kernel's samples/pktgen scripts run it: `delay 0`, `flag NO_TIMESTAMP`
# (no clock read per packet for a timestamp nobody reads here).
# Cases alternate between ours and the reference, five rounds; the median counts
# (TCG timing varies by a third from round to round).
set -u
OUT=${ND_BENCH_OUT:-/tmp}
COUNT=${ND_BENCH_COUNT:-300000}
ROUNDS=${ND_BENCH_ROUNDS:-5}
PG=/proc/net/pktgen

modprobe pktgen || { echo "bench: modprobe pktgen failed"; exit 1; }
modprobe rveth || { echo "bench: modprobe rveth failed"; exit 1; }
modprobe veth
modprobe dummy

pgset() { echo "$2" >"$1" || { echo "bench: pktgen refused '$2' on $1"; exit 1; }; }

# run_pktgen KIND SIZE: one pair of KIND, COUNT frames of SIZE bytes into a0,
# prints "<received> <usec>".
run_pktgen() {
	local kind=$1 size=$2
	ip link add name a0 type "${kind%-napi}" peer name a1 || exit 1
	ip link set a0 up
	ip link set a1 up
	if [ "$kind" = veth-napi ]; then
		ethtool -K a1 gro on >/dev/null || { echo "bench: cannot turn on GRO (NAPI) on veth"; exit 1; }
	fi
	local mac before after usec
	mac=$(cat /sys/class/net/a1/address)
	sleep 0.2
	pgset $PG/kpktgend_0 "rem_device_all"
	pgset $PG/kpktgend_0 "add_device a0"
	pgset $PG/a0 "count $COUNT"
	pgset $PG/a0 "pkt_size $size"
	pgset $PG/a0 "delay 0"
	pgset $PG/a0 "flag NO_TIMESTAMP"
	pgset $PG/a0 "dst 198.18.0.2"
	pgset $PG/a0 "dst_mac $mac"
	before=$(cat /sys/class/net/a1/statistics/rx_packets)
	pgset $PG/pgctrl "start"
	sleep 0.2
	after=$(cat /sys/class/net/a1/statistics/rx_packets)
	usec=$(sed -n 's/.*Result: OK: \([0-9]\+\)(.*/\1/p' $PG/a0)
	pgset $PG/kpktgend_0 "rem_device_all"
	ip link del a0
	echo "$((after - before)) ${usec:-0}"
}

PARTS=${ND_BENCH_PARTS:-link filter fastpath}
part() { [[ " $PARTS " == *" $1 "* ]]; }
LINK_JSON=null FILTER_JSON=null FAST_JSON=null
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0) ? a / b : 0}'; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A result
if part link; then
cases=""
for size in 60 1514; do
	for kind in rveth veth veth-napi; do : >"/tmp/bench-$kind-$size"; done
	for r in $(seq 1 "$ROUNDS"); do
		for kind in rveth veth veth-napi; do
			read -r got usec < <(run_pktgen "$kind" "$size")
			mpps=$(awk -v n="$got" -v u="$usec" 'BEGIN {printf "%.4f", (u > 0) ? n / u : 0}')
			echo "  round $r: $kind, $((size + 4))-byte frames: $got/$COUNT received in ${usec} us = $mpps Mpps"
			echo "$mpps" >>"/tmp/bench-$kind-$size"
		done
	done
	for kind in rveth veth veth-napi; do
		result[$kind-$size]=$(median <"/tmp/bench-$kind-$size")
	done
	cases="$cases $size"
done

echo
printf '%-20s %11s %11s %15s %11s %11s\n' "pktgen into one end" "rveth Mpps" "veth Mpps" "veth-napi Mpps" "rveth/veth" "/veth-napi"
json="["
sep=""
for size in $cases; do
	r=${result[rveth-$size]} v=${result[veth-$size]} n=${result[veth-napi-$size]}
	ratio=$(ratio "$r" "$v")
	printf '%-20s %11s %11s %15s %11s %11s\n' "$((size + 4))-byte frames" "$r" "$v" "$n" "$ratio" "$(ratio "$r" "$n")"
	json="$json$sep{\"frame_bytes\": $((size + 4)), \"rveth_mpps\": $r, \"veth_mpps\": $v, \"veth_napi_mpps\": $n, \"ratio\": $ratio}"
	sep=", "
done
json="$json]"
LINK_JSON=$json
fi

# --- filter: netif_receive injection, drop at PRE_ROUTING ---------------------------
# run_inject: COUNT 60-byte UDP frames (dport 9) into bench0's receive path; prints Mpps.
run_inject() {
	pgset $PG/kpktgend_0 "rem_device_all"
	pgset $PG/kpktgend_0 "add_device bench0"
	pgset $PG/bench0 "count $COUNT"
	pgset $PG/bench0 "pkt_size 60"
	pgset $PG/bench0 "delay 0"
	pgset $PG/bench0 "flag NO_TIMESTAMP"
	pgset $PG/bench0 "xmit_mode netif_receive"
	pgset $PG/bench0 "dst 198.18.0.2"
	pgset $PG/bench0 "udp_dst_min 9"
	pgset $PG/bench0 "udp_dst_max 9"
	pgset $PG/bench0 "dst_mac $(cat /sys/class/net/bench0/address)"
	pgset $PG/pgctrl "start"
	local usec sofar
	usec=$(sed -n 's/.*Result: OK: \([0-9]\+\)(.*/\1/p' $PG/bench0)
	pgset $PG/kpktgend_0 "rem_device_all"
	awk -v n="$COUNT" -v u="${usec:-0}" 'BEGIN {printf "%.4f", (u > 0) ? n / u : 0}'
}

filter_case() {
	rmmod rfilter 2>/dev/null
	nft flush ruleset
	case $1 in
	none) ;;
	rfilter-1)
		modprobe rfilter
		echo "add drop hook prerouting proto udp dport 9" >/proc/net/rfilter ;;
	rfilter-101)
		modprobe rfilter
		for i in $(seq 1 100); do echo "add drop hook prerouting proto udp dport $((1000 + i))"; done >/proc/net/rfilter
		echo "add drop hook prerouting proto udp dport 9" >/proc/net/rfilter ;;
	nftables)
		nft -f - <<-NFT
			table ip bench {
				chain pre { type filter hook prerouting priority 0; udp dport 9 counter drop; }
			}
		NFT
		;;
	esac
}

if part filter; then
ip link add name bench0 type dummy
ip addr add 198.18.0.1/24 dev bench0
ip link set bench0 up
sysctl -qw net.ipv4.ip_forward=0
FCASES="none rfilter-1 rfilter-101 nftables"
for c in $FCASES; do : >"/tmp/bench-$c"; done
for r in $(seq 1 "$ROUNDS"); do
	for c in $FCASES; do
		filter_case "$c"
		m=$(run_inject)
		echo "  round $r: $c: $m Mpps"
		echo "$m" >>"/tmp/bench-$c"
	done
done
filter_case none
printf '\n%-40s %12s\n' "UDP into bench0, drop at PRE_ROUTING" "Mpps"
fjson="["
sep=""
for c in $FCASES; do
	result[$c]=$(median <"/tmp/bench-$c")
	printf '%-40s %12s\n' "$c" "${result[$c]}"
	fjson="$fjson$sep{\"case\": \"$c\", \"mpps\": ${result[$c]}}"
	sep=", "
done
FILTER_JSON="$fjson]"
ip link del bench0
fi

# --- fastpath: pktgen into fp0 (rveth) or vp0 (veth); the far end drops UDP dport 9 ---
XDP_DROP_OBJ=/lib/modules/$(uname -r)/xdp/xdp_drop.o
fast_case() {
	# An attached program holds a reference on rxdp: detach it before unloading.
	[ -e /proc/net/rxdp ] && echo "detach fp1" >/proc/net/rxdp 2>/dev/null
	rmmod rxdp 2>/dev/null
	rmmod rfilter 2>/dev/null
	nft flush ruleset
	ip link set fp1 xdpdrv off 2>/dev/null
	ip link set vp1 xdpdrv off 2>/dev/null
	case $1 in
	fastpath)
		modprobe rxdp
		echo "attach fp1 drop proto udp dport 9" >/proc/net/rxdp ;;
	xdp-rveth)
		ip link set fp1 xdpdrv obj "$XDP_DROP_OBJ" sec xdp ||
			{ echo "bench: cannot attach $XDP_DROP_OBJ to fp1"; exit 1; } ;;
	xdp-veth)
		ip link set vp1 xdpdrv obj "$XDP_DROP_OBJ" sec xdp ||
			{ echo "bench: cannot attach $XDP_DROP_OBJ to vp1"; exit 1; } ;;
	rfilter)
		modprobe rfilter
		echo "add drop hook prerouting proto udp dport 9" >/proc/net/rfilter ;;
	nftables)
		nft -f - <<-NFT
			table ip bench {
				chain pre { type filter hook prerouting priority 0; udp dport 9 counter drop; }
			}
		NFT
		;;
	esac
}

# run_fast TX RX [STAT]: COUNT 60-byte UDP frames into TX; prints Mpps, counting RX's
# STAT (default rx_packets: what the receiving end took in).
run_fast() {
	local tx=$1 rx=$2 stat=${3:-rx_packets} before after usec
	pgset $PG/kpktgend_0 "rem_device_all"
	pgset $PG/kpktgend_0 "add_device $tx"
	pgset $PG/$tx "count $COUNT"
	pgset $PG/$tx "pkt_size 60"
	pgset $PG/$tx "delay 0"
	pgset $PG/$tx "flag NO_TIMESTAMP"
	pgset $PG/$tx "dst 198.18.1.2"
	pgset $PG/$tx "udp_dst_min 9"
	pgset $PG/$tx "udp_dst_max 9"
	pgset $PG/$tx "dst_mac $(cat /sys/class/net/$rx/address)"
	before=$(cat /sys/class/net/$rx/statistics/$stat)
	pgset $PG/pgctrl "start"
	sleep 0.2
	after=$(cat /sys/class/net/$rx/statistics/$stat)
	usec=$(sed -n 's/.*Result: OK: \([0-9]\+\)(.*/\1/p' $PG/$tx)
	pgset $PG/kpktgend_0 "rem_device_all"
	awk -v n="$((after - before))" -v u="${usec:-0}" 'BEGIN {printf "%.4f", (u > 0) ? n / u : 0}'
}

if part fastpath; then
ip link add name fp0 type rveth peer name fp1 || exit 1
ip link add name vp0 type veth peer name vp1 || exit 1
# The generator alone: pktgen into a dummy device, whose ndo_start_xmit only frees.
ip link add name fpgen type dummy || exit 1
ip addr add 198.18.1.1/24 dev fp1
for d in fp0 fp1 vp0 vp1 fpgen; do
	ip link set $d addrgenmode none
	ip link set $d up
done
XCASES="fastpath xdp-rveth xdp-veth rfilter nftables generator"
for c in $XCASES; do : >"/tmp/bench-fp-$c"; done
for r in $(seq 1 "$ROUNDS"); do
	for c in $XCASES; do
		fast_case "$c"
		case $c in
		xdp-veth) m=$(run_fast vp0 vp1) ;;
		generator) m=$(run_fast fpgen fpgen tx_packets) ;;
		*) m=$(run_fast fp0 fp1) ;;
		esac
		echo "  round $r: $c: $m Mpps"
		echo "$m" >>"/tmp/bench-fp-$c"
	done
done
fast_case none
printf '\n%-40s %12s\n' "UDP into a pair, dropped by" "Mpps"
xjson="["
sep=""
for c in $XCASES; do
	result[fp-$c]=$(median <"/tmp/bench-fp-$c")
	printf '%-40s %12s\n' "$c" "${result[fp-$c]}"
	xjson="$xjson$sep{\"case\": \"$c\", \"mpps\": ${result[fp-$c]}}"
	sep=", "
done
FAST_JSON="$xjson]"
ip link del fp0
ip link del vp0
ip link del fpgen
fi

echo "{\"kernel\": \"$(uname -r)\", \"count\": $COUNT, \"rounds\": $ROUNDS, \"link\": $LINK_JSON, \"filter\": $FILTER_JSON, \"fastpath\": $FAST_JSON}" >"$OUT/bench.json"
echo "JSON: $OUT/bench.json"
part link && echo "ratio: rveth/veth $(ratio "${result[rveth-60]}" "${result[veth-60]}")"
part link && echo "ratio: rveth/veth-napi $(ratio "${result[rveth-60]}" "${result[veth-napi-60]}")"
part filter && echo "ratio: rfilter/nftables $(ratio "${result[rfilter-1]}" "${result[nftables]}")"
part fastpath && echo "ratio: fastpath/rfilter $(ratio "${result[fp-fastpath]}" "${result[fp-rfilter]}")"
part fastpath && echo "ratio: fastpath/xdp $(ratio "${result[fp-fastpath]}" "${result[fp-xdp-rveth]}")"
part fastpath && echo "ratio: xdp-rveth/xdp-veth $(ratio "${result[fp-xdp-rveth]}" "${result[fp-xdp-veth]}")"
# Every case above includes pktgen building and freeing each packet, which no receive
# path can make cheaper: the same ratio of the receive side alone, nanoseconds per packet
# with the generator's own (the "generator" case) subtracted.
receive_ns() { awk -v m="$1" -v g="$2" 'BEGIN {printf "%.0f", (m > 0 && g > 0) ? 1000 / m - 1000 / g : 0}'; }
if part fastpath; then
	gen=${result[fp-generator]}
	fns=$(receive_ns "${result[fp-fastpath]}" "$gen")
	rns=$(receive_ns "${result[fp-rfilter]}" "$gen")
	echo "receive side, generator subtracted: fastpath $fns ns, rfilter $rns ns per packet"
	echo "ratio: receive-side rfilter/fastpath $(ratio "$rns" "$fns")"
fi
exit 0
