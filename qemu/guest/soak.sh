#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest (make soak): stress on the debug kernel for ND_SOAK_MIN minutes, in
# cycles of four kinds, taken in turn:
#  unload   pktgen floods a multi-queue rveth pair (or, in one variant, a veth pair
#           whose eBPF program redirects every frame into rveth's rings) and the
#           modules go while it runs: rmmod rveth with nothing attached, with an rxdp
#           program, with an eBPF XDP program, with veth redirecting into it, each
#           time with 50 idle pairs besides; then modprobe/rmmod of every module;
#  netns    traffic across a pair between two namespaces (TCP stream, ping floods,
#           rfilter judging both ways) and one namespace, then the other, deleted
#           while it flows;
#  control  writers to /proc/net/rfilter, /proc/net/rxdp, /proc/net/rroute and
#           /proc/net/rsock (servers started and closed under UDP and TCP clients; the TCP
#           state log read, cleared and switched to every socket and back) on both
#           CPUs (good rules, bad rules, flushes, attach/detach, route questions about
#           the devices in use) while ping floods are judged;
#  stress   up/down, MTU and channel changes and XDP attach/detach under traffic
#           (the do_stress of the kernel's veth selftest, tools/testing/selftests/net/veth.sh).
# After each cycle the devices and namespaces are deleted and the modules unloaded; the
# kernel log of the cycle (every record, by sequence number) must hold no splat. At the
# end kmemleak scans and sk_buffs and pages must be back where they started.
# Prints one line per cycle and a summary; exits 1 on any splat or leak.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/testlib.sh"
. "$here/kcheck.sh"
. "$here/pktgen.sh"

minutes=${ND_SOAK_MIN:-10}
case $minutes in '' | *[!0-9]*) echo "soak: SOAK_MIN wants whole minutes, got '$minutes'"; exit 2 ;; esac
PG=/proc/net/pktgen
XDP=/lib/modules/$(uname -r)/xdp
MODULES="rveth rdummy rfilter rxdp rroute rsock netdevs"

# --- helpers ----------------------------------------------------------------------
# Every background job of a cycle is recorded, and killed when the cycle ends, however
# it ends (the cycle runs in a subshell whose EXIT trap calls stop_jobs).
jobs_=()
bg() { "$@" >/dev/null 2>&1 & jobs_+=($!); }
stop_jobs() {
	[ -e $PG/pgctrl ] && pg_write pgctrl stop 2>/dev/null
	for j in "${jobs_[@]}"; do kill "$j" 2>/dev/null; done
	for j in "${jobs_[@]}"; do wait "$j" 2>/dev/null; done
	jobs_=()
	pg_clear 2>/dev/null
	return 0
}
# A cycle's check fails by saying why (a line on stderr, marked) and returning non-zero;
# the cycle goes on, and every check that said so fails it, not only its last command.
say() { echo "soak-check: $*" >&2; return 1; }
in_ns() { if [ -n "$1" ]; then ip netns exec "$@"; else shift; "$@"; fi; }
# up_pair KIND A B NS [ip link add arguments]: A in init_net, B in NS (or init_net if
# NS is empty), both up, no IPv6 autoconfiguration.
up_pair() {
	local kind=$1 a=$2 b=$3 ns=$4
	shift 4
	ip link add name "$a" "$@" type "$kind" peer name "$b" ${ns:+netns "$ns"} "$@" ||
		say "ip link add $a type $kind peer $b failed" || return 1
	ip link set "$a" addrgenmode none && ip link set "$a" up || return 1
	in_ns "$ns" ip link set "$b" addrgenmode none && in_ns "$ns" ip link set "$b" up
}
rx() { in_ns "$2" cat "/sys/class/net/$1/statistics/rx_packets" 2>/dev/null || echo 0; }
# flowing DEV [NS]: rx_packets of DEV grows within 30 s (the flood runs before we act).
rx_above() { [ "$(rx "$1" "$2")" -gt "$3" ]; }
flowing() {
	poll 30 rx_above "$1" "${2:-}" $(($(rx "$1" "${2:-}") + 100)) || say "no traffic on $1 after 30 s"
}
# pktgen_flood DEV DST-MAC QUEUES: pktgen without end out of DEV (init_net), in the background.
pktgen_flood() {
	local err
	err=$(pg_add $((RANDOM % $(nproc))) "$1" 2>&1) || say "$err" || return 1
	err=$(pg_setup "$1" "count 0" "pkt_size 60" "delay 0" "dst 198.18.0.2" "udp_dst_min 9" "udp_dst_max 10" \
		"dst_mac $2" "queue_map_min 0" "queue_map_max $(($3 - 1))" 2>&1) || say "$err" || return 1
	bg pg_run
}
mac() { in_ns "${2:-}" cat "/sys/class/net/$1/address"; }
prog_map() { # prog_map DEV: the map of DEV's XDP program
	bpftool prog show id "$(ip -j -d link show "$1" |
		ndpy json 'd[0]["xdp"]["prog"]["id"]')" |
		sed -n 's/.*map_ids \([0-9]*\).*/\1/p'
}
redirect_into() { # redirect_into FROM TO: FROM's xdp_redirect program sends all to TO
	local i
	ip link set "$1" xdpdrv obj "$XDP/xdp_redirect.o" sec xdp || say "cannot attach xdp_redirect to $1"
	i=$(cat "/sys/class/net/$2/ifindex")
	bpftool map update id "$(prog_map "$1")" key 0 0 0 0 value $((i & 255)) $((i >> 8 & 255)) 0 0 ||
		say "cannot point $1's redirect map at $2"
}
gone() { # gone DEV: DEV disappears within 30 s (devices go in work items)
	poll 30 test ! -e "/sys/class/net/$1" || say "$1 still there 30 s later"
}

