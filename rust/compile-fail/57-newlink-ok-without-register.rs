// expect: E0308
// expect: expected `Registered<'_>`, found `()`
// A `newlink` that succeeds must have registered its device: the core applies the
// request's flags to it and, on a later failure, calls `dellink` on it
// (`rtnl_newlink_create`), which for an unregistered device means driver data that was
// never initialised. Success is the token only `NewLink::register` makes.
use kernel::net::rtnl::{LinkOps, NewLink, Registered};
use kernel::prelude::*;

fn newlink<'a, T: LinkOps>(link: &mut NewLink<'a, T>) -> Result<Registered<'a>> {
    let _ = link.requested_queues();
    Ok(())
}
