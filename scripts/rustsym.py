# SPDX-License-Identifier: GPL-2.0
"""Rust symbol names as a reader wants them. The kernel prints a Rust function by its
mangled (v0) symbol, `_RNvXs_NtCs..._5rveth...`; LLVM's demangler (llvm-cxxfilt) or
binutils' c++filt turns it into the path, `<rveth::Rveth as kernel::net::...>::start_xmit`.
Used by the trace tool (qemu/trace), the profile report (qemu/tcgprof) and the exercise
checkers (exercises/guest.sh, as a filter: `python3 -S rustsym.py < report`).
"""
import re
import shutil
import subprocess
import sys

MANGLED = re.compile(r"_R[0-9A-Za-z_]+")
TOOLS = ("llvm-cxxfilt-19", "llvm-cxxfilt", "rustfilt", "c++filt")


def demangle_all(names):
    """{mangled: path} for the Rust symbols among NAMES, in one run of the first
    demangler installed (starting one costs a second under TCG); {} if there is none."""
    rust = sorted({n for n in names if MANGLED.fullmatch(n)})
    tool = next((t for t in TOOLS if shutil.which(t)), None)
    if not rust or tool is None:
        return {}
    try:
        r = subprocess.run([tool], input="\n".join(rust) + "\n", capture_output=True,
                           text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return {}
    out = r.stdout.splitlines()
    return dict(zip(rust, out)) if len(out) == len(rust) else {}


def demangle_text(text):
    """TEXT with every mangled Rust symbol in it replaced by its path."""
    table = demangle_all(MANGLED.findall(text))
    return MANGLED.sub(lambda m: table.get(m.group(0), m.group(0)), text)


if __name__ == "__main__":
    sys.stdout.write(demangle_text(sys.stdin.read()))
