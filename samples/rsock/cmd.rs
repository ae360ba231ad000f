// SPDX-License-Identifier: GPL-2.0

//! rsock's commands: one per write to `/proc/net/rsock`.
//!
//! Pure code (no kernel calls), so the host crate tests and fuzzes it:
//!
//! ```text
//! udp-echo PORT     an in-kernel UDP echo server on PORT, every address, IPv4 and IPv6
//! tcp-echo PORT     an in-kernel TCP echo server on PORT, likewise
//! close ID          stop server ID (and its connections) and release its sockets
//! ```
//!
//! A port is 1 to 65535 (decimal); an id is what the listing shows (decimal, from 1).

/// One command, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `udp-echo PORT`.
    UdpEcho(u16),
    /// `tcp-echo PORT`.
    TcpEcho(u16),
    /// `close ID`.
    Close(u32),
}

impl core::fmt::Display for Command {
    /// The command as it is written.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Command::UdpEcho(port) => write!(f, "udp-echo {port}"),
            Command::TcpEcho(port) => write!(f, "tcp-echo {port}"),
            Command::Close(id) => write!(f, "close {id}"),
        }
    }
}

/// A decimal number of at most `max`, at least 1, without sign or leading `+`.
fn positive(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = s.parse().ok()?;
    (1..=max).contains(&n).then_some(n)
}

/// Parses one command line.
pub fn parse(line: &str) -> Result<Command, &'static str> {
    let mut words = line.split_whitespace();
    let verb = words.next().ok_or("empty command")?;
    let arg = words.next();
    if words.next().is_some() {
        return Err("too many words (udp-echo PORT, tcp-echo PORT, close ID)");
    }
    match verb {
        "udp-echo" | "tcp-echo" => {
            let arg = arg.ok_or("a port is needed")?;
            let port = positive(arg, u16::MAX.into()).ok_or("a port is 1 to 65535")? as u16;
            Ok(if verb == "udp-echo" {
                Command::UdpEcho(port)
            } else {
                Command::TcpEcho(port)
            })
        }
        "close" => {
            let arg = arg.ok_or("an id is needed")?;
            let id = positive(arg, u32::MAX.into()).ok_or("an id is a number from 1")? as u32;
            Ok(Command::Close(id))
        }
        _ => Err("unknown command (udp-echo PORT, tcp-echo PORT, close ID)"),
    }
}
