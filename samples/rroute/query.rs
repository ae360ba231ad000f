// SPDX-License-Identifier: GPL-2.0

//! rroute's questions: one route lookup per line, as `ip route get` asks it.
//!
//! Pure code (no kernel calls), so the host crate tests and fuzzes it:
//!
//! ```text
//! lookup  DST [from SRC] [iif NAME] [mark N] [tos N]    # IPv4
//! lookup6 DST [from SRC] [iif NAME] [mark N] [tos N]    # IPv6 (tos: the traffic class)
//! ```
//!
//! Options come in any order, each at most once. `iif` asks for a packet arriving on that
//! device (forwarding, or local delivery); without it, for a packet this host sends.
//! Numbers are decimal or `0x` hexadecimal; a mark is 32 bits, a TOS 8.

pub use crate::ifname::Name;
use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One lookup, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    /// The destination; its family is the lookup's.
    pub dst: IpAddr,
    /// The source address, of the same family.
    pub src: Option<IpAddr>,
    /// The device the packet arrives on.
    pub iif: Option<Name>,
    /// The packet's mark (`fwmark`).
    pub mark: u32,
    /// The TOS byte, or the IPv6 traffic class.
    pub tos: u8,
}

/// A number: decimal, or hexadecimal after `0x`.
fn number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None if s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        None => None,
    }
}

/// Parses one command line.
pub fn parse(line: &str) -> Result<Query, &'static str> {
    let mut words = line.split_whitespace();
    let v6 = match words.next() {
        Some("lookup") => false,
        Some("lookup6") => true,
        Some(_) => return Err("unknown command (lookup DST ... or lookup6 DST ...)"),
        None => return Err("empty command"),
    };
    let address = |s: &str| -> Result<IpAddr, &'static str> {
        if v6 {
            s.parse::<Ipv6Addr>()
                .map(IpAddr::V6)
                .map_err(|_| "not an IPv6 address (lookup6 takes IPv6)")
        } else {
            s.parse::<Ipv4Addr>()
                .map(IpAddr::V4)
                .map_err(|_| "not an IPv4 address (lookup takes IPv4; lookup6 for IPv6)")
        }
    };
    let dst = address(words.next().ok_or("missing destination address")?)?;
    let mut q = Query {
        dst,
        src: None,
        iif: None,
        mark: 0,
        tos: 0,
    };
    let (mut mark, mut tos) = (false, false);
    while let Some(option) = words.next() {
        let value = words.next().ok_or("an option without its value")?;
        match option {
            "from" if q.src.is_none() => q.src = Some(address(value)?),
            "iif" if q.iif.is_none() => q.iif = Some(Name::parse(value)?),
            "mark" if !mark => {
                mark = true;
                q.mark = number(value)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or("a mark is a 32-bit number")?;
            }
            "tos" if !tos => {
                tos = true;
                q.tos = number(value)
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or("a TOS is a number from 0 to 255")?;
            }
            "from" | "iif" | "mark" | "tos" => return Err("an option given twice"),
            _ => return Err("unknown option (from, iif, mark, tos)"),
        }
    }
    Ok(q)
}

impl fmt::Display for Query {
    /// The query as a line that parses back to it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dst.is_ipv6() {
            "lookup6"
        } else {
            "lookup"
        };
        write!(f, "{verb} {}", self.dst)?;
        if let Some(src) = self.src {
            write!(f, " from {src}")?;
        }
        if let Some(iif) = self.iif {
            write!(f, " iif {iif}")?;
        }
        if self.mark != 0 {
            write!(f, " mark {:#x}", self.mark)?;
        }
        if self.tos != 0 {
            write!(f, " tos {:#04x}", self.tos)?;
        }
        Ok(())
    }
}
