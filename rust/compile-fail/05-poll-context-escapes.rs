// expect: E0277
// expect: cannot be shared between threads safely
// The poll's context stays on the CPU running the poll: it cannot be handed to another
// thread.
use kernel::net::napi;

fn needs_send<T: Send>(_: T) {}

fn misuse<Q: napi::Poll>(ctx: &napi::Context<'_, Q>) {
    needs_send(ctx);
}
