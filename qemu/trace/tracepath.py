# SPDX-License-Identifier: GPL-2.0
"""netdive-trace's model: which kernel functions and events it watches, and how a trace
(tracefs text) becomes one path per packet with a sentence for every drop.

Pure Python (no tracefs, no kernel): qemu/trace/selftest.py checks it on the host with a
recorded trace. qemu/trace/collect.py turns PROBES into kprobes and tracepoints in the
guest; qemu/trace/tracesvg.py draws the paths.
"""

import re
from dataclasses import dataclass, field

# The lanes of the picture, top to bottom, and of the text.
LAYERS = ["socket", "transport", "netfilter", "ip", "core", "driver"]


@dataclass(frozen=True)
class Probe:
    """A kprobe (`kind` "p"), kretprobe ("r") or tracepoint ("tp") netdive-trace enables."""

    name: str  # the event's name in the trace (kprobes: our own)
    target: str  # the function (kprobes) or "system:event" (tracepoints)
    layer: str
    kind: str = "p"
    args: str = ""  # kprobe fetch arguments: skb=%di and the like
    label: str = ""  # what the step is called in the text, if not the function's name
    rust: bool = False  # one of our Rust functions


def _p(name, target, layer, args="", label="", rust=False):
    return Probe(name, target, layer, "p", args, label, rust)


def _tp(name, target, layer, label=""):
    return Probe(name, target, layer, "tp", "", label)


# Kprobe arguments on x86-64: the first six in %di, %si, %dx, %cx, %r8, %r9; `:x64` keeps
# the skb pointer as a number the tracepoints' `skbaddr` can be matched with.
SKB1, SKB2, SKB3 = "skb=%di:x64", "skb=%si:x64", "skb=%dx:x64"

