// SPDX-License-Identifier: GPL-2.0

//! Native XDP in a driver: eBPF programs, receive-queue info, frames, verdicts.
//!
//! C headers: [`include/net/xdp.h`](srctree/include/net/xdp.h),
//! [`include/linux/filter.h`](srctree/include/linux/filter.h) (`bpf_prog_run_xdp`),
//! [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h) (`ndo_bpf`,
//! `ndo_xdp_xmit`).
//!
//! `ip link set dev rv1 xdpdrv obj prog.o` ends in `dev_xdp_install`
//! (net/core/dev.c), which hands the loaded program to the driver's `ndo_bpf`
//! (`XDP_SETUP_PROG`). The driver keeps it in a [`ProgSlot`] and runs it ([`run`]) from
//! its NAPI poll on every received frame, before any `sk_buff` exists for it:
//!
//! - `XDP_PASS`: an `sk_buff` is built around the frame's buffer
//!   (`xdp_build_skb_from_frame`).
//! - `XDP_DROP`: the buffer goes back (`xdp_return_frame`).
//! - `XDP_TX`: the frame leaves by the device it came in on (the driver's own transmit).
//! - `XDP_REDIRECT`: `xdp_do_redirect` queues it for the device or map the program
//!   chose; the poll ends with `xdp_do_flush`, which hands the batch to the target's
//!   `ndo_xdp_xmit` (the NAPI abstraction does it for every poll that redirected).
//!
//! A frame in flight is a `struct xdp_frame` ([`Frame`]): its header sits at the start of
//! its own buffer, so a frame is one pointer wherever it goes (a ring, a devmap bulk
//! queue, another driver's `ndo_xdp_xmit`) and no memory is allocated for it.

use super::{
    dev::Device,
    napi::{Context, Poll},
    ring::RingItem,
    skb::{OwnedSkBuff, SkBuff},
    stats::Counter,
};
use crate::{
    bindings,
    prelude::*,
    str::CStr,
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::{ffi::c_void, mem::MaybeUninit, ptr::NonNull};

/// A loaded eBPF program, counted with `bpf_prog_inc`/`bpf_prog_put`.
///
/// Corresponds to the kernel's `struct bpf_prog`
/// ([`include/linux/filter.h`](srctree/include/linux/filter.h)).
///
/// # Invariants
///
/// The wrapped program is valid while a reference to this type exists: the holder owns a
/// count, or borrows it from an owner (the core, for the duration of `ndo_bpf`; a
/// [`ProgSlot`], under RCU).
#[repr(transparent)]
pub struct Prog(Opaque<bindings::bpf_prog>);

impl Prog {
    /// # Safety
    ///
    /// `ptr` points at a valid program that stays valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::bpf_prog) -> &'a Self {
        // SAFETY: `repr(transparent)` over `Opaque<bpf_prog>`; validity is the caller's.
        unsafe { &*ptr.cast() }
    }

    /// The raw `struct bpf_prog` pointer.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::bpf_prog {
        self.0.get()
    }

    /// Whether the program was loaded for multi-buffer frames (`xdp.frags` section).
    pub fn has_frags(&self) -> bool {
        // SAFETY: a valid program has a valid `aux`, whose `xdp_has_frags` is set at load.
        unsafe { (*(*self.as_raw()).aux).xdp_has_frags }
    }
}

