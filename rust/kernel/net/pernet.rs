// SPDX-License-Identifier: GPL-2.0

//! State per network namespace: pernet subsystems.
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)
//! (`struct pernet_operations`, `register_pernet_subsys`),
//! [`include/net/netns/generic.h`](srctree/include/net/netns/generic.h) (`net_generic`);
//! core in `net/core/net_namespace.c`.
//!
//! Much of networking is per namespace: every namespace has its own devices, routes,
//! netfilter hooks and `/proc/net`. A module that keeps state per namespace registers a
//! pernet subsystem: the core calls its `init` for every namespace that exists and every
//! one created later, and its `exit` when a namespace goes away or the subsystem is
//! unregistered; the state lives in the namespace's generic storage (`net_generic`),
//! found by an id the core assigns at registration.
//!
//! A [`Subsystem`] builds its state ([`Subsystem::Data`]) and names its [`Feature`]s: what
//! each namespace registers that points at the state, such as netfilter hooks
//! ([`netfilter::Hooks`](super::netfilter::Hooks)) or a control file
//! ([`procfs::File`](super::procfs::File)). The registration registers them once the
//! state is in place and unregisters them before it is dropped.

use super::ns::Namespace;
use crate::{
    bindings,
    error::{from_result, to_result},
    prelude::*,
    sync::sleep::{self, Sleepable},
    types::Opaque,
};
use core::{
    cell::UnsafeCell,
    marker::PhantomData,
    mem::MaybeUninit,
    sync::atomic::{AtomicBool, Ordering},
};

/// Where the core records a subsystem's generic-storage id (`pernet_operations.id`): a
/// subsystem declares one `static` of it. One registration at a time may use it.
///
/// # Invariants
///
/// `id` is written by the core (`register_pernet_subsys`) only while `in_use` is set by
/// the one [`Registration`] using it, before any of that registration's callbacks run.
pub struct Id {
    id: UnsafeCell<u32>,
    in_use: AtomicBool,
}

// SAFETY: `id` is written by the core under `pernet_ops_rwsem` before the callbacks that
// read it (under the same semaphore) run; `in_use` is atomic.
unsafe impl Sync for Id {}

impl Id {
    /// An id slot, filled in at registration.
    pub const fn new() -> Self {
        Self {
            id: UnsafeCell::new(0),
            in_use: AtomicBool::new(false),
        }
    }

    fn get(&self) -> u32 {
        // SAFETY: set before the first callback of the registration using it, and not
        // changed while it is registered (type invariant).
        unsafe { *self.id.get() }
    }
}

impl Default for Id {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a subsystem's id slot is: a `static` [`Id`], the same on every call, declared by
/// [`pernet_id!`](crate::pernet_id) (which [`module_pernet!`](crate::module_pernet) uses).
///
/// # Safety
///
/// [`IdSlot::id`] returns the same `&'static Id` on every call: the registration hands that
/// slot to the core, and every callback finds a namespace's state through it
/// (`net_generic`), so another slot would find storage that is not ours.
pub unsafe trait IdSlot {
    /// The subsystem's id slot. A second registration using the same slot while the first
    /// is registered fails (`EBUSY`).
    fn id() -> &'static Id;
}

/// Declares subsystem `type`'s id slot ([`IdSlot`]): one `static` [`Id`], for a module that
/// writes its own `Module` (it registers more than one thing); [`module_pernet!`] declares
/// it for the others.
///
/// [`module_pernet!`]: crate::module_pernet
#[macro_export]
macro_rules! pernet_id {
    ($type:ty) => {
        // SAFETY: `id` returns the one static declared in it, on every call.
        unsafe impl $crate::net::pernet::IdSlot for $type {
            fn id() -> &'static $crate::net::pernet::Id {
                static ID: $crate::net::pernet::Id = $crate::net::pernet::Id::new();
                &ID
            }
        }
    };
}

/// A module's state in every network namespace.
pub trait Subsystem: IdSlot + Sized + Send + Sync + 'static {
    /// The state of one namespace.
    type Data: Send + Sync;

    /// What each namespace registers that points at its state: `()` for nothing, one
    /// feature, or a pair of them.
    type Features: Feature<Self>;

    /// Builds a namespace's state in place (pernet `init`); the namespace is being set up,
    /// or exists already when the subsystem registers.
    fn init(net: &Namespace) -> impl PinInit<Self::Data, Error>;

    /// The namespace goes, or the subsystem is unregistered (pernet `exit`): runs after
    /// the features are unregistered (no hook or file call is in flight or can start)
    /// and before the state is dropped, in process context, so work that blocks (stopping
    /// threads, closing sockets) can be done here. Does nothing unless overridden.
    ///
    /// `ctx` is shared: it may sleep but cannot take the RTNL. The core runs `exit`
    /// without it (`cleanup_net`), but a registration dropped by a task that holds it
    /// runs `exit` in that task (`unregister_pernet_subsys`).
    fn exit(_data: &Self::Data, _ctx: &Sleepable) {}
}

