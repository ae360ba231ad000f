// SPDX-License-Identifier: GPL-2.0
//! rfilter's rule language: every grammar path, every refusal, and matching.

extern crate std;
use crate::hdr::{IpAddr, Packet, Transport};
use crate::rules::*;
use std::string::ToString;

fn add(line: &str) -> Rule {
    match parse(line) {
        Ok(Command::Add(r)) => r,
        other => panic!("{line:?} gave {other:?}"),
    }
}

fn v4(src: [u8; 4], dst: [u8; 4], transport: Transport) -> Packet {
    Packet {
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        proto: 0,
        ttl: 64,
        transport,
    }
}

fn v6(last_src: u8, last_dst: u8, transport: Transport) -> Packet {
    let mut s = [0u8; 16];
    let mut d = [0u8; 16];
    s[0] = 0xfd;
    d[0] = 0xfd;
    s[15] = last_src;
    d[15] = last_dst;
    Packet {
        src: IpAddr::V6(s),
        dst: IpAddr::V6(d),
        proto: 0,
        ttl: 64,
        transport,
    }
}

#[test]
fn defaults() {
    let r = add("add drop");
    assert_eq!(
        (r.action, r.hook, r.family, r.proto),
        (Action::Drop, Hook::Input, Family::Both, None)
    );
    assert_eq!(r.to_string(), "add drop hook input");
    assert_eq!(parse("flush\n"), Ok(Command::Flush));
    assert_eq!(parse("  del 3 "), Ok(Command::Del(3)));
}

#[test]
fn full_rule_round_trips() {
    let line = "add reject hook forward family ip proto tcp src 10.0.0.0/8 dst 192.168.1.7/32 sport 1024 dport 22 log";
    let r = add(line);
    assert_eq!(r.to_string(), line);
    assert_eq!(add(&r.to_string()), r);
    let r6 = add("add accept family ip6 proto udp dst fd00::/64 dport 53");
    assert_eq!(
        r6.to_string(),
        "add accept hook input family ip6 proto udp dst fd00::/64 dport 53"
    );
    // A CIDR implies its family; no prefix means a host.
    let r = add("add drop src 10.9.0.1");
    assert_eq!(r.family, Family::Ip);
    assert_eq!(
        r.to_string(),
        "add drop hook input family ip src 10.9.0.1/32"
    );
}

#[test]
fn refusals() {
    use ParseError::*;
    let cases: &[(&str, ParseError)] = &[
        ("", Empty),
        ("   \n", Empty),
        ("insert drop", UnknownCommand),
        ("add", MissingAction),
        ("add deny", MissingAction),
        ("add drop sideways", UnknownKeyword),
        ("add drop hook", MissingValue),
        ("add drop hook inbound", BadValue),
        ("add drop hook input hook output", Duplicate),
        ("add drop log log", Duplicate),
        ("add drop family ip4", BadValue),
        ("add drop proto sctp", BadValue),
        ("add drop src 10.0.0.0/33", BadValue),
        ("add drop src 10.0.0/8", BadValue),
        ("add drop src 256.1.1.1", BadValue),
        ("add drop src 10.0.0.1/", BadValue),
        ("add drop src fd00::/129", BadValue),
        ("add drop src -1.2.3.4", BadValue),
        ("add drop proto tcp dport 65536", BadValue),
        ("add drop proto tcp dport -1", BadValue),
        ("add drop proto tcp dport 0x16", BadValue),
        ("add drop dport 22", PortsNeedTcpOrUdp),
        ("add drop proto icmp sport 1", PortsNeedTcpOrUdp),
        ("add drop family ip6 src 10.0.0.1", FamilyMismatch),
        ("add drop src 10.0.0.1 dst fd00::1", FamilyMismatch),
        ("del", MissingValue),
        ("del 0", BadValue),
        ("del two", BadValue),
        ("del 1 2", TrailingInput),
        ("flush now", TrailingInput),
    ];
    for (line, want) in cases {
        assert_eq!(parse(line), Err(*want), "{line:?}");
        assert!(!want.message().is_empty());
    }
    let long = "add drop ".to_string() + &" log".repeat(200);
    assert_eq!(parse(&long), Err(TooLong));
}

#[test]
fn matching() {
    let echo = Transport::Icmp { kind: 8, code: 0 };
    let ssh = Transport::Tcp {
        sport: 40000,
        dport: 22,
        flags: 2,
    };
    let dns = Transport::Udp {
        sport: 5353,
        dport: 53,
    };
    let p = v4([10, 9, 0, 1], [10, 9, 0, 2], echo);

    assert!(add("add drop").matches(Hook::Input, &p));
    assert!(!add("add drop").matches(Hook::Output, &p));
    assert!(add("add drop hook output").matches(Hook::Output, &p));
    assert!(add("add drop proto icmp").matches(Hook::Input, &p));
    assert!(!add("add drop proto tcp").matches(Hook::Input, &p));
    assert!(add("add drop src 10.9.0.0/24").matches(Hook::Input, &p));
    assert!(add("add drop src 10.8.0.0/15").matches(Hook::Input, &p));
    assert!(!add("add drop src 10.8.0.0/16").matches(Hook::Input, &p));
    assert!(add("add drop dst 0.0.0.0/0").matches(Hook::Input, &p));
    assert!(!add("add drop family ip6").matches(Hook::Input, &p));

    let t = v4([10, 9, 0, 1], [10, 9, 0, 2], ssh);
    assert!(add("add drop proto tcp dport 22").matches(Hook::Input, &t));
    assert!(!add("add drop proto tcp dport 23").matches(Hook::Input, &t));
    assert!(add("add drop proto tcp sport 40000 dport 22").matches(Hook::Input, &t));
    assert!(!add("add drop proto udp dport 22").matches(Hook::Input, &t));

    // IPv6: `proto icmp` is ICMPv6; v4 prefixes never match v6 packets.
    let e6 = v6(1, 2, Transport::Icmpv6 { kind: 128, code: 0 });
    assert!(add("add drop proto icmp").matches(Hook::Input, &e6));
    assert!(add("add drop family ip6 dst fd00::/8").matches(Hook::Input, &e6));
    assert!(!add("add drop src 10.0.0.0/8").matches(Hook::Input, &e6));
    assert!(!add("add drop family ip").matches(Hook::Input, &e6));
    let d6 = v6(1, 2, dns);
    assert!(add("add drop proto udp dport 53").matches(Hook::Input, &d6));

    // A fragment has no ports: port rules do not match it, address rules do.
    let frag = v4([10, 9, 0, 1], [10, 9, 0, 2], Transport::Fragment);
    assert!(!add("add drop proto udp dport 53").matches(Hook::Input, &frag));
    assert!(add("add drop dst 10.9.0.2").matches(Hook::Input, &frag));
}
