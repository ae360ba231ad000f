// expect: compiles
// The control for cases 57 to 59: a `newlink` registers its device and returns the token
// `register` gave it.
use kernel::net::rtnl::{LinkOps, NewLink, Registered};
use kernel::prelude::*;

fn newlink<'a, T: LinkOps>(link: &mut NewLink<'a, T>) -> Result<Registered<'a>> {
    let (dev, registered) = link.register()?;
    dev.carrier_off();
    Ok(registered)
}
