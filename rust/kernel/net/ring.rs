// SPDX-License-Identifier: GPL-2.0

//! A ring of socket buffers between two CPUs: `struct ptr_ring`.
//!
//! C header: [`include/linux/ptr_ring.h`](srctree/include/linux/ptr_ring.h)
//!
//! veth (drivers/net/veth.c) hands a packet from the sender's `ndo_start_xmit` to the
//! receiver's NAPI poll through a `ptr_ring` per receive queue: producers serialise on
//! `producer_lock`, the consumer on `consumer_lock`, and the two sides touch different
//! cache lines, so a sender and the receiving softirq rarely contend.

use super::skb::SkBuff;
use crate::{bindings, error::to_result, prelude::*, types::Opaque};

/// A bounded FIFO of owned [`SkBuff`]s.
///
/// # Invariants
///
/// `ring` was initialised by `ptr_ring_init` and holds only pointers to `sk_buff`s the
/// ring owns; it is cleaned up (and the buffers freed) when the ring is dropped.
#[pin_data(PinnedDrop)]
pub struct SkbRing {
    #[pin]
    ring: Opaque<bindings::ptr_ring>,
}

// SAFETY: the ring's own spinlocks serialise producers and consumers.
unsafe impl Send for SkbRing {}
// SAFETY: as above; `&SkbRing` only reaches the locked produce/consume functions.
unsafe impl Sync for SkbRing {}

impl SkbRing {
    /// A ring with room for `size` packets (veth uses 256).
    pub fn new(size: u32) -> impl PinInit<Self, Error> {
        // SAFETY: `ptr_ring_init` initialises the whole ring (queue array, indices, both
        // locks) in place, or fails leaving nothing to clean up; the slot is pinned.
        unsafe {
            crate::init::pin_init_from_closure(move |this: *mut Self| {
                let ring = Opaque::raw_get(core::ptr::addr_of!((*this).ring));
                to_result(bindings::ptr_ring_init(
                    ring,
                    size as i32,
                    bindings::GFP_KERNEL,
                ))
            })
        }
    }

    /// Adds a packet at the tail (`ptr_ring_produce`); gives it back when the ring is full.
    /// Called with bottom halves disabled, as a transmit path is.
    #[inline]
    pub fn produce(&self, skb: SkBuff) -> Result<(), SkBuff> {
        let raw = skb.into_raw();
        // SAFETY: the ring is initialised (type invariant); on success it takes ownership
        // of `raw`, on failure it leaves it to us.
        if unsafe { bindings::ptr_ring_produce(self.ring.get(), raw.cast()) } != 0 {
            // SAFETY: the ring refused the pointer, so we still own it.
            return Err(unsafe { SkBuff::from_raw(raw) });
        }
        Ok(())
    }

    /// Takes the packet at the head, if any (`ptr_ring_consume`); for the softirq
    /// (NAPI) consumer.
    #[inline]
    pub fn consume(&self) -> Option<SkBuff> {
        // SAFETY: the ring is initialised; the consumer lock is taken inside.
        let p = unsafe { bindings::ptr_ring_consume(self.ring.get()) };
        // SAFETY: every pointer in the ring is an owned `sk_buff` (type invariant), now ours.
        (!p.is_null()).then(|| unsafe { SkBuff::from_raw(p.cast()) })
    }

    /// Frees every queued packet, from process context (`ptr_ring_consume_bh`).
    /// Returns how many there were.
    pub fn purge(&self) -> u32 {
        let mut n = 0;
        loop {
            // SAFETY: as in `consume`; the `_bh` variant keeps the lock softirq-safe.
            let p = unsafe { bindings::ptr_ring_consume_bh(self.ring.get()) };
            if p.is_null() {
                return n;
            }
            // SAFETY: an owned `sk_buff` from the ring.
            unsafe { SkBuff::from_raw(p.cast()) }.drop_reason(super::skb::DropReason::DevReady);
            n += 1;
        }
    }
}

#[pinned_drop]
impl PinnedDrop for SkbRing {
    fn drop(self: Pin<&mut Self>) {
        // Free what is still queued with the softirq-safe consumer lock, then the array
        // alone: `ptr_ring_cleanup` with a destroy callback would take the consumer lock
        // with bottom halves on, which lockdep rightly calls inconsistent with the NAPI
        // consumer's use of it in softirq context.
        self.purge();
        // SAFETY: the ring is initialised, empty, and no longer shared (we have `&mut`);
        // without a destroy callback cleanup only frees the queue array.
        unsafe { bindings::ptr_ring_cleanup(self.ring.get(), None) };
    }
}
