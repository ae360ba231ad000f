#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest: pktgen benchmarks. Each case injects frames with pktgen into one end of
# a pair and counts what the other end received (rx_packets), so the number is the
# receive rate of the whole driver path. Cases alternate between ours and the C
# reference, three rounds, and the median counts.
set -u
OUT=${ND_BENCH_OUT:-/tmp}
COUNT=${ND_BENCH_COUNT:-300000}
ROUNDS=${ND_BENCH_ROUNDS:-3}
PG=/proc/net/pktgen

modprobe pktgen || { echo "bench: modprobe pktgen failed"; exit 1; }
modprobe rveth || { echo "bench: modprobe rveth failed"; exit 1; }
modprobe veth

pgset() { echo "$2" >"$1" || { echo "bench: pktgen refused '$2' on $1"; exit 1; }; }

# run_pktgen KIND SIZE: one pair of KIND, COUNT frames of SIZE bytes into a0,
# prints "<received> <usec>".
run_pktgen() {
	local kind=$1 size=$2
	ip link add name a0 type "$kind" peer name a1 || exit 1
	ip link set a0 up
	ip link set a1 up
	local mac before after usec
	mac=$(cat /sys/class/net/a1/address)
	sleep 0.2
	pgset $PG/kpktgend_0 "rem_device_all"
	pgset $PG/kpktgend_0 "add_device a0"
	pgset $PG/a0 "count $COUNT"
	pgset $PG/a0 "pkt_size $size"
	pgset $PG/a0 "delay 0"
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

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A result
cases=""
for size in 60 1514; do
	for kind in rveth veth; do : >"/tmp/bench-$kind-$size"; done
	for r in $(seq 1 "$ROUNDS"); do
		for kind in rveth veth; do
			read -r got usec < <(run_pktgen "$kind" "$size")
			mpps=$(awk -v n="$got" -v u="$usec" 'BEGIN {printf "%.4f", (u > 0) ? n / u : 0}')
			echo "  round $r: $kind, $((size + 4))-byte frames: $got/$COUNT received in ${usec} us = $mpps Mpps"
			echo "$mpps" >>"/tmp/bench-$kind-$size"
		done
	done
	for kind in rveth veth; do
		result[$kind-$size]=$(median <"/tmp/bench-$kind-$size")
	done
	cases="$cases $size"
done

echo
printf '%-28s %12s %12s %8s\n' "pktgen into one end" "rveth Mpps" "veth Mpps" "ratio"
json="{\"kernel\": \"$(uname -r)\", \"count\": $COUNT, \"rounds\": $ROUNDS, \"link\": ["
sep=""
for size in $cases; do
	r=${result[rveth-$size]} v=${result[veth-$size]}
	ratio=$(awk -v a="$r" -v b="$v" 'BEGIN {printf "%.3f", (b > 0) ? a / b : 0}')
	printf '%-28s %12s %12s %8s\n' "$((size + 4))-byte frames" "$r" "$v" "$ratio"
	json="$json$sep{\"frame_bytes\": $((size + 4)), \"rveth_mpps\": $r, \"veth_mpps\": $v, \"ratio\": $ratio}"
	sep=", "
done
json="$json]}"
echo "$json" >"$OUT/bench.json"
echo "JSON: $OUT/bench.json"
echo "ratio: rveth/veth $(awk -v a="${result[rveth-60]}" -v b="${result[veth-60]}" 'BEGIN {printf "%.3f", (b > 0) ? a / b : 0}')"
