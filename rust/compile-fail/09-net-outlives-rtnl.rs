// expect: E0597
// expect: `rtnl` does not live long enough
// A device's namespace is stable only while the RTNL is held (a device moves, and a
// namespace is dismantled, under it): the reference cannot outlive the lock.
use kernel::net::{dev::Device, rtnl};

fn misuse(dev: &Device) -> *mut kernel::bindings::net {
    let net = {
        let rtnl = rtnl::lock();
        dev.net(&rtnl)
    };
    net.as_raw()
}
