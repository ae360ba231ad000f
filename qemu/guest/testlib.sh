# SPDX-License-Identifier: GPL-2.0
# Helpers for the in-guest tests (sourced by qemu/tests/*.sh).
# A test says FAIL with a reason and exits 1; it never passes by saying nothing.

ND_PROJ=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

fail() { echo "FAIL: $*"; exit 1; }

# sleep S: a pause that starts no process. On the debug kernel under TCG every program
# costs 0.15 s or more to start (the C locale; 0.3 s under C.UTF-8), which a polling loop
# paid on each turn: here bash's own `read` times out on a FIFO that nobody writes (held
# open for reading and writing, so it never ends early). Anything but plain seconds
# goes to sleep(1).
if [ -z "${ND_SLEEP_FD:-}" ] && { [ -p /tmp/.nd-sleep ] || mkfifo /tmp/.nd-sleep 2>/dev/null; }; then
	exec {ND_SLEEP_FD}<>/tmp/.nd-sleep
fi
sleep() {
	if [ $# = 1 ] && [[ $1 =~ ^[0-9]*\.?[0-9]+$ ]] && [ -n "${ND_SLEEP_FD:-}" ]; then
		read -rt "$1" -u "$ND_SLEEP_FD" _
		# Only a timeout (status above 128) is a pause; a read that failed was none.
		(($? > 128)) || command sleep "$1"
		return 0
	fi
	command sleep "$@"
}
# nsx NS CMD...: CMD in network namespace NS, for commands that reach the namespace through
# sockets, netlink, ioctls or /proc (which follows the caller's namespace): one setns and
# one exec (nsenter), where `ip netns exec` also starts `ip` and remounts /sys for the
# namespace, about twice the cost on the debug kernel under TCG. Anything that reads
# /sys/class/net keeps `ip netns exec`.
nsx() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}
# nsx_bg NS CMD...: CMD in NS, in the background, as one of the caller's jobs with $! the
# command itself (nsenter execs it): killing $! stops it. (`nsx ... &` would run the
# function in a subshell, and killing that subshell's $! would leave CMD running.) Its
# input is the caller's (a here-document given to nsx_bg reaches CMD).
nsx_bg() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@" <&0 &
}
# ndpy [--ns NS] COMMAND ARGS...: one of the Python helpers of qemu/guest/nd.py (datagrams,
# TCP streams, raw frames, JSON), in namespace NS if given: one process, as nd.py enters
# the namespace itself. ndpy_bg: the same in the background, $! the helper itself.
ND_PY=$ND_PROJ/qemu/guest/nd.py
ndpy() { python3 -S "$ND_PY" "$@"; }
ndpy_bg() { python3 -S "$ND_PY" "$@" <&0 & }
skip() { echo "$*"; exit 4; } # KSFT_SKIP
note() { echo "$*"; }

# expect_empty WHAT CMD...: CMD succeeds and prints nothing (an empty table, say). A CMD
# that fails (the control file missing) fails too: "" would equal "" otherwise.
expect_empty() {
	local what=$1 out
	shift
	out=$("$@" 2>&1) || fail "$what: '$*' failed: $(echo "$out" | tail -n 2)"
	[ -z "$out" ] || fail "$what: got '$(echo "$out" | head -n 3)', expected nothing"
}
# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
	note "ok: $3 = $1"
}

# expect_ge ACTUAL MIN WHAT
expect_ge() {
	[ "$1" -ge "$2" ] 2>/dev/null || fail "$3: got '$1', expected at least $2"
	note "ok: $3 = $1 (>= $2)"
}

# must CMD...: run a command that has to succeed, showing it.
must() {
	local out
	out=$("$@" 2>&1) || fail "'$*' failed: $(echo "$out" | tail -n 3)"
	[ -n "$out" ] && printf '%s\n' "$out"
	return 0
}

# must_fail ERE CMD...: run a command that has to fail, for the reason given: its output
# (stdout and stderr) must match ERE, e.g. the strerror text of the errno expected, an
# extack message, or ping's "100% packet loss". A parse error in the command fails.
must_fail() {
	local want=$1 out
	shift
	out=$("$@" 2>&1) && fail "'$*' succeeded but should have failed"
	echo "$out" | grep -qE -- "$want" ||
		fail "'$*' failed, but not as expected (/$want/): $(echo "$out" | tail -n 2)"
	note "ok: refused as expected: $(echo "$out" | grep -E -m1 -- "$want")"
}

