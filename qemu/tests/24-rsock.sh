# Lesson 3, transport and sockets: rsock's in-kernel echo servers in ns2, user-space
# clients (python) in ns1 across an rveth pair. UDP and TCP, IPv4 and IPv6: every
# datagram and every byte comes back unchanged (sizes up to 1 MiB, compared by hash);
# the listing shows the sockets, their TCP states and byte counts; a second server on a
# port in use fails with EADDRINUSE; the same port serves in two namespaces; bad command
# lines are refused with EINVAL and change nothing; close and rmmod with connections
# open under traffic end cleanly: threads gone, no socket left in `ss -a`. In-kernel
# clients (TCP over IPv4, UDP over IPv6) to user-space servers: the text arrives, the
# echo is counted, a refused connect is the write's ECONNREFUSED, close is the server's EOF;
# two ephemeral ports, three connects: the third is EADDRNOTAVAIL. SO_REUSEPORT: two
# servers on one port share its connections.
. "$(dirname "$0")/../guest/testlib.sh"
cleanup() {
	kill %1 %2 %3 %4 %5 %6 2>/dev/null
	rm -f /tmp/rsock-reuse.ready
	rm -f /tmp/rsock-client.out
	unload rsock
	cleanup_namespaces
	ip netns del ns3 2>/dev/null
	return 0
}
trap cleanup EXIT
cleanup
modprobe rveth || fail "modprobe rveth"
modprobe rsock || fail "modprobe rsock"
pair_in_namespaces rveth
# ns2's /proc/net files through a process in it (testlib's anchor): no process each.
anchor ns2


must rsock_cmd ns2 'udp-echo 7'
must rsock_cmd ns2 'tcp-echo 7'
rsock_listing ns2
expect_eq "$(rsock_listing ns2 | awk '$2 == "udp-echo" {print $1, $3}')" "1 [::]:7" "the UDP server's line"
expect_eq "$(rsock_listing ns2 | awk '$2 == "tcp-echo" {print $1, $3, $5}')" "2 [::]:7 TCP_LISTEN" "the TCP server's line"
servers_listen() { listening ns2 7 udp && listening ns2 7 tcp; }
wait_for "the servers to listen" 30 servers_listen
expect_eq "$(pgrep -c '^rsock-(udp|tcp)/7$' || true)" 2 "server threads"

# echo_check PROTO ADDR SIZE...: sends each size (random bytes) to ADDR port 7 and
# requires the same bytes back (sha256).
echo_check() {
	nsx ns1 python3 -S - "$@" <<'PY' || fail "echo over $1 to $2 (above)"
import hashlib, os, socket, sys, threading
proto, addr, sizes = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
for n in sizes:
    data = os.urandom(n)
    if proto == "udp":
        s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(20)
        s.sendto(data, (addr, 7))
        back, peer = s.recvfrom(65536)
    else:
        s = socket.create_connection((addr, 7), timeout=60)
        # Send from a thread while this one reads: an echo that is not read fills the
        # buffers both ways, and then both ends wait on each other.
        def send(s=s, data=data):
            s.sendall(data); s.shutdown(socket.SHUT_WR)
        sender = threading.Thread(target=send); sender.start()
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        back = b"".join(chunks)
        sender.join()
    s.close()
    if hashlib.sha256(back).digest() != hashlib.sha256(data).digest():
        sys.exit(f"FAIL: {proto} {addr}: {n} bytes sent, {len(back)} came back, not the same")
    print(f"ok: {proto} to {addr}: {n} bytes back unchanged")
PY
}
echo_check udp 10.9.0.2 0 1 1400 8000 65000
echo_check udp fd00::2 1 1400 60000
echo_check tcp 10.9.0.2 1 100000 1048576
echo_check tcp fd00::2 1048576

# The byte counts: the UDP server saw exactly what was sent, and sent it back.
udp_bytes=$((0 + 1 + 1400 + 8000 + 65000 + 1 + 1400 + 60000))
expect_eq "$(rsock_listing ns2 | awk '$2 == "udp-echo" {print $7, $9}')" "$udp_bytes $udp_bytes" "UDP server bytes in, out"

# Ports: a second server on a port in use; the same port in another namespace.
expect_eq "$(write_errnos ns2 /proc/net/rsock "b'tcp-echo 7'" "b'udp-echo 7'")" \
	"EADDRINUSE EADDRINUSE" "errnos of servers on ports in use"
