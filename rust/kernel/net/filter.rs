// SPDX-License-Identifier: GPL-2.0

//! Netfilter hooks, one set per network namespace.
//!
//! C headers: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h),
//! [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h) (pernet
//! operations); core in `net/netfilter/core.c` (`nf_register_net_hooks`, `nf_hook_slow`).
//!
//! The IP stack calls `NF_HOOK(NFPROTO_IPV4, NF_INET_PRE_ROUTING, ...)` in `ip_rcv`,
//! `NF_INET_LOCAL_IN` in `ip_local_deliver`, `NF_INET_FORWARD` in `ip_forward`,
//! `NF_INET_LOCAL_OUT` in `__ip_local_out` and `NF_INET_POST_ROUTING` in `ip_output`
//! (IPv6 alike in net/ipv6/). `nf_hook_slow` runs the hooks registered for that point in
//! that namespace, in priority order, until one says drop, stolen or queue.
//!
//! Hooks are per namespace, so a [`Registration`] is a pernet subsystem: its `init` runs
//! for every namespace that exists and every one created later, registers the hooks there
//! and keeps the filter's per-namespace state ([`Filter::NetData`]) in the namespace's
//! generic storage (`net_generic`); `exit` unregisters them when the namespace goes away
//! or the module unloads. A namespace may also get a control file, `/proc/net/<name>`;
//! a module that needs only that per-namespace state and file declares no hooks.

use super::{dev::Device, ns::Namespace, skb::SkBuffRef};
use crate::{
    bindings,
    error::{from_result, to_result},
    prelude::*,
    str::CStr,
    sync::rcu,
    types::Opaque,
};
use core::{cell::UnsafeCell, fmt, marker::PhantomData, mem::MaybeUninit};

/// A protocol family (`NFPROTO_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `NFPROTO_IPV4`.
    Ipv4,
    /// `NFPROTO_IPV6`.
    Ipv6,
}

impl Family {
    fn raw(self) -> u8 {
        match self {
            Family::Ipv4 => bindings::NFPROTO_IPV4 as u8,
            Family::Ipv6 => bindings::NFPROTO_IPV6 as u8,
        }
    }
}

/// A hook point of the inet families (`enum nf_inet_hooks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum HookPoint {
    /// `NF_INET_PRE_ROUTING`.
    PreRouting = bindings::nf_inet_hooks_NF_INET_PRE_ROUTING,
    /// `NF_INET_LOCAL_IN`.
    LocalIn = bindings::nf_inet_hooks_NF_INET_LOCAL_IN,
    /// `NF_INET_FORWARD`.
    Forward = bindings::nf_inet_hooks_NF_INET_FORWARD,
    /// `NF_INET_LOCAL_OUT`.
    LocalOut = bindings::nf_inet_hooks_NF_INET_LOCAL_OUT,
    /// `NF_INET_POST_ROUTING`.
    PostRouting = bindings::nf_inet_hooks_NF_INET_POST_ROUTING,
}

/// What a hook decides (`NF_ACCEPT`, `NF_DROP`, `NF_STOLEN`, `NF_QUEUE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `NF_ACCEPT`: continue with the next hook, then the stack.
    Accept,
    /// `NF_DROP`: `nf_hook_slow` frees the packet (`kfree_skb_reason`, NETFILTER_DROP).
    Drop,
    /// `NF_STOLEN`: the hook took the packet over; the stack forgets it.
    Stolen,
    /// `NF_QUEUE` to the given queue number (`nfnetlink_queue`).
    Queue(u16),
}

impl Verdict {
    /// The `unsigned int` a C hook returns.
    #[inline]
    pub fn raw(self) -> u32 {
        match self {
            Verdict::Accept => bindings::NF_ACCEPT,
            Verdict::Drop => bindings::NF_DROP,
            Verdict::Stolen => bindings::NF_STOLEN,
            Verdict::Queue(n) => bindings::NF_QUEUE | (u32::from(n) << bindings::NF_VERDICT_QBITS),
        }
    }
}

/// Where a packet is when a hook sees it (`struct nf_hook_state`), and the RCU read-side
/// section netfilter runs hooks in (`nf_hook` takes `rcu_read_lock` around them).
pub struct HookState<'a>(&'a bindings::nf_hook_state, &'a rcu::Guard);

