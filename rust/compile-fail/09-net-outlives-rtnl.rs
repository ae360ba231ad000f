// expect: E0597
// expect: `rtnl` does not live long enough
// A device's namespace is stable only while the RTNL is held (a device moves, and a
// namespace is dismantled, under it): the reference cannot outlive the lock.
use kernel::net::{dev::Device, rtnl};
use kernel::prelude::*;
use kernel::sync::sleep::Sleepable;

fn misuse(dev: &Device, ctx: &mut Sleepable) -> Result<*mut kernel::bindings::net> {
    let net = {
        let rtnl = rtnl::lock(ctx)?;
        dev.net(&rtnl)
    };
    Ok(net.as_raw())
}
