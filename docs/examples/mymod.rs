// SPDX-License-Identifier: GPL-2.0

//! A module of your own, built against the lab kernel with the top-level `Kbuild`
//! (README, "Your own module against the lab kernel").

use kernel::net::ns::Namespace;
use kernel::prelude::*;
use kernel::sync::rcu;

module! {
    type: MyMod,
    name: "mymod",
    author: "you",
    description: "A first module against the netdive lab kernel",
    license: "GPL",
}

struct MyMod;

impl kernel::Module for MyMod {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let guard = rcu::read_lock();
        let up = Namespace::init_ns()
            .devices(&guard)
            .filter(|dev| dev.is_running())
            .count();
        pr_info!("hello from mymod: {} device(s) up in init_net\n", up);
        Ok(MyMod)
    }
}
