// expect: E0599
// expect: no method named `send_tcp_reset` found for reference
// The hook's state cannot answer some other buffer for it: the reject helpers belong to
// the hook's own packet (`HookSkb`), not to the state, and take no buffer argument.
use kernel::net::{netfilter::HookState, skb::SkBuff};

fn misuse(state: &HookState<'_>, other: &SkBuff) {
    state.send_tcp_reset(other);
}
