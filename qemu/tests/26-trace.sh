# The tracing lesson: netdive-trace (qemu/trace) follows real packets across an rveth
# pair on the debug kernel. A ping's request and reply pass, in order, through IP, the
# core, rveth's Rust transmit and poll and the receiving stack, each step in the right
# namespace; every drop is named with its place and reason: an rfilter rule (the hook,
# NETFILTER_DROP, the rule's number), rveth's Rust fast path (rxdp, XDP_DROP), an eBPF
# XDP program in rveth (XDP_DROP, from its verdict), a UDP port nobody listens on
# (NO_SOCKET); the SVG is well-formed XML with one lane per layer, the drop marked and
# our Rust functions marked. Bad invocations fail with a message; no probe is left.
. "$(dirname "$0")/../guest/testlib.sh"
TRACE="python3 -S $ND_PROJ/qemu/trace/netdive-trace"
OUT=${ND_OUT:-/tmp}/trace
cleanup() {
	ip -n ns2 link set dev x1 xdpdrv off 2>/dev/null
	unload rxdp
	unload rfilter
	cleanup_namespaces
	return 0
}
trap cleanup EXIT
cleanup
mkdir -p "$OUT"
modprobe rveth || fail "modprobe rveth"
pair_in_namespaces rveth
nsx ns1 ping -c1 -W5 -q 10.9.0.2 >/dev/null || fail "the pair does not pass a ping"

# The drops of our datagram (what else the kernel sends meanwhile, an IPv6 multicast
# report when a program is attached, is traced too, and left out here).
OURS='[p["drop"].split(" (")[0] for p in d["packets"] if p["drop"] and any(s["function"] == "udp_send_skb" for s in p["steps"])]'

# One ping: the request and the reply, the steps in order.
$TRACE --ns ns1 --cost --raw "$OUT/ping.raw" --json "$OUT/ping.json" --svg "$OUT/ping.svg" -- ping -c1 -W5 10.9.0.2 \
	>"$OUT/ping.txt" || fail "netdive-trace ping: $(tail -3 "$OUT/ping.txt")"
cat "$OUT/ping.txt"
# in_order FILE MARK STEP...: the packet with a step labelled MARK has these steps
# ("label@namespace"), in order (an ARP exchange may come first: packets are told by
# what they do, not by their number).
in_order() {
	python3 -S - "$@" <<'PY' || fail "the packet with $2 in $1: the steps are not there in order (above)"
import json, sys
d = json.load(open(sys.argv[1]))
ps = [p for p in d["packets"] if any(s["label"] == sys.argv[2] for s in p["steps"])]
if len(ps) != 1:
    sys.exit(f"FAIL: {len(ps)} packets with a step {sys.argv[2]}")
steps = [f'{s["label"]}@{s["namespace"]}' for s in ps[0]["steps"]]
i = 0
for want in sys.argv[3:]:
    while i < len(steps) and steps[i] != want:
        i += 1
    if i == len(steps):
        sys.exit(f"FAIL: {want} not found after the steps before it in {steps}")
    i += 1
print("ok: in order:", " ".join(sys.argv[3:]))
PY
}
# Three answers from ping.json in one Python (nd.py's json-lines: `d` is the JSON).
mapfile -t got < <(ndpy json-lines "$OUT/ping.json" 'd["exit_status"]' \
	'[p["devices"] for p in d["packets"] if any(s["function"] in ("icmp_echo", "ping_rcv") for s in p["steps"])]' \
	'any(p["steps"][0]["label"] == "raw_rcv (a raw socket'"'"'s copy)" for p in d["packets"])')
expect_eq "${got[0]:-}" 0 "ping's exit status under tracing"
in_order "$OUT/ping.json" "icmp_echo (the reply)" ip_output@ns1 __dev_queue_xmit@ns1 "rveth start_xmit (Rust)@ns1" \
	"rveth NAPI poll (Rust)@ns2" netif_receive_skb@ns2 ip_rcv@ns2 ip_local_deliver@ns2 \
	icmp_rcv@ns2 "icmp_echo (the reply)@ns2"
in_order "$OUT/ping.json" ping_rcv ip_output@ns2 "rveth start_xmit (Rust)@ns2" \
	netif_receive_skb@ns1 ip_rcv@ns1 icmp_rcv@ns1
expect_eq "${got[1]:-}" "['x0 -> x1', 'x1 -> x0']" "the request's and the reply's devices"
expect_eq "${got[2]:-}" True "ping's raw socket got its copy"
grep -q '^tracing cost: the command took' "$OUT/ping.txt" || fail "no tracing cost line"
note "ok: $(grep '^tracing cost' "$OUT/ping.txt")"

# The picture: well-formed, six lanes, the Rust steps marked.
python3 -S - "$OUT/ping.svg" <<'PY' || fail "the SVG (above)"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
g = [e for e in root.iter("{http://www.w3.org/2000/svg}g")]
lanes = [e.get("data-layer") for e in g if e.get("class") == "lane"]
assert lanes == ["socket", "transport", "netfilter", "ip", "core", "driver"], lanes
rust = [e for e in g if e.get("class") == "step rust"]
assert len(rust) >= 3, len(rust)
print(f"ok: the SVG parses, lanes {lanes}, {len(rust)} Rust steps marked")
PY