// SAFETY: `bpf_prog_inc` takes a count, `bpf_prog_put` gives it back and frees the program
// (after an RCU grace period) with the last one.
unsafe impl AlwaysRefCounted for Prog {
    fn inc_ref(&self) {
        // SAFETY: `&self` proves the program is alive.
        unsafe { bindings::bpf_prog_inc(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives back one count it owns.
        unsafe { bindings::bpf_prog_put(obj.cast::<bindings::bpf_prog>().as_ptr()) };
    }
}

// SAFETY: a loaded program is immutable and may be run and counted from any CPU.
unsafe impl Send for Prog {}
// SAFETY: as above.
unsafe impl Sync for Prog {}

/// The native XDP program of a device (veth: `priv->_xdp_prog`), read on the packet path
/// under RCU without a lock and replaced by `ndo_bpf` under the RTNL.
pub type ProgSlot = crate::sync::rcu::RcuPointer<ARef<Prog>>;

/// What a program decided for a frame: `enum xdp_action`. The Rust fast path
/// ([`fastpath`](super::fastpath)) answers with the same verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `XDP_PASS`: on to the stack.
    Pass,
    /// `XDP_DROP`: freed, nothing else sees it.
    Drop,
    /// `XDP_TX`: out of the device it came in on.
    Tx,
    /// `XDP_REDIRECT`: out of the target the program chose.
    Redirect,
    /// `XDP_ABORTED` (or an unknown action): dropped, and the `xdp:xdp_exception`
    /// tracepoint fires.
    Aborted,
}

/// Per-queue counts of the verdicts, for `ethtool -S`; written by the queue's poll.
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
    /// a frame without an Ethernet header, no memory), dropped.
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

