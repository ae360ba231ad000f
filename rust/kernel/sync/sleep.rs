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

use crate::{bindings, prelude::*};
use core::{
    marker::PhantomData,
    sync::atomic::{AtomicBool, Ordering},
};

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
/// call a blocking function inside it: that the type does not prevent. So every blocking
/// call of this crate asks first ([`Sleepable::may_block`]) and refuses where it can see
/// that it must not sleep: inside an [`rcu::Guard`](crate::sync::rcu::Guard) (its per-CPU
/// count), with bottom halves or interrupts off, in interrupt context, or with preemption
/// off where the kernel counts it (`CONFIG_PREEMPT_COUNT`, the test kernel). A call that
/// returns a `Result` fails with `EDEADLK`; a drop that would block (closing a
/// [`Socket`](crate::net::socket::Socket), stopping a [`Thread`](crate::kthread::Thread))
/// hands its work to a kworker. Sleeping inside a section matters beyond the bug itself:
/// on a kernel without preemptible RCU a context switch is the CPU's quiescent state
/// (`rcu_note_context_switch`, kernel/rcu/tree_plugin.h:998-1001), so the grace period
/// could end and the objects read under the guard be freed while the sleeper still holds
/// references to them.
///
/// The crate's other calls that block ask the same question and fail with `EDEADLK`:
/// registering a pernet subsystem or a link type, registering a device in `newlink`,
/// attaching a fast-path program, making a fast-path slot.
///
/// What no check here sees: a spinlock held on a kernel without `CONFIG_PREEMPT_COUNT`
/// (the lab kernel), and blocking calls that ask nothing: upstream 6.12's `Mutex::lock`,
/// `CondVar::wait` and every `GFP_KERNEL` allocation (`KBox::new`), and the drop of a
/// pernet or link-type `Registration` (it unregisters, which waits for a grace period).
/// Upstream Rust-for-Linux leaves those to `klint`. The debug kernel reports each
/// (`DEBUG_ATOMIC_SLEEP`: "BUG: sleeping function called from invalid context"), and
/// `make test` fails on it.
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

    /// What a blocking call asks first: `Ok` if the caller may block here, `EDEADLK` (with
    /// a note in the kernel log, once) if it can see that it must not: inside an RCU
    /// read-side section counted by a [`Guard`](crate::sync::rcu::Guard) on this CPU, in
    /// interrupt context, with interrupts or (where counted) preemption off.
    pub fn may_block(&self) -> Result {
        if may_block_here() {
            // What this check cannot see, the kernel's may (a spinlock held on a kernel
            // with `CONFIG_DEBUG_ATOMIC_SLEEP`).
            self.might_sleep();
            return Ok(());
        }
        if !REFUSAL_NOTED.swap(true, Ordering::Relaxed) {
            crate::pr_warn!(
                "netdive: a blocking call inside an RCU read-side section or atomic \
                 context was refused (EDEADLK)\n"
            );
        }
        Err(edeadlk())
    }
}

/// `EDEADLK`: what a blocking call returns where it must not sleep ([`Sleepable::may_block`]).
pub fn edeadlk() -> Error {
    Error::from_errno(-(bindings::EDEADLK as i32))
}

/// Whether the one-time note about a refused blocking call has been printed.
static REFUSAL_NOTED: AtomicBool = AtomicBool::new(false);

/// Whether the current context may block, as far as it can be seen: not inside a read-side
/// section counted by an [`rcu::Guard`](crate::sync::rcu::Guard) on this CPU, not in
/// interrupt context, interrupts on, and preemption on where the kernel counts it
/// (`in_atomic()`: with `CONFIG_PREEMPT_COUNT` it also counts spinlocks and, on a kernel
/// without preemptible RCU, `rcu_read_lock()`; without it, only interrupt contexts and
/// bottom halves off, include/linux/preempt.h:115,143,186).
pub(crate) fn may_block_here() -> bool {
    // SAFETY: `in_atomic` and `irqs_disabled` read this CPU's state, no precondition.
    let atomic = unsafe { bindings::in_atomic() || bindings::irqs_disabled() };
    !atomic && !crate::sync::rcu::inside_counted_section()
}