ip netns add ns3
must rsock_cmd ns3 'tcp-echo 7'
expect_eq "$(rsock_listing ns3 | awk '$2 == "tcp-echo" {print $3, $5}')" "[::]:7 TCP_LISTEN" "the same port in ns3"
expect_eq "$(rsock_listing ns2 | grep -c echo)" 2 "ns2's servers, unchanged"

# Bad lines: EINVAL, nothing changes.
before=$(rsock_listing ns2)
expect_eq "$(write_errnos ns2 /proc/net/rsock "b'udp-echo 0'" "b'udp-echo 65536'" "b'tcp-echo'" \
	"b'close 0'" "b'close x'" "b'listen 7'" "b'udp-echo 7 8'" "b'\\xff'" "b'close 99'")" \
	"EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL ENOENT" "errnos of bad lines"
expect_eq "$(rsock_listing ns2)" "$before" "the listing after bad lines"

# A connection held open: the listing shows it ESTABLISHED with its peer; closing the
# server closes it (the client reads EOF), and no socket is left.
nsx_bg ns1 python3 -S - <<'PY'
import socket, time
s = socket.create_connection(("10.9.0.2", 7), timeout=60)
s.sendall(b"hello")
assert s.recv(5) == b"hello"
time.sleep(60)
PY
wait_for "the connection to show" 30 sh -c "nsenter --net=/run/netns/ns2 -- cat /proc/net/rsock | grep -q 'tcp-conn.*TCP_ESTABLISHED'"
expect_eq "$(rsock_listing ns2 | awk '$2 == "tcp-conn" {print $4, $5, $7, $9}' | sed 's/:[0-9]* / /')" \
	"[::ffff:10.9.0.1] TCP_ESTABLISHED 5 5" "the open connection's peer, state, bytes"
must rsock_cmd ns2 'close 2'
expect_eq "$(rsock_listing ns2 | grep -c 'tcp-')" 0 "TCP lines after close"
wait_for "no TCP socket on port 7 in ns2" 30 sh -c "! nsenter --net=/run/netns/ns2 -- ss -tan | grep -q ':7 .*ESTAB\|LISTEN.*:7 '"
kill %1 2>/dev/null

# SO_REUSEPORT: two servers share a port, a third without the option is refused, and
# the kernel spreads 20 connections over the two by a hash of each peer's address and
# port (all 20 on one would happen once in half a million runs).
must rsock_cmd ns2 'tcp-echo 12 reuseport'
must rsock_cmd ns2 'tcp-echo 12 reuseport'
expect_eq "$(write_errnos ns2 /proc/net/rsock "b'tcp-echo 12'")" EADDRINUSE "a server without reuseport on a shared port"
rm -f /tmp/rsock-reuse.ready
nsx_bg ns1 python3 -S - <<'PY'
import socket, time
conns = []
for _ in range(20):
    c = socket.create_connection(("10.9.0.2", 12), timeout=30)
    c.sendall(b"z")
    assert c.recv(1) == b"z"
    conns.append(c)
open("/tmp/rsock-reuse.ready", "w").write("ok")
time.sleep(60)
PY
REUSE=$!
wait_for "20 connections to port 12" 90 test -s /tmp/rsock-reuse.ready
per=$(for i in $(rsock_listing ns2 | awk '$2 == "tcp-echo" && $3 == "[::]:12" {print $1}'); do
	rsock_listing ns2 | grep -c "^$i\.[0-9]* tcp-conn .*TCP_ESTABLISHED"
done | sort -n | tr '\n' ' ')
note "connections per server on port 12: $per"
set -- $per
[ $# = 2 ] && [ "$1" -ge 1 ] && [ $(($1 + $2)) = 20 ] || fail "20 connections over two reuseport servers: $per"
note "ok: both servers took connections, 20 in all"
kill $REUSE 2>/dev/null
for id in $(rsock_listing ns2 | awk '$2 == "tcp-echo" && $3 == "[::]:12" {print $1}'); do must rsock_cmd ns2 "close $id"; done
rm -f /tmp/rsock-reuse.ready

# In-kernel clients (ns2) to user-space servers (ns1): TCP over IPv4, UDP over IPv6.
nsx_bg ns1 python3 -S - <<'PY'
import socket, threading
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.9.0.1", 9)); s.listen(1)
    c, _ = s.accept()
    data = b""
    while True:
        b = c.recv(100)
        if not b:
            break
        data += b; c.sendall(b)
    open("/tmp/rsock-client.out", "w").write(data.decode())
def udp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("fd00::1", 9))
    while True:
        b, a = s.recvfrom(100); s.sendto(b, a)
