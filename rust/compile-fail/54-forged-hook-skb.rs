// expect: E0451
// expect: is private
// A `HookSkb` is made by the netfilter adapter for the packet of the hook call, and by
// nobody else: a buffer of one's own cannot be dressed up as a hook's packet.
use core::{marker::PhantomData, ptr::NonNull};
use kernel::net::netfilter::{Family, HookPoint, HookSkb};
use kernel::net::skb::OwnedSkBuff;

fn misuse(own: &OwnedSkBuff) -> HookSkb<'static> {
    HookSkb {
        skb: NonNull::new(own.as_raw()).unwrap(),
        state: todo!(),
        point: HookPoint::LocalIn,
        family: Family::Ipv4,
        _p: PhantomData,
    }
}
