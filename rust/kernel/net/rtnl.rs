// SPDX-License-Identifier: GPL-2.0

//! The RTNL and link types created with `ip link add ... type <kind>`.
//!
//! C headers: [`include/linux/rtnetlink.h`](srctree/include/linux/rtnetlink.h) (the
//! RTNL), [`include/net/rtnetlink.h`](srctree/include/net/rtnetlink.h) (`struct
//! rtnl_link_ops`); core in `net/core/rtnetlink.c`.
//!
//! `ip link add name d0 type rdummy` sends `RTM_NEWLINK`; `rtnl_newlink` finds the link
//! ops by kind (loading the module through its `rtnl-link-<kind>` alias), allocates the
//! device with `rtnl_create_link` (which calls `setup`), and calls `newlink`, which
//! registers it: a [`LinkOps::newlink`] proves it did by returning the [`Registered`]
//! token only [`NewLink::register`] makes. `ip link del` and namespace teardown call
//! `dellink`, which queues devices for `unregister_netdevice_many`: the adapter queues the
//! device itself; a [`LinkOps::dellink`] only adds what goes with it (a pair's peer). All
//! of it runs under the RTNL, the mutex that serialises network configuration; a callback
//! that runs under it receives the [`Rtnl`] token as proof.

use super::{
    dev::{Device, Driver, DriverDevice},
    features::Features,
};
use crate::{
    bindings,
    error::{from_result, to_result},
    macros::vtable,
    prelude::*,
    str::CStr,
    sync::sleep::{self, Sleepable},
    types::Opaque,
};
use core::{marker::PhantomData, mem::MaybeUninit, ptr::NonNull};

/// Proof that the RTNL (`rtnl_lock()`) is held for as long as the reference lives.
///
/// Network configuration is serialised by it: registering and unregistering devices,
/// bringing them up and down, moving them between namespaces, attaching XDP programs.
/// Functions that need it take `&Rtnl`; callbacks the core calls with it held receive one,
/// and [`lock`] takes it (given the unique [`Sleepable`] of a context that does not hold
/// it: a callback holding only `&Rtnl` or a shared `&Sleepable` cannot).
///
/// # Invariants
///
/// A `&Rtnl` exists only while the current task holds the RTNL. It is neither `Send` nor
/// `Sync`, so it cannot leave the task.
pub struct Rtnl(PhantomData<*mut ()>);

impl Rtnl {
    /// The token for a context that holds the RTNL.
    ///
    /// # Safety
    ///
    /// The current task holds the RTNL for all of `'a`.
    #[inline]
    pub(crate) unsafe fn assume_held<'a>() -> &'a Rtnl {
        // INVARIANT: the caller's promise.
        // SAFETY: `Rtnl` is a zero-sized type, so any aligned non-null pointer is a valid
        // reference to one.
        unsafe { NonNull::<Rtnl>::dangling().as_ref() }
    }
}

/// The RTNL, held until dropped (`rtnl_lock`/`rtnl_unlock`).
///
/// It borrows the [`Sleepable`] it was taken with mutably for as long as it lives, so
/// the task cannot take the RTNL again (`rtnl_mutex` does not recurse: a second
/// `rtnl_lock` would wait for itself forever). Code under it may still sleep:
/// [`RtnlGuard::sleepable`] lends the capability back, shared.
///
/// # Invariants
///
/// The current task took the RTNL for this guard and holds it until the guard is
/// dropped. Neither `Send` nor `Sync` (a `&Sleepable` is neither): a mutex is released by
/// the task that took it.
pub struct RtnlGuard<'a> {
    ctx: &'a Sleepable,
}

