// SPDX-License-Identifier: GPL-2.0
//! Header parsing: well-formed packets of each kind, packets of every size, fragments,
//! extension-header chains, packets spread over several buffers, and every way a header
//! can lie.

extern crate std;
use crate::hdr::*;
use std::vec::Vec;

fn ipv4_packet(proto: u8, l4: &[u8], options: usize) -> Vec<u8> {
    let ihl = 20 + options;
    let total = ihl + l4.len();
    let mut p = std::vec![0u8; ihl];
    p[0] = 0x40 | (ihl / 4) as u8;
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p[8] = 64;
    p[9] = proto;
    p[12..16].copy_from_slice(&[10, 9, 0, 1]);
    p[16..20].copy_from_slice(&[10, 9, 0, 2]);
    p.extend_from_slice(l4);
    p
}

/// Sets the IPv4 fragment field: `offset` in 8-byte units, and More Fragments.
fn fragment(mut p: Vec<u8>, offset: u16, more: bool) -> Vec<u8> {
    let v = offset | if more { 0x2000 } else { 0 };
    p[6..8].copy_from_slice(&v.to_be_bytes());
    p
}

fn udp(sport: u16, dport: u16) -> Vec<u8> {
    let mut u = std::vec![0u8; 8];
    u[0..2].copy_from_slice(&sport.to_be_bytes());
    u[2..4].copy_from_slice(&dport.to_be_bytes());
    u
}

fn tcp(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let mut t = std::vec![0u8; 20];
    t[0..2].copy_from_slice(&sport.to_be_bytes());
    t[2..4].copy_from_slice(&dport.to_be_bytes());
    t[12] = 5 << 4;
    t[13] = flags;
    t
}

fn ipv6_packet(next: u8, ext: &[u8], l4: &[u8]) -> Vec<u8> {
    let mut p = std::vec![0u8; 40];
    p[0] = 0x60;
    p[4..6].copy_from_slice(&((ext.len() + l4.len()) as u16).to_be_bytes());
    p[6] = next;
    p[7] = 255;
    p[8..24].copy_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p[24..40].copy_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    p.extend_from_slice(ext);
    p.extend_from_slice(l4);
    p
}

fn v4(b: &[u8]) -> Result<Packet, Malformed> {
    ipv4(b, false)
}

fn v6(b: &[u8]) -> Result<Packet, Malformed> {
    ipv6(b, false)
}

/// A packet spread over buffers of `chunk` bytes, as an `sk_buff` with fragments is: the
/// parsers read it through `Bytes` and must not care where one buffer ends.
struct Chunked {
    chunks: Vec<Vec<u8>>,
    len: usize,
}

impl Chunked {
    fn new(b: &[u8], chunk: usize) -> Self {
        Self {
            chunks: b.chunks(chunk).map(|c| c.to_vec()).collect(),
            len: b.len(),
        }
    }
}

impl Bytes for Chunked {
    fn len(&self) -> usize {
        self.len
    }

    fn read<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        if at.checked_add(N)? > self.len {
            return None;
        }
        let mut out = [0u8; N];
        let size = self.chunks[0].len();
        for (i, o) in out.iter_mut().enumerate() {
            let pos = at + i;
            *o = self.chunks[pos / size][pos % size];
        }
        Some(out)
    }
}

#[test]
fn ipv4_udp() {
    let p = v4(&ipv4_packet(proto::UDP, &udp(1234, 53), 0)).unwrap();
    assert_eq!(p.src, IpAddr::V4([10, 9, 0, 1]));
    assert_eq!(p.dst, IpAddr::V4([10, 9, 0, 2]));
    assert_eq!(p.proto, proto::UDP);
    assert_eq!(p.ttl, 64);
    assert_eq!(p.ports(), Some((1234, 53)));
    assert!(p.is_ipv4());
}

#[test]
fn ipv4_with_options_skips_them() {
    let p = v4(&ipv4_packet(proto::TCP, &tcp(40000, 80, 0x02), 12)).unwrap();
    assert_eq!(
        p.transport,
        Transport::Tcp {
            sport: 40000,
            dport: 80,
            flags: 0x02
        }
    );
}