PROBES = [
    # The system call that starts a send or a receive (no packet yet).
    _p("nd_sendto", "__sys_sendto", "socket", label="sendto()"),
    _p("nd_sendmsg", "__sys_sendmsg", "socket", label="sendmsg()"),
    _p("nd_connect", "__sys_connect", "socket", label="connect()"),
    _p("nd_recvfrom", "__sys_recvfrom", "socket", label="recvfrom()"),
    _p("nd_recvmsg", "__sys_recvmsg", "socket", label="recvmsg()"),
    # Send side: the protocol, IP, the core, the qdisc.
    _p("nd_udp_send_skb", "udp_send_skb", "transport", SKB1),
    _p("nd_tcp_transmit", "__tcp_transmit_skb", "transport", SKB2),
    _p("nd_ip_send_skb", "ip_send_skb", "ip", SKB2),
    _p("nd_ip_local_out", "ip_local_out", "ip", SKB3),
    _p("nd_ip_output", "ip_output", "ip", SKB3),
    _p("nd_ip_finish_output2", "ip_finish_output2", "ip", SKB3, "ip_finish_output2 (neighbour)"),
    _p("nd_ip6_output", "ip6_output", "ip", SKB3),
    _p("nd_ip6_finish_output2", "ip6_finish_output2", "ip", SKB3),
    _p("nd_dev_queue_xmit", "__dev_queue_xmit", "core", SKB1),
    _tp("net_dev_queue", "net:net_dev_queue", "core", "net_dev_queue"),
    _p("nd_sch_direct_xmit", "sch_direct_xmit", "core", SKB1, "sch_direct_xmit (qdisc)"),
    _p("nd_dev_hard_start_xmit", "dev_hard_start_xmit", "core", SKB1),
    _tp("net_dev_start_xmit", "net:net_dev_start_xmit", "core", "ndo_start_xmit"),
    _tp("net_dev_xmit", "net:net_dev_xmit", "core", "ndo_start_xmit returned"),
    # The crossing: the drivers' transmit and poll (rveth's are found at run time:
    # collect.py adds them from /proc/kallsyms), veth's.
    _p("nd_veth_xmit", "veth_xmit", "driver", SKB1, "veth_xmit (C)"),
    _p("nd_napi_schedule", "__napi_schedule", "core", label="__napi_schedule (a poll is due)"),
    _p("nd_net_rx_action", "net_rx_action", "core", label="net_rx_action (the NET_RX softirq)"),
    _tp("netif_rx", "net:netif_rx", "core"),
    _tp("napi_poll", "napi:napi_poll", "core", "napi poll"),  # names the poll's device
    Probe("nd_xdp_verdict", "rust_helper_bpf_prog_run_xdp", "driver", "r",
          label="eBPF XDP program (its verdict)"),
    # Receive side.
    _tp("napi_gro_receive_entry", "net:napi_gro_receive_entry", "core", "napi_gro_receive"),
    _tp("netif_receive_skb_entry", "net:netif_receive_skb_entry", "core", "netif_receive_skb"),
    # GRO hands what it holds up as a list (gro_normal_list), which goes to IP as one:
    # no sk_buff argument, so these join the packet last seen on their CPU.
    _p("nd_receive_list", "netif_receive_skb_list_internal", "core",
       label="netif_receive_skb_list_internal (GRO's list)"),
    _p("nd_ip_list_rcv", "ip_list_rcv", "ip", label="ip_list_rcv (IPv4, a list)"),
    _tp("netif_receive_skb", "net:netif_receive_skb", "core", "__netif_receive_skb_core"),
    _p("nd_ip_rcv", "ip_rcv", "ip", SKB1),
    _p("nd_ip_rcv_finish", "ip_rcv_finish", "ip", SKB3),
    _p("nd_ip_route_input", "ip_route_input_noref", "ip", SKB1, "ip_route_input_noref (routing)"),
    _p("nd_ip_local_deliver", "ip_local_deliver", "ip", SKB1),
    _p("nd_ip_forward", "ip_forward", "ip", SKB1),
    _p("nd_ipv6_rcv", "ipv6_rcv", "ip", SKB1),
    _p("nd_ip6_input", "ip6_input", "ip", SKB1),
    _p("nd_ip6_forward", "ip6_forward", "ip", SKB1),
    _p("nd_nf_hook_slow", "nf_hook_slow", "netfilter",
       SKB1 + " hook=+0(%si):u8 pf=+1(%si):u8", "nf_hook_slow"),
    _p("nd_icmp_rcv", "icmp_rcv", "transport", SKB1),
    _p("nd_icmp_echo", "icmp_echo", "transport", SKB1, "icmp_echo (the reply)"),
    _p("nd_icmpv6_rcv", "icmpv6_rcv", "transport", SKB1),
    _p("nd_udp_rcv", "__udp4_lib_rcv", "transport", SKB1),
    _p("nd_udpv6_rcv", "udpv6_rcv", "transport", SKB1),
    _p("nd_tcp_v4_rcv", "tcp_v4_rcv", "transport", SKB1),
    _p("nd_tcp_v6_rcv", "tcp_v6_rcv", "transport", SKB1),
    _p("nd_tcp_rcv_established", "tcp_rcv_established", "transport", SKB2),
    _p("nd_ping_rcv", "ping_rcv", "transport", SKB1),
    _p("nd_raw_rcv", "raw_rcv", "socket", SKB2, "raw_rcv (a raw socket's copy)"),
    _p("nd_udp_queue", "__udp_enqueue_schedule_skb", "socket", SKB2, "the socket's receive queue"),
    _p("nd_ping_queue", "ping_queue_rcv_skb", "socket", SKB2, "the socket's receive queue"),
    _p("nd_sock_queue", "sock_queue_rcv_skb_reason", "socket", SKB2, "the socket's receive queue"),
    _tp("skb_copy_datagram_iovec", "skb:skb_copy_datagram_iovec", "socket", "copied to the reader"),
    _tp("kfree_skb", "skb:kfree_skb", "core", "kfree_skb (dropped)"),
    _tp("consume_skb", "skb:consume_skb", "core", "consume_skb (done)"),
]


def driver_probes(module, xmit_symbol, poll_symbol):
    """The probes on a Rust driver's transmit and poll callbacks, found in kallsyms."""
    out = []
    if xmit_symbol:
        out.append(_p(f"nd_{module}_xmit", f"{module}:{xmit_symbol}", "driver", SKB1,
                      f"{module} start_xmit (Rust)", rust=True))
    if poll_symbol:
        out.append(_p(f"nd_{module}_poll", f"{module}:{poll_symbol}", "driver", "",
                      f"{module} NAPI poll (Rust)", rust=True))
    return out


HOOKS = ["NF_INET_PRE_ROUTING", "NF_INET_LOCAL_IN", "NF_INET_FORWARD",
         "NF_INET_LOCAL_OUT", "NF_INET_POST_ROUTING"]
FAMILIES = {2: "IPv4", 10: "IPv6", 7: "bridge", 3: "ARP"}
XDP_ACTIONS = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"]


@dataclass
class Event:
    ts: float
    cpu: int
    comm: str
    pid: int
    name: str
    fields: dict
    raw: str = ""

    @property
    def skb(self):
        v = self.fields.get("skbaddr") or self.fields.get("skb")
        if v is None:
            return None
        try:
            n = int(v, 16)
        except ValueError:
            return None
        return n or None

    @property
    def dev(self):
        return self.fields.get("dev") or self.fields.get("dev_name")