/// Takes the RTNL (`rtnl_lock`). Might sleep; fails with `EDEADLK` where it must not
/// ([`Sleepable::may_block`]: inside an RCU read-side section, atomic context).
///
/// `ctx` is the unique [`Sleepable`] of a context that does not hold the RTNL; it stays
/// borrowed until the guard is dropped, so a second `lock` inside does not compile.
pub fn lock(ctx: &mut Sleepable) -> Result<RtnlGuard<'_>> {
    ctx.may_block()?;
    // SAFETY: process context (`ctx`); a `&mut Sleepable` exists only in a task that does
    // not hold the RTNL (its type documentation), and while this guard lives it cannot be
    // used again, so this `mutex_lock` (`net/core/rtnetlink.c:77-80`) does not wait for
    // ourselves. Released in `Drop`.
    unsafe { bindings::rtnl_lock() };
    // INVARIANT: just taken.
    Ok(RtnlGuard { ctx })
}

/// Takes the RTNL if nobody holds it (`rtnl_trylock`, `net/core/rtnetlink.c:156-159`):
/// never waits, so it may be called by a task that holds it already (it then fails).
pub(crate) fn try_lock(ctx: &Sleepable) -> Option<RtnlGuard<'_>> {
    // SAFETY: `mutex_trylock` has no precondition beyond task context (`ctx`).
    if unsafe { bindings::rtnl_trylock() } == 0 {
        return None;
    }
    // INVARIANT: just taken.
    Some(RtnlGuard { ctx })
}

impl RtnlGuard<'_> {
    /// Process context, for blocking calls made under the RTNL. Shared only: it cannot
    /// take the RTNL again.
    pub fn sleepable(&self) -> &Sleepable {
        self.ctx
    }
}

impl core::ops::Deref for RtnlGuard<'_> {
    type Target = Rtnl;
    fn deref(&self) -> &Rtnl {
        // SAFETY: the guard holds the RTNL until it is dropped (type invariant), which the
        // borrow of `self` outlasts.
        unsafe { Rtnl::assume_held() }
    }
}

impl Drop for RtnlGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: taken by this task for this guard (type invariant); `rtnl_unlock` also
        // runs the devices' deferred unregistration work (`netdev_run_todo`).
        unsafe { bindings::rtnl_unlock() };
    }
}

/// A device being set up: `rtnl_link_ops.setup`, right after allocation, before any
/// attribute of the request is applied. Ethernet drivers ([`Driver::ETHERNET`]) have had
/// `ether_setup` and a random address already.
///
/// # Invariants
///
/// `dev` is a device being set up by this link type, not yet visible to anybody else.
pub struct Setup<'a, T: Driver> {
    dev: *mut bindings::net_device,
    _p: PhantomData<(&'a mut Device, T)>,
}