# write_errnos NS FILE EXPR...: opens FILE in namespace NS (empty: this one) and writes
# each EXPR, a Python bytes expression, with one write(2) on that descriptor; prints
# "ok" or the errno's name (EINVAL, ENOSPC) for each, space separated, or the open's
# errno alone (95 is named EOPNOTSUPP, as the kernel calls it, not Python's ENOTSUP).
# $AS, if set, prefixes python (setpriv to drop privileges). A /proc/net file of an
# anchored namespace is opened through its anchor, from here (no `ip netns exec`), except
# for a writer without root's rights, which must meet the file's own permissions alone.
write_errnos() {
	local ns=$1 file=$2
	shift 2
	if [ -n "$ns" ] && [ -z "${AS:-}" ] && [ -n "${ND_NET[$ns]:-}" ] && [[ $file == /proc/net/* ]]; then
		anchored "$ns" "${file#/proc/net/}"
		file=$NET_PATH ns=
	fi
	${ns:+ip netns exec "$ns"} ${AS:-} python3 -S - "$file" "$@" <<'PY'
import errno, os, sys
name = lambda e: "EOPNOTSUPP" if e.errno == errno.EOPNOTSUPP else errno.errorcode[e.errno]
try:
    fd = os.open(sys.argv[1], os.O_WRONLY)
except OSError as e:
    print(name(e)); sys.exit(0)
out = []
for expr in sys.argv[2:]:
    data = eval(expr)
    try:
        n = os.write(fd, data)
        out.append("ok" if n == len(data) else f"short-{n}")
    except OSError as e:
        out.append(name(e))
print(" ".join(out))
PY
}

# refused_writes NS FILE TEXT LINE...: writes each LINE to control file FILE in namespace NS,
# one open and one write(2) each, in one Python process (not a handful of programs per
# line), and prints one line per LINE: the errno's name (or ok), "same" or "changed" (the
# file read back before and after the write), and "logged" or "silent" (a kernel log
# record containing TEXT written during the write: /dev/kmsg read from its end). The
# writes are 0.6 s apart: our refusals are logged through net_ratelimit, which lets 10
# lines through per 5 s (to all of networking), and a faster burst would go unlogged.
refused_writes() {
	local ns=$1
	shift
	nsx "$ns" python3 -S - "$@" <<'PY'
import errno, os, sys, time
path, text, lines = sys.argv[1], sys.argv[2], sys.argv[3:]
kmsg = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
def table():
    with open(path, "rb") as f:
        return f.read()
def logged():
    found = False
    while True:
        try:
            rec = os.read(kmsg, 16384)
        except BlockingIOError:
            return found
        except BrokenPipeError:
            continue  # records overwritten: the next read has the oldest left
        found |= text in rec.decode("utf-8", "replace").partition(";")[2]
for i, line in enumerate(lines):
    if i:
        time.sleep(0.6)
    before = table()
    os.lseek(kmsg, 0, os.SEEK_END)
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, os.fsencode(line))
        err = "ok"
    except OSError as e:
        err = errno.errorcode[e.errno]
    finally:
        os.close(fd)
    print(err, "same" if table() == before else "changed", "logged" if logged() else "silent")
PY
}

# expect_count WHAT EXPECTED CMD...: waits up to 30 s for the number CMD prints to reach
# EXPECTED, then requires exactly EXPECTED (a counter that overshoots fails).
expect_count() {
	local what=$1 want=$2 i
	shift 2
	for ((i = 0; i < 150; i++)); do
		[ "$("$@")" -ge "$want" ] 2>/dev/null && break
		sleep 0.2
	done
	sleep 0.5 # what was still in flight shows by now
	expect_eq "$("$@")" "$want" "$what"
}

# quiet_ipv6 NS DEV: no more IPv6 from DEV (neighbour discovery, MLD, router
# solicitations), so the far end's counters move only for frames a test sends.
quiet_ipv6() { nsx "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" || fail "disable IPv6 on $2"; }

# reflected NS DEV PEER-NS PEER N CMD...: runs CMD (which sends N ICMP echo requests
# out of DEV) while capturing on DEV, and requires N echo requests to come back in with
# the MACs swapped: source PEER's address, destination DEV's. The sender's own frames
# (its requests, neighbour discovery) have other MACs and cannot count.
reflected() {
	local ns=$1 dev=$2 pns=$3 peer=$4 n=$5 mine theirs got i
	shift 5
	mine=$(ip netns exec "$ns" cat "/sys/class/net/$dev/address")
	theirs=$(ip netns exec "$pns" cat "/sys/class/net/$peer/address")
	rm -f /tmp/reflect.pcap /tmp/reflect.log
	ip netns exec "$ns" tcpdump -i "$dev" -n -c "$n" -w /tmp/reflect.pcap \
		"ether src $theirs and ether dst $mine and icmp[icmptype] == icmp-echo" >/tmp/reflect.log 2>&1 &
	local tpid=$!
	wait_for "tcpdump listening on $dev" 30 grep -q "listening on $dev" /tmp/reflect.log
	"$@" >/dev/null 2>&1
	for ((i = 0; i < 50; i++)); do kill -0 $tpid 2>/dev/null || break; sleep 0.2; done
	kill $tpid 2>/dev/null
	wait $tpid
	got=$(tcpdump -n -r /tmp/reflect.pcap 2>/dev/null | grep -c 'ICMP echo request')
	expect_eq "$got" "$n" "echo requests back on $dev with the MACs swapped ($theirs > $mine)"
}

# The kernel log lines printed since the mark was taken (mark_dmesg).
mark_dmesg() { ND_DMESG_MARK=$(dmesg | wc -l); }
dmesg_since_mark() { dmesg | tail -n +$((${ND_DMESG_MARK:-0} + 1)); }

# Unload a module if loaded, so a test starts from a known state.
unload() { ! grep -q "^$1 " /proc/modules || rmmod "$1"; }

# Two namespaces ns1/ns2 joined by a pair of KIND (rveth or veth): ends x0 (ns1, 10.9.0.1,
# fd00::1) and x1 (ns2, 10.9.0.2, fd00::2), both up. Extra arguments go to `ip link add`.
pair_in_namespaces() {
	local kind=$1
	shift
	# Three `ip` processes, not eleven (each costs about 0.3 s on the debug kernel under
	# TCG): one batch here, one in each namespace (-n applies to its whole batch).
	printf '%s\n' "netns add ns1" "netns add ns2" \
		"link add name x0 netns ns1 $* type $kind peer name x1 netns ns2" |
		ip -batch - || fail "ip link add ... type $kind peer ... failed (or the namespaces)"
	printf '%s\n' "addr add 10.9.0.1/24 dev x0" "addr add fd00::1/64 dev x0 nodad" \
		"link set x0 up" "link set lo up" | ip -n ns1 -batch - || fail "setting up x0 in ns1"
	printf '%s\n' "addr add 10.9.0.2/24 dev x1" "addr add fd00::2/64 dev x1 nodad" \
		"link set x1 up" "link set lo up" | ip -n ns2 -batch - || fail "setting up x1 in ns2"
}

# rsock_cmd NS LINE: one command to rsock's control file in namespace NS (its errors on
# stdout); rsock_listing NS: the namespace's rsock sockets (lesson 3, tests 24 and 25).
# Through NS's anchor when it has one.
rsock_cmd() {
	if [ -n "${ND_NET[$1]:-}" ]; then
		net_write "$1" rsock "$2" 2>&1
	else
		ip netns exec "$1" sh -c "echo '$2' > /proc/net/rsock" 2>&1
	fi
}
rsock_listing() {
	if [ -n "${ND_NET[$1]:-}" ]; then
		net_read "$1" rsock
	else
		nsx "$1" cat /proc/net/rsock
	fi
}
# dev_mac NS DEV: DEV's link-layer address (`ip -br link`: name, state, address, flags).
dev_mac() {
	local l
	l=$(ip -n "$1" -br link show dev "$2") && read -r _ _ l _ <<<"$l" && [ -n "$l" ] && echo "$l"
}
# pin_neighbours [FAMILY...]: x0 (ns1) and x1 (ns2) of pair_in_namespaces know each other's
# address for good (nud permanent), so no ARP or neighbour discovery crosses the link and
# a count of frames is exactly what a test sent. FAMILY: 4 (the default), 6, or both.
pin_neighbours() {
	local m0 m1 f a=() b=()
	m0=$(dev_mac ns1 x0) && m1=$(dev_mac ns2 x1) || fail "pin_neighbours: no x0 in ns1 or x1 in ns2"
	for f in ${*:-4}; do
		case $f in
		4) a+=("neigh replace 10.9.0.2 lladdr $m1 dev x0 nud permanent")
			b+=("neigh replace 10.9.0.1 lladdr $m0 dev x1 nud permanent") ;;
		6) a+=("neigh replace fd00::2 lladdr $m1 dev x0 nud permanent")
			b+=("neigh replace fd00::1 lladdr $m0 dev x1 nud permanent") ;;
		*) fail "pin_neighbours: family 4 or 6, not '$f'" ;;
		esac
	done
	printf '%s\n' "${a[@]}" | ip -n ns1 -batch - && printf '%s\n' "${b[@]}" | ip -n ns2 -batch - ||
		fail "pin_neighbours: ip neigh replace refused"
}
cleanup_namespaces() {
	unanchor ns1
	unanchor ns2
	ip netns del ns1 2>/dev/null
	ip netns del ns2 2>/dev/null
	return 0
}

# anchor NS: a process that lives in namespace NS (a sleep, entered with nsenter) so that
# the test reads and writes NS's /proc/net files through /proc/PID/net, ND_NET[NS], with
# bash's own redirections: no program started per read or write (each costs 0.15 s or
# more here), where `nsx NS cat /proc/net/F` starts two. /proc/PID/net is the namespace of
# PID whoever opens it (proc_net's inode names it), and our control files find their
# namespace through the file (pde_data), not the writer. An anchored namespace is not
# dismantled until its anchor goes: `unanchor NS` before deleting it (cleanup_namespaces
# does); settle kills any anchor a test left (their pids are in /tmp/nd-anchors).
declare -A ND_NET=()
ND_ANCHOR_ARG=86400.$$
anchor() {
	local ns=$1 pid comm i
	unanchor "$ns"
	nsenter --net="/run/netns/$ns" -- sleep "$ND_ANCHOR_ARG" </dev/null >/dev/null 2>&1 &
	pid=$!
	# Not one of the test's jobs: its `kill %1` or `jobs -p` mean what the test started.
	disown "$pid"
	echo "$pid" >>/tmp/nd-anchors
	# Ready once it is in NS itself (nsenter's setns, then the exec): the same nsfs inode.
	for ((i = 0; i < 150; i++)); do
		[ -e "/proc/$pid" ] || fail "anchor for $ns: nsenter ended"
		[ "/proc/$pid/ns/net" -ef "/run/netns/$ns" ] && break
		sleep 0.1
	done
	[ "/proc/$pid/ns/net" -ef "/run/netns/$ns" ] || fail "anchor for $ns: not in the namespace after 15 s"
	ND_NET[$ns]=/proc/$pid/net
}
# anchored NS FILE: sets NET_PATH to NS's /proc/net/FILE through its anchor, once the
# anchor is checked to be alive and still in /run/netns/NS (a namespace deleted and added
# again under the same name is another one).
anchored() {
	local net=${ND_NET[$1]:-}
	[ -n "$net" ] || fail "no anchor for namespace $1"
	[ "${net%/net}/ns/net" -ef "/run/netns/$1" ] || fail "the anchor of $1 died or is in another namespace"
	NET_PATH=$net/$2
}
unanchor() {
	local path=${ND_NET[$1]:-} pid i
	[ -n "$path" ] || return 0
	pid=${path#/proc/}
	pid=${pid%/net}
	kill "$pid" 2>/dev/null
	# Gone from the namespace once it has exited (a zombie has left its namespaces).
	for ((i = 0; i < 100; i++)); do
		[ "/proc/$pid/ns/net" -ef "/run/netns/$1" ] || break
		sleep 0.05
	done
	unset "ND_NET[$1]"
	return 0
}
# net_write NS FILE LINE: LINE and a newline to NS's /proc/net/FILE, in one write(2): bash
# flushes a builtin's output at each newline, so one line only (a batch of lines goes
# through a program, `nsx NS sh -c 'cat > F'`, to stay one write); fails, with the
# kernel's errno text, when the write is refused.
net_write() {
	[[ $3 != *$'\n'* ]] || fail "net_write: one line at a time ('$3')"
	anchored "$1" "$2"
	printf '%s\n' "$3" >"$NET_PATH"
}
# net_lines NS FILE: NS's /proc/net/FILE into the array NET_LINES, read to its end in one
# go (a seq_file renders again at each seek; bash's `read` seeks back after each line).
net_lines() {
	anchored "$1" "$2"
	NET_LINES=()
	mapfile -t NET_LINES <"$NET_PATH" || return 1
}
# rule_hits NS N: the packet count of rule N in NS's /proc/net/rfilter ("N: ... packets
# P bytes B"), through its anchor; nothing (status 1) if there is no rule N or no file.
rule_hits() {
	local l
	net_lines "$1" rfilter || return 1
	for l in "${NET_LINES[@]}"; do
		[[ $l =~ ^$2:\ .*\ packets\ ([0-9]+)\ bytes ]] && { echo "${BASH_REMATCH[1]}"; return 0; }
	done
	return 1
}
# net_read NS FILE: NS's /proc/net/FILE, printed.
net_read() {
	net_lines "$1" "$2" || return
	[ ${#NET_LINES[@]} = 0 ] || printf '%s\n' "${NET_LINES[@]}"
}

# netfile_lines NS FILE: NS's /proc/net/FILE into NET_LINES, through NS's anchor when it
# has one (no process), else by one nsenter.
netfile_lines() {
	local out
	if [ -n "${ND_NET[$1]:-}" ]; then
		net_lines "$1" "$2"
	else
		NET_LINES=()
		out=$(nsx "$1" cat "/proc/net/$2") || return 1
		mapfile -t NET_LINES <<<"$out"
	fi
}
# snmp NS GROUP FIELD [FILE]: a counter of /proc/net/snmp (or FILE: `netstat` for TcpExt
# and IpExt) in namespace NS (snmp ns2 Udp NoPorts): its lines come in pairs, "Group:
# names..." then "Group: values...".
snmp() {
	local i j names vals
	netfile_lines "$1" "${4:-snmp}" || return 1
	for ((i = 0; i + 1 < ${#NET_LINES[@]}; i += 2)); do
		read -r -a names <<<"${NET_LINES[i]}"
		[ "${names[0]}" = "$2:" ] || continue
		read -r -a vals <<<"${NET_LINES[i + 1]}"
		for ((j = 1; j < ${#names[@]}; j++)); do
			[ "${names[j]}" = "$3" ] && { echo "${vals[j]}"; return 0; }
		done
	done
	echo "no $2 $3 in $1's /proc/net/${4:-snmp}" >&2
	return 1
}

# listening NS PORT [PROTO]: a socket in NS is bound to local PORT: for tcp (the default)
# one listening (state 0A), for udp any; IPv4 or IPv6 (/proc/net/tcp, tcp6, udp, udp6,
# through NS's anchor when it has one). A wait_for condition.
listening() {
	local proto=${3:-tcp} hex l f fields
	printf -v hex '%04X' "$2"
	for f in "$proto" "${proto}6"; do
		netfile_lines "$1" "$f" || return 1
		for l in "${NET_LINES[@]:1}"; do
			read -r -a fields <<<"$l"
			[[ ${fields[1]} == *":$hex" ]] || continue
			[ "$proto" = udp ] || [ "${fields[3]}" = 0A ] || continue
			return 0
		done
	done
	return 1
}
# snmp6 NS FIELD: a counter of /proc/net/snmp6 (snmp6 ns1 Icmp6InDestUnreachs).
snmp6() {
	local l k v
	netfile_lines "$1" snmp6 || return 1
	for l in "${NET_LINES[@]}"; do
		read -r k v <<<"$l"
		[ "$k" = "$2" ] && { echo "$v"; return 0; }
	done
	echo "no $2 in $1's /proc/net/snmp6" >&2
	return 1
}

# stat NS DEV FIELD: a device counter (rx_packets, tx_bytes, ...), as sysfs's statistics
# give it. Those /proc/net/dev shows as they are (both read dev_get_stats, net-procfs.c
# and net-sysfs.c) come from there, through NS's anchor if it has one; the rest from
# sysfs, which only `ip netns exec` mounts for the namespace.
stat() {
	local l f i
	local -A col=([rx_bytes]=1 [rx_packets]=2 [rx_errors]=3 [multicast]=8
		[tx_bytes]=9 [tx_packets]=10 [tx_errors]=11 [tx_dropped]=12 [collisions]=14)
	if [ -z "${col[$3]:-}" ]; then
		ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
		return
	fi
	netfile_lines "$1" dev || return 1
	for l in "${NET_LINES[@]}"; do
		[[ $l =~ ^\ *"$2": ]] || continue
		read -r -a f <<<"${l#*:}"
		echo "${f[${col[$3]} - 1]}"
		return 0
	done
	return 1
}

# ethtool_sum NS DEV GLOB: the sum of DEV's `ethtool -S` counters whose names match GLOB
# (`*_xdp_drop`: every receive queue's), in namespace NS ("" for this one): one process,
# parsed by bash. Fails, printing nothing, if ethtool does or no counter matches (a
# counter gone must not read as 0).
ethtool_sum() {
	local out l n=0 seen= IFS=$'\n'
	if [ -n "$1" ]; then out=$(nsx "$1" ethtool -S "$2"); else out=$(ethtool -S "$2"); fi || return 1
	for l in $out; do
		[[ $l =~ ^\ *([^:]+):\ +([0-9]+)$ ]] || continue
		# shellcheck disable=SC2053 # GLOB is a pattern
		[[ ${BASH_REMATCH[1]} == $3 ]] && n=$((n + BASH_REMATCH[2])) seen=1
	done
	[ -n "$seen" ] || { echo "ethtool -S $2: no counter named $3" >&2; return 1; }
	echo $n
}

# rx_at_least NS DEV N: DEV has received N frames or more (a wait_for condition).
rx_at_least() { [ "$(stat "$1" "$2" rx_packets)" -ge "$3" ]; }

# poll SECONDS CMD...: runs CMD every 0.2 s until it succeeds (status 0) or SECONDS have
# passed (status 1), quietly: the debug kernel under TCG is slow to start programs, so
# no fixed sleeps. The soak and the bench use it in their own checks.
poll() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 5; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
# wait_for WHAT SECONDS CMD...: poll, and the test fails if CMD never succeeds.
wait_for() {
	local what=$1 secs=$2
	shift 2
	poll "$secs" "$@" || fail "timed out after ${secs}s waiting for $what"
}

# tcp_sink NS ADDR PORT OUT: a TCP server in namespace NS on ADDR:PORT, in the background
# (TCP_SINK_PID); as data arrives it writes the byte count so far to OUT.progress, and
# when the sender closes, "<bytes> <sha256>" to OUT. Returns once it listens.
tcp_sink() {
	rm -f "$4" "$4.progress" "$4.listening"
	ndpy_bg --ns "$1" tcp-sink "$2" "$3" "$4"
	TCP_SINK_PID=$!
	wait_for "the TCP server on $2 port $3" 30 test -e "$4.listening"
}

# tcp_send NS ADDR PORT FILE [PAUSE]: sends FILE over TCP from namespace NS, in 16 KiB
# writes with PAUSE seconds between them (default none), then closes.
tcp_send() { ndpy --ns "$1" tcp-send "$2" "$3" "$4" "${5:-0}"; }

# send_malformed_frames NS DEV: nine raw frames out of DEV that no stack should choke on:
# runts and lying IPv4/IPv6 headers, then a full-size frame of an unknown ethertype.
send_malformed_frames() {
	[ "$(ndpy --ns "$1" malformed "$2")" = 9 ] || fail "sending raw frames on $2"
}
