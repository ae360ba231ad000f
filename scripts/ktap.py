# SPDX-License-Identifier: GPL-2.0
"""KTAP, the kernel's test result format (Documentation/dev-tools/ktap.rst), for the
Python stages of `make test`: the same lines as scripts/ktap.sh prints.

    plan(3); result(True, 1, "parses"); result(False, 2, "renders", "the SVG is empty")
"""


def plan(n):
    """This stage gives N results."""
    print(f"1..{n}", flush=True)


def result(passed, n, description, note=""):
    """Result N, "ok" if PASSED, with an optional note after '#'."""
    word = "ok" if passed else "not ok"
    print(f"{word} {n} {description}" + (f" # {note}" if note else ""), flush=True)


def skip(n, description, reason):
    """Neither passed nor failed (KSFT_SKIP)."""
    print(f"ok {n} {description} # SKIP {reason}", flush=True)