impl<T: Driver> Setup<'_, T> {
    /// The MTU range `dev_set_mtu` accepts (0: no bound); anything outside is refused
    /// with `EINVAL` by the core (`dev_validate_mtu`) before the driver hears of it.
    pub fn set_mtu_range(&mut self, min: u32, max: u32) {
        // SAFETY: the device is being set up and exclusively ours (type invariant).
        unsafe {
            (*self.dev).min_mtu = min;
            (*self.dev).max_mtu = max;
        }
    }

    /// A device with no queueing discipline of its own (`IFF_NO_QUEUE`): packets go
    /// straight from `dev_queue_xmit` to `ndo_start_xmit`, as for veth and dummy.
    pub fn set_no_queue(&mut self) {
        self.add_priv_flags(bindings::netdev_priv_flags_IFF_NO_QUEUE);
    }

    /// Allow changing the MAC address while the device is up (`IFF_LIVE_ADDR_CHANGE`).
    pub fn set_live_addr_change(&mut self) {
        self.add_priv_flags(bindings::netdev_priv_flags_IFF_LIVE_ADDR_CHANGE);
    }

    /// Lockless transmit (`dev->lltx`, veth's and dummy's choice): the core calls
    /// `ndo_start_xmit` without taking the transmit queue's lock, so several CPUs may be
    /// in it at once on one queue; the driver's transmit path must need no lock of its own.
    pub fn set_lockless_tx(&mut self) {
        // SAFETY: the device is being set up and exclusively ours; `lltx` is a bitfield of
        // the `priv_flags_fast` group, written through bindgen's accessor.
        unsafe {
            bindings::net_device__bindgen_ty_1__bindgen_ty_1::set_lltx_raw(
                core::ptr::addr_of_mut!((*self.dev).__bindgen_anon_1.__bindgen_anon_1),
                1,
            )
        };
    }

    /// No ARP on the device (`IFF_NOARP`), and no multicast (`IFF_MULTICAST` cleared):
    /// what a device that only drops packets, such as dummy, has.
    pub fn set_no_arp(&mut self) {
        // SAFETY: the device is being set up and exclusively ours.
        unsafe {
            (*self.dev).flags |= bindings::net_device_flags_IFF_NOARP;
            (*self.dev).flags &= !bindings::net_device_flags_IFF_MULTICAST;
        }
    }

    /// The offloads the device has on (`dev->features`), those `ethtool -K` may toggle
    /// (`dev->hw_features`) and those it keeps for tunnelled packets
    /// (`dev->hw_enc_features`): see [`super::features::Features`].
    pub fn set_features(&mut self, on: Features, toggleable: Features, encap: Features) {
        // SAFETY: the device is being set up and exclusively ours (type invariant).
        unsafe {
            (*self.dev).features |= on.bits();
            (*self.dev).hw_features |= toggleable.bits();
            (*self.dev).hw_enc_features |= encap.bits();
        }
    }

    /// The offloads a VLAN device on top inherits (`dev->vlan_features`) and an MPLS
    /// one (`dev->mpls_features`).
    pub fn set_upper_features(&mut self, vlan: Features, mpls: Features) {
        // SAFETY: the device is being set up and exclusively ours.
        unsafe {
            (*self.dev).vlan_features = vlan.bits();
            (*self.dev).mpls_features = mpls.bits();
        }
    }

    /// The largest GSO super-packet the device takes (`netif_set_tso_max_size`).
    pub fn set_tso_max_size(&mut self, size: u32) {
        // SAFETY: the device is being set up and exclusively ours.
        unsafe { bindings::netif_set_tso_max_size(self.dev, size) };
    }

    /// What native XDP the device supports (`dev->xdp_features`, see
    /// [`xdp::features`](super::xdp::features)): reported by `ip -d link` and checked
    /// before a redirect targets it.
    pub fn set_xdp_features(&mut self, features: u64) {
        // SAFETY: the device is being set up and exclusively ours.
        unsafe { (*self.dev).xdp_features = features as _ };
    }

    /// Uses `E`'s ethtool operations for the device.
    pub fn set_ethtool_ops<E: super::ethtool::Operations<Driver = T>>(&mut self) {
        // SAFETY: the table is a `'static` constant; the device is being set up.
        unsafe { (*self.dev).ethtool_ops = &super::ethtool::OpsTable::<E>::OPS };
    }

    fn add_priv_flags(&mut self, flags: u32) {
        // SAFETY: the device is being set up and exclusively ours; `priv_flags` is a
        // bitfield of the `priv_flags_fast` group, read and written through bindgen's
        // accessors.
        unsafe { add_priv_flags(self.dev, flags.into(), 0) };
    }
}

/// Sets `set` and clears `clear` in `dev->priv_flags`.
///
/// # Safety
///
/// `dev` is a device being set up, exclusively the caller's.
unsafe fn add_priv_flags(dev: *mut bindings::net_device, set: u64, clear: u64) {
    type Group = bindings::net_device__bindgen_ty_1__bindgen_ty_1;
    // SAFETY: the caller's promise; the accessors read and write the bitfield in place.
    unsafe {
        let group = core::ptr::addr_of_mut!((*dev).__bindgen_anon_1.__bindgen_anon_1);
        let flags = Group::priv_flags_raw(group) as u64;
        Group::set_priv_flags_raw(group, ((flags | set) & !clear) as _);
    }
}

