#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The onboarding exercises (exercises/README.md):
#
#   exercise.sh list                 make exercises: number, title, lesson, status
#   exercise.sh start N              make exercise EX=N: copy the skeleton to exercises/work/N/
#   exercise.sh check N [solution]   make check EX=N [SOLUTION=1]: build, boot, run the checker
#   exercise.sh prove                every skeleton builds and fails its checker, every
#                                    solution passes it (debug kernel, one boot of its own)
#   exercise.sh build-proofs         make test's half of it: the builds, and the list of
#                                    proofs its suite's boot runs (qemu/guest/run-tests.sh)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
EX_ROOT=$ND_PROJ/exercises
WORK=$EX_ROOT/work

# All exercise directories, in order: exercises/NN-name/.
ex_dirs() { ls -1d "$EX_ROOT"/[0-9][0-9]-*/ 2>/dev/null | sed 's#/$##'; }
# ex_dir N: the directory of exercise N (1 and 01 both mean the first).
ex_dir() {
	local n=$1
	case $n in '' | *[!0-9]*) return 1 ;; esac
	n=$((10#$n))
	ls -1d "$EX_ROOT"/"$(printf '%02d' "$n")"-*/ 2>/dev/null | head -1 | sed 's#/$##' | grep .
}
# meta DIR KEY: one field of DIR/meta (KEY=value lines).
meta() { sed -n "s/^$2=//p" "$1/meta" | head -1; }
usage_ex() {
	echo "netdive: $1" >&2
	echo "    the exercises are (make exercises):" >&2
	list >&2
	exit 2
}
# want_ex N: the directory of exercise N, or a clear error and the list.
want_ex() {
	local d
	[ -n "$1" ] || usage_ex "which exercise? say EX=N, e.g. make exercise EX=1"
	d=$(ex_dir "$1") || usage_ex "there is no exercise '$1'"
	echo "$d"
}
num_of() { basename "$1" | sed 's/^0*\([0-9]\+\)-.*/\1/'; }
# The learner's file that passed last: a stamp with its hash, in the work directory.
stamp_of() { echo "$WORK/$1/.passed"; }
hash_of() { cat "$1"/*.rs 2>/dev/null | sha256sum | cut -c1-16; }

status() {
	local n=$1 w=$WORK/$1
	if [ ! -d "$w" ]; then
		echo "not started"
	elif [ -f "$(stamp_of "$n")" ] && [ "$(cat "$(stamp_of "$n")")" = "$(hash_of "$w")" ]; then
		echo "passed"
	elif [ -f "$(stamp_of "$n")" ]; then
		echo "started (passed, then edited)"
	else
		echo "started"
	fi
}

list() {
	local d n
	printf '  %-3s %-50s %-36s %s\n' EX title lesson status
	for d in $(ex_dirs); do
		n=$(num_of "$d")
		printf '  %-3s %-50s %-36s %s\n' "$n" "$(meta "$d" title)" "$(meta "$d" lesson)" "$(status "$n")"
	done
}

start() {
	local d n w mod rel
	d=$(want_ex "${1:-}") || exit 2
	n=$(num_of "$d")
	w=$WORK/$n
	mod=$(meta "$d" module)
	if [ -d "$w" ]; then
		echo "exercises/work/$n/ exists: your copy is kept, nothing was overwritten."
		echo "(To start over, move it away first: mv exercises/work/$n /tmp/)"
	else
		mkdir -p "$w"
		cp "$d/skeleton/"* "$w/"
		echo "exercise $n copied to exercises/work/$n/"
	fi
	rel=${d#"$ND_PROJ"/}
	echo
	echo "  $(meta "$d" title)  (lesson $(meta "$d" lesson))"
	echo "  read:  $rel/README.md"
	echo "  edit:  exercises/work/$n/$mod.rs, where it says TODO:"
	grep -n 'TODO:' "$w/$mod.rs" | sed "s#^#           $mod.rs:#" | cut -c1-110
	echo "  check: make check EX=$n        (the reference: make check EX=$n SOLUTION=1)"
	[ "$(meta "$d" kernel)" = test ] &&
		echo "  This one runs on the debug kernel (make test builds it; the first time takes long)."
	return 0
}

# build_module FLAVOUR SRC_DIR MODULE OUT_DIR [MAKE_VARS...]: builds SRC_DIR/MODULE.rs
# into OUT_DIR/MODULE.ko against FLAVOUR's kernel; on failure prints the compiler's
# messages with the paths of SRC_DIR, and fails.
build_module() {
	local flavour=$1 src=$2 mod=$3 dir=$4 B log
	shift 4
	B=$(nd_build_dir "$flavour")
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	cp "$src"/*.rs "$dir/" || return 1
	echo "obj-m := $mod.o" >"$dir/Kbuild"
	log=$dir/build.log
	if make -C "$ND_KSRC" O="$B" "${ND_MAKEVARS[@]}" "$@" M="$dir" modules >"$log" 2>&1; then
		# Warnings are worth reading (an unused function may be one you forgot to call).
		grep -q '^warning' "$log" && compiler_messages "$log" "$dir" "$src"
		return 0
	fi
	compiler_messages "$log" "$dir" "$src"
	return 1
}

# compiler_messages LOG COPY SRC: rustc's own messages, pointing at the learner's file
# instead of the copy that was built.
compiler_messages() {
	grep -vE '^make(\[[0-9]+\])?: |^  (RUSTC|CC|LD|MODPOST)|^  CC \[M\]|^  LD \[M\]|^  RUSTC \[M\]' "$1" | sed "s#$2/#$3/#g"
}

# kernel_ready FLAVOUR: the kernel the exercise runs on is built (building it if not).
kernel_ready() {
	if [ "$1" = test ]; then
		# As make test builds it, so the two share one build.
		bash "$ND_PROJ/scripts/build.sh" test CLIPPY=1
	else
		bash "$ND_PROJ/scripts/build.sh" lab
	fi
}

check() {
	local d n src what flavour mod dir rc rel
	d=$(want_ex "${1:-}") || exit 2
	n=$(num_of "$d")
	mod=$(meta "$d" module)
	flavour=$(meta "$d" kernel)
	if [ "${2:-}" = solution ]; then
		src=$d/solution what=solution
	else
		src=$WORK/$n what=work
		[ -d "$src" ] || nd_die "exercise $n is not started: run make exercise EX=$n first" \
			"(or check the reference solution: make check EX=$n SOLUTION=1)"
		[ -f "$src/$mod.rs" ] || nd_die "exercises/work/$n/$mod.rs is missing" \
			"move exercises/work/$n away and run make exercise EX=$n again"
	fi
	nd_setup_vars
	# Its progress shows: on a cold cache this is the kernel's whole build.
	kernel_ready "$flavour" || nd_die "the $flavour kernel did not build (see above)"
	rel=${src#"$ND_PROJ"/}
	nd_stage "building $rel/$mod.rs against the $flavour kernel"
	dir=$ND_CACHE/exercises/$flavour/$n-$what
	if ! build_module "$flavour" "$src" "$mod" "$dir"; then
		echo "exercise $n: $rel/$mod.rs does not build (the compiler's messages are above)"
		exit 1
	fi
	nd_info "built: $dir/$mod.ko (insmod it in make shell to try it by hand)"
	nd_stage "booting the $flavour kernel and checking exercise $n"
	# The kernel names code and locks by the file that was built: the copy, shown as yours.
	bash "$ND_PROJ/qemu/run.sh" --kernel "$flavour" --timeout 600 \
		-- "bash $EX_ROOT/guest.sh check $n $dir/$mod.ko" | sed -u "s#$dir/#$rel/#g"
	rc=${PIPESTATUS[0]}
	if [ "$what" = work ]; then
		if [ $rc = 0 ]; then hash_of "$src" >"$(stamp_of "$n")"; else rm -f "$(stamp_of "$n")"; fi
	fi
	exit $rc
}

# build_proofs: make test's first half. Every skeleton and every solution is built
# against the debug kernel; prints the plan (every build, and a proof for each that built)
# and a KTAP-style line per build, and writes the proofs to run, in order, to
# $ND_CACHE/exercises/prove.list ("N solution|skeleton KO") and the number of builds to
# prove.builds. The suite's boot then runs them (qemu/guest/run-tests.sh, last): on every
# solution (it must pass), then on every skeleton (it must fail; the debugging
# exercise's last, as the splat it provokes turns lockdep off for the rest of the boot).
build_proofs() {
	local d n mod what dir list=() t=0 rc
	nd_setup_vars
	local root=$ND_CACHE/exercises/prove
	mkdir -p "$root"
	rm -f "$root.list" "$root.builds"
	# The builds, all at once (each is one rustc; kbuild writes only into its M= directory).
	# A solution is held to the samples' rule, clippy and no warning; a skeleton warns
	# about what is not used yet, on purpose.
	local lint
	for what in solution skeleton; do
		for d in $(ex_dirs); do
			n=$(num_of "$d")
			lint=()
			[ "$what" = solution ] && lint=(CLIPPY=1)
			{
				build_module test "$d/$what" "$(meta "$d" module)" "$root/$n-$what" "${lint[@]}" >"$root/$n-$what.err" 2>&1
				rc=$?
				[ $rc = 0 ] && [ "$what" = solution ] && grep -q '^warning' "$root/$n-$what.err" && rc=warnings
				echo $rc >"$root/$n-$what.rc"
			} &
		done
	done
	wait
	local lines=()
	for what in solution skeleton; do
		for d in $(ex_dirs); do
			n=$(num_of "$d")
			mod=$(meta "$d" module)
			dir=$root/$n-$what
			t=$((t + 1))
			if [ "$(cat "$dir.rc")" = 0 ]; then
				lines+=("ok $t exercise $n $what builds$([ "$what" = solution ] && echo ' (clippy, no warning)')")
				list+=("$n $what $dir/$mod.ko")
			elif [ "$(cat "$dir.rc")" = warnings ]; then
				lines+=("not ok $t exercise $n $what builds, with warnings")
				mapfile -t -O "${#lines[@]}" lines < <(sed 's/^/# /' "$dir.err" | head -30)
			else
				lines+=("not ok $t exercise $n $what builds")
				mapfile -t -O "${#lines[@]}" lines < <(sed 's/^/# /' "$dir.err" | head -30)
			fi
		done
	done
	# Skeletons that provoke a splat on purpose (meta: splat=yes) last (see above).
	local late=" "
	for d in $(ex_dirs); do
		[ "$(meta "$d" splat)" = yes ] && late+="$(num_of "$d") "
	done
	# (No line at all when nothing built: an empty line would run as a proof.)
	[ ${#list[@]} -eq 0 ] || printf '%s\n' "${list[@]}" | awk -v late="$late" '
		$2 == "skeleton" && index(late, " " $1 " ") {held[++h] = $0; next}
		{print}
		END {for (i = 1; i <= h; i++) print held[i]}' >"$root.list"
	echo "$t" >"$root.builds"
	# The plan: every build, a proof for each that built (a guest that dies leaves proofs
	# missing, which the plan shows), the planted checker that ends early, and in a boot of
	# their own (`prove`, ND_EX_OWN_BOOT) one kmemleak verdict on all the solutions (make
	# test's final sweep gives it there: exercises/guest.sh prove).
	echo "1..$((t + ${#list[@]} + 1 + ${ND_EX_OWN_BOOT:-0}))"
	printf '%s\n' "${lines[@]}"
}

# prove: both halves in a boot of their own (make test runs the proofs in its suite's).
prove() {
	ND_EX_OWN_BOOT=1 build_proofs
	local root=$ND_CACHE/exercises/prove
	bash "$ND_PROJ/qemu/run.sh" --kernel test --timeout 1500 \
		-- "bash $EX_ROOT/guest.sh prove $root.list $(cat "$root.builds")"
}

cmd=${1:-list}
shift || true
case $cmd in
list) list ;;
start) start "$@" ;;
check) check "$@" ;;
prove) prove ;;
build-proofs) build_proofs ;;
*) nd_die "exercise.sh: unknown command '$cmd' (list, start N, check N [solution], prove)" ;;
esac
