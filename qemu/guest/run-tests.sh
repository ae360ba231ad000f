#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest: run every qemu/tests/*.sh and report in KTAP.
#
# A test file is a bash script; exit 0 is a pass, 4 a skip (kselftest's KSFT_SKIP; 77 is
# accepted too), with the reason on its last line; anything else a failure. Its output
# becomes KTAP diagnostic lines. Each test is then held to what the kernel saw while it
# ran, whatever the test itself said:
#  - the kernel log, every record of it: a reader started before the first test copies
#    /dev/kmsg by sequence number to a file (kmsg.py), and a test's window runs from a
#    mark written before it to one written after, once the reader has copied that mark;
#    a splat in the window (KASAN, UBSAN, lockdep, WARN, BUG, Oops, a Rust panic, a hung
#    task, an RCU stall, kmemleak, a device whose references never drop, records lost
#    to a wrapped ring) fails the test;
#  - sk_buffs and pages: allocated sk_buffs (slab) and pages nobody accounts for (what
#    drivers and page pools hold) must come back to where they were before the test,
#    within a margin for per-CPU caches, once its devices are gone.
# After the last test a final sweep deletes every namespace, waits for RCU and kmemleak,
# and checks the log once more: a late splat fails the run (as test "final-sweep").
# ND_TEST_FILTER (a grep -E pattern on the test name) selects tests; ND_TEST_PLANT adds
# qemu/tests/planted/<name>.sh, a test with a planted bug that must fail the run;
# ND_TEST_EXERCISES runs the exercise proofs after the sweep (see the end).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/testlib.sh"
. "$here/kcheck.sh"
tests_dir=$here/../tests
per_test_timeout=${ND_TEST_TIMEOUT:-600}

mapfile -t tests < <(cd "$tests_dir" && ls -1 [0-9]*.sh | sort)
if [ -n "${ND_TEST_FILTER:-}" ]; then
	mapfile -t tests < <(printf '%s\n' "${tests[@]}" | grep -E -- "$ND_TEST_FILTER")
fi
paths=()
for t in "${tests[@]}"; do paths+=("$tests_dir/$t"); done
if [ -n "${ND_TEST_PLANT:-}" ]; then
	paths+=("$tests_dir/planted/$ND_TEST_PLANT.sh")
	[ -f "${paths[-1]}" ] || { echo "Bail out! no planted bug '$ND_TEST_PLANT' (see qemu/tests/planted/)"; exit 1; }
fi

kcheck_start /tmp/netdive-kmsg.log

total=${#paths[@]}
echo "KTAP version 1"
echo "# netdive tests on $(uname -r), $(nproc) CPUs"
echo "1..$((total + 1))"
n=0
for path in "${paths[@]}"; do
	t=$(basename "$path")
	n=$((n + 1))
	name=${t%.sh}
	name=${name#[0-9][0-9]-}
	log=/tmp/test-$name.log
	settle
	skb0=$(skb_objs)
	pages0=$(pages_held)
	from=$(mark "start $name")
	start=$(date +%s.%N)
	(cd /tmp && ND_TEST_NAME=$name timeout -k 10 "$per_test_timeout" bash "$path") >"$log" 2>&1
	rc=$?
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	settle
	to=$(mark "end $name")
	splat=$(splats "$from" "$to" | head -5)
	sed 's/^/# /' "$log"
	leak=""
	[ -z "$splat" ] && [ "$rc" = 0 ] && leak=$(leak_since "$skb0" "$pages0")
	if [ -n "$splat" ]; then
		echo "# kernel splat during $name:"
		show_splat "$from" "$to"
		echo "not ok $n $name # splat in the kernel log: $(echo "$splat" | head -1 | cut -c1-120)"
	elif [ -n "$leak" ]; then
		echo "not ok $n $name # leak: $leak after the test"
	elif [ $rc = 0 ]; then
		printf 'ok %d %s # %.1fs\n' "$n" "$name" "$secs"
	elif [ $rc = 4 ] || [ $rc = 77 ]; then
		echo "ok $n $name # SKIP $(tail -n 1 "$log")"
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "not ok $n $name # timed out after ${per_test_timeout}s"
	else
		echo "not ok $n $name # exit $rc: $(grep -m1 '^FAIL' "$log" | cut -c1-150)"
	fi
done

# The final sweep: whatever the last test left to RCU callbacks, work items and
# kmemleak's next scan shows up here, not after the run has been declared clean.
n=$((n + 1))
from=$(mark "start final-sweep")
settle
kmemleak_scan
to=$(mark "end final-sweep")
splat=$(splats 1 "$to" | head -5)
# A splat a test already failed for is that test's; only new ones count here.
late=$(splats "$from" "$to" | head -5)
if [ -n "$late" ]; then
	show_splat "$from" "$to"
	echo "not ok $n final-sweep # splat after the last test: $(echo "$late" | head -1 | cut -c1-120)"
else
	echo "ok $n final-sweep # $(wc -l <"$KMSG") kernel log records read, $(echo -n "$splat" | grep -c .) splat line(s) in all"
fi
kcheck_stop
[ -n "${ND_OUT:-}" ] && cp "$KMSG" "$ND_OUT/kmsg.log" 2>/dev/null

# The exercise proofs make test built (ND_TEST_EXERCISES="LIST BUILDS", scripts/exercise.sh
# build-proofs), in this boot, after the sweep: a skeleton may provoke the splat its
# exercise is about, which turns lockdep off for the rest of the boot. Their KTAP lines go
# to their own file; the host counts them against the plan it printed. The console's
# splats after the marker are theirs (exercises/guest.sh holds each to its window).
if [ -n "${ND_TEST_EXERCISES:-}" ] && [ -n "${ND_OUT:-}" ]; then
	echo "netdive: exercise proofs start" >/dev/kmsg
	# shellcheck disable=SC2086 # two words: the list and the count of builds
	bash "$here/../../exercises/guest.sh" prove $ND_TEST_EXERCISES >"$ND_OUT/exercise-proofs.ktap" 2>&1
fi
exit 0
