// SPDX-License-Identifier: GPL-2.0

//! Socket buffers: `struct sk_buff`.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)
//!
//! Every packet in the stack is an `sk_buff`: metadata (device, protocol, queue, header
//! offsets) plus a pointer into a data buffer laid out as
//!
//! ```text
//! head ─── headroom ─── data ═══ packet (len) ═══ tail ─── tailroom ─── end
//! ```
//!
//! `skb_push` grows the packet into the headroom (a header is prepended), `skb_pull`
//! consumes a header from the front (a layer is done with it), `skb_put` appends at the
//! tail and `skb_reserve` moves an empty buffer's data pointer to make headroom.
//!
//! Two kinds of sharing decide what may be written, and the types here follow them:
//!
//! - [`SkBuff`] is the C object. Borrowed (`&SkBuff`, what a netfilter hook sees), it
//!   can only be read.
//! - [`OwnedSkBuff`] is the buffer a driver is handed (`ndo_start_xmit`, its own rings):
//!   its holder is the only code that changes its metadata. Other references to the same
//!   `sk_buff` (`skb->users` above one: pktgen keeps one to count its sends) only read the
//!   count and drop it; the core guarantees that for every Rust driver, whose devices do
//!   not advertise `IFF_TX_SKB_SHARING` (see [`rtnl`](super::rtnl)).
//! - The data area may still be shared with clones (`skb_cloned`: a packet socket tapping
//!   the device, TCP's retransmit copy). Writing it goes through `skb_unclone` first:
//!   [`OwnedSkBuff::data_mut`], [`OwnedSkBuff::push`] and [`OwnedSkBuff::put`] do that
//!   themselves, so no safe call writes bytes another holder sees.
//!
//! An [`OwnedSkBuff`] must end in exactly one way: handed on (to a queue, a ring, the
//! stack: [`OwnedSkBuff::into_raw`]), consumed after successful use
//! ([`OwnedSkBuff::consume`], `consume_skb`), or dropped with a reason
//! ([`OwnedSkBuff::drop_reason`], which `perf`/`dropwatch` see as `kfree_skb` with that
//! reason). Letting it fall out of scope drops it with `SKB_DROP_REASON_NOT_SPECIFIED`.

use super::{dev::Device, errno, hdr};
use crate::{bindings, prelude::*, types::Opaque};
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
    /// `SKB_DROP_REASON_NOMEM`: no memory to carry on with it.
    NoMem = bindings::skb_drop_reason_SKB_DROP_REASON_NOMEM,
}

/// A socket buffer.
///
/// Corresponds to the kernel's `struct sk_buff`
/// ([`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)). A `&SkBuff` reads the
/// packet; writing needs an [`OwnedSkBuff`].
///
/// # Invariants
///
/// The wrapped `sk_buff` is valid for as long as a reference to this type exists, and
/// nobody changes its metadata or the bytes of its packet while the reference is shared:
/// the holder of an `OwnedSkBuff` changes them only through `&mut`, and a borrowed buffer
/// (a hook's) is left alone by its owner, the stack, for the duration of the call.
#[repr(transparent)]
pub struct SkBuff(Opaque<bindings::sk_buff>);

/// Reads field `$f` of `$skb` (a `&SkBuff`) by place (`addr_of!`), as C's `skb->f` does,
/// never through a reference to the whole `struct sk_buff`: others change other fields
/// of it while we read ours (the `users` count, a route), and a `&sk_buff` would promise
/// that nothing in it changes.
macro_rules! field {
    ($skb:expr, $($f:tt)+) => {
        // SAFETY: a valid buffer (type invariant); a plain read of a field that nobody
        // changes while the buffer is shared (type invariant).
        unsafe { core::ptr::addr_of!((*$skb.as_raw()).$($f)+).read() }
    };
}

