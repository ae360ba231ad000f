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
# and checks the log once more: a late splat, an object kmemleak reports, lockdep off fail
# the run (as test "final-sweep"); on the debug kernel kmemleak must also catch the leak
# planted there ("planted: kmemleak caught").
# ND_TEST_FILTER (a grep -E pattern on the test name) selects tests; ND_TEST_PLANT adds
# qemu/tests/planted/<name>.sh, a test with a planted bug that must fail the run;
# ND_TEST_EXERCISES runs the exercise proofs: the solutions before the sweep, the
# skeletons after it.
# make test boots two guests and gives each its share (scripts/test.sh): ND_TEST_LIST
# names this guest's tests (file names, "-" for none; it replaces the filter), and then
# the planted detectors run only where ND_TEST_PLANTED is set.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/testlib.sh"
. "$here/kcheck.sh"
. "$here/../../scripts/ktap.sh"
tests_dir=$here/../tests
per_test_timeout=${ND_TEST_TIMEOUT:-600}

mapfile -t tests < <(cd "$tests_dir" && ls -1 [0-9]*.sh | sort)
if [ -n "${ND_TEST_LIST+set}" ]; then
	# make test's share of the suite for this guest (scripts/test.sh splits it).
	read -r -a tests <<<"${ND_TEST_LIST#-}"
	for t in "${tests[@]}"; do
		[ -f "$tests_dir/$t" ] || { echo "Bail out! no test '$t' in qemu/tests/"; exit 1; }
	done
elif [ -n "${ND_TEST_FILTER:-}" ]; then
	mapfile -t tests < <(printf '%s\n' "${tests[@]}" | grep -E -- "$ND_TEST_FILTER")
fi
paths=()
for t in "${tests[@]}"; do paths+=("$tests_dir/$t"); done
if [ -n "${ND_TEST_PLANT:-}" ]; then
	paths+=("$tests_dir/planted/$ND_TEST_PLANT.sh")
	[ -f "${paths[-1]}" ] || { echo "Bail out! no planted bug '$ND_TEST_PLANT' (see qemu/tests/planted/)"; exit 1; }
fi

kcheck_start /tmp/netdive-kmsg.log
# kmemleak scans when the harness asks (the sweep), not every 10 minutes in the middle
# of a test (a scan is 6 s of a vCPU here).
[ -e "$KMEMLEAK" ] && echo scan=off >"$KMEMLEAK"
# What kmemleak reports of the boot (scanned now) is not the run's: the sweep counts
# only objects not reported here. (The scans take 20 s; run beside the first tests they
# could also report a first test's young leak as the boot's, and this kernel has no
# clock a shell can read that kmemleak stamps objects with: jiffies.)
rm -f /tmp/kcheck-km-refused /tmp/nd-balances
kmemleak_scan boot || echo "kmemleak refused the boot's scan" >>/tmp/kcheck-km-refused
kmemleak_reported /tmp/kmemleak-before