impl<'a> HookState<'a> {
    /// The RCU read-side section the hook runs in: what RCU-protected data (a rule table)
    /// is read under, without a lock of its own.
    #[inline]
    pub fn rcu(&self) -> &'a rcu::Guard {
        self.1
    }

    /// The hook point.
    #[inline]
    pub fn hook(&self) -> u32 {
        u32::from(self.0.hook)
    }

    /// The family: IPv4 or IPv6.
    #[inline]
    pub fn family(&self) -> Family {
        if u32::from(self.0.pf) == bindings::NFPROTO_IPV6 {
            Family::Ipv6
        } else {
            Family::Ipv4
        }
    }

    /// The device the packet came in on (receive-side hooks).
    #[inline]
    pub fn in_dev(&self) -> Option<&'a Device> {
        // SAFETY: a non-null `in` is a valid device for the duration of the hook.
        (!self.0.in_.is_null()).then(|| unsafe { Device::from_raw(self.0.in_) })
    }

    /// The device the packet goes out on (send-side hooks).
    #[inline]
    pub fn out_dev(&self) -> Option<&'a Device> {
        // SAFETY: a non-null `out` is a valid device for the duration of the hook.
        (!self.0.out.is_null()).then(|| unsafe { Device::from_raw(self.0.out) })
    }

    /// The namespace the packet is in.
    #[inline]
    pub fn net(&self) -> &'a Namespace {
        // SAFETY: the namespace outlives the hook call.
        unsafe { Namespace::from_raw(self.0.net) }
    }

    /// Answers the packet with an ICMP (IPv4) destination unreachable of `code`, from
    /// this hook (`nf_send_unreach`), or ICMPv6 (`nf_send_unreach6`). The caller then
    /// drops it.
    pub fn send_unreachable(&self, skb: &SkBuffRef<'_>, code: u8) {
        // SAFETY: the skb is the packet this hook is processing; both functions only
        // read it to build and route a reply.
        unsafe {
            match self.family() {
                Family::Ipv4 => {
                    bindings::nf_send_unreach(skb.as_raw(), i32::from(code), i32::from(self.0.hook))
                }
                Family::Ipv6 => bindings::nf_send_unreach6(
                    self.0.net,
                    skb.as_raw(),
                    code,
                    u32::from(self.0.hook),
                ),
            }
        }
    }
}

/// A read-only `seq_file` for a control file's `show`.
pub struct SeqFile(Opaque<bindings::seq_file>);

impl SeqFile {
    /// Prints formatted text (`seq_printf` with `%pA`).
    pub fn print(&self, args: fmt::Arguments<'_>) {
        // SAFETY: `self` wraps the valid `seq_file` of a `show` call; `%pA` formats the
        // `fmt::Arguments` it is given a pointer to (lib/vsprintf.c, `rust_fmt_argument`).
        unsafe {
            bindings::seq_printf(
                self.0.get(),
                c"%pA".as_ptr().cast(),
                core::ptr::from_ref(&args).cast::<core::ffi::c_void>(),
            )
        };
    }
}

/// One hook a filter registers in every namespace.
#[derive(Clone, Copy)]
pub struct HookSpec {
    /// Family.
    pub family: Family,
    /// Hook point.
    pub point: HookPoint,
    /// Priority: lower runs first (`NF_IP_PRI_FILTER` = 0 is the filter table).
    pub priority: i32,
}

/// Where the core records a pernet subsystem's generic-storage id
/// (`pernet_operations.id`): a filter declares one `static` of it.
pub struct PernetId(UnsafeCell<u32>);

// SAFETY: written once by `register_pernet_subsys` before any reader, then only read.
unsafe impl Sync for PernetId {}

impl PernetId {
    /// An id slot, filled in at registration.
    pub const fn new() -> Self {
        Self(UnsafeCell::new(0))
    }

    fn get(&self) -> u32 {
        // SAFETY: set before the first pernet callback, never changed while registered.
        unsafe { *self.0.get() }
    }
}

impl Default for PernetId {
    fn default() -> Self {
        Self::new()
    }
}

/// A netfilter filter: hooks in every namespace, with state per namespace.
pub trait Filter: Sized + Send + Sync + 'static {
    /// State of one namespace (a rule table, counters).
    type NetData: Send + Sync;

    /// The filter's pernet id slot (`static ID: PernetId = PernetId::new();`).
    fn pernet_id() -> &'static PernetId;

    /// The hooks registered in each namespace; each calls [`Filter::hook`].
    const HOOKS: &'static [HookSpec];

    /// The name of the namespace's control file, `/proc/net/<name>`, if any.
    const CONTROL_FILE: Option<&'static CStr> = None;

    /// Builds a namespace's state (pernet `init`), before its hooks are registered.
    fn init_net(net: &Namespace) -> Result<Self::NetData>;

    /// Decides about one packet. Runs in softirq or process context with RCU held, on
    /// many CPUs at once: no sleeping, no locks on the common path. Only called when
    /// [`Filter::HOOKS`] is not empty.
    fn hook(_data: &Self::NetData, _skb: &SkBuffRef<'_>, _state: &HookState<'_>) -> Verdict {
        Verdict::Accept
    }

    /// Reading the control file.
    fn show(_data: &Self::NetData, _out: &SeqFile) {}

    /// Writing the control file of namespace `net`: `input` is what was written
    /// (NUL-free, at most a page).
    fn write(_data: &Self::NetData, _net: &Namespace, _input: &[u8]) -> Result {
        Err(EINVAL)
    }
}

