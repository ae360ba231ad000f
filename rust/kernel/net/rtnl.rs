// SPDX-License-Identifier: GPL-2.0

//! Link types created with `ip link add ... type <kind>`: `struct rtnl_link_ops`.
//!
//! C header: [`include/net/rtnetlink.h`](srctree/include/net/rtnetlink.h),
//! core in `net/core/rtnetlink.c`.
//!
//! `ip link add name rv0 type rveth peer name rv1` sends `RTM_NEWLINK`; `rtnl_newlink`
//! finds the link ops by kind (loading the module through its `rtnl-link-<kind>` alias),
//! allocates the device with `rtnl_create_link` (which calls `setup`), and calls
//! `newlink`, which registers it. `ip link del` and namespace teardown call `dellink`,
//! which queues devices for `unregister_netdevice_many`. All of it runs under the RTNL.

use super::dev::{Device, Driver, DriverDevice, OpsTable};
use crate::{
    bindings,
    error::{from_err_ptr, from_result, to_result},
    macros::vtable,
    prelude::*,
    str::CStr,
    types::Opaque,
};
use core::{marker::PhantomData, mem::MaybeUninit};

const IFLA_MAX: usize = bindings::__IFLA_MAX as usize - 1;

/// A device being set up: `rtnl_link_ops.setup`, right after allocation, before any
/// attribute from the request is applied.
pub struct Setup<'a, T: Driver> {
    dev: *mut bindings::net_device,
    _p: PhantomData<(&'a mut Device, T)>,
}

impl<T: Driver> Setup<'_, T> {
    /// Ethernet defaults: header ops, MTU 1500, broadcast address, `ARPHRD_ETHER`
    /// (`ether_setup`).
    pub fn ether_setup(&mut self) {
        // SAFETY: the device is being set up and exclusively ours.
        unsafe { bindings::ether_setup(self.dev) };
    }

    /// The MTU range `dev_set_mtu` accepts; anything outside is refused with `EINVAL`
    /// by the core (`dev_validate_mtu`) before the driver hears of it.
    pub fn set_mtu_range(&mut self, min: u32, max: u32) {
        // SAFETY: the device is being set up and exclusively ours.
        unsafe {
            (*self.dev).min_mtu = min;
            (*self.dev).max_mtu = max;
        }
    }

    /// A device with no queueing discipline of its own (`IFF_NO_QUEUE`): packets go
    /// straight from `dev_queue_xmit` to `ndo_start_xmit`, as for veth.
    pub fn set_no_queue(&mut self) {
        self.add_priv_flags(bindings::netdev_priv_flags_IFF_NO_QUEUE);
    }

    /// Lockless transmit (`dev->lltx`, veth's choice): the core calls `ndo_start_xmit`
    /// without taking the transmit queue's lock, so several CPUs may be in it at once on
    /// one queue; the driver's transmit path must need no lock of its own.
    pub fn set_lockless_tx(&mut self) {
        // SAFETY: the device is being set up and exclusively ours.
        unsafe { bindings::netdive_set_lltx(self.dev) };
    }

    /// Allow changing the MAC address while the device is up (`IFF_LIVE_ADDR_CHANGE`).
    pub fn set_live_addr_change(&mut self) {
        self.add_priv_flags(bindings::netdev_priv_flags_IFF_LIVE_ADDR_CHANGE);
    }

    /// What native XDP the device supports (`dev->xdp_features`, see
    /// [`xdp::features`](super::xdp::features)): reported by `ip -d link` and checked
    /// before a redirect targets it.
    pub fn set_xdp_features(&mut self, features: u64) {
        // SAFETY: the device is being set up and exclusively ours.
        unsafe { (*self.dev).xdp_features = features as _ };
    }

    fn add_priv_flags(&mut self, flags: u32) {
        // SAFETY: the device is being set up and exclusively ours.
        unsafe { bindings::netdive_priv_flags_add(self.dev, flags as _) };
    }

    /// Uses `E`'s ethtool operations for the device.
    pub fn set_ethtool_ops<E: super::ethtool::Operations<Driver = T>>(&mut self) {
        // SAFETY: the table is a `'static` constant; the device is being set up.
        unsafe { (*self.dev).ethtool_ops = &super::ethtool::OpsTable::<E>::OPS };
    }
}

