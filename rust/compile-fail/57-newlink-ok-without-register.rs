// expect: E0053
// expect: expected `Registered<'a>`, found `()`
// A `newlink` that succeeds must have registered its device: the core applies the
// request's flags to it and, on a later failure, calls `dellink` on it
// (`rtnl_newlink_create`), which for an unregistered device means driver data that was
// never initialised. The trait's `newlink` returns the token only `NewLink::register`
// makes; a link type whose `newlink` says plain `Ok(())` does not implement it.
use kernel::c_str;
use kernel::net::dev::{self, Device, DriverDevice, TxOutcome};
use kernel::net::rtnl::{self, NewLink, Rtnl, Setup};
use kernel::net::skb::OwnedSkBuff;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::rcu;

struct Lazy;

#[vtable]
impl dev::Driver for Lazy {
    type Data = ();
    fn init(_dev: &Device, _rtnl: &Rtnl) -> impl PinInit<(), Error> {}
    fn start_xmit(skb: OwnedSkBuff, _dev: &DriverDevice<Self>, _bh: &rcu::BhGuard) -> TxOutcome {
        skb.consume();
        TxOutcome::Ok
    }
}

#[vtable]
impl rtnl::LinkOps for Lazy {
    const KIND: &'static CStr = c_str!("lazy");
    fn setup(_dev: &mut Setup<'_, Self>) {}
    fn newlink<'a>(_link: &mut NewLink<'a, Self>) -> Result {
        Ok(())
    }
}
