# Lesson 2b, routing and forwarding, checked from inside: A - R - B over two rveth pairs
# (docs/examples/routed-topology.sh). rroute's answer equals `ip route get`'s in every
# case (the route: type, gateway, device, source, MTU, or the error), and its FIB and
# rule lines name the table and rule that decided. Forwarding off, then on, with
# rfilter's forward, prerouting and postrouting hooks counting exactly the forwarded
# packets; TTL / hop limit exceeded; fragmentation needed / packet too big and the learned
# path MTU; policy rules by mark and by source; blackhole, unreachable and prohibit
# routes and the ICMP errors (or silence) each gives; IPv4 and IPv6. Bad questions are
# refused and change nothing.
. "$(dirname "$0")/../guest/testlib.sh"
. "$(dirname "$0")/../../docs/examples/routed-topology.sh"
cleanup() {
	unanchor ra
	unanchor rr
	rm -f /tmp/agree.*
	routed_topology_del
	unload rfilter
	unload rroute
	return 0
}
trap cleanup EXIT
cleanup
modprobe rveth || fail "modprobe rveth"
modprobe rroute || fail "modprobe rroute"
routed_topology || fail "cannot build the A - R - B topology"
# A's and R's /proc/net files are read and written through a process in each (testlib's
# anchor): no process per question.
anchor ra
anchor rr

ask() { net_write "$1" rroute "$2" || fail "rroute refused '$2'"; }
# said NS LINE: one line of the last answer (rule, fib or route), without its label.
said() {
	local l
	net_lines "$1" rroute
	for l in "${NET_LINES[@]}"; do
		[[ $l == "$2: "* ]] && echo "${l#"$2: "}"
	done
	return 0
}
# agree NS QUESTION: asks rroute and `ip route get` the same; agree_all, at the end,
# requires of every question the same route (type, gateway, device, source, MTU) or the
# same error (one Python for all: a start costs most of a second here).
AGREED=0
agree() {
	local ns=$1 q=$2 fam=-4 rc
	ask "$ns" "$q"
	case $q in lookup6*) fam=-6 ;; esac
	AGREED=$((AGREED + 1))
	# shellcheck disable=SC2086 # the question's options are ip route get's words
	ip -n "$ns" $fam -j route get ${q#* } >/tmp/agree.$AGREED.ip 2>&1
	rc=$?
	net_lines "$ns" rroute
	printf '%s\n' "$ns: $q" "$rc" "${NET_LINES[@]}" >/tmp/agree.$AGREED.rr
}
agree_all() {
	python3 -S - "$AGREED" <<'PY' || fail "rroute and ip route get disagree (above)"
import json, re, sys
def check(q, rc, ip, rr):
    route = re.search(r"^route: (.*)$", rr, re.M).group(1)
    def bad(why):
        sys.exit(f"FAIL: {q}: {why}\n  rroute: {route}\n  ip route get (exit {rc}): {ip}")
    if route.startswith("error "):
        m = re.search(r"\((.*)\)", route)
        if rc == 0:
            bad("rroute says error, ip route get found a route")
        if not m or not ip.endswith(m.group(1)):
            bad("not the same error")
        return m.group(1)
    if rc != 0:
        bad("ip route get failed, rroute found a route")
    j = json.loads(ip)[0]
    words = route.split()
    ours = dict(zip(words[0::2], words[1::2]))
    want = {"type": j.get("type", "unicast"), "dev": j.get("dev")}
    if "gateway" in j:
        want["gateway"] = j["gateway"]
    if "prefsrc" in j:
        want["src"] = j["prefsrc"]
    for k, v in want.items():
        if ours.get(k) != v:
            bad(f"{k}: rroute {ours.get(k)}, ip route get {v}")
    if "gateway" in ours and "gateway" not in j:
        bad("rroute names a gateway, ip route get none")
    fib = re.search(r"^fib: (.*)$", rr, re.M).group(1).split()
    if "table" in j and dict(zip(fib[0::2], fib[1::2])).get("table") != str(j["table"]):
        bad(f"table: rroute's FIB line says otherwise than ip route get's {j['table']}")
    learned = [m.get("mtu") for m in j.get("metrics", []) if isinstance(m, dict) and "mtu" in m]
    if learned:
        if ours.get("mtu") != str(learned[0]) or "(learned)" not in route:
            bad(f"ip route get shows a learned MTU {learned[0]}")
    elif "(learned)" in route:
        bad("rroute says the MTU was learned, ip route get shows no such exception")
    return route
cases = int(sys.argv[1])
for case in range(1, cases + 1):
    q, rc, rr = open(f"/tmp/agree.{case}.rr").read().split("\n", 2)
    ip = open(f"/tmp/agree.{case}.ip").read().strip()
    print(f"ok: {q}: both say {check(q, int(rc), ip, rr)}")
if cases < 21:
    sys.exit(f"FAIL: only {cases} questions asked of both")
PY
}
ping4() { nsx ra ping -c "${2:-1}" -i 0.2 -W 1 ${3:-} 10.2.0.9 2>&1; }
ping6() { nsx ra ping -6 -c "${2:-1}" -i 0.2 -W 1 ${3:-} fd02::9 2>&1; }

