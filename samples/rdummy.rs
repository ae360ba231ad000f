// SPDX-License-Identifier: GPL-2.0

//! Lesson 1b, the smallest driver: `rdummy`, drivers/net/dummy.c in Rust.
//!
//! `ip link add name d0 type rdummy` creates a device that counts every frame it is asked
//! to send and frees it. Nothing is received, nothing leaves the machine: a route to a
//! black hole with counters, which is what dummy is used for (a stable local address, a
//! place to point routes at, a target for pktgen).
//!
//! It is built on the same link layer as `rveth` (`kernel::net::dev`, `kernel::net::rtnl`)
//! and shows how little of it a device needs: no pair, no peer, no NAPI, no rings. The
//! link layer registers the device (`rtnl_newlink` → `register_netdevice`), calls
//! [`Rdummy::start_xmit`] for every frame (`dev_hard_start_xmit`), and queues the device
//! for unregistration on `ip link del`. As dummy.c:
//!
//! - transmit is lockless (`dev->lltx`) and counts per CPU (dummy: `dev->lstats`,
//!   `dev_lstats_add`), summed by `ndo_get_stats64` for `ip -s link`;
//! - no ARP (`IFF_NOARP`), no qdisc (`IFF_NO_QUEUE`), any MTU, a random address;
//! - the carrier is on, and `ip link set d0 carrier off|on` changes it
//!   (`ndo_change_carrier`);
//! - `ethtool -i d0` names the driver.
//!
//! One difference: dummy keeps `IFF_TX_SKB_SHARING`, so pktgen may hand it the same
//! buffer several times at once (`clone_skb`, `burst`). A Rust driver's transmit path owns
//! each buffer it gets, so the link layer clears that flag for every Rust driver, and
//! pktgen refuses those options here, as it does on veth.

use kernel::net::{
    dev::{self, Device, DriverDevice, Stats64, TxOutcome},
    ethtool::{self, DrvInfo},
    rtnl::{self, Rtnl, Setup},
    skb::OwnedSkBuff,
    stats::PerCpuCounters,
};
use kernel::prelude::*;
use kernel::sync::rcu::BhGuard;
use kernel::{c_str, str::CStr};

// Registers link kind `rdummy`; unloading deletes every rdummy device.
kernel::module_rtnl_link! {
    type: Rdummy,
    name: "rdummy",
    alias: "rtnl-link-rdummy",
    author: "netdive",
    description: "Dummy network device in Rust (netdive lesson 1b)",
    license: "GPL",
}

/// Per-CPU transmit counters: frames and bytes.
const TX_PACKETS: usize = 0;
const TX_BYTES: usize = 1;

struct Rdummy;

/// A device's private data (`netdev_priv`): its transmit counters.
struct RdummyPriv {
    tx: PerCpuCounters<2>,
}

#[vtable]
impl dev::Driver for Rdummy {
    type Data = RdummyPriv;

    const ETHERNET: bool = true;

    /// `ndo_init`: the counters, at zero.
    fn init(_dev: &Device, _rtnl: &Rtnl) -> impl PinInit<RdummyPriv, Error> {
        try_init!(RdummyPriv {
            tx: PerCpuCounters::new()?,
        })
    }

    /// `ndo_start_xmit`: count the frame, then free it as sent (`consume_skb`: no drop
    /// is reported, as none happened).
    fn start_xmit(skb: OwnedSkBuff, dev: &DriverDevice<Self>, _bh: &BhGuard) -> TxOutcome {
        let tx = &dev.data().tx;
        tx.add(TX_PACKETS, 1);
        tx.add(TX_BYTES, skb.len().into());
        skb.consume();
        TxOutcome::Ok
    }

    /// `ndo_get_stats64`: what was "sent", summed over the CPUs.
    fn get_stats64(dev: &DriverDevice<Self>, stats: &mut Stats64) {
        let [packets, bytes] = dev.data().tx.sum();
        stats.add_tx(packets, bytes, 0);
    }

    /// `ndo_change_carrier`: `ip link set d0 carrier on|off`.
    fn change_carrier(dev: &DriverDevice<Self>, on: bool, _rtnl: &Rtnl) -> Result {
        if on {
            dev.carrier_on();
        } else {
            dev.carrier_off();
        }
        Ok(())
    }
}

#[vtable]
impl rtnl::LinkOps for Rdummy {
    const KIND: &'static CStr = c_str!("rdummy");

    /// `setup`: dummy_setup's choices (the link layer did `ether_setup` and gave a random
    /// address). The default `newlink` registers the device, and the default `dellink`
    /// queues it for unregistration: a single device needs nothing more.
    fn setup(dev: &mut Setup<'_, Self>) {
        dev.set_no_queue();
        dev.set_lockless_tx();
        dev.set_live_addr_change();
        dev.set_no_arp();
        dev.set_mtu_range(0, 0);
        dev.set_ethtool_ops::<RdummyEthtool>();
    }
}

struct RdummyEthtool;

#[vtable]
impl ethtool::Operations for RdummyEthtool {
    type Driver = Rdummy;

    /// `ethtool -i d0`.
    fn get_drvinfo(_dev: &DriverDevice<Rdummy>, info: &mut DrvInfo) {
        info.set_driver(c_str!("rdummy"));
        info.set_version(c_str!("1.0"));
    }
}
