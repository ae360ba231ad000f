// SPDX-License-Identifier: GPL-2.0

//! A Rust fast path: programs that judge raw Ethernet frames at the top of a driver's
//! NAPI poll, before the stack sees them.
//!
//! C counterpart: XDP (`include/net/xdp.h`, `include/linux/filter.h`,
//! `bpf_prog_run_xdp`), as drivers/net/veth.c runs it in `veth_xdp_rcv_skb`. Here the
//! program is Rust code in a module rather than eBPF, and the frame is the received
//! buffer itself:
//!
//! - [`Frame`] is the raw frame from its Ethernet header on, before `eth_type_trans`,
//!   GRO or netfilter have touched it; [`Frame::adjust_head`] and
//!   [`Frame::adjust_tail`] move its edges as `bpf_xdp_adjust_head`/`_tail` do, and
//!   [`Frame::redirect`] names a target as `bpf_redirect` does.
//! - The verdict is XDP's own [`Action`]; the driver carries it out.
//! - A driver that runs programs keeps a [`Slot`] per device (C's `dev->xdp_prog`) and
//!   declares it as its [`Driver::fastpath`](super::dev::Driver::fastpath) operation, the
//!   way a driver declares `ndo_bpf` for XDP. It reads the attached [`Program`] under RCU
//!   once per poll: no lock on the packet path.
//! - Another module attaches a program to a device with [`attach`], under the RTNL (as
//!   `dev_xdp_install` runs), and detaches it with [`Attachment::detach`], under the RTNL
//!   too; an [`Attachment`] dropped instead detaches it as soon as it can take the RTNL
//!   itself (at once if the RTNL is free, else from a work item). The
//!   attached program holds a reference on the module its code lives in, so that module
//!   cannot be unloaded while a device can still run the program, whatever its own code
//!   does with the attachment (forgetting it, too): `rmmod` then fails with `EBUSY` until
//!   the program is detached or its device is gone.

pub use super::xdp::Action;
use super::{dev::Device, rtnl, rtnl::Rtnl, skb::OwnedSkBuff, xdp};
use crate::{
    bindings,
    prelude::*,
    sync::{
        rcu::{self, RcuPointer},
        sleep::{self, Sleepable},
        Arc,
    },
    workqueue, ThisModule,
};
use core::sync::atomic::{AtomicBool, Ordering};

/// `ETH_HLEN`: a frame never becomes shorter than an Ethernet header.
pub const ETH_HLEN: u32 = xdp::Frame::MIN_LEN;

/// A received frame, from the Ethernet header on: what a fast-path program sees.
///
/// The frame is either an `sk_buff` the driver received (the program sees its linear
/// part: a non-linear frame's fragments are not shown, as an XDP program without frags
/// support sees only the first buffer) or an XDP frame that arrived without one (from
/// another device's XDP redirect or `XDP_TX`): the program cannot tell, and no `sk_buff`
/// is built for a frame it drops.
pub struct Frame<'a> {
    buf: Buf<'a>,
    target: Option<i32>,
}

