// expect: E0133
// expect: call to unsafe function
// Waiting for a grace period inside a read-side section ends it under the section's own
// references (on a non-preemptible kernel the wait's context switch is this CPU's
// quiescent state), so objects they point at may be freed while still read:
// `rcu::synchronize_rcu` is unsafe. `RcuPointer`'s writers check where they are instead.
use kernel::sync::rcu::{self, RcuPointer};

fn misuse(p: &RcuPointer<kernel::alloc::KBox<u32>>) -> u32 {
    let guard = rcu::read_lock();
    let r = p.get(&guard).map_or(0, |v| *v);
    rcu::synchronize_rcu();
    r
}
