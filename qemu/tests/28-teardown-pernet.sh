# Teardown of per-namespace state while the kernel still calls into it (issue 22, defects 1
# and 2). A netfilter hook runs under rcu_read_lock; unregistering it (pernet pre_exit)
# stops new calls but does not wait for those in flight, so rfilter's rule table and its
# pernet slot may be freed only after the grace period the pernet core waits before exit.
# Here `rmmod rfilter` runs 20 times while pktgen floods the hooks from both vCPUs;
# KASAN and the splat harness decide. Then namespaces holding rsock servers and clients
# are deleted: each must be dismantled without `rmmod rsock` (a C veth pair with one end
# inside disappears), and TCP connections left with unacknowledged data must not outlive
# the namespace's TCP state.
. "$(dirname "$0")/../guest/testlib.sh"
. "$(dirname "$0")/../guest/pktgen.sh"
ROUNDS=20
cleanup() {
	pg_clear 2>/dev/null
	ip link del g0 2>/dev/null
	unanchor tdn
	ip netns del tdn 2>/dev/null
	cleanup_namespaces
}
trap cleanup EXIT
cleanup
unload rfilter
modprobe pktgen || fail "modprobe pktgen"
modprobe rveth || fail "modprobe rveth"

# g0 (here) -> g1 (namespace tdn, 198.18.0.2): pktgen's UDP to port 9 crosses tdn's hooks.
ip netns add tdn || fail "ip netns add tdn"
must ip link add name g0 numtxqueues 2 numrxqueues 2 type rveth peer name g1 netns tdn numtxqueues 2 numrxqueues 2
ip link set g0 addrgenmode none
ip -n tdn link set g1 addrgenmode none
must ip -n tdn addr add 198.18.0.2/24 dev g1
must ip link set g0 up
must ip -n tdn link set g1 up
# One pktgen thread per vCPU, each on its own queue of g0 (pktgen's "dev@N" entries), each
# a frame every 50 us: hooks always in flight, with CPU left for the rounds.
ncpu=$(nproc)
for ((c = 0; c < ncpu; c++)); do
	pg_add $c "g0@$c" || fail "pktgen set-up"
	pg_setup "g0@$c" "count 0" "pkt_size 60" "delay 50000" "dst 198.18.0.2" "udp_dst_min 9" "udp_dst_max 9" \
		"dst_mac $(dev_mac tdn g1)" "queue_map_min $((c % 2))" \
		"queue_map_max $((c % 2))" || fail "pktgen set-up"
done
pg_run &
# tdn's /proc/net files (dev, rfilter), written and read by bash itself through testlib's
# anchor: a round starts no program but modprobe and rmmod.
anchor tdn
wait_for "the flood to reach g1" 30 rx_at_least tdn g1 1001
counting() { [ "$(rule_hits tdn 1)" -gt 100 ] 2>/dev/null; }
for ((r = 1; r <= ROUNDS; r++)); do
	modprobe rfilter || fail "round $r: modprobe rfilter"
	net_write tdn rfilter "add drop hook prerouting proto udp dport 9" || fail "round $r: rule refused"
	net_write tdn rfilter "add drop proto udp dport 9" || fail "round $r: rule refused"
	# The hooks are judging the flood when the module goes.
	wait_for "round $r: the prerouting rule to count the flood" 30 counting
	rmmod rfilter || fail "round $r: rmmod rfilter under the flood"
	[ -e /proc/net/rfilter ] && fail "round $r: /proc/net/rfilter left after rmmod"
done
note "rmmod rfilter under a pktgen flood from $ncpu vCPU(s): $ROUNDS rounds (${SECONDS}s)"
pg_clear || fail "pktgen did not stop"

