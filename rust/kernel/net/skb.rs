// SPDX-License-Identifier: GPL-2.0

//! Socket buffers: `struct sk_buff`.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)
//!
//! Every packet in the stack is an `sk_buff`: metadata (device, protocol, queue) plus a
//! pointer into a data buffer laid out as
//!
//! ```text
//! head ─── headroom ─── data ═══ packet (len) ═══ tail ─── tailroom ─── end
//! ```
//!
//! `skb_push` grows the packet into the headroom (a header is prepended), `skb_pull`
//! consumes a header from the front (a layer is done with it), `skb_put` appends at the
//! tail and `skb_reserve` moves an empty buffer's data pointer to make headroom.
//!
//! [`SkBuff`] owns one buffer. It must end in exactly one way: handed on (to a queue, a
//! ring, the stack: [`SkBuff::into_raw`]), consumed after successful use
//! ([`SkBuff::consume`], `consume_skb`), or dropped with a reason ([`SkBuff::drop_reason`],
//! which `perf`/`dropwatch` see as `kfree_skb` with that reason). Letting it fall out of
//! scope drops it with `SKB_DROP_REASON_NOT_SPECIFIED`.

use super::dev::Device;
use super::errno;
use crate::{bindings, prelude::*};
use core::ptr::NonNull;

/// Why a packet was dropped, as the kernel's `enum skb_drop_reason` names it
/// (include/net/dropreason-core.h). Tools such as `perf trace -e skb:kfree_skb` show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum DropReason {
    /// `SKB_DROP_REASON_NOT_SPECIFIED`.
    NotSpecified = bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
    /// `SKB_DROP_REASON_DEV_READY`: the device is not ready (down, or no peer).
    DevReady = bindings::skb_drop_reason_SKB_DROP_REASON_DEV_READY,
    /// `SKB_DROP_REASON_FULL_RING`: the receive ring is full.
    FullRing = bindings::skb_drop_reason_SKB_DROP_REASON_FULL_RING,
    /// `SKB_DROP_REASON_DEV_HDR`: the frame's header is invalid for the device.
    DevHdr = bindings::skb_drop_reason_SKB_DROP_REASON_DEV_HDR,
    /// `SKB_DROP_REASON_PKT_TOO_BIG`: larger than the receiving device accepts.
    PktTooBig = bindings::skb_drop_reason_SKB_DROP_REASON_PKT_TOO_BIG,
    /// `SKB_DROP_REASON_XDP`: a fast-path program decided to drop it.
    Xdp = bindings::skb_drop_reason_SKB_DROP_REASON_XDP,
    /// `SKB_DROP_REASON_NETFILTER_DROP`: a netfilter hook returned `NF_DROP`.
    NetfilterDrop = bindings::skb_drop_reason_SKB_DROP_REASON_NETFILTER_DROP,
}

/// An owned socket buffer.
///
/// # Invariants
///
/// `ptr` points at a valid `struct sk_buff` of which this value owns one reference; no
/// other code accesses the buffer's data or metadata while this value exists, except
/// through this value.
#[must_use = "an sk_buff must be handed on, consumed, or dropped with a reason"]
pub struct SkBuff {
    ptr: NonNull<bindings::sk_buff>,
}

// SAFETY: an owned `sk_buff` may be handed from one CPU to another (that is what a ring
// between two devices does); the kernel's skb functions do not depend on the thread.
unsafe impl Send for SkBuff {}

impl SkBuff {
    /// Takes ownership of a raw `sk_buff`.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid `sk_buff` whose reference the caller owns and gives up here
    /// (for example the `skb` argument of `ndo_start_xmit`), and nothing else uses it.
    #[inline]
    pub unsafe fn from_raw(ptr: *mut bindings::sk_buff) -> Self {
        // INVARIANT: validity and exclusive ownership are the caller's promise.
        Self {
            // SAFETY: the caller promises a valid, hence non-null, pointer.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
        }
    }

