#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where the guest's time went, per kernel function, from `make profile`'s windows.

Under TCG a guest pays, to a good approximation, for the instructions it executes and
for the translation blocks it enters (each entry is a lookup or a chained jump; a call
and its return are two), then for its memory accesses (a software TLB lookup each) and
its locked instructions (host atomics). The tbcount plugin counted all four for every
block, per window; this sums them per function and divides by what the window did
(packets sent, MB received), so two paths can be compared instruction for instruction:

    report.py DIR --system-map System.map                 every bench pair
    report.py DIR --system-map System.map --case link-60/rveth [--top 40]
"""
import argparse
import bisect
import collections
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import rustsym  # noqa: E402 - scripts/ is found above

# The bench's ratios (qemu/guest/bench.sh): name, ours, reference.
PAIRS = [
    ("rveth/veth", "link-60/rveth", "link-60/veth"),
    ("rveth/veth-1518", "link-1514/rveth", "link-1514/veth"),
    ("rveth/veth-napi", "link-60/rveth-gro", "link-60/veth-napi"),
    ("rfilter/nftables", "filter/rfilter-1", "filter/nftables"),
    ("rfilter/nftables-20rules", "filter/rfilter-20", "filter/nftables-20"),
    ("rfilter/nftables-1400", "filter/rfilter-1400", "filter/nftables-1400"),
    ("fastpath/rfilter", "fastpath/fastpath", "fastpath/rfilter"),
    ("fastpath/xdp", "fastpath/fastpath-frame", "fastpath/xdp-rveth-frame"),
    ("fastpath/xdp-copy", "fastpath/fastpath", "fastpath/xdp-rveth"),
    ("xdp-rveth/xdp-veth", "fastpath/xdp-rveth", "fastpath/xdp-veth"),
    ("xdp-tx-rveth/veth", "fastpath/xdp-tx-rveth", "fastpath/xdp-tx-veth"),
    ("tcp-stream-rveth/veth", "stream/rveth-tcp", "stream/veth-tcp"),
    ("udp-stream-rveth/veth", "stream/rveth-udp", "stream/veth-udp"),
]
USER = "[user space]"


class Symbols:
    """Text symbols, sorted by address: the kernel's and one window's modules'."""

    def __init__(self, lines):
        pairs = []
        for line in lines:
            f = line.split()
            if len(f) >= 3 and f[1] in "tTwW":
                name = f[2] + (" " + f[3] if len(f) > 3 else "")
                pairs.append((int(f[0], 16), name))
        pairs.sort()
        self.addrs = [a for a, _ in pairs]
        self.names = [n for _, n in pairs]

    def merged(self, other):
        s = Symbols([])
        pairs = sorted(zip(self.addrs + other.addrs, self.names + other.names))
        s.addrs = [a for a, _ in pairs]
        s.names = [n for _, n in pairs]
        return s

    def name(self, addr):
        if addr < 0xFFFF800000000000:
            return USER
        i = bisect.bisect_right(self.addrs, addr) - 1
        return self.names[i] if i >= 0 else "[unknown]"


def demangle(names):
    """Rust v0 symbols as paths (scripts/rustsym.py), others as they are."""
    return rustsym.demangle_all(n.split()[0] for n in names)


def read_windows(d, kernel):
    """{case: (units, unit, Counter(insns), Counter(blocks), Counter(mem), Counter(locked))},
    the last window of each name."""
    marks = [l.split() for l in open(os.path.join(d, "marks")) if l.strip()]
    # Should anything have entered the mark before the first prof_mark, the marks are
    # the last windows.
    nwin = 0
    while os.path.exists(os.path.join(d, "window.%d" % nwin)):
        nwin += 1
    first = nwin - len(marks)
    if first < 0:
        sys.exit("report: %d marks but only %d windows in %s" % (len(marks), nwin, d))
    cases = {}
    for i, (name, units, unit) in enumerate(marks):
        if name == "-":
            continue
        wf = os.path.join(d, "window.%d" % (first + i))
        if not os.path.exists(wf):
            print("report: %s has no window file (the run ended early?)" % name, file=sys.stderr)
            continue
        ks = os.path.join(d, "kallsyms.%d" % i)
        syms = kernel.merged(Symbols(open(ks))) if os.path.exists(ks) else kernel
        insns, blocks = collections.Counter(), collections.Counter()
        mem, locked = collections.Counter(), collections.Counter()
        for line in open(wf):
            f = line.split()
            fn = syms.name(int(f[0], 16))
            insns[fn] += int(f[1]) * int(f[2])
            blocks[fn] += int(f[2])
            if len(f) >= 5:
                mem[fn] += int(f[3])
                locked[fn] += int(f[4])
        cases[name] = (max(int(units), 1), unit, insns, blocks, mem, locked)
    return cases


