#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make test`: build the debug kernel and the exercises, boot the guest and run the whole
# in-guest suite (KTAP) and the exercise proofs in it, while the host-side checks (unit
# tests, fuzz, compile-fail, tools, docs) run beside it; then print one line:
# "N passed, N failed".
# Any splat in the guest's kernel log fails the test that was running; a guest that
# hangs or panics fails every test that did not report.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
nd_setup_vars

flavour=${ND_TEST_KERNEL:-test}
# With clippy: its warnings in our code fail the build, and CI builds the Rust code once.
bash "$ND_PROJ/scripts/build.sh" "$flavour" CLIPPY=1 || nd_die "cannot test: the $flavour kernel did not build"

passed=0 failed=0 skipped=0
summary=()
out=$(nd_runs_dir "$flavour")/test-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
wants() { [ -z "${ND_TEST_FILTER:-}" ] || echo "$1" | grep -qE -- "$ND_TEST_FILTER"; }

# --- the exercises: built first, their proofs run in the suite's boot ----------------
unset ND_TEST_EXERCISES
if wants exercises; then
	nd_stage "exercise builds (each skeleton and solution against the $flavour kernel; their checkers run in the guest)"
	bash "$ND_PROJ/scripts/exercise.sh" build-proofs >"$out/exercise-builds.log" 2>&1
	ex_root=$ND_CACHE/exercises/prove
	if [ -s "$ex_root.list" ]; then
		ND_TEST_EXERCISES="$ex_root.list $(cat "$ex_root.builds")"
		export ND_TEST_EXERCISES
	fi
fi

# --- the in-guest suite: started now, beside the host checks --------------------------
# On a machine with cores to spare it can be shared between guests (ND_TEST_GUESTS=N):
# each test still runs alone in its guest, in a window of its own (run-tests.sh), and
# qemu/tests/times says what each costs: the longest first, each to the guest with the
# least so far; the exercise proofs and the planted detectors go to one guest each, after
# its tests and its sweep. One guest by default: a guest of two vCPUs keeps 1.1 to 1.3
# host cores busy, and on this 2-core machine two guests made each test 2.2 times slower
# (vCPUs of one guest waiting on its other, descheduled, vCPU), no gain at all.
nguests=${ND_TEST_GUESTS:-1}
case $nguests in [1-9]) ;; *) nd_die "ND_TEST_GUESTS wants 1 to 9 guests, got '$nguests'" ;; esac
mapfile -t suite < <(cd "$ND_PROJ/qemu/tests" && ls -1 [0-9]*.sh | sort)
if [ -n "${ND_TEST_FILTER:-}" ]; then
	mapfile -t suite < <(printf '%s\n' "${suite[@]}" | grep -E -- "$ND_TEST_FILTER")
fi
want_planted=
if [ -z "${ND_TEST_PLANT:-}" ] && { [ -z "${ND_TEST_FILTER:-}" ] || [ -n "${ND_TEST_PLANTED:-}" ]; }; then
	want_planted=1
fi
# secs_of NAME: whole seconds (a figure copied from a KTAP line, 161.8, is rounded; one
# that is no number counts as 60), so the sharing below never does arithmetic on text.
secs_of() {
	awk -v n="$1" '$1 == n && $2 ~ /^[0-9]+(\.[0-9]*)?$/ { s = int($2 + 0.5); f = 1; exit }
		END { print f ? s : 60 }' "$ND_PROJ/qemu/tests/times"
}
items=()
for t in "${suite[@]}"; do items+=("$(secs_of "${t%.sh}") test $t"); done
[ -n "${ND_TEST_EXERCISES:-}" ] && items+=("$(secs_of exercise-proofs) exercises -")
[ -n "$want_planted" ] && items+=("$(secs_of planted) planted -")
[ "$nguests" -gt ${#items[@]} ] && nguests=${#items[@]}
[ "$nguests" -lt 1 ] && nguests=1
load=() glist=() gex=() gplanted=()
for ((g = 0; g < nguests; g++)); do load[g]=0 glist[g]= gex[g]= gplanted[g]=; done
while read -r secs kind name; do
	[ -n "$kind" ] || continue
	least=0
	for ((g = 1; g < nguests; g++)); do [ "${load[g]}" -lt "${load[least]}" ] && least=$g; done
	load[least]=$((load[least] + secs))
	case $kind in
	test) glist[least]+=" $name" ;;
	exercises) gex[least]=$ND_TEST_EXERCISES ;;
	planted) gplanted[least]=1 ;;
	esac
