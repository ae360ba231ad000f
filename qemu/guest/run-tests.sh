#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest: run every qemu/tests/*.sh and report in KTAP.
#
# A test file is a bash script; exit 0 is a pass, 77 a skip (with a reason on its last
# line), anything else a failure. Its output becomes KTAP diagnostic lines. After each
# test the kernel log is searched for splats (KASAN, lockdep, BUG, WARN, Oops, Rust
# panics); one fails the test that was running, whatever the test itself said.
# ND_TEST_FILTER (a grep -E pattern on the test name) selects tests.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tests_dir=$here/../tests
results=${1:-/tmp/netdive-results}
per_test_timeout=${ND_TEST_TIMEOUT:-600}

SPLAT='BUG:|WARNING:|KASAN|UBSAN|Oops|general protection fault|Kernel panic|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|unreferenced object|INFO: task .* blocked|rust_panic|panicked at|kernel BUG|list_add corruption|list_del corruption|ODEBUG:|refcount_t:|out of range .errno'

mapfile -t tests < <(cd "$tests_dir" && ls -1 [0-9]*.sh | sort)
if [ -n "${ND_TEST_FILTER:-}" ]; then
	mapfile -t tests < <(printf '%s\n' "${tests[@]}" | grep -E -- "$ND_TEST_FILTER")
fi

echo "KTAP version 1"
echo "# netdive tests on $(uname -r), $(nproc) CPUs"
echo "1..${#tests[@]}"
n=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=${t%.sh}
	name=${name#[0-9][0-9]-}
	log=/tmp/test-$name.log
	dmesg_before=$(dmesg | wc -l)
	start=$(date +%s.%N)
	(cd /tmp && ND_TEST_NAME=$name timeout -k 10 "$per_test_timeout" \
		bash "$tests_dir/$t") >"$log" 2>&1
	rc=$?
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	splat=$(dmesg | tail -n +$((dmesg_before + 1)) | grep -E "$SPLAT" | head -5)
	sed 's/^/# /' "$log"
	if [ -n "$splat" ]; then
		echo "# kernel splat during $name:"
		dmesg | tail -n +$((dmesg_before + 1)) | grep -E -A25 "$SPLAT" | head -60 | sed 's/^/# | /'
		echo "not ok $n $name # splat in dmesg: $(echo "$splat" | head -1 | cut -c1-120)"
	elif [ $rc = 0 ]; then
		printf 'ok %d %s # %.1fs\n' "$n" "$name" "$secs"
	elif [ $rc = 77 ]; then
		echo "ok $n $name # SKIP $(tail -n 1 "$log")"
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "not ok $n $name # timed out after ${per_test_timeout}s"
	else
		echo "not ok $n $name # exit $rc: $(grep -m1 '^FAIL' "$log" | cut -c1-150)"
	fi
done
