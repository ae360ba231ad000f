#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a lab kernel in QEMU with the host's filesystem as the guest's root.
#
#   qemu/run.sh [--kernel lab|test] [--timeout S] [--out DIR] -- 'shell command'
#   qemu/run.sh [--kernel lab|test] --shell
#   qemu/run.sh ... --plugin 'SO,ARG=VALUE,...' -- '...'   a TCG plugin (make profile)
#
# The guest sees the host's / read-only over 9p (so the project and the host's tools
# are at the same paths), with tmpfs on /tmp, and our modules on /lib/modules. Only the
# run's output directory is shared writable. The command's output streams to stdout;
# the kernel console goes to <out>/console.log. The exit status is the command's.
set -uo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
nd_setup_vars

flavour=lab
timeout=600
out=
mode=cmd
mem=
plugin=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) flavour=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--shell) mode=shell; shift ;;
	--plugin) plugin=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
cmd="$*"
[ "$mode" = shell ] || [ -n "$cmd" ] || nd_die "no command given (usage: make run CMD='uname -r')"
case $timeout in '' | *[!0-9]*) nd_die "--timeout wants seconds, got '$timeout'" ;; esac

B=$(nd_build_dir "$flavour")
KERNEL=$B/arch/x86/boot/bzImage
MODS=$(nd_mods_dir "$flavour")
[ -f "$KERNEL" ] || nd_die "no $flavour kernel at $KERNEL" "build it first: make build (or make lab / make test)"
KREL=$(cat "$B/include/config/kernel.release")
: "${mem:=$([ "$flavour" = test ] && echo 2G || echo 1G)}"

# While this guest runs, no build replaces the modules it mounted (scripts/build.sh takes
# this lock exclusively for the swap).
mkdir -p "$ND_BUILDROOT"
exec 8>"$ND_BUILDROOT/.run-$flavour.lock"
flock -s 8