/// The parsed request for the second device of a pair: the nested `ifinfomsg` and its
/// attributes (`VETH_INFO_PEER`, layout shared by veth, vxcan and netkit).
pub struct PeerRequest {
    ifm: *const bindings::ifinfomsg,
    tb: [*mut bindings::nlattr; IFLA_MAX + 1],
}

/// The `newlink` call: the new (allocated, not yet registered) device, the request's
/// attributes and the namespace it came from.
pub struct NewLink<'a, T: LinkOps> {
    src_net: *mut bindings::net,
    dev: *mut bindings::net_device,
    tb: *mut *mut bindings::nlattr,
    data: *mut *mut bindings::nlattr,
    extack: *mut bindings::netlink_ext_ack,
    peer: Option<*mut bindings::net_device>,
    registered: bool,
    _p: PhantomData<(&'a (), T)>,
}

fn attr(tb: *mut *mut bindings::nlattr, i: u32) -> *mut bindings::nlattr {
    // SAFETY: callers pass attribute tables of at least `IFLA_MAX + 1` entries.
    unsafe { *tb.add(i as usize) }
}

fn set_random_mac_unless_given(dev: *mut bindings::net_device, tb: *mut *mut bindings::nlattr) {
    if attr(tb, bindings::IFLA_ADDRESS).is_null() {
        // SAFETY: the device is allocated and not yet visible to anybody else.
        unsafe { bindings::eth_hw_addr_random(dev) };
    }
}