_LINE = re.compile(
    r"^\s*(?P<comm>.*?)-(?P<pid>\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(?P<cpu>\d+)\]\s+"
    r"(?:[^\s]{4,6}\s+)?(?P<ts>\d+\.\d+):\s+(?P<event>\w+):\s?(?P<rest>.*)$")
_FIELD = re.compile(r"(\w+)=(\"[^\"]*\"|\S+)")


def parse_line(line):
    """One line of tracefs text, or None (comments, lost-event notes)."""
    m = _LINE.match(line)
    if not m:
        return None
    rest = m.group("rest")
    fields = {k: v.strip('"') for k, v in _FIELD.findall(rest)}
    r = re.search(r"reason: (\w+)", rest)
    if r:
        fields["reason"] = r.group(1)
    # napi_poll: "napi poll on napi struct X for device x1 work 1 budget 64"
    n = re.search(r"for device (\S+) work (\d+) budget (\d+)", rest)
    if n:
        fields.update(dev_name=n.group(1), work=n.group(2), budget=n.group(3))
    # a kretprobe's "(caller <- function)" and a kprobe's "(function+0x0/0x..)"
    return Event(float(m.group("ts")), int(m.group("cpu")), m.group("comm").strip(),
                 int(m.group("pid")), m.group("event"), fields, line.rstrip("\n"))


def parse(text):
    return [e for e in (parse_line(line) for line in text.splitlines()) if e]


@dataclass
class Step:
    event: Event
    probe: Probe
    dev: str = ""
    ns: str = ""
    note: str = ""


@dataclass
class Path:
    """What happened to one sk_buff, from the first event that named it to its free."""

    skb: int
    steps: list = field(default_factory=list)
    ended: bool = False
    drop: str = ""  # the sentence, when the packet was dropped
    summary: str = ""
    module: str = ""  # the module of the function that freed it, if not the kernel's

    @property
    def start(self):
        return self.steps[0].event.ts if self.steps else 0.0

    def functions(self):
        return [s.probe.label or s.probe.target for s in self.steps]


def _probe_table(probes):
    return {p.name: p for p in probes}


def _function_of(location):
    """`nf_hook_slow+0x8d/0xe0` -> `nf_hook_slow`; a demangled Rust path is kept whole."""
    return re.sub(r"\+0x[0-9a-f]+/0x[0-9a-f]+.*$", "", location or "").strip() or "?"


def _module_of(location):
    """`f+0x1/0x2 [rveth]` -> `rveth`; "" for the kernel image."""
    m = re.search(r"\[(\w+)\]", location or "")
    return m.group(1) if m else ""


def build_paths(events, probes, dev_ns=None, demangle=lambda s: s):
    """Groups events into one path per packet, in the order packets first appear.

    An event that names an sk_buff (skbaddr=, skb=) belongs to the path of that buffer
    until the buffer is freed (kfree_skb, consume_skb); the next event naming the same
    address starts a new path (the allocator reused it). Events without a buffer (a
    system call, a NAPI poll, an XDP verdict) join the path last seen on their CPU, or,
    for a system call, the next path its task starts."""
    table = _probe_table(probes)
    dev_ns = dev_ns or {}
    live, paths, last_on_cpu, pending = {}, [], {}, {}
    polls = {}  # cpu -> (poll entry time, steps made since)
    for ev in sorted(events, key=lambda e: e.ts):
        probe = table.get(ev.name)
        if probe is None:
            continue
        if ev.name.endswith("_poll") and probe.kind == "p":
            polls[ev.cpu] = []
        if ev.name == "napi_poll":
            # The tracepoint comes as the poll ends and names its device: what the poll
            # did (a fast path's verdict, a drop) happened on that device.
            # Until a packet's own next event names a device (a forward out of another
            # one, say), its steps in the poll were on the poll's device.
            settled = set()
            for path_id, st in polls.pop(ev.cpu, []):
                if st.event.dev:
                    settled.add(path_id)
                elif path_id not in settled:
                    st.dev, st.ns = ev.dev, dev_ns.get(ev.dev, st.ns)
            # The poll's end is not a step of any one packet.
            continue
        skb = ev.skb
        if skb is None:
            if probe.layer == "socket" and probe.kind == "p":
                # The task's latest system call is the one its next packet comes from.
                pending[ev.cpu] = [ev]
                continue
            path = last_on_cpu.get(ev.cpu)
            if path is None or path.ended and ev.name != "nd_xdp_verdict":
                continue
            _add(path, ev, probe, dev_ns, polls)
            continue
        path = live.get(skb)
        if path is None:
            path = Path(skb)
            live[skb] = path
            paths.append(path)
            for sc in pending.pop(ev.cpu, []):
                if sc.pid == ev.pid:
                    _add(path, sc, table[sc.name], dev_ns)
        _add(path, ev, probe, dev_ns, polls)
        last_on_cpu[ev.cpu] = path
        if ev.name in ("kfree_skb", "consume_skb"):
            path.ended = True
            del live[skb]
            loc = demangle(_function_of(ev.fields.get("location")))
            path.steps[-1].note = loc
            path.module = _module_of(ev.raw.split("location=", 1)[-1])
    for p in paths:
        _backfill(p)
        _describe(p)
    return [p for p in paths if _interesting(p)]