/// The netlink policy of a link type's own attributes (`IFLA_INFO_DATA`): the highest
/// attribute number and, per attribute, what the core checks before `newlink` runs.
pub struct Policy {
    pub(crate) maxtype: u32,
    pub(crate) table: &'static [bindings::nla_policy],
}

// SAFETY: read-only after construction; the table holds plain data and static pointers.
unsafe impl Sync for Policy {}

/// The `newlink` call: the new (allocated, not yet registered) device, the request's
/// attributes and the namespace it came from.
///
/// # Invariants
///
/// The pointers are the arguments of the `newlink` call in progress (RTNL held); `extra`
/// holds the devices this request registered besides `dev`, which are unregistered if the
/// request fails.
pub struct NewLink<'a, T: LinkOps> {
    pub(crate) src_net: *mut bindings::net,
    pub(crate) dev: *mut bindings::net_device,
    pub(crate) tb: *mut *mut bindings::nlattr,
    pub(crate) data: *mut *mut bindings::nlattr,
    pub(crate) extack: *mut bindings::netlink_ext_ack,
    pub(crate) extra: Option<*mut bindings::net_device>,
    registered: bool,
    _p: PhantomData<(&'a Rtnl, T)>,
}

/// Attribute `i` of an attribute table, or null.
///
/// # Safety
///
/// `tb` is an attribute table of more than `i` entries.
pub(crate) unsafe fn attr(tb: *mut *mut bindings::nlattr, i: u32) -> *mut bindings::nlattr {
    // SAFETY: the caller's promise.
    unsafe { *tb.add(i as usize) }
}

/// Refuses an `IFLA_ADDRESS` that is not a valid unicast Ethernet address, as veth and
/// dummy do in their `validate`.
///
/// # Safety
///
/// `tb` is an attribute table of `IFLA_MAX + 1` parsed entries.
pub(crate) unsafe fn validate_ether_address(tb: *mut *mut bindings::nlattr) -> Result {
    // SAFETY: the caller's promise.
    let a = unsafe { attr(tb, bindings::IFLA_ADDRESS) };
    if a.is_null() {
        return Ok(());
    }
    // SAFETY: `a` is a parsed attribute; `nla_len`/`nla_data` stay within it.
    unsafe {
        if bindings::nla_len(a) != bindings::ETH_ALEN as i32 {
            return Err(EINVAL);
        }
        if !bindings::is_valid_ether_addr(bindings::nla_data(a).cast()) {
            return Err(super::errno(bindings::EADDRNOTAVAIL));
        }
    }
    Ok(())
}

/// Which queue counts a request named (`numtxqueues`, `numrxqueues`): the others took
/// the link type's defaults ([`LinkOps::num_tx_queues`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestedQueues {
    /// `IFLA_NUM_TX_QUEUES` was given.
    pub tx: bool,
    /// `IFLA_NUM_RX_QUEUES` was given.
    pub rx: bool,
}

impl RequestedQueues {
    /// Reads a request's attribute table.
    ///
    /// # Safety
    ///
    /// `tb` is an attribute table of `IFLA_MAX + 1` parsed entries.
    unsafe fn from_table(tb: *mut *mut bindings::nlattr) -> Self {
        // SAFETY: the caller's promise.
        unsafe {
            Self {
                tx: !attr(tb, bindings::IFLA_NUM_TX_QUEUES).is_null(),
                rx: !attr(tb, bindings::IFLA_NUM_RX_QUEUES).is_null(),
            }
        }
    }
}

impl<'a, T: LinkOps> NewLink<'a, T> {
    /// Which queue counts the request named for the device.
    pub fn requested_queues(&self) -> RequestedQueues {
        // SAFETY: `tb` is the request's table of `IFLA_MAX + 1` entries (invariant).
        unsafe { RequestedQueues::from_table(self.tb) }
    }