    /// Counts one verdict, from the queue's poll.
    #[inline]
    pub fn count<Q: Poll>(&self, action: Action, poll: &Context<'_, Q>) {
        match action {
            Action::Pass => &self.pass,
            Action::Drop => &self.drop,
            Action::Tx => &self.tx,
            Action::Redirect => &self.redirect,
            Action::Aborted => &self.aborted,
        }
        .inc(poll);
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

/// A frame in flight: an owned `struct xdp_frame`, the header at the start of the
/// frame's own buffer. Dropping it gives the buffer back (`xdp_return_frame`).
///
/// Corresponds to the kernel's `struct xdp_frame`
/// ([`include/net/xdp.h`](srctree/include/net/xdp.h)).
///
/// # Invariants
///
/// `ptr` is a valid `xdp_frame` owned by this value, without fragments.
pub struct Frame {
    ptr: NonNull<bindings::xdp_frame>,
}

// SAFETY: a frame's memory may be returned from any CPU (its `mem` says how).
unsafe impl Send for Frame {}

impl Frame {
    /// Bytes from `XDP_PACKET_HEADROOM` to the end of a page that a frame may use:
    /// the rest is the `skb_shared_info` an `sk_buff` built around it needs.
    pub const MAX_LEN: u32 =
        bindings::PAGE_SIZE as u32 - bindings::XDP_PACKET_HEADROOM - skb_shared_info_size();

    /// The fewest bytes [`Frame::adjust_head`] and [`Frame::adjust_tail`] leave in a
    /// frame, and the fewest [`Frame::into_skb`] builds an `sk_buff` around: an Ethernet
    /// header (`ETH_HLEN`), as `bpf_xdp_adjust_head`/`_tail` require (net/core/filter.c)
    /// and `eth_type_trans` assumes.
    pub const MIN_LEN: u32 = bindings::ETH_HLEN;

    /// Takes ownership of a frame.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid `xdp_frame` the caller owns and gives up, without fragments.
    #[inline]
    pub(crate) unsafe fn from_raw(ptr: NonNull<bindings::xdp_frame>) -> Self {
        // INVARIANT: the caller's promise.
        Self { ptr }
    }

    /// Gives up ownership.
    #[inline]
    pub(crate) fn into_raw(self) -> NonNull<bindings::xdp_frame> {
        let ptr = self.ptr;
        core::mem::forget(self);
        ptr
    }

    /// Frame length in bytes, from the Ethernet header.
    #[inline]
    pub fn len(&self) -> u32 {
        // SAFETY: valid by the type invariant.
        unsafe { u32::from(self.ptr.as_ref().len) }
    }

    /// Whether the frame has no bytes (never true for a frame from a driver).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The frame's bytes, Ethernet header first.
    #[inline]
    pub fn data(&self) -> &[u8] {
        // SAFETY: `data` points at `len` initialised bytes of the frame's buffer, which
        // the frame owns (type invariant) and which change only through `&mut self`.
        unsafe {
            let f = self.ptr.as_ref();
            core::slice::from_raw_parts(f.data.cast::<u8>(), f.len as usize)
        }
    }

    /// The frame's bytes, writable: a frame's buffer is its own (a redirect hands it
    /// over whole), as an XDP program sees it.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `data`; `&mut self` makes this the only view.
        unsafe {
            let f = self.ptr.as_ref();
            core::slice::from_raw_parts_mut(f.data.cast::<u8>(), f.len as usize)
        }
    }

    /// Free bytes in front of the data, between the frame header and the data
    /// (`xdp_frame.headroom`; any metadata sits there too).
    #[inline]
    pub fn headroom(&self) -> u32 {
        // SAFETY: valid by the type invariant.
        unsafe { u32::from(self.ptr.as_ref().headroom) }
    }

    /// Free bytes after the data, up to the `skb_shared_info` an `sk_buff` built around
    /// the buffer needs.
    #[inline]
    pub fn tailroom(&self) -> u32 {
        // SAFETY: valid by the type invariant.
        let f = unsafe { self.ptr.as_ref() };
        let used = core::mem::size_of::<bindings::xdp_frame>() as u32
            + u32::from(f.headroom)
            + u32::from(f.len);
        f.frame_sz.saturating_sub(skb_shared_info_size() + used)
    }

    /// Moves the start of the data by `delta` bytes, within the headroom and the data
    /// (`bpf_xdp_adjust_head` on a frame): `EINVAL`, nothing changed, if it does not fit
    /// or would leave fewer than [`Frame::MIN_LEN`] bytes (an Ethernet header), the floor
    /// `bpf_xdp_adjust_head` enforces too. Metadata in front of the data is dropped (it
    /// described the old start).
    pub fn adjust_head(&mut self, delta: i32) -> Result {
        // SAFETY: valid and ours (type invariant).
        let f = unsafe { self.ptr.as_mut() };
        let n = delta.unsigned_abs();
        if delta >= 0 {
            if u32::from(f.len) < n.saturating_add(Self::MIN_LEN) {
                return Err(EINVAL);
            }
        } else if n > u32::from(f.headroom) {
            return Err(EINVAL);
        }
        // SAFETY: the new start stays inside the buffer: at most `headroom` bytes back
        // (towards the frame header's end), or forward within the data (checked above).
        f.data = unsafe { f.data.cast::<u8>().offset(delta as isize) }.cast();
        // The sums stay within the buffer's size, which is below 64 KiB.
        f.len = (i64::from(f.len) - i64::from(delta)) as u16;
        f.headroom = (i64::from(f.headroom) + i64::from(delta)) as u16;
        f.metasize = 0;
        Ok(())
    }

    /// Moves the end of the data by `delta` bytes (`bpf_xdp_adjust_tail` on a frame):
    /// new bytes are zeroed. `EINVAL`, nothing changed, if it does not fit or would leave
    /// fewer than [`Frame::MIN_LEN`] bytes (an Ethernet header), the floor
    /// `bpf_xdp_adjust_tail` enforces too.
    pub fn adjust_tail(&mut self, delta: i32) -> Result {
        let n = delta.unsigned_abs();
        if delta >= 0 {
            if n > self.tailroom() {
                return Err(EINVAL);
            }
        } else if self.len() < n.saturating_add(Self::MIN_LEN) {
            return Err(EINVAL);
        }
        // SAFETY: valid and ours (type invariant).
        let f = unsafe { self.ptr.as_mut() };
        let old = usize::from(f.len);
        // The new length fits the buffer (checked above), below 64 KiB.
        f.len = (i64::from(f.len) + i64::from(delta)) as u16;
        if delta > 0 {
            // SAFETY: the `n` bytes after the old end are tailroom of our buffer.
            unsafe { f.data.cast::<u8>().add(old).write_bytes(0, n as usize) };
        }
        Ok(())
    }

    /// Takes a frame another driver's redirect handed over, unless it has fragments
    /// (multi-buffer XDP, which this API does not handle), in which case it stays with
    /// the caller.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid `xdp_frame` the caller owns and gives up if `Some` is returned.
    #[inline]
    pub(crate) unsafe fn check(ptr: NonNull<bindings::xdp_frame>) -> Option<Self> {
        // SAFETY: the caller passes a valid frame.
        let frags = unsafe { ptr.as_ref().flags & bindings::xdp_buff_flags_XDP_FLAGS_HAS_FRAGS };
        // SAFETY: the caller's promise; multi-buffer frames are refused.
        (frags == 0).then(|| unsafe { Self::from_raw(ptr) })
    }

    /// Copies a packet (from its `data`, all of it, fragments included) into a page with
    /// `XDP_PACKET_HEADROOM` in front, as veth does for an `sk_buff` whose head is not a
    /// page it may hand to XDP. The page comes from the polled queue's page pool if it has
    /// one ([`Poll::PAGE_POOL_SIZE`], veth's `skb_pp_cow_data`), else from the page
    /// allocator, and goes back the same way when the frame is done. `EMSGSIZE` if the
    /// packet does not fit one page, `ENOMEM` without a page.
    pub fn copy_from_skb<Q: Poll>(ctx: &Context<'_, Q>, skb: &SkBuff) -> Result<Frame> {
        let len = skb.len();
        if len > Self::MAX_LEN {
            return Err(super::errno(bindings::EMSGSIZE));
        }
        let (page, mem) = ctx.alloc_page().ok_or(ENOMEM)?;
        // SAFETY: a page from the pool or the page allocator, mapped (no highmem on 64-bit).
        let base = unsafe { bindings::page_address(page.as_ptr()) }.cast::<u8>();
        let header = base.cast::<bindings::xdp_frame>();
        // SAFETY: the page is ours, PAGE_SIZE bytes at `base`; the frame header goes at its
        // start, the data at XDP_PACKET_HEADROOM. `mem` is how this queue's pages go back.
        unsafe {
            let data = base.add(bindings::XDP_PACKET_HEADROOM as usize);
            header.write(bindings::xdp_frame {
                data: data.cast(),
                len: len as u16,
                headroom: (bindings::XDP_PACKET_HEADROOM as usize
                    - core::mem::size_of::<bindings::xdp_frame>()) as u16,
                metasize: 0,
                mem,
                dev_rx: core::ptr::null_mut(),
                frame_sz: bindings::PAGE_SIZE as u32,
                flags: 0,
            });
        }
        // SAFETY: `base` is the address of a page we hold, hence non-null.
        let ptr = unsafe { NonNull::new_unchecked(header) };
        // INVARIANT: a valid frame over the page we own, no fragments; dropping it (on
        // the error below) returns the page by `mem`.
        let frame = Frame { ptr };
        // SAFETY: `data` has room for `len` bytes (checked above); `skb` is valid.
        if unsafe { bindings::skb_copy_bits(skb.as_raw(), 0, (*header).data, len as i32) } != 0 {
            return Err(EINVAL);
        }
        Ok(frame)
    }

    /// Builds an `sk_buff` around the frame's buffer for the stack, no copy
    /// (`xdp_build_skb_from_frame`, which also runs `eth_type_trans` against `dev`).
    /// `None` (the frame freed) if the frame is shorter than an Ethernet header
    /// ([`Frame::MIN_LEN`]: `eth_type_trans` would read a header past its end and leave
    /// it in the packet) or no `sk_buff` could be allocated.
    pub fn into_skb(self, dev: &Device) -> Option<OwnedSkBuff> {
        if self.len() < Self::MIN_LEN {
            return None; // `self` drops, returning the buffer.
        }
        // SAFETY: the frame is ours and valid, and holds at least the Ethernet header
        // that `eth_type_trans` pulls (checked above); on success the `sk_buff` owns its
        // buffer.
        let skb = unsafe { bindings::xdp_build_skb_from_frame(self.ptr.as_ptr(), dev.as_raw()) };
        if skb.is_null() {
            return None; // `self` drops, returning the buffer.
        }
        core::mem::forget(self);
        // SAFETY: a new `sk_buff`, ours alone.
        Some(unsafe { OwnedSkBuff::from_raw(skb) })
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        // SAFETY: we own the frame; its `mem` says how to give the buffer back.
        unsafe { bindings::xdp_return_frame(self.ptr.as_ptr()) };
    }
}

/// Frames a driver sends in one go, first to last: `ndo_xdp_xmit`'s batch
/// ([`XmitFrames`]) or a poll's `XDP_TX` frames ([`Bulk`]). The driver takes them one at
/// a time and gives back the one it could not send (a full ring, a frame too long), which
/// stays first in line; what happens to the frames left is the source's business.
pub trait Frames {
    /// The next frame, now the caller's.
    fn take(&mut self) -> Option<Frame>;

