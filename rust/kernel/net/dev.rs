// SPDX-License-Identifier: GPL-2.0

//! Network devices and their drivers.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! core in `net/core/dev.c`.
//!
//! A `struct net_device` is what `ip link` lists: a name, an index, an MTU, flags, and the
//! operations (`struct net_device_ops`) of the driver behind it. [`Device`] gives read
//! access to any device and reference counting (`dev_hold`/`dev_put`); a [`Driver`]
//! supplies the operations and the private data (`netdev_priv`) of its own devices, which
//! it reaches as [`DriverDevice`].

use crate::{
    bindings,
    error::{from_result, to_result, VTABLE_DEFAULT_ERROR},
    macros::vtable,
    net::{fastpath, features::Features, ns::Namespace, rtnl::Rtnl, skb::OwnedSkBuff, xdp},
    prelude::*,
    sync::rcu,
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::{
    any::TypeId,
    fmt,
    marker::PhantomData,
    mem::MaybeUninit,
    ptr::NonNull,
    sync::atomic::{AtomicBool, AtomicU32, Ordering},
};

/// A network device.
///
/// Corresponds to the kernel's `struct net_device`
/// ([`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)).
///
/// # Invariants
///
/// The wrapped `net_device` is valid (registered, or being set up) for as long as a
/// reference to this type exists: the holder owns a counted reference
/// ([`ARef<Device>`](crate::types::ARef)), or the borrow is tied to a context that keeps
/// the device alive (an RCU read-side section, the RTNL, a callback of its driver).
#[repr(transparent)]
pub struct Device(Opaque<bindings::net_device>);

/// A device name, `dev->name`, copied out (`IFNAMSIZ` bytes, NUL-padded).
#[derive(Clone, Copy)]
pub struct IfName([u8; bindings::IFNAMSIZ as usize]);

impl IfName {
    /// The name's bytes, without the NUL.
    pub fn as_bytes(&self) -> &[u8] {
        let n = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        &self.0[..n]
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.as_bytes() {
            fmt::Write::write_char(f, char::from(b))?;
        }
        Ok(())
    }
}

/// An Ethernet (MAC) address.
pub type MacAddr = [u8; 6];

impl Device {
    /// Creates a reference to a [`Device`] from a valid pointer.
    ///
    /// # Safety
    ///
    /// `ptr` points at a valid `net_device` that stays valid for the lifetime `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // SAFETY: `Device` is `repr(transparent)` over `Opaque<net_device>`; the caller
        // guarantees validity for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw `struct net_device` pointer.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::net_device {
        self.0.get()
    }

    /// The interface name (`dev->name`, for example `eth0`). A rename (RTNL held) may
    /// change it at any time, so it is copied, byte by byte, as C's lockless readers of
    /// `dev->name` see it.
    pub fn name(&self) -> IfName {
        let mut name = [0u8; bindings::IFNAMSIZ as usize];
        // SAFETY: the device is valid (type invariant); `name` is an array of IFNAMSIZ
        // bytes inside it. The reads are volatile (`READ_ONCE`), as a concurrent rename
        // writes it.
        let base = unsafe { core::ptr::addr_of!((*self.as_raw()).name) }.cast::<u8>();
        for (i, b) in name.iter_mut().enumerate() {
            // SAFETY: `i < IFNAMSIZ`, within the array.
            *b = unsafe { base.add(i).read_volatile() };
        }
        IfName(name)
    }

    /// The interface index, `dev->ifindex`: unique within the device's namespace (it may
    /// change when the device moves to another one).
    #[inline]
    pub fn ifindex(&self) -> i32 {
        // SAFETY: the device is valid (type invariant); `READ_ONCE` of an int the RTNL
        // holder may rewrite.
        unsafe { core::ptr::addr_of!((*self.as_raw()).ifindex).read_volatile() }
    }

    /// The maximum transmission unit, `dev->mtu`.
    #[inline]
    pub fn mtu(&self) -> u32 {
        // SAFETY: the device is valid; `READ_ONCE(dev->mtu)`, as C reads it on the packet
        // path while `dev_set_mtu` may write it.
        unsafe { core::ptr::addr_of!((*self.as_raw()).mtu).read_volatile() }
    }

    /// Whether the interface is administratively up (`IFF_UP`, `netif_running`).
    ///
    /// `netif_running` is a C static inline, `test_bit(__LINK_STATE_START, &dev->state)`;
    /// a transmit path asks on every packet, so the bit is read here as the inline does
    /// rather than through a helper call.
    #[inline]
    pub fn is_running(&self) -> bool {
        // SAFETY: the device is valid by the type invariant; `state` is an `unsigned long`
        // the core changes with atomic bit operations, so an atomic load reads it whole.
        let state = unsafe {
            (*core::ptr::addr_of!((*self.as_raw()).state).cast::<core::sync::atomic::AtomicUsize>())
                .load(Ordering::Relaxed)
        };
        state & (1 << bindings::netdev_state_t___LINK_STATE_START) != 0
    }

    /// Whether the link has carrier (`netif_carrier_ok`).
    pub fn has_carrier(&self) -> bool {
        // SAFETY: the device is valid by the type invariant.
        unsafe { bindings::netif_carrier_ok(self.as_raw()) }
    }

    /// Marks the link up (`netif_carrier_on`): the stack starts transmitting. Any context.
    pub fn carrier_on(&self) {
        // SAFETY: the device is valid; the function uses atomic bit operations.
        unsafe { bindings::netif_carrier_on(self.as_raw()) };
    }

    /// Marks the link down (`netif_carrier_off`). Any context.
    pub fn carrier_off(&self) {
        // SAFETY: the device is valid; the function uses atomic bit operations.
        unsafe { bindings::netif_carrier_off(self.as_raw()) };
    }

    /// The device's Ethernet address, `dev->dev_addr` (copied: it may be changed under
    /// the RTNL at any time).
    pub fn mac(&self) -> MacAddr {
        let mut mac = [0u8; 6];
        // SAFETY: `dev_addr` points at the device's `addr_len` (6 for Ethernet) address
        // bytes, allocated at setup, while the device is valid; read as `READ_ONCE`.
        let base = unsafe { (*self.as_raw()).dev_addr };
        for (i, b) in mac.iter_mut().enumerate() {
            // SAFETY: `i < 6`, within the address.
            *b = unsafe { base.add(i).read_volatile() };
        }
        mac
    }

    /// Number of transmit queues the device was allocated with (`dev->num_tx_queues`).
    pub fn num_tx_queues(&self) -> u32 {
        // SAFETY: set at allocation, never changed.
        unsafe { (*self.as_raw()).num_tx_queues }
    }

    /// Number of receive queues the device was allocated with (`dev->num_rx_queues`).
    pub fn num_rx_queues(&self) -> u32 {
        // SAFETY: set at allocation, never changed.
        unsafe { (*self.as_raw()).num_rx_queues }
    }

    /// The features the device has on now (`dev->features`, what `ethtool -k` shows).
    #[inline]
    pub fn features(&self) -> Features {
        // SAFETY: the device is valid; `READ_ONCE`, as the stack reads it per packet while
        // `netdev_update_features` may write it.
        Features::from_bits(unsafe {
            core::ptr::addr_of!((*self.as_raw()).features).read_volatile()
        })
    }

    /// The features the user asked for (`dev->wanted_features`).
    pub fn wanted_features(&self) -> Features {
        // SAFETY: as in `features`.
        Features::from_bits(unsafe {
            core::ptr::addr_of!((*self.as_raw()).wanted_features).read_volatile()
        })
    }

    /// The transmit queues in use (`dev->real_num_tx_queues`).
    #[inline]
    pub fn real_num_tx_queues(&self) -> u32 {
        // SAFETY: the device is valid; `READ_ONCE` of what the RTNL holder may change.
        unsafe { core::ptr::addr_of!((*self.as_raw()).real_num_tx_queues).read_volatile() }
    }

    /// The receive queues in use (`dev->real_num_rx_queues`).
    #[inline]
    pub fn real_num_rx_queues(&self) -> u32 {
        // SAFETY: as in `real_num_tx_queues`.
        unsafe { core::ptr::addr_of!((*self.as_raw()).real_num_rx_queues).read_volatile() }
    }

    /// The namespace the device is in (`dev_net`), for as long as the RTNL is held: a
    /// device moves to another namespace, and a namespace is dismantled, only under it.
    #[inline]
    pub fn net<'a>(&'a self, _rtnl: &'a Rtnl) -> &'a Namespace {
        // SAFETY: `dev_net` reads `dev->nd_net`, which changes only under the RTNL
        // (`__dev_change_net_namespace`); a namespace with devices is not freed, and its
        // devices leave it under the RTNL (`default_device_exit_batch`), so it outlives
        // `'a`.
        unsafe { Namespace::from_raw(bindings::dev_net(self.as_raw())) }
    }
}

