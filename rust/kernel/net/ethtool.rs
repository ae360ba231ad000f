// SPDX-License-Identifier: GPL-2.0

//! ethtool operations: `struct ethtool_ops`.
//!
//! C header: [`include/linux/ethtool.h`](srctree/include/linux/ethtool.h), core in
//! `net/ethtool/` (netlink) and `net/ethtool/ioctl.c`.
//!
//! `ethtool -i` calls `get_drvinfo`; `ethtool` (no option) `get_link_ksettings` and
//! `get_link`; `ethtool -S` first `get_sset_count(ETH_SS_STATS)`, then `get_strings`
//! for the names and `get_ethtool_stats` for the values, one `u64` per name.

use super::{
    dev::{Driver, DriverDevice},
    rtnl::Rtnl,
};
use crate::{bindings, macros::vtable, prelude::*, str::CStr};
use core::{fmt, marker::PhantomData, mem::MaybeUninit, sync::atomic::Ordering};

/// Length of one statistics name: `ETH_GSTRING_LEN`.
pub const GSTRING_LEN: usize = bindings::ETH_GSTRING_LEN as usize;

/// The most statistics a device may announce (the core refuses more than fit a
/// `kvmalloc` anyway).
const MAX_STATS: usize = 1 << 16;

/// What `ethtool -i` prints.
///
/// Corresponds to the kernel's `struct ethtool_drvinfo`
/// ([`include/uapi/linux/ethtool.h`](srctree/include/uapi/linux/ethtool.h)).
#[repr(transparent)]
pub struct DrvInfo(bindings::ethtool_drvinfo);

fn copy_cstr(dst: &mut [u8], src: &CStr) {
    let n = src.len().min(dst.len() - 1);
    for (d, s) in dst.iter_mut().zip(&src.as_bytes()[..n]) {
        *d = *s;
    }
    dst[n] = 0;
}

impl DrvInfo {
    /// Sets the driver name (`driver:`).
    pub fn set_driver(&mut self, name: &CStr) {
        copy_cstr(&mut self.0.driver, name);
    }

    /// Sets the driver version (`version:`).
    pub fn set_version(&mut self, version: &CStr) {
        copy_cstr(&mut self.0.version, version);
    }

    /// Sets the bus information (`bus-info:`).
    pub fn set_bus_info(&mut self, bus: &CStr) {
        copy_cstr(&mut self.0.bus_info, bus);
    }
}

/// The link settings `ethtool <dev>` shows.
///
/// Corresponds to the kernel's `struct ethtool_link_ksettings`
/// ([`include/linux/ethtool.h`](srctree/include/linux/ethtool.h)).
#[repr(transparent)]
pub struct LinkSettings(bindings::ethtool_link_ksettings);

impl LinkSettings {
    /// Speed in Mb/s and full duplex, twisted pair, no autonegotiation: what a virtual
    /// Ethernet device reports (veth says 10000).
    pub fn set_virtual(&mut self, speed_mbps: u32) {
        self.0.base.speed = speed_mbps;
        self.0.base.duplex = bindings::DUPLEX_FULL as u8;
        self.0.base.port = bindings::PORT_TP as u8;
        self.0.base.autoneg = bindings::AUTONEG_DISABLE as u8;
    }
}

/// The queue counts `ethtool -l` shows and `ethtool -L` asks for.
///
/// Corresponds to the kernel's `struct ethtool_channels`
/// ([`include/uapi/linux/ethtool.h`](srctree/include/uapi/linux/ethtool.h)).
#[repr(transparent)]
pub struct Channels(bindings::ethtool_channels);

impl Channels {
    /// Receive-only queues in use (`rx_count`).
    pub fn rx(&self) -> u32 {
        self.0.rx_count
    }

    /// Transmit-only queues in use (`tx_count`).
    pub fn tx(&self) -> u32 {
        self.0.tx_count
    }

    /// Combined queues (`combined_count`), and other (`other_count`): a request for them
    /// is one a device with separate queues refuses.
    pub fn combined_or_other(&self) -> u32 {
        self.0.combined_count | self.0.other_count
    }