    /// Gives up ownership and returns the raw pointer: the caller now owns the reference.
    #[inline]
    pub fn into_raw(self) -> *mut bindings::sk_buff {
        let ptr = self.ptr.as_ptr();
        core::mem::forget(self);
        ptr
    }

    /// The raw pointer, still owned by `self`.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::sk_buff {
        self.ptr.as_ptr()
    }

    #[inline]
    fn skb(&self) -> &bindings::sk_buff {
        // SAFETY: the buffer is valid and exclusively ours by the type invariant.
        unsafe { self.ptr.as_ref() }
    }

    /// Bytes in the packet, linear part and fragments: `skb->len`.
    #[inline]
    pub fn len(&self) -> u32 {
        self.skb().len
    }

    /// Whether the packet has no bytes at all.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes in the linear part, between `data` and `tail`: `skb_headlen()`.
    #[inline]
    pub fn headlen(&self) -> u32 {
        self.skb().len - self.skb().data_len
    }

    /// Bytes free in front of `data`: `skb_headroom()`.
    #[inline]
    pub fn headroom(&self) -> u32 {
        // SAFETY: `data` and `head` point into the same buffer, `data >= head`.
        unsafe { self.skb().data.offset_from(self.skb().head) as u32 }
    }

    /// Bytes free after `tail` (none for a non-linear buffer): `skb_tailroom()`.
    #[inline]
    pub fn tailroom(&self) -> u32 {
        if self.skb().data_len != 0 {
            return 0;
        }
        // On 64-bit kernels `tail` and `end` are offsets from `head` (sk_buff_data_t).
        self.skb().end - self.skb().tail
    }

    /// The linear part of the packet, `data .. data + headlen`.
    #[inline]
    pub fn data(&self) -> &[u8] {
        // SAFETY: `data` points at `headlen()` initialised bytes owned by the buffer,
        // which we own for the lifetime of the borrow.
        unsafe { core::slice::from_raw_parts(self.skb().data, self.headlen() as usize) }
    }

    /// The linear part of the packet, writable.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        let len = self.headlen() as usize;
        // SAFETY: as in `data`, and `&mut self` makes the access exclusive. The buffer
        // is not shared (clones share data, but an owned `SkBuff` from a driver's
        // transmit path may be written only after `skb_cow`: callers that write a
        // possibly cloned buffer must not use this; see `is_cloned`).
        unsafe { core::slice::from_raw_parts_mut(self.skb().data, len) }
    }

    /// Whether someone else holds a reference to this very buffer (`skb_shared()`:
    /// `skb->users` above one), as pktgen does to the packet it is sending.
    #[inline]
    pub fn is_shared(&self) -> bool {
        // `skb_shared()` is `refcount_read(&skb->users) != 1`, read here directly (it is
        // asked on every received packet).
        // SAFETY: the buffer is valid by the type invariant; `users` is an `atomic_t`.
        let users = unsafe {
            (*core::ptr::addr_of!((*self.as_raw()).users.refs.counter)
                .cast::<core::sync::atomic::AtomicI32>())
            .load(core::sync::atomic::Ordering::Relaxed)
        };
        users != 1
    }

    /// Whether the data buffer is shared with a clone (`skb_cloned()`), for example by
    /// a packet socket tapping the device (tcpdump). A cloned buffer's data must not be
    /// written without unsharing it first.
    #[inline]
    pub fn is_cloned(&self) -> bool {
        // SAFETY: the buffer is valid by the type invariant.
        unsafe { bindings::skb_cloned(self.as_raw()) != 0 }
    }

    /// Gives a cloned buffer its own copy of the data (`skb_unclone`), so that it may be
    /// written; a buffer that is not cloned is left alone. `ENOMEM` if the copy fails.
    #[inline]
    pub fn unclone(&mut self) -> Result {
        // `skb_cloned()` needs `skb->cloned` first: without it there is nothing to do, and
        // no helper call on the common path.
        if self.skb().cloned() == 0 {
            return Ok(());
        }
        // SAFETY: the buffer is ours; `skb_unclone` reallocates the head if shared.
        let ret = unsafe { bindings::skb_unclone(self.as_raw(), bindings::GFP_ATOMIC) };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }

    /// Shortens the packet to `len` bytes (`pskb_trim`); `EINVAL` if it is shorter.
    pub fn trim(&mut self, len: u32) -> Result {
        if len > self.len() {
            return Err(EINVAL);
        }
        // SAFETY: the buffer is ours and `len` is within it.
        let ret = unsafe { bindings::pskb_trim(self.as_raw(), len) };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }

    /// Moves `data` back to the Ethernet header that `eth_type_trans` pulled
    /// (`__skb_push(skb, skb->data - skb_mac_header(skb))`), as a driver does before it
    /// shows the raw frame to XDP. Fails with `EINVAL` if no MAC header was recorded or
    /// it lies after `data`.
    #[inline]
    pub fn push_mac_header(&mut self) -> Result {
        let skb = self.skb();
        // SAFETY: reading a field of the `headers` group of a valid buffer.
        let mac = unsafe { skb.__bindgen_anon_4.headers.as_ref().mac_header };
        if mac == u16::MAX {
            return Err(EINVAL);
        }
        let data = self.headroom();
        let mac = u32::from(mac);
        if mac > data {
            return Err(EINVAL);
        }
        self.push(data - mac).map(|_| ())
    }

    /// Appends `len` bytes at the tail and returns them (`skb_put`). Fails with
    /// `EMSGSIZE` instead of the C function's panic when the tailroom is too small.
    pub fn put(&mut self, len: u32) -> Result<&mut [u8]> {
        if len > self.tailroom() {
            return Err(errno(bindings::EMSGSIZE));
        }
        // SAFETY: the buffer is ours and linear with `len` bytes of tailroom, so
        // `skb_put` returns `len` writable bytes inside it.
        let p = unsafe { bindings::skb_put(self.as_raw(), len) };
        // SAFETY: `p` points at `len` bytes of the buffer, borrowed through `&mut self`.
        Ok(unsafe { core::slice::from_raw_parts_mut(p.cast::<u8>(), len as usize) })
    }

    /// Prepends `len` bytes in the headroom and returns them (`__skb_push`: the headroom
    /// is checked here, so the exported `skb_push`'s own check and call are not needed),
    /// or `EMSGSIZE` when the headroom is too small.
    #[inline]
    pub fn push(&mut self, len: u32) -> Result<&mut [u8]> {
        if len > self.headroom() {
            return Err(errno(bindings::EMSGSIZE));
        }
        let raw = self.as_raw();
        // SAFETY: the buffer is ours; `len <= headroom`, so `data - len` stays in it.
        unsafe {
            (*raw).data = (*raw).data.sub(len as usize);
            (*raw).len += len;
        }
        // SAFETY: `data` now points at the `len` prepended bytes, borrowed through
        // `&mut self`.
        Ok(unsafe { core::slice::from_raw_parts_mut((*raw).data, len as usize) })
    }

    /// Removes `len` bytes from the front of the linear part (`skb_pull`), or `EMSGSIZE`
    /// when the linear part is shorter.
    pub fn pull(&mut self, len: u32) -> Result {
        if len > self.headlen() {
            return Err(errno(bindings::EMSGSIZE));
        }
        // SAFETY: `len <= headlen`, so the pull stays within the linear data.
        unsafe { bindings::skb_pull(self.as_raw(), len) };
        Ok(())
    }

    /// Makes `len` bytes of headroom in an empty buffer (`skb_reserve`).
    pub fn reserve(&mut self, len: u32) -> Result {
        if !self.is_empty() || len > self.tailroom() {
            return Err(EINVAL);
        }
        // SAFETY: the buffer is empty and has `len` bytes after `tail`.
        unsafe { bindings::skb_reserve(self.as_raw(), len as i32) };
        Ok(())
    }

    /// The link-layer protocol in host byte order (`ntohs(skb->protocol)`), e.g. 0x0800.
    #[inline]
    pub fn protocol(&self) -> u16 {
        // SAFETY: reading a field of the `headers` group of a valid buffer.
        u16::from_be(unsafe { self.skb().__bindgen_anon_4.headers.as_ref().protocol })
    }

    /// The transmit queue the stack picked for this packet (`skb_get_queue_mapping`).
    #[inline]
    pub fn queue_mapping(&self) -> u16 {
        self.skb().queue_mapping
    }

    /// Records the receive queue the packet arrived on (`skb_record_rx_queue`), which
    /// RPS and `recvmsg` users see.
    #[inline]
    pub fn record_rx_queue(&mut self, queue: u16) {
        // `skb_record_rx_queue`: queue + 1, zero meaning "not recorded".
        // SAFETY: the buffer is ours.
        unsafe { (*self.as_raw()).queue_mapping = queue.wrapping_add(1) };
    }

    /// Prepares a frame that crossed from one device to another for the receiver, as
    /// `__dev_forward_skb` does up to its last step: checks it fits the receiver's MTU
    /// and scrubs the sender's state (socket, dst, marks when crossing namespaces). The
    /// frame stays raw, `data` at the Ethernet header, as a NIC hands it to its driver:
    /// the receiver runs [`SkBuff::eth_type_trans`] itself, after any XDP program.
    ///
    /// Returns `None` when the kernel dropped the frame instead (too big for the
    /// receiver, or the receiver is down); it counted it in the receiver's `rx_dropped`.
    #[inline]
    pub fn forward_to(self, rcv: &Device) -> Option<SkBuff> {
        let raw = self.into_raw();
        // SAFETY: `raw` is a valid buffer we own, `rcv` a valid device. On failure
        // (`NET_RX_DROP`) the kernel frees the buffer, on success gives it back.
        if unsafe { bindings::netdive_dev_forward_raw(rcv.as_raw(), raw) } != 0 {
            return None;
        }
        // SAFETY: on success the buffer is still valid and still ours.
        Some(unsafe { SkBuff::from_raw(raw) })
    }

    /// Sets `protocol` and `pkt_type` from the Ethernet header and pulls it
    /// (`skb->protocol = eth_type_trans(skb, dev)`, then the `skb_postpull_rcsum` a
    /// forwarded frame needs); the frame must be at least `ETH_HLEN` long. Returns the
    /// protocol in host byte order.
    #[inline]
    pub fn eth_type_trans(&mut self, dev: &Device) -> Result<u16> {
        if self.headlen() < bindings::ETH_HLEN {
            return Err(EINVAL);
        }
        // SAFETY: the buffer is ours and holds at least an Ethernet header.
        let proto = unsafe { bindings::netdive_eth_type_trans(self.as_raw(), dev.as_raw()) };
        Ok(u16::from_be(proto))
    }

    /// The packet was used successfully: `consume_skb` (no drop is reported).
    #[inline]
    pub fn consume(self) {
        // SAFETY: we own the reference and give it back.
        unsafe { bindings::consume_skb(self.into_raw()) };
    }

    /// The packet is dropped for `reason` (`kfree_skb_reason`).
    #[inline]
    pub fn drop_reason(self, reason: DropReason) {
        // SAFETY: we own the reference and give it back.
        unsafe {
            bindings::sk_skb_reason_drop(core::ptr::null_mut(), self.into_raw(), reason as u32)
        };
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: an `SkBuff` still owned when it goes out of scope is freed once.
        unsafe {
            bindings::sk_skb_reason_drop(
                core::ptr::null_mut(),
                self.ptr.as_ptr(),
                bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
            )
        };
    }
}