    /// Gives back the frame [`Frames::take`] just gave, unsent.
    fn give_back(&mut self, frame: Frame);
}

/// The frames the kernel handed to a driver's `ndo_xdp_xmit`: the driver takes them in
/// order; the count it took is what the callback returns, and the caller frees the rest
/// (`bq_xmit_all` in kernel/bpf/devmap.c).
///
/// # Invariants
///
/// `frames[..taken]` have been given to the driver as [`Frame`]s; `frames[taken..]` are
/// valid frames still owned by the caller.
pub struct XmitFrames<'a> {
    frames: &'a [*mut bindings::xdp_frame],
    taken: usize,
}

impl<'a> XmitFrames<'a> {
    /// # Safety
    ///
    /// Every pointer in `frames` is a valid `xdp_frame` the caller of `ndo_xdp_xmit`
    /// gives up if and only if it is counted in [`XmitFrames::taken`].
    pub(crate) unsafe fn new(frames: &'a [*mut bindings::xdp_frame]) -> Self {
        // INVARIANT: none taken yet; validity is the caller's promise.
        Self { frames, taken: 0 }
    }

    /// How many frames are not taken (yet): the caller frees those left in the end.
    pub fn left(&self) -> usize {
        self.frames.len() - self.taken
    }

    /// How many frames the driver took: the value `ndo_xdp_xmit` returns.
    pub(crate) fn taken(&self) -> usize {
        self.taken
    }
}

