// SPDX-License-Identifier: GPL-2.0

//! RCU read-side critical sections.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)
//!
//! Networking reads most shared state under RCU: the device list of a namespace
//! (`for_each_netdev_rcu`), the rules of a netfilter hook, an attached XDP program.
//! Holding a [`Guard`] is what lets such a reference be used.

use crate::bindings;
use core::marker::PhantomData;

/// An RCU read-side critical section; it ends when the guard is dropped.
///
/// # Invariants
///
/// The current CPU is inside an RCU read-side critical section for as long as the guard
/// lives: either entered with `rcu_read_lock()` by [`Guard::new`] (and left by `Drop`), or
/// one the caller of [`with_bh_disabled`] or [`with_read_lock_held`] is already in, which outlives the borrowed
/// guard (that guard is never dropped). The guard is `!Send`: the section must end on the
/// CPU context that started it.
pub struct Guard(PhantomData<*mut ()>);

impl Guard {
    /// Enters an RCU read-side critical section.
    #[inline]
    pub fn new() -> Self {
        // SAFETY: `rcu_read_lock` may be called from any context; the matching unlock is
        // in `Drop`.
        unsafe { bindings::rcu_read_lock() };
        // INVARIANT: the read lock was just taken.
        Self(PhantomData)
    }
}

impl Default for Guard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: by the type invariant the read lock is held, and taken by this guard.
        unsafe { bindings::rcu_read_unlock() };
    }
}

/// Enters an RCU read-side critical section: `rcu_read_lock()`.
#[inline]
pub fn read_lock() -> Guard {
    Guard::new()
}

/// Runs `f` with a guard for the RCU read-side critical section the caller is already in
/// because bottom halves are disabled (softirq context, `local_bh_disable()`): since the
/// RCU flavours were consolidated (4.20), such a region is a read-side critical section
/// that `synchronize_rcu` waits for. The packet paths (`ndo_start_xmit`, a NAPI poll) run
/// so; using this there saves an `rcu_read_lock`/`rcu_read_unlock` pair per packet.
///
/// # Safety
///
/// Bottom halves (or preemption, or interrupts) are disabled on this CPU for the whole
/// call.
#[inline]
pub unsafe fn with_bh_disabled<R>(f: impl FnOnce(&Guard) -> R) -> R {
    // SAFETY: bottom halves off is a read-side section (the caller's promise).
    unsafe { with_section_held(f) }
}

/// Runs `f` with a guard for the `rcu_read_lock()` section the caller already holds (a
/// netfilter hook: `nf_hook` locks around it), saving a second lock/unlock pair.
///
/// # Safety
///
/// The caller is inside an RCU read-side critical section for the whole call.
#[inline]
pub unsafe fn with_read_lock_held<R>(f: impl FnOnce(&Guard) -> R) -> R {
    // SAFETY: the caller holds `rcu_read_lock()` for the whole call.
    unsafe { with_section_held(f) }
}

/// # Safety
///
/// The caller is inside an RCU read-side critical section for the whole call.
#[inline]
unsafe fn with_section_held<R>(f: impl FnOnce(&Guard) -> R) -> R {
    // INVARIANT: the caller guarantees the read-side section; the guard is never dropped,
    // so it does not unlock what it did not lock.
    let guard = core::mem::ManuallyDrop::new(Guard(PhantomData));
    f(&guard)
}

/// Waits until every RCU read-side critical section that started before has ended.
///
/// Might sleep: process context only.
#[inline]
pub fn synchronize_rcu() {
    // SAFETY: `synchronize_rcu` has no preconditions beyond a sleepable context.
    unsafe { bindings::synchronize_rcu() };
}

/// A heap value that readers use under RCU and writers replace whole.
///
/// Readers ([`RcuBox::read`]) take no lock: they see either the old or the new value,
/// never a half-written one. Writers ([`RcuBox::update`]) take the box's mutex, build a
/// new value from the current one, publish it (`rcu_assign_pointer`), wait for every
/// reader that might still see the old one (`synchronize_rcu`) and free it. This is how
/// netfilter tables, routing tables and XDP programs are swapped while packets flow.
///
/// # Invariants
///
/// `ptr` always points at a valid `T` owned by this value (from `KBox::into_raw`); it is
/// only replaced with `writer` held.
pub struct RcuBox<T: Send + Sync> {
    ptr: core::sync::atomic::AtomicPtr<T>,
    writer: core::pin::Pin<crate::alloc::KBox<crate::sync::Mutex<()>>>,
}

impl<T: Send + Sync> RcuBox<T> {
    /// Owns `value`.
    pub fn new(value: crate::alloc::KBox<T>) -> crate::error::Result<Self> {
        Ok(Self {
            writer: <crate::alloc::KBox<_> as crate::init::InPlaceInit<_>>::pin_init(
                crate::new_mutex!(()),
                crate::alloc::flags::GFP_KERNEL,
            )?,
            ptr: core::sync::atomic::AtomicPtr::new(crate::alloc::KBox::into_raw(value)),
        })
    }

    /// The current value, for the duration of the read-side section (`rcu_dereference`).
    #[inline]
    pub fn read<'a>(&'a self, _guard: &'a Guard) -> &'a T {
        // SAFETY: the pointer is valid (type invariant); `update` frees an old value only
        // after a grace period, so it outlives the guard's section.
        unsafe { &*self.ptr.load(core::sync::atomic::Ordering::Acquire) }
    }

    /// Replaces the value with what `f` builds from the current one, serialised with
    /// other writers; if `f` fails, nothing changes. Might sleep (process context).
    pub fn update<E>(
        &self,
        f: impl FnOnce(&T) -> core::result::Result<crate::alloc::KBox<T>, E>,
    ) -> core::result::Result<(), E> {
        let _writer = self.writer.lock();
        let cur = self.ptr.load(core::sync::atomic::Ordering::Acquire);
        // SAFETY: with the writer lock held nobody else replaces (and frees) `cur`.
        let new = f(unsafe { &*cur })?;
        self.ptr.store(
            crate::alloc::KBox::into_raw(new),
            core::sync::atomic::Ordering::Release,
        );
        synchronize_rcu();
        // SAFETY: `cur` came from `KBox::into_raw`; after the grace period no reader
        // references it, and only this writer knew it was replaced.
        drop(unsafe { crate::alloc::KBox::from_raw(cur) });
        Ok(())
    }
}

impl<T: Send + Sync> Drop for RcuBox<T> {
    fn drop(&mut self) {
        // SAFETY: the value is ours; readers borrow `self`, so none is left.
        drop(unsafe { crate::alloc::KBox::from_raw(*self.ptr.get_mut()) });
    }
}

// SAFETY: the value is shared read-only between threads and replaced atomically.
unsafe impl<T: Send + Sync> Sync for RcuBox<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Send for RcuBox<T> {}