    /// The RTNL, which `newlink` runs under (for the whole call, not only while `self` is
    /// borrowed).
    pub fn rtnl(&self) -> &'a Rtnl {
        // SAFETY: `newlink` runs with the RTNL held for the whole life of `self`.
        unsafe { Rtnl::assume_held() }
    }

    /// Registers the device the request created (name, address and MTU from the request),
    /// once: `EEXIST` on a second call. Returns the device and the [`Registered`] token
    /// [`LinkOps::newlink`] returns to say it did.
    pub fn register(&mut self) -> Result<(&DriverDevice<T>, Registered<'a>)> {
        if self.registered {
            return Err(EEXIST);
        }
        // `register_netdevice` sleeps (net/core/dev.c:10616).
        if !sleep::may_block_here() {
            return Err(sleep::edeadlk());
        }
        // SAFETY: RTNL held; the device was allocated and set up by `rtnl_create_link`
        // with this link type and not registered yet (checked above).
        to_result(unsafe { bindings::register_netdevice(self.dev) })?;
        self.registered = true;
        // SAFETY: registered with our ops, so `ndo_init` initialised its data; it lives
        // at least as long as this call.
        let dev = unsafe { DriverDevice::from_raw(self.dev) };
        // INVARIANT: `register_netdevice` succeeded for this request's device just above.
        Ok((dev, Registered(PhantomData)))
    }
}

/// Proof that a `newlink` call registered the device it was given: what
/// [`LinkOps::newlink`] returns, made only by a successful [`NewLink::register`].
///
/// The core treats a `newlink` that returns 0 as having registered `dev`
/// (`rtnl_newlink_create`, net/core/rtnetlink.c:3639-3675): it applies the request's flags
/// to it (`rtnl_configure_link`, which opens it for `up`), and on a failure there calls
/// `dellink` on it; a device never registered has no driver data (`ndo_init` makes it),
/// fails to open (`__dev_open`: not present, net/core/dev.c:1527-1532) and so reaches
/// `dellink`, or, without `up`, is never freed.
///
/// # Invariants
///
/// A `Registered<'a>` exists only after `register_netdevice` succeeded for the device of
/// the `NewLink<'a, _>` that made it. `'a` is invariant and the type is neither `Clone`
/// nor `Copy`, so a token cannot be kept from one request for another.
pub struct Registered<'a>(PhantomData<fn(&'a ()) -> &'a ()>);

/// The devices `dellink` queues for unregistration in one batch
/// (`unregister_netdevice_queue`).
///
/// # Invariants
///
/// `head` is the batch list of the `dellink` call in progress (RTNL held).
pub struct UnregisterQueue<'a, T: LinkOps> {
    head: *mut bindings::list_head,
    _p: PhantomData<(&'a Rtnl, T)>,
}

impl<'a, T: LinkOps> UnregisterQueue<'a, T> {
    /// Queues `dev`, a device of this link type, for unregistration. A device that is not
    /// registered (any more) is left alone: queueing it would stop the kernel
    /// (`BUG_ON(dev->reg_state != NETREG_REGISTERED)`); queueing a device twice is fine.
    pub fn queue(&mut self, dev: &DriverDevice<T>) {
        let raw = dev.as_raw();
        // SAFETY: `reg_state` changes only under the RTNL, which we hold (type invariant).
        if unsafe { (*raw).reg_state } != bindings::netdev_reg_state_NETREG_REGISTERED as u8 {
            return;
        }
        // SAFETY: RTNL held; a registered device of ours moves onto the core's batch list.
        unsafe { bindings::unregister_netdevice_queue(raw, self.head) };
    }

    /// The RTNL, which `dellink` runs under.
    pub fn rtnl(&self) -> &'a Rtnl {
        // SAFETY: `dellink` runs with the RTNL held for the whole life of `self`.
        unsafe { Rtnl::assume_held() }
    }
}

/// A link type: what `ip link add ... type <KIND>` creates. Corresponds to the kernel's
/// `struct rtnl_link_ops` ([`include/net/rtnetlink.h`](srctree/include/net/rtnetlink.h)).
#[vtable]
pub trait LinkOps: Driver {
    /// The kind name, as `ip link` spells it.
    const KIND: &'static CStr;

