// expect: E0502
// expect: cannot borrow `*skb` as mutable because it is also borrowed as immutable
// A reject changes the packet's metadata (its route, its device) and, for IPv6, may swap
// header bytes in place: no slice of the packet may be held across it.
use kernel::net::netfilter::HookSkb;

fn misuse(skb: &mut HookSkb<'_>) -> u8 {
    let bytes = skb.data();
    skb.send_unreachable(3);
    bytes[0]
}
