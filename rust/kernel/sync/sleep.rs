// SPDX-License-Identifier: GPL-2.0

//! Where code may sleep.
//!
//! C header: [`include/linux/kernel.h`](srctree/include/linux/kernel.h) (`might_sleep`).
//!
//! A task in process context may block (wait for a lock, for I/O, for a peer); code in an
//! interrupt, a softirq (the receive path, NAPI), an RCU read-side section or under a
//! spinlock must not. The kernel checks it at run time with `CONFIG_DEBUG_ATOMIC_SLEEP`
//! ("BUG: sleeping function called from invalid context"); netdive's abstractions also
//! say it in the types: a call that can block takes a [`Sleepable`].

use crate::bindings;
use core::marker::PhantomData;

/// Proof that the code holding it runs in process context and may sleep: blocking
/// calls (a socket's `accept`, `recv`, `connect`) take `&Sleepable`. The abstractions hand
/// it out where the kernel gives that guarantee: a kernel thread's body
/// ([`ThreadContext::sleepable`](crate::kthread::ThreadContext::sleepable)), a control file's write
/// ([`crate::net::procfs::ControlFile::write`]).
///
/// A holder can still enter an atomic section (take a spinlock, an RCU read lock) and
/// call a blocking function inside it: that the type does not prevent. Every blocking call
/// also checks at run time (`might_sleep`), so the debug kernel (`DEBUG_ATOMIC_SLEEP`)
/// reports it.
pub struct Sleepable {
    _not_send: PhantomData<*mut ()>,
}

impl Sleepable {
    /// Says the current context may sleep.
    ///
    /// # Safety
    ///
    /// The caller runs in process context (not in an interrupt, a softirq, an RCU
    /// read-side section or under a spinlock) for as long as the returned value lives.
    pub unsafe fn assume<'a>() -> &'a Sleepable {
        &Sleepable {
            _not_send: PhantomData,
        }
    }

    /// The run-time check a blocking call makes first (`might_sleep`).
    #[inline]
    pub fn might_sleep(&self) {
        // SAFETY: a check, no precondition.
        unsafe { bindings::might_sleep() };
    }
}
