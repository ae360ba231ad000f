// expect: E0308
// expect: types differ in mutability
// A callback the core runs under the RTNL (`ndo_open`, `newlink`, pernet `exit` called by
// an unregistration under it) has at most `&Rtnl` and a shared `&Sleepable`: enough to
// sleep, not to take the RTNL again.
use kernel::net::{dev::Device, rtnl, rtnl::Rtnl};
use kernel::sync::sleep::Sleepable;

fn open(dev: &Device, _rtnl: &Rtnl, ctx: &Sleepable) {
    let _again = rtnl::lock(ctx);
    let _ = dev;
}
