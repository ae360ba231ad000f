# SPDX-License-Identifier: GPL-2.0
"""The guest's Python helpers for the tests, the exercise checkers and the soak: traffic a
shell cannot make (datagrams, TCP streams with their hash, raw Ethernet frames) and JSON
it cannot read. One module, one small command each, so a test reads as what it sends:

    ndpy --ns ns1 udp-send 10.9.0.2 9 --count 50 --size 100

(testlib.sh's `ndpy` runs `python3 -S nd.py`). `--ns NS` enters the network namespace
/run/netns/NS first (setns(2), as `ip netns exec` does, without a second program: each
costs a fraction of a second on the debug kernel under TCG). A command that fails says
why on stderr and exits 1; a usage error exits 2.

Python's start is what a call costs there (each module imported, hashlib's libcrypto
above all, is a good part of a second): a command imports only what it uses, and the
arguments are read by the few lines of `parse` below, not argparse.
"""
import os
import socket
import sys
import time


def enter_namespace(name):
    """setns(2) into /run/netns/NAME, the network namespace `ip netns add` made."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    except OSError as e:
        sys.exit(f"nd.py: no network namespace {name}: {e.strerror}")
    if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
        sys.exit(f"nd.py: cannot enter namespace {name}: {os.strerror(ctypes.get_errno())}")
    os.close(fd)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp_send(a):
    """COUNT datagrams of SIZE bytes to ADDR:PORT, GAP seconds apart; with --for, as
    many as SECONDS allow."""
    s = socket.socket(family(a.addr), socket.SOCK_DGRAM)
    payload = a.byte.encode()[:1] * a.size
    seconds = getattr(a, "for")
    end = time.monotonic() + seconds if seconds else None
    n = 0
    while (n < a.count) if end is None else (time.monotonic() < end):
        s.sendto(payload, (a.addr, a.port))
        n += 1
        if a.gap:
            time.sleep(a.gap)


def udp_count(a):
    """Counts the datagrams that reach ADDR:PORT: creates READY once bound, counts until
    the file UNTIL appears and then one second passes without a datagram; prints it.
    Gives up (exit 1) after MAX seconds."""
    r = socket.socket(family(a.addr), socket.SOCK_DGRAM)
    r.bind((a.addr, a.port))
    r.settimeout(1)
    open(a.ready, "w").close()
    n, end = 0, time.monotonic() + a.max
    while time.monotonic() < end:
        try:
            r.recv(65536)
            n += 1
        except socket.timeout:
            if os.path.exists(a.until):
                print(n)
                return
    sys.exit(f"nd.py udp-count: {a.until} did not appear, or datagrams kept coming, for {a.max:g} s ({n} counted)")


def udp_refused(a):
    """One datagram to ADDR:PORT; prints "refused" if an ICMP port unreachable came back
    (the socket's error), "no answer" if nothing did within 2 s."""
    s = socket.socket(family(a.addr), socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((a.addr, a.port))
    s.send(b"x")
    try:
        s.recv(10)
        print("answered")
    except ConnectionRefusedError:
        print("refused")
    except socket.timeout:
        print("no answer")


def tcp_connect(a):
    """A TCP connection to ADDR:PORT: prints "connected" (with --say TEXT, TEXT is sent
    and the answer printed after it), "refused" (a reset came back) or the error's name
    (TimeoutError when a SYN went unanswered). Exits 0 only if it connected."""
    try:
        c = socket.create_connection((a.addr, a.port), timeout=a.timeout)
        answer = ""
        if a.say:
            c.sendall(a.say.encode())
            answer = " " + c.recv(100).decode(errors="replace")
        c.close()
        print("connected" + answer)
        return
    except ConnectionRefusedError:
        print("refused")
    except OSError as e:
        print(type(e).__name__)
    sys.exit(1)


def udp_echo(a):
    """One datagram of each SIZE (random bytes) to ADDR:PORT; each must come back
    unchanged within 3 s, from the address it went to."""
    s = socket.socket(family(a.addr), socket.SOCK_DGRAM)
    s.settimeout(3)
    # Not connected, so an echo from another address is seen as such; IP_RECVERR makes an
    # ICMP port unreachable this socket's error all the same (udp_err: without it, Linux
    # reports ICMP errors to connected sockets only).
    if family(a.addr) == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, 25, 1)  # IPV6_RECVERR (include/uapi/linux/in6.h)
    else:
        s.setsockopt(socket.IPPROTO_IP, 11, 1)  # IP_RECVERR (include/uapi/linux/in.h)
    for n in a.sizes:
        d = os.urandom(n)
        s.sendto(d, (a.addr, a.port))
        try:
            got, frm = s.recvfrom(65536)
        except socket.timeout:
            sys.exit(f"a {n}-byte datagram did not come back")
        except ConnectionRefusedError:
            sys.exit(f"a {n}-byte datagram: port unreachable (nothing listens on {a.port})")
        if got != d:
            sys.exit(f"a {n}-byte datagram came back as {len(got)} different bytes")
        if frm[0] != a.addr or frm[1] != a.port:
            sys.exit(f"the echo came from {frm[0]} port {frm[1]}, not from {a.addr} port {a.port}")
    print(f"{len(a.sizes)} datagrams came back unchanged")


def tcp_sink(a):
    """A TCP server on ADDR:PORT for one connection: creates OUT.listening once it listens,
    writes the bytes received so far to OUT.progress as they come, and when the sender
    closes, "<bytes> <sha256>" to OUT."""
    s = socket.socket(family(a.addr))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, a.port))
    s.listen(1)
    s.settimeout(120)
    open(a.out + ".listening", "w").close()
    c, _ = s.accept()
    c.settimeout(120)
    import hashlib
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
        with open(a.out + ".progress", "w") as f:
            f.write(str(n))
    with open(a.out, "w") as f:
        f.write(f"{n} {h.hexdigest()}\n")


