# Counters agree with what pktgen sent: every frame is sent or counted as dropped, every
# frame sent arrives, spread over all four queues of a multi-queue pair.
. "$(dirname "$0")/../guest/testlib.sh"
COUNT=20000
PG=/proc/net/pktgen
modprobe pktgen || fail "modprobe pktgen"
modprobe rveth || fail "modprobe rveth"
trap 'echo rem_device_all > $PG/kpktgend_0 2>/dev/null; ip link del g0 2>/dev/null' EXIT

# No IPv6 autoconfiguration, so the only frames are pktgen's.
must ip link add name g0 numtxqueues 4 numrxqueues 4 type rveth peer name g1 numtxqueues 4 numrxqueues 4
ip link set g0 addrgenmode none
ip link set g1 addrgenmode none
ip link set g0 up
ip link set g1 up
echo "rem_device_all" >$PG/kpktgend_0
echo "add_device g0" >$PG/kpktgend_0
for c in "count $COUNT" "pkt_size 60" "delay 0" "dst 198.18.0.2" \
	"dst_mac $(cat /sys/class/net/g1/address)" "queue_map_min 0" "queue_map_max 3"; do
	echo "$c" >$PG/g0 || fail "pktgen refused '$c'"
done
echo start >$PG/pgctrl
# pktgen returns when it has sent; NAPI may still be draining the rings.
wait_for "g1 to receive what g0 sent" 30 sh -c \
	'[ "$(cat /sys/class/net/g1/statistics/rx_packets)" = "$(cat /sys/class/net/g0/statistics/tx_packets)" ]'
grep -q "Result: OK" $PG/g0 || fail "pktgen did not finish: $(grep Result $PG/g0)"
note "$(grep -E 'Result|pps' $PG/g0 | head -2)"

# Every frame is either sent or counted as a drop (a full ring); what is sent arrives.
tx=$(cat /sys/class/net/g0/statistics/tx_packets)
txd=$(cat /sys/class/net/g0/statistics/tx_dropped)
expect_eq "$((tx + txd))" "$COUNT" "g0 tx_packets + tx_dropped"
expect_ge "$tx" $((COUNT * 9 / 10)) "g0 tx_packets"
expect_eq "$(cat /sys/class/net/g1/statistics/rx_packets)" "$tx" "g1 rx_packets = g0 tx_packets"
expect_eq "$(cat /sys/class/net/g1/statistics/rx_bytes)" "$((tx * 60))" "g1 rx_bytes (60-byte frames)"
stats=$(ethtool -S g1)
for q in 0 1 2 3; do
	n=$(echo "$stats" | sed -n "s/.*rx_queue_${q}_packets: //p")
	expect_ge "${n:-0}" 1 "g1 rx_queue_${q}_packets (pktgen spreads over queues 0-3)"
done
sum=$(echo "$stats" | awk '/rx_queue_[0-9]+_packets/ {s+=$2} END {print s}')
expect_eq "$sum" "$tx" "sum of g1 rx_queue_*_packets"
