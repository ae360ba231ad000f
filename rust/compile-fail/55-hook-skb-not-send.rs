// expect: E0277
// expect: cannot be sent between threads safely
// The hook's packet is lent for the call, on its CPU, inside netfilter's RCU section: it
// cannot be handed to another thread.
use kernel::net::netfilter::HookSkb;

fn send<T: Send>(_: T) {}

fn misuse(skb: &mut HookSkb<'_>) {
    send(skb);
}
