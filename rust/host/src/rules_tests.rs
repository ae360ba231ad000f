// SPDX-License-Identifier: GPL-2.0
//! rfilter's rule language: every grammar path, every refusal, and matching.

extern crate std;
use crate::hdr::{proto, IpAddr, Packet, Transport};
use crate::inet::{Family, HookPoint};
use crate::rules::*;
use std::string::ToString;

fn add(line: &str) -> Rule {
    match parse(line) {
        Ok(Command::Add(r)) => r,
        other => panic!("{line:?} gave {other:?}"),
    }
}

/// The protocol number a transport implies (`other` for a fragment or a cut-short one).
fn number(t: Transport, other: u8) -> u8 {
    match t {
        Transport::Tcp { .. } => proto::TCP,
        Transport::Udp { .. } => proto::UDP,
        Transport::Icmp { .. } => proto::ICMP,
        Transport::Icmpv6 { .. } => proto::ICMPV6,
        _ => other,
    }
}

fn v4(src: [u8; 4], dst: [u8; 4], transport: Transport) -> Packet {
    v4p(src, dst, number(transport, 0), transport)
}

fn v4p(src: [u8; 4], dst: [u8; 4], proto: u8, transport: Transport) -> Packet {
    Packet {
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        proto,
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
        proto: number(transport, 0),
        ttl: 64,
        transport,
    }
}

const IN: HookPoint = HookPoint::LocalIn;
const OUT: HookPoint = HookPoint::LocalOut;

fn yes(rule: &str, hook: HookPoint, p: &Packet) -> bool {
    match add(rule).matches(hook, p) {
        Match::Yes => true,
        Match::No => false,
        Match::Unreadable => panic!("{rule:?} could not read {p:?}"),
    }
}

#[test]
fn defaults() {
    let r = add("add drop");
    assert_eq!(
        (r.action, r.hook, r.family, r.proto),
        (Action::Drop, HookPoint::LocalIn, None, None)
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
    assert_eq!(r.family, Some(Family::Ipv4));
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
        ("add drop with tcp-reset proto tcp", BadReject),
        ("add reject with icmp proto tcp", BadReject),
        ("add reject with", BadReject),
        (
            "add reject with tcp-reset with tcp-reset proto tcp",
            BadReject,
        ),
        ("add reject with tcp-reset", ResetNeedsTcp),
        ("add reject with tcp-reset proto udp", ResetNeedsTcp),
        ("add reject hook postrouting", RejectAtPostrouting),
        (
            "add reject with tcp-reset hook postrouting proto tcp",
            RejectAtPostrouting,
        ),
    ];
    for (line, want) in cases {
        assert_eq!(parse(line), Err(*want), "{line:?}");
        assert!(!want.message().is_empty());
    }
    let long = "add drop ".to_string() + &" log".repeat(200);
    assert_eq!(parse(&long), Err(TooLong));
}

#[test]
fn reject_with_tcp_reset() {
    let r = add("add reject with tcp-reset proto tcp dport 80");
    assert_eq!(r.action, Action::Reject(RejectWith::TcpReset));
    assert_eq!(
        r.to_string(),
        "add reject with tcp-reset hook input proto tcp dport 80"
    );
    assert_eq!(add(&r.to_string()), r);
    let r = add("add reject proto tcp");
    assert_eq!(r.action, Action::Reject(RejectWith::PortUnreachable));
    // `with` may come anywhere after the action.
    assert_eq!(
        add("add reject proto tcp with tcp-reset").action,
        Action::Reject(RejectWith::TcpReset)
    );
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

    assert!(yes("add drop", IN, &p));
    assert!(!yes("add drop", OUT, &p));
    assert!(yes("add drop hook output", OUT, &p));
    assert!(yes("add drop proto icmp", IN, &p));
    assert!(!yes("add drop proto tcp", IN, &p));
    assert!(yes("add drop src 10.9.0.0/24", IN, &p));
    assert!(yes("add drop src 10.8.0.0/15", IN, &p));
    assert!(!yes("add drop src 10.8.0.0/16", IN, &p));
    assert!(yes("add drop dst 0.0.0.0/0", IN, &p));
    assert!(!yes("add drop family ip6", IN, &p));

    let t = v4([10, 9, 0, 1], [10, 9, 0, 2], ssh);
    assert!(yes("add drop proto tcp dport 22", IN, &t));
    assert!(!yes("add drop proto tcp dport 23", IN, &t));
    assert!(yes("add drop proto tcp sport 40000 dport 22", IN, &t));
    assert!(!yes("add drop proto udp dport 22", IN, &t));

    // IPv6: `proto icmp` is ICMPv6; v4 prefixes never match v6 packets.
    let e6 = v6(1, 2, Transport::Icmpv6 { kind: 128, code: 0 });
    assert!(yes("add drop proto icmp", IN, &e6));
    assert!(yes("add drop family ip6 dst fd00::/8", IN, &e6));
    assert!(!yes("add drop src 10.0.0.0/8", IN, &e6));
    assert!(!yes("add drop family ip", IN, &e6));
    let d6 = v6(1, 2, dns);
    assert!(yes("add drop proto udp dport 53", IN, &d6));
}

/// A non-first fragment matches on addresses and protocol, never on ports (as iptables).
#[test]
fn fragments_match_by_protocol_never_by_ports() {
    let frag = v4p(
        [10, 9, 0, 1],
        [10, 9, 0, 2],
        proto::UDP,
        Transport::Fragment,
    );
    assert!(!yes("add drop proto udp dport 53", IN, &frag));
    assert!(yes("add drop proto udp", IN, &frag));
    assert!(!yes("add drop proto tcp", IN, &frag));
    assert!(yes("add drop dst 10.9.0.2", IN, &frag));
    let icmp = v4p(
        [10, 9, 0, 1],
        [10, 9, 0, 2],
        proto::ICMP,
        Transport::Fragment,
    );
    assert!(yes("add drop proto icmp", IN, &icmp));
}

/// A rule that must read ports a packet does not have in full cannot be answered.
#[test]
fn cut_short_headers_are_unreadable() {
    let cut = v4p(
        [10, 9, 0, 1],
        [10, 9, 0, 2],
        proto::TCP,
        Transport::Truncated,
    );
    assert_eq!(
        add("add drop proto tcp dport 22").matches(IN, &cut),
        Match::Unreadable
    );
    assert_eq!(
        add("add accept proto tcp sport 1").matches(IN, &cut),
        Match::Unreadable
    );
    // Rules that need no ports, or another protocol, still answer.
    assert!(yes("add drop proto tcp", IN, &cut));
    assert!(!yes("add drop proto udp dport 22", IN, &cut));
    assert!(yes("add drop src 10.9.0.1", IN, &cut));
    // Not at this hook: no.
    assert_eq!(
        add("add drop proto tcp dport 22").matches(OUT, &cut),
        Match::No
    );
}

#[test]
fn coverage() {
    let r = add("add drop hook forward family ip6");
    assert!(r.covers(HookPoint::Forward, Family::Ipv6));
    assert!(!r.covers(HookPoint::Forward, Family::Ipv4));
    assert!(!r.covers(HookPoint::LocalIn, Family::Ipv6));
    let both = add("add drop hook prerouting");
    assert!(both.covers(HookPoint::PreRouting, Family::Ipv4));
    assert!(both.covers(HookPoint::PreRouting, Family::Ipv6));
}
