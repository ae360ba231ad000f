// expect: E0308
// expect: expected `&Sleepable`, found `&Context<'_, Q>`
// A NAPI poll runs in softirq context, where nothing may sleep: a socket call that can
// block (waiting for data, for the socket's lock) needs a `Sleepable`, which a poll does
// not have.
use kernel::net::{napi, socket::Socket};

fn misuse<Q: napi::Poll>(sock: &Socket, ctx: &napi::Context<'_, Q>) {
    let mut buf = [0u8; 64];
    let _ = sock.recv(&mut buf, ctx);
}
