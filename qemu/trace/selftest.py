#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host check of netdive-trace's model (make test): traces recorded in the guest by
qemu/tests/26-trace.sh (qemu/trace/testdata/*.txt, tracefs text as read) must give the
paths and drop sentences the guest gave, and the picture must be well-formed SVG. A
trace with its free event cut out must lose its drop sentence: the checks can fail.
Prints KTAP-style "ok N ..." / "not ok N ..." lines."""

import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))

import tracepath  # noqa: E402
import tracesvg  # noqa: E402

DEV_NS = {"x0": "ns1", "x1": "ns2", "lo": "init"}
SVG = "{http://www.w3.org/2000/svg}"


def probes():
    # The recorded traces name rveth's probes as collect.py made them.
    return tracepath.PROBES + tracepath.driver_probes("rveth", "xmit", "poll")


def paths_of(name, text=None):
    if text is None:
        with open(os.path.join(HERE, "testdata", name + ".txt")) as f:
            text = f.read()
    return tracepath.build_paths(tracepath.parse(text), probes(), DEV_NS)


def with_step(paths, function):
    return [p for p in paths if any(s.probe.target == function for s in p.steps)]


def in_order(path, wanted):
    got = [f"{s.probe.label or s.probe.target}@{s.ns}" for s in path.steps]
    i = 0
    for w in wanted:
        while i < len(got) and got[i] != w:
            i += 1
        if i == len(got):
            raise AssertionError(f"{w} missing or out of order in {got}")
        i += 1


def check_ping():
    ps = paths_of("ping")
    [req] = with_step(ps, "icmp_echo")
    in_order(req, ["ip_output@ns1", "__dev_queue_xmit@ns1", "rveth start_xmit (Rust)@ns1",
                   "rveth NAPI poll (Rust)@ns2", "netif_receive_skb@ns2", "ip_rcv@ns2",
                   "icmp_rcv@ns2"])
    assert req.summary == "x0 -> x1" and not req.drop, (req.summary, req.drop)
    [rep] = with_step(ps, "ping_rcv")
    assert rep.summary == "x1 -> x0", rep.summary
    assert rep.drop.startswith("no socket: NO_SOCKET (ping_rcv"), rep.drop
    assert with_step(ps, "raw_rcv"), "the raw socket's copy"


def check_gro_list():
    """With GRO on at the receiver, the request goes up as part of a list."""
    [req] = with_step(paths_of("gro"), "icmp_echo")
    in_order(req, ["rveth start_xmit (Rust)@ns1", "__napi_schedule (a poll is due)@ns1",
                   "rveth NAPI poll (Rust)@ns2", "napi_gro_receive@ns2",
                   "netif_receive_skb_list_internal (GRO's list)@ns2",
                   "ip_list_rcv (IPv4, a list)@ns2", "ip_local_deliver@ns2", "icmp_rcv@ns2"])


def drops_with(name, function):
    return [p.drop.split(" (")[0] for p in with_step(paths_of(name), function) if p.drop]


def check_rfilter():
    got = drops_with("rfilter", "icmp_echo") + drops_with("rfilter", "ip_output")
    assert got == ["dropped in nf_hook_slow at NF_INET_LOCAL_IN"], got


def check_fast_path():
    got = drops_with("rxdp", "udp_send_skb")
    assert got == ["dropped by rveth's fast path on x1: XDP_DROP"], got


def check_ebpf():
    got = drops_with("xdp", "udp_send_skb")
    assert got == ["dropped by the eBPF XDP program in rveth on x1: XDP_DROP"], got


def check_no_socket():
    got = drops_with("udp", "udp_send_skb")
    assert got == ["no socket: NO_SOCKET"], got


def check_svg():
    ps = paths_of("rfilter")
    root = ET.fromstring(tracesvg.render(ps, "rfilter <&> \"test\""))
    groups = list(root.iter(SVG + "g"))
    lanes = [g.get("data-layer") for g in groups if g.get("class") == "lane"]
    assert lanes == tracepath.LAYERS, lanes
    assert sum(g.get("class") == "step drop" for g in groups) == 1
    assert sum(g.get("class") == "step rust" for g in groups) >= 2


def check_mutation():
    """Without its kfree_skb line the rfilter trace has no drop: a check that
    cannot tell the two apart would pass both."""
    with open(os.path.join(HERE, "testdata", "rfilter.txt")) as f:
        text = "".join(line for line in f if "kfree_skb:" not in line)
    ps = paths_of("rfilter", text)
    assert not any("NETFILTER_DROP" in p.drop for p in ps), [p.drop for p in ps]


def check_parse_garbage():
    """Lines that are not trace events (a truncated line, binary junk) are skipped."""
    evs = tracepath.parse("garbage\n\x00\x01\n   ping-1 [000] 1.5: kfree_skb: skbaddr=zz\n")
    assert all(e.skb is None for e in evs), evs
    assert tracepath.build_paths(evs, probes()) == []


PICTURES = {"trace-ping.svg": ("ping", "netdive-trace: ping -c1 10.9.0.2 (in ns1)"),
            "trace-rfilter.svg": ("rfilter", "netdive-trace: ping -c1 10.9.0.2 (in ns1), "
                                             "rfilter dropping ICMP in ns2")}
DOCS_IMG = os.path.join(HERE, "..", "..", "docs", "img")


def picture(name):
    trace, title = PICTURES[name]
    return tracesvg.render(paths_of(trace), title)


def check_committed_pictures():
    """docs/img's trace pictures are what tracesvg draws from the recorded traces today
    (regenerate: selftest.py --pictures docs/img)."""
    for name in PICTURES:
        with open(os.path.join(DOCS_IMG, name)) as f:
            assert f.read() == picture(name), f"docs/img/{name} is stale"


CHECKS = [check_ping, check_gro_list, check_rfilter, check_fast_path, check_ebpf, check_no_socket,
          check_svg, check_mutation, check_parse_garbage, check_committed_pictures]

if __name__ == "__main__":
    if sys.argv[1:2] == ["--pictures"]:
        for name in PICTURES:
            with open(os.path.join(sys.argv[2], name), "w") as f:
                f.write(picture(name))
        sys.exit(0)
    import ktap
    failed = 0
    ktap.plan(len(CHECKS))
    for n, c in enumerate(CHECKS, 1):
        try:
            c()
            ktap.result(True, n, c.__name__)
        except Exception as e:  # noqa: BLE001 - any failure is a failed check
            failed += 1
            ktap.result(False, n, f"{c.__name__}: {type(e).__name__}: {e}")
    print(f"# trace tool checks: {len(CHECKS) - failed} ok, {failed} not ok")
    sys.exit(1 if failed else 0)