# --- the cycles ---------------------------------------------------------------------
# unload VARIANT: 0 nothing attached, 1 rxdp, 2 eBPF, 3 veth redirecting into the rings.
cycle_unload() {
	local v=$(($1 % 4)) m
	modprobe pktgen && modprobe veth || say "modprobe pktgen/veth failed"
	for m in $MODULES; do modprobe "$m" || say "modprobe $m failed"; done
	up_pair rveth s0 s1 "" numtxqueues 2 numrxqueues 2 || return 1
	ethtool -L s0 tx 2 rx 2 && ethtool -L s1 tx 2 rx 2 || say "ethtool -L on s0/s1 failed"
	case $v in
	1) echo "attach s1 count" >/proc/net/rxdp || say "rxdp refused attach" ;;
	2) ip link set s1 xdpdrv obj "$XDP/xdp_pass.o" sec xdp || say "cannot attach xdp_pass" ;;
	3) up_pair veth w0 w1 "" && redirect_into w1 s0 || return 1 ;;
	esac
	if [ $v = 3 ]; then
		pktgen_flood w0 "$(mac w1)" 1 || return 1
	else
		pktgen_flood s0 "$(mac s1)" 2 || return 1
	fi
	flowing s1 || return 1
	# And 50 idle pairs, so the unload below unregisters many devices in one batch.
	for ((m = 0; m < 50; m++)); do ip link add name i$m type rveth peer name j$m || say "idle pair $m failed"; done
	# An attached rxdp program holds a reference on rxdp (rmmod refused), none on rveth.
	if [ $v = 1 ]; then rmmod rxdp 2>/dev/null && say "rmmod rxdp succeeded with a program attached"; fi
	rmmod rveth || say "rmmod rveth under traffic failed"
	[ -e /sys/class/net/s0 ] && say "s0 still there after rmmod rveth"
	stop_jobs
	for m in $MODULES; do
		grep -q "^$m " /proc/modules && { modprobe -r "$m" || say "rmmod $m failed"; }
	done
	# And each on its own, with nothing in use.
	for m in $MODULES; do modprobe "$m" && modprobe -r "$m" || say "modprobe/rmmod $m failed"; done
}

