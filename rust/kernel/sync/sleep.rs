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
/// it out where the kernel gives that guarantee.
///
/// A *unique* one, `&mut Sleepable`, says more: this task does not hold the RTNL either,
/// so it may take it ([`rtnl::lock`](crate::net::rtnl::lock) borrows it mutably for as
/// long as the RTNL is held, and so cannot be called again inside; the guard lends a
/// shared `&Sleepable` back, see [`RtnlGuard::sleepable`](crate::net::rtnl::RtnlGuard::sleepable)).
/// The adapters hand one out only where Linux 6.12 runs the callback in a task that holds
/// no lock at all:
///
/// - a control file's `show` and `write` ([`crate::net::procfs::ControlFile`]): the
///   reader's or writer's own task in a `read(2)`/`write(2)`; `proc_simple_write`
///   (`fs/proc/generic.c:821-838`) calls the write handler holding nothing, `seq_read_iter`
///   (`fs/seq_file.c:182`) calls `show` holding only the file's own `m->lock`. A task
///   never returns to user space with the RTNL held.
/// - a kernel thread's body
///   ([`ThreadContext::sleepable_mut`](crate::kthread::ThreadContext::sleepable_mut)):
///   a new task, started by `kthread()` (`kernel/kthread.c:341`), holding nothing.
///
/// Pernet `exit` ([`crate::net::pernet::Subsystem::exit`]) gets only a shared
/// `&Sleepable`: the core runs it without the RTNL (`ops_undo_list` drops it in
/// `ops_exit_rtnl_list`, `net/core/net_namespace.c:175-197`, before `ops_exit_list` calls
/// `exit`, `:250-257`; `cleanup_net` and `setup_net`'s undo hold only
/// `pernet_ops_rwsem`), but `unregister_pernet_subsys` (`:1412-1416`) runs it in the
/// task that drops the registration, which may hold the RTNL. Callbacks that run under
/// the RTNL (`ndo_open`, `newlink`, ...) receive an [`Rtnl`](crate::net::rtnl::Rtnl), never a
/// `Sleepable` of either kind.
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

    /// Says the current context may sleep and holds the RTNL nowhere up the stack: the
    /// unique capability an adapter hands a callback the core runs holding no lock.
    ///
    /// # Safety
    ///
    /// As for [`Sleepable::assume`]; moreover the current task does not hold the RTNL, and
    /// no other `&mut Sleepable` or [`RtnlGuard`](crate::net::rtnl::RtnlGuard) of this
    /// task is usable while the returned one lives (the callee borrows it; its caller's
    /// are not reachable from it).
    pub(crate) unsafe fn assume_mut<'a>() -> &'a mut Sleepable {
        // SAFETY: `Sleepable` is a zero-sized type, so any aligned non-null pointer is a
        // valid, unique reference to one.
        unsafe { core::ptr::NonNull::<Sleepable>::dangling().as_mut() }
    }

    /// The run-time check a blocking call makes first (`might_sleep`).
    #[inline]
    pub fn might_sleep(&self) {
        // SAFETY: a check, no precondition.
        unsafe { bindings::might_sleep() };
    }
}