/// A borrowed socket buffer: what a hook sees while the stack owns the packet.
///
/// # Invariants
///
/// `ptr` is a valid `sk_buff` for `'a`, and nobody changes its data or length while the
/// view exists (the hook runs synchronously inside the stack's processing of it).
pub struct SkBuffRef<'a> {
    ptr: NonNull<bindings::sk_buff>,
    _p: core::marker::PhantomData<&'a bindings::sk_buff>,
}

impl<'a> SkBuffRef<'a> {
    /// # Safety
    ///
    /// `ptr` is a valid `sk_buff` whose data and length stay unchanged for `'a`.
    #[inline]
    pub unsafe fn from_raw(ptr: *mut bindings::sk_buff) -> Self {
        Self {
            // SAFETY: the caller promises a valid, hence non-null, pointer.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
            _p: core::marker::PhantomData,
        }
    }

    /// The raw pointer.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::sk_buff {
        self.ptr.as_ptr()
    }

    #[inline]
    fn skb(&self) -> &bindings::sk_buff {
        // SAFETY: valid for `'a` by the type invariant.
        unsafe { self.ptr.as_ref() }
    }

    /// Bytes in the packet, `skb->len`.
    #[inline]
    pub fn len(&self) -> u32 {
        self.skb().len
    }

    /// Whether the packet is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Up to `N` bytes of the packet from its network header (the IP header at
    /// netfilter's IP hooks), as `skb_header_pointer` gives them: borrowed in place when
    /// they are in the linear part, else copied from the fragments into `buf`. Never
    /// reads past the packet: the slice is shorter when the packet is.
    #[inline]
    pub fn network_bytes<'b, const N: usize>(&'b self, buf: &'b mut HeaderBuf<N>) -> &'b [u8] {
        let skb = self.skb();
        // SAFETY: `head` and `network_header` describe the buffer of a valid skb.
        let offset = unsafe {
            skb.head
                .add(skb.__bindgen_anon_4.headers.as_ref().network_header as usize)
                .offset_from(skb.data)
        };
        if offset < 0 || offset as u32 > skb.len {
            return &[];
        }
        let want = (skb.len - offset as u32).min(N as u32);
        let headlen = skb.len - skb.data_len;
        if offset as u32 + want <= headlen {
            // SAFETY: the bytes lie in the linear part, valid while the view lives.
            return unsafe { core::slice::from_raw_parts(skb.data.offset(offset), want as usize) };
        }
        buf.copy_from(self, offset as u32, want)
    }
}