done < <(printf '%s\n' "${items[@]}" | sort -k1,1nr -k3,3)
# Every test, the proofs and the detectors went somewhere (a loop that stopped early would
# leave a plan that matches a smaller suite); each guest runs its share in file order.
placed=0
for ((g = 0; g < nguests; g++)); do
	read -r -a mine <<<"${glist[g]}"
	placed=$((placed + ${#mine[@]}))
	[ -n "${gex[g]}" ] && placed=$((placed + 1))
	[ -n "${gplanted[g]}" ] && placed=$((placed + 1))
	glist[g]=$(printf '%s\n' "${mine[@]}" | sort | paste -sd' ')
done
[ "$placed" = ${#items[@]} ] || nd_die "the suite's sharing placed $placed of ${#items[@]} items (qemu/tests/times?)"

nd_stage "booting $nguests $flavour kernels; the in-guest tests run in the background (output: $out)"
guest_start=$(date +%s)
guest_pids=()
# Stopped early (Ctrl-C, an error): the guests go too. QEMU stays in this process group
# (a signal to the group reaches it); a TERM to run.sh's child, timeout, is passed on to
# QEMU. Once the guests have been waited for, the list is emptied (no stale pid to hit).
stop_guests() {
	local p
	for p in "${guest_pids[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
}
trap stop_guests EXIT
for ((g = 0; g < nguests; g++)); do
	gout=$out/guest-$((g + 1))
	mkdir -p "$gout"
	nd_info "guest $((g + 1)): ${glist[g]:- no tests}${gex[g]:+ + the exercise proofs}${gplanted[g]:+ + the planted detectors} (about $((load[g] / 60)) min)"
	# "-" is no tests (an empty list would not reach the guest). A PLANT= bug joins the
	# first guest's tests.
	ND_TEST_LIST=${glist[g]# } ND_TEST_PLANTED=${gplanted[g]} ND_TEST_EXERCISES=${gex[g]} \
		ND_TEST_PLANT=$([ "$g" = 0 ] && echo "${ND_TEST_PLANT:-}") \
		bash "$ND_PROJ/qemu/run.sh" --kernel "$flavour" --out "$gout" --timeout "${ND_GUEST_TIMEOUT:-3600}" \
		-- "ND_TEST_LIST=\${ND_TEST_LIST:--} bash $ND_PROJ/qemu/guest/run-tests.sh" >"$gout/ktap.txt" 2>"$gout/run.err" &
	guest_pids+=($!)
done

# --- host-side unit tests (pure logic: header parsing, rule matching) ---------------
if [ -x "$ND_PROJ/scripts/host-test.sh" ] && [ -z "${ND_TEST_FILTER:-}" ]; then
	nd_stage "host unit tests (cargo test)"
	if bash "$ND_PROJ/scripts/host-test.sh" >"$out/host-test.log" 2>&1; then hrc=0; else hrc=1; fi
	grep -E 'FAILED|panicked|^error' "$out/host-test.log" | sed 's/^/# /' || true
	hp=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$out/host-test.log" | awk '{s+=$4} END {print s+0}')
	hf=$(grep -Eo '[0-9]+ failed' "$out/host-test.log" | awk '{s+=$1} END {print s+0}')
	if [ "$hrc" != 0 ] && [ "$hf" = 0 ]; then hf=1; echo "# host tests did not run: see $out/host-test.log"; fi
	echo "# host unit tests (cargo test, rust/host): $hp ok, $hf not ok"
	summary+=("host unit tests: $hp passed, $hf failed")
	passed=$((passed + hp))
	failed=$((failed + hf))
fi


# tool_check KEY STAGE NAME LABEL LOG CMD...: a host check that prints KTAP-style "ok" and
# "not ok" lines, run when T is unset or matches KEY; its counts join the summary as
# LABEL. One that prints neither line did not run, which counts as a failure.
tool_check() {
	local key=$1 stage=$2 name=$3 label=$4 log=$5
	shift 5
	wants "$key" || return 0
	nd_stage "$stage"
	"$@" >"$log" 2>&1
	count_results "$name" "$label" "$log" $?
}

# count_results NAME LABEL LOG RC: the "ok"/"not ok" lines of LOG against its "1..N"
# plan, and its exit status RC, into the summary as LABEL.
count_results() {
	local name=$1 label=$2 log=$3 rc=$4 ok bad plan
	grep -E -A8 '^not ok' "$log" | sed 's/^/# /' || true
	ok=$(grep -c '^ok ' "$log")
	bad=$(grep -c '^not ok ' "$log")
	plan=$(sed -n 's/^1\.\.\([0-9]\+\)$/\1/p' "$log" | head -n 1)
	if [ "$ok" = 0 ] && [ "$bad" = 0 ]; then bad=1; echo "# the $name did not run: see $log"; fi
	# A stage that announced N results and gave fewer stopped early: each missing one
	# fails; and one that failed (its exit status) fails even if every line it gave was ok.
	if [ -n "$plan" ] && [ $((ok + bad)) -lt "$plan" ]; then
		echo "# the $name gave $((ok + bad)) of the $plan results it announced (exit $rc): see $log"
		bad=$((bad + plan - ok - bad))
	elif [ -n "$plan" ] && [ $((ok + bad)) -gt "$plan" ]; then
		# More than announced: the plan or the counting is wrong, and so is this stage.
		echo "# the $name gave $((ok + bad)) results, more than the $plan it announced: see $log"
		bad=$((bad + 1))
	fi
	if [ "$rc" != 0 ] && [ "$bad" = 0 ]; then bad=1; echo "# the $name exited with status $rc: see $log"; fi
	echo "# $name: $ok ok, $bad not ok"
	summary+=("$label: $ok passed, $bad failed")
	passed=$((passed + ok))
	failed=$((failed + bad))
}

# fuzz: every parser target for a few seconds (make fuzz runs them long); a plan of one
# result per target
tool_check fuzz "fuzz targets, ${ND_TEST_FUZZ_SECONDS:-10}s each (rust/host/fuzz)" \
	"fuzz targets (rust/host/fuzz)" "fuzz targets" "$out/fuzz.log" \
	env FUZZ_SECONDS="${ND_TEST_FUZZ_SECONDS:-10}" bash "$ND_PROJ/scripts/fuzz.sh"

# compile-fail: misuses of the kernel-crate abstractions must not build, each for its
# reason (it prints a plan: a case that never ran is missing from it)
tool_check compile-fail "compile-fail check (rust/compile-fail: each misuse must not build, for its reason)" \
	"compile-fail check (rust/compile-fail)" "compile-fail checks" "$out/compile-fail.log" \
	bash "$ND_PROJ/scripts/compile-fail.sh" "$flavour"

# make profile's tool: the QEMU plugin and the report, on the host (seconds)
tool_check tcgprof "profile tool check (qemu/tcgprof: the plugin in this QEMU, the report)" \
	"profile tool check (qemu/tcgprof)" "profile tool checks" "$out/tcgprof.log" \
	bash "$ND_PROJ/qemu/tcgprof/selftest.sh"
# netdive-trace's model on traces recorded in the guest
tool_check trace "trace tool check (qemu/trace: recorded traces give the paths and drops the guest gave)" \
	"trace tool check (qemu/trace)" "trace tool checks" "$out/trace-tool.log" \
	python3 "$ND_PROJ/qemu/trace/selftest.py"
# docs/reference.md: every file:line it gives defines the symbol beside it
tool_check reference "reference check (docs/reference.md against the 6.12 tree)" \
	"reference check (docs/reference.md)" "reference locations" "$out/reference.log" \
	python3 "$ND_PROJ/scripts/check-reference.py" "$ND_KSRC"

# docs/safety.md's count of unsafe is the current one; samples and exercises have none
tool_check unsafe "unsafe count check (docs/safety.md against scripts/unsafe-count.sh)" \
	"unsafe count check" "unsafe count checks" "$out/unsafe-count.log" \
	bash "$ND_PROJ/scripts/unsafe-count.sh" --check

# --- make docs: the rustdoc and the site, every page checked in a headless browser ---
if wants docs; then
	nd_stage "docs check (make docs on the $flavour kernel: rustdoc, the site, a headless browser)"
	if bash "$ND_PROJ/scripts/docs.sh" "$flavour" >"$out/docs.log" 2>&1; then
		dp=$(grep -c '^ok ' "$ND_BUILDROOT/$(nd_key "$flavour")/docs/check.log")
		df=0
	else
		grep -E '^not ok|error' "$out/docs.log" | head -20 | sed 's/^/# /'
		tail -3 "$out/docs.log" | sed 's/^/# /'
		dp=0
		df=1
	fi
	echo "# docs check (rustdoc, site pages: links, images, rendering): $dp ok, $df not ok"
	summary+=("docs checks: $dp passed, $df failed")
	passed=$((passed + dp))
	failed=$((failed + df))
fi

# --- the in-guest suite: wait for it ------------------------------------------------
nd_stage "in-guest tests (running for $(($(date +%s) - guest_start))s so far; output: $out)"
# The guests' results as one KTAP list (renumbered in guest order) and the accounting:
# each guest's results against the plan it printed; a guest that never started, stopped
# early or gave more than it planned fails; and each console is held to the splat
# patterns outside the tests (boot, a guest that died mid-test).
splat=$(paste -sd'|' "$ND_PROJ/qemu/guest/splat-patterns")
ok=0 sk=0 nok=0 pok=0 pnok=0 count=0 body=$out/ktap-body.txt plans=0
: >"$body"
for ((g = 0; g < nguests; g++)); do
	gout=$out/guest-$((g + 1))
	wait "${guest_pids[g]}"
	grc=$?
	unset "guest_pids[g]" # reaped: no stale pid for stop_guests
	G="guest $((g + 1))"
	echo "# $G of $nguests ran for $(($(date +%s) - guest_start))s (its output: $gout)" >>"$body"
	awk -v base="$count" '
		/^KTAP version|^1\.\.[0-9]+$/ { next }
		match($0, /^(not )?ok [0-9]+ /) {
			$0 = ($0 ~ /^not / ? "not ok " : "ok ") (++c + base) " " substr($0, RLENGTH + 1)
		}
		{ print }' "$gout/ktap.txt" >>"$body"
	grep -v '^$' "$gout/run.err" | sed "s/^/# $G: /" >>"$body"
	plan=$(sed -n 's/^1\.\.\([0-9]\+\)$/\1/p' "$gout/ktap.txt" | head -1)
	gok=$(grep -cE '^ok [0-9]+ ' "$gout/ktap.txt")
	gnok=$(grep -cE '^not ok [0-9]+ ' "$gout/ktap.txt")
	count=$((count + gok + gnok))
	ok=$((ok + gok))
	nok=$((nok + gnok))
	sk=$((sk + $(grep -cE '^ok [0-9]+ .*# SKIP' "$gout/ktap.txt")))
	pok=$((pok + $(grep -cE '^ok [0-9]+ planted: ' "$gout/ktap.txt")))
	pnok=$((pnok + $(grep -cE '^not ok [0-9]+ planted: ' "$gout/ktap.txt")))
	reported=$((gok + gnok))
	plans=$((plans + ${plan:-0}))
	read -r -a mine <<<"${glist[g]}"
	if [ -z "$plan" ]; then
		echo "not ok - $G: the test suite did not start (exit $grc)" >>"$body"
		nok=$((nok + 1))
	elif [ "$reported" -lt "$plan" ]; then
		echo "not ok - $G: $((plan - reported)) result(s) never reported: the guest stopped (exit $grc) during its result $((reported + 1))${mine[reported]:+ (${mine[reported]%.sh})}" >>"$body"
		nok=$((nok + plan - reported))
	elif [ "$reported" -gt "$plan" ]; then
		echo "not ok - $G gave $reported results, more than the $plan it announced" >>"$body"
		nok=$((nok + 1))
	elif [ "$grc" != 0 ] && [ "$gnok" = 0 ]; then
		# Every result given and ok, but the guest did not end well (run-tests.sh exits 0).
		echo "not ok - $G exited with status $grc after its last result: see $gout/run.err" >>"$body"
		nok=$((nok + 1))
	fi
	# The exercise proofs and the planted detectors come after a marker: their splats
	# are theirs (on purpose), each held to its own window. A planted detector's line
	# quotes its splat: it does not count as the suite's.
	sed "/netdive: the suite's windows end here/q" "$gout/console.log" >"$gout/console-suite.log"
	if grep -qE "$splat" "$gout/console-suite.log" &&
		! grep -E '^not ok [0-9]+ ' "$gout/ktap.txt" | grep -v ' planted: ' | grep -qE 'splat (in the kernel log|after the last test)'; then
		echo "not ok - $G: kernel splat in the console log outside the tests:" >>"$body"
		grep -E -A20 "$splat" "$gout/console-suite.log" | head -40 | sed 's/^/# /' >>"$body"
		nok=$((nok + 1))
	fi
	[ -f "$gout/exercise-proofs.ktap" ] && cp "$gout/exercise-proofs.ktap" "$out/exercise-proofs.ktap"
done
guest_pids=()
{
	echo "KTAP version 1"
	echo "1..$plans"
	cat "$body"
} >"$out/ktap.txt"
cat "$out/ktap.txt"
echo "# the guests ran for $(($(date +%s) - guest_start))s"

passed=$((passed + ok - sk))
failed=$((failed + nok))
skipped=$((skipped + sk))
# The detectors' proofs (a planted bug each, in the same boot) apart from the tests.
summary+=("guest tests: $((ok - sk - pok)) passed, $((nok - pnok)) failed, $sk skipped")
summary+=("planted detectors: $pok caught, $pnok missed")

# The exercises: the builds' lines and plan, then the proofs the guest ran; a proof the
# guest never reached is missing from the plan, which fails it.
if [ -f "$out/exercise-builds.log" ]; then
	nd_stage "exercise checks (each skeleton fails its checker, each solution passes; in the suite's boot)"
	cat "$out/exercise-builds.log" "$out/exercise-proofs.ktap" >"$out/exercises.log" 2>/dev/null
	grep -E '^(ok|not ok) ' "$out/exercises.log"
	count_results "exercises check (exercises/)" "exercise checks" "$out/exercises.log" 0
fi
echo "# results: $out"
for l in "${summary[@]}"; do echo "# $l"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
