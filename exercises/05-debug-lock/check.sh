# SPDX-License-Identifier: GPL-2.0
# Exercise 5's checker (in the guest, on the debug kernel): exbug in ns2 counts what ns1
# sends across a veth pair, while a reader reads its counts; then the kernel log must be
# clean (exercises/guest.sh checks it after these steps: lockdep, KASAN, WARN, ...).
. "$(dirname "$0")/../checklib.sh"
plan 6

counts() { nsx ns2 cat /proc/net/exbug; }
# reader SECONDS: reads the counts in ns2 without pause for a while.
reader() {
	ip netns exec ns2 sh -c "end=\$((\$(date +%s) + $1)); while [ \$(date +%s) -lt \$end ]; do cat /proc/net/exbug >/dev/null; done"
}
udp_to_closed_port() {
	nsx ns1 python3 -S -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(50):
    s.sendto(b"x" * 20, ("10.9.0.2", 9))'
}
cleanup() {
	kill $(jobs -p) 2>/dev/null
	cleanup_namespaces
	unload exbug
}
trap cleanup EXIT

[ -e /proc/lockdep ] || echo "# note: this kernel has no lockdep; run this exercise on the debug kernel (make check EX=5 does)"
need "the module loads" "insmod must succeed: see dmesg" load_module
pair_in_namespaces veth
# Neighbours pinned: no ARP (which is not IPv4, but costs time); the counts are exact.
ip -n ns1 neigh replace 10.9.0.2 lladdr "$(ip -n ns2 -br link show x1 | awk '{print $3}')" dev x0 nud permanent
ip -n ns2 neigh replace 10.9.0.1 lladdr "$(ip -n ns1 -br link show x0 | awk '{print $3}')" dev x1 nud permanent
need "'clear' is taken" "the control file's write" ip netns exec ns2 bash -c "echo clear > /proc/net/exbug"
reader 15 &
step "20 pings answered while the counts are read" "the hook accepts every packet" \
	nsx ns1 ping -c 20 -i 0.2 -W 2 -q 10.9.0.2
step "50 datagrams to a closed port arrive" "(sent from ns1)" udp_to_closed_port
sleep 1
step "the counts are exact: 20 ICMP, 50 UDP" "each packet for this host is counted once" \
	same "$(counts)" "tcp 0 udp 50 icmp 20 other 0"
wait
step "rmmod" "unloading removes the hooks" rmmod exbug
