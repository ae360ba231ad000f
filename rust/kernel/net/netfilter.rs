// SPDX-License-Identifier: GPL-2.0

//! Netfilter hooks.
//!
//! C headers: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)
//! (`struct nf_hook_ops`, `struct nf_hook_state`); core in `net/netfilter/core.c`
//! (`nf_register_net_hooks`, `nf_hook_slow`).
//!
//! The IP stack calls `NF_HOOK(NFPROTO_IPV4, NF_INET_PRE_ROUTING, ...)` in `ip_rcv` (and
//! `NF_HOOK_LIST` in `ip_list_rcv`, the path GRO's batches take), `NF_INET_LOCAL_IN` in
//! `ip_local_deliver`, `NF_INET_FORWARD` in `ip_forward`, `NF_INET_LOCAL_OUT` in
//! `__ip_local_out` and `NF_INET_POST_ROUTING` in `ip_output` (IPv6 alike in net/ipv6/).
//! `nf_hook_slow` runs the hooks registered for that point in that namespace, in priority
//! order, until one says drop, stolen or queue.
//!
//! Hooks are per namespace: a [`Filter`] is a [pernet subsystem](super::pernet) whose
//! [`Hooks`] feature registers its hook points in every namespace, each call receiving
//! that namespace's state.

pub use super::inet::{Family, HookPoint};
use super::{
    dev::Device,
    ns::Namespace,
    pernet::{self, Subsystem},
    skb::SkBuff,
};
use crate::{bindings, prelude::*, sync::rcu};
use core::{marker::PhantomData, mem::MaybeUninit, ptr::NonNull};

const _: () = {
    assert!(HookPoint::PreRouting as u32 == bindings::nf_inet_hooks_NF_INET_PRE_ROUTING);
    assert!(HookPoint::LocalIn as u32 == bindings::nf_inet_hooks_NF_INET_LOCAL_IN);
    assert!(HookPoint::Forward as u32 == bindings::nf_inet_hooks_NF_INET_FORWARD);
    assert!(HookPoint::LocalOut as u32 == bindings::nf_inet_hooks_NF_INET_LOCAL_OUT);
    assert!(HookPoint::PostRouting as u32 == bindings::nf_inet_hooks_NF_INET_POST_ROUTING);
};

fn family_number(f: Family) -> u8 {
    match f {
        Family::Ipv4 => bindings::NFPROTO_IPV4 as u8,
        Family::Ipv6 => bindings::NFPROTO_IPV6 as u8,
    }
}

/// What a hook decides (`NF_ACCEPT`, `NF_DROP`, `NF_STOLEN`, `NF_QUEUE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `NF_ACCEPT`: continue with the next hook, then the stack.
    Accept,
    /// `NF_DROP`: `nf_hook_slow` frees the packet (`kfree_skb_reason`, NETFILTER_DROP).
    Drop,
    /// `NF_QUEUE` to the given queue number (`nfnetlink_queue`).
    Queue(u16),
}

impl Verdict {
    /// The `unsigned int` a C hook returns.
    #[inline]
    fn raw(self) -> u32 {
        match self {
            Verdict::Accept => bindings::NF_ACCEPT,
            Verdict::Drop => bindings::NF_DROP,
            Verdict::Queue(n) => bindings::NF_QUEUE | (u32::from(n) << bindings::NF_VERDICT_QBITS),
        }
    }
}

/// Where a packet is when a hook sees it, and the RCU read-side section netfilter runs
/// hooks in (`nf_hook` takes `rcu_read_lock` around them).
///
/// Corresponds to the kernel's `struct nf_hook_state`
/// ([`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)).
pub struct HookState<'a> {
    state: &'a bindings::nf_hook_state,
    point: HookPoint,
    family: Family,
    guard: &'a rcu::Guard,
}

