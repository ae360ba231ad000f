// expect: E0597
// expect: `guard` does not live long enough
// A reference read under RCU may not outlive its read-side section.
use kernel::net::pair::Peer;
use kernel::sync::rcu;

fn misuse(peer: &Peer) -> i32 {
    let dev = {
        let guard = rcu::read_lock();
        peer.get(&guard)
    };
    dev.map_or(0, |d| d.ifindex())
}
