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
//!   [`Frame::adjust_tail`] move its edges as `bpf_xdp_adjust_head`/`_tail` do.
//! - [`Action`] is the verdict, `XDP_PASS`, `XDP_DROP`, `XDP_TX`, `XDP_REDIRECT` or
//!   `XDP_ABORTED`; the driver carries it out.
//! - A driver embeds a [`Hook`] per device (`struct net_device`'s `xdp_prog` in C) and
//!   reads the attached [`Program`] under RCU once per poll: no lock on the packet path.
//! - Another module attaches a program to a device by name with [`attach`]; the
//!   returned [`Attachment`] detaches it when dropped (waiting for a grace period, so
//!   the module's code is never run after it unloads).

use super::{dev::Device, skb::SkBuff, stats::Counter};
use crate::{
    bindings,
    prelude::*,
    sync::{rcu, Arc},
};
use core::{
    cell::UnsafeCell,
    sync::atomic::{AtomicBool, AtomicPtr, Ordering},
};

/// `ETH_HLEN`: a frame never becomes shorter than an Ethernet header.
pub const ETH_HLEN: u32 = 14;

/// What a program decided for a frame (`enum xdp_action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `XDP_PASS`: on to the stack (`eth_type_trans`, GRO, `__netif_receive_skb`).
    Pass,
    /// `XDP_DROP`: freed here; the stack never sees it.
    Drop,
    /// `XDP_TX`: sent back out of the device it arrived on.
    Tx,
    /// `XDP_REDIRECT`: sent out of another device, given by its ifindex in the receiving
    /// device's namespace (what a `BPF_MAP_TYPE_DEVMAP` entry names).
    Redirect(i32),
    /// `XDP_ABORTED`: the program failed; dropped and counted as an error.
    Aborted,
}

/// What the fast path of one receive queue did, for `ethtool -S`. Written by the queue's
/// NAPI instance only.
#[derive(Default)]
pub struct ActionStats {
    /// Frames passed to the stack.
    pub pass: Counter,
    /// Frames dropped by the program.
    pub drop: Counter,
    /// Frames sent back out.
    pub tx: Counter,
    /// Frames redirected to another device.
    pub redirect: Counter,
    /// Frames the program aborted on.
    pub aborted: Counter,
    /// Frames the driver could not carry out the verdict for (no such device, full ring,
    /// a frame without an Ethernet header), dropped.
    pub errors: Counter,
}

impl ActionStats {
    /// The counters' names, in the order of [`ActionStats::values`].
    pub const NAMES: [&'static str; 6] = ["pass", "drop", "tx", "redirect", "aborted", "errors"];

    /// All zero.
    pub const fn new() -> Self {
        Self {
            pass: Counter::new(),
            drop: Counter::new(),
            tx: Counter::new(),
            redirect: Counter::new(),
            aborted: Counter::new(),
            errors: Counter::new(),
        }
    }

    /// Counts one verdict.
    #[inline]
    pub fn count(&self, action: Action) {
        match action {
            Action::Pass => self.pass.inc(),
            Action::Drop => self.drop.inc(),
            Action::Tx => self.tx.inc(),
            Action::Redirect(_) => self.redirect.inc(),
            Action::Aborted => self.aborted.inc(),
        }
    }

    /// Counts one verdict of an eBPF XDP program (same counters, `xdp_` in `ethtool -S`).
    #[inline]
    pub fn count_xdp(&self, verdict: super::xdp::Verdict) {
        use super::xdp::Verdict;
        match verdict {
            Verdict::Pass => self.pass.inc(),
            Verdict::Drop => self.drop.inc(),
            Verdict::Tx => self.tx.inc(),
            Verdict::Redirect => self.redirect.inc(),
            Verdict::Aborted => self.aborted.inc(),
        }
    }

    /// The counters' values, in the order of [`ActionStats::NAMES`].
    pub fn values(&self) -> [u64; 6] {
        [
            self.pass.get(),
            self.drop.get(),
            self.tx.get(),
            self.redirect.get(),
            self.aborted.get(),
            self.errors.get(),
        ]
    }
}

/// A received frame, from the Ethernet header on: what a fast-path program sees.
///
/// The view covers the linear part of the buffer (a non-linear frame's fragments are not
/// shown, as an XDP program without frags support sees only the first buffer).
pub struct Frame<'a> {
    skb: &'a mut SkBuff,
}

impl<'a> Frame<'a> {
    /// The frame in `skb`, whose `data` must point at the Ethernet header.
    #[inline]
    pub fn new(skb: &'a mut SkBuff) -> Self {
        Self { skb }
    }

    /// The frame's bytes (linear part), Ethernet header first.
    #[inline]
    pub fn data(&self) -> &[u8] {
        self.skb.data()
    }

    /// The frame's bytes, writable. A buffer shared with a clone (a packet socket tapped
    /// the sender) is first given its own copy (`skb_unclone`); that can fail (`ENOMEM`).
    #[inline]
    pub fn data_mut(&mut self) -> Result<&mut [u8]> {
        self.skb.unclone()?;
        Ok(self.skb.data_mut())
    }

