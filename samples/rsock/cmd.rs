// SPDX-License-Identifier: GPL-2.0

//! rsock's commands: one per write to `/proc/net/rsock`.
//!
//! Pure code (no kernel calls), so the host crate tests and fuzzes it:
//!
//! ```text
//! udp-echo PORT [reuseport] an in-kernel UDP echo server on PORT, every address, IPv4 and IPv6
//! tcp-echo PORT [reuseport] an in-kernel TCP echo server on PORT, likewise
//!                           (reuseport: SO_REUSEPORT, so servers can share the port)
//! connect tcp|udp ADDR PORT an in-kernel client connected to ADDR (IPv4 or IPv6) port PORT
//! send ID TEXT              TEXT and a newline, sent by client ID
//! close ID                  stop server or client ID and release its sockets
//! trace rsock|all           record in /proc/net/rsock_states the state changes of
//!                           rsock's TCP sockets (the default), or of every TCP socket
//!                           in the namespace
//! ```
//!
//! A port is 1 to 65535 (decimal); an id is what the listing shows (decimal, from 1);
//! TEXT is the rest of the line, without the spaces around it, not empty.

use core::net::IpAddr;

/// A client's transport protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// `tcp`.
    Tcp,
    /// `udp`.
    Udp,
}

/// Whose TCP state changes `/proc/net/rsock_states` records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trace {
    /// `trace rsock`: rsock's sockets only.
    Rsock,
    /// `trace all`: every TCP socket of the namespace.
    All,
}

/// One command, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `udp-echo PORT [reuseport]`.
    UdpEcho(u16, bool),
    /// `tcp-echo PORT [reuseport]`.
    TcpEcho(u16, bool),
    /// `connect tcp|udp ADDR PORT`.
    Connect(Proto, IpAddr, u16),
    /// `send ID TEXT`.
    Send(u32, &'a str),
    /// `close ID`.
    Close(u32),
    /// `trace rsock|all`.
    Trace(Trace),
}

impl core::fmt::Display for Command<'_> {
    /// The command as it is written.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Command::UdpEcho(port, r) => write!(f, "udp-echo {port}{}", reuse(*r)),
            Command::TcpEcho(port, r) => write!(f, "tcp-echo {port}{}", reuse(*r)),
            Command::Connect(proto, addr, port) => {
                let p = match proto {
                    Proto::Tcp => "tcp",
                    Proto::Udp => "udp",
                };
                write!(f, "connect {p} {addr} {port}")
            }
            Command::Send(id, text) => write!(f, "send {id} {text}"),
            Command::Close(id) => write!(f, "close {id}"),
            Command::Trace(Trace::Rsock) => f.write_str("trace rsock"),
            Command::Trace(Trace::All) => f.write_str("trace all"),
        }
    }
}

fn reuse(on: bool) -> &'static str {
    if on {
        " reuseport"
    } else {
        ""
    }
}

/// The optional `reuseport` after a server's port.
fn reuseport(word: Option<&str>) -> Result<bool, &'static str> {
    match word {
        None => Ok(false),
        Some("reuseport") => Ok(true),
        Some(_) => Err("after the port, only reuseport"),
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

fn port(s: Option<&str>) -> Result<u16, &'static str> {
    let s = s.ok_or("a port is needed")?;
    Ok(positive(s, u16::MAX.into()).ok_or("a port is 1 to 65535")? as u16)
}

fn id(s: Option<&str>) -> Result<u32, &'static str> {
    let s = s.ok_or("an id is needed")?;
    Ok(positive(s, u32::MAX.into()).ok_or("an id is a number from 1")? as u32)
}

const USAGE: &str = "unknown command (udp-echo PORT [reuseport], tcp-echo PORT [reuseport], \
    connect tcp|udp ADDR PORT, send ID TEXT, close ID, trace rsock|all)";

/// Parses one command line.
pub fn parse(line: &str) -> Result<Command<'_>, &'static str> {
    let line = line.trim();
    let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    if verb == "send" {
        let (n, text) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let id = id((!n.is_empty()).then_some(n))?;
        let text = text.trim();
        if text.is_empty() {
            return Err("send needs a text");
        }
        return Ok(Command::Send(id, text));
    }
    let mut words = rest.split_whitespace();
    let command = match verb {
        "udp-echo" => Command::UdpEcho(port(words.next())?, reuseport(words.next())?),
        "tcp-echo" => Command::TcpEcho(port(words.next())?, reuseport(words.next())?),
        "close" => Command::Close(id(words.next())?),
        "trace" => match words.next() {
            Some("rsock") => Command::Trace(Trace::Rsock),
            Some("all") => Command::Trace(Trace::All),
            _ => return Err("trace rsock|all"),
        },
        "connect" => {
            let proto = match words.next() {
                Some("tcp") => Proto::Tcp,
                Some("udp") => Proto::Udp,
                _ => return Err("connect tcp|udp ADDR PORT"),
            };
            let addr = words
                .next()
                .and_then(|a| a.parse::<IpAddr>().ok())
                .ok_or("an IPv4 or IPv6 address is needed")?;
            Command::Connect(proto, addr, port(words.next())?)
        }
        "" => return Err("empty command"),
        _ => return Err(USAGE),
    };
    if words.next().is_some() {
        return Err("too many words");
    }
    Ok(command)
}