impl<'a> HookState<'a> {
    /// The RCU read-side section the hook runs in: what RCU-protected data (a rule table)
    /// is read under, without a lock of its own.
    #[inline]
    pub fn rcu(&self) -> &'a rcu::Guard {
        self.guard
    }

    /// The hook point.
    #[inline]
    pub fn hook(&self) -> HookPoint {
        self.point
    }

    /// The family: IPv4 or IPv6.
    #[inline]
    pub fn family(&self) -> Family {
        self.family
    }

    /// The device the packet came in on (receive-side hooks).
    #[inline]
    pub fn in_dev(&self) -> Option<&'a Device> {
        // SAFETY: a non-null `in` is a valid device for the duration of the hook.
        (!self.state.in_.is_null()).then(|| unsafe { Device::from_raw(self.state.in_) })
    }

    /// The device the packet goes out on (send-side hooks).
    #[inline]
    pub fn out_dev(&self) -> Option<&'a Device> {
        // SAFETY: a non-null `out` is a valid device for the duration of the hook.
        (!self.state.out.is_null()).then(|| unsafe { Device::from_raw(self.state.out) })
    }

    /// The namespace the packet is in.
    #[inline]
    pub fn net(&self) -> &'a Namespace {
        // SAFETY: the namespace outlives the hook call.
        unsafe { Namespace::from_raw(self.state.net) }
    }
}

/// The packet a hook is deciding about: the stack's own buffer, lent to [`Filter::hook`]
/// for the call. It reads as a [`SkBuff`] (`Deref`), and it alone can be answered with a
/// reject ([`HookSkb::send_unreachable`], [`HookSkb::send_tcp_reset`]).
///
/// Only the adapter makes one, for the buffer netfilter hands the hook, so no other buffer
/// (a fresh [`OwnedSkBuff`](super::skb::OwnedSkBuff), a copy) can reach the C reject
/// functions. Those are written for a hook's packet: `nf_send_unreach` and `nf_send_reset`
/// (net/ipv4/netfilter/nf_reject_ipv4.c; `nf_send_unreach6`, `nf_send_reset6` in
/// net/ipv6/netfilter/nf_reject_ipv6.c) read the IP header in place at the network header
/// (`ip_hdr()`, `ipv6_hdr()`), find a route for a packet without one from `skb->dev`
/// (`nf_reject_fill_skb_dst`), and change the packet's metadata (`skb_dst_set`,
/// `skb->dev`, its checksum state). The helpers take `&mut self`, so nothing read through
/// `Deref` (a slice of the packet's bytes) is alive across them. A packet a helper was
/// called for is dropped, whatever verdict the hook returns, as nftables' `reject` drops
/// it: it may carry a route back to its sender now (`nf_reject_fill_skb_dst` at
/// prerouting), which it must not travel on.
///
/// # Invariants
///
/// `skb` is the buffer netfilter passed to the hook call in progress, and `state` that
/// call's `nf_hook_state`, whose hook number and family are `point` and `family`; both
/// are valid for `'a`, and the stack leaves the buffer alone until the call returns. The
/// value lives in the call's frame: it is neither `Send` nor `Sync`.
pub struct HookSkb<'a> {
    skb: NonNull<bindings::sk_buff>,
    state: &'a bindings::nf_hook_state,
    point: HookPoint,
    family: Family,
    rejected: bool,
    _p: PhantomData<(&'a mut SkBuff, *mut ())>,
}

impl core::ops::Deref for HookSkb<'_> {
    type Target = SkBuff;

    #[inline]
    fn deref(&self) -> &SkBuff {
        // SAFETY: the buffer is valid for the call, and nothing changes it while `self` is
        // borrowed: the stack leaves it alone during the hook (type invariant), and the
        // helpers here that change it take `&mut self`.
        unsafe { SkBuff::from_raw(self.skb.as_ptr()) }
    }
}

