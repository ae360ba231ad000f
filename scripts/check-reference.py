#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks docs/reference.md against the 6.12 tree: on every table row that names a
symbol (`name` or `struct name`) and a place (`path/file.c:LINE`), that line of that
file must define it (`name(` or `struct name {`). Usage: check-reference.py TREE [DOC].
Prints one "ok"/"not ok" line per row and a summary; exit status 1 on any failure."""

import os
import re
import sys

import ktap

ROW = re.compile(r"^\|.*?`((?:struct )?\w+)`.*?`([\w./-]+\.[ch]):(\d+)`")


def check(tree, doc):
    ok = bad = 0
    with open(doc) as f:
        rows = [m for m in (ROW.match(line) for line in f) if m]
    ktap.plan(len(rows))
    for m in rows:
        name, path, line = m.group(1), m.group(2), int(m.group(3))
        try:
            with open(os.path.join(tree, path), errors="replace") as f:
                text = f.read().splitlines()
            got = text[line - 1] if 0 < line <= len(text) else ""
        except OSError as e:
            got = f"<{e.strerror}>"
        want = (re.escape(name) + r"\s*\{") if name.startswith("struct ") else \
            (r"(^|[\s*])" + re.escape(name) + r"\(")
        if re.search(want, got) and not got.rstrip().endswith(";"):
            ok += 1
            ktap.result(True, ok + bad, f"{name} {path}:{line}")
        else:
            bad += 1
            ktap.result(False, ok + bad, f"{name} {path}:{line}: the line is {got.strip()!r}")
    print(f"# reference locations: {ok} ok, {bad} not ok")
    return bad == 0 and ok > 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    doc = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "docs", "reference.md")
    sys.exit(0 if check(sys.argv[1], doc) else 1)
