// SPDX-License-Identifier: GPL-2.0

//! RCU: read-side critical sections and pointers published under them.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)
//!
//! Networking reads most shared state under RCU: the device list of a namespace
//! (`for_each_netdev_rcu`), the other end of a veth pair (`priv->peer`), an attached XDP
//! program (`dev->xdp_prog`), a netfilter rule table. A reader holds a [`Guard`] and takes
//! no lock; a writer publishes a new object ([`RcuPointer::replace`], C's
//! `rcu_replace_pointer`), waits until no reader can still see the old one
//! (`synchronize_rcu`) and only then lets it go.
//!
//! What the types enforce, and what they cannot:
//!
//! - A reference read under RCU borrows both the guard and the pointer it came from, so it
//!   can outlive neither the read-side section nor the container (which could otherwise be
//!   dropped, freeing the object, while the reference is in use).
//! - A writer sleeps (`synchronize_rcu`). Sleeping inside a read-side section is a kernel bug
//!   that no Rust type here can rule out (the same holds for every sleeping function, as in
//!   upstream Rust-for-Linux, where `klint` checks it); the debug kernel reports it
//!   (`Illegal synchronize_rcu() in RCU read-side critical section`).

use crate::{bindings, types::ForeignOwnable};
use core::{
    marker::PhantomData,
    sync::atomic::{AtomicPtr, Ordering},
};

/// An RCU read-side critical section; it ends when the guard is dropped.
///
/// # Invariants
///
/// The current CPU is inside an RCU read-side critical section for as long as the guard
/// lives: either entered with `rcu_read_lock()` by [`Guard::new`] (and left by `Drop`), or
/// one the holder of a [`BhGuard`] or the caller of [`with_read_lock_held`] is in, which
/// outlives the borrowed guard (that guard is never dropped). The guard is `!Send`: the
/// section must end on the CPU context that started it.
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

/// An RCU read-side critical section with bottom halves disabled on this CPU: C's
/// `rcu_read_lock_bh()` flavour, which is where the packet paths run (`ndo_start_xmit`
/// under `rcu_read_lock_bh`, a NAPI poll in softirq context). It is also a plain RCU
/// section (it dereferences to a [`Guard`]), and it proves what the locks a softirq also
/// takes need: that no softirq can interrupt the holder on this CPU.
///
/// # Invariants
///
/// Bottom halves are disabled on the current CPU for as long as the guard lives: by
/// [`read_lock_bh`] (undone by `Drop`), or by the caller of [`with_bh_disabled`] (that
/// guard is never dropped).
pub struct BhGuard(core::mem::ManuallyDrop<Guard>);

impl core::ops::Deref for BhGuard {
    type Target = Guard;

    #[inline]
    fn deref(&self) -> &Guard {
        // Since the RCU flavours were consolidated (4.20), a region with bottom halves off
        // is a read-side critical section that `synchronize_rcu` waits for.
        &self.0
    }
}

impl Drop for BhGuard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: a `BhGuard` that is dropped was made by `read_lock_bh` (type invariant).
        unsafe { bindings::rcu_read_unlock_bh() };
    }
}

/// Enters an RCU read-side critical section with bottom halves off: `rcu_read_lock_bh()`.
#[inline]
pub fn read_lock_bh() -> BhGuard {
    // SAFETY: may be called from any context but hard interrupts; undone in `Drop`.
    unsafe { bindings::rcu_read_lock_bh() };
    // INVARIANT: bottom halves are now off, in a read-side section.
    BhGuard(core::mem::ManuallyDrop::new(Guard(PhantomData)))
}

/// Runs `f` with a guard for the section the caller is already in because bottom halves
/// are disabled (softirq context, `local_bh_disable()`): the packet paths
/// (`ndo_start_xmit`, a NAPI poll) run so, and using this there saves a
/// `rcu_read_lock_bh`/`rcu_read_unlock_bh` pair per packet.
///
/// # Safety
///
/// Bottom halves are disabled on this CPU for the whole call.
#[inline]
pub unsafe fn with_bh_disabled<R>(f: impl FnOnce(&BhGuard) -> R) -> R {
    // INVARIANT: bottom halves are off (the caller's promise); the guard is never
    // dropped, so it does not enable what it did not disable.
    let guard =
        core::mem::ManuallyDrop::new(BhGuard(core::mem::ManuallyDrop::new(Guard(PhantomData))));
    f(&guard)
}

/// Runs `f` with a guard for the `rcu_read_lock()` section the caller already holds (a
/// netfilter hook: `nf_hook` locks around it), saving a second lock/unlock pair.
///
/// # Safety
///
/// The caller is inside an RCU read-side critical section for the whole call.
#[inline]
pub unsafe fn with_read_lock_held<R>(f: impl FnOnce(&Guard) -> R) -> R {
    // INVARIANT: the caller guarantees the read-side section; the guard is never dropped,
    // so it does not unlock what it did not lock.
    let guard = core::mem::ManuallyDrop::new(Guard(PhantomData));
    f(&guard)
}

/// Waits until every RCU read-side critical section that started before has ended.
///
/// Might sleep: process context only, never inside a read-side section.
#[inline]
pub fn synchronize_rcu() {
    // SAFETY: `synchronize_rcu` has no preconditions beyond a sleepable context.
    unsafe { bindings::synchronize_rcu() };
}

