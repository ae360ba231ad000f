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
//! - A writer waits for a grace period (`synchronize_rcu`), which sleeps; but it never waits
//!   where it could end that grace period under a reference its own caller holds. Inside a
//!   read-side section a sleep is a context switch, and on a kernel without preemptible RCU
//!   (the lab's and the test kernel's) a context switch is this CPU's quiescent state
//!   (`rcu_note_context_switch`, kernel/rcu/tree_plugin.h:998-1001): waiting there would let
//!   the grace period end and the old object be freed while the caller still reads it. So
//!   every [`Guard`] counts itself in a per-CPU depth while it lives, and a writer that finds
//!   this CPU inside a section (a guard alive, or bottom halves or interrupts off) does not
//!   wait: it publishes the new object and keeps the old one in the pointer until a later
//!   write waits for a grace period outside any section, or the pointer is dropped.
//! - Sleeping inside a read-side section by other means would end the grace period the same
//!   way. Every blocking call of this crate takes a [`Sleepable`](crate::sync::sleep::Sleepable)
//!   and refuses (`EDEADLK`, or hands a blocking drop to a kworker) while this CPU's count
//!   shows a guard ([`Sleepable::may_block`](crate::sync::sleep::Sleepable::may_block)).
//!   Blocking calls that ask nothing (upstream 6.12's `Mutex::lock`, `CondVar::wait`) are
//!   not ruled out here, as in upstream Rust-for-Linux, where `klint` checks them; the
//!   debug kernel reports them (`BUG: sleeping function called from invalid context`).
//!
//! Why a per-CPU count is exact enough: a reader cannot be preempted or migrated
//! (`__rcu_read_lock()` is `preempt_disable()` without `CONFIG_PREEMPT_RCU`,
//! include/linux/rcupdate.h:91-94, and this crate refuses to build with it), so a guard
//! stays on the CPU whose count it raised unless its holder sleeps, which is the bug above;
//! an interrupt or softirq that nests on the same CPU takes and drops its own guards before
//! the interrupted code resumes, so it leaves the count as it found it, and while it runs it
//! sees the interrupted holder's count (it then does not wait either, which it must not do
//! in interrupt context anyway). A guard dropped on another CPU than the one it was counted
//! on (its holder slept and migrated) leaves its count raised for good: a count can be too
//! high, making writers keep objects longer, never too low.

#[cfg(not(CONFIG_PREEMPT_NONE))]
compile_error!(
    "kernel::sync::rcu counts read-side sections per CPU, which needs readers that cannot \
     migrate (no CONFIG_PREEMPT_RCU) and no preemption point in `might_sleep` (which \
     PREEMPT_VOLUNTARY makes a `cond_resched`, include/linux/kernel.h:60-63, a quiescent \
     state inside a reader): a CONFIG_PREEMPT_NONE kernel"
);

use crate::{bindings, types::ForeignOwnable};
use core::{
    marker::PhantomData,
    sync::atomic::{AtomicBool, AtomicIsize, AtomicPtr, Ordering},
};

/// This CPU's count of live [`Guard`]s (see the module documentation), as an atomic so that
/// an interrupt on this CPU that changes it (and changes it back) is not a data race.
#[inline]
fn this_cpu_depth() -> &'static AtomicIsize {
    // SAFETY: `netdive_rcu_depth_ptr` returns this CPU's copy of a static per-CPU `long`
    // (rust/helpers/netdive_sync.c), valid for the kernel's lifetime, aligned for `long`,
    // which has the size and alignment of `isize`; it is only ever accessed atomically.
    unsafe { AtomicIsize::from_ptr(bindings::netdive_rcu_depth_ptr()) }
}