    /// Reports the counts in use and the most the device has.
    pub fn set(&mut self, rx: u32, tx: u32, max_rx: u32, max_tx: u32) {
        self.0.rx_count = rx;
        self.0.tx_count = tx;
        self.0.max_rx = max_rx;
        self.0.max_tx = max_tx;
    }
}

/// Writes the statistics names for `get_strings`, one `ETH_GSTRING_LEN` slot each.
pub struct Strings<'a> {
    buf: &'a mut [u8],
    used: usize,
}

impl Strings<'_> {
    /// Adds one name (truncated to 31 bytes); names beyond the announced count are
    /// ignored.
    pub fn push(&mut self, name: fmt::Arguments<'_>) {
        let start = self.used * GSTRING_LEN;
        let Some(slot) = self.buf.get_mut(start..start + GSTRING_LEN) else {
            return;
        };
        slot.fill(0);
        let mut w = SlotWriter { slot, len: 0 };
        let _ = fmt::write(&mut w, name);
        self.used += 1;
    }
}

struct SlotWriter<'a> {
    slot: &'a mut [u8],
    len: usize,
}

impl fmt::Write for SlotWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if self.len + 1 >= self.slot.len() {
                break;
            }
            self.slot[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

/// The ethtool operations of a driver's devices.
///
/// Corresponds to the kernel's `struct ethtool_ops`
/// ([`include/linux/ethtool.h`](srctree/include/linux/ethtool.h)).
#[vtable]
pub trait Operations: 'static {
    /// The driver whose devices these operations serve.
    type Driver: Driver;

    /// `ethtool -i`.
    fn get_drvinfo(dev: &DriverDevice<Self::Driver>, info: &mut DrvInfo);

    /// `ethtool <dev>`: speed, duplex, port.
    fn get_link_ksettings(_dev: &DriverDevice<Self::Driver>, _s: &mut LinkSettings) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// `ethtool -l`: the queue counts.
    fn get_channels(_dev: &DriverDevice<Self::Driver>, _ch: &mut Channels) {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// `ethtool -L`: new queue counts (RTNL held). The core has checked them against the
    /// maximums `get_channels` reported.
    fn set_channels(_dev: &DriverDevice<Self::Driver>, _ch: &Channels, _rtnl: &Rtnl) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// How many statistics `ethtool -S` shows.
    fn stats_count(_dev: &DriverDevice<Self::Driver>) -> usize {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Their names, in order.
    fn stats_strings(_dev: &DriverDevice<Self::Driver>, _names: &mut Strings<'_>) {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Their values, in the same order.
    fn stats_values(_dev: &DriverDevice<Self::Driver>, _values: &mut [u64]) {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }
}

pub(crate) struct OpsTable<E: Operations>(PhantomData<E>);

impl<E: Operations> OpsTable<E> {
    pub(crate) const OPS: bindings::ethtool_ops = bindings::ethtool_ops {
        get_drvinfo: Some(Self::get_drvinfo),
        get_link: Some(bindings::ethtool_op_get_link),
        get_link_ksettings: if E::HAS_GET_LINK_KSETTINGS {
            Some(Self::get_link_ksettings)
        } else {
            None
        },
        get_channels: if E::HAS_GET_CHANNELS {
            Some(Self::get_channels)
        } else {
            None
        },
        set_channels: if E::HAS_SET_CHANNELS {
            Some(Self::set_channels)
        } else {
            None
        },
        get_ts_info: Some(bindings::ethtool_op_get_ts_info),
        get_sset_count: if E::HAS_STATS_COUNT {
            Some(Self::get_sset_count)
        } else {
            None
        },
        get_strings: if E::HAS_STATS_STRINGS {
            Some(Self::get_strings)
        } else {
            None
        },
        get_ethtool_stats: if E::HAS_STATS_VALUES {
            Some(Self::get_ethtool_stats)
        } else {
            None
        },
        // SAFETY: every other member is an optional function pointer or a flag word;
        // all-zero means "not supported".
        ..unsafe { MaybeUninit::zeroed().assume_init() }
    };

    /// # Safety
    ///
    /// `dev` is a registered device of `E::Driver` (ethtool only reaches registered
    /// devices, and these ops are only installed on devices of that driver).
    unsafe fn dev<'a>(dev: *mut bindings::net_device) -> &'a DriverDevice<E::Driver> {
        // SAFETY: per the function's contract.
        unsafe { DriverDevice::from_raw(dev) }
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn get_drvinfo(
        dev: *mut bindings::net_device,
        info: *mut bindings::ethtool_drvinfo,
    ) {
        // SAFETY: a registered device of ours; `info` is valid for this call.
        unsafe { E::get_drvinfo(Self::dev(dev), &mut *info.cast::<DrvInfo>()) };
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn get_link_ksettings(
        dev: *mut bindings::net_device,
        s: *mut bindings::ethtool_link_ksettings,
    ) -> i32 {
        crate::error::from_result(|| {
            // SAFETY: a registered device of ours; `s` is valid for this call.
            unsafe { E::get_link_ksettings(Self::dev(dev), &mut *s.cast::<LinkSettings>()) }
                .map(|()| 0)
        })
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn get_channels(
        dev: *mut bindings::net_device,
        ch: *mut bindings::ethtool_channels,
    ) {
        // SAFETY: a registered device of ours; `ch` is valid for this call.
        unsafe { E::get_channels(Self::dev(dev), &mut *ch.cast::<Channels>()) };
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn set_channels(
        dev: *mut bindings::net_device,
        ch: *mut bindings::ethtool_channels,
    ) -> i32 {
        crate::error::from_result(|| {
            // SAFETY: a registered device of ours; `ch` is valid for this call; ethtool
            // sets channels with the RTNL held (`ethtool_set_channels`, the channels
            // netlink request).
            unsafe { E::set_channels(Self::dev(dev), &*ch.cast::<Channels>(), Rtnl::assume_held()) }
                .map(|()| 0)
        })
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn get_sset_count(dev: *mut bindings::net_device, sset: i32) -> i32 {
        if sset != bindings::ethtool_stringset_ETH_SS_STATS as i32 {
            return super::errno(bindings::EOPNOTSUPP).to_errno();
        }
        // SAFETY: a registered device of ours.
        let dev = unsafe { Self::dev(dev) };
        let n = E::stats_count(dev).min(MAX_STATS);
        // `get_strings` gets no length: it writes the count announced here, which the core
        // sized its buffer from (under the RTNL, which both calls run in).
        if let Some(slot) = super::dev::stats_count_slot(dev) {
            slot.store(n as u32, Ordering::Relaxed);
        }
        n as i32
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn get_strings(dev: *mut bindings::net_device, sset: u32, buf: *mut u8) {
        if sset != bindings::ethtool_stringset_ETH_SS_STATS {
            return;
        }
        // SAFETY: a registered device of ours.
        let dev = unsafe { Self::dev(dev) };
        let Some(n) = super::dev::stats_count_slot(dev).map(|s| s.load(Ordering::Relaxed)) else {
            return;
        };
        // SAFETY: every caller (`ethtool_get_strings`, the strset netlink request) holds
        // the RTNL from its `get_sset_count(ETH_SS_STATS)` call, which stored `n`, to this
        // one, and allocated `n * ETH_GSTRING_LEN` bytes (zeroed) at `buf` for it.
        let buf = unsafe { core::slice::from_raw_parts_mut(buf, n as usize * GSTRING_LEN) };
        E::stats_strings(dev, &mut Strings { buf, used: 0 });
    }

    /// # Safety
    ///
    /// Called only by the kernel through the C operation table, with the arguments
    /// the C contract of this callback guarantees.
    unsafe extern "C" fn get_ethtool_stats(
        dev: *mut bindings::net_device,
        stats: *mut bindings::ethtool_stats,
        data: *mut u64,
    ) {
        // SAFETY: a registered device of ours.
        let dev = unsafe { Self::dev(dev) };
        // SAFETY: `ethtool_get_stats` allocated `stats->n_stats` values (zeroed) at `data`
        // and says so in `n_stats`.
        let values = unsafe { core::slice::from_raw_parts_mut(data, (*stats).n_stats as usize) };
        E::stats_values(dev, values);
    }
}
