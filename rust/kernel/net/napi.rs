// SPDX-License-Identifier: GPL-2.0

//! NAPI: polled receive.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! core in `net/core/dev.c` (`napi_schedule_prep`, `__napi_schedule`, `net_rx_action`,
//! `napi_complete_done`) and `net/core/gro.c` (`napi_gro_receive`).
//!
//! Instead of one interrupt per packet, a driver schedules its NAPI instance once; the
//! `NET_RX_SOFTIRQ` handler (`net_rx_action`) then calls the instance's poll function
//! with a budget. Poll hands up to `budget` packets to the stack and, if it ran out of
//! work, the instance is completed (`napi_complete_done`) so the next packet schedules
//! it again.
//!
//! Here a device's receive queues are [`Queues`]: one NAPI instance per queue, each with
//! the driver's queue state ([`Poll`]), in the device's private data. The abstraction
//! does what every C driver does around them, so no driver can get it wrong: it adds the
//! instances to the device when the data is built (`netif_napi_add_weight`), enables them
//! when the device opens and disables them when it stops (`napi_enable`, `napi_disable`),
//! completes a poll that did less than its budget, flushes the XDP redirects a poll
//! made, and deletes the instances before the data is freed. What only a poll may do
//! (hand packets to GRO, run XDP) takes the poll's [`Context`], which nothing else has.

use super::{
    dev::{Device, Driver, DriverDevice},
    features::Features,
    ns::Namespace,
    page_pool::PagePool,
    rtnl::Rtnl,
    skb::OwnedSkBuff,
};
use crate::{bindings, prelude::*, sync::rcu, types::Opaque};
use core::{cell::Cell, marker::PhantomData, marker::PhantomPinned, ptr::NonNull};

/// The weight (budget per poll) drivers use by default: `NAPI_POLL_WEIGHT`.
pub const POLL_WEIGHT: i32 = bindings::NAPI_POLL_WEIGHT as i32;

/// The state of one receive queue and its poll function.
pub trait Poll: Sized + Send + Sync + 'static {
    /// The driver whose devices have such queues.
    type Driver: Driver;

    /// Processes up to `budget` packets; returns how many it processed (more than
    /// `budget` counts as `budget`). If that is less than `budget`, the instance is
    /// completed afterwards: the next [`Napi::schedule`] polls again. Runs in softirq
    /// context (or with bottom halves off), an RCU read-side critical section.
    fn poll(ctx: &Context<'_, Self>, budget: u32) -> u32;

    /// Pages each queue keeps in a page pool for the frames XDP programs see
    /// ([`xdp::Frame::copy_from_skb`](super::xdp::Frame::copy_from_skb)), as veth sizes
    /// its pools by its ring; 0 (the default): no pool, a fresh page each time.
    const PAGE_POOL_SIZE: u32 = 0;
}

/// A NAPI instance (`struct napi_struct`) with the state of the queue it polls.
///
/// Corresponds to the kernel's `struct napi_struct`
/// ([`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)).
///
/// Each instance also carries its queue's `struct xdp_rxq_info`, as a driver that runs
/// XDP keeps one per receive queue (veth: `rq->xdp_rxq`): which device and queue a frame
/// came in on (`ctx->ingress_ifindex`, `ctx->rx_queue_index` in a program) and how its
/// memory is given back.
///
/// # Invariants
///
/// `napi` is the first field (`repr(C)`), so a pointer to it is a pointer to the whole
/// `Napi<Q>`. The instance belongs to a [`Queues`] and, from then until that is dropped,
/// is added to the `Q::Driver` device whose private data holds the `Queues`, and
/// `xdp_rxq` is registered for that device and queue `index`: with `page_pool`, created
/// for this instance, as its memory model (`MEM_TYPE_PAGE_POOL`), else whole pages
/// (`MEM_TYPE_PAGE_ORDER0`).
#[repr(C)]
#[pin_data]
pub struct Napi<Q: Poll> {
    #[pin]
    napi: Opaque<bindings::napi_struct>,
    index: u32,
    #[pin]
    xdp_rxq: Opaque<bindings::xdp_rxq_info>,
    page_pool: Option<PagePool>,
    #[pin]
    queue: Q,
}