    /// The frame's length, fragments included.
    #[inline]
    pub fn len(&self) -> u32 {
        self.skb.len()
    }

    /// Whether the frame has no bytes (never true for a frame handed to a program).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.skb.is_empty()
    }

    /// Free bytes in front of the frame, where [`Frame::adjust_head`] can grow it.
    #[inline]
    pub fn headroom(&self) -> u32 {
        self.skb.headroom()
    }

    /// Moves the start of the frame by `delta` bytes (`bpf_xdp_adjust_head`): positive
    /// removes bytes from the front (decapsulation), negative prepends uninitialised
    /// room (encapsulation). Refused with `EINVAL` when the frame would be shorter than an
    /// Ethernet header or there is not that much headroom; then nothing changes.
    pub fn adjust_head(&mut self, delta: i32) -> Result {
        let n = delta.unsigned_abs();
        if delta >= 0 {
            if self.skb.headlen() < n + ETH_HLEN {
                return Err(EINVAL);
            }
            self.skb.pull(n)
        } else {
            if n > self.skb.headroom() {
                return Err(EINVAL);
            }
            self.skb.unclone()?;
            self.skb.push(n).map(|_| ())
        }
    }

    /// Moves the end of the frame by `delta` bytes (`bpf_xdp_adjust_tail`): negative trims,
    /// positive appends zeroed bytes from the tailroom. `EINVAL` when the frame would be
    /// shorter than an Ethernet header or the tailroom is too small; then nothing changes.
    pub fn adjust_tail(&mut self, delta: i32) -> Result {
        let n = delta.unsigned_abs();
        if delta >= 0 {
            if n > self.skb.tailroom() {
                return Err(EINVAL);
            }
            self.skb.unclone()?;
            self.skb.put(n)?.fill(0);
            Ok(())
        } else {
            if self.skb.len() < n + ETH_HLEN {
                return Err(EINVAL);
            }
            self.skb.trim(self.skb.len() - n)
        }
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

/// The attached program, boxed so that a thin pointer can be published under RCU.
struct Attached {
    prog: Arc<dyn Program>,
}

/// A device's fast-path slot: the program the driver runs on every received frame.
///
/// # Invariants
///
/// `prog` is null or a pointer from `KBox::<Attached>::into_raw`, replaced only with
/// `registry_lock` held, and freed only after a grace period following its replacement.
/// While `blocked` is set (the device runs a native eBPF XDP program), no Rust program
/// stays attached.
pub struct Hook {
    prog: AtomicPtr<Attached>,
    blocked: AtomicBool,
}

impl Hook {
    /// The attached program, for the duration of the read-side section `guard`.
    #[inline]
    pub fn program<'g>(&self, _guard: &'g rcu::Guard) -> Option<&'g dyn Program> {
        let p = self.prog.load(Ordering::Acquire);
        // SAFETY: a non-null pointer is a live `Attached` (type invariant); it is freed
        // only after a grace period, so it outlives the guard's section.
        (!p.is_null()).then(|| unsafe { &*(*p).prog })
    }

    /// Whether any program is attached.
    pub fn is_attached(&self) -> bool {
        !self.prog.load(Ordering::Relaxed).is_null()
    }

    /// Keeps Rust programs off this device while it runs an eBPF XDP program (the driver
    /// calls this from `ndo_bpf`): one program decides about a queue's frames, never
    /// two. Fails, changing nothing, if a Rust program is attached.
    pub fn block(&self) -> bool {
        // Set, then look: `attach` publishes, then looks; with sequentially consistent
        // accesses one of the two sees the other and backs off.
        self.blocked.store(true, Ordering::SeqCst);
        if !self.prog.load(Ordering::SeqCst).is_null() {
            self.blocked.store(false, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Lets Rust programs attach again (the eBPF program is gone).
    pub fn unblock(&self) {
        self.blocked.store(false, Ordering::SeqCst);
    }

    /// Replaces the program (`registry_lock` held); returns the old one, which readers
    /// may still be running.
    fn swap(&self, new: Option<Arc<dyn Program>>) -> Result<*mut Attached> {
        let new = match new {
            Some(prog) => KBox::into_raw(KBox::new(Attached { prog }, GFP_KERNEL)?),
            None => core::ptr::null_mut(),
        };
        Ok(self.prog.swap(new, Ordering::AcqRel))
    }

    /// Frees a program `swap` returned, once no reader can be running it.
    fn retire(old: *mut Attached) {
        if !old.is_null() {
            rcu::synchronize_rcu();
            // SAFETY: `old` came from `KBox::into_raw` (type invariant) and, after the
            // grace period, no reader holds it.
            drop(unsafe { KBox::from_raw(old) });
        }
    }

    /// Whether `prog` is the attached program.
    fn holds(&self, prog: &Arc<dyn Program>) -> bool {
        let p = self.prog.load(Ordering::Acquire);
        // SAFETY: with `registry_lock` held (callers), the pointer cannot be freed.
        !p.is_null() && Arc::ptr_eq(unsafe { &(*p).prog }, prog)
    }
}

/// A registered device: its `net_device` address (a key, never dereferenced) and hook.
type Registered = Option<(usize, Arc<Hook>)>;

/// Devices whose driver runs a fast path, so that [`attach`] can find their [`Hook`].
struct Registry(UnsafeCell<KVec<Registered>>);

// SAFETY: the vector is only touched with `netdive_fastpath_lock` held (see `locked`).
unsafe impl Sync for Registry {}

static REGISTRY: Registry = Registry(UnsafeCell::new(KVec::new()));

/// Runs `f` on the registry with its mutex held. Might sleep.
fn locked<R>(f: impl FnOnce(&mut KVec<Registered>) -> R) -> R {
    // SAFETY: a plain mutex (`rust/helpers/netdive_fastpath.c`); process context.
    unsafe { bindings::netdive_fastpath_lock() };
    // SAFETY: the mutex is held, so this is the only reference to the vector.
    let r = f(unsafe { &mut *REGISTRY.0.get() });
    // SAFETY: taken above.
    unsafe { bindings::netdive_fastpath_unlock() };
    r
}

/// A device's fast path, registered for [`attach`] while this value lives. A driver keeps
/// one in its per-device data and runs [`Registration::hook`]'s program on receive.
///
/// # Invariants
///
/// The registry holds `(dev, hook)` from `new` until `drop`.
pub struct Registration {
    dev: usize,
    hook: Arc<Hook>,
}

impl Registration {
    /// Registers a fast path for `dev` (called from the driver's `ndo_init`).
    pub fn new(dev: &Device) -> Result<Self> {
        let hook = Arc::new(
            Hook {
                prog: AtomicPtr::new(core::ptr::null_mut()),
                blocked: AtomicBool::new(false),
            },
            GFP_KERNEL,
        )?;
        let key = dev.as_raw() as usize;
        locked(|reg| -> Result {
            match reg.iter_mut().find(|e| e.is_none()) {
                Some(free) => *free = Some((key, hook.clone())),
                None => reg.push(Some((key, hook.clone())), GFP_KERNEL)?,
            }
            Ok(())
        })?;
        Ok(Self { dev: key, hook })
    }

    /// The device's slot.
    #[inline]
    pub fn hook(&self) -> &Arc<Hook> {
        &self.hook
    }
}

impl Drop for Registration {
    /// Unregisters, then detaches whatever is attached (the device is going away).
    fn drop(&mut self) {
        let old = locked(|reg| {
            for e in reg.iter_mut() {
                if matches!(e, Some((dev, _)) if *dev == self.dev) {
                    *e = None;
                }
            }
            self.hook.swap(None)
        });
        Hook::retire(old.unwrap_or(core::ptr::null_mut()));
    }
}

/// A program attached to a device; dropping it detaches the program if it is still the
/// one attached, and returns once no CPU can be running it.
pub struct Attachment {
    hook: Arc<Hook>,
    prog: Arc<dyn Program>,
}

impl Attachment {
    /// Whether the program is still attached (its device may have gone).
    pub fn is_attached(&self) -> bool {
        locked(|_| self.hook.holds(&self.prog))
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        let old = locked(|_| {
            if self.hook.holds(&self.prog) {
                self.hook.swap(None).unwrap_or(core::ptr::null_mut())
            } else {
                core::ptr::null_mut()
            }
        });
        Hook::retire(old);
    }
}

/// Why [`attach`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachError {
    /// The device's driver has no Rust fast path (`EOPNOTSUPP`).
    NotSupported,
    /// A program is already attached (`EBUSY`).
    Busy,
    /// No memory for the attachment (`ENOMEM`).
    NoMemory,
}

impl From<AttachError> for Error {
    fn from(e: AttachError) -> Error {
        match e {
            AttachError::NotSupported => super::errno(bindings::EOPNOTSUPP),
            AttachError::Busy => EBUSY,
            AttachError::NoMemory => ENOMEM,
        }
    }
}

/// Attaches `prog` to `dev`'s fast path. Might sleep.
pub fn attach(dev: &Device, prog: Arc<dyn Program>) -> Result<Attachment, AttachError> {
    let key = dev.as_raw() as usize;
    let hook = locked(|reg| {
        let hook = reg
            .iter()
            .flatten()
            .find(|(d, _)| *d == key)
            .map(|(_, h)| h.clone())
            .ok_or(AttachError::NotSupported)?;
        if hook.is_attached() || hook.blocked.load(Ordering::SeqCst) {
            return Err(AttachError::Busy);
        }
        hook.swap(Some(prog.clone()))
            .map_err(|_| AttachError::NoMemory)?;
        if hook.blocked.load(Ordering::SeqCst) {
            // An eBPF program arrived meanwhile: it wins (see `Hook::block`).
            Hook::retire(hook.swap(None).unwrap_or(core::ptr::null_mut()));
            return Err(AttachError::Busy);
        }
        Ok(hook)
    })?;
    Ok(Attachment { hook, prog })
}
