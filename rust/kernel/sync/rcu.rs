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
/// The current CPU is inside an RCU read-side critical section (entered with
/// `rcu_read_lock()`) for as long as the guard lives. The guard is `!Send`: the section
/// must end on the CPU context that started it.
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

/// Waits until every RCU read-side critical section that started before has ended.
///
/// Might sleep: process context only.
#[inline]
pub fn synchronize_rcu() {
    // SAFETY: `synchronize_rcu` has no preconditions beyond a sleepable context.
    unsafe { bindings::synchronize_rcu() };
}