/// Something a namespace registers that points at its state.
///
/// Taking it down has two steps, as in C pernet code: [`Feature::unregister`] runs in the
/// core's `pre_exit` and stops new calls; the core then waits an RCU grace period
/// (`ops_undo_list` in net/core/net_namespace.c: `pre_exit`, `synchronize_rcu`, `exit`), and
/// only after it are the feature's [`Feature::State`] and the subsystem's state dropped
/// (pernet `exit`). So a callback that the kernel runs inside an RCU read-side section
/// (a netfilter hook: `nf_hook` takes `rcu_read_lock`) may still be running when
/// `unregister` returns, and is finished before anything it borrows is freed.
///
/// # Safety
///
/// `register` may make the kernel call code that borrows `*data` or the returned state
/// (a hook, a file) only until `unregister` returns, except for calls that run entirely
/// inside an RCU read-side section begun before then (the grace period waits for those);
/// dropping the state after that grace period frees nothing a call can still reach.
pub unsafe trait Feature<S: Subsystem> {
    /// What `unregister` needs, dropped one RCU grace period after `unregister`.
    type State: Send + Sync;

    /// Registers the feature in namespace `net`.
    ///
    /// # Safety
    ///
    /// `net` is a namespace being set up (or alive); `data` is the subsystem's initialised
    /// state in it, which stays valid and in place until the returned state is dropped,
    /// and that is dropped only after `unregister` and an RCU grace period.
    unsafe fn register(net: *mut bindings::net, data: *const S::Data) -> Result<Self::State>;

    /// Unregisters it: no new call starts once this returns.
    ///
    /// # Safety
    ///
    /// `state` came from `register` in namespace `net`, which is still valid; called once.
    unsafe fn unregister(net: *mut bindings::net, state: &mut Self::State);
}

// SAFETY: registers nothing.
unsafe impl<S: Subsystem> Feature<S> for () {
    type State = ();

    unsafe fn register(_net: *mut bindings::net, _data: *const S::Data) -> Result {
        Ok(())
    }

    unsafe fn unregister(_net: *mut bindings::net, _state: &mut ()) {}
}

// SAFETY: `A` and `B` keep the promise; `B` is unregistered before `A`; if `B` fails to
// register, `A` is unregistered and an RCU grace period passes before its state is dropped
// (and before the caller drops the data).
unsafe impl<S: Subsystem, A: Feature<S>, B: Feature<S>> Feature<S> for (A, B) {
    type State = (A::State, B::State);

    unsafe fn register(net: *mut bindings::net, data: *const S::Data) -> Result<Self::State> {
        // SAFETY: the caller's promise, passed on.
        let mut a = unsafe { A::register(net, data) }?;
        // SAFETY: as above.
        match unsafe { B::register(net, data) } {
            Ok(b) => Ok((a, b)),
            Err(e) => {
                // SAFETY: `a` came from `A::register` in `net`.
                unsafe { A::unregister(net, &mut a) };
                // `A`'s calls under RCU may still be running: wait for them before its
                // state and the caller's data go.
                // SAFETY: features are registered from pernet `init`, in process context
                // holding no spinlock: `setup_net` in the task making the namespace, or
                // `register_pernet_subsys` in the task of `Registration::new`, which
                // refuses inside a read-side section or atomic context (`may_block_here`).
                unsafe { crate::sync::rcu::synchronize_rcu() };
                drop(a);
                Err(e)
            }
        }
    }

    unsafe fn unregister(net: *mut bindings::net, state: &mut Self::State) {
        // SAFETY: the caller's promise, passed on.
        unsafe {
            B::unregister(net, &mut state.1);
            A::unregister(net, &mut state.0);
        }
    }
}

/// Where a namespace's slot is in its life (pernet `init`, `pre_exit`, `exit`).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    /// Nothing initialised (the core's zeroed storage, or `init` failed).
    Empty = 0,
    /// `data` and `features` initialised, the features registered.
    Live = 1,
    /// `data` and `features` initialised, the features unregistered (`pre_exit` ran);
    /// calls under RCU may still be running until the core's grace period ends.
    Unregistered = 2,
}

/// A namespace's slot in `net_generic` storage.
///
/// # Invariants
///
/// `data` and `features` are initialised exactly while `phase` is not `Empty`; the
/// features are registered exactly while it is `Live`; the slot does not move from pernet
/// `init` to `exit`.
#[repr(C)]
struct NetSlot<S: Subsystem> {
    phase: Phase,
    data: MaybeUninit<S::Data>,
    features: MaybeUninit<<S::Features as Feature<S>>::State>,
}

