// expect: E0594
// expect: cannot assign to data in a `&` reference
// A netfilter hook borrows the packet: it may read it, not write it.
use kernel::net::skb::SkBuff;

fn misuse(skb: &SkBuff) {
    skb.data()[0] = 0;
}
