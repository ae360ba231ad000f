# Multi-queue pairs, moving an end between namespaces, and unloading the module while
# traffic flows.
. "$(dirname "$0")/../guest/testlib.sh"
trap cleanup_namespaces EXIT
cleanup_namespaces

# Four queues each way: ethtool -S lists 4 rx + 4 tx queues of 3 counters. One end here
# in init_net, the other in ns2.
trap 'cleanup_namespaces; ip link del x0 2>/dev/null' EXIT
ip netns add ns2
must ip link add name x0 numtxqueues 4 numrxqueues 4 type rveth \
	peer name x1 netns ns2 numtxqueues 4 numrxqueues 4
expect_eq "$(ethtool -S x0 | grep -c '_queue_')" "72" "ethtool -S counters on a 4+4 queue device (15 per rx queue, 3 per tx queue)"
expect_eq "$(ls /sys/class/net | grep -c '^x1$')" "0" "x1 not visible in init_net"
ip addr add 10.9.0.1/24 dev x0
ip -n ns2 addr add 10.9.0.2/24 dev x1
ip link set x0 up
ip -n ns2 link set x1 up
must ping -c 3 -i 0.2 -W 2 10.9.0.2
# Deleting ns2 destroys x1 (in cleanup_net, a work item: asynchronous), and with it its
# peer x0 here: the pair goes as one (rveth's dellink, as veth's).
ip netns del ns2
wait_for "x0 to go with ns2" 30 sh -c '! ip link show x0 >/dev/null 2>&1'
note "ok: deleting the namespace of one end deleted the pair"

# Moving one end into another namespace keeps the pair working.
ip netns add ns1 && ip netns add ns2
must ip link add name m0 type rveth peer name m1
must ip link set m0 netns ns1
must ip link set m1 netns ns2
ip -n ns1 addr add 10.9.1.1/24 dev m0
ip -n ns2 addr add 10.9.1.2/24 dev m1
ip -n ns1 link set m0 up
ip -n ns2 link set m1 up
must nsx ns1 ping -c 3 -i 0.2 -W 2 10.9.1.2
cleanup_namespaces

# rmmod while a flood ping is running: pairs vanish, nothing leaks or crashes.
pair_in_namespaces rveth
nsx_bg ns1 ping -f -w 10 10.9.0.2 >/dev/null 2>&1
ppid=$!
wait_for "the flood to reach x1" 60 rx_at_least ns2 x1 50
note "ok: x1 rx_packets during the flood = $(stat ns2 x1 rx_packets)"
kill -0 $ppid 2>/dev/null || fail "the flood ended before rmmod"
must rmmod rveth
ip -n ns1 link show x0 >/dev/null 2>&1 && fail "x0 survived rmmod"
kill $ppid 2>/dev/null # (the devices are gone; its -w deadline only bounds a stuck rmmod)
wait $ppid
note "ok: rmmod under traffic removed the pair"