    /// The link type's own attributes (`IFLA_INFO_DATA`), if it has any: for example
    /// [`pair::POLICY`](super::pair::POLICY).
    const POLICY: Option<&'static Policy> = None;

    /// Sets up a freshly allocated device (`setup`): MTU range, flags, ethtool operations.
    fn setup(dev: &mut Setup<'_, Self>);

    /// Registers the device, and whatever goes with it, for a `RTM_NEWLINK` (`newlink`).
    /// Without this operation, the device alone is registered.
    ///
    /// Success is the [`Registered`] token of this request, which only
    /// [`NewLink::register`] makes: the core takes a `newlink` that succeeds as having
    /// registered the device. On an error, the adapter unregisters what the request
    /// registered (the device, the peer of [`pair::create_peer`](super::pair::create_peer)).
    fn newlink<'a>(_link: &mut NewLink<'a, Self>) -> Result<Registered<'a>> {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Queues what goes with the device for unregistration (`dellink`), such as a pair's
    /// peer. The adapter queues the device itself after this returns, whatever it does:
    /// a device left registered would outlive the module and its operations.
    /// Without this operation, the device alone is queued.
    fn dellink(_dev: &DriverDevice<Self>, _queue: &mut UnregisterQueue<'_, Self>) {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Default number of transmit queues when the request gives none.
    fn num_tx_queues() -> u32 {
        1
    }

    /// Default number of receive queues when the request gives none.
    fn num_rx_queues() -> u32 {
        1
    }
}

/// The registration of link type `T` (`rtnl_link_register`); unregisters on drop, which
/// deletes every device of the type that still exists (`__rtnl_link_unregister`).
///
/// # Invariants
///
/// `ops` is registered with the core for the whole life of the value.
#[pin_data(PinnedDrop)]
pub struct Registration<T: LinkOps> {
    #[pin]
    ops: Opaque<bindings::rtnl_link_ops>,
    _p: PhantomData<T>,
}

// SAFETY: the core serialises all use of the ops under the RTNL.
unsafe impl<T: LinkOps> Sync for Registration<T> {}
// SAFETY: as above.
unsafe impl<T: LinkOps> Send for Registration<T> {}

impl<T: LinkOps> Registration<T> {
    /// Registers the link type (`EDEADLK` where it must not block,
    /// [`Sleepable::may_block`]).
    pub fn new() -> impl PinInit<Self, Error> {
        // SAFETY: the closure fully initialises `*this` (ops written, then registered) or
        // fails having registered nothing; the value is pinned, so the ops stay where the
        // core linked them until `rtnl_link_unregister` in drop.
        unsafe {
            crate::init::pin_init_from_closure(move |this: *mut Self| {
                // `rtnl_link_register` takes the RTNL.
                if !sleep::may_block_here() {
                    return Err(sleep::edeadlk());
                }
                let slot = Opaque::raw_get(core::ptr::addr_of!((*this).ops));
                let (maxtype, policy) = match T::POLICY {
                    Some(p) => (p.maxtype, p.table.as_ptr()),
                    None => (0, core::ptr::null()),
                };
                slot.write(bindings::rtnl_link_ops {
                    kind: T::KIND.as_char_ptr(),
                    priv_size: super::dev::priv_size::<T>(),
                    setup: Some(Self::setup_callback),
                    maxtype,
                    policy,
                    validate: Some(Self::validate_callback),
                    newlink: Some(Self::newlink_callback),
                    dellink: Some(Self::dellink_callback),
                    get_num_tx_queues: Some(Self::num_tx_callback),
                    get_num_rx_queues: Some(Self::num_rx_callback),
                    ..MaybeUninit::zeroed().assume_init()
                });
                to_result(bindings::rtnl_link_register(slot))
            })
        }
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn setup_callback(dev: *mut bindings::net_device) {
        // SAFETY: `alloc_netdev_mqs` calls `setup` on a device it just allocated with our
        // `priv_size` bytes of zeroed private area; nobody else sees it yet.
        unsafe {
            super::dev::init_header::<T>(dev);
            if T::ETHERNET {
                bindings::ether_setup(dev);
                bindings::eth_hw_addr_random(dev);
            }
        }
        // INVARIANT: the device is being set up, exclusively ours.
        let mut setup = Setup::<T> {
            dev,
            _p: PhantomData,
        };
        T::setup(&mut setup);
        // The transmit path owns each buffer it is handed: no sender may pass the same
        // `sk_buff` to it several times at once (pktgen's `clone_skb`, `burst`), which
        // `ether_setup` allows. veth clears it in `veth_setup` for the same reason.
        // And no netpoll (netconsole): it calls `ndo_start_xmit` with interrupts off,
        // bottom halves on, even from a hard interrupt (net/core/netpoll.c:
        // `netpoll_send_skb`), where the `BhGuard` the transmit callback is handed would
        // be a lie (`netpoll_setup` refuses a device with IFF_DISABLE_NETPOLL).
        // SAFETY: the device is still exclusively ours.
        unsafe {
            add_priv_flags(
                dev,
                bindings::netdev_priv_flags_IFF_DISABLE_NETPOLL.into(),
                bindings::netdev_priv_flags_IFF_TX_SKB_SHARING.into(),
            )
        };
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn validate_callback(
        tb: *mut *mut bindings::nlattr,
        _data: *mut *mut bindings::nlattr,
        _extack: *mut bindings::netlink_ext_ack,
    ) -> i32 {
        if !T::ETHERNET {
            return 0;
        }
        // SAFETY: `tb` is the request's parsed `IFLA_MAX + 1` attribute table.
        from_result(|| unsafe { validate_ether_address(tb) }.map(|()| 0))
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn newlink_callback(
        src_net: *mut bindings::net,
        dev: *mut bindings::net_device,
        tb: *mut *mut bindings::nlattr,
        data: *mut *mut bindings::nlattr,
        extack: *mut bindings::netlink_ext_ack,
    ) -> i32 {
        // INVARIANT: the arguments of this `newlink` call, RTNL held.
        let mut link = NewLink::<T> {
            src_net,
            dev,
            tb,
            data,
            extack,
            extra: None,
            registered: false,
            _p: PhantomData,
        };
        let ret = from_result(|| {
            let _registered: Registered<'_> = if T::HAS_NEWLINK {
                T::newlink(&mut link)?
            } else {
                link.register()?.1
            };
            // A `Registered` is only made by a successful `register` of this request
            // (type invariant); checked again, as the core relies on it.
            if !link.registered {
                return Err(EINVAL);
            }
            Ok(0)
        });
        if ret != 0 {
            // Undo what the request did, as veth's error path does: the core frees `dev`.
            // SAFETY: RTNL held; these devices were registered by this call.
            unsafe {
                if link.registered {
                    bindings::unregister_netdevice_queue(dev, core::ptr::null_mut());
                }
                if let Some(extra) = link.extra {
                    bindings::unregister_netdevice_queue(extra, core::ptr::null_mut());
                }
            }
        }
        ret
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn dellink_callback(
        dev: *mut bindings::net_device,
        head: *mut bindings::list_head,
    ) {
        // SAFETY: `dellink` is called, RTNL held, for registered devices of this link type
        // (so of driver `T`, initialised): by `rtnl_dellink`, by `default_device_exit_batch`
        // and `__rtnl_link_unregister` for the devices they list, and by
        // `rtnl_newlink_create` for a device whose `newlink` succeeded, which means
        // registered (`Registered`).
        let d = unsafe { DriverDevice::<T>::from_raw(dev) };
        // INVARIANT: `head` is the batch list of this `dellink` call.
        let mut queue = UnregisterQueue::<T> {
            head,
            _p: PhantomData,
        };
        if T::HAS_DELLINK {
            T::dellink(d, &mut queue);
        }
        // The device itself always goes, whatever the driver queued.
        queue.queue(d);
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn num_tx_callback() -> u32 {
        T::num_tx_queues()
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn num_rx_callback() -> u32 {
        T::num_rx_queues()
    }
}

#[pinned_drop]
impl<T: LinkOps> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered by `new` (type invariant); this deletes the remaining links
        // and waits until they are freed.
        unsafe { bindings::rtnl_link_unregister(self.ops.get()) };
    }
}

/// Whether `alias` is the module alias for link kind `kind`, `rtnl-link-<kind>`: what C's
/// `MODULE_ALIAS_RTNL_LINK(kind)` writes, and what `ip link add ... type <kind>` asks
/// `request_module` for when no module has registered the kind yet (`__rtnl_newlink`,
/// net/core/rtnetlink.c:3849).
/// Checked at build time by [`module_rtnl_link!`](crate::module_rtnl_link).
#[doc(hidden)]
pub const fn alias_is_for_kind(alias: &str, kind: &CStr) -> bool {
    const PREFIX: &[u8] = b"rtnl-link-";
    let alias = alias.as_bytes();
    let kind = kind.as_bytes_with_nul();
    // `kind` ends in its NUL, which the alias does not have.
    if alias.len() != PREFIX.len() + kind.len() - 1 {
        return false;
    }
    let mut i = 0;
    while i < alias.len() {
        let want = if i < PREFIX.len() {
            PREFIX[i]
        } else {
            kind[i - PREFIX.len()]
        };
        if alias[i] != want {
            return false;
        }
        i += 1;
    }
    true
}

/// Declares a kernel module that registers one link type: what C writes as `module_init`
/// with `rtnl_link_register`, and `MODULE_ALIAS_RTNL_LINK` (drivers/net/veth.c), declared
/// as the kernel's `module_phy_driver!`
/// ([`rust/kernel/net/phy.rs`](srctree/rust/kernel/net/phy.rs)) declares a PHY driver
/// module. Loading registers [`LinkOps`] type `type` (a [`Registration`]); unloading
/// unregisters it, which deletes every device of the type still alive.
///
/// `alias` must be `"rtnl-link-<KIND>"` for the type's [`LinkOps::KIND`] (a build error
/// otherwise): it is how `ip link add ... type <KIND>` loads the module on demand.
///
/// ```ignore
/// kernel::module_rtnl_link! {
///     type: Rdummy,
///     name: "rdummy",
///     alias: "rtnl-link-rdummy",
///     author: "netdive",
///     description: "A dummy device in Rust",
///     license: "GPL",
/// }
/// ```
#[macro_export]
macro_rules! module_rtnl_link {
    (
        type: $type:ty,
        name: $name:tt,
        alias: $alias:tt,
        author: $author:tt,
        description: $description:tt,
        license: $license:tt $(,)?
    ) => {
        const _: () = ::core::assert!(
            $crate::net::rtnl::alias_is_for_kind(
                $alias,
                <$type as $crate::net::rtnl::LinkOps>::KIND
            ),
            "the alias must be \"rtnl-link-\" followed by the type's LinkOps::KIND",
        );

        $crate::__module_with_registration!($crate::net::rtnl::Registration<$type>, {
            name: $name,
            author: $author,
            description: $description,
            license: $license,
            alias: [$alias],
        });
    };
}

/// The namespace a request's device goes to, held (`rtnl_link_get_net`): the one its
/// attributes name (`netns`), or the request's own.
///
/// # Safety
///
/// `src_net` is the request's namespace and `tb` an attribute table, RTNL held.
pub(crate) unsafe fn link_net(
    src_net: *mut bindings::net,
    tb: *mut *mut bindings::nlattr,
) -> Result<NonNull<bindings::net>> {
    // SAFETY: the caller's promise.
    let net = crate::error::from_err_ptr(unsafe { bindings::rtnl_link_get_net(src_net, tb) })?;
    NonNull::new(net).ok_or(EINVAL)
}
