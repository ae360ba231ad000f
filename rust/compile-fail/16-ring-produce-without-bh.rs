// expect: E0308
// expect: expected `&BhGuard`, found `&Guard`
// A ring's producer lock is also taken in softirq context: producing needs bottom halves
// off (a `BhGuard`), a plain RCU read-side section is not enough.
use kernel::net::{ring::PtrRing, skb::OwnedSkBuff};
use kernel::sync::rcu;

fn misuse(ring: &PtrRing<OwnedSkBuff>, skb: OwnedSkBuff) {
    let guard = rcu::read_lock();
    let _ = ring.produce(skb, &guard);
}
