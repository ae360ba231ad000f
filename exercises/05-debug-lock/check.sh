# SPDX-License-Identifier: GPL-2.0
# Exercise 5's checker (in the guest, on the debug kernel): exbug in ns2 counts what ns1
# sends across a veth pair, while a reader reads its counts; then the kernel log must be
# clean (exercises/guest.sh checks it after these steps: lockdep, KASAN, WARN, ...).
. "$(dirname "$0")/../checklib.sh"
plan 6

counts() { net_read ns2 exbug; }
# reader: reads the counts in ns2 without pause, in the background, until killed.
reader() { nsx_bg ns2 sh -c 'while :; do cat /proc/net/exbug >/dev/null; done'; }
udp_to_closed_port() { ndpy --ns ns1 udp-send 10.9.0.2 9 --count 50 --size 20; }
cleanup() {
	kill $(jobs -p) 2>/dev/null
	cleanup_namespaces
	unload exbug
}
trap cleanup EXIT

[ -e /proc/lockdep ] || echo "# note: this kernel has no lockdep; run this exercise on the debug kernel (make check EX=5 does)"
need "the module loads" "insmod must succeed: see dmesg" load_module
pair_in_namespaces veth
# ns2's /proc/net files read and written by this bash (testlib's anchor: no process).
anchor ns2
# Neighbours pinned: no ARP (which is not IPv4, but costs time); the counts are exact.
pin_neighbours 4
need "'clear' is taken" "the control file's write" net_write ns2 exbug clear
reader
step "20 pings answered while the counts are read" "the hook accepts every packet" \
	nsx ns1 ping -c 20 -i 0.2 -W 2 -q 10.9.0.2
step "50 datagrams to a closed port arrive" "(sent from ns1)" udp_to_closed_port
sleep 1
step "the counts are exact: 20 ICMP, 50 UDP" "each packet for this host is counted once" \
	same "$(counts)" "tcp 0 udp 50 icmp 20 other 0"
kill $(jobs -p) 2>/dev/null
wait
step "rmmod" "unloading removes the hooks" rmmod exbug