impl HookSkb<'_> {
    /// Whether the reject functions may be given this packet, as the C code assumes but
    /// does not check: a hook point where netfilter's own reject runs (`nft_reject_validate`
    /// allows prerouting, input, forward and output, not postrouting), an IP header of the
    /// hook's family whole in the linear part at the network header (read in place), and a
    /// route or a device to look one up with.
    fn can_answer(&self) -> bool {
        if self.point == HookPoint::PostRouting {
            return false;
        }
        let skb: &SkBuff = self;
        let Some(header) = skb
            .network_offset()
            .and_then(|off| skb.data().get(off as usize..))
        else {
            return false;
        };
        let whole = match (self.family, header.first()) {
            (Family::Ipv4, Some(&b)) => {
                let ihl = usize::from(b & 0xf) * 4;
                b >> 4 == 4 && ihl >= IPV4_HEADER && header.len() >= ihl
            }
            (Family::Ipv6, Some(&b)) => b >> 4 == 6 && header.len() >= IPV6_HEADER,
            (_, None) => false,
        };
        if !whole {
            return false;
        }
        let raw = skb.as_raw();
        // SAFETY: the buffer is valid (type invariant); `skb_dst` reads `_skb_refdst`, and
        // the hook runs under `rcu_read_lock` as its check wants; a non-null result is a
        // live route of the packet, whose `flags` we read as `skb_valid_dst` does
        // (include/net/dst_metadata.h).
        let routed = unsafe {
            let dst = bindings::skb_dst(raw);
            !dst.is_null() && u32::from((*dst).flags) & bindings::DST_METADATA == 0
        };
        // SAFETY: reading a field of the valid buffer.
        let dev = unsafe {
            (*raw)
                .__bindgen_anon_1
                .__bindgen_anon_1
                .__bindgen_anon_1
                .dev
        };
        routed || !dev.is_null()
    }

    /// Answers the packet with an ICMP (IPv4) destination unreachable of `code`
    /// (`nf_send_unreach`, which calls `icmp_send`), or an ICMPv6 one (`nf_send_unreach6`).
    /// The packet is then dropped, whatever the hook returns.
    ///
    /// The kernel sends nothing for a fragment other than the first, an ICMP error, a
    /// packet with a bad checksum or one it finds no route back for; this helper sends
    /// nothing at postrouting, or for a packet without a whole IP header at its network
    /// header (see the type's documentation).
    pub fn send_unreachable(&mut self, code: u8) {
        self.rejected = true;
        if !self.can_answer() {
            return;
        }
        // SAFETY: `skb` is the packet of the hook call in progress (type invariant), at a
        // hook point nftables rejects at, of the family of the function called, with its
        // IP header in the linear part at the network header and a route or a device to
        // find one with (`can_answer`), in the RCU read-side section the hook runs in. The
        // functions change only the packet's metadata (route, device, checksum state) and,
        // for IPv6 mobility options, swap header bytes in place (`mip6_addr_swap`): `&mut
        // self` keeps every reference into the packet dead meanwhile.
        unsafe {
            match self.family {
                Family::Ipv4 => bindings::nf_send_unreach(
                    self.skb.as_ptr(),
                    i32::from(code),
                    self.point.number() as i32,
                ),
                Family::Ipv6 => bindings::nf_send_unreach6(
                    self.state.net,
                    self.skb.as_ptr(),
                    code,
                    self.point.number(),
                ),
            }
        }
    }

    /// Answers a TCP segment with a reset (`nf_send_reset`, `nf_send_reset6`), as
    /// nftables' `reject with tcp reset` does. The packet is then dropped, whatever the
    /// hook returns.
    ///
    /// The kernel sends nothing for a segment that is not TCP, is a reset itself, is a
    /// fragment, has a bad checksum, or was sent to or from a broadcast or multicast
    /// address; this helper sends nothing where [`HookSkb::send_unreachable`] does not.
    pub fn send_tcp_reset(&mut self) {
        self.rejected = true;
        if !self.can_answer() {
            return;
        }
        // SAFETY: as in `send_unreachable`; `net` and `sk` are the hook call's own, as
        // nftables passes them (`nft_reject_ipv4_eval`, `nft_reject_ipv6_eval`), and a
        // null `sk` is allowed (`ip_route_me_harder`, `ip6_local_out`).
        unsafe {
            match self.family {
                Family::Ipv4 => bindings::nf_send_reset(
                    self.state.net,
                    self.state.sk,
                    self.skb.as_ptr(),
                    self.point.number() as i32,
                ),
                Family::Ipv6 => bindings::nf_send_reset6(
                    self.state.net,
                    self.state.sk,
                    self.skb.as_ptr(),
                    self.point.number() as i32,
                ),
            }
        }
    }
}