# netns VARIANT: pairs into namespace sb, one from init_net (pktgen), one from namespace
# sa (ping floods, a TCP stream, UDP), rfilter judging in sb. Then one namespace is
# deleted while it all flows (sb first on even variants, sa on odd), then the other.
cycle_netns() {
	local first second
	modprobe rveth && modprobe rfilter && modprobe pktgen || say "modprobe failed"
	ip netns add sa && ip netns add sb || say "ip netns add failed"
	up_pair rveth n0 n1 sb numtxqueues 2 numrxqueues 2 || return 1
	ip link add name m0 netns sa type rveth peer name m1 netns sb || say "rveth pair across namespaces failed"
	ip -n sa addr add 10.7.0.1/24 dev m0 && ip -n sb addr add 10.7.0.2/24 dev m1 || return 1
	for n in sa sb; do ip -n $n link set lo up; done
	ip -n sa link set m0 up && ip -n sb link set m1 up || return 1
	ip netns exec sb sh -c 'echo "add accept proto icmp" > /proc/net/rfilter && echo "add drop proto udp dport 9" > /proc/net/rfilter' ||
		say "rfilter refused the rules"
	pktgen_flood n0 "$(mac n1 sb)" 2 || return 1
	bg ip netns exec sb socat -u TCP-LISTEN:5001,reuseaddr,fork OPEN:/dev/null
	bg ip netns exec sa socat -u OPEN:/dev/zero TCP:10.7.0.2:5001,retry=30
	bg ip netns exec sa ping -f -q -w 600 10.7.0.2
	bg ip netns exec sb ping -f -q -w 600 -s 1400 10.7.0.1
	bg ip netns exec sa sh -c 'while :; do echo x > /dev/udp/10.7.0.2/9; done'
	flowing m1 sb && flowing n1 sb || return 1
	if [ $(($1 % 2)) = 0 ]; then first=sb second=sa; else first=sa second=sb; fi
	# A namespace is destroyed once nothing holds it: its processes go, then its name.
	ip netns pids $first | xargs -r kill
	ip netns del $first || say "ip netns del $first failed"
	# Deleting one end's namespace deletes the pair (rveth_dellink), as on veth.
	[ $first = sb ] && { gone n0 || return 1; }
	sleep 1
	ip netns pids $second | xargs -r kill
	ip netns del $second || say "ip netns del $second failed"
	gone n0 || return 1
	stop_jobs
	rmmod rfilter && rmmod rveth || say "rmmod after the namespaces went failed"
}

# control: writers to the control files on both CPUs, good commands and bad, while
# ping floods to namespace sc are judged by rfilter and rxdp on c0.
cycle_control() {
	local w
	modprobe rveth && modprobe rfilter && modprobe rxdp && modprobe rroute && modprobe rsock || say "modprobe failed"
	ip netns add sc || say "ip netns add sc failed"
	up_pair rveth c0 c1 sc && up_pair rveth d0 d1 "" || return 1
	ip addr add 10.6.0.1/24 dev c0 && ip -n sc addr add 10.6.0.2/24 dev c1 || return 1
	bg ping -f -q -w 600 10.6.0.2
	bg ping -f -q -w 600 -s 3000 10.6.0.2
	flowing c0 || return 1
	for w in 1 2; do
		bg sh -c 'while :; do
			for r in "add drop proto udp dport 9" "add accept proto icmp src 10.6.0.2" "add drop hook output proto tcp" \
				"add reject family ip6 proto tcp dport 7" "add drop proto 300" "add" "del 1" "del 99" "bogus" "flush"; do
				echo "$r" > /proc/net/rfilter; cat /proc/net/rfilter > /dev/null
			done
			head -c 5000 /dev/urandom > /proc/net/rfilter
		done'
		bg sh -c 'while :; do
			for r in "attach c0 count" "attach c0 drop proto icmp" "attach c0 reflect" "attach c0 redirect d0" \
				"attach nodev count" "attach c0 bogus" "detach c0" "detach c0"; do
				echo "$r" > /proc/net/rxdp; cat /proc/net/rxdp > /dev/null
			done
			head -c 5000 /dev/urandom > /proc/net/rxdp
		done'
		bg sh -c 'while :; do
			for q in "lookup 10.6.0.2" "lookup 10.6.0.1 from 10.6.0.2 iif c0" "lookup 10.6.0.9 iif d0 mark 7" \
				"lookup6 ::1" "lookup6 fe80::1 iif c0" "lookup 10.6.0.2 iif nodev" "lookup 300.1.1.1"; do
				echo "$q" > /proc/net/rroute; cat /proc/net/rroute > /dev/null
			done
			head -c 5000 /dev/urandom > /proc/net/rroute
		done'
		# Servers started and closed under their clients' traffic, in sc (across the
		# pair) and here.
		bg sh -c 'while :; do
			for c in "udp-echo 7" "tcp-echo 8" "udp-echo 0" "close 999" "bogus" "trace all" "trace rsock"; do
				echo "$c" > /proc/net/rsock
				ip netns exec sc sh -c "echo \"$c\" > /proc/net/rsock"
			done
			cat /proc/net/rsock_states > /dev/null; echo clear > /proc/net/rsock_states
			head -c 300 /dev/urandom > /proc/net/rsock_states
			for id in $(awk "NR > 1 && !/conn/ {print \$1}" /proc/net/rsock | head -2); do
				echo "close $id" > /proc/net/rsock
			done
			for id in $(ip netns exec sc awk "NR > 1 && !/conn/ {print \$1}" /proc/net/rsock | head -2); do
				ip netns exec sc sh -c "echo \"close $id\" > /proc/net/rsock"
			done
			head -c 5000 /dev/urandom > /proc/net/rsock
		done'
		bg python3 -c '
import socket, time
while True:
    for addr in ("10.6.0.2", "127.0.0.1"):
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
            s.sendto(b"x" * 1000, (addr, 7)); s.recvfrom(2000)
        except OSError:
            pass
        try:
            c = socket.create_connection((addr, 8), timeout=0.5)
            c.sendall(b"y" * 20000); c.recv(20000); c.close()
        except OSError:
            pass
'
	done
	sleep 20
	stop_jobs
	echo "detach c0" >/proc/net/rxdp 2>/dev/null
	echo flush >/proc/net/rfilter || say "rfilter flush failed"
	# A control file that cannot be read is no empty table.
	out=$(cat /proc/net/rfilter) && [ -z "$(grep '^[0-9]*:' <<<"$out")" ] || say "rfilter table not empty (or unreadable) after flush"
	out=$(cat /proc/net/rxdp) && [ -z "$out" ] || say "rxdp table not empty (or unreadable) after detach"
	ip link del c0 && ip link del d0 || say "ip link del failed"
	# rsock goes with whatever servers the writers left open, in both namespaces.
	rmmod rsock || say "rmmod rsock with servers open failed"
	! pgrep '^rsock-' >/dev/null || say "rsock threads left after rmmod"
	rmmod rxdp && rmmod rfilter && rmmod rroute && rmmod rveth || say "rmmod after the writers failed"
}

