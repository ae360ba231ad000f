// SPDX-License-Identifier: GPL-2.0
//! rroute's queries: every option, every refusal, and printing back.

extern crate std;
use crate::rroute_query::*;
use core::net::IpAddr;
use std::string::ToString;

fn ok(line: &str) -> Query {
    parse(line).unwrap_or_else(|e| panic!("{line:?} refused: {e}"))
}

#[test]
fn a_bare_lookup_is_an_output_lookup() {
    let q = ok("lookup 10.2.0.9");
    assert_eq!(q.dst, "10.2.0.9".parse::<IpAddr>().unwrap());
    assert_eq!((q.src, q.iif, q.mark, q.tos), (None, None, 0, 0));
}

#[test]
fn every_option_in_any_order() {
    let q = ok("lookup 10.2.0.9 tos 0x10 iif r0 mark 7 from 10.1.0.1");
    assert_eq!(q.src, Some("10.1.0.1".parse().unwrap()));
    assert_eq!(q.iif.map(|n| n.to_string()).as_deref(), Some("r0"));
    assert_eq!((q.mark, q.tos), (7, 0x10));
    let q = ok("lookup6 fd02::9 from fd01::1 mark 0xffffffff tos 255");
    assert!(q.dst.is_ipv6());
    assert_eq!((q.mark, q.tos), (u32::MAX, 255));
}

#[test]
fn queries_print_back_to_themselves() {
    for line in [
        "lookup 10.2.0.9",
        "lookup 10.2.0.9 from 10.1.0.1 iif r0 mark 0x64 tos 0x10",
        "lookup6 fd02::9",
        "lookup6 fd02::9 from fd01::1 iif a0 mark 0x1",
        "lookup 255.255.255.255 tos 0xfc",
    ] {
        let q = ok(line);
        assert_eq!(q.to_string(), line);
        assert_eq!(ok(&q.to_string()), q);
    }
}

#[test]
fn bad_queries_are_refused_with_a_reason() {
    for (line, why) in [
        ("", "empty"),
        ("get 10.0.0.1", "unknown command"),
        ("lookup", "missing destination"),
        ("lookup 10.0.0.256", "not an IPv4"),
        ("lookup fd00::1", "lookup6 for IPv6"),
        ("lookup6 10.0.0.1", "not an IPv6"),
        ("lookup 10.0.0.1 from fd00::1", "not an IPv4"),
        ("lookup 10.0.0.1 from", "without its value"),
        ("lookup 10.0.0.1 via 10.0.0.2", "unknown option"),
        ("lookup 10.0.0.1 mark 1 mark 2", "twice"),
        ("lookup 10.0.0.1 from 1.1.1.1 from 2.2.2.2", "twice"),
        ("lookup 10.0.0.1 mark 4294967296", "32-bit"),
        ("lookup 10.0.0.1 mark -1", "32-bit"),
        ("lookup 10.0.0.1 mark 0x", "32-bit"),
        ("lookup 10.0.0.1 tos 256", "0 to 255"),
        ("lookup 10.0.0.1 iif a/b", "device name"),
        ("lookup 10.0.0.1 iif 0123456789abcdef", "device name"),
    ] {
        match parse(line) {
            Ok(q) => panic!("{line:?} accepted as {q}"),
            Err(e) => assert!(e.contains(why), "{line:?}: {e:?} does not say {why:?}"),
        }
    }
}
