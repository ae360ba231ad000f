# Lesson 3, the TCP state machine watched through /proc/net/rsock_states (the
# sock:inet_sock_set_state tracepoint), across an rveth pair: an rsock client in ns1
# against an rsock server in ns2 shows the exact sequences of the active closer
# (SYN_SENT, ESTABLISHED, FIN_WAIT1, FIN_WAIT2, then CLOSE as the connection moves to a
# timewait socket that `ss` lists as TIME-WAIT) and of the passive one (LISTEN, SYN_RECV,
# ESTABLISHED, CLOSE_WAIT, LAST_ACK, CLOSE); a connect to a closed port is SYN_SENT ->
# CLOSE (the reset). User-space sockets are recorded only after `trace all`, with their
# IPv6 addresses. The ring keeps the last 256 changes and counts them all; bad writes
# are refused with EINVAL and change nothing; rmmod and namespace deletion with probes
# registered leave nothing behind (the log check and the final sweep).
. "$(dirname "$0")/../guest/testlib.sh"
cleanup() {
	kill %1 2>/dev/null
	unload rsock
	cleanup_namespaces
	return 0
}
trap cleanup EXIT
cleanup
modprobe rveth || fail "modprobe rveth"
modprobe rsock || fail "modprobe rsock"
pair_in_namespaces rveth
# Both namespaces' /proc/net files through a process in each (testlib's anchor).
anchor ns1
anchor ns2

states() { net_read "$1" rsock_states; }
clear_states() { net_write "$1" rsock_states clear; }
# transitions NS [ERE]: the namespace's changes ("FROM->TO", oldest first), of the
# lines matching ERE if given.
transitions() {
	states "$1" | grep -v '^#' | grep -E -- "${2:-.}" | awk '{printf "%s%s->%s", sep, $4, $6; sep=" "}'
}

expect_eq "$(states ns1)" "# rsock's TCP sockets: 0 changes, the last 0 shown" "an empty log"

# The server: a listener (one IPv6 socket for both families).
must rsock_cmd ns2 'tcp-echo 7'
expect_eq "$(transitions ns2)" "TCP_CLOSE->TCP_LISTEN" "the listener's change"
expect_eq "$(states ns2 | awk '!/^#/ {print $2, $3}')" "[::]:7 [::]:0" "the listener's addresses"
clear_states ns2

# The in-kernel client connects, says something, and closes first.
must rsock_cmd ns1 'connect tcp 10.9.0.2 7'
cid=$(rsock_listing ns1 | awk '$2 == "tcp-client" {print $1}')
cport=$(rsock_listing ns1 | awk '$2 == "tcp-client" {sub(/.*:/, "", $3); print $3}')
must rsock_cmd ns1 "send $cid hello"
wait_for "the echo" 30 sh -c "nsenter --net=/run/netns/ns1 -- cat /proc/net/rsock | grep -q 'tcp-client.* in 6 out 6'"
must rsock_cmd ns1 "close $cid"
wait_for "the server side to close" 30 sh -c "nsenter --net=/run/netns/ns2 -- cat /proc/net/rsock_states | grep -q 'TCP_LAST_ACK -> TCP_CLOSE'"
wait_for "the client side to close" 30 sh -c "nsenter --net=/run/netns/ns1 -- cat /proc/net/rsock_states | grep -q 'TCP_FIN_WAIT2 -> TCP_CLOSE'"
states ns1
states ns2
expect_eq "$(transitions ns1)" \
	"TCP_CLOSE->TCP_SYN_SENT TCP_SYN_SENT->TCP_ESTABLISHED TCP_ESTABLISHED->TCP_FIN_WAIT1 TCP_FIN_WAIT1->TCP_FIN_WAIT2 TCP_FIN_WAIT2->TCP_CLOSE" \
	"the active closer's states"
# The port is chosen just after SYN_SENT is entered (inet_hash_connect): 0 on that line.
expect_eq "$(states ns1 | awk '!/^#/ {print $2, $3}' | sort -u | tr '\n' ' ')" \
	"10.9.0.1:0 10.9.0.2:7 10.9.0.1:$cport 10.9.0.2:7 " "the client's addresses on its lines"
expect_eq "$(nsx ns1 ss -Htan state time-wait | awk '{print $3, $4}')" \
	"10.9.0.1:$cport 10.9.0.2:7" "the closed connection in TIME-WAIT (ss)"
expect_eq "$(transitions ns2)" \
	"TCP_LISTEN->TCP_SYN_RECV TCP_SYN_RECV->TCP_ESTABLISHED TCP_ESTABLISHED->TCP_CLOSE_WAIT TCP_CLOSE_WAIT->TCP_LAST_ACK TCP_LAST_ACK->TCP_CLOSE" \
	"the passive closer's states"
