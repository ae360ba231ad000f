// expect: E0599
// expect: no method named `send_unreachable` found
// Only the packet a hook was handed can be answered with a reject: `nf_send_unreach`
// routes the answer with the packet's own device or route and reads its IP header in
// place, which a buffer made here has not got (it would oops in `dev_net(skb->dev)`).
use kernel::net::skb::OwnedSkBuff;
use kernel::prelude::*;

fn misuse() -> Result {
    let mut skb = OwnedSkBuff::alloc(64)?;
    skb.send_unreachable(3);
    Ok(())
}
