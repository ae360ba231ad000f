# SPDX-License-Identifier: GPL-2.0
# The kernel's packet generator, pktgen (net/core/pktgen.c; its manual is
# Documentation/networking/pktgen.rst), for the tests, the soak and the bench (sourced
# after testlib.sh). pktgen is per network namespace: /proc/net/pktgen holds `pgctrl`
# (start, stop), a file per kernel thread `kpktgend_N` (add_device, rem_device_all) and a
# file per device it sends on (its settings, and its "Result:" line when a run ends).
#
# Every function returns a status and says why on stderr; a test wraps them in `|| fail`,
# the soak in its checks, the bench in `die`. PG_NS names the namespace whose pktgen is
# used (empty: the initial one). Thread and device files are written through the
# namespace's anchor (testlib's `anchor`), no process; `pgctrl` is written from inside the
# namespace, as pgctrl_write acts on the writer's (current's) namespace.
PG_NS=${PG_NS:-}

# pg_file FILE: the path of FILE in PG_NS's /proc/net/pktgen.
pg_file() {
	if [ -z "$PG_NS" ]; then
		echo "/proc/net/pktgen/$1"
	else
		anchored "$PG_NS" "pktgen/$1" && echo "$NET_PATH"
	fi
}

# pg_write FILE LINE: one command to FILE (pgctrl, kpktgend_N or a device), one write.
pg_write() {
	local f err
	if [ "$1" = pgctrl ] && [ -n "$PG_NS" ]; then
		err=$(nsx "$PG_NS" sh -c "echo '$2' >/proc/net/pktgen/pgctrl" 2>&1) && return 0
	else
		f=$(pg_file "$1") || return 1
		err=$( { printf '%s\n' "$2" >"$f"; } 2>&1) && return 0
	fi
	echo "pktgen refused '$2' on $1: ${err##*: }" >&2
	return 1
}

# pg_add THREAD DEV: DEV (or DEV@Q, a second entry for the same device) joins kernel
# thread THREAD's list.
pg_add() { pg_write "kpktgend_$1" "add_device $2"; }

# pg_setup DEV SETTING...: each SETTING ("count 1000", "dst_mac ...") written to DEV's
# file, in order; stops at the first refused.
pg_setup() {
	local dev=$1 s
	shift
	for s in "$@"; do pg_write "$dev" "$s" || return 1; done
}

# pg_run: starts every device added and returns when each has sent its count (pgctrl's
# write blocks until then); run it in the background for a flood without end (count 0),
# which pg_clear stops.
pg_run() { pg_write pgctrl start; }

# pg_result DEV: DEV's "Result:" line; status 0 only if the run ended OK.
pg_result() {
	local f line
	f=$(pg_file "$1") || return 1
	line=$(grep -m1 'Result:' "$f") || { echo "pktgen: no result for $1" >&2; return 1; }
	echo "$line"
	[[ $line == *"Result: OK"* ]]
}

# pg_usec DEV: the microseconds DEV's last run took (its "Result: OK: N(...)" line).
pg_usec() {
	local line
	line=$(pg_result "$1") || return 1
	line=${line#*Result: OK: }
	echo "${line%%(*}"
}

# pg_clear: every run stopped and every device taken off every thread; returns once
# their files are gone (a device entry is freed by its thread).
pg_clear() {
	local dir t i left
	dir=$(pg_file "") || return 1
	[ -e "${dir}pgctrl" ] || return 0
	pg_write pgctrl stop
	for t in "$dir"kpktgend_*; do printf 'rem_device_all\n' >"$t" 2>/dev/null; done
	for ((i = 0; i < 50; i++)); do
		left=
		for t in "$dir"*; do
			case ${t##*/} in pgctrl | kpktgend_*) ;; *) left=${t##*/} ;; esac
		done
		[ -z "$left" ] && return 0
		sleep 0.2
	done
	echo "pktgen: $left still listed 10 s after rem_device_all" >&2
	return 1
}
