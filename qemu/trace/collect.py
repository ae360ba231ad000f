# SPDX-License-Identifier: GPL-2.0
"""netdive-trace's collector, in the guest: tracefs, directly.

Why tracefs and not a tool on top of it: it is in every kernel with CONFIG_TRACING
(the lab's has it), needs nothing installed in the guest, and gives what the paths need:
tracepoints (net:*, skb:kfree_skb with its drop reason and location, napi:napi_poll),
kprobes with fetched arguments (the sk_buff pointer; nf_hook_slow's hook and family), and
a kretprobe for a return value (the eBPF XDP verdict). perf (Debian's 6.1) and
trace-cmd are front ends to the same events (docs/tracing.md shows perf on
skb:kfree_skb); bpftrace names structure fields only with BTF, which this kernel is not
built with (it needs DWARF in the build; for Rust, pahole's --lang_exclude leaves the
Rust code out of it anyway).

Everything happens in a tracefs instance of our own (instances/netdive), so a trace the
user runs beside it is not disturbed; the kprobes are created in the group `netdive` and
removed at the end, whatever happens.
"""

import functools
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import rustsym  # noqa: E402 - scripts/ is found above

TRACEFS = "/sys/kernel/tracing"
INSTANCE = TRACEFS + "/instances/netdive"
GROUP = "netdive"


class TraceError(Exception):
    pass


def _write(path, text, append=False):
    """One write(2), as `echo` does (Python's buffered append mode seeks first, which
    tracefs refuses)."""
    flags = os.O_WRONLY | (os.O_APPEND if append else os.O_TRUNC)
    try:
        fd = os.open(path, flags)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)
    except OSError as e:
        raise TraceError(f"{path}: {e.strerror} (writing {text.strip()!r})") from e


def _read(path):
    with open(path) as f:
        return f.read()


def check_tracefs():
    if not os.path.isdir(TRACEFS) or not os.path.exists(TRACEFS + "/kprobe_events"):
        raise TraceError(f"no tracefs with kprobe events at {TRACEFS} (is it mounted, and "
                         "is the kernel built with CONFIG_KPROBE_EVENTS?)")


@functools.lru_cache(maxsize=None)
def kallsyms():
    """name -> module ("" for the kernel image), for the functions kprobes can use."""
    out = {}
    with open("/proc/kallsyms") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tT":
                out.setdefault(parts[2], parts[3].strip("[]") if len(parts) > 3 else "")
    return out


def rust_driver_symbols(syms, module):
    """A Rust driver's ndo_start_xmit and NAPI poll callbacks: the kernel crate's generic
    callbacks, instantiated for the driver inside its module (v0-mangled names)."""
    xmit = poll = None
    for name, mod in syms.items():
        if mod != module:
            continue
        if "start_xmit_callback" in name:
            xmit = name
        elif "poll_callback" in name and "napi" in name:
            poll = name
    return xmit, poll


class Session:
    """The probes and the instance, set up on entry and removed on exit."""

    def __init__(self, probes):
        self.probes = probes
        self.skipped = []
        self.created = []

    def __enter__(self):
        check_tracefs()
        self._remove_kprobes()
        os.makedirs(INSTANCE, exist_ok=True)
        syms = kallsyms()
        for p in self.probes:
            if p.kind == "tp":
                continue
            func = p.target.split(":", 1)[-1]
            if func not in syms:
                self.skipped.append(f"{p.target} (not in this kernel's symbols: inlined, "
                                    "or its module is not loaded)")
                continue
            line = f"{p.kind}:{GROUP}/{p.name} {p.target} {p.args}".rstrip()
            if p.kind == "r":
                line += " verdict=$retval:u32"
            try:
                _write(TRACEFS + "/kprobe_events", line + "\n", append=True)
                self.created.append(p)
            except TraceError as e:
                self.skipped.append(f"{p.target} ({e})")
        _write(INSTANCE + "/tracing_on", "0")
        _write(INSTANCE + "/trace", "")
        _write(INSTANCE + "/buffer_size_kb", "8192")
        # Raw pointers: the tracepoints print skbaddr with %p, hashed unless told not to,
        # and the kprobes fetch the real one.
        for opt, val in (("hash-ptr", "0"), ("irq-info", "1")):
            if os.path.exists(f"{INSTANCE}/options/{opt}"):
                _write(f"{INSTANCE}/options/{opt}", val)
        for p in self.probes:
            if p.kind == "tp":
                system, event = p.target.split(":")
                path = f"{INSTANCE}/events/{system}/{event}/enable"
                if os.path.exists(path):
                    _write(path, "1")
                    self.created.append(p)
                else:
                    self.skipped.append(f"{p.target} (no such tracepoint)")
            elif p in self.created:
                _write(f"{INSTANCE}/events/{GROUP}/{p.name}/enable", "1")
        return self

    def start(self):
        _write(INSTANCE + "/tracing_on", "1")

    def stop(self):
        _write(INSTANCE + "/tracing_on", "0")

    def text(self):
        return _read(INSTANCE + "/trace")

    def __exit__(self, *exc):
        try:
            self.stop()
            for p in self.probes:
                if p.kind == "tp":
                    system, event = p.target.split(":")
                    path = f"{INSTANCE}/events/{system}/{event}/enable"
                else:
                    path = f"{INSTANCE}/events/{GROUP}/{p.name}/enable"
                if os.path.exists(path):
                    _write(path, "0")
        finally:
            try:
                os.rmdir(INSTANCE)
            except OSError:
                pass
            self._remove_kprobes()
        return False

    @staticmethod
    def _remove_kprobes():
        try:
            current = _read(TRACEFS + "/kprobe_events")
        except OSError:
            return
        for line in current.splitlines():
            # "p:netdive/x ...", or "r16:netdive/x ..." for a kretprobe (its maxactive)
            m = re.match(r"[pr]\d*:" + GROUP + r"/(\w+)", line)
            if m:
                _write(TRACEFS + "/kprobe_events", f"-:{GROUP}/{m.group(1)}\n", append=True)


