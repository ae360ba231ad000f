// expect: E0423
// expect: cannot initialize a tuple struct which contains private fields
// Nor can the token be made by hand.
use core::marker::PhantomData;
use kernel::net::rtnl::{LinkOps, NewLink, Registered};
use kernel::prelude::*;

fn newlink<'a, T: LinkOps>(_link: &mut NewLink<'a, T>) -> Result<Registered<'a>> {
    Ok(Registered(PhantomData))
}
