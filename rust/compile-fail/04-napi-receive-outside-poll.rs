// expect: E0599
// expect: no method named `receive` found
// Only a poll hands packets to GRO: the transmit path, which holds the peer's NAPI
// instance to schedule it, cannot call `napi_gro_receive` on it.
use kernel::net::{napi, skb::OwnedSkBuff};

fn misuse<Q: napi::Poll>(peer_queue: &napi::Napi<Q>, skb: OwnedSkBuff) {
    peer_queue.receive(skb);
}
