// SPDX-License-Identifier: GPL-2.0

//! Read-only views of packet headers: Ethernet, IPv4, IPv6, TCP, UDP, ICMP, ICMPv6.
//!
//! C headers: `include/uapi/linux/{if_ether,ip,ipv6,tcp,udp,icmp,icmpv6}.h`; the kernel's
//! own parsers are `ip_rcv_core` (net/ipv4/ip_input.c), `ipv6_rcv`/`ipv6_skip_exthdr`
//! (net/ipv6/), and the flow dissector (net/core/flow_dissector.c).
//!
//! Pure code over a byte slice, with no kernel dependency, so the same file builds on
//! the host for `cargo test` and fuzzing (`rust/host/`). Every length in a header is
//! checked against the bytes really there: a truncated or lying header is
//! [`Malformed`], never a read past the slice.

/// Why a packet could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Fewer bytes than the header needs.
    Truncated,
    /// The IP version field does not match the protocol (4 or 6).
    BadVersion,
    /// IPv4 IHL below 5, or larger than the packet.
    BadHeaderLength,
    /// IPv4 total length shorter than its own header, or longer than the packet.
    BadTotalLength,
    /// More IPv6 extension headers than [`MAX_EXT_HEADERS`].
    TooManyExtHeaders,
}

/// How many IPv6 extension headers are followed before giving up (the kernel's
/// `ipv6_skip_exthdr` has no limit but the packet length; a bound keeps the walk short).
pub const MAX_EXT_HEADERS: usize = 8;

/// IP protocol numbers (`IPPROTO_*`).
pub mod proto {
    /// `IPPROTO_ICMP`.
    pub const ICMP: u8 = 1;
    /// `IPPROTO_TCP`.
    pub const TCP: u8 = 6;
    /// `IPPROTO_UDP`.
    pub const UDP: u8 = 17;
    /// `IPPROTO_ICMPV6`.
    pub const ICMPV6: u8 = 58;
    /// `NEXTHDR_HOP`: IPv6 hop-by-hop options.
    pub const HOPOPTS: u8 = 0;
    /// `NEXTHDR_ROUTING`.
    pub const ROUTING: u8 = 43;
    /// `NEXTHDR_FRAGMENT`.
    pub const FRAGMENT: u8 = 44;
    /// `NEXTHDR_AUTH`: authentication header, its length counted in 4-byte words.
    pub const AH: u8 = 51;
    /// `NEXTHDR_DEST`: destination options.
    pub const DSTOPTS: u8 = 60;
}

/// `ETH_P_IP`.
pub const ETH_P_IP: u16 = 0x0800;
/// `ETH_P_IPV6`.
pub const ETH_P_IPV6: u16 = 0x86dd;

/// An IP address of either family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpAddr {
    /// IPv4, network byte order.
    V4([u8; 4]),
    /// IPv6, network byte order.
    V6([u8; 16]),
}

/// The transport part of a packet, as far as it could be seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// TCP with ports and flags (`struct tcphdr`).
    Tcp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// The flag byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, ...).
        flags: u8,
    },
    /// UDP with ports (`struct udphdr`).
    Udp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
    },
    /// ICMP (IPv4) type and code.
    Icmp {
        /// Type, e.g. 8 echo request, 3 destination unreachable.
        kind: u8,
        /// Code.
        code: u8,
    },
    /// ICMPv6 type and code.
    Icmpv6 {
        /// Type, e.g. 128 echo request, 1 destination unreachable.
        kind: u8,
        /// Code.
        code: u8,
    },
    /// A non-first fragment: the transport header is in another packet.
    Fragment,
    /// A protocol this parser does not look into.
    Other,
}

/// The parsed network and transport headers of one IP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// The transport protocol number (after IPv6 extension headers).
    pub proto: u8,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// What the transport header says.
    pub transport: Transport,
}

impl Packet {
    /// Source and destination ports, for TCP and UDP.
    #[inline]
    pub fn ports(&self) -> Option<(u16, u16)> {
        match self.transport {
            Transport::Tcp { sport, dport, .. } | Transport::Udp { sport, dport } => {
                Some((sport, dport))
            }
            _ => None,
        }
    }
}

#[inline]
fn be16(b: &[u8], at: usize) -> Result<u16, Malformed> {
    match b.get(at..at + 2) {
        Some(s) => Ok(u16::from_be_bytes([s[0], s[1]])),
        None => Err(Malformed::Truncated),
    }
}

#[inline]
fn byte(b: &[u8], at: usize) -> Result<u8, Malformed> {
    b.get(at).copied().ok_or(Malformed::Truncated)
}

#[inline]
fn array<const N: usize>(b: &[u8], at: usize) -> Result<[u8; N], Malformed> {
    let s = b.get(at..at + N).ok_or(Malformed::Truncated)?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Ok(a)
}

