// expect: E0599
// expect: no method named `push` found
// Moving a borrowed packet's data pointer (`skb_push`) changes what its owner sees:
// only an owned buffer has `push`, and it unshares a cloned one first.
use kernel::net::skb::SkBuff;

fn misuse(skb: &SkBuff) {
    let _ = skb.push(14);
}
