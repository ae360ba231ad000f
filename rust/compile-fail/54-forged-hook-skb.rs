// expect: E0308
// expect: expected `&mut HookSkb<'_>`, found `&mut OwnedSkBuff`
// A buffer of one's own cannot stand in for the hook's packet where a reject is sent
// (only the netfilter adapter makes a `HookSkb`: its fields are private).
use kernel::net::netfilter::HookSkb;
use kernel::net::skb::OwnedSkBuff;

fn answer(skb: &mut HookSkb<'_>) {
    skb.send_unreachable(3);
}

fn misuse(own: &mut OwnedSkBuff) {
    answer(own);
}
