// SPDX-License-Identifier: GPL-2.0

//! rxdp's control language and its frame matcher.
//!
//! Pure code (no kernel calls), so the host crate can test it. One command per line:
//!
//! ```text
//! attach <dev> drop [proto icmp|tcp|udp] [dport N]   # XDP_DROP what matches, pass the rest
//! attach <dev> reflect                             # swap the MACs, XDP_TX back
//! attach <dev> count                               # count, XDP_PASS
//! attach <dev> redirect <dev2>                     # XDP_REDIRECT out of rveth <dev2>
//! attach <dev> pad <len>                           # pad shorter frames to len, XDP_PASS
//! detach <dev>
//! ```
//!
//! `proto icmp` matches ICMP and ICMPv6; `dport` needs `proto tcp` or `proto udp`.

use crate::hdr::{self, Transport};
use core::fmt;

pub use crate::ifname::Name;

/// Transport protocols a `drop` program tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// ICMP or ICMPv6.
    Icmp,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// A fast-path program, as written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    /// Drop frames that match (IP frames of `proto`, to `dport`), pass the others.
    Drop {
        /// Protocol, if any.
        proto: Option<Proto>,
        /// Destination port, if any.
        dport: Option<u16>,
    },
    /// Swap source and destination MAC and send the frame back.
    Reflect,
    /// Count and pass.
    Count,
    /// Send out of another rveth device.
    Redirect(Name),
    /// Pad frames shorter than this many bytes with zeros up to it (what a NIC driver
    /// does for runts, `eth_skb_pad`), and pass every frame.
    Pad(u16),
}

/// The shortest and longest `pad` length: an Ethernet header, a full-size frame.
pub const PAD_RANGE: core::ops::RangeInclusive<u16> = 14..=1514;

/// A control-file command.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `attach <dev> <program>`.
    Attach(Name, Spec),
    /// `detach <dev>`.
    Detach(Name),
}

/// Parses one command line; the error says what is wrong.
pub fn parse(line: &str) -> Result<Command, &'static str> {
    let mut words = line.split_whitespace();
    let cmd = words.next().ok_or("empty command")?;
    let dev = Name::parse(words.next().ok_or("missing device name")?)?;
    let command = match cmd {
        "detach" => Command::Detach(dev),
        "attach" => Command::Attach(dev, parse_spec(&mut words)?),
        _ => return Err("unknown command (attach, detach)"),
    };
    match words.next() {
        Some(_) => Err("unexpected word after the command"),
        None => Ok(command),
    }
}

fn parse_spec<'a>(words: &mut impl Iterator<Item = &'a str>) -> Result<Spec, &'static str> {
    Ok(
        match words
            .next()
            .ok_or("missing program (drop, reflect, count, redirect, pad)")?
        {
            "reflect" => Spec::Reflect,
            "count" => Spec::Count,
            "redirect" => {
                Spec::Redirect(Name::parse(words.next().ok_or("redirect needs a device")?)?)
            }
            "drop" => parse_drop(words)?,
            "pad" => {
                let len = words.next().ok_or("pad needs a length")?;
                match len.parse::<u16>() {
                    Ok(len) if PAD_RANGE.contains(&len) => Spec::Pad(len),
                    _ => return Err("pad length is 14 to 1514"),
                }
            }
            _ => return Err("unknown program (drop, reflect, count, redirect, pad)"),
        },
    )
}

fn parse_drop<'a>(words: &mut impl Iterator<Item = &'a str>) -> Result<Spec, &'static str> {
    let (mut proto, mut dport) = (None, None);
    while let Some(key) = words.next() {
        let value = words.next().ok_or("option without a value")?;
        match key {
            "proto" if proto.is_none() => {
                proto = Some(match value {
                    "icmp" => Proto::Icmp,
                    "tcp" => Proto::Tcp,
                    "udp" => Proto::Udp,
                    _ => return Err("proto is icmp, tcp or udp"),
                })
            }
            "dport" if dport.is_none() => {
                dport = Some(value.parse::<u16>().map_err(|_| "dport is 0 to 65535")?)
            }
            "proto" | "dport" => return Err("option given twice"),
            _ => return Err("unknown drop option (proto, dport)"),
        }
    }
    if dport.is_some() && !matches!(proto, Some(Proto::Tcp | Proto::Udp)) {
        return Err("dport needs proto tcp or proto udp");
    }
    Ok(Spec::Drop { proto, dport })
}

/// Whether a raw Ethernet frame matches a `drop` program's criteria. A frame that is not
/// IP, or does not parse, matches only a program without criteria.
#[inline]
pub fn drop_matches(proto: Option<Proto>, dport: Option<u16>, frame: &[u8]) -> bool {
    let Some(want) = proto else {
        return true;
    };
    let Ok((ethertype, payload)) = hdr::ethernet(frame) else {
        return false;
    };
    if ethertype != hdr::ETH_P_IP && ethertype != hdr::ETH_P_IPV6 {
        return false;
    }
    let Ok(pkt) = hdr::ip(payload, false) else {
        return false;
    };
    let port = match (want, pkt.transport) {
        (Proto::Icmp, Transport::Icmp { .. } | Transport::Icmpv6 { .. }) => return true,
        (Proto::Tcp, Transport::Tcp { dport, .. }) | (Proto::Udp, Transport::Udp { dport, .. }) => {
            dport
        }
        _ => return false,
    };
    !matches!(dport, Some(d) if d != port)
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spec::Reflect => f.write_str("reflect"),
            Spec::Count => f.write_str("count"),
            Spec::Redirect(to) => write!(f, "redirect {to}"),
            Spec::Pad(len) => write!(f, "pad {len}"),
            Spec::Drop { proto, dport } => {
                f.write_str("drop")?;
                if let Some(p) = proto {
                    let name = match p {
                        Proto::Icmp => "icmp",
                        Proto::Tcp => "tcp",
                        Proto::Udp => "udp",
                    };
                    write!(f, " proto {name}")?;
                }
                if let Some(d) = dport {
                    write!(f, " dport {d}")?;
                }
                Ok(())
            }
        }
    }
}
