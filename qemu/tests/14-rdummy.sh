# rdummy, the smallest driver on the link layer (no pair, no NAPI): `ip link add ... type
# rdummy` loads it, every frame sent is counted and freed (tx counters equal exactly what
# was sent), the carrier is on and follows `ip link set carrier`, ethtool names the
# driver, deleting the device and unloading the module leave nothing behind.
. "$(dirname "$0")/../guest/testlib.sh"
trap 'ip link del d0 2>/dev/null; ip link del d1 2>/dev/null' EXIT
unload rdummy

must ip link add name d0 type rdummy
grep -q '^rdummy ' /proc/modules || fail "rdummy was not auto-loaded through rtnl-link-rdummy"
ip -d link show d0 | grep -q 'rdummy' || fail "d0 is not of kind rdummy: $(ip -d link show d0)"
expect_eq "$(ethtool -i d0 | sed -n 's/^driver: //p')" "rdummy" "ethtool -i driver"
ip -o link show d0 | grep -q NOARP || fail "d0 is not NOARP: $(ip -o link show d0)"
m=$(</sys/class/net/d0/address)
[ $(( 0x${m:0:2} & 3 )) = 2 ] || fail "MAC $m is not a locally administered unicast address"

# Carrier: on, and `ip link set carrier` changes it (ndo_change_carrier).
ip link set d0 addrgenmode none
must ip link set d0 up
expect_eq "$(</sys/class/net/d0/carrier)" "1" "d0 carrier when up"
must ip link set d0 carrier off
expect_eq "$(</sys/class/net/d0/carrier)" "0" "d0 carrier after 'carrier off'"
must ip link set d0 carrier on
expect_eq "$(</sys/class/net/d0/carrier)" "1" "d0 carrier after 'carrier on'"

# Every frame sent is counted, packets and bytes, and freed: 50 UDP datagrams of 100
# bytes to an address routed through d0 (NOARP: no neighbour resolution holds them).
must ip addr add 10.7.0.1/24 dev d0
tx0=$(</sys/class/net/d0/statistics/tx_packets)
b0=$(</sys/class/net/d0/statistics/tx_bytes)
ndpy udp-send 10.7.0.2 9 --count 50 --size 100 || fail "sending through d0"
expect_eq "$(( $(</sys/class/net/d0/statistics/tx_packets) - tx0 ))" "50" "d0 tx_packets for 50 datagrams"
# 14 Ethernet + 20 IPv4 + 8 UDP + 100 payload = 142 bytes each.
expect_eq "$(( $(</sys/class/net/d0/statistics/tx_bytes) - b0 ))" "7100" "d0 tx_bytes for 50 datagrams of 142 bytes"
expect_eq "$(</sys/class/net/d0/statistics/rx_packets)" "0" "d0 rx_packets (a dummy receives nothing)"

# MTU: any (dummy has no bounds), a bad address refused, the device unchanged.
must ip link set d0 mtu 9000
must ip link set d0 mtu 65535
must_fail "Cannot assign requested address" ip link add name d1 address 01:00:5e:00:00:01 type rdummy
ip link show d1 >/dev/null 2>&1 && fail "d1 exists after a refused request"

# Delete, many create/delete rounds, unload.
must ip link del d0
# (One `ip -batch` for the 50: a process costs a third of a second on the debug kernel.)
for i in $(seq 1 50); do echo "link add name dd$i type rdummy"; done | ip -batch - || fail "creating 50 rdummy devices"
expect_eq "$(ip -o link show type rdummy | wc -l)" "50" "devices after creating 50"
must rmmod rdummy
expect_eq "$(ip -o link show type rdummy 2>/dev/null | wc -l)" "0" "devices after rmmod"