# stress VARIANT: the veth selftest's do_stress under a flood into namespace st: links
# down and up, MTU and channel changes, an XDP program on and off; on rveth, and on
# odd variants on veth, the C reference.
cycle_stress() {
	local i mtu out kind=rveth
	# Every other time the kernel's veth does the same, under the same flood: a splat
	# there is the kernel's (or the emulator's), not rveth's.
	[ $(($1 % 2)) = 1 ] && kind=veth
	modprobe $kind && modprobe pktgen || say "modprobe failed"
	ip netns add st || say "ip netns add st failed"
	up_pair $kind t0 t1 st numtxqueues 4 numrxqueues 4 || return 1
	ip addr add 10.5.0.1/24 dev t0 && ip -n st addr add 10.5.0.2/24 dev t1 || return 1
	pktgen_flood t0 "$(mac t1 st)" 4 || return 1
	bg ping -f -q -w 600 10.5.0.2
	flowing t1 st || return 1
	for ((i = 0; i < 15; i++)); do
		ip -n st link set t1 down
		ip -n st link set t1 up
		mtu=$((68 + RANDOM % 9000))
		ip link set t0 mtu $mtu
		ip -n st link set t1 mtu $mtu
		ethtool -L t0 tx $((1 + RANDOM % 4)) rx $((1 + RANDOM % 4)) 2>/dev/null
		ip netns exec st ethtool -L t1 tx $((1 + RANDOM % 4)) rx $((1 + RANDOM % 4)) 2>/dev/null
		ip -n st link set t1 xdpdrv obj "$XDP/xdp_pass.o" sec xdp 2>/dev/null
		ip link set t0 down
		ip link set t0 up
		ip -n st link set t1 xdpdrv off
		ip link set t0 mtu 1500 && ip -n st link set t1 mtu 1500 || say "MTU back to 1500 failed"
	done
	# One channel each way again: veth, and rveth like it, refuse XDP on t1 while t1 has
	# fewer rx queues than t0 has tx queues, which the random `ethtool -L` above can leave
	# (a soak of 2026-12-07 counted that refusal, on veth, as a failure).
	ethtool -L t0 tx 1 rx 1 && ip netns exec st ethtool -L t1 tx 1 rx 1 || say "channels back to 1 failed"
	out=$(ip -n st link set t1 xdpdrv obj "$XDP/xdp_pass.o" sec xdp 2>&1) ||
		say "xdp_pass on t1 (MTU 1500, one channel each way) refused: $out"
	flowing t1 st || return 1
	stop_jobs
	ip link del t0 || say "ip link del t0 failed"
	rmmod $kind || say "rmmod $kind failed"
}