enum Buf<'a> {
    Skb(&'a mut OwnedSkBuff),
    Xdp(&'a mut xdp::Frame),
}

impl<'a> Frame<'a> {
    /// The frame in `skb`, whose `data` must point at the Ethernet header.
    #[inline]
    pub fn new(skb: &'a mut OwnedSkBuff) -> Self {
        Self {
            buf: Buf::Skb(skb),
            target: None,
        }
    }

    /// The XDP frame `frame`, as it arrived.
    #[inline]
    pub fn from_xdp(frame: &'a mut xdp::Frame) -> Self {
        Self {
            buf: Buf::Xdp(frame),
            target: None,
        }
    }

    /// The frame's bytes (linear part), Ethernet header first.
    #[inline]
    pub fn data(&self) -> &[u8] {
        match &self.buf {
            Buf::Skb(skb) => skb.data(),
            Buf::Xdp(f) => f.data(),
        }
    }

    /// The frame's bytes, writable. A buffer shared with a clone (a packet socket tapped
    /// the sender) is first given its own copy; that can fail (`ENOMEM`).
    #[inline]
    pub fn data_mut(&mut self) -> Result<&mut [u8]> {
        match &mut self.buf {
            Buf::Skb(skb) => skb.data_mut(),
            Buf::Xdp(f) => Ok(f.data_mut()),
        }
    }

    /// The frame's length, fragments included.
    #[inline]
    pub fn len(&self) -> u32 {
        match &self.buf {
            Buf::Skb(skb) => skb.len(),
            Buf::Xdp(f) => f.len(),
        }
    }

    /// Whether the frame has no bytes (never true for a frame handed to a program).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free bytes in front of the frame, where [`Frame::adjust_head`] can grow it.
    #[inline]
    pub fn headroom(&self) -> u32 {
        match &self.buf {
            Buf::Skb(skb) => skb.headroom(),
            Buf::Xdp(f) => f.headroom(),
        }
    }

    /// Moves the start of the frame by `delta` bytes (`bpf_xdp_adjust_head`): positive
    /// removes bytes from the front (decapsulation), negative prepends room
    /// (encapsulation). Refused with `EINVAL` when the frame would be shorter than an
    /// Ethernet header or there is not that much headroom; then nothing changes.
    pub fn adjust_head(&mut self, delta: i32) -> Result {
        let skb = match &mut self.buf {
            Buf::Skb(skb) => skb,
            Buf::Xdp(f) => return f.adjust_head(delta),
        };
        let n = delta.unsigned_abs();
        if delta >= 0 {
            if skb.headlen() < n.saturating_add(ETH_HLEN) {
                return Err(EINVAL);
            }
            skb.pull(n)
        } else {
            if n > skb.headroom() {
                return Err(EINVAL);
            }
            skb.push(n).map(|_| ())
        }
    }

    /// Moves the end of the frame by `delta` bytes (`bpf_xdp_adjust_tail`): negative trims,
    /// positive appends zeroed bytes from the tailroom. `EINVAL` when the frame would be
    /// shorter than an Ethernet header or the tailroom is too small (a non-linear frame,
    /// such as a GSO super-packet, has none); then nothing changes. Zero changes nothing,
    /// on any frame.
    pub fn adjust_tail(&mut self, delta: i32) -> Result {
        if delta == 0 {
            // Nothing to move: `skb_put(skb, 0)` would still assert a linear buffer.
            return Ok(());
        }
        let skb = match &mut self.buf {
            Buf::Skb(skb) => skb,
            Buf::Xdp(f) => return f.adjust_tail(delta),
        };
        let n = delta.unsigned_abs();
        if delta > 0 {
            // `put` refuses a non-linear buffer itself (`skb_put`'s SKB_LINEAR_ASSERT);
            // its tailroom is zero too.
            if !skb.is_linear() || n > skb.tailroom() {
                return Err(EINVAL);
            }
            skb.put(n).map(|_| ())
        } else {
            if skb.len() < n.saturating_add(ETH_HLEN) {
                return Err(EINVAL);
            }
            skb.trim(skb.len() - n)
        }
    }

    /// Sends the frame out of the device with index `ifindex` in the receiving device's
    /// namespace (`bpf_redirect`): returns [`Action::Redirect`] for the program to return.
    #[inline]
    pub fn redirect(&mut self, ifindex: i32) -> Action {
        self.target = Some(ifindex);
        Action::Redirect
    }

    /// The target [`Frame::redirect`] named, if any: for the driver carrying out an
    /// [`Action::Redirect`].
    #[inline]
    pub fn redirect_target(&self) -> Option<i32> {
        self.target
    }
}

/// A fast-path program.
///
/// `run` is called in NAPI (softirq) context, on several CPUs at once, inside an RCU
/// read-side section: it must not sleep and should not lock.
pub trait Program: Send + Sync {
    /// Decides about one frame, possibly rewriting it.
    fn run(&self, frame: &mut Frame<'_>) -> Action;
}

/// A value whose code (its destructor, the methods of its `dyn` trait) is in a module,
/// together with a reference on that module (`try_module_get`): the module cannot be
/// unloaded while the value exists, and the value is dropped *before* the reference is
/// put (`module_put`), so its destructor never runs in a module that is already gone.
/// This type is the only place that puts the reference, and its `Drop` the only order.
///
/// # Invariants
///
/// `owner` is a module on which this value holds one reference; `value` is initialised
/// until `drop` drops it.
struct ModuleOwned<T> {
    value: core::mem::ManuallyDrop<T>,
    owner: *mut bindings::module,
}

impl<T> ModuleOwned<T> {
    /// Takes a reference on `owner` for `value`; gives `value` back if the module is on
    /// its way out. Called from code in `owner` (its `ThisModule`), so dropping `value`
    /// on failure is safe.
    fn new(value: T, owner: &'static ThisModule) -> Result<Self, T> {
        // SAFETY: `owner` is a live module (a `ThisModule` is its module's own pointer); a
        // module on its way out refuses.
        if !unsafe { bindings::try_module_get(owner.as_ptr()) } {
            return Err(value);
        }
        // INVARIANT: the reference just taken; the value is initialised.
        Ok(Self {
            value: core::mem::ManuallyDrop::new(value),
            owner: owner.as_ptr(),
        })
    }
}

impl<T> core::ops::Deref for ModuleOwned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Drop for ModuleOwned<T> {
    fn drop(&mut self) {
        // SAFETY: initialised until here (type invariant), and never used again. The
        // module reference is still held, so any destructor code in the module (the last
        // `Arc` of a program runs its `drop`) runs in a module that is still loaded.
        unsafe { core::mem::ManuallyDrop::drop(&mut self.value) };
        // SAFETY: we hold one reference on `owner` (type invariant), put once, last:
        // nothing of the module's is used after it. This code is the kernel crate's
        // (built in): every drop of an `Attached` is reached from a non-generic function of
        // this file (`Slot`'s and `Attachment`'s drops, `detach_later`, `HookRef`'s drop),
        // never from drop glue instantiated in a module.
        unsafe { bindings::module_put(self.owner) };
    }
}

// SAFETY: the module pointer is only given back with `module_put`, which any context may
// call; the value is sent (and dropped) wherever `ModuleOwned` goes.
unsafe impl<T: Send> Send for ModuleOwned<T> {}
// SAFETY: `&ModuleOwned` only reaches `&T`.
unsafe impl<T: Sync> Sync for ModuleOwned<T> {}

/// An attached program and the reference on the module its code is in: the program is
/// dropped first, then the module reference is put ([`ModuleOwned`]).
type Attached = ModuleOwned<Arc<dyn Program>>;

/// The state a device's slot shares with the attachments made to it.
///
/// # Invariants
///
/// `prog` and `blocked` are changed only with the RTNL held, or by `Slot`'s drop (when
/// the device is gone); while `blocked` is set (the device runs a native eBPF XDP
/// program), `attach` attaches nothing.
struct Hook {
    prog: RcuPointer<KBox<Attached>>,
    blocked: AtomicBool,
}

impl Hook {
    /// Whether `prog` is the attached program. RTNL held (writers are serialised by it).
    fn holds(&self, prog: &Arc<dyn Program>, rtnl: &Rtnl) -> bool {
        self.holds_at(program_addr(prog), rtnl)
    }

    /// Whether the attached program is the one at `addr` ([`program_addr`]). RTNL held.
    fn holds_at(&self, addr: usize, _rtnl: &Rtnl) -> bool {
        let guard = rcu::read_lock();
        self.prog
            .get(&guard)
            .is_some_and(|a| program_addr(a) == addr)
    }

    /// Clears the slot if it holds the program at `addr`: once no poll can still run it
    /// (a grace period), hands it back, with its module reference, for the caller to drop.
    /// RTNL held (`Hook` invariant). Might sleep.
    fn take_if_holds(&self, addr: usize, rtnl: &Rtnl) -> Option<KBox<Attached>> {
        if self.holds_at(addr, rtnl) {
            self.prog.take()
        } else {
            None
        }
    }
}

/// Where a program's object is: its identity, without its `dyn` metadata (the vtable,
/// which is in the program's module).
fn program_addr(prog: &Arc<dyn Program>) -> usize {
    core::ptr::from_ref::<dyn Program>(&**prog).cast::<()>() as usize
}

/// What a dropped [`Attachment`] leaves to a work item when it cannot take the RTNL:
/// detach the program at `addr` from `hook` if it is still the one attached. Only
/// kernel-crate code (built into the kernel) runs here; the program's count and module
/// reference are those of the [`Attached`] in the slot, dropped in its order.
fn detach_later(hook: Arc<Hook>, addr: usize) {
    // SAFETY: a work item's function runs in a kworker, in process context, with no lock
    // held (`process_one_work` releases `pool->lock` before calling it,
    // `kernel/workqueue.c:3235,3266`): not the RTNL. This is the only capability here.
    let ctx = unsafe { Sleepable::assume_mut() };
    // A kworker's function is never inside a read-side section or atomic context, so
    // `lock` cannot refuse; if it did, the program would stay attached until its device
    // goes, which also detaches it.
    let Ok(rtnl) = rtnl::lock(ctx) else {
        return;
    };
    let attached = hook.take_if_holds(addr, &rtnl);
    drop(rtnl);
    // The program's count, then the module reference ([`ModuleOwned`]).
    drop(attached);
}

/// A counted reference on a [`Hook`] whose drop always runs in this crate's code (built
/// into the kernel): the last reference drops the hook's `RcuPointer`, which may drop an
/// [`Attached`] and so put a module reference. Without this, the drop glue of a `Slot` or
/// `Attachment` instantiated in a module would run that code in the module, and
/// `ModuleOwned`'s "nothing of the module's is used after `module_put`" would depend on
/// which module it was.
struct HookRef(core::mem::ManuallyDrop<Arc<Hook>>);

impl HookRef {
    fn new(hook: Arc<Hook>) -> Self {
        Self(core::mem::ManuallyDrop::new(hook))
    }
}

impl core::ops::Deref for HookRef {
    type Target = Arc<Hook>;

    fn deref(&self) -> &Arc<Hook> {
        &self.0
    }
}

impl Drop for HookRef {
    #[inline(never)]
    fn drop(&mut self) {
        // SAFETY: initialised until here, dropped once.
        unsafe { core::mem::ManuallyDrop::drop(&mut self.0) };
    }
}

/// A device's fast-path slot: the program the driver runs on every received frame. The
/// driver keeps it in its device data; dropping it (the device is gone) detaches whatever
/// is attached.
pub struct Slot {
    hook: HookRef,
}

impl Slot {
    /// An empty slot. Might sleep (`EDEADLK` where it must not,
    /// [`Sleepable::may_block`]).
    pub fn new() -> Result<Self> {
        if !sleep::may_block_here() {
            return Err(sleep::edeadlk());
        }
        Ok(Self {
            hook: HookRef::new(Arc::new(
                Hook {
                    prog: RcuPointer::empty(),
                    blocked: AtomicBool::new(false),
                },
                GFP_KERNEL,
            )?),
        })
    }

    /// The attached program, for as long as the read-side section `guard` and the slot
    /// are borrowed.
    #[inline]
    pub fn program<'a>(&'a self, guard: &'a rcu::Guard) -> Option<&'a dyn Program> {
        self.hook.prog.get(guard).map(|a| &***a)
    }

    /// Keeps Rust programs off the device while it runs a native eBPF XDP program (the
    /// driver calls this from `ndo_bpf`): one program decides about a queue's frames,
    /// never two. Fails, changing nothing, if a Rust program is attached.
    pub fn block(&self, _rtnl: &Rtnl) -> bool {
        if self.hook.prog.is_set() {
            return false;
        }
        // Every writer of `prog` and `blocked` holds the RTNL (`Hook` invariant).
        self.hook.blocked.store(true, Ordering::Relaxed);
        true
    }

    /// Lets Rust programs attach again (the eBPF program is gone).
    pub fn unblock(&self, _rtnl: &Rtnl) {
        self.hook.blocked.store(false, Ordering::Relaxed);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // The device is gone: no poll runs any more, and no `attach` can find the slot.
        // Attachments still holding the hook see it empty. Might sleep (a grace period,
        // then the module reference goes).
        self.hook.prog.set(None);
    }
}

/// A program attached to a device.
///
/// [`Attachment::detach`] detaches it under the RTNL the caller holds and returns once no
/// CPU can be running it. Dropping it instead never waits for the RTNL (it may be held by
/// this very task: `rtnl_mutex` does not recurse): if the RTNL is free it detaches at once
/// the same way; otherwise a work item detaches it as soon as it gets the RTNL, so the
/// program may still run on a few more frames after the drop. Either way the program's
/// module stays loaded until the program is detached (its module reference is held by the
/// attached program, see [`attach`]).
///
/// # Invariants
///
/// `prog` is initialised until it is dropped (by `release`, once).
pub struct Attachment {
    hook: HookRef,
    prog: core::mem::ManuallyDrop<Arc<dyn Program>>,
}

impl Attachment {
    /// Whether the program is still attached (its device may have gone).
    pub fn is_attached(&self, rtnl: &Rtnl) -> bool {
        self.hook.holds(&self.prog, rtnl)
    }

    /// Detaches the program if it is still the one attached, and returns once no CPU can
    /// be running it (a grace period). Might sleep.
    pub fn detach(self, rtnl: &Rtnl) {
        let mut this = core::mem::ManuallyDrop::new(self);
        // SAFETY: `prog` is initialised (type invariant); `this` is never dropped, so it is
        // not released again.
        unsafe { this.release(rtnl) };
        // SAFETY: read once, and `this` is never dropped, so the count is put once.
        drop(unsafe { core::ptr::read(&this.hook) });
    }

    /// Takes the program out of the slot if it is still there, once the polls that may
    /// still run it are done; drops this attachment's count on the program, then the
    /// slot's (its module reference last), so that whichever count is the last, the
    /// program's destructor runs while the module reference is still held.
    ///
    /// # Safety
    ///
    /// Called once; `self.prog` is not used afterwards.
    unsafe fn release(&mut self, rtnl: &Rtnl) {
        let attached = self.hook.take_if_holds(program_addr(&self.prog), rtnl);
        // SAFETY: initialised until here (type invariant), and never used again (the
        // caller's promise).
        unsafe { core::mem::ManuallyDrop::drop(&mut self.prog) };
        drop(attached);
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        let can_block = sleep::may_block_here();
        if can_block {
            // SAFETY: `may_block_here` found process context, outside any section it can
            // see. Only used for `try_lock`, which never waits, so whether this task holds
            // the RTNL does not matter; releasing it (`rtnl_unlock`) may sleep, which is
            // allowed here.
            let ctx = unsafe { Sleepable::assume() };
            if let Some(rtnl) = rtnl::try_lock(ctx) {
                // SAFETY: `drop` runs once; `prog` is not used after it.
                unsafe { self.release(&rtnl) };
                return;
            }
        }
        // The RTNL is held, maybe by this task, or this is no place to take or release it
        // (inside an RCU read-side section, atomic context): leave the detaching to a work
        // item. This
        // attachment's count on the program is put here, in its module's own code (which
        // runs this drop), never later in the work: if the slot still holds the program,
        // the slot's count keeps it alive (with its module reference) until the work
        // takes it out; if not, this count may be the last, and the destructor runs now,
        // as it did before. The slot cannot hold this program again once it does not:
        // only the device's end, `detach` and this drop clear it, and `attach` refuses
        // while it is set, so the work can recognise it by address.
        let addr = program_addr(&self.prog);
        // SAFETY: initialised until here (type invariant), and never used again.
        unsafe { core::mem::ManuallyDrop::drop(&mut self.prog) };
        let hook = Arc::clone(&self.hook);
        let flags = if can_block { GFP_KERNEL } else { GFP_ATOMIC };
        if workqueue::system_unbound()
            .try_spawn(flags, move || detach_later(hook, addr))
            .is_err()
        {
            // No memory for the work: the program stays attached until its device goes
            // (which detaches it and puts the module reference); its module cannot be
            // unloaded until then. Nothing is freed early.
            crate::pr_warn!(
                "fastpath: no memory to detach a dropped program: detached with its device\n"
            );
        }
    }
}

/// Why [`attach`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachError {
    /// The device's driver has no Rust fast path (`EOPNOTSUPP`).
    NotSupported,
    /// A program (Rust, or native eBPF) is already attached (`EBUSY`).
    Busy,
    /// The program's module is being unloaded (`ENOENT`).
    Unloading,
    /// No memory for the attachment (`ENOMEM`).
    NoMemory,
    /// Called where it must not block, inside an RCU read-side section or atomic context
    /// (`EDEADLK`, [`Sleepable::may_block`]).
    WouldBlock,
}

impl From<AttachError> for Error {
    fn from(e: AttachError) -> Error {
        match e {
            AttachError::NotSupported => super::errno(bindings::EOPNOTSUPP),
            AttachError::Busy => EBUSY,
            AttachError::Unloading => ENOENT,
            AttachError::NoMemory => ENOMEM,
            AttachError::WouldBlock => sleep::edeadlk(),
        }
    }
}

/// Attaches `prog`, whose code is in module `owner`, to `dev`'s fast path, RTNL held (as
/// XDP programs are attached). Might sleep.
pub fn attach(
    dev: &Device,
    prog: Arc<dyn Program>,
    owner: &'static ThisModule,
    rtnl: &Rtnl,
) -> Result<Attachment, AttachError> {
    if !sleep::may_block_here() {
        return Err(AttachError::WouldBlock);
    }
    let hook = super::dev::fastpath_of(dev)
        .ok_or(AttachError::NotSupported)?
        .hook
        .clone();
    let _ = rtnl;
    if hook.prog.is_set() || hook.blocked.load(Ordering::Relaxed) {
        return Err(AttachError::Busy);
    }
    // A module on its way out refuses the reference.
    let attached = Attached::new(prog.clone(), owner).map_err(|_| AttachError::Unloading)?;
    // On failure `attached` is dropped here, by the module's own code (it called us):
    // the program's count first, then the module reference.
    let attached = KBox::new(attached, GFP_KERNEL).map_err(|_| AttachError::NoMemory)?;
    // The slot is empty (checked above, RTNL held), so nothing is waited for.
    hook.prog.set(Some(attached));
    // INVARIANT: `prog` is initialised.
    Ok(Attachment {
        hook: HookRef::new(hook),
        prog: core::mem::ManuallyDrop::new(prog),
    })
}
