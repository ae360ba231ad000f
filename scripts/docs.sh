#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make docs`: the kernel's own rustdoc (the kernel crate, our kernel::net abstractions
# with their examples and safety sections) and the lesson pages, the reference page and
# the trace pictures as one local HTML site with an index; then a check of every page:
# each local link and image resolves, and headless Chromium renders it.
#   scripts/docs.sh [lab|test]   (default lab; make test runs it on the test kernel)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
nd_setup_vars
flavour=${1:-lab}
B=$(nd_build_dir "$flavour")
[ -f "$B/vmlinux" ] || nd_die "no $flavour kernel build in $B" "make build (or make test) builds it first"
PY=/usr/bin/python3 # Debian's, with python3-markdown (a python3 earlier in PATH may lack it)
$PY -c 'import markdown' 2>/dev/null || nd_die "python3-markdown is missing" "make setup installs it"
browser=$(command -v chromium-headless-shell || command -v chromium || true)
[ -n "$browser" ] || nd_die "no headless Chromium to check the site with" "make setup installs chromium-headless-shell"
out=$ND_BUILDROOT/$(nd_key "$flavour")/docs
mkdir -p "$out"

nd_stage "rustdoc of the kernel crate ($flavour kernel; log: $out/rustdoc.log)"
# rustdoc's prerequisites (rust/*.o) are built with the flavour's own flags, so that this
# does not rebuild them differently: the test kernel is always built with clippy.
clippy=()
[ "$flavour" = test ] && clippy=(CLIPPY=1)
make -C "$ND_KSRC" O="$B" "${ND_MAKEVARS[@]}" "${clippy[@]}" rustdoc >"$out/rustdoc.log" 2>&1 ||
	{ tail -20 "$out/rustdoc.log" >&2; nd_die "rustdoc failed (log: $out/rustdoc.log)"; }
rustdoc=$B/Documentation/output/rust/rustdoc
[ -f "$rustdoc/kernel/net/index.html" ] || nd_die "rustdoc wrote no kernel::net page in $rustdoc"
# Our code must document cleanly: a warning about a file of ours fails the build.
if grep -E -A3 '^warning' "$out/rustdoc.log" | grep -qE 'rust/kernel/(net|sync/(rcu|sleep|spinlock_irq)|kthread)'; then
	grep -E -A6 '^warning' "$out/rustdoc.log" >&2
	nd_die "rustdoc warned about netdive's code (above)"
fi

nd_stage "the site: lesson pages, reference, pictures, rustdoc"
$PY "$ND_PROJ/scripts/docs-site.py" build "$out/site" "$rustdoc" || nd_die "rendering the site failed"
nd_stage "checking every page (links, images; rendered by $(basename "$browser"))"
$PY "$ND_PROJ/scripts/docs-site.py" check "$out/site" "$browser" | tee "$out/check.log" | grep -v '^ok ' || true
grep -q '^# docs site check: [0-9]* ok, 0 not ok' "$out/check.log" || nd_die "the site check failed ($out/check.log)"
echo "open: $out/site/index.html"