out=${out:-$(nd_runs_dir "$flavour")/$(date +%Y%m%d-%H%M%S)-$$}
mkdir -p "$out"
# Keep the 30 newest runs of this kernel; older ones only fill the disk.
ls -1dt "$(nd_runs_dir "$flavour")"/*/ 2>/dev/null | tail -n +31 | xargs -r rm -rf
out=$(cd "$out" && pwd)
rm -f "$out/exit-status" "$out/console.log"

# The command runs from the caller's directory, with the caller's useful environment.
printf '%s\n' "$PWD" >"$out/cwd"
{
	for v in $(compgen -v | grep -E '^ND_(TEST|BENCH|SOAK)_|^ND_VERBOSE$'); do
		[ -n "${!v:-}" ] && echo "export $v=$(printf '%q' "${!v}")"
	done
	echo "export ND_OUT=$(printf '%q' "$out")"
	printf '%s\n' "$cmd"
} >"$out/cmd.sh"

# --- accelerator: KVM only where a real guest runs; the answer is cached per machine ---
accel_args() {
	local probe=$ND_CACHE/kvm-probe
	if [ "${NETDIVE_ACCEL:-}" = tcg ]; then echo "-accel tcg -cpu max"; return; fi
	if [ ! -f "$probe" ] || [ "$(head -1 "$probe")" != "$KERNEL $(stat -c %Y "$KERNEL")" ]; then
		local verdict=tcg
		if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
			# A normal guest boot must get as far as looking for init (and panic without one) in 20 s.
			if timeout -k 2 20 qemu-system-x86_64 -accel kvm -cpu host -m 256M -nodefaults \
				-no-user-config -display none -no-reboot -serial stdio -kernel "$KERNEL" \
				-append "console=ttyS0 panic=-1 rdinit=/netdive-kvm-probe" 2>/dev/null |
				grep -q 'Kernel panic'; then
				verdict=kvm
			fi
		fi
		# Written whole, then renamed: a guest started beside this one reads the old
		# answer or the new, never half a file.
		printf '%s\n%s\n' "$KERNEL $(stat -c %Y "$KERNEL")" "$verdict" >"$probe.$$"
		mv -f "$probe.$$" "$probe"
	fi
	if [ "$(tail -1 "$probe")" = kvm ]; then
		echo "-accel kvm -cpu host"
	else
		[ -e /dev/kvm ] && echo "netdive: /dev/kvm cannot run a guest kernel here; using TCG (software emulation)" >&2
		[ -e /dev/kvm ] || echo "netdive: no KVM; using TCG (software emulation)" >&2
		echo "-accel tcg,thread=multi -cpu max"
	fi
}
ACCEL=$(accel_args)
# A TCG plugin sees only what TCG translates: with one, the guest runs under TCG.
[ -n "$plugin" ] && ACCEL="-accel tcg,thread=multi -cpu max -plugin $plugin"

append=(
	console=ttyS0 loglevel=$([ "$mode" = shell ] && echo 4 || echo 6) panic=-1 oops=panic panic_on_warn=0
	root=netdive-root rootfstype=9p "rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose" ro
	init="$ND_PROJ/qemu/guest/init"
	netdive.out="$out" netdive.mods="$MODS/lib/modules" netdive.mode="$mode"
	tsc=reliable no_timer_check noreplace-smp rcupdate.rcu_expedited=1 rcupdate.rcu_cpu_stall_timeout=300
	# The debug kernel's soft-lockup detector reports a CPU held 2 x watchdog_thresh in the
	# kernel: 120 s, not 20, under TCG with the host's checks running beside the guest.
	watchdog_thresh=60
	# ACPI PCI interrupt routing (_PRT) is AML the debug kernel interprets so slowly under
	# TCG that it times out (AE_AML_LOOP_TIMEOUT, 30 s per device); virtio uses MSI-X.
	pci=noacpi
	# 4-level paging. TCG's `-cpu max` offers LA57, and while identify_boot_cpu() rebuilds
	# the boot CPU's feature bits, pgtable_l5_enabled() briefly reads false: KASAN then
	# computes its shadow start for 4 levels and calls an interrupt handler's access to the
	# 5-level direct map (0xff11...) a "wild-memory-access" (seen once in ten boots).
	no5lvl
)
# The debug kernel: every KASAN report, not only the first; a larger log ring (the
# harness reads it record by record anyway); sk_buff caches not merged with others, so
# /proc/slabinfo counts them alone.
[ "$flavour" = test ] && append+=(kasan_multi_shot log_buf_len=1M slab_nomerge)

qemu=(
	qemu-system-x86_64 $ACCEL -m "$mem" -smp 2 -nodefaults -no-user-config -display none -no-reboot
	-kernel "$KERNEL" -append "${append[*]}"
	-fsdev "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap"
	-device "virtio-9p-pci,fsdev=root,mount_tag=netdive-root"
	-fsdev "local,id=out,path=$out,security_model=none"
	-device "virtio-9p-pci,fsdev=out,mount_tag=netdive-out"
	-device virtio-rng-pci
)

if [ "$mode" = shell ]; then
	# Console and shell share the terminal; Ctrl-a x quits QEMU.
	echo "netdive: booting the $flavour kernel $KREL; 'exit' (or Ctrl-a x) leaves the guest" >&2
	"${qemu[@]}" -serial mon:stdio
	exit 0
fi

# Batch: console to a file, the command's output on a second serial port to stdout.
# QEMU stays in the terminal's process group (--foreground), so Ctrl-C reaches it at once
# and it exits; this script then stops too.
trap 'echo "netdive: interrupted; the guest was stopped" >&2; exit 130' INT TERM
timeout --foreground -k 5 "$timeout" "${qemu[@]}" \
	-chardev "file,id=con,path=$out/console.log" -serial chardev:con \
	-chardev "stdio,id=cmdout,signal=off" -serial chardev:cmdout </dev/null
qrc=$?

if [ -f "$out/exit-status" ]; then
	rc=$(cat "$out/exit-status")
	exit "${rc:-1}"
fi
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	msg="the guest did not finish within ${timeout}s (timeout)"
elif grep -q 'Kernel panic' "$out/console.log" 2>/dev/null; then
	msg="the guest kernel panicked"
else
	msg="the guest stopped without reporting an exit status (QEMU exit $qrc)"
fi
echo "----- last 50 console lines ($out/console.log) -----" >&2
tail -n 50 "$out/console.log" >&2 2>/dev/null
nd_die "$msg"