/// Room on the stack for up to `N` header bytes of a packet whose headers are not all in
/// its linear part: the local buffer a C caller hands `skb_header_pointer`. It is left
/// uninitialised, so the common case (linear headers, read in place) costs nothing.
pub struct HeaderBuf<const N: usize>(core::mem::MaybeUninit<[u8; N]>);

impl<const N: usize> HeaderBuf<N> {
    /// An empty buffer.
    #[inline]
    pub const fn new() -> Self {
        Self(core::mem::MaybeUninit::uninit())
    }

    /// Copies `len` (at most `N`) bytes of `skb` from `offset` into the buffer
    /// (`skb_copy_bits`) and returns them; empty if the range is not in the packet.
    fn copy_from(&mut self, skb: &SkBuffRef<'_>, offset: u32, len: u32) -> &[u8] {
        let len = len.min(N as u32);
        // SAFETY: `skb_copy_bits` writes `len` bytes, at most `N`, into the buffer; it
        // fails, writing nothing that is read, only for a range outside the packet.
        let ret = unsafe {
            bindings::skb_copy_bits(
                skb.as_raw(),
                offset as i32,
                self.0.as_mut_ptr().cast(),
                len as i32,
            )
        };
        if ret < 0 {
            return &[];
        }
        // SAFETY: the first `len` bytes were just initialised by `skb_copy_bits`.
        unsafe { core::slice::from_raw_parts(self.0.as_ptr().cast::<u8>(), len as usize) }
    }
}

impl<const N: usize> Default for HeaderBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}
