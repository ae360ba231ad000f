// SPDX-License-Identifier: GPL-2.0

//! Networking.
//!
//! Upstream 6.12 has only [`phy`]. netdive adds the pieces its lessons need, each a thin,
//! documented layer over the C structure it names:
//!
//! - [`dev`]: `struct net_device`, the network device (`include/linux/netdevice.h`).
//! - [`ns`]: `struct net`, a network namespace (`include/net/net_namespace.h`).
//! - [`skb`]: `struct sk_buff`, the packet (`include/linux/skbuff.h`).
//! - [`napi`]: polled receive, `struct napi_struct` (`include/linux/netdevice.h`).
//! - [`ring`]: `struct ptr_ring` of packets between two CPUs (`include/linux/ptr_ring.h`).
//! - [`stats`]: single-writer 64-bit counters (`include/linux/u64_stats_sync.h`).
//! - [`rtnl`]: link types for `ip link add` (`include/net/rtnetlink.h`).
//! - [`ethtool`]: `struct ethtool_ops` (`include/linux/ethtool.h`).
//! - [`fastpath`]: Rust programs on raw received frames, XDP's actions (`include/net/xdp.h`).
//! - [`xdp`]: native XDP: eBPF programs, `xdp_rxq_info`, `xdp_frame` (`include/net/xdp.h`).
//! - [`filter`]: netfilter hooks per namespace, verdicts, a /proc/net control file.
//! - [`hdr`]: read-only IPv4/IPv6/TCP/UDP/ICMP header views (pure; also built on the host).

#[cfg(CONFIG_RUST_PHYLIB_ABSTRACTIONS)]
pub mod phy;

pub mod dev;
pub mod ethtool;
pub mod fastpath;
pub mod filter;
pub mod hdr;
pub mod napi;
pub mod ns;
pub mod ring;
pub mod rtnl;
pub mod skb;
pub mod stats;
pub mod xdp;

/// An errno the 6.12 `kernel::error::code` list lacks (`EMSGSIZE`, `EADDRNOTAVAIL`, ...),
/// from its `bindings` value.
pub(crate) fn errno(code: u32) -> crate::error::Error {
    crate::error::Error::from_errno(-(code as i32))
}

/// Whether a networking message may be printed now (`net_ratelimit`: a burst of 10, then
/// one per 5 seconds, across all of networking).
pub fn net_ratelimit() -> bool {
    // SAFETY: no preconditions.
    unsafe { bindings::net_ratelimit() != 0 }
}

/// The number of the CPU running the caller (`raw_smp_processor_id`): stale as soon as it
/// is read unless the caller cannot migrate (bottom halves off, as on the packet path).
#[inline]
pub fn current_cpu() -> usize {
    // SAFETY: no preconditions.
    unsafe { bindings::raw_smp_processor_id() as usize }
}

/// A counted reference published under RCU: what a driver keeps for its peer device
/// ([`dev::Peer`]) or its XDP program ([`xdp::ProgSlot`]), read on the packet path without
/// a lock and replaced under the RTNL.
///
/// Readers use [`RcuRef::get`] inside an RCU read-side section. A writer that replaces or
/// clears the pointer waits for every reader that may still see the old object
/// (`synchronize_net`: expedited under the RTNL) before giving its reference back, so the
/// object outlives every reader.
///
/// # Invariants
///
/// `ptr` is null or an object on which this value owns one reference (from
/// `ARef::into_raw`).
pub struct RcuRef<T: crate::types::AlwaysRefCounted> {
    ptr: core::sync::atomic::AtomicPtr<T>,
}

// SAFETY: the pointer is read with acquire loads and replaced with atomic swaps; the
// object is `AlwaysRefCounted`, shareable across threads.
unsafe impl<T: crate::types::AlwaysRefCounted + Sync + Send> Send for RcuRef<T> {}
// SAFETY: as above.
unsafe impl<T: crate::types::AlwaysRefCounted + Sync + Send> Sync for RcuRef<T> {}

impl<T: crate::types::AlwaysRefCounted> Default for RcuRef<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: crate::types::AlwaysRefCounted> RcuRef<T> {
    /// Empty.
    pub const fn new() -> Self {
        Self {
            ptr: core::sync::atomic::AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// The object, for the duration of the RCU read-side section `guard`
    /// (`rcu_dereference`).
    #[inline]
    pub fn get<'a>(&self, _guard: &'a crate::sync::rcu::Guard) -> Option<&'a T> {
        let p = self.ptr.load(core::sync::atomic::Ordering::Acquire);
        // SAFETY: a non-null pointer is an object we hold a reference on; writers wait for
        // RCU readers before dropping that reference, so it stays valid for `'a`.
        (!p.is_null()).then(|| unsafe { &*p })
    }

    /// Whether an object is published.
    pub fn is_set(&self) -> bool {
        !self
            .ptr
            .load(core::sync::atomic::Ordering::Relaxed)
            .is_null()
    }

    /// Publishes `new` (`rcu_assign_pointer`, or clears with `None`) and releases the old
    /// object once no reader can still be using it. Might sleep.
    pub fn set(&self, new: Option<crate::types::ARef<T>>) {
        drop(self.replace(new));
    }

    /// Clears the pointer and returns the old object, once no reader can still be using
    /// it. Might sleep.
    pub fn take(&self) -> Option<crate::types::ARef<T>> {
        self.replace(None)
    }

    fn replace(&self, new: Option<crate::types::ARef<T>>) -> Option<crate::types::ARef<T>> {
        let new = new.map_or(core::ptr::null_mut(), |r| {
            crate::types::ARef::into_raw(r).as_ptr()
        });
        let old = self.ptr.swap(new, core::sync::atomic::Ordering::AcqRel);
        let old = core::ptr::NonNull::new(old)?;
        // SAFETY: no preconditions beyond a sleepable context; waits until every reader
        // that saw `old` is done.
        unsafe { bindings::synchronize_net() };
        // SAFETY: we owned one reference on `old` (type invariant) and hand it over.
        Some(unsafe { crate::types::ARef::from_raw(old) })
    }
}

impl<T: crate::types::AlwaysRefCounted> Drop for RcuRef<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}
