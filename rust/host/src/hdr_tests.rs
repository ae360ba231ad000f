// SPDX-License-Identifier: GPL-2.0
//! Header parsing: well-formed packets of each kind, and every way a header can lie.

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

#[test]
fn ipv4_udp() {
    let p = ipv4(&ipv4_packet(proto::UDP, &udp(1234, 53), 0)).unwrap();
    assert_eq!(p.src, IpAddr::V4([10, 9, 0, 1]));
    assert_eq!(p.dst, IpAddr::V4([10, 9, 0, 2]));
    assert_eq!(p.proto, proto::UDP);
    assert_eq!(p.ttl, 64);
    assert_eq!(p.ports(), Some((1234, 53)));
}

#[test]
fn ipv4_with_options_skips_them() {
    let p = ipv4(&ipv4_packet(proto::TCP, &tcp(40000, 80, 0x02), 12)).unwrap();
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
    let p = ipv4(&ipv4_packet(proto::ICMP, &[8, 0, 0, 0, 0, 1, 0, 1], 0)).unwrap();
    assert_eq!(p.transport, Transport::Icmp { kind: 8, code: 0 });
    assert_eq!(p.ports(), None);
}

#[test]
fn ipv4_ethernet_padding_is_ignored() {
    let mut b = ipv4_packet(proto::UDP, &udp(1, 2), 0);
    b.extend_from_slice(&[0xaa; 18]);
    assert_eq!(ipv4(&b).unwrap().ports(), Some((1, 2)));
}

#[test]
fn ipv4_non_first_fragment_has_no_ports() {
    let mut b = ipv4_packet(proto::UDP, &[0u8; 8], 0);
    b[6..8].copy_from_slice(&185u16.to_be_bytes());
    assert_eq!(ipv4(&b).unwrap().transport, Transport::Fragment);
}

#[test]
fn ipv4_lies_are_malformed() {
    let good = ipv4_packet(proto::TCP, &tcp(1, 2, 0), 0);
    // Every truncation of a good packet is refused, never a panic.
    for n in 0..good.len() {
        assert!(ipv4(&good[..n]).is_err(), "truncated to {n} bytes");
    }
    let mut b = good.clone();
    b[0] = 0x44; // IHL 4 (16 bytes)
    assert_eq!(ipv4(&b), Err(Malformed::BadHeaderLength));
    let mut b = good.clone();
    b[0] = 0x4f; // IHL 15 (60 bytes), packet has 40
    assert_eq!(ipv4(&b), Err(Malformed::BadHeaderLength));
    let mut b = good.clone();
    b[2..4].copy_from_slice(&1000u16.to_be_bytes());
    assert_eq!(ipv4(&b), Err(Malformed::BadTotalLength));
    let mut b = good.clone();
    b[2..4].copy_from_slice(&10u16.to_be_bytes());
    assert_eq!(ipv4(&b), Err(Malformed::BadTotalLength));
    let mut b = good.clone();
    b[0] = 0x65;
    assert_eq!(ipv4(&b), Err(Malformed::BadVersion));
    // Total length that cuts the TCP header short.
    let mut b = good;
    b[2..4].copy_from_slice(&30u16.to_be_bytes());
    assert_eq!(ipv4(&b), Err(Malformed::Truncated));
}

#[test]
fn ipv6_tcp() {
    let p = ipv6(&ipv6_packet(proto::TCP, &[], &tcp(5001, 22, 0x12))).unwrap();
    assert_eq!(p.proto, proto::TCP);
    assert_eq!(p.ttl, 255);
    assert_eq!(p.ports(), Some((5001, 22)));
    assert!(matches!(p.src, IpAddr::V6(a) if a[15] == 1));
}

#[test]
fn ipv6_extension_headers_are_skipped() {
    // Hop-by-hop (8 bytes) -> destination options (16 bytes) -> UDP.
    let mut ext = std::vec![proto::DSTOPTS, 0, 1, 4, 0, 0, 0, 0];
    ext.extend_from_slice(&[proto::UDP, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let p = ipv6(&ipv6_packet(proto::HOPOPTS, &ext, &udp(7, 9))).unwrap();
    assert_eq!(p.proto, proto::UDP);
    assert_eq!(p.ports(), Some((7, 9)));
}

#[test]
fn ipv6_fragments() {
    // First fragment (offset 0): transport header present.
    let frag0 = [proto::ICMPV6, 0, 0, 1, 0, 0, 0, 42];
    let p = ipv6(&ipv6_packet(proto::FRAGMENT, &frag0, &[128, 0, 0, 0])).unwrap();
    assert_eq!(p.transport, Transport::Icmpv6 { kind: 128, code: 0 });
    // Later fragment: no transport header.
    let frag1 = [proto::ICMPV6, 0, 0x05, 0x00, 0, 0, 0, 42];
    let p = ipv6(&ipv6_packet(proto::FRAGMENT, &frag1, &[1, 2, 3, 4])).unwrap();
    assert_eq!(p.transport, Transport::Fragment);
}

#[test]
fn ipv6_lies_are_malformed() {
    // An extension header whose length runs past the packet.
    let ext = [proto::UDP, 200, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        ipv6(&ipv6_packet(proto::DSTOPTS, &ext, &udp(1, 2))),
        Err(Malformed::Truncated)
    );
    // A payload length beyond the bytes.
    let mut b = ipv6_packet(proto::UDP, &[], &udp(1, 2));
    b[4..6].copy_from_slice(&500u16.to_be_bytes());
    assert_eq!(ipv6(&b), Err(Malformed::BadTotalLength));
    // A chain of extension headers longer than the walk allows.
    let mut ext = Vec::new();
    for _ in 0..(MAX_EXT_HEADERS + 1) {
        ext.extend_from_slice(&[proto::DSTOPTS, 0, 0, 0, 0, 0, 0, 0]);
    }
    assert_eq!(
        ipv6(&ipv6_packet(proto::DSTOPTS, &ext, &[])),
        Err(Malformed::TooManyExtHeaders)
    );
    // Every truncation of a good packet is refused.
    let good = ipv6_packet(proto::TCP, &[], &tcp(1, 2, 0));
    for n in 0..good.len() {
        assert!(ipv6(&good[..n]).is_err(), "truncated to {n} bytes");
    }
}

#[test]
fn ethernet_and_version_dispatch() {
    let mut frame = std::vec![0u8; 12];
    frame.extend_from_slice(&ETH_P_IP.to_be_bytes());
    frame.extend_from_slice(&ipv4_packet(proto::UDP, &udp(3, 4), 0));
    let (ethertype, payload) = ethernet(&frame).unwrap();
    assert_eq!(ethertype, ETH_P_IP);
    assert_eq!(ip(payload).unwrap().ports(), Some((3, 4)));
    assert_eq!(ethernet(&frame[..13]), Err(Malformed::Truncated));
    assert_eq!(ip(&[0x10, 0, 0]), Err(Malformed::BadVersion));
    assert_eq!(ip(&[]), Err(Malformed::Truncated));
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
            let _ = ip(&b);
            let _ = ethernet(&b);
        }
    }
}
