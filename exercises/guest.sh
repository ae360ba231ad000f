#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest (scripts/exercise.sh boots it):
#   guest.sh check N KO      runs exercise N's checker on module KO, then checks the
#                            kernel log for splats; ends "exercise N: passed" or not
#   guest.sh prove LIST T [PART]
#                            LIST has lines "N solution|skeleton KO", T results came
#                            before: every solution must pass its checker, every
#                            skeleton fail it where its meta says; PART (make test runs
#                            the halves around its final sweep): all, solutions, skeletons
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../qemu/guest/testlib.sh"
. "$here/../qemu/guest/kcheck.sh"
. "$here/../scripts/ktap.sh"

# demangle: Rust's mangled names in a report (`_RNv...+0x40/0x80`) as Rust paths
# (`<exbug::ExBug as kernel::net::netfilter::Filter>::hook+0x40/0x80`), scripts/rustsym.py.
demangle() { python3 -S "$here/../scripts/rustsym.py"; }
# ex_dir N: exercise N's directory; meta DIR KEY: the value of KEY= in DIR/meta (bash
# alone: a process costs a fraction of a second on the debug kernel under TCG).
ex_dir() {
	local d n
	printf -v n '%02d' "$1"
	for d in "$here/$n"-*/; do [ -d "$d" ] && { echo "${d%/}"; return 0; }; done
	return 1
}
meta() {
	local l
	while IFS= read -r l || [ -n "$l" ]; do
		[ "${l%%=*}" = "$2" ] && [[ $l == *=* ]] && { echo "${l#*=}"; return 0; }
	done <"$1/meta"
	return 0
}
# tally FILE: a checker's output counted: STEPS results ("ok N" / "not ok N"), BAD of them
# "not ok" (an unnumbered "not ok" line counts too), PLAN its "1..N" (empty if none).
tally() {
	local l lines
	STEPS=0 BAD=0 PLAN=
	mapfile -t lines <"$1"
	for l in "${lines[@]}"; do
		[[ $l =~ ^(not\ )?ok\ [0-9]+\  ]] && STEPS=$((STEPS + 1))
		[[ $l == "not ok"* ]] && BAD=$((BAD + 1))
		[[ -z $PLAN && $l =~ ^1\.\.([0-9]+)$ ]] && PLAN=${BASH_REMATCH[1]}
	done
	return 0
}

