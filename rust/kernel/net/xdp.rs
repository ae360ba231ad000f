// SPDX-License-Identifier: GPL-2.0

//! Native XDP in a driver: eBPF programs, receive-queue info, frames.
//!
//! C headers: [`include/net/xdp.h`](srctree/include/net/xdp.h),
//! [`include/linux/filter.h`](srctree/include/linux/filter.h) (`bpf_prog_run_xdp`),
//! [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h) (`ndo_bpf`,
//! `ndo_xdp_xmit`).
//!
//! `ip link set dev rv1 xdpdrv obj prog.o` ends in `dev_xdp_install`
//! (net/core/dev.c), which hands the loaded program to the driver's `ndo_bpf`
//! (`XDP_SETUP_PROG`). The driver keeps it in a [`ProgSlot`] (an [`RcuRef`](super::RcuRef)) and runs it from its NAPI
//! poll on every received frame, in a page of its own with `XDP_PACKET_HEADROOM` in
//! front, before any `sk_buff` exists for it, as drivers/net/veth.c does
//! (`veth_xdp_rcv_one`, `veth_xdp_rcv_skb`):
//!
//! - `XDP_PASS`: an `sk_buff` is built around the page (`xdp_build_skb_from_frame`).
//! - `XDP_DROP`: the page goes back (`xdp_return_frame`).
//! - `XDP_TX`: the frame leaves by the device it came in on (the driver's own transmit).
//! - `XDP_REDIRECT`: `xdp_do_redirect` queues it for the device or map the program
//!   chose; `xdp_do_flush` at the end of the poll hands the batch to the target's
//!   `ndo_xdp_xmit`.
//!
//! A frame in flight is a `struct xdp_frame` ([`Frame`]): its header sits at the start of
//! its own buffer, so a frame is one pointer wherever it goes (a ring, a devmap bulk
//! queue, another driver's `ndo_xdp_xmit`) and no memory is allocated for it.

use super::{dev::Device, skb::SkBuff};
use crate::{
    bindings,
    error::to_result,
    prelude::*,
    types::{AlwaysRefCounted, Opaque},
};
use core::ptr::NonNull;

/// A loaded eBPF program: `struct bpf_prog`, counted with `bpf_prog_inc`/`bpf_prog_put`.
///
/// # Invariants
///
/// The wrapped program is valid while a reference to this type exists: the holder owns a
/// count, or borrows it from an owner for an RCU read-side section (programs are freed
/// after a grace period, `__bpf_prog_put_noref`).
#[repr(transparent)]
pub struct Prog(Opaque<bindings::bpf_prog>);

impl Prog {
    /// # Safety
    ///
    /// `ptr` points at a valid program that stays valid for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::bpf_prog) -> &'a Self {
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
pub type ProgSlot = super::RcuRef<Prog>;

/// What a program decided for a frame: `enum xdp_action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `XDP_PASS`: on to the stack.
    Pass,
    /// `XDP_DROP`: freed, nothing else sees it.
    Drop,
    /// `XDP_TX`: out of the device it came in on.
    Tx,
    /// `XDP_REDIRECT`: queued for the target the program chose (done by [`run`]).
    Redirect,
    /// `XDP_ABORTED` (or an unknown action, or a failed redirect): dropped, and the
    /// `xdp:xdp_exception` tracepoint fires.
    Aborted,
}

/// A receive queue's `struct xdp_rxq_info`: which device and queue a frame came in on
/// (`ctx->ingress_ifindex`, `ctx->rx_queue_index` in a program) and how its memory is
/// given back.
///
/// # Invariants
///
/// `info` is registered (`xdp_rxq_info_reg`) from initialisation until drop.
#[pin_data(PinnedDrop)]
pub struct RxQueueInfo {
    #[pin]
    info: Opaque<bindings::xdp_rxq_info>,
}

// SAFETY: after registration the info is only read (copied per frame by `run`).
unsafe impl Send for RxQueueInfo {}
// SAFETY: as above.
unsafe impl Sync for RxQueueInfo {}

impl RxQueueInfo {
    /// Registers receive queue `index` of `dev` (`__xdp_rxq_info_reg`), its memory model
    /// being whole pages (`MEM_TYPE_PAGE_ORDER0`, what [`Frame::copy_from_skb`] makes).
    pub fn new(dev: &Device, index: u32) -> impl PinInit<Self, Error> + '_ {
        // SAFETY: the closure initialises `info` in place or fails leaving it unregistered
        // (and nothing to clean up); the slot is pinned, as the core keeps no pointer to
        // it but `PinnedDrop` must unregister the same object.
        unsafe {
            crate::init::pin_init_from_closure(move |this: *mut Self| {
                let info = Opaque::raw_get(core::ptr::addr_of!((*this).info));
                info.write_bytes(0, 1);
                to_result(bindings::__xdp_rxq_info_reg(
                    info,
                    dev.as_raw(),
                    index,
                    0,
                    bindings::PAGE_SIZE as u32,
                ))?;
                let ret = bindings::xdp_rxq_info_reg_mem_model(
                    info,
                    bindings::xdp_mem_type_MEM_TYPE_PAGE_ORDER0,
                    core::ptr::null_mut(),
                );
                if ret != 0 {
                    bindings::xdp_rxq_info_unreg(info);
                    return Err(Error::from_errno(ret));
                }
                Ok(())
            })
        }
    }
}