impl Frames for XmitFrames<'_> {
    fn take(&mut self) -> Option<Frame> {
        let ptr = NonNull::new(*self.frames.get(self.taken)?)?;
        // SAFETY: `frames[taken]` is valid and still the caller's (type invariant); once
        // counted as taken it is ours. A multi-buffer frame is refused and stays the
        // caller's, like every frame after it.
        let frame = unsafe { Frame::check(ptr) }?;
        // INVARIANT: the frame now belongs to the driver.
        self.taken += 1;
        Some(frame)
    }

    fn give_back(&mut self, frame: Frame) {
        let last = self.taken.checked_sub(1).map(|i| self.frames[i]);
        if last == Some(frame.ptr.as_ptr()) {
            // INVARIANT: the last frame taken goes back to the caller, which frees it.
            self.taken -= 1;
            let _ = frame.into_raw();
        }
        // Any other frame is the driver's own, and dropping it is what giving it up means.
    }
}

/// Up to `N` frames waiting to be sent together (veth's `veth_xdp_tx_bq`, 16 frames):
/// `XDP_TX` verdicts collected during a poll and flushed under one ring lock and one
/// NAPI kick, when it fills up and as the poll ends.
///
/// A poll creates one whether or not a program sends anything, so an empty one costs
/// nothing to make: the slots are left uninitialised, not zeroed.
///
/// # Invariants
///
/// `head <= tail <= N`, and `slots[head..tail]` hold frames we own; the other slots
/// hold nothing (uninitialised, or a frame moved out).
pub struct Bulk<const N: usize> {
    slots: [MaybeUninit<Frame>; N],
    head: usize,
    tail: usize,
}

