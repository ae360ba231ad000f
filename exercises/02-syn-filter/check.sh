# SPDX-License-Identifier: GPL-2.0
# Exercise 2's checker (in the guest): exsyn between two namespaces joined by a veth
# pair, a listener on port 5000 and one on 5001 in ns2, clients in ns1.
. "$(dirname "$0")/../checklib.sh"
plan 13

# syns_sent: the SYNs ns1's TCP has put on the wire so far (first tries and retries).
syns_sent() {
	local opens retrans
	opens=$(snmp ns1 Tcp ActiveOpens) && retrans=$(snmp ns1 TcpExt TCPSynRetrans netstat) || return 1
	echo $((opens + retrans))
}
dropped() {
	local l
	l=$(net_read ns2 exsyn) && [[ $l =~ ^port\ [0-9]+\ dropped\ ([0-9]+)$ ]] && echo "${BASH_REMATCH[1]}"
}
# connect ADDR PORT: one TCP connect from ns1, two seconds at most; says what happened
# ("connected pong", "refused" for a reset, TimeoutError when the SYNs went unanswered).
connect() { ndpy --ns ns1 tcp-connect "$1" "$2" --timeout 2 --say ping; }
# connects ADDR PORT: the listener answered; dropped ADDR PORT: the SYNs were dropped
# (no answer at all: a reset or an error of the client's own is something else).
connects() { same "$(connect "$@")" "connected pong"; }
dropped_syns() { same "$(connect "$@")" TimeoutError; }
# The listeners: each answers "pong" on every connection.
listen() {
	nsx_bg ns2 python3 -S -c '
import socket, sys, threading
def answer(c):
    c.settimeout(60)
    try:
        c.recv(10); c.sendall(b"pong")
    except OSError:
        pass
    c.close()
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1]))); s.listen(16)
while True:
    threading.Thread(target=answer, args=(s.accept()[0],), daemon=True).start()' "$1" >/dev/null 2>&1
	wait_for "a listener on port $1" 30 listening ns2 "$1"
}
held_connection_works() {
	touch /tmp/ex2.go
	for _ in $(seq 50); do grep -q 'open connection:' /tmp/ex2.held && break; sleep 0.2; done
	grep -q 'open connection: pong' /tmp/ex2.held || { cat /tmp/ex2.held; return 1; }
}
unwatched_port_connects() { write_ns2 "port 0" && connects 10.9.0.2 5000; }
write_ns2() { net_write ns2 exsyn "$1"; }
cleanup() {
	kill $(jobs -p) 2>/dev/null
	rm -f /tmp/ex2.open /tmp/ex2.go
	cleanup_namespaces
	unload exsyn
}
trap cleanup EXIT

need "the module loads" "insmod must succeed: see dmesg" load_module
pair_in_namespaces veth
# The namespaces' /proc/net files read and written by this bash (testlib's anchor).
anchor ns1
anchor ns2
own_files() { [ -e /proc/net/exsyn ] && same "$(net_read ns2 exsyn)" "port 0 dropped 0"; }
need "each namespace has its own /proc/net/exsyn" "a pernet subsystem's control file" \
	own_files
listen 5000
listen 5001
# A connection opened before the port is watched: its segments are not SYNs.
nsx_bg ns1 python3 -S -c '
import socket, time
s = socket.create_connection(("10.9.0.2", 5000), timeout=5)
import os
open("/tmp/ex2.open", "w").close()
while not os.path.exists("/tmp/ex2.go"):
    time.sleep(0.2)
s.sendall(b"ping"); print("open connection:", s.recv(10).decode())' >/tmp/ex2.held 2>&1
wait_for "the held connection" 30 test -e /tmp/ex2.open
need "'port 5000' is taken" "the control file's write" write_ns2 "port 5000"
need "the nonsense 'port x' is refused" "the control file's write" must_fail "Invalid argument" write_ns2 "port x"

before=$(syns_sent) || fail "no TCP counters in ns1"
step "a connect to port 5000 (IPv4) gets no connection" \
	"a new connection starts with a segment that has SYN set and ACK clear; LOCAL_IN sees it before TCP does (tcp_v4_rcv): the hook's verdict decides" \
	dropped_syns 10.9.0.2 5000
step "a connect to port 5000 (IPv6) gets no connection" \
	"the same hook runs for IPv6 packets (the HOOKS list); the TCP header is found the same way" \
	dropped_syns fd00::2 5000
sleep 1
sent=$(( $(syns_sent) - before ))
step "the drop count equals the SYNs sent ($sent, first tries and retries)" \
	"count each SYN you drop, once, and nothing else (watch.dropped, read by 'cat /proc/net/exsyn')" \
	same "$(dropped)" "$sent"
step "a connect to port 5001 still works" \
	"only SYNs to the watched port are stopped: compare the destination port" \
	connects 10.9.0.2 5001
step "the connection opened before still carries data" \
	"a connection's later segments have ACK set: they are not SYNs, and must pass" \
	held_connection_works
step "ping still works" "a packet that is not TCP is accepted" \
	nsx ns1 ping -c 2 -W 2 -q 10.9.0.2
step "'port 0' lets connects to 5000 through again" "a port of 0 watches nothing" \
	unwatched_port_connects

write_ns2 "port 5000"
traffic=()
nsx_bg ns1 ping -f -q -w 6 10.9.0.2 >/dev/null 2>&1
traffic+=($!)
for i in 1 2 3; do
	connect 10.9.0.2 5000 >/dev/null 2>&1 &
	traffic+=($!)
done
sleep 1
step "rmmod under traffic" "the module must unload while packets go through its hook" rmmod exsyn
kill "${traffic[0]}" 2>/dev/null # the flood (its deadline is for a stuck rmmod)
wait "${traffic[@]}"
step "after rmmod, port 5000 takes connections" "unloading removes the hooks" connects 10.9.0.2 5000
