# SPDX-License-Identifier: GPL-2.0
# Exercise 4's checker (in the guest): execho in ns2, user-space clients in ns1, across a
# veth pair.
. "$(dirname "$0")/../checklib.sh"
plan 13

ctl() { net_write "$1" execho "$2"; }
# echo_round NS ADDR PORT SIZE...: one datagram of each size (random bytes) from NS; each
# must come back unchanged, from the address it was sent to.
echo_round() {
	local ns=$1
	shift
	ndpy --ns "$ns" udp-echo "$@"
}
port_refused() { same "$(ndpy --ns ns1 udp-refused 10.9.0.2 7007)" refused; }
port_taken() {
	nsx ns2 python3 -S -c '
import errno, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
try:
    s.bind(("::", 7007)); sys.exit("user space could bind port 7007: the server holds no port here")
except OSError as e:
    sys.exit(0 if e.errno == errno.EADDRINUSE else f"bind: {e}")'
}
# only_in_ns2 PORT: a UDP socket bound to PORT in ns2, none in this namespace.
only_in_ns2() { listening ns2 "$1" udp && ! ss -uln | grep -q ":$1 "; }
server_in_ns1() { ctl ns1 'start 7007' && echo_round ns2 10.9.0.1 7007 99; }
stopped() { ctl ns2 stop && port_refused; }
listing() { net_read "$1" execho; }
no_thread() { ! ps -e -o comm | grep -qx execho; }
cleanup() {
	kill $(jobs -p) 2>/dev/null
	unload execho
	cleanup_namespaces
}
trap cleanup EXIT

need "the module loads" "insmod must succeed: see dmesg" load_module
pair_in_namespaces veth
# The namespaces' /proc/net files read and written by this bash (testlib's anchor).
anchor ns1
anchor ns2
need "'start 7007' starts a server in ns2" \
	"open_socket: a socket is created in a namespace (sock_create_kern, net/socket.c) and bound to an address (kernel_bind)" \
	ctl ns2 "start 7007"
step "the server's socket is in ns2, bound to port 7007" \
	"the socket belongs to the namespace it was created in: the one passed to Socket::new" \
	only_in_ns2 7007
step "user space cannot bind port 7007 in ns2 (EADDRINUSE)" \
	"a bound socket holds its port; binding [::] takes it for IPv4 too" port_taken
step "datagrams from 1 to 1472 bytes come back unchanged (IPv4)" \
	"serve: receive into the buffer, then send exactly the bytes received back to the address they came from (sock_recvmsg and sock_sendmsg, net/socket.c)" \
	echo_round ns1 10.9.0.2 7007 1 64 100 512 1000 1472
step "an 8000-byte datagram (IP fragments) comes back unchanged" \
	"UDP hands the server whole datagrams, reassembled; the buffer must hold one" \
	echo_round ns1 10.9.0.2 7007 8000
step "datagrams come back over IPv6" "the socket is IPv6, bound to [::]: both families reach it" \
	echo_round ns1 fd00::2 7007 1 1200
step "the counts are exact: 9 datagrams, 12350 bytes" \
	"count each datagram sent back, and its bytes, once" \
	same "$(listing ns2)" "port 7007 datagrams 9 bytes 12350"
step "a second server in the same namespace is refused" "(given: one server per namespace)" \
	must_fail "Device or resource busy" ctl ns2 "start 7008"
step "the same port in ns1 is a server of its own" \
	"each namespace has its own ports: a socket in ns1 does not collide with ns2's" \
	server_in_ns1
step "stop: the thread ends and the port is closed (ICMP port unreachable)" \
	"stop shuts the socket down, which makes a blocked receive return: the loop must end then" \
	stopped
ctl ns2 "start 7007" >/dev/null 2>&1
ndpy_bg --ns ns1 udp-send 10.9.0.2 7007 --size 100 --gap 0.001 --for 6 >/dev/null 2>&1
sleep 1
step "rmmod while two servers run under traffic" "the namespace exit stops each server: the same stop" rmmod execho
kill $(jobs -p) 2>/dev/null # the sender (its 6 s are for a stuck rmmod)
wait
step "no execho thread is left" "each thread must end when asked" no_thread