# run_test N PATH: test PATH as number N, with its window and balances; prints its
# output as diagnostics and its KTAP line last. Starts from a settled state (the caller
# settles once before the first; each test settles after itself).
run_test() {
	local n=$1 path=$2 t name log skb0 pages0 from to start rc secs splat leak blind
	t=$(basename "$path")
	name=${t%.sh}
	name=${name#[0-9][0-9]-}
	log=/tmp/test-$name.log
	# The state left by the previous test's own settle (below), or by the caller's.
	skb0=$(skb_objs)
	pages0=$(pages_held)
	from=$(mark "start $name")
	# Windows are contiguous: this one starts where the last ended, so a late report
	# logged in between (a work item, an RCU callback) is this test's, not nobody's.
	[ -n "${WINDOW_END:-}" ] && from=$WINDOW_END
	start=${EPOCHREALTIME/./}
	(cd /tmp && ND_TEST_NAME=$name timeout -k 10 "$per_test_timeout" bash "$path") >"$log" 2>&1
	rc=$?
	secs=$(secs_since "$start")
	settle
	to=$(mark "end $name")
	WINDOW_END=$to
	splat=$(splats "$from" "$to" | head -5)
	sed 's/^/# /' "$log"
	leak=""
	[ -z "$splat" ] && [ "$rc" = 0 ] && leak=$(leak_since "$skb0" "$pages0")
	# What each test's balances read, for the margins (docs/testing.md).
	echo "$name skbs $skb0 $(skb_objs) pages $pages0 $(pages_held)" >>/tmp/nd-balances
	blind=$(kcheck_blind)
	if [ -n "$blind" ]; then
		ktap_not_ok "$n" "$name" "the kernel log was not read for this test: $blind"
	elif [ -n "$splat" ]; then
		echo "# kernel splat during $name:"
		show_splat "$from" "$to"
		ktap_not_ok "$n" "$name" "splat in the kernel log: $(echo "$splat" | head -1 | cut -c1-120)"
	elif [ -n "$leak" ]; then
		ktap_not_ok "$n" "$name" "leak: $leak after the test"
	elif [ $rc = 0 ]; then
		ktap_ok "$n" "$name" "${secs}s"
	elif [ $rc = 4 ] || [ $rc = 77 ]; then
		ktap_skip "$n" "$name" "$(tail -n 1 "$log")"
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		ktap_not_ok "$n" "$name" "timed out after ${per_test_timeout}s"
	else
		ktap_not_ok "$n" "$name" "exit $rc: $(grep -m1 '^FAIL' "$log" | cut -c1-150)"
	fi
}

# The detectors' own proofs at the end of a whole run (no T=, no PLANT=): each planted bug
# of qemu/tests/planted/ runs as a test and must be failed, by its detector, for the
# reason named here; and a kernel log reader that dies must blind every later window.
# They run last, after the exercise proofs, as what they leave (2000 sk_buffs, a wrapped
# log) would spoil anything after them.
planted=()
if [ -n "${ND_TEST_LIST+set}" ]; then
	want_planted=${ND_TEST_PLANTED:-}
elif [ -z "${ND_TEST_FILTER:-}" ] || [ -n "${ND_TEST_PLANTED:-}" ]; then
	want_planted=1
else
	want_planted=
fi
if [ -n "$want_planted" ] && [ -z "${ND_TEST_PLANT:-}" ]; then
	planted=(
		"skb-leak;sk_buff balance;leak: [0-9]+ sk_buffs not freed"
		"log-wrap;splat window past a wrapped log ring;splat in the kernel log: .*(WARNING|kernel log records lost)"
		"dev-ref;netdev refcount;splat in the kernel log: .*unregister_netdevice: waiting for d0"
	)
fi
# planted_detector N FILE DETECTOR ERE: runs planted bug FILE as test N; caught if its
# line is "not ok" for ERE.
planted_detector() {
	local n=$1 file=$2 what=$3 ere=$4 out verdict
	if [ -z "$ere" ] || [ ! -f "$tests_dir/planted/$file.sh" ]; then
		ktap_not_ok "$n" "planted: ${what:-?} missed" "no planted bug '$file' or no reason to expect"
		return
	fi
	out=$(run_test "$n" "$tests_dir/planted/$file.sh")
	verdict=$(grep -E "^(not )?ok $n " <<<"$out" | tail -n 1)
	if [[ $verdict == "not ok "* ]] && grep -qE -- "$ere" <<<"$verdict"; then
		ktap_ok "$n" "planted: $what caught" "${verdict#*# }"
	else
		sed 's/^# /# | /' <<<"$out" | grep -vE "^(not )?ok $n " | tail -n 20
		ktap_not_ok "$n" "planted: $what missed" "the planted $file gave: ${verdict:-no result}"
	fi
}

total=${#paths[@]}
# The sweep; on the debug kernel kmemleak's planted proof; the planted detectors and the
# dead reader's.
extra=1
[ -e "$KMEMLEAK" ] && extra=2
[ ${#planted[@]} -gt 0 ] && extra=$((extra + ${#planted[@]} + 1))
echo "KTAP version 1"
echo "# netdive tests on $(uname -r), $(nproc) CPUs"
ktap_plan $((total + extra))
n=0
settle
# The whole run's balances start here (checked in the final sweep).
run_skb0=$(skb_objs)
run_pages0=$(pages_held)
for path in "${paths[@]}"; do
	n=$((n + 1))
	run_test "$n" "$path"
done

# The exercise solutions make test built (ND_TEST_EXERCISES="LIST BUILDS", scripts/exercise.sh
# build-proofs), each in a window of its own (exercises/guest.sh), before the sweep: its
# kmemleak scan and whole-run balances judge what they left with the suite's. Their KTAP
# lines go to their own file; the host counts them against the plan it printed.
# (A guest given no test starts the sweep's window here: nothing logged from now on
# falls between windows.) A solution whose rmmod hangs ends this half after 20 minutes,
# its missing results counted by the plan, and the run goes on.
if [ -n "${ND_TEST_EXERCISES:-}" ] && [ -n "${ND_OUT:-}" ]; then
	[ -n "${WINDOW_END:-}" ] || WINDOW_END=$(mark "start exercise solutions")
	# shellcheck disable=SC2086 # two words: the list and the count of builds
	timeout -k 10 1200 bash "$here/../../exercises/guest.sh" prove $ND_TEST_EXERCISES solutions \
		>"$ND_OUT/exercise-proofs.ktap" 2>&1
	settle
fi

# The final sweep: whatever the last test left to RCU callbacks, work items and
# kmemleak's next scan shows up here, not after the run has been declared clean. Every
# object kmemleak reports that it did not report before the first test fails the run,
# whoever allocated it (an sk_buff the stack allocated and a Rust driver leaked has no
# Rust frame), and so does a kmemleak that no longer scans or a lockdep that turned
# itself off. kmemleak proves it still sees every run: rplant forgets 6 marked blocks
# first (from a shell that exits, so no stack of ours keeps a pointer to them), and at
# least one must be reported (a stale copy of a pointer somewhere may hide one; a run
# saw 13 of 16 reported). Each block reported costs a second to read: its stack trace.
# The whole run must also give back its sk_buffs, pages and network namespaces, a slow
# leak that stayed under each test's margin included.
PLANTED_LEAKS=6
n=$((n + 1))
from=$(mark "start final-sweep")
[ -n "${WINDOW_END:-}" ] && from=$WINDOW_END
settle
problems=()
ns_left=$(netns_left)
[ "$ns_left" = 0 ] || problems+=("network namespaces not freed after the run: $ns_left")
if ! excess=$(balanced skb_objs "$run_skb0" "$SKB_MARGIN"); then
	problems+=("the run left $excess sk_buffs not freed (margin $SKB_MARGIN)")
fi
# The whole run keeps more pages than one test (two runs: 1245 and 1554 more at the
# end; the tracer's ring buffers, sized once, among them): its own margin.
RUN_PAGE_MARGIN=${ND_RUN_PAGE_MARGIN:-4096}
if ! excess=$(balanced pages_held "$run_pages0" "$RUN_PAGE_MARGIN"); then
	problems+=("the run left $excess pages not returned (margin $RUN_PAGE_MARGIN)")
fi
run_balance="whole run: $(($(skb_objs) - run_skb0)) sk_buffs, $(($(pages_held) - run_pages0)) pages, $ns_left namespaces"
echo "whole-run skbs $run_skb0 $(skb_objs) pages $run_pages0 $(pages_held) netns $ns_left" >>/tmp/nd-balances
leaks_planted=0
if [ -e "$KMEMLEAK" ]; then
	sh -c "modprobe rplant && echo 'memory-leak $PLANTED_LEAKS' >/proc/net/rplant && rmmod rplant" &&
		leaks_planted=$PLANTED_LEAKS
fi
[ -s /tmp/kcheck-km-refused ] && problems+=("kmemleak refused the boot's scan")
km=$(kmemleak_new /tmp/kmemleak-before /tmp/kmemleak-new.txt) ||
	problems+=("kmemleak refused to scan (it turns itself off after an internal error)")
read -r km_new km_planted <<<"${km:-0 0}"
to=$(mark "end final-sweep")
splat=$(splats 1 "$to" | head -5)
# A splat a test already failed for is that test's; only new ones count here.
late=$(splats "$from" "$to" | head -5)
if [ -n "$late" ]; then
	show_splat "$from" "$to"
	problems+=("splat after the last test: $(echo "$late" | head -1 | cut -c1-100)")
fi
if [ "$km_new" -gt 0 ]; then
	echo "# kmemleak: $km_new object(s) unreferenced since the first test (the first shown):"
	head -n 60 /tmp/kmemleak-new.txt | sed 's/^/# | /'
	[ -n "${ND_OUT:-}" ] && cp /tmp/kmemleak-new.txt "$ND_OUT/kmemleak.txt"
	problems+=("kmemleak: $km_new leaked object(s)")
fi
blind=$(kcheck_blind)
[ -n "$blind" ] && problems+=("the kernel log was not read to the end: $blind")
# The debug kernel's detectors were there from boot (its log, read from the first record);
# on it (lockdep's /proc file says which kernel this is) kmemleak's file must be there too,
# or no leak was judged.
if [ -e /proc/lockdep_stats ] && [ ! -e "$KMEMLEAK" ]; then
	problems+=("no $KMEMLEAK on the debug kernel (debugfs not mounted?): no leak was judged")
fi
if [ -e "$KMEMLEAK" ]; then
	for d in "kasan: KernelAddressSanitizer initialized" "Lock dependency validator" \
		"kmemleak: Kernel memory leak detector initialized"; do
		grep -qF -- "$d" "$KMSG" || problems+=("the boot log lacks '$d': that detector is not on")
	done
fi
if [ -e /proc/lockdep_stats ] && ! grep -Eq 'debug_locks: +1$' /proc/lockdep_stats; then
	problems+=("lockdep turned itself off (debug_locks 0): a report it made stopped it")
fi
if [ ${#problems[@]} = 0 ]; then
	ktap_ok "$n" "final-sweep" "$(wc -l <"$KMSG") kernel log records read, $(echo -n "$splat" | grep -c .) splat line(s) in all; no leaked object; $run_balance"
else
	ktap_not_ok "$n" "final-sweep" "$(printf '%s; ' "${problems[@]}" | sed 's/; $//')"
fi
if [ -e "$KMEMLEAK" ]; then
	n=$((n + 1))
	if [ "$leaks_planted" = 0 ]; then
		ktap_not_ok "$n" "planted: kmemleak caught" "could not plant the leak (modprobe rplant, memory-leak)"
	elif [ "$km_planted" -gt 0 ]; then
		ktap_ok "$n" "planted: kmemleak caught" "$km_planted of the $leaks_planted blocks rplant forgot"
	else
		ktap_not_ok "$n" "planted: kmemleak caught" "none of the $leaks_planted blocks rplant forgot was reported: kmemleak is blind"
	fi
fi
kcheck_stop
[ -n "${ND_OUT:-}" ] && cp "$KMSG" "$ND_OUT/kmsg.log" 2>/dev/null
[ -n "${ND_OUT:-}" ] && cp /tmp/nd-balances "$ND_OUT/balances.txt" 2>/dev/null

# The exercise skeletons after the sweep: one may provoke the splat its exercise is about,
# which turns lockdep off for the rest of the boot. The console's splats after the marker
# are theirs (exercises/guest.sh holds each to its window).
# After this line on the console, splats are the proofs' own (each judged in its window).
if [ -n "${ND_TEST_EXERCISES:-}" ] || [ ${#planted[@]} -gt 0 ]; then
	echo "netdive: the suite's windows end here; proofs follow" >/dev/kmsg
fi
if [ -n "${ND_TEST_EXERCISES:-}" ] && [ -n "${ND_OUT:-}" ]; then
	# shellcheck disable=SC2086 # two words: the list and the count of builds
	bash "$here/../../exercises/guest.sh" prove $ND_TEST_EXERCISES skeletons >>"$ND_OUT/exercise-proofs.ktap" 2>&1
fi

if [ ${#planted[@]} -gt 0 ]; then
	echo "# the detectors, each fed its bug (qemu/tests/planted/):"
	kcheck_start /tmp/netdive-kmsg-planted.log
	WINDOW_END=
	settle
	for p in "${planted[@]}"; do
		n=$((n + 1))
		IFS=';' read -r file what ere <<<"$p"
		# No planted bug makes a namespace for a teardown to free: 10 s is time enough
		# (the detector, exact counts and margin, is the suite's; only the wait is shorter).
		BALANCE_WAIT=10 planted_detector "$n" "$file" "$what" "$ere"
	done
	# The reader killed: a test that passes must then be refused as unread, not passed.
	n=$((n + 1))
	kcheck_stop
	wait "$KMSG_PID" 2>/dev/null
	verdict=$(run_test "$n" "$tests_dir/planted/quiet.sh" | grep -E "^(not )?ok $n " | tail -n 1)
	if [[ $verdict == "not ok $n "*"the kernel log was not read"* ]]; then
		ktap_ok "$n" "planted: dead log reader caught" "${verdict#*# }"
	else
		ktap_not_ok "$n" "planted: dead log reader missed" "a test with no reader gave: ${verdict:-no result}"
	fi
fi
exit 0