/// Refuses an `IFLA_ADDRESS` that is not a valid unicast Ethernet address, as veth does.
fn validate_ether_attrs(tb: *mut *mut bindings::nlattr) -> Result {
    let a = attr(tb, bindings::IFLA_ADDRESS);
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

impl<T: LinkOps> NewLink<'_, T> {
    /// The peer part of the request (`data[VETH_INFO_PEER]`), parsed and validated.
    /// Without one, the peer takes the main request's attributes and a generated name.
    pub fn peer_request(&self) -> Result<Option<PeerRequest>> {
        if self.data.is_null() {
            return Ok(None);
        }
        let nla = attr(self.data, bindings::VETH_INFO_PEER);
        if nla.is_null() {
            return Ok(None);
        }
        let mut req = PeerRequest {
            // SAFETY: the policy guarantees at least `sizeof(struct ifinfomsg)` bytes.
            ifm: unsafe { bindings::nla_data(nla) }.cast(),
            tb: [core::ptr::null_mut(); IFLA_MAX + 1],
        };
        // SAFETY: `nla` is a validated nested attribute; `tb` has `IFLA_MAX + 1` slots.
        to_result(unsafe {
            bindings::rtnl_nla_parse_ifinfomsg(req.tb.as_mut_ptr(), nla, self.extack)
        })?;
        validate_ether_attrs(req.tb.as_mut_ptr())?;
        Ok(Some(req))
    }

    /// Creates and registers the other device of the pair, in the namespace the peer
    /// request names (`netns`), with its name, address and MTU. veth does this first, so
    /// that a failure leaves nothing behind.
    pub fn create_peer(&mut self, req: Option<&mut PeerRequest>) -> Result<&DriverDevice<T>> {
        if self.peer.is_some() {
            return Err(EEXIST);
        }
        let (ifm, tbp) = match req {
            Some(r) => (r.ifm, r.tb.as_mut_ptr()),
            None => (core::ptr::null(), self.tb),
        };
        let mut name = [0u8; bindings::IFNAMSIZ as usize];
        let name_attr = attr(tbp, bindings::IFLA_IFNAME);
        let assign = if !ifm.is_null() && !name_attr.is_null() {
            // SAFETY: `name` has IFNAMSIZ bytes; `nla_strscpy` NUL-terminates.
            unsafe { bindings::nla_strscpy(name.as_mut_ptr().cast(), name_attr, name.len()) };
            bindings::NET_NAME_USER
        } else {
            let kind = T::KIND.as_bytes();
            let n = kind.len().min(name.len() - 3);
            name[..n].copy_from_slice(&kind[..n]);
            name[n..n + 2].copy_from_slice(b"%d");
            bindings::NET_NAME_ENUM
        };
        // SAFETY: `src_net` is the request's namespace; `tbp` an attribute table.
        let net = from_err_ptr(unsafe { bindings::rtnl_link_get_net(self.src_net, tbp) })?;
        // SAFETY: RTNL is held (newlink); `rtnl_create_link` set `dev->rtnl_link_ops` to
        // our registered ops before calling newlink, and the peer is of the same type.
        let peer = unsafe {
            bindings::rtnl_create_link(
                net,
                name.as_ptr().cast(),
                assign as u8,
                (*self.dev).rtnl_link_ops,
                tbp,
                self.extack,
            )
        };
        let peer = match from_err_ptr(peer) {
            Ok(peer) => peer,
            Err(e) => {
                // SAFETY: we hold the reference `rtnl_link_get_net` took.
                unsafe { bindings::put_net(net) };
                return Err(e);
            }
        };
        if ifm.is_null() {
            // SAFETY: the peer is allocated and private to us.
            unsafe { bindings::eth_hw_addr_random(peer) };
        } else {
            set_random_mac_unless_given(peer, tbp);
        }
        // SAFETY: a fully set-up device; on failure it is ours to free.
        let err = unsafe { bindings::register_netdevice(peer) };
        // SAFETY: the device holds its own reference on the namespace now.
        unsafe { bindings::put_net(net) };
        if err < 0 {
            // SAFETY: registration failed, so nothing else references the device.
            unsafe { bindings::free_netdev(peer) };
            return Err(Error::from_errno(err));
        }
        self.peer = Some(peer);
        // SAFETY: the peer is registered; apply the request's flags (`up`, ...).
        to_result(unsafe { bindings::rtnl_configure_link(peer, ifm, 0, core::ptr::null()) })?;
        // SAFETY: registered with our ops, so `ndo_init` initialised its data.
        Ok(unsafe { &*peer.cast::<DriverDevice<T>>() })
    }

    /// Registers the device the request created (name, address and MTU from the request;
    /// a random address if none was given).
    pub fn register(&mut self) -> Result<&DriverDevice<T>> {
        set_random_mac_unless_given(self.dev, self.tb);
        // SAFETY: RTNL held; the device was set up by `setup`.
        to_result(unsafe { bindings::register_netdevice(self.dev) })?;
        self.registered = true;
        // SAFETY: registered with our ops, so its data is initialised.
        Ok(unsafe { &*self.dev.cast::<DriverDevice<T>>() })
    }
}

/// Devices queued for unregistration in one batch (`unregister_netdevice_queue`).
pub struct UnregisterQueue(*mut bindings::list_head);

impl UnregisterQueue {
    /// Queues `dev` for unregistration (RTNL held, as in `dellink`).
    pub fn queue(&mut self, dev: &Device) {
        // SAFETY: RTNL is held in `dellink`; the list is the core's batch list.
        unsafe { bindings::unregister_netdevice_queue(dev.as_raw(), self.0) };
    }
}

/// A link type: what `ip link add ... type <KIND>` creates.
#[vtable]
pub trait LinkOps: Driver {
    /// The kind name, as `ip link` spells it.
    const KIND: &'static CStr;