def _add(path, ev, probe, dev_ns, polls=None):
    prev = path.steps[-1] if path.steps else None
    dev = ev.dev or (prev.dev if prev else "")
    ns = dev_ns.get(dev, prev.ns if prev else "") if dev else (prev.ns if prev else "")
    note = ""
    if ev.name == "nd_nf_hook_slow":
        note = hook_name(ev.fields.get("hook"), ev.fields.get("pf"))
    elif ev.name == "nd_xdp_verdict":
        note = xdp_action(ev.fields.get("verdict"))
    elif ev.name == "napi_poll":
        note = f"{ev.fields.get('work', '?')} of budget {ev.fields.get('budget', '?')}"
    step = Step(ev, probe, dev, ns, note)
    path.steps.append(step)
    if polls is not None and ev.cpu in polls:
        polls[ev.cpu].append((id(path), step))


def _backfill(path):
    """Steps before the packet met a device happened in that device's namespace (the
    sending stack is the egress device's)."""
    first = next((s for s in path.steps if s.ns), None)
    for s in path.steps:
        if s.ns:
            break
        s.ns = first.ns if first else ""


def hook_name(hook, pf):
    try:
        h, f = int(hook, 0), int(pf, 0)
    except (TypeError, ValueError):
        return "?"
    name = HOOKS[h] if 0 <= h < len(HOOKS) else f"hook {h}"
    return f"{name} ({FAMILIES.get(f, f'family {f}')})"


def xdp_action(v):
    try:
        n = int(v, 0)
    except (TypeError, ValueError):
        return "?"
    return XDP_ACTIONS[n] if 0 <= n < len(XDP_ACTIONS) else f"action {n}"


def _interesting(path):
    """A packet of the network stack: it met a device or IP (a netlink message or a
    Unix socket's buffer, which only get freed, is left out)."""
    return any(s.probe.layer in ("ip", "driver") or s.dev for s in path.steps)


def _describe(path):
    if not path.steps:
        return
    devs = []
    for s in path.steps:
        if s.dev and (not devs or devs[-1] != s.dev):
            devs.append(s.dev)
    last = next((s for s in reversed(path.steps)
                 if s.event.name in ("kfree_skb", "consume_skb")), path.steps[-1])
    path.summary = " -> ".join(devs) if devs else "no device"
    if last.event.name == "kfree_skb":
        path.drop = drop_sentence(path, last)
    elif last.event.name == "consume_skb":
        verdicts = [s for s in path.steps if s.event.name == "nd_xdp_verdict"]
        if verdicts and verdicts[-1].note in ("XDP_DROP", "XDP_ABORTED"):
            where = f"{path.module or 'the driver'} on {verdicts[-1].dev or '?'}"
            path.drop = (f"dropped by the eBPF XDP program in {where}: {verdicts[-1].note} "
                         f"(its sk_buff was copied into an XDP frame in {last.note}, which the "
                         f"program dropped)")


def drop_sentence(path, last):
    reason = last.event.fields.get("reason", "NOT_SPECIFIED")
    where = last.note or "?"
    dev = last.dev or "?"
    if reason == "NETFILTER_DROP":
        hooks = [s for s in path.steps if s.event.name == "nd_nf_hook_slow"]
        hook = hooks[-1].note if hooks else "a netfilter hook"
        return f"dropped in nf_hook_slow at {hook}: NETFILTER_DROP"
    if reason == "XDP" and not any(s.event.name == "nd_xdp_verdict" for s in path.steps):
        return (f"dropped by {path.module or 'the driver'}'s fast path on {dev}: XDP_DROP "
                f"(kfree_skb, reason XDP, in {where})")
    if reason == "NO_SOCKET":
        names = {s.event.name for s in path.steps}
        if "nd_ping_rcv" in names:
            return ("no socket: NO_SOCKET (ping_rcv found no ICMP socket for this echo reply; "
                    "a raw socket, as ping's is, got a copy first: the packet that starts at "
                    "raw_rcv)")
        if names & {"nd_udp_rcv", "nd_udpv6_rcv"}:
            return (f"no socket: NO_SOCKET (nobody listens on its UDP port; {where} answered "
                    "with an ICMP port unreachable)")
        return f"no socket: NO_SOCKET (nobody listens on its port; in {where})"
    return f"dropped in {where} on {dev}: {reason}"