// SAFETY: `dev_hold`/`dev_put` keep a `net_device` alive; the last `dev_put` lets
// unregistration finish, which is how C holds a device too.
unsafe impl AlwaysRefCounted for Device {
    fn inc_ref(&self) {
        // SAFETY: the existence of `&self` means the device is valid.
        unsafe { bindings::dev_hold(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller owns one reference, which is given back here.
        unsafe { bindings::dev_put(obj.cast::<bindings::net_device>().as_ptr()) };
    }
}

// SAFETY: a `net_device` may be referenced from any thread; its state is guarded by the
// kernel's own locking (RTNL, RCU, per-queue locks), not by thread affinity.
unsafe impl Send for Device {}
// SAFETY: the accessors only read, with the same tolerance for concurrent updates as C
// (`READ_ONCE`), or call functions that may run concurrently.
unsafe impl Sync for Device {}

// ---------------------------------------------------------------------------------------
// Drivers: a net_device whose operations and private data are Rust.
// ---------------------------------------------------------------------------------------

/// What `ndo_start_xmit` did with a packet.
pub enum TxOutcome {
    /// The packet was taken care of: sent, queued or dropped (`NETDEV_TX_OK`).
    Ok,
    /// The driver could not take it now; here it is back (`NETDEV_TX_BUSY`). The stack
    /// requeues it, so a driver returning this must have stopped the queue.
    Busy(OwnedSkBuff),
}

/// `struct rtnl_link_stats64`, which `ndo_get_stats64` fills in for `ip -s link`.
#[repr(transparent)]
pub struct Stats64(bindings::rtnl_link_stats64);

impl Stats64 {
    /// Adds to the receive counters.
    pub fn add_rx(&mut self, packets: u64, bytes: u64, dropped: u64) {
        self.0.rx_packets = self.0.rx_packets.wrapping_add(packets);
        self.0.rx_bytes = self.0.rx_bytes.wrapping_add(bytes);
        self.0.rx_dropped = self.0.rx_dropped.wrapping_add(dropped);
    }

    /// Adds to the transmit counters.
    pub fn add_tx(&mut self, packets: u64, bytes: u64, dropped: u64) {
        self.0.tx_packets = self.0.tx_packets.wrapping_add(packets);
        self.0.tx_bytes = self.0.tx_bytes.wrapping_add(bytes);
        self.0.tx_dropped = self.0.tx_dropped.wrapping_add(dropped);
    }
}

/// A network device driver: the `net_device_ops` and the private data of its devices.
///
/// The data lives in the device's private area (`netdev_priv`), pinned: it is initialised
/// in place by [`Driver::init`] from `ndo_init` (inside `register_netdevice`) and dropped
/// from `dev->priv_destructor`, once the last reference to the unregistered device is
/// gone. Receive queues with NAPI are part of the data ([`napi::Queues`](super::napi::Queues)).
///
/// Every operation that C calls with the RTNL held receives the [`Rtnl`] token.
#[vtable]
pub trait Driver: Sized + Send + Sync + 'static {
    /// Per-device private state.
    type Data: Send + Sync;

    /// Whether the devices are Ethernet devices: `ether_setup` and a random address when
    /// allocated (before [`LinkOps::setup`](super::rtnl::LinkOps::setup)), an
    /// `IFLA_ADDRESS` checked to be a valid unicast address, `eth_mac_addr` for
    /// `ndo_set_mac_address` and `eth_validate_addr` for `ndo_validate_addr`, as
    /// drivers/net/veth.c and dummy.c have them.
    const ETHERNET: bool = false;

    /// Builds the private data in place (`ndo_init`), while the device is being
    /// registered.
    fn init(dev: &Device, rtnl: &Rtnl) -> impl PinInit<Self::Data, Error>;

    /// The device goes up (`ndo_open`, from `dev_open`). The device's NAPI instances are
    /// enabled just before.
    fn open(_dev: &DriverDevice<Self>, _rtnl: &Rtnl) -> Result {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The device goes down (`ndo_stop`, from `dev_close`). By now `netif_running` is
    /// false and a grace period has passed; the device's NAPI instances are disabled just
    /// before (no poll runs).
    fn stop(_dev: &DriverDevice<Self>, _rtnl: &Rtnl) -> Result {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Transmits a packet (`ndo_start_xmit`): softirq or process context with bottom
    /// halves off (`rcu_read_lock_bh` in `__dev_queue_xmit`), which `bh` stands for; the
    /// transmit queue's lock held unless the device is lockless.
    fn start_xmit(skb: OwnedSkBuff, dev: &DriverDevice<Self>, bh: &rcu::BhGuard) -> TxOutcome;

    /// Fills in the device counters (`ndo_get_stats64`); may run in any context.
    fn get_stats64(_dev: &DriverDevice<Self>, _stats: &mut Stats64) {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Accepts or refuses a new Ethernet address (`ndo_set_mac_address`) before
    /// `eth_mac_addr` checks and commits it; without this operation an Ethernet driver
    /// takes any valid unicast address.
    fn set_mac_address(_dev: &DriverDevice<Self>, _mac: &MacAddr, _rtnl: &Rtnl) -> Result {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Changes the carrier on request (`ndo_change_carrier`: `ip link set X carrier on`).
    fn change_carrier(_dev: &DriverDevice<Self>, _on: bool, _rtnl: &Rtnl) -> Result {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Adjusts a feature set the core is about to apply (`ndo_fix_features`): returns
    /// what the device can do of it now.
    fn fix_features(_dev: &DriverDevice<Self>, _features: Features, _rtnl: &Rtnl) -> Features {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Applies a new feature set (`ndo_set_features`), before the core records it;
    /// `dev.features()` is still the old one.
    fn set_features(_dev: &DriverDevice<Self>, _features: Features, _rtnl: &Rtnl) -> Result {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Attaches (`Some`) or detaches (`None`) a native XDP program (`ndo_bpf`,
    /// `XDP_SETUP_PROG`, from `dev_xdp_install`). The driver takes its own reference if it
    /// keeps the program; an error leaves the device as it was and may say why in
    /// `extack`.
    fn xdp_setup(
        _dev: &DriverDevice<Self>,
        _prog: Option<&xdp::Prog>,
        _extack: &mut xdp::ExtAck<'_>,
        _rtnl: &Rtnl,
    ) -> Result {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Transmits the frames an XDP redirect sent to this device (`ndo_xdp_xmit`, from the
    /// redirecting device's NAPI context, bottom halves off: `bh`), in order: the driver
    /// [takes](xdp::Frames::take) each it sends and stops at the first it cannot, giving
    /// that one back; the caller frees the frames not taken.
    fn xdp_xmit(_dev: &DriverDevice<Self>, _frames: &mut xdp::XmitFrames<'_>, _bh: &rcu::BhGuard) {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The device's Rust fast-path slot ([`fastpath`]), if the driver runs one: how
    /// [`fastpath::attach`] finds it, as `dev_xdp_install` finds a driver's `ndo_bpf`.
    fn fastpath(_dev: &DriverDevice<Self>) -> &fastpath::Slot {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// What the abstraction keeps at the start of every Rust driver's private area, whatever
/// the driver: how a device is recognised as a `T` device, and state the C callbacks
/// need.
///
/// # Invariants
///
/// Written by `setup` before the device is visible to anyone else; `type_id` and the
/// function pointers never change afterwards.
#[repr(C)]
struct PrivHeader {
    /// `TypeId::of::<T>()` of the driver.
    type_id: TypeId,
    /// Whether the data after the header is initialised.
    ready: AtomicBool,
    /// The count `get_sset_count(ETH_SS_STATS)` last announced, which the core sized its
    /// `get_strings` buffer from.
    stats_count: AtomicU32,
    /// Finds the driver's fast-path slot, if the driver has one.
    fastpath: Option<for<'a> fn(&'a Device) -> Option<&'a fastpath::Slot>>,
}

/// The private area of a `T` device: the header, then the data.
///
/// # Invariants
///
/// `data` is initialised (and pinned) exactly while `header.ready` is true.
#[repr(C)]
struct PrivArea<T: Driver> {
    header: PrivHeader,
    data: MaybeUninit<T::Data>,
}

/// `netdev_priv(dev)`: the private area is the flexible array `dev->priv` at the end of
/// the device (a C static inline; computed here, as it is on every packet).
#[inline]
fn priv_area(dev: *mut bindings::net_device) -> *mut PrivHeader {
    // SAFETY: only an address inside the device allocation is computed, nothing is read.
    unsafe { core::ptr::addr_of_mut!((*dev).priv_).cast() }
}

/// What every Rust driver's device carries in `dev->ml_priv`, the "mid-layer private"
/// pointer (used by CAN devices; no Rust driver uses it otherwise): a `static` has an
/// address of its own, so a device with this one was set up by this abstraction.
static RUST_DEVICE: u8 = 0;

fn rust_device_marker() -> *mut core::ffi::c_void {
    core::ptr::addr_of!(RUST_DEVICE).cast_mut().cast()
}

/// The header of a device's private area, if a Rust driver set the device up.
fn rust_header(dev: &Device) -> Option<&PrivHeader> {
    // SAFETY: `ml_priv` of a valid device; a Rust driver's device gets it at setup, before
    // it is visible, and never changes it.
    if unsafe { (*dev.as_raw()).ml_priv } != rust_device_marker() {
        return None;
    }
    // SAFETY: only `init_header` stores the marker, and it writes a `PrivHeader` at the
    // start of the private area (sized for it) at the same time; the header lives as long
    // as the device.
    Some(unsafe { &*priv_area(dev.as_raw()) })
}

/// The device's Rust fast-path slot, if its driver has one.
pub(crate) fn fastpath_of(dev: &Device) -> Option<&fastpath::Slot> {
    (rust_header(dev)?.fastpath?)(dev)
}

/// The device's `get_sset_count` announcement cache (see [`PrivHeader::stats_count`]).
pub(crate) fn stats_count_slot(dev: &Device) -> Option<&AtomicU32> {
    rust_header(dev).map(|h| &h.stats_count)
}

/// The fast-path slot of `dev`, if it is a `T` device with initialised data.
fn fastpath_thunk<T: Driver>(dev: &Device) -> Option<&fastpath::Slot> {
    DriverDevice::<T>::from_device(dev).map(T::fastpath)
}

/// Writes the header of a new `T` device (from `setup`).
///
/// # Safety
///
/// `dev` was allocated with `priv_size::<T>()` bytes of zeroed private area, is being set
/// up and is not visible to anyone else.
pub(crate) unsafe fn init_header<T: Driver>(dev: *mut bindings::net_device) {
    // SAFETY: the caller's promise: the private area is ours and large enough.
    unsafe {
        priv_area(dev).write(PrivHeader {
            type_id: TypeId::of::<T>(),
            ready: AtomicBool::new(false),
            stats_count: AtomicU32::new(0),
            fastpath: if T::HAS_FASTPATH {
                Some(fastpath_thunk::<T>)
            } else {
                None
            },
        });
        (*dev).ml_priv = rust_device_marker();
        (*dev).netdev_ops = &OpsTable::<T>::NETDEV_OPS;
        (*dev).priv_destructor = Some(OpsTable::<T>::priv_destructor);
        (*dev).needs_free_netdev = true;
    }
}

/// The size the core must reserve for `T`'s private area (`priv_size`).
pub(crate) fn priv_size<T: Driver>() -> usize {
    // `dev->priv` is cache-line aligned (`____cacheline_aligned`), the most the area may
    // need.
    crate::build_assert!(
        core::mem::align_of::<PrivArea<T>>() <= bindings::L1_CACHE_BYTES as usize,
        "the driver's data needs more alignment than netdev_priv() gives"
    );
    core::mem::size_of::<PrivArea<T>>()
}

/// A device of the driver `T`: gives typed access to its private data.
///
/// # Invariants
///
/// The device was set up by `T`'s link registration (its private area is a
/// `PrivArea<T>`) and its data is initialised (it passed `ndo_init`).
#[repr(transparent)]
pub struct DriverDevice<T: Driver>(Device, PhantomData<T>);

impl<T: Driver> core::ops::Deref for DriverDevice<T> {
    type Target = Device;
    #[inline]
    fn deref(&self) -> &Device {
        &self.0
    }
}

impl<T: Driver> DriverDevice<T> {
    /// The one typed `netdev_priv` cast.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid device of driver `T` whose private data is initialised, both for
    /// `'a`.
    #[inline]
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // SAFETY: `repr(transparent)` over `Device`; the rest is the caller's promise.
        unsafe { &*ptr.cast() }
    }

    /// The device as a `T` device, if `T` drives it and its data is initialised: how a
    /// driver recognises its own devices (for example the other end of a pair, or a
    /// redirect target).
    #[inline]
    pub fn from_device(dev: &Device) -> Option<&Self> {
        let header = rust_header(dev)?;
        if header.type_id != TypeId::of::<T>() || !header.ready.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: a Rust device whose driver is `T` (the header's `TypeId`), with
        // initialised data (`ready`); the data lives until `priv_destructor`, which runs
        // only once no one uses the device, so at least as long as the borrow of `dev`.
        Some(unsafe { Self::from_raw(dev.as_raw()) })
    }

    /// The driver's private data.
    #[inline]
    pub fn data(&self) -> &T::Data {
        let area = priv_area(self.as_raw()).cast::<PrivArea<T>>();
        // SAFETY: the data is initialised (type invariant) and lives in the device
        // allocation until `priv_destructor`, after the last user of the device.
        unsafe { (*area).data.assume_init_ref() }
    }

    /// A counted reference to the device.
    pub fn to_aref(&self) -> ARef<Device> {
        ARef::from(&self.0)
    }

    /// Sets what `ethtool -K` may toggle (`dev->hw_features`); takes effect with
    /// [`DriverDevice::update_features`].
    pub fn set_hw_features(&self, features: Features, _rtnl: &Rtnl) {
        // SAFETY: the device is valid; the RTNL serialises every writer of `hw_features`
        // (the ethtool paths hold it too).
        unsafe { core::ptr::addr_of_mut!((*self.as_raw()).hw_features).write(features.bits()) };
    }

    /// What `ethtool -K` may toggle (`dev->hw_features`).
    pub fn hw_features(&self, _rtnl: &Rtnl) -> Features {
        // SAFETY: the device is valid; written only under the RTNL, which we hold.
        Features::from_bits(unsafe { (*self.as_raw()).hw_features })
    }

    /// Turns GRO off for now and as the wanted state, as veth does for a new device
    /// (`veth_disable_gro`), and recomputes the features.
    pub fn disable_gro(&self, rtnl: &Rtnl) {
        // SAFETY: the device is valid; `features` and `wanted_features` are written under
        // the RTNL, which we hold (readers on the packet path tolerate the change, as they
        // do for `netdev_update_features`).
        unsafe {
            let dev = self.as_raw();
            (*dev).features &= !Features::GRO.bits();
            (*dev).wanted_features &= !Features::GRO.bits();
        }
        self.update_features(rtnl);
    }

    /// Recomputes the device's features from what it can do and what was asked for,
    /// through `ndo_fix_features` and `ndo_set_features` (`netdev_update_features`).
    pub fn update_features(&self, _rtnl: &Rtnl) {
        // SAFETY: the device is registered and the RTNL is held, as the function asserts.
        unsafe { bindings::netdev_update_features(self.as_raw()) };
    }

    /// The largest MTU `dev_set_mtu` accepts (`dev->max_mtu`; 0: no bound).
    pub fn max_mtu(&self) -> u32 {
        // SAFETY: the device is valid; `READ_ONCE` of what the RTNL holder may change.
        unsafe { core::ptr::addr_of!((*self.as_raw()).max_mtu).read_volatile() }
    }

    /// Sets the largest MTU `dev_set_mtu` accepts (`dev->max_mtu`).
    pub fn set_max_mtu(&self, mtu: u32, _rtnl: &Rtnl) {
        // SAFETY: the device is valid; the MTU fields are written under the RTNL.
        unsafe { core::ptr::addr_of_mut!((*self.as_raw()).max_mtu).write_volatile(mtu) };
    }

    /// Changes the number of queues in use (`netif_set_real_num_tx_queues`,
    /// `netif_set_real_num_rx_queues`): at least 1, at most what the device was allocated
    /// with (`EINVAL` otherwise, nothing changed).
    pub fn set_real_num_queues(&self, tx: u32, rx: u32, _rtnl: &Rtnl) -> Result {
        if tx == 0 || rx == 0 || tx > self.num_tx_queues() || rx > self.num_rx_queues() {
            return Err(EINVAL);
        }
        let old_tx = self.real_num_tx_queues();
        // SAFETY: RTNL held; the counts are within the allocation (checked above).
        to_result(unsafe { bindings::netif_set_real_num_tx_queues(self.as_raw(), tx) })?;
        // SAFETY: as above.
        let rx_result = unsafe { bindings::netif_set_real_num_rx_queues(self.as_raw(), rx) };
        if rx_result < 0 {
            // SAFETY: as above; going back to the previous, valid count.
            unsafe { bindings::netif_set_real_num_tx_queues(self.as_raw(), old_tx) };
        }
        to_result(rx_result)
    }
}

/// Checks that `slot` lies inside the private data of `dev`, a `T` device being
/// initialised: how an object that registers itself with the device (a NAPI instance)
/// knows it lives exactly as long as the device's data.
pub(crate) fn is_in_private_data<T: Driver>(dev: &Device, slot: *const u8, size: usize) -> bool {
    let Some(header) = rust_header(dev) else {
        return false;
    };
    if header.type_id != TypeId::of::<T>() {
        return false;
    }
    let area = priv_area(dev.as_raw()).cast::<PrivArea<T>>();
    // SAFETY: computing the address of a field of the area, nothing is read.
    let start = unsafe { core::ptr::addr_of!((*area).data) }.cast::<u8>() as usize;
    let end = start + core::mem::size_of::<T::Data>();
    let (s, e) = (slot as usize, slot as usize + size);
    start <= s && e <= end
}

/// The C operation table of driver `T`, built at compile time.
pub(crate) struct OpsTable<T: Driver>(PhantomData<T>);

impl<T: Driver> OpsTable<T> {
    pub(crate) const NETDEV_OPS: bindings::net_device_ops = bindings::net_device_ops {
        ndo_init: Some(Self::init_callback),
        ndo_open: Some(Self::open_callback),
        ndo_stop: Some(Self::stop_callback),
        ndo_start_xmit: Some(Self::start_xmit_callback),
        ndo_get_stats64: if T::HAS_GET_STATS64 {
            Some(Self::get_stats64_callback)
        } else {
            None
        },
        ndo_set_mac_address: if T::ETHERNET {
            Some(Self::set_mac_address_callback)
        } else {
            None
        },
        ndo_validate_addr: if T::ETHERNET {
            Some(bindings::eth_validate_addr)
        } else {
            None
        },
        ndo_change_carrier: if T::HAS_CHANGE_CARRIER {
            Some(Self::change_carrier_callback)
        } else {
            None
        },
        ndo_fix_features: if T::HAS_FIX_FEATURES {
            Some(Self::fix_features_callback)
        } else {
            None
        },
        ndo_set_features: if T::HAS_SET_FEATURES {
            Some(Self::set_features_callback)
        } else {
            None
        },
        ndo_bpf: if T::HAS_XDP_SETUP {
            Some(Self::bpf_callback)
        } else {
            None
        },
        ndo_xdp_xmit: if T::HAS_XDP_XMIT {
            Some(Self::xdp_xmit_callback)
        } else {
            None
        },
        // SAFETY: every other member is an optional function pointer; all-zero is `None`.
        ..unsafe { MaybeUninit::zeroed().assume_init() }
    };

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn init_callback(dev: *mut bindings::net_device) -> i32 {
        from_result(|| {
            // SAFETY: the core calls `ndo_init` from `register_netdevice`, RTNL held, with a
            // valid device whose setup wrote the header.
            let (device, rtnl) = unsafe { (Device::from_raw(dev), Rtnl::assume_held()) };
            let area = priv_area(dev).cast::<PrivArea<T>>();
            // SAFETY: the data slot belongs to this device, is not initialised (`ndo_init`
            // runs once per registration; a failed one leaves it uninitialised) and does not
            // move: it is pinned in the device allocation until `priv_destructor`.
            unsafe {
                T::init(device, rtnl).__pinned_init((*area).data.as_mut_ptr())?;
                (*area).header.ready.store(true, Ordering::Release);
            }
            Ok(0)
        })
    }

    /// `dev->priv_destructor`: drops the private data once the device is unregistered and
    /// unreferenced (`netdev_run_todo`), or when registration fails after `ndo_init`.
    ///
    /// # Safety
    ///
    /// Called only by the core as `priv_destructor` of a `T` device, once, when nothing
    /// else uses the device.
    unsafe extern "C" fn priv_destructor(dev: *mut bindings::net_device) {
        let area = priv_area(dev).cast::<PrivArea<T>>();
        // SAFETY: the core calls this once, when no one else uses the device; the data is
        // initialised exactly when `ready` is set.
        unsafe {
            if (*area).header.ready.swap(false, Ordering::AcqRel) {
                (*area).data.assume_init_drop();
            }
        }
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn open_callback(dev: *mut bindings::net_device) -> i32 {
        // SAFETY: `dev_open` calls `ndo_open`, RTNL held, for registered (hence
        // initialised) devices.
        let (d, rtnl) = unsafe { (DriverDevice::<T>::from_raw(dev), Rtnl::assume_held()) };
        super::napi::enable_all(d, rtnl);
        if !T::HAS_OPEN {
            return 0;
        }
        let ret = from_result(|| T::open(d, rtnl).map(|()| 0));
        if ret != 0 {
            super::napi::disable_all(d, rtnl);
        }
        ret
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn stop_callback(dev: *mut bindings::net_device) -> i32 {
        // SAFETY: `dev_close` calls `ndo_stop`, RTNL held, for open devices.
        let (d, rtnl) = unsafe { (DriverDevice::<T>::from_raw(dev), Rtnl::assume_held()) };
        super::napi::disable_all(d, rtnl);
        if !T::HAS_STOP {
            return 0;
        }
        from_result(|| T::stop(d, rtnl).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn start_xmit_callback(
        skb: *mut bindings::sk_buff,
        dev: *mut bindings::net_device,
    ) -> bindings::netdev_tx_t {
        // SAFETY: the stack hands the driver ownership of `skb` (the device does not
        // advertise `IFF_TX_SKB_SHARING`, so no other sender uses the same buffer), for a
        // registered device.
        let (skb, dev) = unsafe { (OwnedSkBuff::from_raw(skb), DriverDevice::<T>::from_raw(dev)) };
        // SAFETY: the core calls `ndo_start_xmit` with bottom halves disabled
        // (`__dev_queue_xmit`'s `rcu_read_lock_bh`, pktgen's `local_bh_disable`).
        let outcome = unsafe { rcu::with_bh_disabled(|guard| T::start_xmit(skb, dev, guard)) };
        match outcome {
            TxOutcome::Ok => bindings::netdev_tx_NETDEV_TX_OK,
            TxOutcome::Busy(skb) => {
                // The stack keeps ownership on BUSY and requeues the same buffer.
                let _ = skb.into_raw();
                bindings::netdev_tx_NETDEV_TX_BUSY
            }
        }
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn get_stats64_callback(
        dev: *mut bindings::net_device,
        stats: *mut bindings::rtnl_link_stats64,
    ) {
        // `stats` may be only 4-byte aligned: rtnetlink hands out the payload of a 64-bit
        // netlink attribute, which x86 does not pad (`nla_need_padding_for_64bit`). So the
        // driver fills an aligned copy, written back unaligned.
        // SAFETY: an all-zero `rtnl_link_stats64` is valid (the core zeroes `stats` too).
        let mut local = Stats64(unsafe { MaybeUninit::zeroed().assume_init() });
        // SAFETY: the device is registered, hence initialised.
        let dev = unsafe { DriverDevice::from_raw(dev) };
        // Counted as a read-side section: `dev_seq_show` (/proc/net/dev) calls this inside
        // `rcu_read_lock()`, which nothing shows on a kernel without preemption counting.
        rcu::as_reader(|| T::get_stats64(dev, &mut local));
        // SAFETY: `stats` is valid for writes of one `rtnl_link_stats64` for this call.
        unsafe { stats.write_unaligned(local.0) };
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn set_mac_address_callback(
        dev: *mut bindings::net_device,
        addr: *mut core::ffi::c_void,
    ) -> i32 {
        from_result(|| {
            if T::HAS_SET_MAC_ADDRESS {
                let mut mac = [0u8; 6];
                let sa_data = core::mem::offset_of!(bindings::sockaddr, __bindgen_anon_1);
                // SAFETY: `addr` is a `struct sockaddr` whose `sa_data` holds at least the 6
                // bytes of an Ethernet address (`dev->addr_len`).
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        addr.cast::<u8>().add(sa_data),
                        mac.as_mut_ptr(),
                        6,
                    )
                };
                // SAFETY: `dev_set_mac_address` calls this for registered devices, RTNL
                // held.
                let (d, rtnl) = unsafe { (DriverDevice::<T>::from_raw(dev), Rtnl::assume_held()) };
                T::set_mac_address(d, &mac, rtnl)?;
            }
            // SAFETY: `eth_mac_addr` validates `addr` (a `struct sockaddr`) and commits it.
            to_result(unsafe { bindings::eth_mac_addr(dev, addr) })?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn change_carrier_callback(dev: *mut bindings::net_device, on: bool) -> i32 {
        // SAFETY: `dev_change_carrier` calls this for registered devices, RTNL held.
        let (d, rtnl) = unsafe { (DriverDevice::<T>::from_raw(dev), Rtnl::assume_held()) };
        from_result(|| T::change_carrier(d, on, rtnl).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn fix_features_callback(
        dev: *mut bindings::net_device,
        features: bindings::netdev_features_t,
    ) -> bindings::netdev_features_t {
        // SAFETY: `netdev_update_features` calls this for registered devices, RTNL held.
        let (d, rtnl) = unsafe { (DriverDevice::<T>::from_raw(dev), Rtnl::assume_held()) };
        T::fix_features(d, Features::from_bits(features), rtnl).bits()
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn set_features_callback(
        dev: *mut bindings::net_device,
        features: bindings::netdev_features_t,
    ) -> i32 {
        // SAFETY: `__netdev_update_features` calls this for registered devices, RTNL held.
        let (d, rtnl) = unsafe { (DriverDevice::<T>::from_raw(dev), Rtnl::assume_held()) };
        from_result(|| T::set_features(d, Features::from_bits(features), rtnl).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn bpf_callback(
        dev: *mut bindings::net_device,
        bpf: *mut bindings::netdev_bpf,
    ) -> i32 {
        // SAFETY: `bpf` is valid for this call (`dev_xdp_install` and friends).
        let bpf = unsafe { &mut *bpf };
        if bpf.command != bindings::bpf_netdev_command_XDP_SETUP_PROG {
            return EINVAL.to_errno();
        }
        // SAFETY: the `XDP_SETUP_PROG` member of the union is the one in use.
        let (prog, extack) = unsafe {
            let setup = &bpf.__bindgen_anon_1.__bindgen_anon_1;
            (setup.prog, setup.extack)
        };
        // SAFETY: a program from the core is valid for this call; so is `extack` (or null).
        let (prog_ref, mut extack) = unsafe {
            (
                (!prog.is_null()).then(|| xdp::Prog::from_raw(prog)),
                xdp::ExtAck::from_raw(extack),
            )
        };
        // SAFETY: `ndo_bpf` is called for registered devices, RTNL held (`ASSERT_RTNL` in
        // `dev_xdp_install`).
        let (dev, rtnl) = unsafe { (DriverDevice::<T>::from_raw(dev), Rtnl::assume_held()) };
        from_result(|| {
            T::xdp_setup(dev, prog_ref, &mut extack, rtnl)?;
            // On success the core's count on the program is ours ("moved into the
            // driver", dev_xdp_install); the driver took its own if it keeps it.
            if !prog.is_null() {
                // SAFETY: we own that one count.
                unsafe { bindings::bpf_prog_put(prog) };
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn xdp_xmit_callback(
        dev: *mut bindings::net_device,
        n: i32,
        frames: *mut *mut bindings::xdp_frame,
        flags: u32,
    ) -> i32 {
        if flags & !bindings::XDP_XMIT_FLAGS_MASK != 0 || n < 0 {
            return EINVAL.to_errno();
        }
        // SAFETY: `frames` holds `n` frames owned by the caller until we take them.
        let frames = unsafe { core::slice::from_raw_parts(frames, n as usize) };
        // SAFETY: called for registered devices.
        let dev = unsafe { DriverDevice::<T>::from_raw(dev) };
        // SAFETY: each frame is valid; the caller frees those not taken, from the count we
        // return on (`bq_xmit_all`), and gives up those taken.
        let mut frames = unsafe { xdp::XmitFrames::new(frames) };
        let xmit = |bh: &rcu::BhGuard| {
            T::xdp_xmit(dev, &mut frames, bh);
            frames.taken() as i32
        };
        // SAFETY: `ndo_xdp_xmit` is called from the redirecting side's NAPI context
        // (`xdp_do_flush`, `bq_xmit_all`) or a BPF test run under `local_bh_disable`:
        // bottom halves are off.
        unsafe { rcu::with_bh_disabled(xmit) }
    }
}