/// The registration of subsystem `S` (`register_pernet_subsys`); unregisters on drop,
/// which runs `exit` in every namespace.
///
/// # Invariants
///
/// `ops` is registered with the core while the value exists, with `S::id()` as its id
/// slot, whose `in_use` this value set.
#[pin_data(PinnedDrop)]
pub struct Registration<S: Subsystem> {
    #[pin]
    ops: Opaque<bindings::pernet_operations>,
    _p: PhantomData<S>,
}

// SAFETY: the core serialises pernet init/exit; the value itself is not touched after
// registration except by drop.
unsafe impl<S: Subsystem> Send for Registration<S> {}
// SAFETY: as above.
unsafe impl<S: Subsystem> Sync for Registration<S> {}

impl<S: Subsystem> Registration<S> {
    /// Registers the subsystem in every namespace, present and future. `EBUSY` if its id
    /// slot is used by another registration; `EDEADLK` where it must not block
    /// ([`Sleepable::may_block`](crate::sync::sleep::Sleepable::may_block)).
    pub fn new() -> impl PinInit<Self, Error> {
        // SAFETY: the closure initialises every field, then registers; on failure nothing
        // is registered and the id slot is released. The value is pinned, so `ops` stays
        // put while registered.
        unsafe {
            crate::init::pin_init_from_closure(move |this: *mut Self| {
                // Registering runs `init` for every namespace, and waits, in this task.
                if !sleep::may_block_here() {
                    return Err(sleep::edeadlk());
                }
                let id = S::id();
                if id.in_use.swap(true, Ordering::AcqRel) {
                    return Err(EBUSY);
                }
                core::ptr::addr_of_mut!((*this)._p).write(PhantomData);
                let ops = Opaque::raw_get(core::ptr::addr_of!((*this).ops));
                ops.write(bindings::pernet_operations {
                    init: Some(Self::init_net_callback),
                    pre_exit: Some(Self::pre_exit_net_callback),
                    exit: Some(Self::exit_net_callback),
                    id: id.id.get(),
                    size: core::mem::size_of::<NetSlot<S>>(),
                    ..MaybeUninit::zeroed().assume_init()
                });
                let ret = to_result(bindings::register_pernet_subsys(ops));
                if ret.is_err() {
                    id.in_use.store(false, Ordering::Release);
                }
                ret
            })
        }
    }

    /// # Safety
    ///
    /// `net` is a namespace in which this subsystem is registered (between `init` and
    /// `exit`).
    unsafe fn slot(net: *mut bindings::net) -> *mut NetSlot<S> {
        // SAFETY: the core allocated `size` zeroed bytes for our id in every namespace
        // whose `init` ran (the caller's namespace is one), and `S::id()` is the slot it
        // recorded that id in (`IdSlot`'s contract).
        unsafe { bindings::net_generic(net, S::id().get()).cast() }
    }

    /// # Safety
    ///
    /// Called by the core as pernet `init`, once per namespace.
    unsafe extern "C" fn init_net_callback(net: *mut bindings::net) -> i32 {
        from_result(|| {
            // SAFETY: `net` is being set up (or registered already) and its zeroed generic
            // storage for our id, which registration recorded, exists and is ours; it does
            // not move until `exit`.
            let slot = unsafe { Self::slot(net) };
            // SAFETY: `net` is valid for the call.
            let ns = unsafe { Namespace::from_raw(net) };
            // SAFETY: the data slot is not initialised (`phase` is `Empty`: zeroed storage)
            // and stays in place until `exit`.
            unsafe { S::init(ns).__pinned_init(core::ptr::addr_of_mut!((*slot).data).cast())? };
            // SAFETY: the data is initialised and stays in place until `exit`, which runs
            // after `pre_exit` unregistered the features and an RCU grace period passed
            // (or `register` failed, leaving nothing registered or running).
            match unsafe { S::Features::register(net, (*slot).data.as_ptr()) } {
                Ok(state) => {
                    // SAFETY: the slot is ours (see above).
                    unsafe {
                        (*slot).features.write(state);
                        (*slot).phase = Phase::Live;
                    }
                    Ok(0)
                }
                Err(e) => {
                    // SAFETY: initialised just above, and nothing points at it.
                    unsafe { (*slot).data.assume_init_drop() };
                    Err(e)
                }
            }
        })
    }

