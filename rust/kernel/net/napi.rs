// SPDX-License-Identifier: GPL-2.0

//! NAPI: polled receive.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! core in `net/core/dev.c` (`napi_schedule_prep`, `__napi_schedule`, `net_rx_action`,
//! `napi_complete_done`) and `net/core/gro.c` (`napi_gro_receive`).
//!
//! Instead of one interrupt per packet, a driver schedules its NAPI instance once; the
//! `NET_RX_SOFTIRQ` handler (`net_rx_action`) then calls the instance's poll function
//! with a budget. Poll hands up to `budget` packets to the stack and, if it ran out of
//! work, calls `napi_complete_done` so the next packet schedules it again.

use super::{dev::Device, skb::SkBuff};
use crate::{bindings, prelude::*, sync::rcu, types::Opaque};
use core::sync::atomic::{AtomicU8, Ordering};

/// The weight (budget per poll) drivers use by default: `NAPI_POLL_WEIGHT`.
pub const POLL_WEIGHT: i32 = bindings::NAPI_POLL_WEIGHT as i32;

/// A NAPI poll function.
pub trait Poll: Sized + Send + Sync + 'static {
    /// Processes up to `budget` packets; returns how many it processed. If that is less
    /// than `budget`, it must call [`Napi::complete_done`] before returning. It runs in
    /// softirq context, an RCU read-side critical section, which `guard` stands for.
    fn poll(napi: &Napi<Self>, budget: u32, guard: &rcu::Guard) -> u32;
}

const IDLE: u8 = 0;
const ADDED: u8 = 1;
const ENABLED: u8 = 2;

/// A NAPI instance (`struct napi_struct`) with the driver state its poll works on.
///
/// # Invariants
///
/// `napi` is the first field (`repr(C)`), so a pointer to it is a pointer to the whole
/// `Napi<T>`. `state` says whether `napi` is on its device's NAPI list (`ADDED`, via
/// `netif_napi_add_weight`) and enabled (`ENABLED`); it changes only under the RTNL
/// (open/stop/unregister paths), and while it is not `IDLE` the value does not move
/// (it is pinned) and is not freed before `__netif_napi_del` and a grace period.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub struct Napi<T: Poll> {
    #[pin]
    napi: Opaque<bindings::napi_struct>,
    state: AtomicU8,
    #[pin]
    data: T,
}

// SAFETY: the `napi_struct` is driven by the kernel's NAPI state bits, which are atomic;
// `T: Send + Sync`.
unsafe impl<T: Poll> Send for Napi<T> {}
// SAFETY: as above.
unsafe impl<T: Poll> Sync for Napi<T> {}