def namespaces():
    """Network namespace names ("" for the one netdive-trace runs in)."""
    try:
        out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    except OSError:
        return [""]
    return [""] + [line.split()[0] for line in out.splitlines() if line.strip()]


def _in_ns(ns, argv):
    return (["ip", "netns", "exec", ns] if ns else []) + argv


def scan():
    """One look at every namespace: which devices it has (device name -> namespace,
    "init" for the initial one) and every counter a learner would look at first: `ip -s
    link`'s (sysfs statistics), `ethtool -S`, `nstat`'s (/proc/net/snmp, netstat), and
    rfilter's rule hits ("ns kind device-or-group name" -> value). One shell per
    namespace, reading with builtins where it can: under TCG every process started costs."""
    devices, counts = {}, {}
    script = r'''
for d in /sys/class/net/*; do n=${d##*/}
  echo "dev $n"
  for f in rx_packets tx_packets rx_dropped tx_dropped; do read v < $d/statistics/$f; echo "link $n $f $v"; done
  [ "$n" = lo ] || ethtool -S $n 2>/dev/null | sed -n "s/^ *\([a-z0-9_]*\): *\([0-9][0-9]*\)$/ethtool $n \1 \2/p"
done
awk '{ if (FNR % 2) split($0, h); else for (i = 2; i <= NF; i++) print "snmp", substr(h[1], 1, length(h[1]) - 1), h[i], $i }' /proc/net/snmp /proc/net/netstat
[ -r /proc/net/rfilter ] && sed -n "s/^\([0-9][0-9]*\): .* packets \([0-9][0-9]*\) bytes [0-9]*$/rfilter rule \1 \2/p" /proc/net/rfilter
true
'''
    for ns in namespaces():
        tag = ns or "init"
        r = subprocess.run(_in_ns(ns, ["sh", "-c", script]), capture_output=True, text=True)
        for line in r.stdout.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "dev":
                devices.setdefault(parts[1], tag)
            elif len(parts) == 4 and parts[3].isdigit():
                counts[f"{tag} {parts[0]} {parts[1]} {parts[2]}"] = int(parts[3])
    return devices, counts


def moved(before, after):
    """The counters that changed, with how much."""
    return {k: after[k] - before.get(k, 0) for k in sorted(after)
            if after[k] != before.get(k, 0)}


def demangler(text):
    """A function that turns the Rust (v0) symbol names of `text`'s free events into
    paths, with LLVM's demangler if it is installed (the kernel prints Rust symbols
    mangled); one run of it for all of them."""
    # Only the places packets were freed are shown (`location=`): the probed functions'
    # own names, on every kprobe line, are not, and starting LLVM's demangler costs
    # seconds under TCG.
    names = re.findall(r"location=(_R[0-9A-Za-z_]+)", text)
    table = {n: _shorten(d.strip()) for n, d in rustsym.demangle_all(names).items()}
    return lambda name: table.get(name, name)


def _shorten(path):
    """`<kernel::net::dev::OpsTable<rveth::Rveth>>::start_xmit_callback` is long; keep
    the type it is for and the function."""
    m = re.match(r"<kernel::net::\w+::\w+<(\w+)::(\w+)>>::(\w+)$", path)
    if m:
        return f"{m.group(1)}: {m.group(3)} (kernel::net, for {m.group(1)}::{m.group(2)})"
    return path