# --- rsock: a namespace with kernel sockets in it goes without `rmmod` -----------------
# tda holds rsock's UDP and TCP echo servers, a connection accepted from tdb, and an
# in-kernel client connected to a server in tdb; tda and tdb are joined by a C veth pair.
# Kernel sockets hold no reference on their namespace, so `ip netns del tda` dismantles
# it: the veth end in tdb disappears, rsock's threads for tda end.
modprobe veth || fail "modprobe veth"
modprobe rsock || fail "modprobe rsock"
veth_pair() {
	ip netns add tda && ip netns add tdb || fail "cannot create tda/tdb"
	must ip link add name v0 netns tda type veth peer name v1 netns tdb
	must ip -n tda addr add 10.8.0.1/24 dev v0
	must ip -n tdb addr add 10.8.0.2/24 dev v1
	must ip -n tda link set v0 up
	must ip -n tdb link set v1 up
	must ip -n tda link set lo up
}
# gone_within SECONDS: the namespace behind v1's peer is dismantled (v1 goes with it).
v1_gone_within() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		ip netns exec tdb test ! -e /sys/class/net/v1 && return 0
		sleep 0.2
	done
	return 1
}
rsock_threads() { pgrep -c '^rsock-' || true; }
# tdb_server: a user-space TCP server on 10.8.0.2:9 in tdb that accepts one connection
# and holds it (TDB_PID); returns once it listens.
# (nsenter itself in the background, not testlib's nsx: $! is then the server, not a
# subshell whose death would leave it running.)
tdb_server() {
	nsenter --net=/run/netns/tdb -- python3 -S - <<'PY' &
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.8.0.2", 9)); s.listen(8)
held = [s.accept()[0]]
time.sleep(300)
PY
	TDB_PID=$!
	wait_for "the server in tdb" 30 listening tdb 9
}
trap 'kill $TDB_PID $TDB_CLIENT 2>/dev/null; cleanup; ip netns del tda 2>/dev/null; ip netns del tdb 2>/dev/null; unload rsock; unload rplant' EXIT
veth_pair
# A user-space server in tdb that holds every connection open, and a client in tdb
# connected to rsock's echo server in tda (it sends one line and keeps the connection).
tdb_server
must rsock_cmd tda 'udp-echo 7'
must rsock_cmd tda 'tcp-echo 7'
must rsock_cmd tda 'connect tcp 10.8.0.2 9'
wait_for "tda's servers to listen" 30 listening tda 7
nsenter --net=/run/netns/tdb -- python3 -S - <<'PY' &
import socket, time
c = socket.create_connection(("10.8.0.1", 7), timeout=30)
c.sendall(b"x\n"); c.recv(2)
time.sleep(300)
PY
TDB_CLIENT=$!
wait_for "the connection accepted in tda" 30 sh -c "nsenter --net=/run/netns/tda -- ss -tn state established | grep -q ':7 '"
expect_eq "$(rsock_threads)" 4 "rsock threads in tda (udp, tcp listener, its connection, the client)"
must ip netns del tda
v1_gone_within 30 || fail "tda was not dismantled within 30 s of ip netns del (its kernel sockets hold it)"
wait_for "rsock's threads for tda to end" 30 sh -c '[ "$(pgrep -c "^rsock-" || true)" = 0 ]'
kill $TDB_PID $TDB_CLIENT 2>/dev/null
wait $TDB_PID $TDB_CLIENT 2>/dev/null
ip netns del tdb
note "ip netns del with rsock servers, a connection and a client inside: dismantled, threads gone (${SECONDS}s)"

# --- rsock: an orphan with unacknowledged data outlives its socket, not its namespace --
# An in-kernel client sends into a path that drops everything, then is closed: TCP keeps
# the connection as an orphan (data and FIN unacknowledged, retransmit timer armed). The
# socket was made to hold its namespace before it was released, so after `ip netns del`
# and `rmmod rsock` the namespace stays (its veth end in tdb with it) while the orphan's
# timer fires; once TCP gives up (tcp_orphan_retries 4: about 6 s of retransmits), the
# namespace goes. Without the reference, TCP stops a kernel socket's timers at close
# (tcp_close, for sk_net_refcnt 0) and the namespace would go at once.
veth_pair
tdb_server
must nsx tda sysctl -qw net.ipv4.tcp_orphan_retries=4
must rsock_cmd tda 'connect tcp 10.8.0.2 9'
id=$(rsock_listing tda | awk '$2 == "tcp-client" {print $1}')
[ -n "$id" ] || fail "no rsock client in tda"
# From here on tdb drops everything that arrives from tda.
must nsx tdb nft add table inet drop_all
must nsx tdb nft add chain inet drop_all in '{ type filter hook prerouting priority -300; policy drop; }'
must rsock_cmd tda "send $id unacknowledged"
must rsock_cmd tda "close $id"
orphans=$(ip netns exec tda awk '$1 == "TCP:" {for (i = 2; i < NF; i++) if ($i == "orphan") print $(i + 1)}' /proc/net/sockstat)
expect_eq "$orphans" 1 "orphaned TCP sockets in tda after close (sockstat)"
must ip netns del tda
rmmod rsock || fail "rmmod rsock with an orphan in a deleted namespace"
ip netns exec tdb test -e /sys/class/net/v1 ||
	fail "tda went at once: the orphan did not keep its namespace (its timers were stopped)"
# The retransmit timer fires on the orphan, in the deleted namespace, after rsock is gone;
# then TCP gives up and the namespace is dismantled.
v1_gone_within 60 || fail "tda was not dismantled within 60 s once its orphan gave up"
note "an orphan kept its deleted namespace until TCP gave up, then it went (${SECONDS}s)"
kill $TDB_PID 2>/dev/null
wait $TDB_PID 2>/dev/null
ip netns del tdb

# --- threads: a thread whose handle was leaked ends before its module's code is freed --
# rplant (the test fixture) starts a thread that wakes every 10 ms and keeps its handle only
# in the thread's own data (a cycle nothing drops); unloading rplant must stop it
# (kernel::kthread's registry, at MODULE_STATE_GOING) or it would wake in freed module
# memory. Stopped, it drops its own handle: the final sweep (kmemleak) finds nothing of it left.
unload rplant
modprobe rplant || fail "modprobe rplant"
echo leak-thread >/proc/net/rplant || fail "rplant refused leak-thread"
wait_for "the leaked thread to run" 30 pgrep -x rplant-leak
rmmod rplant || fail "rmmod rplant with a leaked thread"
expect_eq "$(pgrep -c -x rplant-leak || true)" 0 "rplant-leak threads after rmmod rplant"
sleep 1 # a thread left running would have woken about 100 times in freed memory by now
note "a module's leaked thread was stopped when the module went (${SECONDS}s)"