impl<T: Poll> Napi<T> {
    /// A NAPI instance, not yet added to a device, around `data`.
    pub fn new(data: impl PinInit<T, Error>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            // SAFETY: an all-zero `napi_struct` is the state `netif_napi_add_weight` expects
            // (drivers allocate it with kzalloc/kcalloc).
            napi <- Opaque::ffi_init(|p: *mut bindings::napi_struct| unsafe { p.write_bytes(0, 1) }),
            state: AtomicU8::new(IDLE),
            data <- data,
        })
    }

    /// The driver state this instance polls.
    #[inline]
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The device the instance polls for (`napi->dev`), once [`Napi::add`] has run.
    #[inline]
    pub fn device(&self) -> Option<&Device> {
        // SAFETY: reading a field of our `napi_struct`, zeroed until `add`.
        let dev = unsafe { (*self.raw()).dev };
        // SAFETY: a non-null `dev` was set by `netif_napi_add_weight` to the device whose
        // private data holds this instance, so the device outlives `self`.
        (!dev.is_null()).then(|| unsafe { Device::from_raw(dev) })
    }

    #[inline]
    fn raw(&self) -> *mut bindings::napi_struct {
        self.napi.get()
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn poll_callback(napi: *mut bindings::napi_struct, budget: i32) -> i32 {
        // SAFETY: `napi` is the first field of a pinned `Napi<T>` (type invariant) that was
        // added with this callback, and lives while it is added.
        let this = unsafe { &*napi.cast::<Napi<T>>() };
        // SAFETY: NAPI polls run in softirq context (`net_rx_action`) or with bottom
        // halves disabled (busy polling, `napi_threaded_poll`).
        unsafe { rcu::with_bh_disabled(|guard| T::poll(this, budget.max(0) as u32, guard)) as i32 }
    }

    /// Adds the instance to `dev`'s NAPI list (`netif_napi_add_weight`). Call from the
    /// RTNL-held open path; a second call does nothing.
    pub fn add(self: Pin<&Self>, dev: &Device) {
        if self
            .state
            .compare_exchange(IDLE, ADDED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        // SAFETY: `self` is pinned and stays valid until `del` (the type invariant keeps
        // it alive while `ADDED`); the callback matches the one `poll_callback` expects.
        unsafe {
            bindings::netif_napi_add_weight(
                dev.as_raw(),
                self.raw(),
                Some(Self::poll_callback),
                POLL_WEIGHT,
            )
        };
    }

    /// Allows the instance to be scheduled (`napi_enable`).
    pub fn enable(&self) {
        if self
            .state
            .compare_exchange(ADDED, ENABLED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // SAFETY: the instance was added and is disabled.
            unsafe { bindings::napi_enable(self.raw()) };
        }
    }

    /// Waits for a running poll to finish and stops further scheduling (`napi_disable`).
    /// Might sleep.
    pub fn disable(&self) {
        if self
            .state
            .compare_exchange(ENABLED, ADDED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // SAFETY: the instance was added and enabled.
            unsafe { bindings::napi_disable(self.raw()) };
        }
    }

    /// Removes the instance from its device (`__netif_napi_del`). The caller waits one
    /// grace period (`synchronize_net`) before freeing it; dropping a `Napi` that is
    /// still added does both.
    pub fn del(&self) {
        self.disable();
        if self
            .state
            .compare_exchange(ADDED, IDLE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // SAFETY: the instance was added and is disabled.
            unsafe { bindings::__netif_napi_del(self.raw()) };
        }
    }

    /// Asks the softirq to poll this instance (`napi_schedule`). Returns whether this
    /// call scheduled it (false: already scheduled, or disabled).
    #[inline]
    pub fn schedule(&self) -> bool {
        if self.state.load(Ordering::Relaxed) != ENABLED {
            return false;
        }
        // SAFETY: the instance is added; `napi_schedule_prep` refuses a disabled one.
        unsafe {
            if bindings::napi_schedule_prep(self.raw()) {
                bindings::__napi_schedule(self.raw());
                return true;
            }
        }
        false
    }

    /// Ends a poll that did `work` packets, fewer than its budget (`napi_complete_done`).
    /// Returns false if the instance must stay scheduled (busy polling, or rescheduled).
    #[inline]
    pub fn complete_done(&self, work: u32) -> bool {
        // SAFETY: only called from this instance's poll, which owns the SCHED bit.
        unsafe { bindings::napi_complete_done(self.raw(), work as i32) }
    }

    /// Hands a received frame to the stack the way veth does (`veth_xdp_rcv`): through GRO
    /// when the buffer is ours alone, else straight to `netif_receive_skb`. GRO may merge
    /// and rewrite buffers, which it must not do to one that another holder (pktgen, a
    /// packet socket's clone) still sees. The frame must have been through
    /// `eth_type_trans`.
    #[inline]
    pub fn receive(&self, mut skb: SkBuff) {
        if skb.is_shared() || skb.unclone().is_err() {
            // SAFETY: softirq context (our poll); the stack takes ownership.
            unsafe { bindings::netif_receive_skb(skb.into_raw()) };
        } else {
            self.gro_receive(skb);
        }
    }

    /// Hands a received frame to GRO and on to the stack (`napi_gro_receive`). The frame
    /// must have been through `eth_type_trans` and not be shared (see [`Napi::receive`]).
    #[inline]
    pub fn gro_receive(&self, skb: SkBuff) {
        // SAFETY: called from this instance's poll; GRO takes ownership of the buffer.
        unsafe { bindings::napi_gro_receive(self.raw(), skb.into_raw()) };
    }
}

#[pinned_drop]
impl<T: Poll> PinnedDrop for Napi<T> {
    fn drop(self: Pin<&mut Self>) {
        if self.state.load(Ordering::Acquire) != IDLE {
            self.del();
            // SAFETY: no preconditions; a poll still running on another CPU is waited for.
            unsafe { bindings::synchronize_net() };
        }
    }
}