impl<const N: usize> Bulk<N> {
    /// An empty bulk queue.
    #[inline]
    pub const fn new() -> Self {
        // INVARIANT: `head == tail == 0`: no slot holds a frame.
        Self {
            slots: [const { MaybeUninit::uninit() }; N],
            head: 0,
            tail: 0,
        }
    }

    /// How many frames wait.
    #[inline]
    pub fn len(&self) -> usize {
        self.tail - self.head
    }

    /// Whether none waits.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.head == self.tail
    }

    /// Queues `frame` at the tail; gives it back if the queue is full (flush it first).
    #[inline]
    pub fn push(&mut self, frame: Frame) -> Result<(), Frame> {
        let Some(slot) = self.slots.get_mut(self.tail) else {
            return Err(frame);
        };
        // INVARIANT: slot `tail` (outside the range, so holding nothing that a write
        // would leak) takes the frame and joins the range.
        slot.write(frame);
        self.tail += 1;
        Ok(())
    }

    /// Drops the frames still waiting (`xdp_return_frame`) and empties the queue; returns
    /// how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.len();
        while self.take().is_some() {}
        // INVARIANT: the range is empty; the slots hold nothing.
        self.head = 0;
        self.tail = 0;
        n
    }
}

impl<const N: usize> Drop for Bulk<N> {
    #[inline]
    fn drop(&mut self) {
        if !self.is_empty() {
            self.clear();
        }
    }
}

impl<const N: usize> Default for Bulk<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Frames for Bulk<N> {
    #[inline]
    fn take(&mut self) -> Option<Frame> {
        if self.head == self.tail {
            return None;
        }
        // SAFETY: `head < tail`, so slot `head` holds a frame we own (type invariant);
        // it is read out once, as the slot leaves the range just below.
        let frame = unsafe { self.slots[self.head].assume_init_read() };
        // INVARIANT: the slot just emptied leaves the range.
        self.head += 1;
        Some(frame)
    }

    fn give_back(&mut self, frame: Frame) {
        match self.head.checked_sub(1) {
            Some(head) => {
                // INVARIANT: the slot before the range holds nothing (its frame was
                // taken); it takes this one and joins the range.
                self.slots[head].write(frame);
                self.head = head;
            }
            // Nothing was taken, so the frame is not from here: it is dropped.
            None => drop(frame),
        }
    }
}

const fn skb_shared_info_size() -> u32 {
    // SKB_DATA_ALIGN(sizeof(struct skb_shared_info)): aligned to SMP_CACHE_BYTES.
    let size = core::mem::size_of::<bindings::skb_shared_info>() as u32;
    let align = bindings::L1_CACHE_BYTES;
    size.div_ceil(align) * align
}

/// What a software device that does XDP queues between its two ends: an `sk_buff` from
/// its transmit path, or an XDP frame (from `ndo_xdp_xmit` or an `XDP_TX`), told apart in
/// a ring by bit 0 of the pointer, as veth does (`VETH_XDP_FLAG`).
pub enum Packet {
    /// A socket buffer, data at the Ethernet header.
    Skb(OwnedSkBuff),
    /// An XDP frame, data at the Ethernet header; no `sk_buff` exists for it.
    Frame(Frame),
}

/// Bit 0 of a ring entry: set for an XDP frame.
const FRAME_TAG: usize = 1;

