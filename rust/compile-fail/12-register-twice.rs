// expect: E0499
// expect: cannot borrow `*link` as mutable more than once at a time
// A request registers its device once (`register_netdevice` twice stops the kernel); a
// second call while the first's device is in use does not build, and one after it
// fails with EEXIST at run time.
use kernel::net::rtnl::{LinkOps, NewLink};
use kernel::prelude::*;

fn misuse<T: LinkOps>(link: &mut NewLink<'_, T>) -> Result {
    let (first, _) = link.register()?;
    let _second = link.register()?;
    first.carrier_on();
    Ok(())
}
