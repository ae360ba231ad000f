// SPDX-License-Identifier: GPL-2.0

//! A bounded ring of owned objects between CPUs: `struct ptr_ring`.
//!
//! C header: [`include/linux/ptr_ring.h`](srctree/include/linux/ptr_ring.h)
//!
//! A `ptr_ring` is an array of pointers with a producer index under `producer_lock` and a
//! consumer index under `consumer_lock`, on different cache lines, so a producer and a
//! consumer rarely contend. veth (drivers/net/veth.c) hands packets from the sender's
//! `ndo_start_xmit` to the receiver's NAPI poll through one per receive queue; tun and
//! vhost use it too. A [`PtrRing<T>`] carries owned `T`s ([`RingItem`]): what goes in comes
//! out exactly once, or is dropped with the ring.

use super::{skb::OwnedSkBuff, xdp};
use crate::{bindings, error::to_result, prelude::*, sync::rcu::BhGuard, types::Opaque};
use core::{ffi::c_void, marker::PhantomData, ptr::NonNull};

/// An owned object that travels as one non-null pointer.
///
/// # Safety
///
/// `into_ptr` gives up ownership as a non-null pointer that `from_ptr` takes back exactly
/// once; the pointer never has bit 0 set unless the implementation says so for its own
/// use (see [`xdp::Packet`]).
pub unsafe trait RingItem: Sized + Send {
    /// Gives up ownership.
    fn into_ptr(self) -> NonNull<c_void>;

    /// Takes ownership back.
    ///
    /// # Safety
    ///
    /// `ptr` came from `into_ptr` and is taken back once.
    unsafe fn from_ptr(ptr: NonNull<c_void>) -> Self;
}

// SAFETY: an `sk_buff` pointer is non-null and at least 8-byte aligned; ownership of the
// reference travels with it.
unsafe impl RingItem for OwnedSkBuff {
    #[inline]
    fn into_ptr(self) -> NonNull<c_void> {
        // SAFETY: an owned buffer's pointer is valid, hence non-null.
        unsafe { NonNull::new_unchecked(self.into_raw().cast()) }
    }

    #[inline]
    unsafe fn from_ptr(ptr: NonNull<c_void>) -> Self {
        // SAFETY: the caller's promise: an owned buffer given up by `into_ptr`, whose
        // metadata nobody else changes.
        unsafe { OwnedSkBuff::from_raw(ptr.as_ptr().cast()) }
    }
}

/// A ring of owned `T`s (veth: `rq->xdp_ring`).
///
/// Corresponds to the kernel's `struct ptr_ring`
/// ([`include/linux/ptr_ring.h`](srctree/include/linux/ptr_ring.h)).
///
/// # Invariants
///
/// `ring` was initialised by `ptr_ring_init` and holds only pointers from
/// `T::into_ptr`, all owned by the ring; they are dropped with it.
#[pin_data(PinnedDrop)]
pub struct PtrRing<T: RingItem> {
    #[pin]
    ring: Opaque<bindings::ptr_ring>,
    _p: PhantomData<T>,
}

// SAFETY: the ring's own spinlocks serialise producers and consumers; `T: Send` items move
// between CPUs.
unsafe impl<T: RingItem> Send for PtrRing<T> {}
// SAFETY: as above; `&PtrRing` only reaches the locked produce/consume functions.
unsafe impl<T: RingItem> Sync for PtrRing<T> {}

impl<T: RingItem> PtrRing<T> {
    /// A ring with room for `size` objects (veth uses 256). Might sleep.
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

    /// Adds `item` at the tail (`ptr_ring_produce`); gives it back when the ring is full.
    /// Bottom halves are off (`bh`), as the locks are also taken in softirq context.
    #[inline]
    pub fn produce(&self, item: T, _bh: &BhGuard) -> Result<(), T> {
        let ptr = item.into_ptr();
        // SAFETY: the ring is initialised (type invariant); with bottom halves off the
        // producer lock is taken as the other producers take it. The ring keeps the
        // pointer on success.
        if unsafe { bindings::ptr_ring_produce(self.ring.get(), ptr.as_ptr()) } != 0 {
            // SAFETY: the ring refused the pointer, so it is still ours.
            return Err(unsafe { T::from_ptr(ptr) });
        }
        Ok(())
    }

    /// Takes the producer lock once for a batch of objects (what veth's `veth_xdp_xmit`
    /// does around its `__ptr_ring_produce` loop): the lock is held until the returned
    /// [`Producer`] is dropped, which cannot outlive `bh`, the bottom halves being off.
    #[inline]
    pub fn producer<'a>(&'a self, _bh: &'a BhGuard) -> Producer<'a, T> {
        // SAFETY: the ring is initialised (type invariant), so its producer lock is; with
        // bottom halves off it is taken as every other producer takes it (`spin_lock`).
        // `Producer::drop` releases it, on this CPU, since a `Producer` cannot move to
        // another thread.
        unsafe { bindings::spin_lock(Self::producer_lock(self.ring.get())) };
        // INVARIANT: the lock was just taken.
        Producer {
            ring: self,
            _not_send: PhantomData,
        }
    }