// SAFETY: both pointers are non-null and at least 8-byte aligned (their structures have
// 8-byte members), so bit 0 is free to tell them apart; ownership travels with them.
unsafe impl RingItem for Packet {
    #[inline]
    fn into_ptr(self) -> NonNull<c_void> {
        match self {
            Packet::Skb(skb) => skb.into_ptr(),
            Packet::Frame(frame) => {
                let p = frame.into_raw().as_ptr() as usize | FRAME_TAG;
                // SAFETY: a non-null pointer with a bit set is non-null.
                unsafe { NonNull::new_unchecked(p as *mut c_void) }
            }
        }
    }

    #[inline]
    unsafe fn from_ptr(ptr: NonNull<c_void>) -> Self {
        let p = ptr.as_ptr() as usize;
        if p & FRAME_TAG != 0 {
            let frame = (p & !FRAME_TAG) as *mut bindings::xdp_frame;
            // SAFETY: a tagged entry is an owned frame given up by `into_ptr`, non-null.
            Packet::Frame(unsafe { Frame::from_raw(NonNull::new_unchecked(frame)) })
        } else {
            // SAFETY: an untagged entry is an owned `sk_buff` given up by `into_ptr`.
            Packet::Skb(unsafe { OwnedSkBuff::from_ptr(ptr) })
        }
    }
}

/// What [`run`] did with a frame.
pub enum Outcome {
    /// `XDP_PASS`: the frame, possibly changed, for the stack.
    Pass(Frame),
    /// `XDP_TX`: the frame, possibly changed, to send back out.
    Tx(Frame),
    /// Dropped, redirected, or aborted: nothing left to do but count.
    Done(Action),
    /// The verdict could not be carried out (a redirect to a device that is down, a
    /// program that moved data where no frame header fits): dropped.
    Failed(Action),
}

/// Runs `prog` on `frame`, received on the polled queue (`bpf_prog_run_xdp`), and carries
/// out the verdicts that need no driver: drop, abort, redirect. Only a NAPI poll may
/// (`ctx`): a program's redirect state lives in that context (`bpf_net_context`) until
/// the poll flushes it, and the queue's `xdp_rxq_info` is what the program sees.
pub fn run<Q: Poll>(ctx: &Context<'_, Q>, prog: &Prog, frame: Frame) -> Outcome {
    let dev = ctx.device().as_raw();
    let raw = frame.ptr.as_ptr();
    // A program may grow the head down to the frame header, so keep a copy of the header
    // to free the buffer with if a redirect fails (veth: `orig_frame`).
    // SAFETY: the frame is valid (type invariant).
    let orig = unsafe { raw.read() };
    // Each frame gets its own copy of the queue info, with the memory model of its buffer
    // (ours, or another driver's after `ndo_xdp_xmit`), which `xdp_do_redirect` records.
    // SAFETY: the polled queue's info, registered while the instance is added and only
    // read from then on.
    let mut info = unsafe { ctx.xdp_rxq().read() };
    info.mem = orig.mem;
    // SAFETY: all-zero is a valid `xdp_buff`; the conversion fills in every data pointer.
    let mut xdp: bindings::xdp_buff = unsafe { core::mem::MaybeUninit::zeroed().assume_init() };
    // SAFETY: `raw` is a valid frame; `xdp` and `info` live until the end of this call and
    // no C code keeps a pointer to either past the calls below.
    let act = unsafe {
        bindings::xdp_convert_frame_to_buff(raw, &mut xdp);
        xdp.rxq = &mut info;
        bindings::bpf_prog_run_xdp(prog.as_raw(), &mut xdp)
    };
    let exception = |act: u32| {
        // SAFETY: valid device and program; the tracepoint only reads them.
        unsafe { bindings::trace_xdp_exception(dev, prog.as_raw(), act) };
    };
    match act {
        bindings::xdp_action_XDP_PASS | bindings::xdp_action_XDP_TX => {
            // The program may have moved data, data_end or the metadata: write that back
            // into the frame header.
            let pass = act == bindings::xdp_action_XDP_PASS;
            // SAFETY: `xdp` describes the frame's buffer; `raw` is its header.
            if unsafe { bindings::xdp_update_frame_from_buff(&xdp, raw) } != 0 {
                exception(act);
                return Outcome::Failed(if pass { Action::Pass } else { Action::Tx });
            }
            if pass {
                Outcome::Pass(frame)
            } else {
                Outcome::Tx(frame)
            }
        }
        bindings::xdp_action_XDP_DROP => Outcome::Done(Action::Drop),
        bindings::xdp_action_XDP_REDIRECT => {
            core::mem::forget(frame);
            // SAFETY: NAPI context with `bpf_net_context` set (the `ctx` token); the buffer
            // is handed to the redirect machinery, which owns it on success; on failure it
            // is still ours, described by `orig`.
            let err = unsafe { bindings::xdp_do_redirect(dev, &mut xdp, prog.as_raw()) };
            if err == 0 {
                ctx.note_redirect();
                return Outcome::Done(Action::Redirect);
            }
            let mut orig = orig;
            // SAFETY: `orig` is a copy of the header of a buffer we own again.
            unsafe { bindings::xdp_return_frame(&mut orig) };
            // `xdp_do_redirect` traced the failure (xdp:xdp_redirect_err).
            Outcome::Failed(Action::Redirect)
        }
        bindings::xdp_action_XDP_ABORTED => {
            exception(act);
            Outcome::Done(Action::Aborted)
        }
        _ => {
            // SAFETY: valid device and program; prints a one-time warning.
            unsafe { bindings::bpf_warn_invalid_xdp_action(dev, prog.as_raw(), act) };
            exception(act);
            Outcome::Done(Action::Aborted)
        }
    }
}

