// expect: E0080
// expect: the alias must be "rtnl-link-" followed by the type's LinkOps::KIND
// `ip link add ... type rdum` asks for module alias `rtnl-link-rdum`: a module whose
// alias names another kind is never loaded on demand. `module_rtnl_link!` refuses to
// build it.
use kernel::net::{
    dev::{self, Device, DriverDevice, TxOutcome},
    rtnl::{self, Rtnl},
    skb::OwnedSkBuff,
};
use kernel::prelude::*;
use kernel::sync::rcu::BhGuard;
use kernel::{c_str, str::CStr};

struct Rdum;

#[vtable]
impl dev::Driver for Rdum {
    type Data = ();

    fn init(_dev: &Device, _rtnl: &Rtnl) -> impl PinInit<(), Error> {
        ()
    }

    fn start_xmit(_skb: OwnedSkBuff, _dev: &DriverDevice<Self>, _bh: &BhGuard) -> TxOutcome {
        TxOutcome::Ok
    }
}

#[vtable]
impl rtnl::LinkOps for Rdum {
    const KIND: &'static CStr = c_str!("rdum");

    fn setup(_dev: &mut rtnl::Setup<'_, Self>) {}
}

kernel::module_rtnl_link! {
    type: Rdum,
    name: "rdum",
    alias: "rtnl-link-rdummy",
    author: "netdive",
    description: "a module whose alias names another kind",
    license: "GPL",
}
