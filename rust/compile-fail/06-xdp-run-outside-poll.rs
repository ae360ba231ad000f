// expect: E0308
// expect: expected `&Context<'_, _>`, found `&BhGuard`
// An eBPF program runs only in a NAPI poll (its redirect state, `bpf_net_context`, lives
// there): bottom halves off is not enough.
use kernel::net::xdp;
use kernel::sync::rcu::BhGuard;

fn misuse(bh: &BhGuard, prog: &xdp::Prog, frame: xdp::Frame) {
    let _ = xdp::run(bh, prog, frame);
}