    /// # Safety
    ///
    /// Called by the core as pernet `pre_exit`, once per namespace that `init` ran in,
    /// before the RCU grace period that precedes `exit`.
    unsafe extern "C" fn pre_exit_net_callback(net: *mut bindings::net) {
        // SAFETY: as in `init_net_callback`; the core calls `pre_exit` and `exit` of one
        // namespace one after the other, never at once. Hooks on other CPUs may still be
        // reading `data` (they hold `&S::Data`), so only the fields this touches are
        // borrowed, never the whole slot.
        let (phase, features) = unsafe {
            let slot = Self::slot(net);
            (
                &mut *core::ptr::addr_of_mut!((*slot).phase),
                &mut *core::ptr::addr_of_mut!((*slot).features),
            )
        };
        if *phase != Phase::Live {
            return;
        }
        *phase = Phase::Unregistered;
        // SAFETY: registered (`Live`) by `init` in `net`; unregistered once (the phase
        // changed above). The state stays in the slot until `exit`.
        unsafe { S::Features::unregister(net, features.assume_init_mut()) };
    }

    /// # Safety
    ///
    /// Called by the core as pernet `exit`, once per namespace that `init` ran in, after
    /// `pre_exit` and an RCU grace period (`ops_undo_list`).
    unsafe extern "C" fn exit_net_callback(net: *mut bindings::net) {
        // SAFETY: as in `pre_exit_net_callback`; after the grace period nothing else reads
        // the slot, unless `pre_exit` did not run (then only the fields are borrowed until
        // the features are unregistered and the grace period has passed).
        let slot = unsafe { Self::slot(net) };
        // SAFETY: as above.
        let (phase, features) = unsafe {
            (
                &mut *core::ptr::addr_of_mut!((*slot).phase),
                &mut *core::ptr::addr_of_mut!((*slot).features),
            )
        };
        match *phase {
            Phase::Empty => return,
            Phase::Unregistered => {}
            Phase::Live => {
                // The core always runs `pre_exit` first; should it not, do its work here
                // and wait for the grace period ourselves.
                // SAFETY: as in `pre_exit_net_callback`.
                unsafe { S::Features::unregister(net, features.assume_init_mut()) };
                // SAFETY: pernet `exit` runs in process context holding no spinlock:
                // `cleanup_net` (a work item) or `unregister_pernet_subsys` in the task
                // that drops the `Registration` (a module's exit; a drop inside a
                // read-side section is the residual docs/safety.md names).
                unsafe { crate::sync::rcu::synchronize_rcu() };
            }
        }
        *phase = Phase::Empty;
        // SAFETY: initialised (the phase was not `Empty`), unregistered, and a grace period
        // has passed since: no call can reach the state any more.
        unsafe { features.assume_init_drop() };
        // SAFETY: as above: nothing else borrows the slot now.
        let slot = unsafe { &mut *slot };
        // SAFETY: pernet `exit` runs in process context (`cleanup_net`, a work item, or
        // `unregister_pernet_subsys`), holding no spinlock. Shared only: the RTNL may be
        // held by the task that unregisters (see `Subsystem::exit`).
        let ctx = unsafe { Sleepable::assume() };
        // SAFETY: initialised, not yet dropped.
        S::exit(unsafe { slot.data.assume_init_ref() }, ctx);
        // SAFETY: as above; nothing points at it any more.
        unsafe { slot.data.assume_init_drop() };
    }
}

#[pinned_drop]
impl<S: Subsystem> PinnedDrop for Registration<S> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered by `new` (type invariant); runs `exit` in every namespace.
        unsafe { bindings::unregister_pernet_subsys(self.ops.get()) };
        S::id().in_use.store(false, Ordering::Release);
    }
}

/// Declares a kernel module that keeps state in every network namespace through one
/// pernet subsystem, with what each namespace registers (its [`Subsystem::Features`]: a
/// control file in `/proc/net`, netfilter hooks): C's `module_init` +
/// `register_pernet_subsys`, declared as the kernel's `module_phy_driver!` declares a PHY
/// driver module. It declares the subsystem's [`Id`] ([`IdSlot`]); loading registers the
/// subsystem in every namespace, present and future ([`Registration`]), unloading
/// unregisters it from all of them.
///
/// ```ignore
/// kernel::module_pernet! {
///     type: Rfilter,
///     name: "rfilter",
///     author: "netdive",
///     description: "Packet filter rules per namespace",
///     license: "GPL",
/// }
/// ```
#[macro_export]
macro_rules! module_pernet {
    (
        type: $type:ty,
        name: $name:tt,
        author: $author:tt,
        description: $description:tt,
        license: $license:tt $(,)?
    ) => {
        $crate::pernet_id!($type);

        $crate::__module_with_registration!($crate::net::pernet::Registration<$type>, {
            name: $name,
            author: $author,
            description: $description,
            license: $license,
        });
    };
}
