#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The count of `unsafe` in our Rust, as docs/safety.md gives it: computed, never written by
# hand.
#
#   scripts/unsafe-count.sh            print the table
#   scripts/unsafe-count.sh --update   rewrite the table in docs/safety.md
#   scripts/unsafe-count.sh --check    KTAP: the table in docs/safety.md is the current
#                                      count, and samples/ and exercises/ have no `unsafe`
#                                      (part of make test)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
. scripts/ktap.sh
DOC=docs/safety.md
BEGIN='<!-- unsafe-count: scripts/unsafe-count.sh --update writes this table; make test checks it -->'
END='<!-- /unsafe-count -->'

# count DIR...: blocks, unsafe fns, unsafe impls and traits, SAFETY comments, in .rs files
count() {
	local files
	files=$(find "$@" -name '*.rs' -not -path '*/target/*' -not -path '*/compile-fail/*' -not -path '*/host/*' 2>/dev/null | sort)
	if [ -z "$files" ]; then
		echo "0 0 0 0"
		return
	fi
	# shellcheck disable=SC2086
	printf '%s %s %s %s\n' \
		"$(cat $files | grep -cE 'unsafe \{')" \
		"$(cat $files | grep -cE '\bunsafe (extern "C" )?fn\b')" \
		"$(cat $files | grep -cE '\bunsafe (impl|trait)\b')" \
		"$(cat $files | grep -cE '// SAFETY:')"
}

table() {
	echo "$BEGIN"
	echo
	echo "| where | \`unsafe {}\` blocks | \`unsafe fn\` | \`unsafe impl\` / \`trait\` | \`// SAFETY:\` comments |"
	echo "| --- | --- | --- | --- | --- |"
	local where
	for where in rust/kernel samples exercises; do
		read -r b f i s < <(count "$where")
		echo "| \`$where/\` | $b | $f | $i | $s |"
	done
	echo
	echo "$END"
}

current() { sed -n "\|^$BEGIN\$|,\|^$END\$|p" "$DOC"; }

case "${1:-}" in
--update)
	new=$(table)
	python3 - "$DOC" "$BEGIN" "$END" "$new" <<'PY'
import sys
path, begin, end, new = sys.argv[1:5]
text = open(path).read()
a, b = text.index(begin), text.index(end) + len(end)
open(path, "w").write(text[:a] + new + text[b:])
PY
	;;
--check)
	echo "KTAP version 1"
	ktap_plan 2
	if [ "$(current)" = "$(table)" ]; then
		ktap_ok 1 "docs/safety.md gives the current count of unsafe"
	else
		ktap_not_ok 1 "docs/safety.md's count of unsafe is stale: run scripts/unsafe-count.sh --update"
		diff <(current) <(table) | sed 's/^/# /'
	fi
	n=$(grep -rnE '\bunsafe\b|no_mangle|export_name|link_section' --include='*.rs' samples exercises |
		grep -vE '^[^:]+:[0-9]+:\s*//' | wc -l)
	files=$(find samples exercises -name '*.rs' 2>/dev/null | wc -l)
	if [ "$files" -lt 10 ]; then
		ktap_not_ok 2 "samples/ and exercises/ hold $files Rust files: nothing to check"
	elif [ "$n" = 0 ]; then
		ktap_ok 2 "samples/ and exercises/ have no unsafe code"
	else
		ktap_not_ok 2 "samples/ and exercises/ have $n line(s) of unsafe code"
		grep -rnE '\bunsafe\b' --include='*.rs' samples exercises | grep -vE '^[^:]+:[0-9]+:\s*//' | head | sed 's/^/# /'
	fi
	;;
"") table ;;
*)
	echo "usage: $0 [--update|--check]" >&2
	exit 2
	;;
esac