# Four drops in one trace (each netdive-trace run costs seconds of set-up on the debug
# kernel): a ping's request dropped by an rfilter rule in ns2 at LOCAL_IN (the hook,
# NETFILTER_DROP, the rule whose hit counter moved: the rule stays until the trace ends),
# then three datagrams, the first dropped by rveth's Rust fast path (rxdp), the second by
# an eBPF XDP program in rveth (its verdict is read where it returns), the third sent to a
# port nobody listens on (NO_SOCKET, and the ICMP error back; ns2's rule drops only
# what comes in to ns2).
modprobe rfilter || fail "modprobe rfilter"
modprobe rxdp || fail "modprobe rxdp"
ip netns exec ns2 sh -c 'echo "add drop proto icmp" > /proc/net/rfilter' || fail "rfilter rule"
export ND_PY
XDP_OBJ="/lib/modules/$(uname -r)/xdp/xdp_drop.o"
export XDP_OBJ
DROPS='set -e
if ping -c1 -W2 10.9.0.2 >/dev/null; then echo "the ping passed the rfilter rule"; exit 1; fi
ip netns exec ns2 sh -c "echo \"attach x1 drop proto udp dport 9\" > /proc/net/rxdp"
python3 -S "$ND_PY" udp-send 10.9.0.2 9 --size 2
ip netns exec ns2 sh -c "echo \"detach x1\" > /proc/net/rxdp"
ip -n ns2 link set dev x1 xdpdrv obj "$XDP_OBJ" sec xdp
python3 -S "$ND_PY" udp-send 10.9.0.2 9 --size 2
ip -n ns2 link set dev x1 xdpdrv off
python3 -S "$ND_PY" udp-send 10.9.0.2 4242 --size 2'
$TRACE --ns ns1 --raw "$OUT/drops.raw" --json "$OUT/drops.json" --svg "$OUT/drops.svg" -- sh -c "$DROPS" \
	>"$OUT/drops.txt" || fail "the traced command failed: $(tail -3 "$OUT/drops.txt")"
grep '=>' "$OUT/drops.txt"
ip netns exec ns2 sh -c 'echo flush > /proc/net/rfilter'
rmmod rfilter || fail "rmmod rfilter"
# The ping's request is the one packet dropped that went through ip_output and was not a
# datagram (the namespaces' own IPv6 multicast reports may be traced and dropped too).
mapfile -t got < <(ndpy json-lines "$OUT/drops.json" \
	'[p["drop"] for p in d["packets"] if p["drop"] and any(s["function"] == "ip_output" for s in p["steps"]) and not any(s["function"] == "udp_send_skb" for s in p["steps"])]' \
	"$OURS" \
	'sum(any(s["function"] == "icmp_rcv" for s in p["steps"]) for p in d["packets"])')
expect_eq "${got[0]:-}" \
	"['dropped in nf_hook_slow at NF_INET_LOCAL_IN (IPv4): NETFILTER_DROP — rfilter rule 1 (its hit counter moved)']" \
	"the rfilter drop"
expect_eq "${got[1]:-}" \
	"[\"dropped by rveth's fast path on x1: XDP_DROP\", 'dropped by the eBPF XDP program in rveth on x1: XDP_DROP', 'no socket: NO_SOCKET']" \
	"the three datagrams' drops, in order"
expect_eq "${got[2]:-}" 1 "the ICMP error back to ns1"
python3 -S - "$OUT/drops.svg" <<'PY' || fail "the drops in the SVG (above)"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
drops = [e for e in root.iter(ns + "g") if e.get("class") == "step drop"]
texts = [e.text for e in root.iter(ns + "text") if e.get("class") == "drop-text"]
# One marked step per dropped packet, the rfilter drop and the datagrams' among them.
assert len(drops) == len(texts) >= 4, (len(drops), len(texts))
assert any("NETFILTER_DROP" in t for t in texts), texts
assert any("NO_SOCKET" in t for t in texts), texts
print(f"ok: {len(drops)} step(s) marked as drops in the SVG, the rfilter drop and the datagrams' among them")
PY
rmmod rxdp || fail "rmmod rxdp"

# Bad invocations: a clear error, exit status 2, nothing left behind.
out=$($TRACE --ns nosuch -- true 2>&1); rc=$?
expect_eq "$rc" 2 "exit status for an unknown namespace"
echo "$out" | grep -q "no network namespace 'nosuch'" || fail "the message for an unknown namespace: $out"
out=$($TRACE 2>&1); rc=$?
expect_eq "$rc" 2 "exit status without a command"
expect_eq "$(grep -c netdive /sys/kernel/tracing/kprobe_events)" 0 "kprobes left"
[ ! -d /sys/kernel/tracing/instances/netdive ] || fail "the tracefs instance was left"
note "ok: no probe and no instance left"
