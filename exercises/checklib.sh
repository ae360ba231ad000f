# SPDX-License-Identifier: GPL-2.0
# Sourced by exercises/*/check.sh, in the guest: a checker is a list of steps, each "ok"
# or "not ok" with a hint that points at the concept, never at the answer. The tests'
# helpers (qemu/guest/testlib.sh: pair_in_namespaces, wait_for, ...) are available; their
# `fail` ends only the step it is called in.
. "$(dirname "${BASH_SOURCE[0]}")/../qemu/guest/testlib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/ktap.sh"
EX_STEP=0

# plan N: the number of steps this checker has, said first ("1..N"): exercises/guest.sh
# holds the checker to it, so one that ends before its last step (a `fail` outside a
# step, a crash) is not passed.
plan() { ktap_plan "$1"; }

# step WHAT HINT CMD...: one step; CMD's output is shown under a failed step.
step() {
	local what=$1 hint=$2 out
	shift 2
	EX_STEP=$((EX_STEP + 1))
	if out=$("$@" 2>&1); then
		ktap_ok $EX_STEP "- $what"
		return 0
	fi
	ktap_not_ok $EX_STEP "- $what"
	echo "#   hint: $hint"
	[ -n "$out" ] && printf '%s\n' "$out" | grep -v '^ok: ' | tail -n 4 | sed 's/^/#   /'
	# make test's proof of a skeleton needs only its first failure.
	[ -n "${EX_FIRST_FAILURE_ONLY:-}" ] && exit 1
	return 1
}

# need WHAT HINT CMD...: a step the later ones cannot do without; if it fails, the check
# stops here.
need() {
	step "$@" && return 0
	echo "# the steps after this one need it: stopping here"
	exit 1
}

# load_module: the module under check goes in (EX_KO, given by exercises/guest.sh).
load_module() { insmod "$EX_KO"; }

# same ACTUAL EXPECTED: equal, or says what differed.
same() { [ "$1" = "$2" ] || { echo "got '$1', expected '$2'"; return 1; }; }