// SAFETY: the `napi_struct` is driven by the kernel's NAPI state bits, which are atomic;
// `Q: Send + Sync`.
unsafe impl<Q: Poll> Send for Napi<Q> {}
// SAFETY: as above; `&Napi` reaches only `schedule` (any context) and the queue state.
unsafe impl<Q: Poll> Sync for Napi<Q> {}

impl<Q: Poll> Napi<Q> {
    /// The queue state this instance polls.
    #[inline]
    pub fn queue(&self) -> &Q {
        &self.queue
    }

    /// The queue's index.
    #[inline]
    pub fn index(&self) -> u32 {
        self.index
    }

    #[inline]
    fn raw(&self) -> *mut bindings::napi_struct {
        self.napi.get()
    }

    /// Creates the queue's page pool if `Q` wants one, and registers its `xdp_rxq_info`
    /// for `dev` with the pool (or whole pages) as the memory model. On failure nothing
    /// is left created or registered.
    ///
    /// # Safety
    ///
    /// The instance is added to `dev` and stays at this address until [`Napi::release`];
    /// neither pool nor info exists yet.
    unsafe fn register_xdp_rxq(&mut self, dev: &Device) -> Result {
        let info = self.xdp_rxq.get();
        let pool = match Q::PAGE_POOL_SIZE {
            0 => None,
            // SAFETY: the instance is added and outlives the pool (destroyed in `release`);
            // only its poll allocates (`Context::alloc_page`).
            size => Some(unsafe { PagePool::new(self.raw(), size) }?),
        };
        let (model, allocator) = match &pool {
            Some(p) => (bindings::xdp_mem_type_MEM_TYPE_PAGE_POOL, p.as_raw().cast()),
            None => (
                bindings::xdp_mem_type_MEM_TYPE_PAGE_ORDER0,
                core::ptr::null_mut(),
            ),
        };
        // SAFETY: the caller's promise; the info is zeroed and lives as long as the
        // instance. Whole pages are what `xdp::Frame::copy_from_skb` hands a program.
        let ret = unsafe {
            let mut ret = bindings::__xdp_rxq_info_reg(
                info,
                dev.as_raw(),
                self.index,
                0,
                bindings::PAGE_SIZE as u32,
            );
            if ret == 0 {
                ret = bindings::xdp_rxq_info_reg_mem_model(info, model, allocator);
                if ret != 0 {
                    bindings::xdp_rxq_info_unreg(info);
                }
            }
            ret
        };
        if ret != 0 {
            if let Some(p) = &pool {
                // SAFETY: created above, never allocated from; the instance was never
                // enabled.
                unsafe { p.destroy() };
            }
            return Err(Error::from_errno(ret));
        }
        self.page_pool = pool;
        Ok(())
    }

    /// Undoes [`Napi::register_xdp_rxq`]: unregisters the info (which lets go of the
    /// pool's memory model) and destroys the pool.
    ///
    /// # Safety
    ///
    /// Registered, the instance disabled or never enabled and still added; called once.
    unsafe fn release(&self) {
        // SAFETY: the caller's promise.
        unsafe {
            bindings::xdp_rxq_info_unreg(self.xdp_rxq.get());
            if let Some(p) = &self.page_pool {
                p.destroy();
            }
        }
    }

    /// Asks the softirq to poll this instance (`napi_schedule`), from any context. Returns
    /// whether this call scheduled it (false: already scheduled, or disabled because the
    /// device is down).
    #[inline]
    pub fn schedule(&self) -> bool {
        // SAFETY: the instance is added to its device (type invariant);
        // `napi_schedule_prep` refuses a disabled one and takes the SCHED bit otherwise.
        unsafe {
            if bindings::napi_schedule_prep(self.raw()) {
                bindings::__napi_schedule(self.raw());
                return true;
            }
        }
        false
    }

