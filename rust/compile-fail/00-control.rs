// expect: compiles
// The control: the same kind of code, used as the abstractions allow, builds. If it did
// not, every "expected" failure below could be the harness's fault.
use kernel::net::{dev::Device, napi, pair::Peer, rtnl, skb::SkBuff, stats::Counter};
use kernel::sync::rcu;

fn reads(peer: &Peer, dev: &Device, skb: &SkBuff) -> usize {
    let guard = rcu::read_lock();
    let index = peer.get(&guard).map_or(0, |d| d.ifindex());
    let rtnl = rtnl::lock();
    let _net = dev.net(&rtnl);
    index as usize + skb.data().len()
}

fn counts<Q: napi::Poll>(c: &Counter, ctx: &napi::Context<'_, Q>) {
    c.inc(ctx);
}

fn echoes(sock: &kernel::net::socket::Socket, t: &kernel::kthread::ThreadContext) {
    let mut buf = [0u8; 64];
    if let Ok((n, Some(from))) = sock.recv(&mut buf, t.sleepable()) {
        let _ = sock.send(&buf[..n], Some(from), t.sleepable());
    }
}

// A writer may be called anywhere: inside a read-side section it does not wait (it keeps
// the old object for a later write or the pointer's drop), so it cannot free what `r`
// still borrows.
fn writes(p: &kernel::sync::rcu::RcuPointer<kernel::alloc::KBox<u32>>) -> u32 {
    let guard = rcu::read_lock();
    let r = p.get(&guard).map_or(&0, |v| v);
    p.set(None);
    *r
}
