// expect: compiles
// The control for cases 51 to 55: a hook reads its own packet, then answers it with a
// reject.
use kernel::net::netfilter::{HookPoint, HookSkb, HookState, Verdict};

fn hook(skb: &mut HookSkb<'_>, state: &HookState<'_>) -> Verdict {
    let first = skb.data().first().copied();
    if first.is_some() && state.hook() == HookPoint::LocalIn {
        skb.send_unreachable(3);
        return Verdict::Drop;
    }
    skb.send_tcp_reset();
    Verdict::Drop
}
