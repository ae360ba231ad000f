// expect: E0603
// expect: tuple struct constructor `Registered` is private
// Nor can the token be made by hand.
use core::marker::PhantomData;
use kernel::net::rtnl::{LinkOps, NewLink, Registered};
use kernel::prelude::*;

fn newlink<'a, T: LinkOps>(_link: &mut NewLink<'a, T>) -> Result<Registered<'a>> {
    Ok(Registered(PhantomData))
}