# --- the soak -----------------------------------------------------------------------
kcheck_start /tmp/netdive-soak-kmsg.log
settle
kinds=(unload netns control stress)
declare -A done_
for k in "${kinds[@]}"; do done_[$k]=0; done
cycles=0 splat_count=0 failures=0
# kmemleak's reports from before the soak (boot) are not the soak's.
leaks0=0
if [ -e /sys/kernel/debug/kmemleak ]; then
	kmemleak_scan
	leaks0=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak)
fi
skb0=$(skb_objs)
pages0=$(pages_held)
# The suite's page margin (kcheck.sh) was measured over its tests; the soak's minutes of
# stress have not been measured against it yet, so its end balance keeps the older 4096.
PAGE_MARGIN=${ND_PAGE_MARGIN:-4096}
start=$(date +%s)
end=$((start + minutes * 60))
echo "soak: $minutes minute(s) on $(uname -r), $(nproc) CPUs; cycles: ${kinds[*]}"
while [ "$(date +%s)" -lt "$end" ]; do
	kind=${kinds[$((cycles % ${#kinds[@]}))]}
	variant=${done_[$kind]}
	cycles=$((cycles + 1))
	from=$(mark "soak $cycles $kind")
	t0=$(date +%s)
	why=$( (trap stop_jobs EXIT; cycle_$kind "$variant") 2>&1 >/dev/null)
	rc=$?
	stop_jobs
	settle
	to=$(mark "soak $cycles $kind end")
	done_[$kind]=$((variant + 1))
	found=$(splats "$from" "$to" | head -3)
	# The cycle's verdict: every failed check in it, and its status (a step that ended
	# the cycle early).
	said=$(grep -c '^soak-check: ' <<<"$why")
	if [ -n "$found" ]; then
		splat_count=$((splat_count + 1))
		echo "cycle $cycles $kind.$variant: SPLAT ($(($(date +%s) - t0)) s)"
		show_splat "$from" "$to"
	elif [ $rc != 0 ] || [ "$said" != 0 ]; then
		failures=$((failures + 1))
		echo "cycle $cycles $kind.$variant: FAILED ($(($(date +%s) - t0)) s, $said failed check(s), exit $rc):" \
			"$(grep '^soak-check: ' <<<"$why" | sed 's/^soak-check: //' | head -n 3 | paste -sd'|')"
		[ "$said" = 0 ] && echo "$why" | tail -n 3 | sed 's/^/#   /'
	else
		echo "cycle $cycles $kind.$variant: ok ($(($(date +%s) - t0)) s)"
	fi
done

from=$(mark "soak end")
leak=$(leak_since "$skb0" "$pages0")
leaks=0
if [ -e /sys/kernel/debug/kmemleak ]; then
	kmemleak_scan
	leaks=$(($(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak) - leaks0))
fi
to=$(mark "soak end checked")
late=$(splats "$from" "$to" | head -3)
[ -n "$late" ] && { splat_count=$((splat_count + 1)); show_splat "$from" "$to"; }
kcheck_stop
[ -n "${ND_OUT:-}" ] && cp "$KMSG" "$ND_OUT/kmsg.log" 2>/dev/null
counts=""
for k in "${kinds[@]}"; do counts+=" $k ${done_[$k]},"; done
echo "soak: $cycles cycles in $((($(date +%s) - start) / 60)) min (${counts# }" \
	"$failures failed), $splat_count splat(s), $leaks new kmemleak object(s), balances: ${leak:-back to the start}"
[ "$splat_count" = 0 ] && [ "$failures" = 0 ] && [ "$leaks" -le 0 ] && [ -z "$leak" ]