# run_check N KO [DIR]: the checker's steps (of exercise N, or the one in DIR), then one
# more: the kernel log of the check holds no splat. Prints the steps and a last line;
# returns 0 when every step passed. A checker states its plan ("1..N", checklib's `plan`):
# one that ends before its last step without a failed one (a `fail` outside a step, a
# crash), or exits non-zero, is not passed.
run_check() {
	local n=$1 ko=$2 d=${3:-} mod from to splat rc km leaked blind STEPS BAD PLAN
	[ -n "$d" ] || d=$(ex_dir "$n")
	mod=$(meta "$d" module)
	# What kmemleak would report before the check is not the check's: scanned first (the
	# boot's own unreferenced objects, say), then listed.
	if [ -z "${EX_LEAKS_LATER:-}" ] && [ -e "$KMEMLEAK" ]; then
		kmemleak_scan && kmemleak_reported /tmp/ex-km-before || : >/tmp/ex-km-refused
	fi
	from=$(mark "start exercise $n")
	(cd /tmp && EX_KO=$ko EX_FIRST_FAILURE_ONLY=${EX_FIRST_FAILURE_ONLY:-} timeout -k 10 300 bash "$d/check.sh") \
		>/tmp/ex-check.out 2>&1 </dev/null
	rc=$?
	[ $rc = 124 ] && echo "not ok - the checker ran out of time (300 s)" >>/tmp/ex-check.out
	tally /tmp/ex-check.out
	if [ "$BAD" = 0 ]; then
		if [ -z "$PLAN" ]; then
			ktap_not_ok $((STEPS + 1)) "- the checker states its plan (1..N)" >>/tmp/ex-check.out
		elif [ "$STEPS" != "$PLAN" ]; then
			ktap_not_ok $((STEPS + 1)) "- the checker gave $STEPS of the $PLAN steps it planned (exit $rc)" >>/tmp/ex-check.out
			tail -n 3 /tmp/ex-check.out | grep -v '^not ok' | sed 's/^/#   /' >>/tmp/ex-check.out
		elif [ "$rc" != 0 ]; then
			ktap_not_ok $((STEPS + 1)) "- the checker exited with status $rc after its last step" >>/tmp/ex-check.out
		fi
	fi
	# Whatever the module left, whatever the check stopped in the middle of.
	ip -all netns delete 2>/dev/null
	[ -n "$mod" ] && grep -q "^$mod " /proc/modules && rmmod "$mod" 2>/dev/null
	sleep 1
	to=$(mark "end exercise $n")
	splat=$(splats "$from" "$to" | head -3)
	# What kmemleak reports now that it did not before the check (the debug kernel has
	# kmemleak; a scan takes 20 s here). make test's proofs judge every solution's leaks in
	# one scan after the last (EX_LEAKS_LATER, `prove` below).
	leaked=0
	if [ -z "${EX_LEAKS_LATER:-}" ] && [ -z "$splat" ] && [ -e "$KMEMLEAK" ]; then
		km=$(kmemleak_new /tmp/ex-km-before /tmp/ex-km-new.txt) || km="1 0"
		[ -e /tmp/ex-km-refused ] && km="1 0"
		leaked=${km%% *}
	fi
	grep -v '^1\.\.[0-9]*$' /tmp/ex-check.out
	tally /tmp/ex-check.out
	if [ "$leaked" != 0 ]; then
		splat+="${splat:+$'\n'}kmemleak: $leaked leaked object(s)"
	fi
	blind=$(kcheck_blind)
	[ -n "$blind" ] && splat+="${splat:+$'\n'}the kernel log was not read: $blind"
	[ -n "$blind" ] && echo "# the kernel log of this check was not read: $blind"
	local clean="the kernel log stayed clean (no KASAN, lockdep, WARN, BUG or leak report)"
	if [ -z "$splat" ]; then
		ktap_ok $((STEPS + 1)) "- $clean"
	else
		ktap_not_ok $((STEPS + 1)) "- $clean"
		echo "#   hint: the report below names what went wrong and where; read it from the top"
		show_splat "$from" "$to" | demangle
		if [ "$leaked" != 0 ]; then
			echo "# | kmemleak: $leaked object(s) unreferenced since the check started (or kmemleak refused to scan):"
			head -n 30 /tmp/ex-km-new.txt | demangle | sed 's/^/# | /'
		fi
		if [ -n "${ND_OUT:-}" ]; then
			window "$from" "$to" | demangle >"$ND_OUT/exercise-$n-kernel.log"
			echo "#   the kernel log of the whole check: $ND_OUT/exercise-$n-kernel.log"
		fi
		BAD=$((BAD + 1))
	fi
	STEPS=$((STEPS + 1))
	if [ "$BAD" = 0 ]; then
		echo "exercise $n: passed ($STEPS steps)"
		return 0
	fi
	echo "exercise $n: not passed ($BAD of $STEPS steps failed)"
	return 1
}

# first_failure_is N: the skeleton's first failed step is the one its meta names
# (fails=...): a skeleton that fails for another reason (it does not load, the set-up
# broke) proves nothing about the checker.
first_failure_is() {
	local want report
	want=$(meta "$(ex_dir "$1")" fails)
	grep -m1 '^not ok' /tmp/ex-run.out | grep -qF -- "- $want" || return 1
	# An exercise about one report (meta: report=...) must show that one, not any splat.
	report=$(meta "$(ex_dir "$1")" report)
	[ -z "$report" ] || grep -qF -- "$report" /tmp/ex-run.out
}

# planted_checker T: a checker that gives up outside a step (a set-up `fail` at top level)
# after one of its three steps passed must not read as passed: it is caught, or the
# harness has gone blind to checkers that end early.
planted_checker() {
	local d=/tmp/ex-planted
	rm -rf "$d"
	mkdir -p "$d"
	printf 'module=\nkernel=lab\n' >"$d/meta"
	cat >"$d/check.sh" <<-EOF
		. "$here/checklib.sh"
		plan 3
		step "a first step that passes" "-" true
		fail "a set-up step outside any step gave up"
		step "never reached" "-" true
	EOF
	if run_check 0 none "$d" >/tmp/ex-run.out 2>&1; then
		ktap_not_ok "$1" "planted: a checker that ends early is not passed" "it read: $(tail -n 1 /tmp/ex-run.out)"
		sed 's/^/# /' /tmp/ex-run.out
		return 1
	fi
	ktap_ok "$1" "planted: a checker that ends early is not passed" "$(grep -m1 '^not ok' /tmp/ex-run.out)"
}