expect_eq "$(states ns2 | awk '$4 == "TCP_SYN_RECV" {print $2, $3}')" \
	"[::ffff:10.9.0.2]:7 [::ffff:10.9.0.1]:$cport" "the accepted connection's addresses"

# A connect to a port nobody listens on: the reset ends SYN_SENT.
clear_states ns1
expect_eq "$(write_errnos ns1 /proc/net/rsock "b'connect tcp 10.9.0.2 10'")" ECONNREFUSED "connect to a closed port"
expect_eq "$(transitions ns1)" "TCP_CLOSE->TCP_SYN_SENT TCP_SYN_SENT->TCP_CLOSE" "the refused connect's states"

# A user-space client (IPv6) is not rsock's: not recorded, until `trace all`.
py_connect() {
	nsx ns1 python3 -S - "$1" <<'PY'
import socket, sys
for _ in range(int(sys.argv[1])):
    s = socket.create_connection(("fd00::2", 7), timeout=30)
    s.sendall(b"x")
    assert s.recv(1) == b"x"
    s.shutdown(socket.SHUT_WR)
    assert s.recv(1) == b""
    s.close()
PY
}
clear_states ns1
py_connect 1 || fail "the user-space client"
expect_eq "$(states ns1 | head -n 1)" "# rsock's TCP sockets: 0 changes, the last 0 shown" "a user-space socket without trace all"
must rsock_cmd ns1 'trace all'
py_connect 1 || fail "the user-space client"
wait_for "the user-space socket to close" 30 sh -c "nsenter --net=/run/netns/ns1 -- cat /proc/net/rsock_states | grep -q 'TCP_FIN_WAIT2 -> TCP_CLOSE'"
states ns1
expect_eq "$(transitions ns1)" \
	"TCP_CLOSE->TCP_SYN_SENT TCP_SYN_SENT->TCP_ESTABLISHED TCP_ESTABLISHED->TCP_FIN_WAIT1 TCP_FIN_WAIT1->TCP_FIN_WAIT2 TCP_FIN_WAIT2->TCP_CLOSE" \
	"a user-space socket's states with trace all"
expect_eq "$(states ns1 | awk '$4 == "TCP_SYN_SENT" {sub(/:[0-9]+$/, "", $2); print $2, $3}')" \
	"[fd00::1] [fd00::2]:7" "its IPv6 addresses"

# The ring: 60 connections make 300 changes; the last 256 are kept, all are counted.
clear_states ns1
py_connect 60 || fail "60 user-space connections"
wait_for "300 changes" 60 sh -c "ip netns exec ns1 head -n 1 /proc/net/rsock_states | grep -q ': 300 changes'"
expect_eq "$(states ns1 | head -n 1)" "# every TCP socket: 300 changes, the last 256 shown" "the header after 300 changes"
expect_eq "$(states ns1 | grep -vc '^#')" 256 "lines kept"
expect_eq "$(transitions ns1 | tr ' ' '\n' | tail -n 5 | paste -sd ' ')" \
	"TCP_CLOSE->TCP_SYN_SENT TCP_SYN_SENT->TCP_ESTABLISHED TCP_ESTABLISHED->TCP_FIN_WAIT1 TCP_FIN_WAIT1->TCP_FIN_WAIT2 TCP_FIN_WAIT2->TCP_CLOSE" \
	"the newest connection's states, last"
# 44 changes went: 8 connections and 4 of the ninth, whose last change is the oldest kept.
expect_eq "$(transitions ns1 | cut -d' ' -f1)" "TCP_FIN_WAIT2->TCP_CLOSE" "the oldest change kept (the 45th)"
expect_eq "$(states ns1 | awk '!/^#/ {print $1}' | sort -c -n && echo ordered)" ordered "times, oldest first"
must rsock_cmd ns1 'trace rsock'
expect_eq "$(states ns1 | head -n 1 | cut -d: -f1)" "# rsock's TCP sockets" "the header after trace rsock"

# Bad writes: EINVAL, nothing changes.
before=$(states ns1)
expect_eq "$(write_errnos ns1 /proc/net/rsock_states "b'clear all'" "b'all'" "b''" "b'\\xff'")" \
	"EINVAL EINVAL EINVAL EINVAL" "errnos of bad writes to rsock_states"
expect_eq "$(write_errnos ns1 /proc/net/rsock "b'trace'" "b'trace none'" "b'trace all all'")" \
	"EINVAL EINVAL EINVAL" "errnos of bad trace commands"
expect_eq "$(states ns1)" "$before" "the log after bad writes"

# Unload with a probe in every namespace; the namespaces go after.
rmmod rsock || fail "rmmod rsock"
note "ok: rmmod with the probes registered"