/// The smallest IPv4 header (`struct iphdr`), and the IPv6 header (`struct ipv6hdr`).
const IPV4_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;

/// One hook a filter registers in every namespace.
#[derive(Clone, Copy)]
pub struct HookSpec {
    /// Family.
    pub family: Family,
    /// Hook point.
    pub point: HookPoint,
    /// Priority: lower runs first (`NF_IP_PRI_FILTER` = 0 is the filter table).
    pub priority: i32,
}

/// A netfilter filter: hooks in every namespace, with the namespace's state.
pub trait Filter: Subsystem {
    /// The hooks registered in each namespace; each calls [`Filter::hook`].
    const HOOKS: &'static [HookSpec];

    /// Decides about one packet. Runs in softirq or process context with RCU held, on
    /// many CPUs at once: no sleeping, no locks on the common path. `skb` reads as a
    /// [`SkBuff`]; it is also the only buffer a reject answers ([`HookSkb`]).
    fn hook(data: &Self::Data, skb: &mut HookSkb<'_>, state: &HookState<'_>) -> Verdict;
}

/// The [pernet feature](pernet::Feature) that registers `F`'s hooks in a namespace.
pub struct Hooks<F>(PhantomData<F>);

/// The hooks registered in one namespace.
///
/// # Invariants
///
/// `ops` holds `len` hook ops (from a `KVec` of capacity `cap`), each with `priv` = the
/// namespace's filter state, registered in the namespace from `register` to `unregister`.
/// Dropping the value frees the ops: netfilter's hook blob keeps pointers to them
/// (`orig_ops`, read under RCU by `nfnetlink_hook` dumps), so that waits for a grace period
/// after `unregister` (the pernet core's, between `pre_exit` and `exit`).
pub struct NetHooks {
    ops: *mut bindings::nf_hook_ops,
    len: usize,
    cap: usize,
}

// SAFETY: the ops are only read by netfilter after registration, and freed by drop.
unsafe impl Send for NetHooks {}
// SAFETY: as above.
unsafe impl Sync for NetHooks {}

impl Drop for NetHooks {
    fn drop(&mut self) {
        // SAFETY: the ops came from a `KVec` with these parts (type invariant), and are
        // no longer registered nor reachable by a reader (the `Feature` contract).
        drop(unsafe { KVec::from_raw_parts(self.ops, self.len, self.cap) });
    }
}

// SAFETY: after `nf_unregister_net_hooks` no new call of the hooks starts, but it does not
// wait for those in flight: it swaps in a new hook blob and frees the old one with
// `call_rcu` (net/netfilter/core.c: `__nf_unregister_net_hook`, `nf_hook_entries_free`).
// Every hook runs inside `rcu_read_lock` (`nf_hook`, `nf_hook_slow_list`), so the grace
// period the pernet core waits after `unregister` (`pre_exit`) and before the state and
// the filter's data are dropped (`exit`) covers every call in flight.
unsafe impl<F: Filter> pernet::Feature<F> for Hooks<F> {
    type State = NetHooks;

