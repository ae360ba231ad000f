// SPDX-License-Identifier: GPL-2.0
//! rxdp's control language and its frame matcher.

extern crate std;
use crate::rxdp_spec::*;
use std::{string::ToString, vec::Vec};

fn attach(line: &str) -> (std::string::String, Spec) {
    match parse(line) {
        Ok(Command::Attach(dev, spec)) => (dev.to_string(), spec),
        Ok(_) => panic!("{line:?} is not an attach"),
        Err(e) => panic!("{line:?} refused: {e}"),
    }
}

/// An Ethernet frame carrying IPv4 with protocol `proto` and an 8-byte L4 header whose
/// bytes 2..4 are `dport`.
fn frame_v4(proto: u8, dport: u16) -> Vec<u8> {
    let mut f = std::vec![0u8; 14 + 20 + 8];
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    f[16..18].copy_from_slice(&28u16.to_be_bytes());
    f[23] = proto;
    f[36..38].copy_from_slice(&dport.to_be_bytes());
    f
}

fn frame_v6(next: u8, dport: u16) -> Vec<u8> {
    let mut f = std::vec![0u8; 14 + 40 + 8];
    f[12..14].copy_from_slice(&[0x86, 0xdd]);
    f[14] = 0x60;
    f[18..20].copy_from_slice(&8u16.to_be_bytes());
    f[20] = next;
    f[56..58].copy_from_slice(&dport.to_be_bytes());
    f
}

#[test]
fn every_program_parses_and_prints_back() {
    for line in [
        "drop",
        "drop proto icmp",
        "drop proto tcp",
        "drop proto udp dport 9",
        "drop proto tcp dport 65535",
        "reflect",
        "count",
        "redirect rv2",
        "pad 14",
        "pad 60",
        "pad 1514",
    ] {
        let (dev, spec) = attach(&std::format!("attach rv1 {line}"));
        assert_eq!(dev, "rv1");
        assert_eq!(spec.to_string(), line);
    }
    assert!(matches!(parse("  detach   rv1  "), Ok(Command::Detach(d)) if d.to_string() == "rv1"));
    // Options in either order.
    assert_eq!(
        attach("attach a drop dport 9 proto udp").1.to_string(),
        "drop proto udp dport 9"
    );
}

#[test]
fn bad_lines_are_refused_with_a_reason() {
    for line in [
        "",
        "attach",
        "attach rv1",
        "frob rv1",
        "attach rv1 frob",
        "attach rv1 drop dport 9",
        "attach rv1 drop proto icmp dport 9",
        "attach rv1 drop proto sctp",
        "attach rv1 drop proto udp dport 65536",
        "attach rv1 drop proto udp dport -1",
        "attach rv1 drop proto udp dport",
        "attach rv1 drop proto udp proto tcp",
        "attach rv1 drop sport 9",
        "attach rv1 count extra",
        "attach rv1 redirect",
        "attach rv1 redirect a/b",
        "attach rv1 pad",
        "attach rv1 pad 13",
        "attach rv1 pad 1515",
        "attach rv1 pad -1",
        "attach rv1 pad 60 60",
        "attach abcdefghijklmnop count",
        "attach a/b count",
        "detach",
        "detach rv1 rv2",
    ] {
        let e = parse(line)
            .err()
            .unwrap_or_else(|| panic!("{line:?} was accepted"));
        assert!(!e.is_empty());
    }
    // 15 characters is the longest name.
    assert_eq!(attach("attach abcdefghijklmno count").0, "abcdefghijklmno");
}

#[test]
fn names_carry_their_nul() {
    let Ok(Command::Detach(d)) = parse("detach rv1") else {
        panic!()
    };
    assert_eq!(d.with_nul(), b"rv1\0");
}

#[test]
fn drop_matches_protocol_and_port() {
    let udp9 = frame_v4(17, 9);
    let udp10 = frame_v4(17, 10);
    let tcp9 = frame_v4(6, 9);
    let icmp = frame_v4(1, 0);
    assert!(drop_matches(None, None, &udp9));
    assert!(
        drop_matches(None, None, b"short"),
        "no criteria: everything"
    );
    assert!(drop_matches(Some(Proto::Udp), Some(9), &udp9));
    assert!(!drop_matches(Some(Proto::Udp), Some(9), &udp10));
    assert!(drop_matches(Some(Proto::Udp), None, &udp10));
    assert!(!drop_matches(Some(Proto::Udp), Some(9), &tcp9));
    assert!(drop_matches(Some(Proto::Icmp), None, &icmp));
    assert!(drop_matches(Some(Proto::Icmp), None, &frame_v6(58, 0)));
    assert!(drop_matches(Some(Proto::Udp), Some(9), &frame_v6(17, 9)));
    assert!(!drop_matches(Some(Proto::Tcp), Some(9), &frame_v6(17, 9)));
}

#[test]
fn drop_never_matches_what_does_not_parse() {
    let mut arp = frame_v4(17, 9);
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    assert!(!drop_matches(Some(Proto::Udp), Some(9), &arp));
    let full = frame_v4(17, 9);
    for len in 0..full.len() {
        assert!(
            !drop_matches(Some(Proto::Udp), Some(9), &full[..len]),
            "cut at {len}"
        );
    }
    let mut lying = full.clone();
    lying[16..18].copy_from_slice(&200u16.to_be_bytes());
    assert!(!drop_matches(Some(Proto::Udp), Some(9), &lying));
}
