// SPDX-License-Identifier: GPL-2.0

//! A ring of packets between two CPUs: `struct ptr_ring`.
//!
//! C header: [`include/linux/ptr_ring.h`](srctree/include/linux/ptr_ring.h)
//!
//! veth (drivers/net/veth.c) hands a packet from the sender's `ndo_start_xmit` to the
//! receiver's NAPI poll through a `ptr_ring` per receive queue: producers serialise on
//! `producer_lock`, the consumer on `consumer_lock`, and the two sides touch different
//! cache lines, so a sender and the receiving softirq rarely contend.
//!
//! A packet on the ring is either an `sk_buff` (from `ndo_start_xmit`) or an XDP frame
//! (from `ndo_xdp_xmit`, or an `XDP_TX`); veth tells them apart by bit 0 of the pointer
//! (`VETH_XDP_FLAG`), which both structures' alignment leaves free. So does this ring.

use super::{skb::SkBuff, xdp};
use crate::{bindings, error::to_result, prelude::*, types::Opaque};

/// What a ring carries.
pub enum Packet {
    /// A socket buffer, data at the network header (after `eth_type_trans`).
    Skb(SkBuff),
    /// An XDP frame, data at the Ethernet header; no `sk_buff` exists for it.
    Frame(xdp::Frame),
}

/// Bit 0 of a ring entry: set for an XDP frame (veth's `VETH_XDP_FLAG`).
const FRAME_TAG: usize = 1;

impl Packet {
    /// # Safety
    ///
    /// `entry` is an entry of the ring (see the invariant of [`PacketRing`]), given back
    /// exactly once.
    #[inline]
    unsafe fn from_entry(entry: *mut core::ffi::c_void) -> Self {
        if entry as usize & FRAME_TAG != 0 {
            let ptr = (entry as usize & !FRAME_TAG) as *mut bindings::xdp_frame;
            // SAFETY: a tagged entry is an owned frame, non-null (the tag bit aside).
            Packet::Frame(unsafe { xdp::Frame::from_raw(core::ptr::NonNull::new_unchecked(ptr)) })
        } else {
            // SAFETY: an untagged entry is an owned `sk_buff`.
            Packet::Skb(unsafe { SkBuff::from_raw(entry.cast()) })
        }
    }
}

/// A bounded FIFO of owned [`Packet`]s.
///
/// # Invariants
///
/// `ring` was initialised by `ptr_ring_init` and holds only `sk_buff` pointers and
/// `xdp_frame` pointers with `FRAME_TAG` set, all owned by the ring; it is cleaned up (and the packets freed) when
/// the ring is dropped.
#[pin_data(PinnedDrop)]
pub struct PacketRing {
    #[pin]
    ring: Opaque<bindings::ptr_ring>,
}

// SAFETY: the ring's own spinlocks serialise producers and consumers.
unsafe impl Send for PacketRing {}
// SAFETY: as above; `&PacketRing` only reaches the locked produce/consume functions.
unsafe impl Sync for PacketRing {}

impl PacketRing {
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
        if !self.produce_entry(raw.cast()) {
            // SAFETY: the ring refused the pointer, so we still own it.
            return Err(unsafe { SkBuff::from_raw(raw) });
        }
        Ok(())
    }

    /// Adds an XDP frame at the tail; gives it back when the ring is full.
    #[inline]
    pub fn produce_frame(&self, frame: xdp::Frame) -> Result<(), xdp::Frame> {
        let raw = frame.into_raw();
        if !self.produce_entry((raw.as_ptr() as usize | FRAME_TAG) as *mut _) {
            // SAFETY: the ring refused the frame, so we still own it.
            return Err(unsafe { xdp::Frame::from_raw(raw) });
        }
        Ok(())
    }

    /// Whether the ring took `entry` (and with it, ownership of what it points at).
    #[inline]
    fn produce_entry(&self, entry: *mut core::ffi::c_void) -> bool {
        // SAFETY: the ring is initialised (type invariant); it keeps the entry on success.
        unsafe { bindings::ptr_ring_produce(self.ring.get(), entry) == 0 }
    }

    /// Takes the packet at the head, if any (`ptr_ring_consume`); for the softirq
    /// (NAPI) consumer.
    #[inline]
    pub fn consume(&self) -> Option<Packet> {
        // SAFETY: the ring is initialised; the consumer lock is taken inside.
        let p = unsafe { bindings::ptr_ring_consume(self.ring.get()) };
        // SAFETY: every entry in the ring is an owned packet (type invariant), now ours.
        (!p.is_null()).then(|| unsafe { Packet::from_entry(p) })
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
            // SAFETY: an owned packet from the ring.
            match unsafe { Packet::from_entry(p) } {
                Packet::Skb(skb) => skb.drop_reason(super::skb::DropReason::DevReady),
                Packet::Frame(frame) => drop(frame),
            }
            n += 1;
        }
    }
}

#[pinned_drop]
impl PinnedDrop for PacketRing {
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