/// A pointer that readers follow under RCU and writers replace whole: C's `__rcu`
/// pointer, read with `rcu_dereference` and written with `rcu_replace_pointer`.
///
/// `P` is an owning pointer ([`KBox`](crate::alloc::KBox), [`Arc`](crate::sync::Arc),
/// [`ARef`](crate::types::ARef)), so the pointer either owns its object or is empty.
/// Readers ([`RcuPointer::get`]) take no lock and see the old or the new object, never a
/// half-written one; what they get borrows both the pointer and the guard. Writers
/// ([`RcuPointer::replace`], [`RcuPointer::set`]) publish the new object, wait for every
/// reader that may still see the old one (`synchronize_rcu`), and only then hand the old
/// one back. This is how a veth pair's `priv->peer`, a device's XDP program and a
/// netfilter table are swapped while packets flow.
///
/// # Invariants
///
/// `ptr` is null or a value of `P::into_foreign` that this value owns. An owned value is
/// given back (`P::from_foreign`) only after a grace period that started after `ptr`
/// stopped pointing at it, or in `Drop`, when no reader can borrow `self`.
pub struct RcuPointer<P: ForeignOwnable> {
    ptr: AtomicPtr<core::ffi::c_void>,
    _p: PhantomData<P>,
}

// SAFETY: readers on any CPU borrow the object (`P: Sync`), writers on any CPU take it
// back and drop it (`P: Send`); the pointer itself is only accessed atomically.
unsafe impl<P: ForeignOwnable + Send + Sync> Send for RcuPointer<P> {}
// SAFETY: as above.
unsafe impl<P: ForeignOwnable + Send + Sync> Sync for RcuPointer<P> {}

impl<P: ForeignOwnable> Default for RcuPointer<P> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<P: ForeignOwnable> RcuPointer<P> {
    /// A pointer to nothing (`NULL`).
    pub const fn empty() -> Self {
        Self {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
            _p: PhantomData,
        }
    }

    /// A pointer to `value`, published from the start.
    pub fn new(value: P) -> Self {
        // INVARIANT: `into_foreign` hands us ownership of `value`.
        Self {
            ptr: AtomicPtr::new(value.into_foreign().cast_mut()),
            _p: PhantomData,
        }
    }

    /// The object, for as long as both the read-side section `guard` and this pointer are
    /// borrowed (`rcu_dereference`).
    #[inline]
    pub fn get<'a>(&'a self, _guard: &'a Guard) -> Option<P::Borrowed<'a>> {
        let p = self.ptr.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: a non-null pointer is a value of `into_foreign` that we own (type
        // invariant). It is given back only after a grace period that started after it was
        // replaced, and `_guard` keeps this CPU inside a read-side section that started
        // before (else the load would not have seen it), so it stays valid for `'a`; `Drop`
        // cannot run while `self` is borrowed.
        Some(unsafe { P::borrow(p) })
    }

    /// Whether an object is published (a racy snapshot, for decisions a lock serialises).
    #[inline]
    pub fn is_set(&self) -> bool {
        !self.ptr.load(Ordering::Relaxed).is_null()
    }

    /// Publishes `new` (or `NULL`), waits until no reader can still see the old object and
    /// returns it. Might sleep: process context, never inside a read-side section.
    pub fn replace(&self, new: Option<P>) -> Option<P> {
        let new = new.map_or(core::ptr::null_mut(), |p| p.into_foreign().cast_mut());
        let old = self.ptr.swap(new, Ordering::AcqRel);
        if old.is_null() {
            return None;
        }
        synchronize_rcu();
        // SAFETY: `old` was owned by this pointer (type invariant) and is no longer
        // reachable through it; the grace period has ended every section that could have
        // borrowed it.
        Some(unsafe { P::from_foreign(old) })
    }

    /// Publishes `new` (or `NULL`) and drops the old object once no reader can see it.
    /// Might sleep, as [`RcuPointer::replace`].
    pub fn set(&self, new: Option<P>) {
        drop(self.replace(new));
    }

    /// Clears the pointer and returns the old object once no reader can see it. Might
    /// sleep, as [`RcuPointer::replace`].
    pub fn take(&self) -> Option<P> {
        self.replace(None)
    }
}

impl<P: ForeignOwnable> Drop for RcuPointer<P> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: we own the value (type invariant); `&mut self` means no reader
            // borrows this pointer, hence none borrows the object through it.
            drop(unsafe { P::from_foreign(p) });
        }
    }
}

// An `ARef<T>` is one counted reference, a single pointer: published under RCU it is read
// with one load (a pair's peer device, a device's XDP program).
impl<T: crate::types::AlwaysRefCounted + 'static> ForeignOwnable for crate::types::ARef<T> {
    type Borrowed<'a> = &'a T;

    fn into_foreign(self) -> *const core::ffi::c_void {
        crate::types::ARef::into_raw(self)
            .as_ptr()
            .cast_const()
            .cast()
    }

    unsafe fn borrow<'a>(ptr: *const core::ffi::c_void) -> &'a T {
        // SAFETY: the caller guarantees `ptr` came from `into_foreign` and that the
        // reference it owns is kept until `'a` ends.
        unsafe { &*ptr.cast::<T>() }
    }

    unsafe fn from_foreign(ptr: *const core::ffi::c_void) -> Self {
        // SAFETY: the caller guarantees `ptr` came from `into_foreign`, which gave up one
        // counted reference, non-null; it is handed back here.
        unsafe {
            crate::types::ARef::from_raw(core::ptr::NonNull::new_unchecked(ptr.cast_mut().cast()))
        }
    }
}
