// SPDX-License-Identifier: GPL-2.0
//! rsock's command language.

use crate::rsock_cmd::{parse, Command};

#[test]
fn servers_and_close() {
    assert_eq!(parse("udp-echo 7"), Ok(Command::UdpEcho(7)));
    assert_eq!(parse("  tcp-echo   65535 "), Ok(Command::TcpEcho(65535)));
    assert_eq!(parse("close 1"), Ok(Command::Close(1)));
    assert_eq!(parse("close 4294967295"), Ok(Command::Close(u32::MAX)));
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
        "UDP-ECHO 7",
        "udp-echo\u{0}7",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} was accepted");
    }
}
