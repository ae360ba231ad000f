// SPDX-License-Identifier: GPL-2.0

//! A spinlock that also turns interrupts off: `spin_lock_irqsave`.
//!
//! C header: [`include/linux/spinlock.h`](srctree/include/linux/spinlock.h)
//!
//! [`SpinLock`](super::SpinLock) is `spin_lock`: enough when every user of the lock runs in
//! the same kind of context. When one of them can run in a softirq or an interrupt (a
//! tracepoint probe called from the receive path, say) and another in process context, a
//! plain spinlock deadlocks: the softirq interrupts the process-context holder on its own
//! CPU and spins on a lock that holder can never release. C takes such a lock with
//! `spin_lock_irqsave` (or `spin_lock_bh` when the other side is a softirq only), which
//! saves the interrupt state and disables interrupts, and restores the saved state on unlock.
//!
//! The guard keeps the saved flags and restores them when dropped. Guards of several such
//! locks must be dropped in the reverse order of locking (as Rust drops locals): dropping an
//! outer guard first turns interrupts back on while the inner lock is still held, which can
//! deadlock (and lockdep reports it) but is not undefined behaviour.

use super::lock::{Backend, Lock};
use crate::bindings;

/// Creates a [`SpinLockIrq`] initialiser with the given name and a newly created lock class.
#[macro_export]
macro_rules! new_spinlock_irq {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::sync::spinlock_irq::SpinLockIrq::new(
            $inner, $crate::optional_name!($($name)?), $crate::static_lock_class!())
    };
}
pub use new_spinlock_irq;

/// Whether interrupts are disabled on the current CPU (`irqs_disabled()`): a snapshot,
/// for checks and tests.
#[inline]
pub fn irqs_disabled() -> bool {
    // SAFETY: reads this CPU's interrupt flag, no precondition.
    unsafe { bindings::irqs_disabled() }
}

/// A spinlock taken with interrupts off (`spin_lock_irqsave`): usable from process context,
/// softirqs and interrupts alike.
///
/// Corresponds to the kernel's `spinlock_t` locked with `spin_lock_irqsave`
/// ([`include/linux/spinlock.h`](srctree/include/linux/spinlock.h)).
///
/// # Examples
///
/// ```
/// use kernel::sync::spinlock_irq::{new_spinlock_irq, SpinLockIrq};
///
/// #[pin_data]
/// struct Log {
///     #[pin]
///     seen: SpinLockIrq<u64>,
/// }
///
/// let log = KBox::pin_init(pin_init!(Log { seen <- new_spinlock_irq!(0) }), GFP_KERNEL)?;
/// *log.seen.lock() += 1;
/// assert_eq!(*log.seen.lock(), 1);
/// # Ok::<(), Error>(())
/// ```
pub type SpinLockIrq<T> = Lock<T, SpinLockIrqBackend>;

/// The `spinlock_t` backend that disables interrupts while the lock is held.
pub struct SpinLockIrqBackend;

// SAFETY: the kernel's `spinlock_t` gives mutual exclusion; `lock` returns the interrupt
// flags it saved, which `unlock` restores with the lock. `relock` uses the default (`lock`
// again), which saves the flags anew.
unsafe impl Backend for SpinLockIrqBackend {
    type State = bindings::spinlock_t;
    type GuardState = crate::ffi::c_ulong;

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const crate::ffi::c_char,
        key: *mut bindings::lock_class_key,
    ) {
        // SAFETY: the caller promises `ptr` valid for writes and `name`, `key` valid for
        // reads for as long as the lock exists.
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: the caller promises `ptr` points at an initialised lock.
        unsafe { bindings::spin_lock_irqsave(ptr) }
    }

    unsafe fn unlock(ptr: *mut Self::State, flags: &Self::GuardState) {
        // SAFETY: the caller owns the lock, which it took with `lock`, whose saved flags
        // `flags` are (a guard is not `Send`: it is dropped on the CPU that locked, which
        // interrupts being off kept it on).
        unsafe { bindings::spin_unlock_irqrestore(ptr, *flags) }
    }
}