/// A namespace's slot in `net_generic` storage.
///
/// # Invariants
///
/// `data` is initialised exactly when `ops` is non-null; `ops` then points at
/// `T::HOOKS.len()` hook ops registered in the slot's namespace, each with `priv` = the
/// slot, and `net` is the namespace. The slot's address is stable from pernet `init` to
/// `exit`.
#[repr(C)]
struct NetSlot<T: Filter> {
    net: *mut bindings::net,
    ops: *mut bindings::nf_hook_ops,
    ops_cap: usize,
    proc: *mut bindings::proc_dir_entry,
    data: MaybeUninit<T::NetData>,
}

/// The registration of a filter: a pernet subsystem (`register_pernet_subsys`).
///
/// # Invariants
///
/// `ops` is registered with the core while the value exists, with `T::pernet_id()` as its
/// id slot.
#[pin_data(PinnedDrop)]
pub struct Registration<T: Filter> {
    #[pin]
    ops: Opaque<bindings::pernet_operations>,
    _p: PhantomData<T>,
}

// SAFETY: the core serialises pernet init/exit; the value itself is not touched after
// registration except by drop.
unsafe impl<T: Filter> Send for Registration<T> {}
// SAFETY: as above.
unsafe impl<T: Filter> Sync for Registration<T> {}

impl<T: Filter> Registration<T> {
    /// Registers the filter in every namespace, present and future.
    pub fn new() -> impl PinInit<Self, Error> {
        // SAFETY: the closure initialises every field, then registers; on failure nothing
        // is registered. The value is pinned, so `ops` stays put while registered.
        unsafe {
            crate::init::pin_init_from_closure(move |this: *mut Self| {
                core::ptr::addr_of_mut!((*this)._p).write(PhantomData);
                let ops = Opaque::raw_get(core::ptr::addr_of!((*this).ops));
                ops.write(bindings::pernet_operations {
                    init: Some(Self::init_net_callback),
                    exit: Some(Self::exit_net_callback),
                    id: T::pernet_id().0.get(),
                    size: core::mem::size_of::<NetSlot<T>>(),
                    ..MaybeUninit::zeroed().assume_init()
                });
                to_result(bindings::register_pernet_subsys(ops))
            })
        }
    }

    /// # Safety
    ///
    /// `net` is a namespace in which this subsystem is registered (between `init` and
    /// `exit`).
    unsafe fn slot(net: *mut bindings::net, id: u32) -> *mut NetSlot<T> {
        // SAFETY: the core allocated `size` bytes for our id in every namespace.
        unsafe { bindings::net_generic(net, id).cast() }
    }

