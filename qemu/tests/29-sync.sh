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
#    a kworker: the UDP port and the thread must go;
#  - an RcuPointer written under a spinlock does not wait (sleep) there;
#  - a fast-path attachment dropped holding the RTNL, or inside a section, is detached by a
#    kworker, and its module cannot go before the program is dropped.
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
dmesg_since_mark | grep -E "rplant: block-in-guard"
[ "$res" = ok ] || fail "block-in-guard: $res (a blocking call inside the section was not refused, or the section was not counted)"
# ss failing must not read as "no socket": its exit status counts.
wait_for "the dropped socket's close" 10 sh -c 'out=$(ss -Huan "sport = :7999") && [ -z "$out" ]'
wait_for "the dropped thread's stop" 10 sh -c "! pgrep -x rplant-guard"
note "ok: rplant block-in-guard (EDEADLK twice; socket closed and thread stopped by a kworker)"

res=$(write_errnos "" /proc/net/rplant "b'rcu-write-in-spinlock'")
dmesg_since_mark | grep -E "rplant: rcu-write-in-spinlock"
[ "$res" = ok ] || fail "rcu-write-in-spinlock: $res"
note "ok: rplant rcu-write-in-spinlock (the writer kept the old object instead of sleeping)"

# A fast-path attachment dropped where it cannot detach in place (holding the RTNL, or
# inside a read-side section): a kworker detaches it, and the program's last count goes
# with the slot's. The program takes 2 s to drop; rplant is unloaded meanwhile, which
# must wait until the drop is over (its module reference is put after the program is
# dropped, never before): "slow program dropped" comes before rplant's "unloading".
modprobe rveth || fail "modprobe rveth"
trap 'ip link del r0 2>/dev/null; rmmod rplant 2>/dev/null' EXIT
must ip link add r0 type rveth peer name r1
for where in under-rtnl in-guard; do
	mark_dmesg
	res=$(write_errnos "" /proc/net/rplant "b'drop-attachment-$where r0'")
	[ "$res" = ok ] || fail "drop-attachment-$where: $res"
	for i in $(seq 100); do
		rmmod rplant 2>/dev/null && break
		sleep 0.05
	done
	! grep -q '^rplant ' /proc/modules || fail "$where: rplant still loaded after 100 tries"
	order=$(dmesg_since_mark | grep -oE "slow program dropped|rplant: unloading" | paste -sd,)
	expect_eq "$order" "slow program dropped,rplant: unloading" "$where: the program's drop, then the module's exit"
	modprobe rplant || fail "modprobe rplant"
done
ip link del r0 || fail "ip link del r0"
rmmod rplant || fail "rmmod rplant"
trap - EXIT
