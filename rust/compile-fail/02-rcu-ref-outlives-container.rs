// expect: E0505
// expect: cannot move out of `slot` because it is borrowed
// A reference read under RCU may not outlive the pointer it came from: dropping the
// pointer would let the object go while the reference is used.
use kernel::net::dev::Device;
use kernel::sync::rcu::{self, RcuPointer};
use kernel::types::ARef;

fn misuse(dev: ARef<Device>) -> i32 {
    let guard = rcu::read_lock();
    let slot = RcuPointer::new(dev);
    let borrowed = slot.get(&guard);
    drop(slot);
    borrowed.map_or(0, |d| d.ifindex())
}