/// Counts a guard on this CPU; returns the count it raised, for [`depth_exit`]. A caller
/// inside a read-side section stays on this CPU until the matching exit (module
/// documentation); any other caller that moves leaves the count raised, which is safe.
#[inline]
fn depth_enter() -> *const AtomicIsize {
    let depth = this_cpu_depth();
    // Load and store, not an atomic add (a locked instruction): only this CPU writes its
    // count, and an interrupt in between restores whatever it changed before we go on.
    depth.store(
        depth.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
    depth
}

/// Uncounts a guard counted by [`depth_enter`] (which returned `counted`), still inside its
/// read-side section. On another CPU (the holder slept and migrated, a bug) the count it
/// raised stays raised: too high is safe, too low is not.
#[inline]
fn depth_exit(counted: *const AtomicIsize) {
    let depth = this_cpu_depth();
    if core::ptr::eq(depth, counted) {
        depth.store(
            depth.load(Ordering::Relaxed).wrapping_sub(1),
            Ordering::Relaxed,
        );
    }
}

/// Whether this CPU is inside a read-side section counted by a [`Guard`]: what writers
/// and blocking calls ask (a snapshot, also for checks and tests). If the caller holds a
/// guard it cannot have moved off that guard's CPU (module documentation), so the count
/// read is that CPU's; an interrupt that changes it restores it before we resume. If it
/// holds none, either answer is safe (a wrong "yes" only refuses or defers).
pub fn inside_counted_section() -> bool {
    this_cpu_depth().load(Ordering::Relaxed) != 0
}

/// An RCU read-side critical section; it ends when the guard is dropped.
///
/// # Invariants
///
/// The current CPU is inside an RCU read-side critical section for as long as the guard
/// lives: either entered with `rcu_read_lock()` by [`Guard::new`] (and left by `Drop`), or
/// one the holder of a [`BhGuard`] or the caller of [`with_read_lock_held`] is in, which
/// outlives the borrowed guard (that guard is never dropped). The guard is `!Send`: the
/// section must end on the CPU context that started it.
///
/// While it lives, the section is visible to writers ([`RcuPointer::replace`]) on this CPU:
/// `counted` is the per-CPU depth that [`Guard::new`] and [`with_read_lock_held`] raised
/// (lowered again when the section ends), or null for the guard inside a [`BhGuard`],
/// whose section shows as bottom halves off (`in_interrupt()`).
pub struct Guard {
    counted: *const AtomicIsize,
}

impl Guard {
    /// Enters an RCU read-side critical section.
    #[inline]
    pub fn new() -> Self {
        // SAFETY: `rcu_read_lock` may be called from any context; the matching unlock is
        // in `Drop`.
        unsafe { bindings::rcu_read_lock() };
        // INVARIANT: the read lock was just taken, and counted on this CPU inside it.
        Self {
            counted: depth_enter(),
        }
    }

    /// The guard for a section that bottom halves being off makes visible to writers.
    #[inline]
    fn uncounted() -> Self {
        Self {
            counted: core::ptr::null(),
        }
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
        // Only `Guard::new`'s guards are dropped: counted, by `depth_enter`.
        depth_exit(self.counted);
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
/// guard is never dropped). Writers see the section as bottom halves off
/// (`in_interrupt()`, which counts them in `preempt_count()` on every kernel:
/// include/linux/preempt.h:115 and 143, kernel/softirq.c:342), so the inner [`Guard`] is
/// not counted.
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
    BhGuard(core::mem::ManuallyDrop::new(Guard::uncounted()))
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
        core::mem::ManuallyDrop::new(BhGuard(core::mem::ManuallyDrop::new(Guard::uncounted())));
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
    // INVARIANT: the caller guarantees the read-side section, in which the guard is
    // counted on this CPU; it is never dropped, so it does not unlock what it did not
    // lock, and it is uncounted below, still inside the section. (If `f` unwinds, the
    // count stays raised, which is safe: writers on this CPU then keep old objects.)
    let guard = core::mem::ManuallyDrop::new(Guard {
        counted: depth_enter(),
    });
    let r = f(&guard);
    depth_exit(guard.counted);
    r
}

/// Runs `f` counted as a read-side section on this CPU, for an adapter whose callback C
/// may call inside a section (or a region with preemption off, which is one) that it holds
/// and that nothing else shows on a kernel without preemption counting: a tracepoint probe,
/// `ndo_get_stats64` under `rcu_read_lock()` (/proc/net/dev). A writer called from `f` on
/// this CPU then keeps the old object instead of waiting for a grace period, which would
/// end the caller's section under its references (module documentation). Counting code
/// that is not in a section only makes writers keep objects longer: always safe.
#[inline]
pub(crate) fn as_reader<R>(f: impl FnOnce() -> R) -> R {
    let counted = depth_enter();
    let r = f();
    depth_exit(counted);
    r
}

/// Waits until every RCU read-side critical section that started before has ended.
///
/// # Safety
///
/// The caller may sleep (process context; no spinlock held, bottom halves and interrupts
/// on) and is not inside an RCU read-side critical section: there, on a kernel without
/// preemptible RCU, the sleep would end the grace period (a context switch is this CPU's
/// quiescent state) under the caller's own references, which the objects it then frees
/// may be behind. [`RcuPointer`]'s writers check this for themselves.
#[inline]
pub unsafe fn synchronize_rcu() {
    // SAFETY: the caller may sleep and is outside any read-side section.
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
/// A writer called where it must not wait (inside a read-side section: a [`Guard`] alive
/// on this CPU, bottom halves or interrupts off) publishes the new object all the same,
/// but keeps the old one in the pointer ("retired") instead of waiting and handing it
/// back: the next writer that can wait frees it after its grace period, or `Drop` does.
///
/// # Invariants
///
/// `ptr` and `retired` are null or values of `P::into_foreign` that this value owns;
/// readers reach only `ptr`'s. An owned value is given back (`P::from_foreign`) only after
/// a grace period that started after `ptr` stopped pointing at it, or in `Drop`, when no
/// reader can borrow `self`.
pub struct RcuPointer<P: ForeignOwnable> {
    ptr: AtomicPtr<core::ffi::c_void>,
    retired: AtomicPtr<core::ffi::c_void>,
    _p: PhantomData<P>,
}

// SAFETY: readers on any CPU borrow the object (`P: Sync`), writers on any CPU take it
// back and drop it (`P: Send`); the pointers themselves are only accessed atomically.
unsafe impl<P: ForeignOwnable + Send + Sync> Send for RcuPointer<P> {}
// SAFETY: as above.
unsafe impl<P: ForeignOwnable + Send + Sync> Sync for RcuPointer<P> {}

impl<P: ForeignOwnable> Default for RcuPointer<P> {
    fn default() -> Self {
        Self::empty()
    }
}

/// Whether the one-time note about an object kept for good has been printed.
static LEAK_NOTED: AtomicBool = AtomicBool::new(false);

impl<P: ForeignOwnable> RcuPointer<P> {
    /// A pointer to nothing (`NULL`).
    pub const fn empty() -> Self {
        Self {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
            retired: AtomicPtr::new(core::ptr::null_mut()),
            _p: PhantomData,
        }
    }

    /// A pointer to `value`, published from the start.
    pub fn new(value: P) -> Self {
        // INVARIANT: `into_foreign` hands us ownership of `value`.
        Self {
            ptr: AtomicPtr::new(value.into_foreign().cast_mut()),
            retired: AtomicPtr::new(core::ptr::null_mut()),
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
        // cannot run while `self` is borrowed. No writer waits for that grace period inside
        // this section (they check `may_block_here`), nor does any blocking call of this crate
        // (`Sleepable::may_block`), so it cannot end early that way; a call that sleeps
        // without asking is the residual bug `sync::sleep` documents.
        Some(unsafe { P::borrow(p) })
    }

    /// Whether an object is published (a racy snapshot, for decisions a lock serialises).
    #[inline]
    pub fn is_set(&self) -> bool {
        !self.ptr.load(Ordering::Relaxed).is_null()
    }

    /// Publishes `new` (or `NULL`), waits until no reader can still see the old object and
    /// returns it. Might sleep.
    ///
    /// Where it must not wait (inside a read-side section: a [`Guard`] alive on this CPU,
    /// bottom halves or interrupts off), it returns `None` instead, keeping the old object
    /// until the pointer's next write that can wait, or its drop (see the type's
    /// documentation).
    pub fn replace(&self, new: Option<P>) -> Option<P> {
        let new = new.map_or(core::ptr::null_mut(), |p| p.into_foreign().cast_mut());
        if !crate::sync::sleep::may_block_here() {
            let old = self.ptr.swap(new, Ordering::AcqRel);
            self.retire(old);
            return None;
        }
        let old = self.ptr.swap(new, Ordering::AcqRel);
        // Taken after `old` left `ptr`, and each retired value left `ptr` before it was
        // stored here (`Release` in `retire`, `Acquire` here): the grace period below
        // starts after both stopped being reachable.
        let retired = self.retired.swap(core::ptr::null_mut(), Ordering::Acquire);
        if old.is_null() && retired.is_null() {
            return None;
        }
        // SAFETY: `may_block_here` found this CPU in process context, interrupts and
        // bottom halves on, preemption on where it is counted, and no `Guard` of this task
        // alive (a live guard stays on the
        // CPU whose depth it raised, module documentation); references borrowed from
        // `self` need a guard, so none of the caller's is inside a section this ends.
        unsafe { synchronize_rcu() };
        if !retired.is_null() {
            // SAFETY: `retired` was owned by this pointer (type invariant), unreachable
            // since before the grace period that just ended.
            drop(unsafe { P::from_foreign(retired) });
        }
        if old.is_null() {
            return None;
        }
        // SAFETY: `old` was owned by this pointer (type invariant) and is no longer
        // reachable through it; the grace period has ended every section that could have
        // borrowed it.
        Some(unsafe { P::from_foreign(old) })
    }

    /// Keeps `old`, just unpublished inside a read-side section, until a writer that can
    /// wait (or `Drop`) frees it. If an earlier such object is still kept (a second write
    /// where none can wait, before one that can), `old` is kept for good: leaked, which is
    /// safe, with a note in the kernel log.
    fn retire(&self, old: *mut core::ffi::c_void) {
        if old.is_null() {
            return;
        }
        // INVARIANT: `old` left `ptr` (the `AcqRel` swap before the call, ordered before
        // this `Release`); it stays owned, now through `retired`, or, if that is taken,
        // by nobody: never given back, so never freed under a reader.
        if self
            .retired
            .compare_exchange(
                core::ptr::null_mut(),
                old,
                Ordering::Release,
                Ordering::Relaxed,
            )
            .is_err()
            && !LEAK_NOTED.swap(true, Ordering::Relaxed)
        {
            crate::pr_notice!(
                "netdive: RcuPointer written twice where no grace period can be waited for \
                 (inside an RCU read-side section): one old object is kept for good\n"
            );
        }
    }

    /// Publishes `new` (or `NULL`) and drops the old object once no reader can see it.
    /// Might sleep, as [`RcuPointer::replace`]; where it must not, the old object is
    /// dropped later (see [`RcuPointer::replace`]).
    pub fn set(&self, new: Option<P>) {
        drop(self.replace(new));
    }

    /// Clears the pointer and returns the old object once no reader can see it. Might
    /// sleep, as [`RcuPointer::replace`]; where it must not, it returns `None` and the old
    /// object is dropped later.
    pub fn take(&self) -> Option<P> {
        self.replace(None)
    }
}

impl<P: ForeignOwnable> Drop for RcuPointer<P> {
    fn drop(&mut self) {
        for p in [*self.ptr.get_mut(), *self.retired.get_mut()] {
            if !p.is_null() {
                // SAFETY: we own the value (type invariant); `&mut self` means no reader
                // borrows this pointer, hence none borrows the object through it.
                drop(unsafe { P::from_foreign(p) });
            }
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