# --- A's own lookups: output routes, the FIB behind them ---
agree ra "lookup 10.2.0.9"
expect_eq "$(said ra fib)" "table main type unicast prefix 0.0.0.0/0 gateway 10.1.0.254 dev a0" "A's FIB entry for B"
expect_eq "$(said ra rule)" "not consulted (only the default rules exist: main, then default, directly)" "A's rule line"
agree ra "lookup 10.1.0.1"
expect_eq "$(said ra fib | grep -o 'type local prefix 10.1.0.1/32')" "type local prefix 10.1.0.1/32" "A's own address: a local entry"
agree ra "lookup 10.1.0.255"
agree ra "lookup 10.1.0.7"
agree ra "lookup6 fd02::9"
expect_eq "$(said ra fib | cut -d' ' -f1-10)" "table main type unicast prefix ::/0 gateway fd01::254 dev a0" "A's IPv6 FIB entry for B"
agree ra "lookup6 fd01::1"

# --- Forwarding off: R's FIB knows the way, but the route a packet from A gets is
# unreachable (IPv4 decides in ip_route_input_slow); nothing reaches B, no ICMP error.
agree rr "lookup 10.2.0.9 from 10.1.0.1 iif r0"
expect_eq "$(said rr route)" "error EHOSTUNREACH (No route to host)" "R's route for A -> B, forwarding off"
expect_eq "$(said rr fib | cut -d' ' -f1-8)" "table main type unicast prefix 10.2.0.0/24 dev r1" "R's FIB entry for B, forwarding off"
before=$(snmp rr Ip InAddrErrors)
must_fail "100% packet loss" ping4 ra
expect_eq "$(snmp rr Ip InAddrErrors)" "$((before + 1))" "R's Ip InAddrErrors after one echo it may not forward"
# IPv6 routes it anyway and refuses in ip6_forward.
agree rr "lookup6 fd02::9 from fd01::1 iif r0"
before=$(snmp6 rr Ip6InAddrErrors)
must_fail "100% packet loss" ping6 ra
expect_eq "$(snmp6 rr Ip6InAddrErrors)" "$((before + 1))" "R's Ip6InAddrErrors after one echo it may not forward"

