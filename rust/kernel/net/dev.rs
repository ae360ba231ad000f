// SPDX-License-Identifier: GPL-2.0

//! Network devices.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)
//!
//! A `struct net_device` is what `ip link` lists: a name, an index, an MTU, flags and
//! the operations a driver provides. This module gives read access to any device and
//! reference counting (`dev_hold`/`dev_put`).

use crate::{
    bindings,
    str::CStr,
    types::{AlwaysRefCounted, Opaque},
};
use core::ptr::NonNull;

/// A network device: a wrapper around `struct net_device`.
///
/// # Invariants
///
/// The wrapped `net_device` is valid (registered or being set up) for as long as a
/// reference to this type exists: either the caller holds a reference count on it
/// ([`ARef<Device>`](crate::types::ARef)), or the borrow is tied to a context that keeps the
/// device alive (an RCU read-side section, the RTNL, or the driver owning it).
#[repr(transparent)]
pub struct Device(Opaque<bindings::net_device>);

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

    /// The interface name, `dev->name` (for example `eth0`).
    pub fn name(&self) -> &CStr {
        // SAFETY: `self.as_raw()` is valid by the type invariant; `netdev_name` returns a
        // NUL-terminated string inside the device, which lives as long as `self`.
        unsafe { CStr::from_char_ptr(bindings::netdev_name(self.as_raw())) }
    }

    /// The interface index, `dev->ifindex`: unique within the device's namespace.
    #[inline]
    pub fn ifindex(&self) -> i32 {
        // SAFETY: the device is valid by the type invariant; `ifindex` is set before
        // registration and read racily by the kernel itself (`READ_ONCE` not needed for int).
        unsafe { (*self.as_raw()).ifindex }
    }

    /// The maximum transmission unit, `dev->mtu`.
    pub fn mtu(&self) -> u32 {
        // SAFETY: the device is valid; `mtu` may change under us, which `read_volatile`
        // tolerates just as `READ_ONCE(dev->mtu)` does in C.
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
                .load(core::sync::atomic::Ordering::Relaxed)
        };
        state & (1 << bindings::netdev_state_t___LINK_STATE_START) != 0
    }

    /// Whether the link has carrier (`netif_carrier_ok`).
    pub fn has_carrier(&self) -> bool {
        // SAFETY: the device is valid by the type invariant.
        unsafe { bindings::netif_carrier_ok(self.as_raw()) }
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
// SAFETY: the accessors only read with the same tolerance for concurrent updates as C.
unsafe impl Sync for Device {}

// ---------------------------------------------------------------------------------------
// Drivers: a net_device whose operations and private data are Rust.
// ---------------------------------------------------------------------------------------

use crate::{
    error::{from_result, to_result, VTABLE_DEFAULT_ERROR},
    macros::vtable,
    net::{skb::SkBuff, xdp},
    prelude::*,
    sync::rcu,
    types::ARef,
};
use core::{marker::PhantomData, mem::MaybeUninit};

/// An Ethernet (MAC) address.
pub type MacAddr = [u8; 6];

impl Device {
    /// The device's Ethernet address, `dev->dev_addr`.
    pub fn mac(&self) -> MacAddr {
        let mut mac = [0u8; 6];
        // SAFETY: `dev_addr` points at `addr_len` (6 for Ethernet) bytes while the device
        // is valid; Ethernet setup allocated them.
        unsafe { core::ptr::copy_nonoverlapping((*self.as_raw()).dev_addr, mac.as_mut_ptr(), 6) };
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

    /// Marks the link up (`netif_carrier_on`): the stack starts transmitting.
    pub fn carrier_on(&self) {
        // SAFETY: the device is valid.
        unsafe { bindings::netif_carrier_on(self.as_raw()) };
    }

    /// Marks the link down (`netif_carrier_off`).
    pub fn carrier_off(&self) {
        // SAFETY: the device is valid.
        unsafe { bindings::netif_carrier_off(self.as_raw()) };
    }

    /// The namespace the device is in (`dev_net`).
    #[inline]
    pub fn net(&self) -> &super::ns::Namespace {
        // SAFETY: a device holds a reference on its namespace while it is in it, and a
        // device moves between namespaces only under the RTNL, with the device down.
        unsafe { super::ns::Namespace::from_raw(bindings::dev_net(self.as_raw())) }
    }
}

/// What `ndo_start_xmit` did with a packet.
pub enum TxOutcome {
    /// The packet was taken care of: sent, queued or dropped (`NETDEV_TX_OK`).
    Ok,
    /// The driver could not take it now; here it is back (`NETDEV_TX_BUSY`). The stack
    /// requeues it, so a driver returning this must have stopped the queue.
    Busy(SkBuff),
}

/// `struct rtnl_link_stats64`, which `ndo_get_stats64` fills in for `ip -s link`.
#[repr(transparent)]
pub struct Stats64(bindings::rtnl_link_stats64);

impl Stats64 {
    /// Adds to the receive counters.
    pub fn add_rx(&mut self, packets: u64, bytes: u64, dropped: u64) {
        self.0.rx_packets += packets;
        self.0.rx_bytes += bytes;
        self.0.rx_dropped += dropped;
    }

    /// Adds to the transmit counters.
    pub fn add_tx(&mut self, packets: u64, bytes: u64, dropped: u64) {
        self.0.tx_packets += packets;
        self.0.tx_bytes += bytes;
        self.0.tx_dropped += dropped;
    }
}

/// A network device driver: the `net_device_ops` and the private data of its devices.
///
/// The data lives in the device's private area (`netdev_priv`); it is initialised by
/// [`Driver::init`] from `ndo_init` (inside `register_netdevice`) and dropped from
/// `dev->priv_destructor`, once the last reference to the unregistered device is gone.
#[vtable]
pub trait Driver: Sized + Send + Sync + 'static {
    /// Per-device private state.
    type Data: Send + Sync;

    /// Builds the private data (`ndo_init`), while the device is being registered.
    fn init(dev: &Device) -> Result<Self::Data>;

    /// The device goes up (`ndo_open`, from `dev_open`, RTNL held).
    fn open(_dev: &DriverDevice<Self>) -> Result {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The device goes down (`ndo_stop`, from `dev_close`, RTNL held).
    fn stop(_dev: &DriverDevice<Self>) -> Result {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Transmits a packet (`ndo_start_xmit`): softirq or process context with bottom
    /// halves off, the transmit queue's lock held unless the device is lockless. Bottom
    /// halves off is an RCU read-side critical section, which `guard` stands for.
    fn start_xmit(skb: SkBuff, dev: &DriverDevice<Self>, guard: &rcu::Guard) -> TxOutcome;

    /// Fills in the device counters (`ndo_get_stats64`); may run in any context.
    fn get_stats64(_dev: &DriverDevice<Self>, _stats: &mut Stats64) {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Sets a new Ethernet address (`ndo_set_mac_address`); the default is
    /// `eth_mac_addr` (valid unicast address, device down unless live change is on).
    fn set_mac_address(_dev: &DriverDevice<Self>, _mac: &MacAddr) -> Result {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Attaches (`Some`) or detaches (`None`) a native XDP program (`ndo_bpf`,
    /// `XDP_SETUP_PROG`, from `dev_xdp_install`, RTNL held). The driver takes its own
    /// reference if it keeps the program; an error leaves the device as it was and may
    /// say why in `extack`.
    fn xdp_setup(
        _dev: &DriverDevice<Self>,
        _prog: Option<&xdp::Prog>,
        _extack: &mut xdp::ExtAck<'_>,
    ) -> Result {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Transmits one frame an XDP redirect sent to this device (`ndo_xdp_xmit`, NAPI
    /// context of the redirecting device). `Err` gives the frame back; the caller then
    /// frees it and the rest of its batch.
    fn xdp_xmit(_dev: &DriverDevice<Self>, _frame: xdp::Frame) -> Result<(), xdp::Frame> {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The private area of a driver's device: the data and whether it is initialised.
///
/// # Invariants
///
/// `data` is initialised (and pinned) exactly when `ready` is true.
#[repr(C)]
struct PrivArea<T: Driver> {
    ready: bool,
    data: MaybeUninit<T::Data>,
}

/// A device created by the driver `T`: gives typed access to its private data.
///
/// # Invariants
///
/// The device's `netdev_ops` is `T`'s table, so its private area is a `PrivArea<T>`, and
/// the private data is initialised (the device passed `ndo_init`).
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
    /// # Safety
    ///
    /// `ptr` is a valid device of driver `T` whose private data is initialised, valid
    /// for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // SAFETY: `repr(transparent)` over `Device`; the rest is the caller's promise.
        unsafe { &*ptr.cast() }
    }

    /// The device as a `T` device, if `T` drives it and it is initialised: how a driver
    /// recognises its own devices (for example the other end of a pair).
    #[inline]
    pub fn from_device(dev: &Device) -> Option<&Self> {
        // SAFETY: reading `netdev_ops` of a valid device; the private area of a device
        // with `T`'s table is a `PrivArea<T>`.
        let ready = unsafe {
            core::ptr::eq((*dev.as_raw()).netdev_ops, &OpsTable::<T>::NETDEV_OPS)
                && (*priv_area::<T>(dev.as_raw())).ready
        };
        // SAFETY: checked just above: a `T` device with initialised data.
        ready.then(|| unsafe { Self::from_raw(dev.as_raw()) })
    }

    /// The driver's private data.
    #[inline]
    pub fn data(&self) -> &T::Data {
        // SAFETY: the data is initialised (type invariant) and lives in the device
        // allocation until `priv_destructor`, after the last user of the device.
        unsafe { (*priv_area::<T>(self.as_raw())).data.assume_init_ref() }
    }

    /// A counted reference to the device.
    pub fn to_aref(&self) -> ARef<Device> {
        ARef::from(&self.0)
    }
}

/// `netdev_priv(dev)`: the private area is the flexible array `dev->priv` at the end of
/// the device (a C static inline; computed here, as it is on every packet).
#[inline]
fn priv_area<T: Driver>(dev: *mut bindings::net_device) -> *mut PrivArea<T> {
    // SAFETY: only an address inside the device allocation is computed, nothing is read.
    unsafe { core::ptr::addr_of_mut!((*dev).priv_).cast() }
}

/// The size the core must reserve for `T`'s private area (`priv_size`).
pub(crate) const fn priv_size<T: Driver>() -> usize {
    core::mem::size_of::<PrivArea<T>>()
}

/// The C operation tables of driver `T`, built at compile time.
pub(crate) struct OpsTable<T: Driver>(PhantomData<T>);

impl<T: Driver> OpsTable<T> {
    pub(crate) const NETDEV_OPS: bindings::net_device_ops = bindings::net_device_ops {
        ndo_init: Some(Self::init_callback),
        ndo_open: if T::HAS_OPEN {
            Some(Self::open_callback)
        } else {
            None
        },
        ndo_stop: if T::HAS_STOP {
            Some(Self::stop_callback)
        } else {
            None
        },
        ndo_start_xmit: Some(Self::start_xmit_callback),
        ndo_get_stats64: if T::HAS_GET_STATS64 {
            Some(Self::get_stats64_callback)
        } else {
            None
        },
        ndo_set_mac_address: if T::HAS_SET_MAC_ADDRESS {
            Some(Self::set_mac_address_callback)
        } else {
            Some(bindings::eth_mac_addr)
        },
        ndo_validate_addr: Some(bindings::eth_validate_addr),
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
            // SAFETY: the core calls `ndo_init` with a valid device being registered.
            let device = unsafe { Device::from_raw(dev) };
            let area = priv_area::<T>(dev);
            let data = T::init(device)?;
            // SAFETY: the private area belongs to this device and is not initialised yet
            // (`ndo_init` runs once per registration); it does not move afterwards.
            unsafe {
                (*area).data.write(data);
                (*area).ready = true;
            }
            Ok(0)
        })
    }

    /// `dev->priv_destructor`: drops the private data once the device is unregistered
    /// and unreferenced (`netdev_run_todo`), or when registration fails after `ndo_init`.
    ///
    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    pub(crate) unsafe extern "C" fn priv_destructor(dev: *mut bindings::net_device) {
        let area = priv_area::<T>(dev);
        // SAFETY: the core calls this once, when nothing else uses the device; the data is
        // initialised iff `ready`.
        unsafe {
            if (*area).ready {
                (*area).ready = false;
                (*area).data.assume_init_drop();
            }
        }
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn open_callback(dev: *mut bindings::net_device) -> i32 {
        // SAFETY: only registered (hence initialised) devices are opened.
        from_result(|| T::open(unsafe { DriverDevice::from_raw(dev) }).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn stop_callback(dev: *mut bindings::net_device) -> i32 {
        // SAFETY: only registered (hence initialised) devices are stopped.
        from_result(|| T::stop(unsafe { DriverDevice::from_raw(dev) }).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn start_xmit_callback(
        skb: *mut bindings::sk_buff,
        dev: *mut bindings::net_device,
    ) -> bindings::netdev_tx_t {
        // SAFETY: the stack hands the driver ownership of `skb`, for a registered device.
        let (skb, dev) = unsafe { (SkBuff::from_raw(skb), DriverDevice::<T>::from_raw(dev)) };
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
        T::get_stats64(unsafe { DriverDevice::from_raw(dev) }, &mut local);
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
            let mut mac = [0u8; 6];
            let sa_data = core::mem::offset_of!(bindings::sockaddr, __bindgen_anon_1);
            // SAFETY: `addr` is a `struct sockaddr` whose `sa_data` (at `sa_data`) holds at
            // least the 6 bytes of an Ethernet address (`dev->addr_len`).
            unsafe {
                core::ptr::copy_nonoverlapping(addr.cast::<u8>().add(sa_data), mac.as_mut_ptr(), 6)
            };
            // SAFETY: called for a registered device.
            T::set_mac_address(unsafe { DriverDevice::from_raw(dev) }, &mac)?;
            // SAFETY: the driver accepted `addr`; `eth_mac_addr` validates and commits it.
            to_result(unsafe { bindings::eth_mac_addr(dev, addr) })?;
            Ok(0)
        })
    }
}

impl<T: Driver> OpsTable<T> {
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
        // SAFETY: `ndo_bpf` is called for registered devices, RTNL held.
        let dev = unsafe { DriverDevice::<T>::from_raw(dev) };
        from_result(|| {
            T::xdp_setup(dev, prog_ref, &mut extack)?;
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
        let mut sent = 0;
        for &raw in frames {
            // SAFETY: each frame is valid and ours once taken; a multi-buffer frame (or a
            // null one) is left to the caller, which frees it with the rest.
            let Some(frame) = NonNull::new(raw).and_then(|p| unsafe { xdp::Frame::check(p) })
            else {
                break;
            };
            if let Err(frame) = T::xdp_xmit(dev, frame) {
                // The caller frees the frames from `sent` on.
                let _ = frame.into_raw();
                break;
            }
            sent += 1;
        }
        sent
    }
}

/// The other end of a device pair: an RCU-published, counted pointer to a device
/// (veth: `priv->peer`). Readers on the packet path look it up under RCU without a lock
/// ([`RcuRef::get`](super::RcuRef::get)); [`RcuRef::take`](super::RcuRef::take) clears it, waits for readers and hands the
/// reference back, so a device is never freed while a reader can still see it.
pub type Peer = super::RcuRef<Device>;
