# SPDX-License-Identifier: GPL-2.0
# What the kernel saw, for run-tests.sh and soak.sh (sourced): its log read by sequence
# number, the splat patterns, and sk_buff and page balances.
#
# kcheck_start FILE starts a reader that copies every /dev/kmsg record to FILE
# (kmsg.py; a gap in the sequence, a wrapped ring, is written as a splat of its own);
# mark TEXT puts TEXT in the log and prints its line number in FILE once the reader has
# copied it, so a window between two marks holds everything logged between them.

kcheck_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# One extended regex per line of splat-patterns, shared with the host's console check.
SPLAT=$(paste -sd'|' "$kcheck_dir/splat-patterns")
# Margins for the balances. sk_buffs are counted exactly (slab_objs), so the margin is
# what the stack itself keeps per CPU: up to 64 heads in NAPI's cache
# (NAPI_SKB_CACHE_SIZE, net/core/skbuff.c) and up to 64 freed sk_buffs waiting on the
# CPU's defer list for its next softirq (net.core.skb_defer_max). Pages: the CPUs' free
# page lists and page-pool rings hold pages no /proc/meminfo line shows; measured over
# the suite (2026-12-07, 2 CPUs), a test left at most 834 more than it found (each run's
# balances.txt has the figures), so 2048; the whole run has its own (run-tests.sh).
export SKB_MARGIN=${ND_SKB_MARGIN:-$((128 * $(nproc)))}
PAGE_MARGIN=${ND_PAGE_MARGIN:-2048}

# secs_since START: seconds since START (${EPOCHREALTIME/./}, in microseconds), to a tenth.
secs_since() {
	local d=$(((${EPOCHREALTIME/./} - $1) / 100000))
	echo "$((d / 10)).$((d % 10))"
}

kcheck_start() {
	KMSG=$1
	: >"$KMSG"
	rm -rf "$KMSG.blind" "$KMSG.marks"
	# Every line written to /dev/kmsg is kept (the marks, a test's own lines): by
	# default the kernel drops user lines past 10 per 5 s (printk.devkmsg=ratelimit).
	sysctl -qw kernel.printk_devkmsg=on
	python3 -S "$kcheck_dir/kmsg.py" "$KMSG" &
	KMSG_PID=$!
}
kcheck_stop() { kill "$KMSG_PID" 2>/dev/null; }

mark() {
	# Unique in the boot (the time in microseconds and this shell's pid; $RANDOM repeats
	# in subshells): an answer to an earlier mark cannot be taken for this one's.
	local id=${EPOCHREALTIME/./}$BASHPID line text deadline
	echo "netdive-mark $1 $id" >/dev/kmsg
	# The reader answers with the mark's line number and text (kmsg.py): builtins only.
	deadline=$((${EPOCHREALTIME/./} + 60000000))
	while [ "${EPOCHREALTIME/./}" -lt $deadline ]; do
		# A dead reader answers nothing: no need to wait it out.
		kill -0 "$KMSG_PID" 2>/dev/null || {
			echo "the kernel log reader died (seen at mark '$1')" >>"$KMSG.blind"
			break
		}
		if [ -e "$KMSG.marks/$id" ] && read -r line text <"$KMSG.marks/$id" &&
			[ "$text" = "netdive-mark $1 $id" ]; then
			echo "$line"
			return
		fi
		sleep 0.1
	done
	if kill -0 "$KMSG_PID" 2>/dev/null; then
		echo "netdive: the kernel log reader fell behind by 60 s" >&2
		echo "fell behind by 60 s at mark '$1'" >>"$KMSG.blind"
	fi
	wc -l <"$KMSG"
}
# kcheck_blind: why the log windows can no longer be trusted (the reader died, or fell
# behind a mark), or nothing; a window the reader did not fill holds no splat, whatever
# happened.
kcheck_blind() {
	if ! kill -0 "$KMSG_PID" 2>/dev/null; then
		echo "the kernel log reader died"
	elif [ -s "$KMSG.blind" ]; then
		head -n 1 "$KMSG.blind"
	fi
	return 0
}
# window FROM TO: the log records between two marks (line numbers), without sequence numbers.
window() { sed -n "$1,$2{s/^[^ ]* //;p}" "$KMSG"; }
# splats FROM TO: the splat lines in a window (one process: this runs after every test).
# (The patterns reach awk through its environment: -v would take their backslashes.)
splats() {
	ND_SPLAT=$SPLAT awk -v a="$1" -v b="$2" \
		'NR > b { exit } NR >= a { sub(/^[^ ]* /, ""); if ($0 ~ ENVIRON["ND_SPLAT"]) print }' "$KMSG"
}
# show_splat FROM TO: the first splats of a window with their context, as diagnostics.
show_splat() { window "$1" "$2" | grep -E -A25 "$SPLAT" | head -60 | sed 's/^/# | /'; }

