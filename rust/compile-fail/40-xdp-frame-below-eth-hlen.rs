// expect: E0061
// expect: takes 1 argument but 2 arguments were supplied
// An XDP frame never becomes shorter than an Ethernet header (issue 22): the floor is the
// API's, `xdp::Frame::MIN_LEN`, as `bpf_xdp_adjust_head`/`_tail` enforce ETH_HLEN
// (net/core/filter.c), not a caller's argument that could be zero and let a 1-byte frame
// reach `eth_type_trans` in `into_skb`.
use kernel::net::xdp;

fn misuse(frame: &mut xdp::Frame) {
    let _ = frame.adjust_tail(-100, 0);
}