/// An Ethernet frame: returns the EtherType and the payload after the 14-byte header.
#[inline]
pub fn ethernet(frame: &[u8]) -> Result<(u16, &[u8]), Malformed> {
    let ethertype = be16(frame, 12)?;
    Ok((ethertype, &frame[14..]))
}

/// Parses the transport header at the start of `l4` for protocol `proto`.
#[inline]
fn transport(proto: u8, l4: &[u8]) -> Result<Transport, Malformed> {
    Ok(match proto {
        proto::TCP => {
            if l4.len() < 20 {
                return Err(Malformed::Truncated);
            }
            Transport::Tcp {
                sport: be16(l4, 0)?,
                dport: be16(l4, 2)?,
                flags: byte(l4, 13)?,
            }
        }
        proto::UDP => {
            if l4.len() < 8 {
                return Err(Malformed::Truncated);
            }
            Transport::Udp {
                sport: be16(l4, 0)?,
                dport: be16(l4, 2)?,
            }
        }
        proto::ICMP => Transport::Icmp {
            kind: byte(l4, 0)?,
            code: byte(l4, 1)?,
        },
        proto::ICMPV6 => Transport::Icmpv6 {
            kind: byte(l4, 0)?,
            code: byte(l4, 1)?,
        },
        _ => Transport::Other,
    })
}

/// Parses an IPv4 packet starting at its header (`struct iphdr`), checking what
/// `ip_rcv_core` checks: version 4, IHL >= 5, header and total length within the bytes.
/// Options are skipped (IHL); bytes past the total length (Ethernet padding) ignored.
#[inline]
pub fn ipv4(b: &[u8]) -> Result<Packet, Malformed> {
    let v_ihl = byte(b, 0)?;
    if v_ihl >> 4 != 4 {
        return Err(Malformed::BadVersion);
    }
    let ihl = ((v_ihl & 0x0f) as usize) * 4;
    if ihl < 20 {
        return Err(Malformed::BadHeaderLength);
    }
    if b.len() < ihl {
        return Err(if b.len() < 20 {
            Malformed::Truncated
        } else {
            Malformed::BadHeaderLength
        });
    }
    let total = be16(b, 2)? as usize;
    if total < ihl || total > b.len() {
        return Err(Malformed::BadTotalLength);
    }
    let frag_offset = be16(b, 6)? & 0x1fff;
    let proto = b[9];
    let l4 = &b[ihl..total];
    Ok(Packet {
        src: IpAddr::V4(array(b, 12)?),
        dst: IpAddr::V4(array(b, 16)?),
        proto,
        ttl: b[8],
        transport: if frag_offset != 0 {
            Transport::Fragment
        } else {
            transport(proto, l4)?
        },
    })
}

/// Parses an IPv6 packet starting at its header (`struct ipv6hdr`), walking hop-by-hop,
/// routing, destination-options, fragment and AH extension headers to the transport
/// header, as `ipv6_skip_exthdr` does. Bytes past the payload length are ignored.
#[inline]
pub fn ipv6(b: &[u8]) -> Result<Packet, Malformed> {
    if b.len() < 40 {
        return Err(Malformed::Truncated);
    }
    if b[0] >> 4 != 6 {
        return Err(Malformed::BadVersion);
    }
    let payload_len = be16(b, 4)? as usize;
    let end = 40 + payload_len;
    if end > b.len() {
        return Err(Malformed::BadTotalLength);
    }
    let b = &b[..end];
    let mut next = b[6];
    let mut off = 40;
    let mut fragment = false;
    let mut walked = 0;
    loop {
        let len = match next {
            proto::HOPOPTS | proto::ROUTING | proto::DSTOPTS => {
                (byte(b, off + 1)? as usize + 1) * 8
            }
            proto::AH => (byte(b, off + 1)? as usize + 2) * 4,
            proto::FRAGMENT => {
                // A fragment with a non-zero offset carries no transport header.
                fragment |= be16(b, off + 2)? & 0xfff8 != 0;
                8
            }
            _ => break,
        };
        walked += 1;
        if walked > MAX_EXT_HEADERS {
            return Err(Malformed::TooManyExtHeaders);
        }
        next = byte(b, off)?;
        off += len;
        if off > b.len() {
            return Err(Malformed::Truncated);
        }
    }
    Ok(Packet {
        src: IpAddr::V6(array(b, 8)?),
        dst: IpAddr::V6(array(b, 24)?),
        proto: next,
        ttl: b[7],
        transport: if fragment {
            Transport::Fragment
        } else {
            transport(next, &b[off..])?
        },
    })
}

/// Parses an IP packet of either version, choosing by the version nibble.
#[inline]
pub fn ip(b: &[u8]) -> Result<Packet, Malformed> {
    match byte(b, 0)? >> 4 {
        4 => ipv4(b),
        6 => ipv6(b),
        _ => Err(Malformed::BadVersion),
    }
}