# --- Forwarding on: A reaches B; rfilter in R counts exactly what it forwarded, at
# PRE_ROUTING, FORWARD and POST_ROUTING.
must nsx rr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
agree rr "lookup 10.2.0.9 from 10.1.0.1 iif r0"
expect_eq "$(said rr route | cut -d' ' -f1-4)" "type unicast dev r1" "R's route for A -> B, forwarding on"
agree rr "lookup 10.1.0.254 from 10.1.0.1 iif r0"
agree rr "lookup6 fd02::9 from fd01::1 iif r0"
modprobe rfilter || fail "modprobe rfilter"
for rule in "add accept hook forward family ip proto icmp src 10.1.0.1" \
	"add accept hook forward family ip proto icmp src 10.2.0.9" \
	"add accept hook prerouting family ip proto icmp src 10.1.0.1" \
	"add accept hook postrouting family ip proto icmp dst 10.2.0.9" \
	"add accept hook forward family ip6 proto icmp src fd01::1"; do
	net_write rr rfilter "$rule" || fail "rfilter refused '$rule'"
done
hits() { rule_hits rr "$1"; }
must ping4 ra 3
must ping6 ra 2
expect_eq "$(hits 1) $(hits 2)" "3 3" "forward hook: 3 echo requests A -> B, 3 replies B -> A"
expect_eq "$(hits 3) $(hits 4)" "3 3" "prerouting and postrouting hooks: the 3 requests"
expect_eq "$(hits 5)" "2" "forward hook, IPv6: 2 echo requests"
net_write rr rfilter flush || fail "rfilter refused flush"

# --- TTL: R may not forward a packet whose TTL would reach 0; it says so (ICMP time
# exceeded, from its address on A's side).
before=$(snmp rr Icmp OutTimeExcds)
must_fail "From 10.1.0.254 .*Time to live exceeded" ping4 ra 1 "-t 1"
expect_eq "$(snmp rr Icmp OutTimeExcds)" "$((before + 1))" "R's Icmp OutTimeExcds"
before=$(snmp6 rr Icmp6OutTimeExcds)
must_fail "From fd01::254 .*Time exceeded: Hop limit" ping6 ra 1 "-t 1"
expect_eq "$(snmp6 rr Icmp6OutTimeExcds)" "$((before + 1))" "R's Icmp6OutTimeExcds"

# --- Path MTU: B's link carries 1280 bytes; a 1428-byte packet that may not be
# fragmented is refused by R with the MTU, and A remembers it (a next-hop exception).
must ip -n rr link set r1 mtu 1280
must ip -n rb link set b0 mtu 1280
before=$(snmp rr Icmp OutDestUnreachs)
must_fail "Frag needed and DF set \(mtu = 1280\)" ping4 ra 1 "-M do -s 1400"
expect_eq "$(snmp rr Icmp OutDestUnreachs)" "$((before + 1))" "R's Icmp OutDestUnreachs (fragmentation needed)"
agree ra "lookup 10.2.0.9"
expect_eq "$(said ra route)" "type unicast gateway 10.1.0.254 dev a0 src 10.1.0.1 mtu 1280 (learned)" "A's route to B after the ICMP"
must_fail "local error: message too long, mtu=1280" ping4 ra 1 "-M do -s 1400"
must_fail "Packet too big: mtu=1280" ping6 ra 1 "-M do -s 1400"
agree ra "lookup6 fd02::9"
expect_eq "$(said ra route | sed 's/ src [^ ]*//')" "type unicast gateway fd01::254 dev a0 mtu 1280 (learned)" "A's IPv6 route to B after packet too big"
must ip -n rr link set r1 mtu 1500
must ip -n rb link set b0 mtu 1500
must ip -n ra route flush cache
must ip -n ra -6 route flush cache