# slab_objs GLOB: the objects in use in the slab caches named GLOB, counted exactly. SLUB's
# /proc/slabinfo counts an object as active until its slab reaches the node's partial
# list (one freed into a CPU's slab still counts), and KASAN's quarantine holds every
# freed object back from its slab for a while (megabytes of them: after a test's ping
# flood, 10,215 sk_buffs read as active that were all freed). Writing the cache's
# `shrink` file first (kmem_cache_shrink, mm/slab_common.c) empties the quarantine of
# that cache (kasan_cache_shrink) and flushes the CPUs' slabs (__kmem_cache_shrink,
# mm/slub.c), so the count that follows is what the kernel has not freed. Builtins only.
# Fails, printing nothing, if no cache of that name has a line of its own (merged into
# another: the test kernel boots with slab_nomerge) or /proc/slabinfo cannot be read.
slab_objs() {
	local f l n=0 seen= lines fields
	[ -r /proc/slabinfo ] || return 1
	for f in /sys/kernel/slab/$1/shrink; do
		[ -e "$f" ] && echo 1 >"$f" 2>/dev/null
	done
	# Read to its end in one go: `while read` would seek back after every line, and a
	# seq_file renders itself again from the start at each seek (hundreds of caches).
	mapfile -t lines </proc/slabinfo || return 1
	for l in "${lines[@]}"; do
		# shellcheck disable=SC2053 # GLOB is a pattern
		[[ ${l%% *} == $1 ]] || continue
		read -r -a fields <<<"$l"
		n=$((n + fields[1])) seen=1
	done
	[ -n "$seen" ] || return 1
	echo $n
}
# skb_objs: sk_buff heads allocated (all skbuff_* caches); pages_held: pages in use that
# no /proc/meminfo category accounts for (driver and page-pool pages, large kmallocs),
# in pages.
skb_objs() { slab_objs 'skbuff_*'; }
pages_held() {
	local k l used=0 lines
	local -A m
	mapfile -t lines </proc/meminfo || return 1
	for l in "${lines[@]}"; do
		[[ $l =~ ^([^ ]+)\ +([0-9]+) ]] && m[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
	done
	for k in MemFree: Buffers: Cached: SwapCached: AnonPages: Slab: KernelStack: PageTables: \
		SecPageTables: Percpu: VmallocUsed:; do
		used=$((used - ${m[$k]:-0}))
	done
	echo $(((${m[MemTotal:]:-0} + used) / 4))
}
# balanced NOW-CMD BEFORE MARGIN: waits up to BALANCE_WAIT seconds (60) for NOW-CMD to
# come back to within MARGIN of BEFORE; prints the excess if it does not. What a
# namespace's devices and sockets held is freed by its teardown, a work item
# (cleanup_net, net/core/net_namespace.c) that waits for RCU.
# Returns 2 if NOW-CMD cannot count.
balanced() {
	local cmd=$1 before=$2 margin=$3 now deadline
	deadline=$((${EPOCHREALTIME/./} + ${BALANCE_WAIT:-60} * 1000000))
	[ -n "$before" ] || return 2
	while :; do
		now=$($cmd) || return 2
		[ "$now" -le $((before + margin)) ] && return 0
		[ "${EPOCHREALTIME/./}" -lt $deadline ] || break
		sleep 0.2
	done
	echo $((now - before))
	return 1
}
# leak_since SKB0 PAGES0: says what did not come back since the balances were read.
leak_since() {
	local excess rc
	excess=$(balanced skb_objs "$1" "$SKB_MARGIN")
	rc=$?
	if [ $rc = 2 ]; then
		echo "sk_buffs cannot be counted (no skbuff_* cache of its own in /proc/slabinfo)"
	elif [ $rc = 1 ]; then
		echo "$excess sk_buffs not freed (skbuff_* slab objects, margin $SKB_MARGIN)"
	elif ! excess=$(balanced pages_held "$2" "$PAGE_MARGIN"); then
		echo "$excess pages not returned (unaccounted pages, margin $PAGE_MARGIN)"
	fi
}
# netns_left: network namespaces still alive that nothing named holds (call after
# settle): 0 when every one the run made is gone. A dead namespace's struct net is freed
# by the next teardown round (cleanup_net frees the previous round's batch first,
# net_complete_free, net/core/net_namespace.c), so the count alone cannot tell a leaked
# namespace from a freed one: a throwaway namespace (unshare -n) starts a round, after
# which the only struct net left should be the throwaway's own. If that round took a
# namespace still being torn down with it (both then wait for a next round), the count
# stops moving: after 10 s without a change, another throwaway. Up to 90 s in all.
netns_left() {
	local n last= still=0 deadline=$((${EPOCHREALTIME/./} + 90000000))
	unshare -n true || { echo "? (unshare -n failed)"; return 1; }
	while :; do
		n=$(slab_objs net_namespace) || { echo "? (no net_namespace cache in /proc/slabinfo)"; return 1; }
		[ "$n" -le 1 ] && { echo 0; return 0; }
		[ "${EPOCHREALTIME/./}" -lt $deadline ] || break
		if [ "$n" = "$last" ]; then
			still=$((still + 1))
		else
			still=0 last=$n
		fi
		if [ $still -ge 20 ]; then
			unshare -n true || { echo "? (unshare -n failed)"; return 1; }
			still=0
		fi
		sleep 0.5
	done
	echo "$((n - 1))$(netns_holders)"
}
# netns_holders: the processes living in a network namespace other than PID 1's (a
# process a test left behind keeps its namespace alive), as " (held by: COMM[PID] ...)".
netns_holders() {
	local p comm list=
	for p in /proc/[0-9]*; do
		[ -e "$p/ns/net" ] || continue
		[ "$p/ns/net" -ef /proc/1/ns/net ] && continue
		read -r -d '' comm <"$p/cmdline" 2>/dev/null
		[ -n "$comm" ] || read -r comm <"$p/comm" 2>/dev/null || continue
		list+=" ${comm##*/}[${p#/proc/}]"
	done
	[ -n "$list" ] && echo " (held by:$list)"
	return 0
}
# settle: whatever a test left (it may have failed before its cleanup) is removed:
# pktgen devices, nftables rules, namespaces, virtual devices here, our modules.
# Devices and namespaces go away in work items and RCU callbacks.
settle() {
	# Each process costs about 0.3 s on the debug kernel under TCG: what needs no change
	# starts none (bash builtins read /proc and /run; one `ip` lists every device).
	local t dev kind line removed=0 m pid comm
	# Anchors a test left in its namespaces (testlib's anchor): while one lives, its
	# namespace cannot go.
	if [ -s /tmp/nd-anchors ]; then
		while read -r pid; do
			read -r comm 2>/dev/null <"/proc/$pid/comm" && [ "$comm" = sleep ] && kill "$pid" 2>/dev/null
		done </tmp/nd-anchors
		: >/tmp/nd-anchors
		removed=1
	fi
	# Any other process still living in a test's namespace keeps it alive (a server a
	# test started through a function in the background, whose subshell it killed): so
	# said, and killed.
	for t in /proc/[0-9]*; do
		[ -e "$t/ns/net" ] && ! [ "$t/ns/net" -ef /proc/1/ns/net ] || continue
		read -r comm 2>/dev/null <"$t/comm" || continue
		# (An anchor killed just above may not have gone yet.)
		[ "$comm" = sleep ] ||
			echo "# settle: killed ${comm}[${t#/proc/}], left running in another network namespace"
		kill -9 "${t#/proc/}" 2>/dev/null
		removed=1
	done
	[ -e /proc/net/pktgen/pgctrl ] && echo stop >/proc/net/pktgen/pgctrl 2>/dev/null
	for t in /proc/net/pktgen/kpktgend_*; do [ -e "$t" ] && echo rem_device_all >"$t" 2>/dev/null; done
	# (nf_tables is built in: no cheaper sign of rules left than asking nft.)
	command -v nft >/dev/null && nft flush ruleset 2>/dev/null
	if compgen -G "/run/netns/*" >/dev/null; then
		ip -all netns delete 2>/dev/null
		removed=1
	fi
	# "N: NAME[@PEER]: <...> ... \    KIND ..." (ip -d -o): the test devices' kinds.
	while read -r line; do
		[[ $line =~ ^[0-9]+:\ ([^:@]+)[@:].*\\\ +(veth|dummy|rveth|rdummy)\  ]] || continue
		dev=${BASH_REMATCH[1]}
		ip link del "$dev" 2>/dev/null
		removed=1
	done < <(ip -d -o link show 2>/dev/null)
	for m in rplant rsock rxdp rroute rfilter rveth rdummy; do
		while read -r line; do
			[[ $line == "$m "* ]] || continue
			rmmod "$m" 2>/dev/null
			removed=1
			break
		done </proc/modules
	done
	# Devices and namespaces go in work items and RCU callbacks: a moment for them.
	[ $removed = 1 ] && sleep 0.5
	return 0
}
# kmemleak_scan: scans now (the debug kernel has kmemleak; the lab kernel does not), twice:
# an object is reported only once it is 5 s old and unreferenced in a scan after the one
# that first saw its contents (a changed checksum keeps it gray for one scan,
# mm/kmemleak.c kmemleak_scan), so one scan misses every leak younger than the last
# scan. Fails if kmemleak refuses (turned itself off after an error, or off at boot).
KMEMLEAK=/sys/kernel/debug/kmemleak
kmemleak_scan() {
	[ -e $KMEMLEAK ] || return 0
	# Objects younger than 5 s are not reported: a judgement waits until the last thing
	# judged is older. The boot's scan does not (`kmemleak_scan boot`): the boot ended a
	# minute ago, and what the harness allocated since is the run's.
	[ "${1:-}" = boot ] || sleep 6
	echo scan >$KMEMLEAK 2>/dev/null && echo scan >$KMEMLEAK 2>/dev/null
}
# kmemleak_reported FILE: the objects kmemleak reports now (no scan), "ADDRESS JIFFIES"
# (where and when each was allocated), to tell a later report's new objects from these.
kmemleak_reported() {
	: >"$1"
	[ -e $KMEMLEAK ] || return 0
	awk '/^unreferenced object/ {addr = $3} /^  comm .* jiffies / {print addr, $NF}' $KMEMLEAK >"$1"
}
# kmemleak_new BEFORE OUT: scans, then writes to OUT the objects reported that are
# not in BEFORE (kmemleak_reported: the same address allocated at the same jiffy, so a
# new object at a reused address counts) and not planted (rplant's `memory-leak` blocks,
# whose first bytes read `ndplant!`), whoever allocated them, and prints "NEW PLANTED":
# their counts (planted blocks not in BEFORE either). Fails (printing nothing) if kmemleak does not scan.
kmemleak_new() {
	: >"$2"
	[ -e $KMEMLEAK ] || { echo "0 0"; return 0; }
	kmemleak_scan || return 1
	awk -v before="$1" -v out="$2" '
		function judge() {
			if (blk == "") return
			if ((addr " " jif) in old) {
				# reported before: not from this scan
			} else if (blk ~ /ndplant!/) {
				planted++
			} else {
				fresh++
				print blk > out
			}
			blk = ""
		}
		BEGIN { while ((getline a < before) > 0) old[a] = 1 }
		/^unreferenced object/ { judge(); addr = $3; jif = ""; blk = $0; next }
		/^  comm .* jiffies / { jif = $NF }
		{ if (blk != "") blk = blk "\n" $0 }
		END { judge(); print fresh + 0, planted + 0 }' $KMEMLEAK
}