#[test]
fn ipv4_icmp_echo() {
    let p = v4(&ipv4_packet(proto::ICMP, &[8, 0, 0, 0, 0, 1, 0, 1], 0)).unwrap();
    assert_eq!(p.transport, Transport::Icmp { kind: 8, code: 0 });
    assert_eq!(p.ports(), None);
}

#[test]
fn ipv4_ethernet_padding_is_ignored() {
    let mut b = ipv4_packet(proto::UDP, &udp(1, 2), 0);
    b.extend_from_slice(&[0xaa; 18]);
    assert_eq!(v4(&b).unwrap().ports(), Some((1, 2)));
}

/// The rfilter bypass: every size parses, not only what fits a fixed window.
#[test]
fn packets_of_every_size_parse() {
    for size in [56usize, 120, 200, 1000, 1472, 3000, 20000, 65000] {
        let mut icmp = std::vec![0u8; 8 + size];
        icmp[0] = 8;
        let p = v4(&ipv4_packet(proto::ICMP, &icmp, 0)).unwrap();
        assert_eq!(p.transport, Transport::Icmp { kind: 8, code: 0 }, "{size}");
        let mut seg = tcp(5001, 80, 0x18);
        seg.resize(20 + size, 0x55);
        assert_eq!(
            v4(&ipv4_packet(proto::TCP, &seg, 0)).unwrap().ports(),
            Some((5001, 80)),
            "{size}"
        );
        let mut e6 = std::vec![0u8; 8 + size];
        e6[0] = 128;
        let p = v6(&ipv6_packet(proto::ICMPV6, &[], &e6)).unwrap();
        assert_eq!(
            p.transport,
            Transport::Icmpv6 { kind: 128, code: 0 },
            "{size}"
        );
    }
}