threading.Thread(target=udp, daemon=True).start()
tcp()
PY
SERVERS=$!
user_servers_listen() { listening ns1 9 tcp && listening ns1 9 udp; }
wait_for "the user-space servers in ns1" 30 user_servers_listen
must rsock_cmd ns2 'connect tcp 10.9.0.1 9'
must rsock_cmd ns2 'connect udp fd00::1 9'
tid=$(rsock_listing ns2 | awk '$2 == "tcp-client" {print $1}')
uid=$(rsock_listing ns2 | awk '$2 == "udp-client" {print $1}')
must rsock_cmd ns2 "send $tid hello  kernel"
must rsock_cmd ns2 "send $uid hello"
wait_for "the echoes to come back" 30 sh -c "nsenter --net=/run/netns/ns2 -- cat /proc/net/rsock | grep -q 'tcp-client.* in 14 out 14' && nsenter --net=/run/netns/ns2 -- cat /proc/net/rsock | grep -q 'udp-client.* in 6 out 6'"
expect_eq "$(rsock_listing ns2 | awk '$2 == "tcp-client" {print $4, $5, $7, $9}')" "10.9.0.1:9 TCP_ESTABLISHED 14 14" "the TCP client's peer, state, bytes"
expect_eq "$(rsock_listing ns2 | awk '$2 == "udp-client" {print $4, $7, $9}')" "[fd00::1]:9 6 6" "the UDP client's peer, bytes"
expect_eq "$(write_errnos ns2 /proc/net/rsock "b'connect tcp 10.9.0.1 10'" "b'send 1 x'" "b'send 99 x'" \
	"b'connect tcp 10.9.0.1'" "b'send $tid'")" "ECONNREFUSED EINVAL ENOENT EINVAL EINVAL" \
	"errnos: a refused connect, send from a server, an unknown id, bad lines"
must rsock_cmd ns2 "close $tid"
wait_for "the user-space server to see the client close" 30 test -s /tmp/rsock-client.out
expect_eq "$(cat /tmp/rsock-client.out)" "hello  kernel" "what the user-space server received"
must rsock_cmd ns2 "close $uid"
kill $SERVERS 2>/dev/null
expect_eq "$(rsock_listing ns2 | grep -c client)" 0 "client lines after close"

# Ports: with the namespace's ephemeral range narrowed to two ports, two clients to one
# server get them, the third connect finds none (EADDRNOTAVAIL, from inet_hash_connect).
nsx_bg ns1 python3 -S - <<'PY'
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.9.0.1", 11)); s.listen(8)
held = [s.accept()[0] for _ in range(2)]
time.sleep(60)
PY
PORTS_SERVER=$!
wait_for "the user-space server on port 11" 30 listening ns1 11
nsx ns2 sysctl -qw net.ipv4.ip_local_port_range="40000 40001"
expect_eq "$(write_errnos ns2 /proc/net/rsock "b'connect tcp 10.9.0.1 11'" "b'connect tcp 10.9.0.1 11'" \
	"b'connect tcp 10.9.0.1 11'")" "ok ok EADDRNOTAVAIL" "three connects through two ephemeral ports"
expect_eq "$(rsock_listing ns2 | awk '$2 == "tcp-client" {sub(/.*:/, "", $3); print $3}' | sort | tr '\n' ' ')" \
	"40000 40001 " "the clients' local ports"
for id in $(rsock_listing ns2 | awk '$2 == "tcp-client" {print $1}'); do must rsock_cmd ns2 "close $id"; done
nsx ns2 sysctl -qw net.ipv4.ip_local_port_range="32768 60999"
kill $PORTS_SERVER 2>/dev/null

# rmmod under traffic, with connections open: every thread ends, every socket goes.
must rsock_cmd ns2 'tcp-echo 9'
for i in 1 2; do
	nsx_bg ns1 python3 -S - <<'PY'
import socket
s = socket.create_connection(("fd00::2", 9), timeout=60)
try:
    while True:
        s.sendall(b"x" * 65536)
        s.recv(65536)
except OSError:
    pass
PY
done
wait_for "two connections" 30 sh -c "[ \$(nsenter --net=/run/netns/ns2 -- cat /proc/net/rsock | grep -c tcp-conn) = 2 ]"
sleep 1
rmmod rsock || fail "rmmod rsock with connections open"
expect_eq "$(pgrep -c '^rsock-' || true)" 0 "rsock threads after rmmod"
for ns in ns2 ns3; do
	wait_for "$ns's sockets to close" 30 sh -c "! nsenter --net=/run/netns/$ns -- ss -antu | grep -qE ':(7|9) .*(LISTEN|ESTAB|UNCONN)'"
done
note "ok: rmmod under traffic left no socket"