def tcp_send(a):
    """FILE over TCP to ADDR:PORT in 16 KiB writes, PAUSE seconds apart, then closes."""
    data = open(a.file, "rb").read()
    s = socket.create_connection((a.addr, a.port), timeout=120)
    for i in range(0, len(data), 16384):
        s.sendall(data[i:i + 16384])
        if a.pause:
            time.sleep(a.pause)
    s.close()


def raw_send(a):
    """Ethernet frames, given in hex, out of DEV as they are (AF_PACKET), COUNT times each."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.dev, 0))
    frames = [bytes.fromhex(f) for f in a.frames]
    for _ in range(a.count):
        for f in frames:
            s.send(f)


# Frames no stack should choke on: runts and lying IPv4/IPv6 headers, then a full-size
# frame of an unknown ethertype (broadcast, from 02:00:00:00:00:01).
ETH = bytes.fromhex("ffffffffffff" "020000000001")
MALFORMED = [
    ETH + b"\x08\x00",                                   # IPv4 ethertype, no header
    ETH + b"\x08\x00" + b"\x45",                         # truncated IPv4 header
    ETH + b"\x08\x00" + b"\x4f" + bytes(19),             # IHL 60 in a 20-byte packet
    ETH + b"\x08\x00" + b"\x45\x00\xff\xff" + bytes(16), # total length past the end
    ETH + b"\x08\x00" + b"\x41" + bytes(30),             # IHL below 5
    ETH + b"\x86\xdd" + b"\x60" + bytes(10),             # truncated IPv6 header
    ETH + b"\x86\xdd" + b"\x60\0\0\0\0\x08\x00\x40" + bytes(32) + bytes(8),  # hop-by-hop loop
    ETH + b"\x08\x00" + b"\x45\x00\x00\x1c" + bytes(5) + b"\x11" + bytes(10) + b"\0\x09",  # UDP cut short
    ETH + b"\x88\xb5" + bytes(1486),                     # full-size, unknown ethertype
]


def malformed(a):
    """The nine MALFORMED frames out of DEV; prints how many were sent."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.dev, 0))
    for f in MALFORMED:
        s.send(f)
    print(len(MALFORMED))


def json_get(a):
    """Evaluates the Python expression EXPR over the JSON in FILE (or on stdin), bound to
    `d`; prints the result."""
    import json
    d = json.load(open(a.file) if a.file else sys.stdin)
    print(eval(a.expr, {"d": d}))  # noqa: S307 - the tests' own expressions


