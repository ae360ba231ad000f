#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build and install the iproute2 plugins that give `type rveth` (and exercise 1's
# `type expair`) veth's syntax (`peer name X ...`). Idempotent: installs only when a
# built plugin differs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# ip looks in $IP_LIB_DIR, else in its compiled-in library directory: upstream's
# default is /usr/lib/ip, but Debian 12 builds ip with /usr/lib/<multiarch>/ip, so read
# it from the strings of the ip binary.
default_dir=$(strings "$(command -v ip)" 2>/dev/null | grep -m1 -E '^/usr/lib.*/ip$' || true)
dest_dir=${IP_LIB_DIR:-${default_dir:-/usr/lib/ip}}
command -v gcc >/dev/null || { echo "netdive: gcc is needed to build the iproute2 rveth plugin (apt-get install gcc)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# rveth, and exercise 1's expair (exercises/01-pair-driver): the same plugin per kind.
for kind in rveth expair; do
	dest=$dest_dir/link_$kind.so
	gcc -O2 -Wall -Werror -shared -fPIC -DKIND="$kind" -o "$tmp/link_$kind.so" "$here/link_rveth.c" -ldl
	if ! cmp -s "$tmp/link_$kind.so" "$dest" 2>/dev/null; then
		mkdir -p "$dest_dir"
		install -m 0644 "$tmp/link_$kind.so" "$dest"
		echo "    installed $dest (ip link add ... type $kind peer name ...)"
	fi
done