impl SkBuff {
    /// A shared reference to a buffer the caller is handed for a while.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid `sk_buff` whose metadata and packet bytes nobody changes for `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::sk_buff) -> &'a Self {
        // SAFETY: `repr(transparent)` over `Opaque<sk_buff>`; the rest is the caller's.
        unsafe { &*ptr.cast() }
    }

    /// The raw pointer.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::sk_buff {
        self.0.get()
    }

    /// The address of the buffer's `headers` group (protocol, header offsets), for reads
    /// by place.
    #[inline]
    fn headers(&self) -> *const bindings::sk_buff__bindgen_ty_4__bindgen_ty_2 {
        // SAFETY: only the address of the `headers` group of a valid buffer is taken.
        unsafe { core::ptr::addr_of!((*self.as_raw()).__bindgen_anon_4.headers).cast() }
    }

    /// Bytes in the packet, linear part and fragments: `skb->len`.
    #[inline]
    pub fn len(&self) -> u32 {
        field!(self, len)
    }

    /// Whether the packet has no bytes at all.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes in the linear part, between `data` and `tail`: `skb_headlen()`.
    #[inline]
    pub fn headlen(&self) -> u32 {
        field!(self, len) - field!(self, data_len)
    }

    /// Whether all the packet's bytes are in the linear part (no fragments, no frag
    /// list): `!skb_is_nonlinear()`. Appending at the tail (`skb_put`) needs it.
    #[inline]
    pub fn is_linear(&self) -> bool {
        field!(self, data_len) == 0
    }

    /// Bytes free in front of `data`: `skb_headroom()`.
    #[inline]
    pub fn headroom(&self) -> u32 {
        let (data, head) = (field!(self, data), field!(self, head));
        // SAFETY: `data` and `head` point into the same buffer, `data >= head`.
        unsafe { data.offset_from(head) as u32 }
    }

    /// Bytes free after `tail` (none for a non-linear buffer): `skb_tailroom()`.
    #[inline]
    pub fn tailroom(&self) -> u32 {
        if field!(self, data_len) != 0 {
            return 0;
        }
        // On 64-bit kernels `tail` and `end` are offsets from `head` (sk_buff_data_t).
        field!(self, end) - field!(self, tail)
    }

    /// The linear part of the packet, `data .. data + headlen`.
    #[inline]
    pub fn data(&self) -> &[u8] {
        let data = field!(self, data);
        // SAFETY: `data` points at `headlen()` initialised bytes of the buffer, which
        // nobody writes while `self` is shared (type invariant).
        unsafe { core::slice::from_raw_parts(data, self.headlen() as usize) }
    }

    /// Whether someone else holds a reference to this very buffer (`skb_shared()`:
    /// `skb->users` above one), as pktgen does to the packet it is sending.
    #[inline]
    pub fn is_shared(&self) -> bool {
        // `skb_shared()` is `refcount_read(&skb->users) != 1`, read here directly (it is
        // asked on every received packet).
        // SAFETY: the buffer is valid; `users` is an `atomic_t` others may change.
        let users = unsafe {
            (*core::ptr::addr_of!((*self.as_raw()).users.refs.counter)
                .cast::<core::sync::atomic::AtomicI32>())
            .load(core::sync::atomic::Ordering::Relaxed)
        };
        users != 1
    }

    /// Whether the data area may be shared with a clone (`skb->cloned`; `skb_cloned()`
    /// also asks whether the clone still exists), for example by a packet socket tapping
    /// the device (tcpdump).
    #[inline]
    pub fn is_cloned(&self) -> bool {
        // SAFETY: bindgen's raw accessor reads the bitfield's byte through the pointer.
        unsafe { bindings::sk_buff::cloned_raw(self.as_raw()) != 0 }
    }

    /// Whether the buffer is a GSO super-packet (`skb_is_gso`): one `sk_buff` the device
    /// (or the software fallback) cuts into MTU-sized segments on the way out.
    #[inline]
    pub fn is_gso(&self) -> bool {
        let (head, end) = (field!(self, head), field!(self, end));
        // SAFETY: `skb_shinfo` is at `end` (an offset from `head` on 64-bit kernels) in
        // every buffer.
        unsafe {
            let shinfo = head.add(end as usize).cast::<bindings::skb_shared_info>();
            (*shinfo).gso_size != 0
        }
    }

    /// Whether the stack left a VLAN tag in the metadata for the device to insert
    /// (`skb_vlan_tag_present`: VLAN transmit offload), rather than in the frame.
    #[inline]
    pub fn has_vlan_tag(&self) -> bool {
        // SAFETY: reading a field of the `headers` group of a valid buffer.
        unsafe {
            let group = core::ptr::addr_of!((*self.as_raw()).__bindgen_anon_4.__bindgen_anon_1)
                .cast::<bindings::sk_buff__bindgen_ty_4__bindgen_ty_1>();
            core::ptr::addr_of!((*group).__bindgen_anon_2.vlan_all).read() != 0
        }
    }

    /// Whether a checksum is left for the device to fill in (`CHECKSUM_PARTIAL`, with
    /// checksum offload).
    #[inline]
    pub fn checksum_partial(&self) -> bool {
        // SAFETY: reading the `ip_summed` bitfield of the `headers` group of a valid buffer.
        unsafe {
            let group =
                core::ptr::addr_of!((*self.as_raw()).__bindgen_anon_4.__bindgen_anon_1).cast();
            bindings::sk_buff__bindgen_ty_4__bindgen_ty_1::ip_summed_raw(group)
                == bindings::CHECKSUM_PARTIAL as u8
        }
    }

    /// The link-layer protocol in host byte order (`ntohs(skb->protocol)`), e.g. 0x0800.
    #[inline]
    pub fn protocol(&self) -> u16 {
        // SAFETY: reading a field of the `headers` group of a valid buffer.
        u16::from_be(unsafe { core::ptr::addr_of!((*self.headers()).protocol).read() })
    }

    /// The transmit queue the stack picked for this packet (`skb_get_queue_mapping`).
    #[inline]
    pub fn queue_mapping(&self) -> u16 {
        field!(self, queue_mapping)
    }

    /// Where the network header starts, counted from `data`, if one is recorded
    /// (`skb_network_offset`): at netfilter's IP hooks, the IP header.
    #[inline]
    pub fn network_offset(&self) -> Option<u32> {
        // SAFETY: reading a field of the `headers` group of a valid buffer.
        let nh = unsafe { core::ptr::addr_of!((*self.headers()).network_header).read() };
        // `(u16)~0U` means "not set" (`skb_network_header_was_set`).
        if nh == u16::MAX {
            return None;
        }
        u32::from(nh).checked_sub(self.headroom())
    }

    /// `N` bytes of the packet from `offset` (counted from `data`), wherever they are:
    /// read in place from the linear part, or gathered from the fragments
    /// (`skb_header_pointer`). `None` if the packet is shorter than `offset + N`.
    #[inline]
    pub fn read<const N: usize>(&self, offset: u32) -> Option<[u8; N]> {
        let end = offset.checked_add(N as u32)?;
        let mut out = [0u8; N];
        if end <= self.headlen() {
            out.copy_from_slice(&self.data()[offset as usize..end as usize]);
            return Some(out);
        }
        if end > self.len() {
            return None;
        }
        // SAFETY: `offset + N <= len`, so `skb_copy_bits` writes exactly `N` bytes into
        // `out` from inside the packet.
        let ret = unsafe {
            bindings::skb_copy_bits(
                self.as_raw(),
                offset as i32,
                out.as_mut_ptr().cast(),
                N as i32,
            )
        };
        (ret == 0).then_some(out)
    }

    /// The packet from its network header on, as the header parsers of [`hdr`] read it;
    /// `None` if no network header is recorded.
    #[inline]
    pub fn network_bytes(&self) -> Option<NetworkBytes<'_>> {
        let base = self.network_offset()?;
        Some(NetworkBytes {
            skb: self,
            base,
            len: self.len().checked_sub(base)?,
        })
    }
}

