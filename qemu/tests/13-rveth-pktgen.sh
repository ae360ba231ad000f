# Counters agree with what pktgen sent: every frame is sent or counted as dropped, every
# frame sent arrives, spread over all four queues of a multi-queue pair.
. "$(dirname "$0")/../guest/testlib.sh"
. "$(dirname "$0")/../guest/pktgen.sh"
COUNT=20000
PG=/proc/net/pktgen
modprobe pktgen || fail "modprobe pktgen"
modprobe rveth || fail "modprobe rveth"
trap 'pg_clear 2>/dev/null; ip link del g0 2>/dev/null; ip link del gv0 2>/dev/null' EXIT

# No IPv6 autoconfiguration, so the only frames are pktgen's.
must ip link add name g0 numtxqueues 4 numrxqueues 4 type rveth peer name g1 numtxqueues 4 numrxqueues 4
ip link set g0 addrgenmode none
ip link set g1 addrgenmode none
ip link set g0 up
ip link set g1 up
pg_clear || fail "pktgen busy"
pg_add 0 g0 || fail "pktgen refused g0"
pg_setup g0 "count $COUNT" "pkt_size 60" "delay 0" "dst 198.18.0.2" \
	"dst_mac $(</sys/class/net/g1/address)" "queue_map_min 0" "queue_map_max 3" || fail "pktgen set-up"
pg_run || fail "pktgen run"
# pktgen returns when it has sent; NAPI may still be draining the rings.
drained() { [ "$(</sys/class/net/g1/statistics/rx_packets)" = "$(</sys/class/net/g0/statistics/tx_packets)" ]; }
wait_for "g1 to receive what g0 sent" 30 drained
result=$(pg_result g0) || fail "pktgen did not finish: $result"
note "$result"

# Every frame is either sent or counted as a drop (a full ring); what is sent arrives.
tx=$(</sys/class/net/g0/statistics/tx_packets)
txd=$(</sys/class/net/g0/statistics/tx_dropped)
expect_eq "$((tx + txd))" "$COUNT" "g0 tx_packets + tx_dropped"
expect_ge "$tx" $((COUNT * 9 / 10)) "g0 tx_packets"
expect_eq "$(</sys/class/net/g1/statistics/rx_packets)" "$tx" "g1 rx_packets = g0 tx_packets"
expect_eq "$(</sys/class/net/g1/statistics/rx_bytes)" "$((tx * 60))" "g1 rx_bytes (60-byte frames)"
stats=$(ethtool -S g1)
for q in 0 1 2 3; do
	n=$(echo "$stats" | sed -n "s/.*rx_queue_${q}_packets: //p")
	expect_ge "${n:-0}" 1 "g1 rx_queue_${q}_packets (pktgen spreads over queues 0-3)"
done
sum=$(echo "$stats" | awk '/rx_queue_[0-9]+_packets/ {s+=$2} END {print s}')
expect_eq "$sum" "$tx" "sum of g1 rx_queue_*_packets"

# One buffer, one owner: rveth's transmit path owns each sk_buff it gets (it scrubs it and
# hands it to the peer's ring), so it does not advertise IFF_TX_SKB_SHARING, and pktgen
# refuses to send one buffer several times at once, exactly as on veth.
modprobe veth || fail "modprobe veth"
pg_clear || fail "pktgen did not let go of g0"
must ip link add name gv0 type veth peer name gv1
for d in gv0 gv1; do
	ip link set $d addrgenmode none
	ip link set $d up
done
pg_add 0 g0 && pg_add 0 gv0 || fail "pktgen refused a device"
wait_for "pktgen to take g0 and gv0" 10 sh -c "[ -e $PG/g0 ] && [ -e $PG/gv0 ]"
# pg_answer DEV SETTING: what pktgen's control file answers a write: "accepted", or the
# error it refused it with (its errno's text).
pg_answer() {
	local err
	if err=$(pg_write "$1" "$2" 2>&1); then echo accepted; else echo "${err##*: }"; fi
}
for setting in "clone_skb 10" "burst 8"; do
	want=$(pg_answer gv0 "$setting")
	[ "$want" != accepted ] || fail "veth accepted '$setting' (the reference refuses it)"
	expect_eq "$(pg_answer g0 "$setting")" "$want" "pktgen's answer to '$setting' on rveth (as veth)"
done
expect_eq "$(pg_answer g0 "clone_skb 0")" accepted "pktgen 'clone_skb 0' on rveth"
expect_eq "$(pg_answer g0 "burst 1")" accepted "pktgen 'burst 1' on rveth"
pg_clear || fail "pktgen did not let go of g0 and gv0"

# A tap on each end under load (tcpdump clones every frame the sender transmits, so
# rveth gets cloned buffers): both captures hold the same frames, byte for byte.
N=2000
ip link set g0 addrgenmode none 2>/dev/null
rm -f /tmp/tap0.pcap /tmp/tap1.pcap /tmp/tap0.log /tmp/tap1.log
tcpdump -i g0 -n -c $N -w /tmp/tap0.pcap 'udp port 9' >/tmp/tap0.log 2>&1 &
t0=$!
tcpdump -i g1 -n -c $N -w /tmp/tap1.pcap 'udp port 9' >/tmp/tap1.log 2>&1 &
t1=$!
wait_for "tcpdump listening on g0 and g1" 30 sh -c 'grep -q "listening on g0" /tmp/tap0.log && grep -q "listening on g1" /tmp/tap1.log'
python3 -S - "$N" "$(</sys/class/net/g1/address)" <<'PY' || fail "sending on g0"
import socket, struct, sys, zlib
n, dst = int(sys.argv[1]), bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("g0", 0))
src = bytes.fromhex("020000000001")
for i in range(n):
    payload = struct.pack("!I", i) * 40
    udp = struct.pack("!HHHH", 40000, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                     bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    csum = sum(struct.unpack("!10H", ip))
    csum = (csum & 0xffff) + (csum >> 16)
    ip = ip[:10] + struct.pack("!H", ~csum & 0xffff) + ip[12:]
    s.send(dst + src + b"\x08\x00" + ip + udp)
PY
wait $t0 || fail "tcpdump on g0 did not capture $N frames: $(tail -2 /tmp/tap0.log)"
wait $t1 || fail "tcpdump on g1 did not capture $N frames: $(tail -2 /tmp/tap1.log)"
frames() {
	python3 -S - "$1" <<'PY'
import hashlib, struct, sys
data = open(sys.argv[1], "rb").read()
off, n, h = 24, 0, hashlib.sha256()
while off + 16 <= len(data):
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    h.update(data[off + 16:off + 16 + incl])
    off += 16 + incl
    n += 1
print(n, h.hexdigest())
PY
}
f0=$(frames /tmp/tap0.pcap)
f1=$(frames /tmp/tap1.pcap)
expect_eq "${f0%% *}" "$N" "frames tcpdump captured on g0"
expect_eq "$f1" "$f0" "frames captured on g1 (count and sha256) = frames on g0"
