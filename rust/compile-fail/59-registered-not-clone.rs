// expect: E0599
// expect: no method named `clone` found for struct
// One registration, one token: it cannot be copied and kept for a later request.
use kernel::net::rtnl::{LinkOps, NewLink, Registered};
use kernel::prelude::*;

fn newlink<'a, T: LinkOps>(link: &mut NewLink<'a, T>) -> Result<(Registered<'a>, Registered<'a>)> {
    let (_, registered) = link.register()?;
    Ok((registered.clone(), registered))
}