    /// # Safety
    ///
    /// Called only by the kernel as this instance's poll function, with the arguments
    /// the C contract guarantees.
    unsafe extern "C" fn poll_callback(napi: *mut bindings::napi_struct, budget: i32) -> i32 {
        // Budget 0 is netpoll asking for transmit completions only, outside NAPI's own
        // context (no `bpf_net_context`, no SCHED bit); there is no receive work to do.
        if budget <= 0 {
            return 0;
        }
        // SAFETY: `napi` is the first field of a `Napi<Q>` (type invariant) added with this
        // callback; it lives while it is added.
        let this = unsafe { &*napi.cast::<Napi<Q>>() };
        // SAFETY: the instance is added to a `Q::Driver` device (type invariant), which is
        // open while the instance is enabled (and polled), so its data is initialised.
        let dev = unsafe { DriverDevice::<Q::Driver>::from_raw((*napi).dev) };
        // SAFETY: NAPI polls run in softirq context (`net_rx_action`) or with bottom
        // halves disabled (busy polling, `napi_threaded_poll`).
        unsafe {
            rcu::with_bh_disabled(|guard| {
                // INVARIANT: built for this call of the poll function only.
                let ctx = Context {
                    napi: this,
                    dev,
                    guard,
                    redirected: Cell::new(false),
                    _not_send: PhantomData,
                };
                let done = Q::poll(&ctx, budget as u32).min(budget as u32);
                if ctx.redirected.get() {
                    // Frames redirected during the poll wait in per-CPU bulk queues: send
                    // them before the poll ends (`xdp_do_flush`, as every XDP driver does).
                    bindings::xdp_do_flush();
                }
                if done < budget as u32 {
                    // Out of work: re-arm. A packet produced meanwhile has set NAPI's
                    // MISSED bit, and then `napi_complete_done` schedules us again.
                    bindings::napi_complete_done(napi, done as i32);
                }
                done as i32
            })
        }
    }
}

/// What one call of a poll function may do: it exists only for the duration of that
/// call, on the CPU running it.
///
/// # Invariants
///
/// Created only by `Napi::poll_callback` for the instance `napi`, which owns NAPI's SCHED
/// bit (no other CPU polls it), inside the NAPI context `net_rx_action` (or busy polling,
/// or a NAPI thread) sets up, bottom halves off, `bpf_net_context` set; `dev` is the open
/// device the instance is added to.
pub struct Context<'a, Q: Poll> {
    napi: &'a Napi<Q>,
    dev: &'a DriverDevice<Q::Driver>,
    guard: &'a rcu::BhGuard,
    redirected: Cell<bool>,
    _not_send: PhantomData<*mut ()>,
}