#[pinned_drop]
impl PinnedDrop for RxQueueInfo {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered by the type invariant; nothing uses it any more.
        unsafe { bindings::xdp_rxq_info_unreg(self.info.get()) };
    }
}

/// A frame in flight: an owned `struct xdp_frame`, the header at the start of the
/// frame's own buffer. Dropping it gives the buffer back (`xdp_return_frame`).
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

    /// Takes ownership of a frame.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid `xdp_frame` the caller owns and gives up, without fragments.
    #[inline]
    pub unsafe fn from_raw(ptr: NonNull<bindings::xdp_frame>) -> Self {
        Self { ptr }
    }

    /// Gives up ownership.
    #[inline]
    pub fn into_raw(self) -> NonNull<bindings::xdp_frame> {
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

    /// Whether the frame carries fragments (multi-buffer XDP), which this API does not
    /// handle: such frames are refused by [`Frame::check`].
    #[inline]
    fn has_frags(ptr: NonNull<bindings::xdp_frame>) -> bool {
        // SAFETY: the caller passes a valid frame.
        unsafe { ptr.as_ref().flags & bindings::xdp_buff_flags_XDP_FLAGS_HAS_FRAGS != 0 }
    }

    /// Takes a frame another driver's redirect handed over, unless it has fragments, in
    /// which case it stays with the caller.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid `xdp_frame` the caller owns and gives up if `Some` is returned.
    #[inline]
    pub unsafe fn check(ptr: NonNull<bindings::xdp_frame>) -> Option<Self> {
        // SAFETY: the caller's promise; multi-buffer frames are refused.
        (!Self::has_frags(ptr)).then(|| unsafe { Self::from_raw(ptr) })
    }

    /// Copies a packet (from its `data`, all of it, fragments included) into a fresh page
    /// with `XDP_PACKET_HEADROOM` in front, as veth does for an `sk_buff` whose head is
    /// not a page it may hand to XDP. `EMSGSIZE` if it does not fit one page, `ENOMEM`
    /// without a page.
    pub fn copy_from_skb(skb: &SkBuff) -> Result<Frame> {
        let len = skb.len();
        if len > Self::MAX_LEN {
            return Err(super::errno(bindings::EMSGSIZE));
        }
        // SAFETY: no preconditions; NULL on failure.
        let page = unsafe { bindings::netdive_xdp_alloc_page() };
        let page = NonNull::new(page.cast::<u8>()).ok_or(ENOMEM)?;
        let frame = page.cast::<bindings::xdp_frame>();
        // SAFETY: the page is ours, PAGE_SIZE bytes; the frame header goes at its start and
        // the data at XDP_PACKET_HEADROOM, `len` bytes that fit (checked above).
        unsafe {
            let data = page.as_ptr().add(bindings::XDP_PACKET_HEADROOM as usize);
            if bindings::skb_copy_bits(skb.as_raw(), 0, data.cast(), len as i32) != 0 {
                bindings::netdive_xdp_free_page(page.as_ptr().cast());
                return Err(EINVAL);
            }
            frame.as_ptr().write(bindings::xdp_frame {
                data: data.cast(),
                len: len as u16,
                headroom: (bindings::XDP_PACKET_HEADROOM as usize
                    - core::mem::size_of::<bindings::xdp_frame>()) as u16,
                metasize: 0,
                mem: bindings::xdp_mem_info {
                    type_: bindings::xdp_mem_type_MEM_TYPE_PAGE_ORDER0,
                    id: 0,
                },
                dev_rx: core::ptr::null_mut(),
                frame_sz: bindings::PAGE_SIZE as u32,
                flags: 0,
            });
        }
        // INVARIANT: a valid frame over the page we own, no fragments.
        Ok(Frame { ptr: frame })
    }

    /// Builds an `sk_buff` around the frame's buffer for the stack, no copy
    /// (`xdp_build_skb_from_frame`, which also runs `eth_type_trans` against `dev`).
    /// `None` (the frame freed) if no `sk_buff` could be allocated.
    pub fn into_skb(self, dev: &Device) -> Option<SkBuff> {
        // SAFETY: the frame is ours and valid; on success the `sk_buff` owns its buffer.
        let skb = unsafe { bindings::xdp_build_skb_from_frame(self.ptr.as_ptr(), dev.as_raw()) };
        if skb.is_null() {
            return None; // `self` drops, returning the buffer.
        }
        core::mem::forget(self);
        // SAFETY: a new `sk_buff` we own.
        Some(unsafe { SkBuff::from_raw(skb) })
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        // SAFETY: we own the frame; its `mem` says how to give the buffer back.
        unsafe { bindings::xdp_return_frame(self.ptr.as_ptr()) };
    }
}