/// `EOPNOTSUPP`, which `ip` reports as "Operation not supported": for programs or
/// requests a driver does not handle.
pub fn not_supported() -> Error {
    super::errno(bindings::EOPNOTSUPP)
}

/// `xdp_features` a driver advertises (`enum netdev_xdp_act`), shown by
/// `ip -d link` and checked by `bpf_xdp_redirect` targets.
pub mod features {
    use crate::bindings;
    /// XDP_PASS, DROP, TX, ABORTED.
    pub const BASIC: u64 = bindings::netdev_xdp_act_NETDEV_XDP_ACT_BASIC as u64;
    /// XDP_REDIRECT from this device's programs.
    pub const REDIRECT: u64 = bindings::netdev_xdp_act_NETDEV_XDP_ACT_REDIRECT as u64;
    /// `ndo_xdp_xmit`: this device is a redirect target.
    pub const NDO_XMIT: u64 = bindings::netdev_xdp_act_NETDEV_XDP_ACT_NDO_XMIT as u64;
}

/// The netlink extended ack of a request: an error message `ip` prints.
///
/// # Invariants
///
/// `ptr` is null or a valid `netlink_ext_ack` for the duration of the borrow.
pub struct ExtAck<'a> {
    ptr: *mut bindings::netlink_ext_ack,
    _p: core::marker::PhantomData<&'a mut bindings::netlink_ext_ack>,
}

impl ExtAck<'_> {
    /// # Safety
    ///
    /// `ptr` is null or valid for writes for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::netlink_ext_ack) -> Self {
        // INVARIANT: the caller's promise.
        Self {
            ptr,
            _p: core::marker::PhantomData,
        }
    }

    /// Sets the message (`NL_SET_ERR_MSG`).
    pub fn set_message(&mut self, msg: &'static CStr) {
        if !self.ptr.is_null() {
            // SAFETY: valid by the type invariant; the message is static.
            unsafe { (*self.ptr)._msg = msg.as_char_ptr() };
        }
    }
}
