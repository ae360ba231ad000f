# SPDX-License-Identifier: GPL-2.0
# Sourced in the guest by scripts that `make profile` runs under QEMU's tbcount plugin
# (qemu/tcgprof/tbcount.c). The plugin counts every translation block the vCPUs run and
# writes the counts out, zeroed after, each time the kernel enters proc_do_uts_string,
# the handler of /proc/sys/kernel/hostname: a write there (a shell builtin, no process
# to start) is the window mark. prof_mark NAME [UNITS UNIT] closes the current window
# and names it; UNITS of UNIT is what the window did (frames sent, bytes received), so
# the report can give costs per packet or per MB. NAME "-" closes a set-up window,
# which the report leaves out: bracket the work as `prof_mark -; work; prof_mark NAME`.
PROF_DIR=${ND_OUT:?}/tcgprof
mkdir -p "$PROF_DIR"
: >"$PROF_DIR/marks"
prof_mark() {
	local n
	mapfile -t n <"$PROF_DIR/marks"
	n=${#n[@]}
	echo "$1 ${2:-1} ${3:-window}" >>"$PROF_DIR/marks"
	echo netdive >/proc/sys/kernel/hostname
	# Module addresses change when a module is reloaded: the report maps each window
	# with the symbols of its own time (after the mark, so the copy costs it nothing).
	[ "$1" = - ] || grep '\[' /proc/kallsyms >"$PROF_DIR/kallsyms.$n"
}
