# Synchronisation abstractions used against their grain, from safe code (rplant's misuse
# commands, samples/rplant.rs):
#  - an RcuPointer cleared inside the read-side section that borrows its object: the
#    writer must not wait for a grace period there (on a non-preemptible kernel the wait's
#    context switch ends the grace period under the reference, and the object is freed
#    while still read: "Illegal synchronize_rcu() in RCU read-side critical section",
#    "scheduling while atomic", KASAN use-after-free); the object must read back intact;
#  - two SpinLockIrq guards dropped out of order (A, B taken; A dropped first): interrupts
#    stay off while B is held and come back on after (Rust-for-Linux issue #998), and the
#    write returns to user space with interrupts on ("syscall ... left IRQs disabled").
# The harness fails the test on any splat in its window.
. "$(dirname "$0")/../guest/testlib.sh"
modprobe rplant || fail "modprobe rplant"
trap 'rmmod rplant 2>/dev/null' EXIT
mark_dmesg
bad=()
for cmd in rcu-write-in-guard rcu-write-in-bh-guard irq-order; do
	res=$(write_errnos "" /proc/net/rplant "b'$cmd'")
	dmesg_since_mark | grep -E "rplant: (rcu-write-in|irq-order)" | tail -n 1
	if [ "$res" = ok ]; then note "ok: rplant $cmd"; else bad+=("$cmd: $res"); fi
done
[ ${#bad[@]} = 0 ] || fail "rplant refused: ${bad[*]}"
rmmod rplant || fail "rmmod rplant"
trap - EXIT