    /// # Safety
    ///
    /// `ring` points at an initialised `ptr_ring`.
    #[inline]
    unsafe fn producer_lock(ring: *mut bindings::ptr_ring) -> *mut bindings::spinlock_t {
        // SAFETY: the caller's promise; only the field's address is taken.
        unsafe { core::ptr::addr_of_mut!((*ring).producer_lock) }
    }

    /// Takes the object at the head, if any (`ptr_ring_consume`); bottom halves are off
    /// (`bh`), as for the NAPI consumer.
    #[inline]
    pub fn consume(&self, _bh: &BhGuard) -> Option<T> {
        // SAFETY: the ring is initialised; the consumer lock is taken inside, bottom halves
        // off.
        let p = unsafe { bindings::ptr_ring_consume(self.ring.get()) };
        // SAFETY: every entry in the ring is an owned item (type invariant), now ours.
        NonNull::new(p).map(|p| unsafe { T::from_ptr(p) })
    }

    /// Takes every queued object, from any context but hard interrupts
    /// (`ptr_ring_consume_bh`), and hands each to `f`. Returns how many there were.
    pub fn drain(&self, mut f: impl FnMut(T)) -> u32 {
        let mut n = 0;
        loop {
            // SAFETY: as in `consume`; the `_bh` variant disables bottom halves around the
            // consumer lock.
            let p = unsafe { bindings::ptr_ring_consume_bh(self.ring.get()) };
            let Some(p) = NonNull::new(p) else {
                return n;
            };
            // SAFETY: an owned item from the ring.
            f(unsafe { T::from_ptr(p) });
            n += 1;
        }
    }
}

/// A ring's producer lock, held: objects go in without taking it again for each
/// (`__ptr_ring_produce` under `producer_lock`).
///
/// # Invariants
///
/// This value holds `ring`'s producer lock, taken on the current CPU with bottom halves
/// off, and releases it when dropped.
pub struct Producer<'a, T: RingItem> {
    ring: &'a PtrRing<T>,
    /// A spinlock is released by the thread that took it.
    _not_send: PhantomData<*mut ()>,
}

impl<T: RingItem> Producer<'_, T> {
    /// Adds `item` at the tail; gives it back when the ring is full.
    #[inline]
    pub fn produce(&self, item: T) -> Result<(), T> {
        let ptr = item.into_ptr();
        // SAFETY: the ring is initialised and its producer lock held (type invariant), as
        // `__ptr_ring_produce` requires. The ring keeps the pointer on success.
        if unsafe { bindings::__ptr_ring_produce(self.ring.ring.get(), ptr.as_ptr()) } != 0 {
            // SAFETY: the ring refused the pointer, so it is still ours.
            return Err(unsafe { T::from_ptr(ptr) });
        }
        Ok(())
    }
}

impl<T: RingItem> Drop for Producer<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the lock is held by this value (type invariant), on this CPU.
        unsafe { bindings::spin_unlock(PtrRing::<T>::producer_lock(self.ring.ring.get())) };
    }
}

#[pinned_drop]
impl<T: RingItem> PinnedDrop for PtrRing<T> {
    fn drop(self: Pin<&mut Self>) {
        // Drop what is still queued with the softirq-safe consumer lock, then free the
        // array alone: `ptr_ring_cleanup` with a destroy callback would take the consumer
        // lock with bottom halves on, which lockdep rightly calls inconsistent with the
        // NAPI consumer's use of it in softirq context.
        self.drain(drop);
        // SAFETY: the ring is initialised, empty, and no longer shared (we have `&mut`);
        // without a destroy callback cleanup only frees the queue array.
        unsafe { bindings::ptr_ring_cleanup(self.ring.get(), None) };
    }
}

// SAFETY: an `xdp_frame` pointer is the start of its page-aligned buffer (non-null, bit 0
// clear); ownership of the frame travels with it.
unsafe impl RingItem for xdp::Frame {
    #[inline]
    fn into_ptr(self) -> NonNull<c_void> {
        self.into_raw().cast()
    }

    #[inline]
    unsafe fn from_ptr(ptr: NonNull<c_void>) -> Self {
        // SAFETY: the caller's promise: an owned frame given up by `into_ptr`.
        unsafe { xdp::Frame::from_raw(ptr.cast()) }
    }
}