def short(name, dem):
    base, _, mod = name.partition(" ")
    s = dem.get(base, base)
    # Drop crate hashes and generic noise, keep the path readable.
    out, depth = [], 0
    i = 0
    while i < len(s):
        c = s[i]
        if c == "[" and s.find("]", i) > 0 and all(ch in "0123456789abcdef" for ch in s[i + 1:s.find("]", i)]):
            i = s.find("]", i) + 1
            continue
        out.append(c)
        i += 1
    s = "".join(out)
    if len(s) > 70:
        s = s[:33] + "..." + s[-34:]
    return s + (" " + mod if mod else "")


def total(c):
    return sum(c.values())


def show_case(cases, name, top, dem):
    units, unit, insns, blocks, mem, locked = cases[name]
    print("== %s: %.0f instructions, %.1f blocks, %.1f memory accesses, %.2f locked per %s (%d %ss)" %
          (name, total(insns) / units, total(blocks) / units, total(mem) / units,
           total(locked) / units, unit, units, unit))
    print("  %10s %8s %8s %6s  %s" % ("insns/" + unit, "blocks", "mem", "locked", "function"))
    for fn, n in insns.most_common(top):
        print("  %10.1f %8.2f %8.1f %6.2f  %s" % (n / units, blocks[fn] / units, mem[fn] / units,
                                               locked[fn] / units, short(fn, dem)))


def show_pair(cases, pname, ours, ref, top, dem):
    if ours not in cases or ref not in cases:
        return
    ou, unit, oi, ob, om, ol = cases[ours]
    ru, _, ri, rb, rm, rl = cases[ref]
    print("== %s: %s against %s, per %s (ours, reference, reference/ours)" % (pname, ours, ref, unit))
    for what, a, b in (("instructions", oi, ri), ("blocks entered", ob, rb),
                       ("memory accesses", om, rm), ("locked instructions", ol, rl)):
        x, y = total(a) / ou, total(b) / ru
        print("   %-20s %12.1f %12.1f  %.3f" % (what, x, y, y / x if x else 0))
    fns = set(oi) | set(ri)
    rows = sorted(fns, key=lambda f: -abs(oi[f] / ou - ri[f] / ru))[:top]
    print("   %9s %9s %9s %7s %7s  %s" % ("ours", "ref", "diff", "blk", "blk-ref", "function (largest differences first)"))
    for f in rows:
        a, b = oi[f] / ou, ri[f] / ru
        print("   %9.1f %9.1f %+9.1f %7.2f %7.2f  %s" % (a, b, a - b, ob[f] / ou, rb[f] / ru, short(f, dem)))
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--system-map", required=True)
    ap.add_argument("--case", action="append", default=[])
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    if not os.path.exists(os.path.join(a.dir, "marks")):
        sys.exit("report: no profile in %s (no marks file)" % a.dir)
    kernel = Symbols(open(a.system_map))
    cases = read_windows(a.dir, kernel)
    if not cases:
        sys.exit("report: no window in %s was measured" % a.dir)
    dem = demangle({f for c in cases.values() for f in c[2]})
    if a.case:
        for c in a.case:
            if c not in cases:
                sys.exit("report: no case %s (there are: %s)" % (c, " ".join(sorted(cases))))
            show_case(cases, c, a.top, dem)
        return
    print("Per case: instructions, blocks entered, memory accesses, locked instructions per unit of work")
    for c in cases:
        units, unit, insns, blocks, mem, locked = cases[c]
        print("  %-28s %9.0f insns %8.1f blocks %9.1f mem %6.2f locked per %s" %
              (c, total(insns) / units, total(blocks) / units, total(mem) / units,
               total(locked) / units, unit))
    print()
    for p in PAIRS:
        show_pair(cases, *p, a.top, dem)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # `| head`
        sys.stderr.close()