const fn skb_shared_info_size() -> u32 {
    // SKB_DATA_ALIGN(sizeof(struct skb_shared_info)): aligned to SMP_CACHE_BYTES.
    let size = core::mem::size_of::<bindings::skb_shared_info>() as u32;
    let align = bindings::L1_CACHE_BYTES;
    size.div_ceil(align) * align
}

/// What [`run`] did with a frame.
pub enum Outcome {
    /// `XDP_PASS`: the frame, possibly changed, for the stack.
    Pass(Frame),
    /// `XDP_TX`: the frame, possibly changed, to send back out.
    Tx(Frame),
    /// Dropped, redirected, or aborted: nothing left to do but count.
    Done(Verdict),
    /// The verdict could not be carried out (a redirect to a device that is down, a
    /// program that moved data where no frame header fits): dropped.
    Failed(Verdict),
}

/// Runs `prog` on `frame`, received on `rxq` of `dev` (`bpf_prog_run_xdp`), and carries
/// out the verdicts that need no driver: drop, abort, redirect. Call from the NAPI poll
/// (the redirect state is per CPU and its batch is flushed by [`flush_redirects`]).
pub fn run(prog: &Prog, frame: Frame, rxq: &RxQueueInfo, dev: &Device) -> Outcome {
    let raw = frame.ptr.as_ptr();
    // A program may grow the head down to the frame header, so keep a copy of the header
    // to free the buffer with if a redirect fails (veth: `orig_frame`).
    // SAFETY: the frame is valid (type invariant).
    let orig = unsafe { raw.read() };
    // Each frame gets its own copy of the queue info, with the memory model of its buffer
    // (ours, or another driver's after `ndo_xdp_xmit`), which `xdp_do_redirect` records.
    // SAFETY: registered and only read (type invariant of `RxQueueInfo`).
    let mut info = unsafe { rxq.info.get().read() };
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
        unsafe { bindings::netdive_trace_xdp_exception(dev.as_raw(), prog.as_raw(), act) };
    };
    match act {
        bindings::xdp_action_XDP_PASS | bindings::xdp_action_XDP_TX => {
            // The program may have moved data, data_end or the metadata: write that back
            // into the frame header.
            let pass = act == bindings::xdp_action_XDP_PASS;
            // SAFETY: `xdp` describes the frame's buffer; `raw` is its header.
            if unsafe { bindings::xdp_update_frame_from_buff(&xdp, raw) } != 0 {
                exception(act);
                return Outcome::Failed(if pass { Verdict::Pass } else { Verdict::Tx });
            }
            if pass {
                Outcome::Pass(frame)
            } else {
                Outcome::Tx(frame)
            }
        }
        bindings::xdp_action_XDP_DROP => Outcome::Done(Verdict::Drop),
        bindings::xdp_action_XDP_REDIRECT => {
            core::mem::forget(frame);
            // SAFETY: the buffer is handed to the redirect machinery, which owns it on
            // success; on failure it is still ours, described by `orig`.
            let err = unsafe { bindings::xdp_do_redirect(dev.as_raw(), &mut xdp, prog.as_raw()) };
            if err == 0 {
                return Outcome::Done(Verdict::Redirect);
            }
            let mut orig = orig;
            // SAFETY: `orig` is a copy of the header of a buffer we own again.
            unsafe { bindings::xdp_return_frame(&mut orig) };
            // `xdp_do_redirect` traced the failure (xdp:xdp_redirect_err).
            Outcome::Failed(Verdict::Redirect)
        }
        bindings::xdp_action_XDP_ABORTED => {
            exception(act);
            Outcome::Done(Verdict::Aborted)
        }
        _ => {
            // SAFETY: valid device and program; prints a one-time warning.
            unsafe { bindings::bpf_warn_invalid_xdp_action(dev.as_raw(), prog.as_raw(), act) };
            exception(act);
            Outcome::Done(Verdict::Aborted)
        }
    }
}

/// Hands the frames redirected during this poll to their targets (`xdp_do_flush`):
/// call once at the end of a NAPI poll that redirected anything.
pub fn flush_redirects() {
    // SAFETY: called from the NAPI poll, which owns this CPU's redirect state.
    unsafe { bindings::xdp_do_flush() };
}

/// `EOPNOTSUPP`, which `ip` reports as "Operation not supported": for programs or
/// requests a driver does not handle.
pub fn not_supported() -> Error {
    super::errno(bindings::EOPNOTSUPP)
}

/// Which queue an `ndo_xdp_xmit` frame should take: the number of the CPU running the
/// redirect, as veth spreads them (`veth_select_rxq`); callers wrap it to their count.
pub fn xmit_queue_hint() -> usize {
    super::current_cpu()
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