    unsafe fn register(net: *mut bindings::net, data: *const F::Data) -> Result<NetHooks> {
        let mut ops = KVec::with_capacity(F::HOOKS.len(), GFP_KERNEL)?;
        for h in F::HOOKS {
            // SAFETY: an all-zero `nf_hook_ops` is valid; we fill in what we use.
            let mut o: bindings::nf_hook_ops = unsafe { MaybeUninit::zeroed().assume_init() };
            o.hook = Some(hook_callback::<F>);
            o.priv_ = data.cast_mut().cast();
            o.pf = family_number(h.family);
            o.hooknum = h.point.number();
            o.priority = h.priority;
            ops.push(o, GFP_KERNEL)?;
        }
        let (ptr, len, cap) = ops.into_raw_parts();
        // INVARIANT: `ptr`, `len`, `cap` are the parts of the `KVec` above.
        let hooks = NetHooks { ops: ptr, len, cap };
        // SAFETY: `ptr` holds `len` initialised hook ops that stay allocated until `hooks`
        // is dropped; `data` stays valid until then (the caller's promise).
        let ret = unsafe { bindings::nf_register_net_hooks(net, ptr, len as u32) };
        if ret < 0 {
            // `nf_register_net_hooks` unregistered the hooks it had registered, whose
            // calls may still be running: wait for them before the ops and the caller's
            // data go.
            // SAFETY: hooks are registered from pernet `init`, in process context holding
            // no spinlock (`setup_net`, or `Registration::new`, which refuses inside a
            // read-side section or atomic context).
            unsafe { rcu::synchronize_rcu() };
            return Err(Error::from_errno(ret));
        }
        Ok(hooks)
    }

    unsafe fn unregister(net: *mut bindings::net, state: &mut NetHooks) {
        // SAFETY: registered in `net` by `register` (type invariant), unregistered once
        // (the caller's promise). The ops stay allocated until `state` is dropped.
        unsafe { bindings::nf_unregister_net_hooks(net, state.ops, state.len as u32) };
    }
}

/// # Safety
///
/// Called by netfilter with the `priv` registered (a live filter state) and a valid skb
/// and state.
unsafe extern "C" fn hook_callback<F: Filter>(
    priv_: *mut core::ffi::c_void,
    skb: *mut bindings::sk_buff,
    state: *const bindings::nf_hook_state,
) -> u32 {
    // SAFETY: `state` is valid for the call.
    let st = unsafe { &*state };
    let Some(point) = HookPoint::from_number(st.hook.into()) else {
        return bindings::NF_ACCEPT;
    };
    // `pf` is the family the hook was registered for: `nf_hook` runs a family's own hooks
    // (`net->nf.hooks_ipv4`, `hooks_ipv6`) only; `Hooks` registers no other family.
    let family = match u32::from(st.pf) {
        bindings::NFPROTO_IPV4 => Family::Ipv4,
        bindings::NFPROTO_IPV6 => Family::Ipv6,
        _ => return bindings::NF_ACCEPT,
    };
    let Some(skb) = NonNull::new(skb) else {
        return bindings::NF_ACCEPT;
    };
    // INVARIANT: `skb` and `state` are the arguments of this hook call, valid until it
    // returns; the stack does not change the skb while the hook runs.
    let mut hook_skb = HookSkb {
        skb,
        state: st,
        point,
        family,
        rejected: false,
        _p: PhantomData,
    };
    // SAFETY: `priv_` is the namespace's state, valid while the hook is registered;
    // netfilter calls hooks inside `rcu_read_lock()` (`nf_hook`, `nf_hook_slow_list`).
    let verdict = unsafe {
        rcu::with_read_lock_held(|guard| {
            F::hook(
                &*priv_.cast::<F::Data>(),
                &mut hook_skb,
                &HookState {
                    state: st,
                    point,
                    family,
                    guard,
                },
            )
        })
    };
    // A rejected packet goes no further (see `HookSkb`).
    if hook_skb.rejected {
        Verdict::Drop.raw()
    } else {
        verdict.raw()
    }
}