    /// Sets up a freshly allocated device (`setup`): Ethernet defaults, MTU range, flags.
    fn setup(dev: &mut Setup<'_, Self>);

    /// Registers the device (and whatever goes with it) for a `RTM_NEWLINK` (`newlink`).
    fn newlink(link: &mut NewLink<'_, Self>) -> Result;

    /// Queues the device (and whatever goes with it) for unregistration (`dellink`).
    fn dellink(dev: &DriverDevice<Self>, queue: &mut UnregisterQueue);

    /// Default number of transmit queues when the request gives none.
    fn num_tx_queues() -> u32 {
        1
    }

    /// Default number of receive queues when the request gives none.
    fn num_rx_queues() -> u32 {
        1
    }
}

/// The netlink policy of the pair request: one nested attribute, `VETH_INFO_PEER`, that
/// starts with a `struct ifinfomsg`.
struct PeerPolicy([bindings::nla_policy; bindings::VETH_INFO_PEER as usize + 1]);
// SAFETY: read-only after construction.
unsafe impl Sync for PeerPolicy {}

static PEER_POLICY: PeerPolicy = {
    // SAFETY: an all-zero `nla_policy` is "unspecified type, no checks".
    let mut p: [bindings::nla_policy; 2] = unsafe { MaybeUninit::zeroed().assume_init() };
    p[bindings::VETH_INFO_PEER as usize].len = core::mem::size_of::<bindings::ifinfomsg>() as u16;
    PeerPolicy(p)
};

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
    /// Registers the link type.
    pub fn new() -> impl PinInit<Self, Error> {
        // SAFETY: the closure fully initialises `*this` (ops written, then registered) or
        // fails having registered nothing; the value is pinned, so the ops stay where the
        // core linked them until `rtnl_link_unregister` in drop.
        unsafe {
            crate::init::pin_init_from_closure(move |this: *mut Self| {
                let slot = Opaque::raw_get(core::ptr::addr_of!((*this).ops));
                {
                    slot.write(bindings::rtnl_link_ops {
                        kind: T::KIND.as_char_ptr(),
                        priv_size: super::dev::priv_size::<T>(),
                        setup: Some(Self::setup_callback),
                        maxtype: bindings::VETH_INFO_PEER,
                        policy: PEER_POLICY.0.as_ptr(),
                        validate: Some(Self::validate_callback),
                        newlink: Some(Self::newlink_callback),
                        dellink: Some(Self::dellink_callback),
                        get_num_tx_queues: Some(Self::num_tx_callback),
                        get_num_rx_queues: Some(Self::num_rx_callback),
                        ..MaybeUninit::zeroed().assume_init()
                    });
                    to_result(bindings::rtnl_link_register(slot))
                }
            })
        }
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn setup_callback(dev: *mut bindings::net_device) {
        let mut setup = Setup::<T> {
            dev,
            _p: PhantomData,
        };
        T::setup(&mut setup);
        // SAFETY: the device is being set up and exclusively ours.
        unsafe {
            (*dev).netdev_ops = &OpsTable::<T>::NETDEV_OPS;
            (*dev).needs_free_netdev = true;
            (*dev).priv_destructor = Some(OpsTable::<T>::priv_destructor);
        }
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
        from_result(|| validate_ether_attrs(tb).map(|()| 0))
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
        let mut link = NewLink::<T> {
            src_net,
            dev,
            tb,
            data,
            extack,
            peer: None,
            registered: false,
            _p: PhantomData,
        };
        let ret = from_result(|| T::newlink(&mut link).map(|()| 0));
        if ret != 0 {
            // Undo what the driver did, as veth's error path does: the core frees `dev`.
            // SAFETY: RTNL held; these devices were registered by this call.
            unsafe {
                if link.registered {
                    bindings::unregister_netdevice_queue(dev, core::ptr::null_mut());
                }
                if let Some(peer) = link.peer {
                    bindings::unregister_netdevice_queue(peer, core::ptr::null_mut());
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
        // SAFETY: `dellink` is called for registered devices of this type.
        let dev = unsafe { &*dev.cast::<DriverDevice<T>>() };
        T::dellink(dev, &mut UnregisterQueue(head));
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