# judge_leaks T: the solutions checked so far left no object kmemleak reports (whoever
# allocated it: an skb the stack allocated and a module forgot has no frame of ours).
# The proofs run on the debug kernel, so kmemleak must be there; and it must see the
# blocks rplant forgets just before the scan (their first bytes read `ndplant!`), or this
# verdict would be blind.
judge_leaks() {
	local km fresh planted what="the exercise solutions leaked nothing"
	if [ ! -e "$KMEMLEAK" ]; then
		ktap_not_ok "$1" "$what" "no kmemleak in this kernel (the proofs run on the debug kernel)"
		return 1
	fi
	modprobe rplant && echo "memory-leak 4" >/proc/net/rplant && rmmod rplant ||
		{ ktap_not_ok "$1" "$what" "could not plant kmemleak's proof (rplant memory-leak)"; return 1; }
	if ! km=$(kmemleak_new /tmp/ex-km-before /tmp/ex-km-new.txt) || [ -e /tmp/ex-km-refused ]; then
		ktap_not_ok "$1" "$what" "kmemleak refused to scan"
		return 1
	fi
	read -r fresh planted <<<"$km"
	if [ "$fresh" != 0 ]; then
		ktap_not_ok "$1" "$what" "kmemleak: $fresh object(s) unreferenced since the first check"
		head -n 40 /tmp/ex-km-new.txt | demangle | sed 's/^/# | /'
		return 1
	fi
	if [ "$planted" = 0 ]; then
		ktap_not_ok "$1" "$what" "kmemleak reported none of the 4 blocks planted beside them: it is blind"
		return 1
	fi
	ktap_ok "$1" "$what" "kmemleak saw $planted of the 4 blocks planted beside them, and nothing else"
}

kcheck_start /tmp/ex-kmsg.log
rm -f /tmp/ex-km-refused
case ${1:-} in
check)
	run_check "$2" "$3"
	rc=$?
	;;
prove)
	# PART: all (the default: solutions, their kmemleak verdict, skeletons, the planted
	# checker), or make test's halves: `solutions` before the suite's final sweep (whose
	# kmemleak scan judges them with the suite), `skeletons` after it (exercise 5's
	# provokes a lock report, which turns lockdep off), numbered on from the solutions.
	part=${4:-all} t=$3 rc=0 judged=
	case $part in all | solutions | skeletons) ;; *) echo "guest.sh prove: PART is all, solutions or skeletons"; exit 2 ;; esac
	# Every solution's leaks are judged in one scan, after the last solution (a scan takes
	# 20 s on the debug kernel); a skeleton is unfinished code, judged by its first failure.
	export EX_LEAKS_LATER=1
	if [ "$part" = all ]; then
		rm -f /tmp/ex-km-refused
		[ -e "$KMEMLEAK" ] && { kmemleak_scan || : >/tmp/ex-km-refused; }
		kmemleak_reported /tmp/ex-km-before
	else
		judged=1
	fi
	while read -r n what ko; do
		[ -n "$n" ] || continue
		if [ "$part" = skeletons ] && [ "$what" = solution ]; then
			t=$((t + 1)) # numbered in the first half
			continue
		fi
		[ "$part" = solutions ] && [ "$what" = skeleton ] && break
		[ "$what" = skeleton ] && [ -z "$judged" ] && { judge_leaks $((t += 1)) || rc=1; judged=1; }
		t=$((t + 1))
		started=${EPOCHREALTIME/./}
		# A skeleton's proof is its first failed step: the checker stops there.
		EX_FIRST_FAILURE_ONLY=$([ "$what" = skeleton ] && echo 1) run_check "$n" "$ko" >/tmp/ex-run.out 2>&1
		got=$?
		took=$(secs_since "$started")
		last=$(tail -n 1 /tmp/ex-run.out)
		if [ "$what" = solution ] && [ $got = 0 ]; then
			ktap_ok "$t" "exercise $n solution passes its checker" "$last; ${took}s"
		elif [ "$what" = skeleton ] && [ $got != 0 ] && first_failure_is "$n"; then
			ktap_ok "$t" "exercise $n skeleton fails its checker where it should" "$last; ${took}s; first: $(grep -m1 '^not ok' /tmp/ex-run.out | cut -c1-90)"
		else
			ktap_not_ok "$t" "exercise $n $what: the checker said: $last"
			sed 's/^/# /' /tmp/ex-run.out | tail -n 40
			rc=1
		fi
	done <"$2"
	[ -n "$judged" ] || { judge_leaks $((t += 1)) || rc=1; }
	[ "$part" = solutions ] || planted_checker $((t + 1)) || rc=1
	;;
*) echo "usage: guest.sh check N KO | prove LIST T [all|solutions|skeletons]"; rc=2 ;;
esac
kcheck_stop
exit $rc