impl<'a, Q: Poll> Context<'a, Q> {
    /// The queue being polled.
    #[inline]
    pub fn queue(&self) -> &'a Q {
        &self.napi.queue
    }

    /// The queue's index.
    #[inline]
    pub fn index(&self) -> u32 {
        self.napi.index
    }

    /// The device the queue belongs to.
    #[inline]
    pub fn device(&self) -> &'a DriverDevice<Q::Driver> {
        self.dev
    }

    /// The section the poll runs in: bottom halves off, an RCU read-side critical section.
    #[inline]
    pub fn bh(&self) -> &'a rcu::BhGuard {
        self.guard
    }

    /// The namespace of the device. While it polls, the device is open, and a device is
    /// closed (its NAPI instances disabled) before it moves to another namespace; the
    /// kernel's own XDP redirect reads `dev_net` in this same context.
    #[inline]
    pub fn net(&self) -> &'a Namespace {
        // SAFETY: as above, `dev->nd_net` does not change during the poll and the
        // namespace outlives the device's membership in it.
        unsafe { Namespace::from_raw(bindings::dev_net(self.dev.as_raw())) }
    }

    /// Hands a received frame (classified: `eth_type_trans` done) to the stack. With GRO
    /// on (`ethtool -K dev gro on`) the way veth's NAPI path does (`veth_xdp_rcv`):
    /// through GRO (`napi_gro_receive`) when the buffer is the driver's alone, else
    /// straight to `netif_receive_skb`; GRO merges and rewrites buffers, which it must
    /// not do to one that another holder (pktgen, a TCP sender's retransmit queue, a
    /// packet socket's clone) still sees. With GRO off (the default, as veth's) always
    /// straight to `netif_receive_skb`: GRO would have nothing to merge
    /// (`netif_elide_gro`), yet `napi_gro_receive` would still make a clone private
    /// (`skb_unclone`, a copy of its head) and collect each poll's frames in a list for
    /// `netif_receive_skb_list` (`gro_normal_one`), which costs more than it saves when a
    /// poll finds one or two. The frame arrives on the polled device (`skb->dev`).
    #[inline]
    pub fn receive(&self, mut skb: OwnedSkBuff) {
        skb.set_dev(self.dev);
        if !self.dev.features().contains(Features::GRO) || skb.is_shared() || skb.unclone().is_err()
        {
            // SAFETY: NAPI context (type invariant); the stack takes ownership.
            unsafe { bindings::netif_receive_skb(skb.into_raw()) };
        } else {
            // SAFETY: called from this instance's poll (type invariant), which GRO requires;
            // the buffer is exclusively ours (checked above) and GRO takes it.
            unsafe { bindings::napi_gro_receive(self.napi.raw(), skb.into_raw()) };
        }
    }

    /// Records that a frame was redirected, so the poll flushes the redirect queues.
    #[inline]
    pub(crate) fn note_redirect(&self) {
        self.redirected.set(true);
    }

    /// The polled queue's `xdp_rxq_info`, registered (type invariant of `Napi`).
    #[inline]
    pub(crate) fn xdp_rxq(&self) -> *mut bindings::xdp_rxq_info {
        self.napi.xdp_rxq.get()
    }

    /// A page for a frame of this queue, and how to give it back (the queue's memory
    /// model): from the queue's page pool if it has one, else from the page allocator.
    #[inline]
    pub(crate) fn alloc_page(&self) -> Option<(NonNull<bindings::page>, bindings::xdp_mem_info)> {
        // SAFETY: the info is registered (type invariant of `Napi`) and only read.
        let mem = unsafe { (*self.xdp_rxq()).mem };
        let page = match &self.napi.page_pool {
            // SAFETY: this is the poll of the instance the pool was created for.
            Some(pool) => unsafe { pool.alloc() },
            // SAFETY: no preconditions; NULL on failure.
            None => NonNull::new(unsafe { bindings::dev_alloc_page() }),
        };
        Some((page?, mem))
    }
}

/// The receive queues of a device: one NAPI instance each, in the device's private data.
///
/// # Invariants
///
/// `napis` is never resized, so the instances do not move; each is added to the device
/// whose private data holds this value (checked when it is built), from then until drop.
#[pin_data(PinnedDrop)]
pub struct Queues<Q: Poll> {
    napis: KVec<Napi<Q>>,
    #[pin]
    _pin: PhantomPinned,
}

