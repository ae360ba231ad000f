// SPDX-License-Identifier: GPL-2.0

//! Page pools: pages a receive queue recycles instead of asking the page allocator for
//! each packet.
//!
//! C headers: [`include/net/page_pool/types.h`](srctree/include/net/page_pool/types.h),
//! [`include/net/page_pool/helpers.h`](srctree/include/net/page_pool/helpers.h); core in
//! `net/core/page_pool.c`.
//!
//! A pool belongs to one receive queue and its NAPI instance. Allocation has a single
//! consumer, that queue's poll, and takes a lock-free per-pool cache without any
//! synchronisation: two CPUs allocating from one pool corrupt it. Giving a page back is
//! allowed from anywhere (a frame freed by another driver, an `sk_buff` freed on another
//! CPU goes through the pool's locked ring), and is a direct cache refill when the pool's
//! own poll frees it. Pages a pool handed out may outlive it: `page_pool_destroy` waits
//! for them in the background.
//!
//! Here a pool is part of a NAPI instance
//! ([`Poll::PAGE_POOL_SIZE`](super::napi::Poll::PAGE_POOL_SIZE)): only the
//! instance's poll, through its [`Context`](super::napi::Context), allocates from it, and
//! the abstraction destroys it with the instance.

use crate::{bindings, error::from_err_ptr, prelude::*};
use core::ptr::NonNull;

/// A page pool of order-0 pages for one NAPI instance.
///
/// Corresponds to the kernel's `struct page_pool`
/// ([`include/net/page_pool/types.h`](srctree/include/net/page_pool/types.h)).
///
/// # Invariants
///
/// `ptr` is a pool created by [`PagePool::new`] and not yet destroyed; it was created
/// for a NAPI instance whose poll is the only place it allocates.
pub(crate) struct PagePool {
    ptr: NonNull<bindings::page_pool>,
}

impl PagePool {
    /// Creates a pool of `size` pages for `napi` (`page_pool_create`), without DMA
    /// mapping (a software device). Naming the instance lets the pool recycle directly
    /// into its cache when its own poll frees a page (`page_pool_napi_local`).
    ///
    /// # Safety
    ///
    /// `napi` is an added NAPI instance that outlives the pool, and only its poll
    /// allocates from the pool ([`PagePool::alloc`]).
    pub(crate) unsafe fn new(napi: *mut bindings::napi_struct, size: u32) -> Result<Self> {
        let mut params = bindings::page_pool_params::default();
        params.__bindgen_anon_1.fast =
            bindings::page_pool_params__bindgen_ty_1_page_pool_params_fast {
                order: 0,
                pool_size: size,
                nid: bindings::NUMA_NO_NODE,
                napi,
                ..Default::default()
            };
        // SAFETY: `params` is a valid parameter block; no DMA flags, so `dev` may be NULL.
        let ptr = from_err_ptr(unsafe { bindings::page_pool_create(&params) })?;
        // INVARIANT: a new pool; the caller promises the single consumer.
        Ok(Self {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
        })
    }

    /// The C pool.
    #[inline]
    pub(crate) fn as_raw(&self) -> *mut bindings::page_pool {
        self.ptr.as_ptr()
    }

    /// A page from the pool (`page_pool_dev_alloc_pages`), or `None` if neither the pool
    /// nor the page allocator has one. It goes back with `xdp_return_frame` or the
    /// `sk_buff` built around it (`skb_mark_for_recycle`), or `page_pool_put_full_page`.
    ///
    /// # Safety
    ///
    /// Called from the poll of the NAPI instance the pool was created for.
    #[inline]
    pub(crate) unsafe fn alloc(&self) -> Option<NonNull<bindings::page>> {
        // SAFETY: a live pool (type invariant); the caller is its single consumer.
        NonNull::new(unsafe { bindings::page_pool_dev_alloc_pages(self.as_raw()) })
    }

    /// Destroys the pool (`page_pool_destroy`): pages it handed out return to the page
    /// allocator as they come back.
    ///
    /// # Safety
    ///
    /// Called once, with the NAPI instance disabled (or never enabled) and still added,
    /// and nothing allocating from the pool any more.
    pub(crate) unsafe fn destroy(&self) {
        // SAFETY: the caller's promise; `page_pool_destroy` checks the instance is
        // disabled before unlinking it.
        unsafe { bindings::page_pool_destroy(self.as_raw()) };
    }
}
