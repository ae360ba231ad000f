# Multi-queue pairs, moving an end between namespaces, and unloading the module while
# traffic flows.
. "$(dirname "$0")/../guest/testlib.sh"
trap cleanup_namespaces EXIT
cleanup_namespaces

# Four queues each way: ethtool -S lists 4 rx + 4 tx queues of 3 counters.
ip netns add ns1 && ip netns add ns2
must ip link add name x0 netns ns1 numtxqueues 4 numrxqueues 4 type rveth \
	peer name x1 netns ns2 numtxqueues 4 numrxqueues 4
expect_eq "$(ip netns exec ns1 ethtool -S x0 | grep -c '_queue_')" "72" "ethtool -S counters on a 4+4 queue device (15 per rx queue, 3 per tx queue)"
expect_eq "$(ls /sys/class/net 2>/dev/null | grep -c '^x0$')" "0" "x0 not visible in init_net"
ip -n ns1 addr add 10.9.0.1/24 dev x0
ip -n ns2 addr add 10.9.0.2/24 dev x1
ip -n ns1 link set x0 up
ip -n ns2 link set x1 up
must ip netns exec ns1 ping -c 3 -i 0.2 -W 2 10.9.0.2
cleanup_namespaces
ip -o link show type rveth | grep -q . && fail "deleting the namespaces left rveth devices behind"
note "ok: namespace teardown deleted the pair"

# Moving one end into another namespace keeps the pair working.
ip netns add ns1 && ip netns add ns2
must ip link add name m0 type rveth peer name m1
must ip link set m0 netns ns1
must ip link set m1 netns ns2
ip -n ns1 addr add 10.9.1.1/24 dev m0
ip -n ns2 addr add 10.9.1.2/24 dev m1
ip -n ns1 link set m0 up
ip -n ns2 link set m1 up
must ip netns exec ns1 ping -c 3 -i 0.2 -W 2 10.9.1.2
cleanup_namespaces

# rmmod while a flood ping is running: pairs vanish, nothing leaks or crashes.
pair_in_namespaces rveth
ip netns exec ns1 ping -f -w 10 10.9.0.2 >/dev/null 2>&1 &
ppid=$!
wait_for "the flood to reach x1" 60 sh -c '[ "$(ip netns exec ns2 cat /sys/class/net/x1/statistics/rx_packets)" -ge 50 ]'
note "ok: x1 rx_packets during the flood = $(stat ns2 x1 rx_packets)"
must rmmod rveth
ip -n ns1 link show x0 >/dev/null 2>&1 && fail "x0 survived rmmod"
wait $ppid
note "ok: rmmod under traffic removed the pair"
