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

# pg_file FILE: sets PG_PATH to FILE in PG_NS's /proc/net/pktgen (in this shell: an
# anchor that died is reported, not lost in a subshell).
pg_file() {
	if [ -z "$PG_NS" ]; then
		PG_PATH=/proc/net/pktgen/$1
		return 0
	fi
	local net=${ND_NET[$PG_NS]:-}
	if [ -z "$net" ] || ! [ "${net%/net}/ns/net" -ef "/run/netns/$PG_NS" ]; then
		echo "pktgen: namespace $PG_NS has no live anchor (testlib's anchor)" >&2
		return 1
	fi
	PG_PATH=$net/pktgen/$1
}

# pg_write FILE LINE: one command to FILE (pgctrl, kpktgend_N or a device), one write,
# made by this shell (a `start` blocks it until the run ends; a signal to it stops the run).
# On a refusal, says which command and why (the errno's text) and fails.
pg_write() {
	# (The error goes to a file of this shell's, rewritten each time: no process.)
	local err=/tmp/.pg-err.$BASHPID why
	if [ "$1" = pgctrl ] && [ -n "$PG_NS" ]; then
		printf '%s\n' "$2" | nsx "$PG_NS" tee /proc/net/pktgen/pgctrl >/dev/null 2>"$err" && return 0
	else
		pg_file "$1" || return 1
		{ printf '%s\n' "$2" >"$PG_PATH"; } 2>"$err" && return 0
	fi
	why=$(<"$err")
	echo "pktgen refused '$2' on $1: ${why##*: }" >&2
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

# pg_result DEV: DEV's "Result:" line; status 0 only if the run ended OK (another
# result is said on stderr too).
pg_result() {
	local line
	pg_file "$1" || return 1
	line=$(grep -m1 'Result:' "$PG_PATH") || { echo "pktgen: no result for $1" >&2; return 1; }
	echo "$line"
	[[ $line == *"Result: OK"* ]] || { echo "pktgen on $1: $line" >&2; return 1; }
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
	pg_file "" || return 1
	dir=$PG_PATH
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