/// Headers split over several buffers read the same as contiguous ones.
#[test]
fn headers_across_buffers() {
    let mut ext = std::vec![proto::DSTOPTS, 0, 1, 4, 0, 0, 0, 0];
    ext.extend_from_slice(&[proto::TCP, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let six = ipv6_packet(proto::HOPOPTS, &ext, &tcp(7, 9, 0x10));
    let four = ipv4_packet(proto::UDP, &udp(3, 4), 8);
    for chunk in [1, 3, 7, 16, 33, 128] {
        assert_eq!(ipv6(&Chunked::new(&six, chunk), false), v6(&six), "{chunk}");
        assert_eq!(
            ipv4(&Chunked::new(&four, chunk), false),
            v4(&four),
            "{chunk}"
        );
        assert_eq!(
            ip(&Chunked::new(&six, chunk), false).unwrap().ports(),
            Some((7, 9))
        );
    }
}

#[test]
fn ipv4_fragments() {
    // A later fragment: addresses and protocol, no ports.
    let later = fragment(ipv4_packet(proto::UDP, &[0u8; 8], 0), 185, false);
    let p = v4(&later).unwrap();
    assert_eq!((p.proto, p.transport), (proto::UDP, Transport::Fragment));
    // The first fragment has the transport header...
    let first = fragment(ipv4_packet(proto::UDP, &udp(1, 53), 0), 0, true);
    assert_eq!(v4(&first).unwrap().ports(), Some((1, 53)));
    // ...unless it is cut short (a tiny first fragment): then the ports cannot be read.
    let tiny = fragment(ipv4_packet(proto::TCP, &tcp(1, 22, 2)[..8], 0), 0, true);
    assert_eq!(v4(&tiny).unwrap().transport, Transport::Truncated);
}

#[test]
fn truncated_transport_is_reported() {
    // The IP header is whole; its total length leaves too little for a TCP header.
    let mut b = ipv4_packet(proto::TCP, &tcp(1, 2, 0), 0);
    b[2..4].copy_from_slice(&30u16.to_be_bytes());
    let p = v4(&b).unwrap();
    assert_eq!(p.transport, Transport::Truncated);
    assert_eq!(p.ports(), None);
    let p = v4(&ipv4_packet(proto::UDP, &[0, 1, 0, 2], 0)).unwrap();
    assert_eq!(p.transport, Transport::Truncated);
    let p = v4(&ipv4_packet(proto::ICMP, &[8], 0)).unwrap();
    assert_eq!(p.transport, Transport::Truncated);
    // A protocol the parser does not look into is never "truncated".
    let p = v4(&ipv4_packet(47, &[], 0)).unwrap();
    assert_eq!(p.transport, Transport::Other);
}

#[test]
fn gso_super_packets_may_state_zero_length() {
    let mut b = ipv4_packet(proto::TCP, &tcp(1, 2, 0x10), 0);
    b.resize(70000, 0);
    b[2..4].copy_from_slice(&0u16.to_be_bytes());
    assert_eq!(ipv4(&b[..], false), Err(Malformed::BadTotalLength));
    assert_eq!(ipv4(&b[..], true).unwrap().ports(), Some((1, 2)));
    let mut b = ipv6_packet(proto::TCP, &[], &tcp(3, 4, 0x10));
    b[4..6].copy_from_slice(&0u16.to_be_bytes());
    assert_eq!(ipv6(&b[..], false).unwrap().transport, Transport::Truncated);
    assert_eq!(ipv6(&b[..], true).unwrap().ports(), Some((3, 4)));
}

#[test]
fn ipv4_lies_are_malformed() {
    let good = ipv4_packet(proto::TCP, &tcp(1, 2, 0), 0);
    // Every truncation of a good packet is refused, never a panic.
    for n in 0..good.len() {
        assert!(v4(&good[..n]).is_err(), "truncated to {n} bytes");
    }
    let mut b = good.clone();
    b[0] = 0x44; // IHL 4 (16 bytes)
    assert_eq!(v4(&b), Err(Malformed::BadHeaderLength));
    let mut b = good.clone();
    b[0] = 0x4f; // IHL 15 (60 bytes), packet has 40
    assert_eq!(v4(&b), Err(Malformed::BadHeaderLength));
    let mut b = good.clone();
    b[2..4].copy_from_slice(&1000u16.to_be_bytes());
    assert_eq!(v4(&b), Err(Malformed::BadTotalLength));
    let mut b = good.clone();
    b[2..4].copy_from_slice(&10u16.to_be_bytes());
    assert_eq!(v4(&b), Err(Malformed::BadTotalLength));
    let mut b = good;
    b[0] = 0x65;
    assert_eq!(v4(&b), Err(Malformed::BadVersion));
}

#[test]
fn ipv6_tcp() {
    let p = v6(&ipv6_packet(proto::TCP, &[], &tcp(5001, 22, 0x12))).unwrap();
    assert_eq!(p.proto, proto::TCP);
    assert_eq!(p.ttl, 255);
    assert_eq!(p.ports(), Some((5001, 22)));
    assert!(matches!(p.src, IpAddr::V6(a) if a[15] == 1));
    assert!(!p.is_ipv4());
}

#[test]
fn ipv6_extension_headers_are_skipped() {
    // Hop-by-hop (8 bytes) -> destination options (16 bytes) -> UDP.
    let mut ext = std::vec![proto::DSTOPTS, 0, 1, 4, 0, 0, 0, 0];
    ext.extend_from_slice(&[proto::UDP, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let p = v6(&ipv6_packet(proto::HOPOPTS, &ext, &udp(7, 9))).unwrap();
    assert_eq!(p.proto, proto::UDP);
    assert_eq!(p.ports(), Some((7, 9)));
    // AH counts its length in 4-byte words, plus 2: length 1 is 12 bytes.
    let ah = [proto::TCP, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let p = v6(&ipv6_packet(proto::AH, &ah, &tcp(1, 443, 0x10))).unwrap();
    assert_eq!(p.ports(), Some((1, 443)));
}

#[test]
fn ipv6_fragments() {
    // First fragment (offset 0): transport header present.
    let frag0 = [proto::ICMPV6, 0, 0, 1, 0, 0, 0, 42];
    let p = v6(&ipv6_packet(proto::FRAGMENT, &frag0, &[128, 0, 0, 0])).unwrap();
    assert_eq!(p.transport, Transport::Icmpv6 { kind: 128, code: 0 });
    // Later fragment: the protocol from its fragment header, no transport header, and
    // the walk stops there (what follows is payload, not headers).
    let frag1 = [proto::UDP, 0, 0x05, 0x00, 0, 0, 0, 42];
    let p = v6(&ipv6_packet(
        proto::FRAGMENT,
        &frag1,
        &[proto::DSTOPTS, 255, 3, 4],
    ))
    .unwrap();
    assert_eq!((p.proto, p.transport), (proto::UDP, Transport::Fragment));
    // A first fragment whose UDP header is cut short: the ports cannot be read.
    let p = v6(&ipv6_packet(
        proto::FRAGMENT,
        &[proto::UDP, 0, 0, 1, 0, 0, 0, 7],
        &[0, 1],
    ));
    assert_eq!(p.unwrap().transport, Transport::Truncated);
}

#[test]
fn ipv6_lies_are_malformed() {
    // An extension header whose length runs past the packet.
    let ext = [proto::UDP, 200, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        v6(&ipv6_packet(proto::DSTOPTS, &ext, &udp(1, 2))),
        Err(Malformed::Truncated)
    );
    // A chain that ends in the middle of a header.
    assert_eq!(
        v6(&ipv6_packet(proto::HOPOPTS, &[proto::DSTOPTS], &[])),
        Err(Malformed::Truncated)
    );
    // A payload length beyond the bytes.
    let mut b = ipv6_packet(proto::UDP, &[], &udp(1, 2));
    b[4..6].copy_from_slice(&500u16.to_be_bytes());
    assert_eq!(v6(&b), Err(Malformed::BadTotalLength));
    // A chain of extension headers longer than the walk allows.
    let mut ext = Vec::new();
    for _ in 0..(MAX_EXT_HEADERS + 1) {
        ext.extend_from_slice(&[proto::DSTOPTS, 0, 0, 0, 0, 0, 0, 0]);
    }
    assert_eq!(
        v6(&ipv6_packet(proto::DSTOPTS, &ext, &[])),
        Err(Malformed::TooManyExtHeaders)
    );
    // Every truncation of a good packet is refused.
    let good = ipv6_packet(proto::TCP, &[], &tcp(1, 2, 0));
    for n in 0..good.len() {
        assert!(v6(&good[..n]).is_err(), "truncated to {n} bytes");
    }
}

#[test]
fn ethernet_and_version_dispatch() {
    let mut frame = std::vec![0u8; 12];
    frame.extend_from_slice(&ETH_P_IP.to_be_bytes());
    frame.extend_from_slice(&ipv4_packet(proto::UDP, &udp(3, 4), 0));
    let (ethertype, payload) = ethernet(&frame).unwrap();
    assert_eq!(ethertype, ETH_P_IP);
    assert_eq!(ip(payload, false).unwrap().ports(), Some((3, 4)));
    assert_eq!(ethernet(&frame[..13]), Err(Malformed::Truncated));
    assert_eq!(ip(&[0x10u8, 0, 0][..], false), Err(Malformed::BadVersion));
    assert_eq!(ip(&[][..], false), Err(Malformed::Truncated));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic sweep; the cargo-fuzz target covers this at depth.
    let mut x: u32 = 0x1234_5678;
    for len in 0..200 {
        for _ in 0..50 {
            let mut b = std::vec![0u8; len];
            for v in b.iter_mut() {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *v = x as u8;
            }
            if len > 0 {
                b[0] = if x & 1 == 0 { 0x45 } else { 0x60 };
            }
            let _ = ip(&b[..], x & 2 == 0);
            let _ = ip(&Chunked::new(&b, 1 + (x as usize % 7)), false);
            let _ = ethernet(&b);
        }
    }
}
