#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rustfmt on our Rust code with the kernel's .rustfmt.toml; --check only reports.
# Each file is formatted on its own (through stdin), since `mod` declarations point
# into the kernel tree, not into this project.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/rustfmt ] || nd_die "/usr/bin/rustfmt missing" "apt-get install rustfmt-web"
check=${1:-}
cd "$ND_PROJ"
mapfile -t files < <(find rust samples docs/examples exercises -name '*.rs' -not -path 'exercises/work/*' -not -path '*/target/*' | sort)
bad=0
for f in "${files[@]}"; do
	formatted=$(/usr/bin/rustfmt --config-path "$ND_PROJ/.rustfmt.toml" --emit stdout <"$f") ||
		{ echo "rustfmt: cannot parse $f" >&2; bad=$((bad + 1)); continue; }
	if [ "$formatted" != "$(cat "$f")" ]; then
		if [ "$check" = --check ]; then
			echo "rustfmt: $f is not formatted:" >&2
			diff -u "$f" <(printf '%s\n' "$formatted") | tail -n +3 | head -30 >&2
			bad=$((bad + 1))
		else
			printf '%s\n' "$formatted" >"$f"
			echo "rustfmt: formatted $f"
		fi
	fi
done
[ $bad = 0 ] || nd_die "$bad file(s) need rustfmt (run: make rustfmt)"
echo "rustfmt: ${#files[@]} files clean"