/// A packet from its network header to its end, read on demand: every length a parser
/// checks is checked against these bytes, the whole packet, not against a copy of its
/// first bytes.
pub struct NetworkBytes<'a> {
    skb: &'a SkBuff,
    base: u32,
    len: u32,
}

impl hdr::Bytes for NetworkBytes<'_> {
    #[inline]
    fn len(&self) -> usize {
        self.len as usize
    }

    #[inline]
    fn read<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        let at = u32::try_from(at).ok()?;
        if at.checked_add(N as u32)? > self.len {
            return None;
        }
        self.skb.read(self.base + at)
    }
}

/// A socket buffer the holder owns: it holds one reference and is the only code that
/// changes the buffer (see the [module documentation](self)).
///
/// # Invariants
///
/// `ptr` points at a valid `struct sk_buff` of which this value owns one reference; while
/// this value exists, nobody else changes the buffer's metadata, nor its data unless the
/// buffer is cloned (and then no one writes the shared data).
#[must_use = "an sk_buff must be handed on, consumed, or dropped with a reason"]
pub struct OwnedSkBuff {
    ptr: NonNull<bindings::sk_buff>,
}

// SAFETY: an owned `sk_buff` may be handed from one CPU to another (that is what a ring
// between two devices does); the kernel's skb functions do not depend on the thread.
unsafe impl Send for OwnedSkBuff {}
// SAFETY: `&OwnedSkBuff` only reads (through `SkBuff`).
unsafe impl Sync for OwnedSkBuff {}

