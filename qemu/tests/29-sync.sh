# Synchronisation abstractions used against their grain, from safe code (rplant's misuse
# commands, samples/rplant.rs):
#  - an RcuPointer cleared inside the read-side section that borrows its object: the
#    writer must not wait for a grace period there (on a non-preemptible kernel the wait's
#    context switch ends the grace period under the reference, and the object is freed
#    while still read: "Illegal synchronize_rcu() in RCU read-side critical section",
#    "scheduling while atomic", KASAN use-after-free); the object must read back intact;
#  - two SpinLockIrq guards dropped out of order (A, B taken; A dropped first): interrupts
#    stay off while B is held and come back on after (Rust-for-Linux issue #998), and the
#    write returns to user space with interrupts on ("syscall ... left IRQs disabled");
#  - blocking calls inside an rcu::read_lock() section (block-in-guard): making a socket
#    and taking the RTNL must fail with EDEADLK, not sleep ("BUG: sleeping function called
#    from invalid context"); a socket and a thread dropped there are closed and stopped by
#    a kworker: the UDP port and the thread must go.
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

res=$(write_errnos "" /proc/net/rplant "b'block-in-guard'")
dmesg_since_mark | grep -E "rplant: block-in-guard|refused \(EDEADLK\)"
[ "$res" = ok ] || fail "block-in-guard: $res (a blocking call inside the section was not refused)"
dmesg_since_mark | grep -q "blocking call inside an RCU read-side section .* was refused (EDEADLK)" ||
	fail "block-in-guard: no refusal note in the kernel log"
wait_for "the dropped socket's close" 10 sh -c "[ \$(ss -Huan 'sport = :7999' | wc -l) = 0 ]"
wait_for "the dropped thread's stop" 10 sh -c "! pgrep -x rplant-guard"
note "ok: rplant block-in-guard (EDEADLK twice; socket closed and thread stopped by a kworker)"
rmmod rplant || fail "rmmod rplant"
trap - EXIT