    /// # Safety
    ///
    /// Called by the core as pernet `init`, once per namespace.
    unsafe extern "C" fn init_net_callback(net: *mut bindings::net) -> i32 {
        from_result(|| {
            // SAFETY: `net` is being set up and its (zeroed) generic storage for our id,
            // which registration recorded, exists and is ours.
            let slot = unsafe { &mut *Self::slot(net, T::pernet_id().get()) };
            // SAFETY: `net` is valid for the call.
            let ns = unsafe { Namespace::from_raw(net) };
            slot.data.write(T::init_net(ns)?);
            slot.net = net;
            let mut ops = KVec::with_capacity(T::HOOKS.len(), GFP_KERNEL)?;
            for h in T::HOOKS {
                // SAFETY: an all-zero `nf_hook_ops` is valid; we fill in what we use.
                let mut o: bindings::nf_hook_ops = unsafe { MaybeUninit::zeroed().assume_init() };
                o.hook = Some(Self::hook_callback);
                o.priv_ = (slot as *mut NetSlot<T>).cast();
                o.pf = h.family.raw();
                o.hooknum = h.point as u32;
                o.priority = h.priority;
                ops.push(o, GFP_KERNEL)?;
            }
            let (ptr, len, cap) = ops.into_raw_parts();
            // SAFETY: `ptr` holds `len` initialised hook ops that stay allocated until
            // `exit` unregisters and frees them.
            let ret = unsafe { bindings::nf_register_net_hooks(net, ptr, len as u32) };
            if ret < 0 {
                // SAFETY: registration failed: give back the ops and the data.
                unsafe {
                    drop(KVec::from_raw_parts(ptr, len, cap));
                    slot.data.assume_init_drop();
                }
                return Err(Error::from_errno(ret));
            }
            slot.ops = ptr;
            slot.ops_cap = cap;
            if let Some(name) = T::CONTROL_FILE {
                // SAFETY: `proc_net` is the namespace's /proc/net; `slot` outlives the file,
                // which `exit` removes first.
                slot.proc = unsafe {
                    bindings::proc_create_net_single_write(
                        name.as_char_ptr(),
                        0o644,
                        (*net).proc_net,
                        Some(Self::show_callback),
                        Some(Self::write_callback),
                        (slot as *mut NetSlot<T>).cast(),
                    )
                };
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the core as pernet `exit`, once per namespace that `init` succeeded in.
    unsafe extern "C" fn exit_net_callback(net: *mut bindings::net) {
        // SAFETY: as in `init_net_callback`.
        let slot = unsafe { &mut *Self::slot(net, T::pernet_id().get()) };
        if slot.ops.is_null() {
            return;
        }
        // SAFETY: the file, the hooks and the data were set up by `init`; the file is
        // removed (waiting for readers and writers) and the hooks unregistered (waiting
        // for a grace period) before the data they point at is dropped.
        unsafe {
            if let Some(name) = T::CONTROL_FILE {
                if !slot.proc.is_null() {
                    bindings::remove_proc_entry(name.as_char_ptr(), (*net).proc_net);
                }
            }
            let n = T::HOOKS.len();
            bindings::nf_unregister_net_hooks(net, slot.ops, n as u32);
            drop(KVec::from_raw_parts(slot.ops, n, slot.ops_cap));
            slot.ops = core::ptr::null_mut();
            slot.data.assume_init_drop();
        }
    }

    /// # Safety
    ///
    /// Called by netfilter with the `priv` we registered (a live slot) and a valid skb
    /// and state.
    unsafe extern "C" fn hook_callback(
        priv_: *mut core::ffi::c_void,
        skb: *mut bindings::sk_buff,
        state: *const bindings::nf_hook_state,
    ) -> u32 {
        // SAFETY: `priv_` is a slot whose data is initialised while the hook is
        // registered; skb and state are valid for the call; netfilter calls hooks inside
        // `rcu_read_lock()` (`nf_hook`, `nf_hook_slow_list`).
        unsafe {
            rcu::with_read_lock_held(|guard| {
                let slot = &*priv_.cast::<NetSlot<T>>();
                T::hook(
                    slot.data.assume_init_ref(),
                    &SkBuffRef::from_raw(skb),
                    &HookState(&*state, guard),
                )
                .raw()
            })
        }
    }

    /// # Safety
    ///
    /// Called by the proc core for a file created by `init`, whose data is a live slot.
    unsafe extern "C" fn show_callback(
        seq: *mut bindings::seq_file,
        _v: *mut core::ffi::c_void,
    ) -> i32 {
        // SAFETY: the file's `pde_data` is our slot, alive until `exit` removes the file.
        unsafe {
            let slot = &*bindings::pde_data(bindings::file_inode((*seq).file)).cast::<NetSlot<T>>();
            T::show(slot.data.assume_init_ref(), &*seq.cast::<SeqFile>());
        }
        0
    }

    /// # Safety
    ///
    /// As for `show_callback`; `buf` holds `size` bytes written by the user, NUL-terminated.
    unsafe extern "C" fn write_callback(
        file: *mut bindings::file,
        buf: *mut u8,
        size: usize,
    ) -> i32 {
        from_result(|| {
            // SAFETY: as in `show_callback`; `buf` is a kernel copy of `size` bytes.
            unsafe {
                let slot = &*bindings::pde_data(bindings::file_inode(file)).cast::<NetSlot<T>>();
                let input = core::slice::from_raw_parts(buf, size);
                T::write(
                    slot.data.assume_init_ref(),
                    Namespace::from_raw(slot.net),
                    input,
                )?;
            }
            Ok(0)
        })
    }
}

#[pinned_drop]
impl<T: Filter> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered by `new` (type invariant); runs `exit` in every namespace.
        unsafe { bindings::unregister_pernet_subsys(self.ops.get()) };
    }
}