impl core::ops::Deref for OwnedSkBuff {
    type Target = SkBuff;

    #[inline]
    fn deref(&self) -> &SkBuff {
        // SAFETY: valid while we own it; changed only through `&mut self`, which cannot
        // coexist with this borrow.
        unsafe { SkBuff::from_raw(self.ptr.as_ptr()) }
    }
}

impl OwnedSkBuff {
    /// A new, empty buffer with room for `len` bytes of data (`alloc_skb`, `GFP_ATOMIC`:
    /// usable in any context), `ENOMEM` without memory. Fill it with [`OwnedSkBuff::put`].
    pub fn alloc(len: u32) -> Result<Self> {
        // SAFETY: no preconditions; NULL on failure.
        let ptr =
            unsafe { bindings::__alloc_skb(len, bindings::GFP_ATOMIC, 0, bindings::NUMA_NO_NODE) };
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: a new buffer, ours alone.
        Ok(unsafe { Self::from_raw(ptr) })
    }

    /// Takes ownership of a raw `sk_buff`.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid `sk_buff` whose reference the caller owns and gives up here, and
    /// whose metadata nobody else changes from now on (for example the `skb` argument of
    /// `ndo_start_xmit` of a device without `IFF_TX_SKB_SHARING`, or a buffer the caller
    /// allocated).
    #[inline]
    pub unsafe fn from_raw(ptr: *mut bindings::sk_buff) -> Self {
        // INVARIANT: validity and ownership are the caller's promise.
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

    #[inline]
    fn raw(&mut self) -> *mut bindings::sk_buff {
        self.ptr.as_ptr()
    }

    /// `EBUSY` if someone else holds a reference to this very `sk_buff`
    /// ([`SkBuff::is_shared`]): its head must then not be reallocated, which
    /// `pskb_expand_head` asserts (`BUG_ON(skb_shared(skb))`, net/core/skbuff.c). Every
    /// helper that may reallocate the head (`skb_unclone`, `___pskb_trim` of a cloned
    /// buffer, `skb_cow_head`, `__skb_linearize`) is called only after this check.
    #[inline]
    fn check_may_realloc(&self) -> Result {
        if self.is_shared() {
            return Err(EBUSY);
        }
        Ok(())
    }

    /// Gives a cloned buffer its own copy of the data (`skb_unclone`), so that it may be
    /// written; a buffer that is not cloned is left alone. `ENOMEM` if the copy fails,
    /// `EBUSY` if the buffer is cloned and also shared (another holder of this `sk_buff`
    /// would see its head change: `pskb_expand_head` refuses with a `BUG`).
    #[inline]
    pub fn unclone(&mut self) -> Result {
        // `skb_cloned()` needs `skb->cloned` first: without it there is nothing to do, and
        // no helper call on the common path.
        if !self.is_cloned() {
            return Ok(());
        }
        self.check_may_realloc()?;
        // SAFETY: the buffer is ours and not shared (checked above), as
        // `pskb_expand_head` asserts; `skb_unclone` reallocates the head if it is cloned.
        let ret = unsafe { bindings::skb_unclone(self.raw(), bindings::GFP_ATOMIC) };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }

    /// The linear part of the packet, writable: a cloned buffer gets its own copy of the
    /// data first ([`OwnedSkBuff::unclone`]), which can fail with `ENOMEM`.
    #[inline]
    pub fn data_mut(&mut self) -> Result<&mut [u8]> {
        self.unclone()?;
        let len = self.headlen() as usize;
        // SAFETY: `data` points at `headlen` bytes of a data area no clone shares (just
        // unshared), whose only user we are (type invariant); borrowed through `&mut self`.
        Ok(unsafe { core::slice::from_raw_parts_mut((*self.raw()).data, len) })
    }

    /// Shortens the packet to `len` bytes (`pskb_trim`); `EINVAL` if it is shorter.
    /// Trimming a non-linear buffer that is cloned reallocates its head, so it fails with
    /// `EBUSY` if the buffer is also shared ([`OwnedSkBuff::unclone`]).
    pub fn trim(&mut self, len: u32) -> Result {
        if len > self.len() {
            return Err(EINVAL);
        }
        if len == self.len() {
            return Ok(()); // `pskb_trim` would do nothing either.
        }
        // `___pskb_trim` (net/core/skbuff.c) calls `pskb_expand_head` on a cloned
        // non-linear buffer, which must not be shared; a linear one only has its `len`
        // and `tail` set (`__skb_set_length`).
        if !self.is_linear() && self.is_cloned() {
            self.check_may_realloc()?;
        }
        // SAFETY: the buffer is ours and `len < skb->len`; a linear buffer is cut with
        // `__skb_trim`, a non-linear one with `___pskb_trim`, which unclones a cloned head
        // (not shared: checked above) and unshares the fragments it must change.
        let ret = unsafe { bindings::pskb_trim(self.raw(), len) };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }

    /// Appends `len` zeroed bytes at the tail (`skb_put`) and returns them for the caller
    /// to fill. A cloned buffer is unshared first (the tailroom belongs to the shared
    /// area); `EMSGSIZE` instead of the C function's panic when the tailroom is too small.
    /// `EINVAL` for a non-linear buffer, whatever `len` (zero too): its tail is in the
    /// fragments, and `skb_put` asserts a linear buffer (`SKB_LINEAR_ASSERT`, a `BUG`).
    pub fn put(&mut self, len: u32) -> Result<&mut [u8]> {
        if !self.is_linear() {
            return Err(EINVAL);
        }
        self.unclone()?;
        if len > self.tailroom() {
            return Err(errno(bindings::EMSGSIZE));
        }
        // SAFETY: the buffer is ours, unshared and linear (checked above; unsharing keeps
        // it linear) with `len` bytes of tailroom, so `skb_put` neither asserts nor
        // overflows and returns `len` bytes inside it.
        let p = unsafe { bindings::skb_put(self.raw(), len) };
        // SAFETY: `p` points at `len` bytes of the buffer, which we zero before handing
        // them out (the tailroom may hold stale bytes), borrowed through `&mut self`.
        let bytes = unsafe { core::slice::from_raw_parts_mut(p.cast::<u8>(), len as usize) };
        bytes.fill(0);
        Ok(bytes)
    }

    /// Prepends `len` bytes in the headroom and returns them (`__skb_push`: the headroom
    /// is checked here, so the exported `skb_push`'s own check and call are not needed).
    /// A cloned buffer is unshared first (the headroom belongs to the shared area);
    /// `EMSGSIZE` when the headroom is too small.
    #[inline]
    pub fn push(&mut self, len: u32) -> Result<&mut [u8]> {
        if len > self.headroom() {
            return Err(errno(bindings::EMSGSIZE));
        }
        self.unclone()?;
        let raw = self.raw();
        // SAFETY: the buffer is ours; `len <= headroom` (unsharing keeps the headroom), so
        // `data - len` stays in it.
        unsafe {
            (*raw).data = (*raw).data.sub(len as usize);
            (*raw).len += len;
        }
        // SAFETY: `data` now points at the `len` prepended bytes of an unshared area,
        // borrowed through `&mut self`.
        Ok(unsafe { core::slice::from_raw_parts_mut((*raw).data, len as usize) })
    }

    /// Removes `len` bytes from the front of the linear part (`skb_pull`), or `EMSGSIZE`
    /// when the linear part is shorter.
    pub fn pull(&mut self, len: u32) -> Result {
        if len > self.headlen() {
            return Err(errno(bindings::EMSGSIZE));
        }
        // SAFETY: `len <= headlen`, so the pull stays within the linear data.
        unsafe { bindings::skb_pull(self.raw(), len) };
        Ok(())
    }

    /// Moves `data` back to the Ethernet header that `eth_type_trans` pulled
    /// (`__skb_push(skb, skb->data - skb_mac_header(skb))`), as a driver does before it
    /// shows an already classified frame to XDP again. `EINVAL` if no MAC header was
    /// recorded or it lies after `data`.
    #[inline]
    pub fn push_mac_header(&mut self) -> Result {
        // SAFETY: reading a field of the `headers` group of a valid buffer.
        let mac = unsafe { core::ptr::addr_of!((*self.headers()).mac_header).read() };
        if mac == u16::MAX {
            return Err(EINVAL);
        }
        let pulled = self.headroom().checked_sub(u32::from(mac)).ok_or(EINVAL)?;
        let raw = self.raw();
        // SAFETY: the buffer is ours; `data - pulled` is the recorded MAC header, inside
        // the buffer. Only metadata changes, so a cloned data area is no obstacle.
        unsafe {
            (*raw).data = (*raw).data.sub(pulled as usize);
            (*raw).len += pulled;
        }
        Ok(())
    }

    /// Puts a VLAN tag the stack left in the metadata ([`SkBuff::has_vlan_tag`]) into the
    /// frame (`__vlan_hwaccel_push_inside`), where a device without the offload would
    /// have it; a buffer without one is returned as it is. `None` if there was no room and
    /// no memory to make some, if the frame is shorter than an Ethernet header, or if the
    /// buffer is shared (making room may reallocate the head): the buffer is freed.
    pub fn vlan_push_inside(self) -> Option<OwnedSkBuff> {
        if !self.has_vlan_tag() {
            return Some(self);
        }
        // `__vlan_insert_inner_tag` (include/linux/if_vlan.h) pulls the Ethernet header
        // into the linear part (`pskb_may_pull`) and makes headroom (`skb_cow_head`); both
        // may call `pskb_expand_head`, which must not see a shared buffer.
        if self.check_may_realloc().is_err() {
            self.drop_reason(DropReason::DevHdr);
            return None;
        }
        // SAFETY: the buffer is ours and not shared (checked above); the function pulls
        // the header it rewrites into the linear part and unshares the head if needed, and
        // frees the buffer and returns NULL on failure (a frame shorter than its header).
        let skb = unsafe { bindings::__vlan_hwaccel_push_inside(self.into_raw()) };
        // SAFETY: a non-null result is the buffer, still ours alone.
        (!skb.is_null()).then(|| unsafe { OwnedSkBuff::from_raw(skb) })
    }

    /// Completes in software a checksum left for the device (`CHECKSUM_PARTIAL`,
    /// `skb_checksum_help`), before the bytes go where the promise cannot follow (a copy
    /// that drops the metadata). `ENOMEM` if the buffer could not be unshared; `EINVAL`
    /// for a GSO super-packet (its checksums are per segment: `skb_checksum_help` warns
    /// and refuses); `EBUSY` if the buffer is shared and cloned or non-linear (unsharing
    /// or linearising it would reallocate the head under another holder).
    pub fn checksum_help(&mut self) -> Result {
        if !self.checksum_partial() {
            return Ok(());
        }
        if self.is_gso() {
            return Err(EINVAL);
        }
        if self.is_cloned() || !self.is_linear() {
            self.check_may_realloc()?;
        }
        // SAFETY: the buffer is ours, not a GSO packet, and not shared if the function
        // may reallocate its head (`__skb_linearize` of shared fragments,
        // `skb_ensure_writable` of a cloned head); it unshares what it writes.
        crate::error::to_result(unsafe { bindings::skb_checksum_help(self.raw()) })
    }

    /// Makes `len` bytes of headroom in an empty buffer (`skb_reserve`).
    pub fn reserve(&mut self, len: u32) -> Result {
        if !self.is_empty() || len > self.tailroom() {
            return Err(EINVAL);
        }
        // SAFETY: the buffer is empty and has `len` bytes after `tail`.
        unsafe { bindings::skb_reserve(self.raw(), len as i32) };
        Ok(())
    }

    /// The device the packet is on now (`skb->dev = dev`).
    #[inline]
    pub(crate) fn set_dev(&mut self, dev: &Device) {
        // SAFETY: the buffer's metadata is ours to change; `dev` is valid, and the callers
        // hand the buffer to code that runs while it is (the stack, in the device's poll).
        unsafe {
            (*self.raw())
                .__bindgen_anon_1
                .__bindgen_anon_1
                .__bindgen_anon_1
                .dev = dev.as_raw()
        };
    }

    /// Makes a new buffer whose data is a network header a routing probe: the packet
    /// `ip route get ... iif DEV` describes (`inet_rtm_getroute_build_skb`): link-layer
    /// `protocol` (host order), `mark`, arriving on `dev`, network header at `data`.
    pub(crate) fn set_route_probe(&mut self, protocol: u16, mark: u32, dev: &Device) {
        self.set_dev(dev);
        let skb = self.raw();
        // SAFETY: the buffer's metadata is ours to change; `data` lies in the head, so its
        // offset from `head` fits the 16-bit header offsets (`skb_reset_network_header`,
        // `skb_reset_mac_header`).
        unsafe {
            let offset = (*skb).data.offset_from((*skb).head) as u16;
            let headers = (*skb).__bindgen_anon_4.headers.as_mut();
            headers.protocol = protocol.to_be();
            headers.network_header = offset;
            headers.mac_header = offset;
            headers.__bindgen_anon_4.mark = mark;
        }
    }

    /// Records the receive queue the packet arrived on (`skb_record_rx_queue`), which
    /// RPS and `recvmsg` users see.
    #[inline]
    pub fn record_rx_queue(&mut self, queue: u16) {
        // `skb_record_rx_queue`: queue + 1, zero meaning "not recorded".
        // SAFETY: the buffer's metadata is ours to change.
        unsafe { (*self.raw()).queue_mapping = queue.wrapping_add(1) };
    }

    /// Prepares a frame that leaves device `from` for device `to` (the two ends of a
    /// wire), as `__dev_forward_skb` does up to its last step (`____dev_forward_skb`):
    /// checks it fits the receiver's MTU and scrubs the sender's state (socket, dst, and
    /// marks when it crosses namespaces). The frame stays raw, `data` at the Ethernet
    /// header, as a NIC hands it to its driver: the receiver runs
    /// [`OwnedSkBuff::eth_type_trans`] itself, after any XDP program.
    ///
    /// Returns `None` when the kernel dropped the frame instead (too big for the
    /// receiver, or the receiver is down); it counted it in the receiver's `rx_dropped`.
    #[inline]
    pub fn forward_to(mut self, from: &Device, to: &Device) -> Option<OwnedSkBuff> {
        // The scrub compares the sender's namespace with the receiver's: the sender is
        // `from` (whatever device the buffer last passed).
        self.set_dev(from);
        let raw = self.into_raw();
        // SAFETY: `raw` is a valid buffer we own whose `dev` is `from`; both devices are
        // valid. On failure (`NET_RX_DROP`) the kernel frees the buffer, on success gives
        // it back.
        if unsafe { bindings::____dev_forward_skb(to.as_raw(), raw, true) } != 0 {
            return None;
        }
        // SAFETY: on success the buffer is still valid and still ours alone.
        Some(unsafe { OwnedSkBuff::from_raw(raw) })
    }

    /// Sets `protocol` and `pkt_type` from the Ethernet header and pulls it
    /// (`skb->protocol = eth_type_trans(skb, dev)`, then the `skb_postpull_rcsum` a
    /// forwarded frame needs, as `__dev_forward_skb2` does); the frame must be at least
    /// `ETH_HLEN` long. Returns the protocol in host byte order.
    #[inline]
    pub fn eth_type_trans(&mut self, dev: &Device) -> Result<u16> {
        if self.headlen() < bindings::ETH_HLEN {
            return Err(EINVAL);
        }
        let raw = self.raw();
        // SAFETY: the buffer is ours and holds at least an Ethernet header in its linear
        // part; `eth_type_trans` pulls it and reads it.
        let proto = unsafe { bindings::eth_type_trans(raw, dev.as_raw()) };
        // SAFETY: as above; the header just pulled is still in the buffer, in front of
        // `data`, where `skb_postpull_rcsum` reads it back.
        unsafe {
            (*raw).__bindgen_anon_4.headers.as_mut().protocol = proto;
            let group = core::ptr::addr_of!((*raw).__bindgen_anon_4.__bindgen_anon_1).cast();
            if bindings::sk_buff__bindgen_ty_4__bindgen_ty_1::ip_summed_raw(group)
                != bindings::CHECKSUM_NONE as u8
            {
                bindings::skb_postpull_rcsum(
                    raw,
                    (*raw).data.sub(bindings::ETH_HLEN as usize).cast(),
                    bindings::ETH_HLEN,
                );
            }
        }
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

impl Drop for OwnedSkBuff {
    fn drop(&mut self) {
        // SAFETY: an `OwnedSkBuff` still owned when it goes out of scope is freed once.
        unsafe {
            bindings::sk_skb_reason_drop(
                core::ptr::null_mut(),
                self.ptr.as_ptr(),
                bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
            )
        };
    }
}
