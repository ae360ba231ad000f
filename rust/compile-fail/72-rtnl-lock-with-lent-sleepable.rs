// expect: E0308
// expect: types differ in mutability
// Under the RTNL the guard lends the capability back so the code may still sleep, but
// shared: it cannot take the RTNL a second time.
use kernel::net::rtnl;
use kernel::prelude::*;
use kernel::sync::sleep::Sleepable;

fn misuse(ctx: &mut Sleepable) -> Result {
    let guard = rtnl::lock(ctx)?;
    let _again = rtnl::lock(guard.sleepable());
    Ok(())
}