def json_lines(a):
    """Each Python expression EXPR over the JSON in FILE (bound to `d`), one line each:
    several answers from one start of Python."""
    import json
    d = json.load(open(a.file))
    for e in a.exprs:
        print(str(eval(e, {"d": d})).replace("\n", " "))  # noqa: S307 - the tests' own


KINDS = {int: "a whole number", float: "a number", str: "a word"}


class Args:
    """A command's arguments, by name."""


def parse(argv, positional, options):
    """ARGV read against POSITIONAL, [(name, type)] where a name ending in "+" takes the
    rest (one or more) and one ending in "?" may be left out, and OPTIONS, {"--name":
    (type, default)}, each followed by its value. Exits 2 on a mismatch."""
    a = Args()
    for opt, (_, default) in options.items():
        setattr(a, opt[2:].replace("-", "_"), default)
    rest = []
    it = iter(argv)
    for arg in it:
        if arg in options:
            typ = options[arg][0]
            try:
                setattr(a, arg[2:].replace("-", "_"), typ(next(it)))
            except (StopIteration, ValueError):
                usage(f"{arg} wants {KINDS[typ]}")
        elif arg.startswith("--"):
            usage(f"no option {arg}")
        else:
            rest.append(arg)
    for name, typ in positional:
        key = name.rstrip("+?")
        try:
            if name.endswith("+"):
                if not rest:
                    raise IndexError
                setattr(a, key, [typ(x) for x in rest])
                rest = []
            elif name.endswith("?"):
                setattr(a, key, typ(rest.pop(0)) if rest else None)
            else:
                setattr(a, key, typ(rest.pop(0)))
        except IndexError:
            usage(f"{key.upper()} is missing")
        except ValueError:
            usage(f"{key.upper()} wants {KINDS[typ]}")
    if rest:
        usage(f"too many arguments: {' '.join(rest)}")
    return a


def usage(why):
    """A usage error: said, with the commands there are; exit status 2."""
    print(f"nd.py: {why}\nusage: nd.py [--ns NS] COMMAND ARGS... (commands: "
          + ", ".join(COMMANDS) + ")", file=sys.stderr)
    sys.exit(2)


ADDR, PORT = ("addr", str), ("port", int)
# name: (function, positional arguments, options)
COMMANDS = {
    "udp-send": (udp_send, [ADDR, PORT], {"--count": (int, 1), "--size": (int, 64),
                 "--byte": (str, "x"), "--gap": (float, 0.0), "--for": (float, 0.0)}),
    "udp-count": (udp_count, [ADDR, PORT], {"--ready": (str, None), "--until": (str, None),
                  "--max": (float, 60.0)}),
    "udp-refused": (udp_refused, [ADDR, PORT], {}),
    "udp-echo": (udp_echo, [ADDR, PORT, ("sizes+", int)], {}),
    "tcp-connect": (tcp_connect, [ADDR, PORT], {"--timeout": (float, 3.0), "--say": (str, "")}),
    "tcp-sink": (tcp_sink, [ADDR, PORT, ("out", str)], {}),
    "tcp-send": (tcp_send, [ADDR, PORT, ("file", str), ("pause?", float)], {}),
    "raw-send": (raw_send, [("dev", str), ("frames+", str)], {"--count": (int, 1)}),
    "malformed": (malformed, [("dev", str)], {}),
    "json": (json_get, [("expr", str), ("file?", str)], {}),
    "json-lines": (json_lines, [("file", str), ("exprs+", str)], {}),
}


def main():
    argv = sys.argv[1:]
    ns = None
    if argv[:1] == ["--ns"]:
        if len(argv) < 2:
            usage("--ns wants a namespace")
        ns, argv = argv[1], argv[2:]
    if not argv or argv[0] not in COMMANDS:
        usage(f"no command {argv[0]!r}" if argv else "no command")
    fn, positional, options = COMMANDS[argv[0]]
    a = parse(argv[1:], positional, options)
    if fn is udp_count and (a.ready is None or a.until is None):
        usage("udp-count wants --ready FILE and --until FILE")
    if ns:
        enter_namespace(ns)
    try:
        fn(a)
    except (OSError, ValueError, LookupError) as e:  # a socket, a frame's hex, JSON
        sys.exit(f"nd.py {argv[0]}: {type(e).__name__}: {e}")


if __name__ == "__main__":
    main()