# --- Policy rules. The first rule of its own makes the kernel walk the rules on every
# lookup (fib_has_custom_rules): a mark picks table 100, where B's subnet is a blackhole.
must ip -n rr rule add fwmark 7 table 100 pref 100
must ip -n rr route add blackhole 10.2.0.0/24 table 100
agree rr "lookup 10.2.0.9 mark 7"
expect_eq "$(said rr rule)" "pref 100 lookup 100" "the rule a marked lookup stops at"
expect_eq "$(said rr fib)" "table 100 type blackhole error EINVAL (Invalid argument)" "the FIB entry in table 100"
agree rr "lookup 10.2.0.9"
expect_eq "$(said rr rule)" "pref 32766 lookup main" "the rule an unmarked lookup stops at, once rules are walked"
# By source: packets from A's subnet use table 200. What each reject type does to A's
# ping: unreachable answers ICMP host unreachable, prohibit "packet filtered"
# (administratively prohibited), blackhole nothing at all.
must ip -n rr rule add from 10.1.0.0/24 table 200 pref 200
must ip -n rr route add unreachable 10.2.0.0/24 table 200
agree rr "lookup 10.2.0.9 from 10.1.0.1 iif r0"
expect_eq "$(said rr rule) | $(said rr fib)" "pref 200 lookup 200 | table 200 type unreachable error EHOSTUNREACH (No route to host)" "R's rule and FIB for A's packets"
before=$(snmp rr Icmp OutDestUnreachs)
must_fail "From 10.1.0.254 .*Destination Host Unreachable" ping4 ra
expect_eq "$(snmp rr Icmp OutDestUnreachs)" "$((before + 1))" "R's Icmp OutDestUnreachs (host unreachable)"
must ip -n rr route replace prohibit 10.2.0.0/24 table 200
agree rr "lookup 10.2.0.9 from 10.1.0.1 iif r0"
must_fail "From 10.1.0.254 .*Packet filtered" ping4 ra
must ip -n rr route replace blackhole 10.2.0.0/24 table 200
agree rr "lookup 10.2.0.9 from 10.1.0.1 iif r0"
before=$(snmp rr Icmp OutDestUnreachs)
must_fail "100% packet loss" ping4 ra
expect_eq "$(snmp rr Icmp OutDestUnreachs)" "$before" "R's ICMP errors for a blackholed packet (none)"
# A rule can refuse by itself, without a table.
must ip -n rr rule add to 10.2.0.77 unreachable pref 50
agree rr "lookup 10.2.0.77"
expect_eq "$(said rr rule)" "pref 50 unreachable" "a rule that refuses"
must ip -n rr rule del pref 50
must ip -n rr rule del pref 100
must ip -n rr rule del pref 200
agree rr "lookup 10.2.0.9 from 10.1.0.1 iif r0"
expect_eq "$(said rr route | cut -d' ' -f1-4)" "type unicast dev r1" "R forwards again once the rules are gone"
# IPv6: a source rule into a table with an unreachable route.
must ip -n rr -6 rule add from fd01::/64 table 300 pref 300
must ip -n rr -6 route add unreachable fd02::/64 table 300
agree rr "lookup6 fd02::9 from fd01::1 iif r0"
expect_eq "$(said rr rule)" "pref 300 lookup 300" "R's IPv6 rule for A's packets"
expect_eq "$(said rr fib | cut -d' ' -f1-4)" "table 300 type unreachable" "R's IPv6 FIB entry for A's packets"
must_fail "Destination unreachable: No route" ping6 ra
must ip -n rr -6 rule del pref 300

# --- Bad questions: refused with EINVAL (ENODEV for a device R does not have); the
# last answer stays.
agree_all
ask rr "lookup 10.2.0.9"
good=$(net_read rr rroute)
[ -n "$good" ] || fail "rroute's answer reads empty"
expect_eq "$(write_errnos rr /proc/net/rroute 'b"lookup"' 'b"lookup 10.2.0.256"' 'b"lookup6 10.2.0.9"' \
	'b"lookup 10.2.0.9 mark 1 mark 2"' 'b"lookup 10.2.0.9 tos 256"' 'b"route 10.2.0.9"' \
	'b"lookup 10.2.0.9\nlookup 10.2.0.8"' 'b"\xff\xfe"' 'b"lookup 10.2.0.9 iif nosuch"')" \
	"EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL ENODEV" "errnos for bad questions"
expect_eq "$(net_read rr rroute)" "$good" "the answer after refused questions"
