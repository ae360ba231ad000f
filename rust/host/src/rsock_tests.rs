// SPDX-License-Identifier: GPL-2.0
//! rsock's command language.

extern crate std;
use crate::rsock_cmd::{parse, Command, Proto, Trace};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::string::ToString;

#[test]
fn servers_and_close() {
    assert_eq!(parse("udp-echo 7"), Ok(Command::UdpEcho(7, false)));
    assert_eq!(
        parse("  tcp-echo   65535 "),
        Ok(Command::TcpEcho(65535, false))
    );
    assert_eq!(parse("tcp-echo 7 reuseport"), Ok(Command::TcpEcho(7, true)));
    assert_eq!(
        parse("udp-echo 7 reuseport").unwrap().to_string(),
        "udp-echo 7 reuseport"
    );
    assert_eq!(parse("close 1"), Ok(Command::Close(1)));
    assert_eq!(parse("close 4294967295"), Ok(Command::Close(u32::MAX)));
}

#[test]
fn clients() {
    assert_eq!(
        parse("connect tcp 10.9.0.2 9"),
        Ok(Command::Connect(
            Proto::Tcp,
            IpAddr::V4(Ipv4Addr::new(10, 9, 0, 2)),
            9
        ))
    );
    assert_eq!(
        parse("connect udp fd00::2 53"),
        Ok(Command::Connect(
            Proto::Udp,
            IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2)),
            53
        ))
    );
    assert_eq!(parse("send 3 hello"), Ok(Command::Send(3, "hello")));
    assert_eq!(
        parse("send 3   two  words  "),
        Ok(Command::Send(3, "two  words"))
    );
    assert_eq!(parse("send 3 hello").unwrap().to_string(), "send 3 hello");
}

#[test]
fn ports_out_of_range() {
    for bad in [
        "udp-echo 0",
        "udp-echo 65536",
        "tcp-echo -1",
        "tcp-echo +7",
        "tcp-echo 7x",
        "tcp-echo 0x10",
        "udp-echo 99999999999",
        "udp-echo",
        "connect tcp 10.0.0.1 0",
        "connect tcp 10.0.0.1 65536",
        "connect tcp 10.0.0.1",
    ] {
        assert!(parse(bad).is_err(), "{bad} was accepted");
    }
}

#[test]
fn bad_lines() {
    for bad in [
        "",
        "   ",
        "close",
        "close 0",
        "close 4294967296",
        "close one",
        "listen 7",
        "udp-echo 7 8",
        "tcp-echo 7 reuse",
        "tcp-echo 7 reuseport x",
        "UDP-ECHO 7",
        "udp-echo\u{0}7",
        "connect",
        "connect sctp 10.0.0.1 1",
        "connect tcp 10.0.0 1",
        "connect tcp 300.0.0.1 1",
        "connect tcp host 1",
        "connect tcp ::1 1 2",
        "send",
        "send 3",
        "send 3   ",
        "send x hi",
        "send 0 hi",
        "trace",
        "trace none",
        "trace all all",
        "trace ALL",
        "trace clear",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn trace_modes() {
    assert_eq!(parse("trace all"), Ok(Command::Trace(Trace::All)));
    assert_eq!(parse(" trace   rsock \n"), Ok(Command::Trace(Trace::Rsock)));
    for line in ["trace all", "trace rsock"] {
        assert_eq!(parse(line).unwrap().to_string(), line);
    }
}
