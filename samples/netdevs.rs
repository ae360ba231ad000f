// SPDX-License-Identifier: GPL-2.0

//! Lesson 0: every packet starts and ends at a `struct net_device`.
//!
//! This module walks the device list of the initial network namespace and prints one
//! line per device, the same list `ip link` shows. In C the walk is
//! `for_each_netdev_rcu(&init_net, dev)` (include/linux/netdevice.h), which follows
//! `net->dev_base_head` under `rcu_read_lock()`; devices join that list in
//! `list_netdevice()` (net/core/dev.c) when `register_netdevice()` runs.
//!
//! Output, one line per device, then a count:
//!
//! ```text
//! netdevs: 1 lo mtu 65536 up carrier
//! netdevs: 3 devices in init_net
//! ```

use kernel::net::{dev::Device, ns::Namespace};
use kernel::prelude::*;
use kernel::sync::rcu;

module! {
    type: NetDevs,
    name: "netdevs",
    author: "netdive",
    description: "Lists the network devices of init_net (netdive lesson 0)",
    license: "GPL",
}

struct NetDevs;

fn describe(dev: &Device) {
    pr_info!(
        "{} {} mtu {} {} {}\n",
        dev.ifindex(),
        dev.name(),
        dev.mtu(),
        if dev.is_running() { "up" } else { "down" },
        if dev.has_carrier() {
            "carrier"
        } else {
            "no-carrier"
        },
    );
}

impl kernel::Module for NetDevs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let guard = rcu::read_lock();
        let count = Namespace::init_ns()
            .devices(&guard)
            .inspect(|dev| describe(dev))
            .count();
        pr_info!("{} devices in init_net\n", count);
        Ok(NetDevs)
    }
}
