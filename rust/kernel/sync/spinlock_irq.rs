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
//! Guards can be dropped in any order (`drop(a)` before `drop(b)`, or a guard moved into a
//! struct that outlives the next one). With `spin_unlock_irqrestore`'s saved flags, dropping
//! an outer guard first would turn interrupts back on while the inner lock is still held
//! (an interrupt on this CPU that takes it then spins for ever) and leave them off once it
//! is dropped (Rust-for-Linux issue #998). So, as upstream's later `SpinLockIrq` does
//! (`local_interrupt_disable`/`local_interrupt_enable`), interrupts are disabled by
//! counting: each guard raises this CPU's count of interrupt-disabled sections, the first
//! saves the interrupt flags, and only the last to go restores them. Whatever the drop
//! order, interrupts stay off while any such lock is held and come back as the first guard
//! found them.
//!
//! A count per CPU is exact: while it is above zero interrupts are off, so its holder
//! cannot be preempted, interrupted or migrated (unless it sleeps under a spinlock, a
//! kernel bug of its own), and guards are `!Send`, so each is dropped on the CPU whose count
//! it raised. An NMI takes no spinlock.

use super::lock::{Backend, Lock};
use crate::bindings;
use crate::ffi::c_ulong;

/// This CPU's count of interrupt-disabled sections and the flags the first one saved
/// (per-CPU variables of rust/helpers/netdive_sync.c).
///
/// Only for code that runs with interrupts disabled (which keeps it on this CPU, and keeps
/// interrupt handlers from running in between), the only code that touches them.
#[inline]
fn this_cpu_irq_state() -> (*mut c_ulong, *mut c_ulong) {
    // SAFETY: no precondition; the pointers are this CPU's copies of static per-CPU
    // variables, valid for the kernel's lifetime.
    unsafe {
        (
            bindings::netdive_irq_depth_ptr(),
            bindings::netdive_irq_flags_ptr(),
        )
    }
}

/// Disables interrupts on this CPU, counting: the first disable saves the interrupt
/// state that the matching last [`local_interrupt_enable`] restores (upstream's
/// `local_interrupt_disable`).
#[inline]
fn local_interrupt_disable() {
    // SAFETY: no precondition; interrupts are off from here.
    let flags = unsafe { bindings::local_irq_save() };
    let (depth, saved) = this_cpu_irq_state();
    // SAFETY: interrupts are off (just above): nothing else on this CPU touches its copies,
    // and no other CPU ever does.
    unsafe {
        if *depth == 0 {
            *saved = flags;
        }
        *depth = (*depth).wrapping_add(1);
    }
}

/// Undoes one [`local_interrupt_disable`]; the last restores the interrupt state the
/// first saved.
///
/// # Safety
///
/// Called on the CPU of a [`local_interrupt_disable`] that this call undoes, which no other
/// call undid; interrupts have been off on this CPU since.
#[inline]
unsafe fn local_interrupt_enable() {
    let (depth, saved) = this_cpu_irq_state();
    // SAFETY: interrupts are off (the caller's promise): nothing else on this CPU touches
    // its copies, and no other CPU ever does.
    let count = unsafe { *depth };
    // At least one, for the disable this undoes; a zero (only if a holder slept and moved
    // CPU, a bug of its own) is left alone.
    if count == 0 {
        return;
    }
    // SAFETY: as above.
    unsafe { *depth = count - 1 };
    if count == 1 {
        // SAFETY: `*saved` (read as above) is the state that the first of the balanced
        // disables saved, and this is the last enable.
        unsafe { bindings::local_irq_restore(*saved) };
    }
}

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

// SAFETY: the kernel's `spinlock_t` gives mutual exclusion; `lock` disables interrupts
// (counted, on this CPU) before it spins and `unlock` enables them (the count's last
// enable restores the first disable's state) after it releases, so interrupts are off on
// this CPU whenever a guard on it exists, in whatever order guards are dropped. `relock`
// uses the default (`lock` again).
unsafe impl Backend for SpinLockIrqBackend {
    type State = bindings::spinlock_t;
    type GuardState = ();

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
        local_interrupt_disable();
        // SAFETY: the caller promises `ptr` points at an initialised lock. Interrupts are
        // off, as `spin_lock_irqsave` would leave them (include/linux/spinlock.h:379-382).
        unsafe { bindings::spin_lock(ptr) }
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: the caller owns the lock, which it took with `lock`.
        unsafe { bindings::spin_unlock(ptr) };
        // SAFETY: `lock` disabled interrupts on this CPU (a guard is not `Send`: it is
        // dropped on the CPU that locked, which interrupts being off kept it on), and this
        // unlock is that guard's only one.
        unsafe { local_interrupt_enable() };
    }
}