impl<Q: Poll> Queues<Q> {
    /// `count` queues of `dev`, the `Q::Driver` device whose data is being built
    /// ([`Driver::init`]); `init(i)` builds queue `i`. Each gets a NAPI instance added to
    /// `dev`. Fails with `EINVAL` unless the value is built inside that device's private
    /// data, so the instances live exactly as long as the device's data.
    pub fn new<'a, F, I>(dev: &'a Device, count: u32, mut init: F) -> impl PinInit<Self, Error> + 'a
    where
        F: FnMut(u32) -> I + 'a,
        I: PinInit<Q, Error>,
    {
        // SAFETY: the closure initialises `*slot` completely or fails leaving nothing to
        // clean up (no instance is added before every queue is built).
        unsafe {
            crate::init::pin_init_from_closure(move |slot: *mut Self| {
                if !super::dev::is_in_private_data::<Q::Driver>(
                    dev,
                    slot.cast(),
                    core::mem::size_of::<Self>(),
                ) {
                    return Err(EINVAL);
                }
                let mut napis = KVec::<Napi<Q>>::with_capacity(count as usize, GFP_KERNEL)?;
                for i in 0..count {
                    let p = napis.spare_capacity_mut()[0].as_mut_ptr();
                    // An all-zero `napi_struct` is what `netif_napi_add_weight` expects, and
                    // an all-zero `xdp_rxq_info` what `__xdp_rxq_info_reg` does.
                    Opaque::raw_get(core::ptr::addr_of!((*p).napi)).write_bytes(0, 1);
                    Opaque::raw_get(core::ptr::addr_of!((*p).xdp_rxq)).write_bytes(0, 1);
                    core::ptr::addr_of_mut!((*p).index).write(i);
                    core::ptr::addr_of_mut!((*p).page_pool).write(None);
                    // On failure the `i` queues built so far are dropped with `napis`.
                    init(i).__pinned_init(core::ptr::addr_of_mut!((*p).queue))?;
                    napis.set_len(i as usize + 1);
                }
                for n in napis.iter() {
                    // `dev` is being registered (`ndo_init`, RTNL held); the instance stays
                    // where it is until drop deletes it (`napis` is never resized).
                    bindings::netif_napi_add_weight(
                        dev.as_raw(),
                        n.raw(),
                        Some(Napi::<Q>::poll_callback),
                        POLL_WEIGHT,
                    );
                }
                for i in 0..napis.len() {
                    // The pool names its instance, so it is created once the instance is
                    // added (and destroyed before it is deleted).
                    if let Err(e) = napis[i].register_xdp_rxq(dev) {
                        for n in &napis[..i] {
                            n.release();
                        }
                        for n in napis.iter() {
                            bindings::__netif_napi_del(n.raw());
                        }
                        bindings::synchronize_net();
                        return Err(e);
                    }
                }
                // INVARIANT: built inside `dev`'s data, every instance added to `dev`.
                slot.write(Queues {
                    napis,
                    _pin: PhantomPinned,
                });
                Ok(())
            })
        }
    }

    /// Queue `index`, if there is one.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&Napi<Q>> {
        self.napis.get(index)
    }

    /// The number of queues.
    #[inline]
    pub fn len(&self) -> usize {
        self.napis.len()
    }

    /// Whether there are none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.napis.is_empty()
    }

    /// The queues, in order.
    pub fn iter(&self) -> core::slice::Iter<'_, Napi<Q>> {
        self.napis.iter()
    }
}

#[pinned_drop]
impl<Q: Poll> PinnedDrop for Queues<Q> {
    fn drop(self: Pin<&mut Self>) {
        if self.napis.is_empty() {
            return;
        }
        for n in self.napis.iter() {
            // SAFETY: added and registered in `new` (type invariant). The data is dropped
            // after the device was closed (its instances disabled) and unregistered, or
            // when `ndo_init` failed before it was ever opened.
            unsafe {
                n.release();
                bindings::__netif_napi_del(n.raw());
            }
        }
        // Readers that found an instance under RCU (busy polling's NAPI id hash) are done
        // before it is freed.
        // SAFETY: no preconditions beyond a sleepable context (`priv_destructor`).
        unsafe { bindings::synchronize_net() };
    }
}

/// Calls `f` on every NAPI instance added to `dev`, a Rust driver's device.
///
/// # Safety
///
/// The RTNL is held (the list changes only under it, or after unregistration).
unsafe fn for_each_napi(dev: &Device, mut f: impl FnMut(*mut bindings::napi_struct)) {
    // SAFETY: the device is valid; its `napi_list` links the `dev_list` members of the
    // instances added to it, stable under the RTNL (the caller's promise).
    unsafe {
        let head = core::ptr::addr_of_mut!((*dev.as_raw()).napi_list);
        let mut pos = (*head).next;
        while pos != head {
            let next = (*pos).next;
            f(crate::container_of!(pos, bindings::napi_struct, dev_list).cast_mut());
            pos = next;
        }
    }
}

/// Enables every NAPI instance of `dev` (the device opens).
pub(crate) fn enable_all<T: Driver>(dev: &DriverDevice<T>, _rtnl: &Rtnl) {
    // SAFETY: RTNL held (the token). Only `Queues` adds instances to a Rust driver's
    // device, in `ndo_init`; they start disabled, and this abstraction enables them on
    // open and disables them on stop, strictly alternating, so each is disabled here.
    unsafe { for_each_napi(dev, |n| bindings::napi_enable(n)) };
}

/// Disables every NAPI instance of `dev`, waiting for a running poll (the device stops,
/// or failed to open). Might sleep.
pub(crate) fn disable_all<T: Driver>(dev: &DriverDevice<T>, _rtnl: &Rtnl) {
    // SAFETY: RTNL held; each instance is enabled (see `enable_all`).
    unsafe { for_each_napi(dev, |n| bindings::napi_disable(n)) };
}
