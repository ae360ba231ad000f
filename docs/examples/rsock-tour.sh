#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A tour of lesson 3 in the guest: `make run CMD='bash docs/examples/rsock-tour.sh'`.
# Two namespaces over an rveth pair; rsock's in-kernel echo servers in one, user-space
# clients in the other; what the kernel's own tools show of kernel sockets; the TCP state
# machine, change by change.
set -e
say() { printf '\n== %s\n' "$*"; }
cmd() { ip netns exec "$1" sh -c "echo '$2' > /proc/net/rsock"; }
# try NS COMMAND: writes it and says what the kernel answered (ok, or the errno's name).
try() {
	ip netns exec "$1" python3 -c '
import errno, os, sys
try:
    os.write(os.open("/proc/net/rsock", os.O_WRONLY), sys.argv[1].encode())
    print("ok")
except OSError as e:
    print(errno.errorcode[e.errno], "-", e.strerror)
' "$2"
}
cleanup() {
	rmmod rsock 2>/dev/null || true
	ip netns del t1 2>/dev/null || true
	ip netns del t2 2>/dev/null || true
}
trap cleanup EXIT
cleanup
modprobe rveth
modprobe rsock
ip netns add t1
ip netns add t2
ip link add name s0 netns t1 type rveth peer name s1 netns t2
ip -n t1 addr add 10.7.0.1/24 dev s0
ip -n t2 addr add 10.7.0.2/24 dev s1
ip -n t1 addr add fd07::1/64 dev s0 nodad
ip -n t2 addr add fd07::2/64 dev s1 nodad
for n in t1 t2; do ip -n $n link set lo up; done
ip -n t1 link set s0 up
ip -n t2 link set s1 up

say "two servers in t2, each a kernel thread blocked where a user-space server would be"
cmd t2 'udp-echo 7'
cmd t2 'tcp-echo 7'
ip netns exec t2 cat /proc/net/rsock
ps -e -o pid,comm | grep rsock

say "the kernel's sockets are sockets like any other: ss lists them (no process owns them)"
ip netns exec t2 ss -tulnp | grep -E 'State|:7 '

say "a UDP datagram from user space in t1, over IPv4 and IPv6, and back"
ip netns exec t1 python3 -c '
import socket
for fam, addr in ((socket.AF_INET, "10.7.0.2"), (socket.AF_INET6, "fd07::2")):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(10)
    s.sendto(b"hello over udp", (addr, 7))
    print(addr, "->", s.recvfrom(100))
'

say "the same datagram traced (netdive-trace, docs/tracing.md): sendto down to rveth, up to rsock's socket, and the echo back"
python3 "$(dirname "$0")/../../qemu/trace/netdive-trace" --ns t1 -- python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(10)
s.sendto(b"traced", ("10.7.0.2", 7)); s.recvfrom(100)'

say "a TCP connection held open: the listing and ss show it ESTABLISHED on both sides"
ip netns exec t1 python3 -c '
import socket, time
s = socket.create_connection(("10.7.0.2", 7), timeout=10)
s.sendall(b"hello over tcp"); print("echoed:", s.recv(100)); time.sleep(3)
' &
sleep 1.5
ip netns exec t2 cat /proc/net/rsock
ip netns exec t2 ss -tn | grep -E 'State|:7 '
wait

say "the client closed: the server's side followed (its FIN), the connection is gone"
sleep 0.5
ip netns exec t2 ss -tan | grep -E 'State|:7 ' || true

say "the same port is free in another namespace; in use in this one (EADDRINUSE)"
echo "t1: tcp-echo 7: $(try t1 'tcp-echo 7')"
ip netns exec t1 cat /proc/net/rsock
echo "t2: tcp-echo 7: $(try t2 'tcp-echo 7')"
echo "t2: tcp-echo 0: $(try t2 'tcp-echo 0')   (and a line in dmesg saying why)"

say "an in-kernel client in t2 to a user-space server in t1: connect waits for the handshake"
ip netns exec t1 python3 -c '
import socket
s = socket.socket(); s.bind(("10.7.0.1", 9)); s.listen(1)
c, _ = s.accept(); print("user-space server got:", c.recv(100)); c.sendall(b"hi, kernel\n")
import time; time.sleep(2)
' &
sleep 1
cmd t2 'connect tcp 10.7.0.1 9'
id=$(ip netns exec t2 awk '$2 == "tcp-client" {print $1}' /proc/net/rsock)
cmd t2 "send $id hello from the kernel"
sleep 1
ip netns exec t2 cat /proc/net/rsock | grep -E '^id|client'
wait
echo "t2: connect tcp 10.7.0.1 10: $(try t2 'connect tcp 10.7.0.1 10')   (nobody listens: the reset)"
cmd t2 "close $id"

say "the TCP state machine: every change of the user-space client in t1 (trace all) and of rsock's connection in t2"
cmd t1 'trace all'
ip netns exec t1 sh -c 'echo clear > /proc/net/rsock_states'
ip netns exec t2 sh -c 'echo clear > /proc/net/rsock_states'
ip netns exec t1 python3 -c '
import socket
s = socket.create_connection(("10.7.0.2", 7), timeout=10)
s.sendall(b"x"); s.recv(1); s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
'
sleep 0.5
echo "t1, the active closer:"; ip netns exec t1 cat /proc/net/rsock_states
echo "t2, the passive closer:"; ip netns exec t2 cat /proc/net/rsock_states
echo "t1's FIN_WAIT2 -> CLOSE handed the connection to a timewait socket, which ss lists:"
ip netns exec t1 ss -tan state time-wait

say "close stops the server: its socket shut down wakes its thread, which ends"
cmd t2 'close 2'
ip netns exec t2 cat /proc/net/rsock
