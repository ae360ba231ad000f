// expect: compiles
// The control: the same kind of code, used as the abstractions allow, builds. If it did
// not, every "expected" failure below could be the harness's fault.
use kernel::net::{dev::Device, napi, pair::Peer, rtnl, skb::SkBuff, stats::Counter};
use kernel::prelude::*;
use kernel::sync::{rcu, sleep::Sleepable};

fn reads(peer: &Peer, dev: &Device, skb: &SkBuff, ctx: &mut Sleepable) -> Result<usize> {
    let index = {
        let guard = rcu::read_lock();
        peer.get(&guard).map_or(0, |d| d.ifindex())
    };
    // Outside the read-side section: taking the RTNL inside it would be refused (EDEADLK).
    let rtnl = rtnl::lock(ctx)?;
    let _net = dev.net(&rtnl);
    // Under the RTNL the context may still sleep, with the capability lent back.
    rtnl.sleepable().might_sleep();
    drop(rtnl);
    // Once the guard is gone, the RTNL may be taken again.
    let _again = rtnl::lock(ctx)?;
    Ok(index as usize + skb.data().len())
}

fn counts<Q: napi::Poll>(c: &Counter, ctx: &napi::Context<'_, Q>) {
    c.inc(ctx);
}

fn locks_in_thread(t: &mut kernel::kthread::ThreadContext) {
    if let Ok(rtnl) = rtnl::lock(t.sleepable_mut()) {
        rtnl.sleepable().might_sleep();
    }
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

// The floor of an XDP frame is an Ethernet header (`bpf_xdp_adjust_head`/`_tail` keep
// ETH_HLEN, net/core/filter.c:4039); case 40 checks that no caller can lower it.
const _: () = assert!(kernel::net::xdp::Frame::MIN_LEN == 14);
