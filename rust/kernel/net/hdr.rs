// SPDX-License-Identifier: GPL-2.0

//! Read-only views of packet headers: Ethernet, IPv4, IPv6 and its extension headers,
//! TCP, UDP, ICMP, ICMPv6.
//!
//! C headers: `include/uapi/linux/{if_ether,ip,ipv6,tcp,udp,icmp,icmpv6}.h`; the kernel's
//! own parsers are `ip_rcv_core` (net/ipv4/ip_input.c), `ipv6_rcv` and `ipv6_skip_exthdr`
//! (net/ipv6/), and the flow dissector (net/core/flow_dissector.c).
//!
//! Pure code with no kernel dependency, so the same file builds on the host for
//! `cargo test` and fuzzing (`rust/host/`). The parsers read a packet through [`Bytes`]:
//! on the host a byte slice, in the kernel the `sk_buff` itself
//! ([`SkBuff::network_bytes`](super::skb::SkBuff::network_bytes)), which reads exactly the
//! header bytes it is asked for, wherever in the buffer they are. Every length a header
//! states is checked against the whole packet: a truncated or lying header is
//! [`Malformed`], never a read past the end, and a packet longer than any window is read
//! like a short one.

/// A packet's bytes, read on demand.
pub trait Bytes {
    /// How many bytes there are.
    fn len(&self) -> usize;

    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `N` bytes at `at`, or `None` if the packet ends before `at + N`.
    fn read<const N: usize>(&self, at: usize) -> Option<[u8; N]>;
}

impl Bytes for [u8] {
    #[inline]
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    #[inline]
    fn read<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        self.get(at..at.checked_add(N)?)?.try_into().ok()
    }
}

/// Why a packet could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Fewer bytes than the header needs.
    Truncated,
    /// The IP version field does not match the protocol (4 or 6).
    BadVersion,
    /// IPv4 IHL below 5, or larger than the packet.
    BadHeaderLength,
    /// IPv4 total length shorter than its own header, or longer than the packet; IPv6
    /// payload length past the end of the packet.
    BadTotalLength,
    /// More IPv6 extension headers than [`MAX_EXT_HEADERS`].
    TooManyExtHeaders,
}

/// How many IPv6 extension headers are followed before giving up (the kernel's
/// `ipv6_skip_exthdr` has no limit but the packet length; a bound keeps the walk short).
/// A longer chain is [`Malformed::TooManyExtHeaders`].
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
    /// The packet (an unfragmented one, or a first fragment) ends before the whole
    /// transport header its protocol needs: a rule that looks at ports cannot be answered.
    Truncated,
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
    /// The transport protocol number (after IPv6 extension headers; in a non-first IPv6
    /// fragment, the one its fragment header names).
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

    /// The address family.
    #[inline]
    pub fn is_ipv4(&self) -> bool {
        matches!(self.src, IpAddr::V4(_))
    }
}

#[inline]
fn be16(b: [u8; 2]) -> u16 {
    u16::from_be_bytes(b)
}

/// An Ethernet frame: returns the EtherType and the payload after the 14-byte header.
#[inline]
pub fn ethernet(frame: &[u8]) -> Result<(u16, &[u8]), Malformed> {
    let t: [u8; 2] = frame.read(12).ok_or(Malformed::Truncated)?;
    Ok((be16(t), &frame[14..]))
}

/// Parses the transport header of protocol `proto` found at `off`, the packet's bytes
/// ending at `end` (the IP length, which trailing padding does not count).
#[inline]
fn transport<B: Bytes + ?Sized>(b: &B, proto: u8, off: usize, end: usize) -> Transport {
    // The whole header a match on it needs, as xt_tcpudp reads a full `tcphdr`.
    let need = match proto {
        proto::TCP => 20,
        proto::UDP => 8,
        proto::ICMP | proto::ICMPV6 => 2,
        _ => return Transport::Other,
    };
    if end < off + need {
        return Transport::Truncated;
    }
    let parsed = || -> Option<Transport> {
        Some(match proto {
            proto::TCP => {
                let p: [u8; 4] = b.read(off)?;
                let [flags] = b.read::<1>(off + 13)?;
                Transport::Tcp {
                    sport: be16([p[0], p[1]]),
                    dport: be16([p[2], p[3]]),
                    flags,
                }
            }
            proto::UDP => {
                let p: [u8; 4] = b.read(off)?;
                Transport::Udp {
                    sport: be16([p[0], p[1]]),
                    dport: be16([p[2], p[3]]),
                }
            }
            proto::ICMP => {
                let [kind, code] = b.read::<2>(off)?;
                Transport::Icmp { kind, code }
            }
            _ => {
                let [kind, code] = b.read::<2>(off)?;
                Transport::Icmpv6 { kind, code }
            }
        })
    };
    // `end` is within the packet, so the reads succeed; a source that disagrees with its
    // own length is treated as a short packet.
    parsed().unwrap_or(Transport::Truncated)
}

/// Parses an IPv4 packet starting at its header (`struct iphdr`), checking what
/// `ip_rcv_core` checks: version 4, IHL >= 5, header and total length within the packet.
/// Options are skipped (IHL); bytes past the total length (Ethernet padding) ignored. A
/// GSO super-packet (`gso`) may state a total length of 0 (BIG TCP): then it is the
/// packet's length. A non-first fragment's transport is [`Transport::Fragment`].
#[inline]
pub fn ipv4<B: Bytes + ?Sized>(b: &B, gso: bool) -> Result<Packet, Malformed> {
    let [v_ihl] = b.read::<1>(0).ok_or(Malformed::Truncated)?;
    if v_ihl >> 4 != 4 {
        return Err(Malformed::BadVersion);
    }
    let h: [u8; 20] = b.read(0).ok_or(Malformed::Truncated)?;
    let ihl = ((v_ihl & 0x0f) as usize) * 4;
    if ihl < 20 || ihl > b.len() {
        return Err(Malformed::BadHeaderLength);
    }
    let mut total = be16([h[2], h[3]]) as usize;
    if total == 0 && gso {
        total = b.len();
    }
    if total < ihl || total > b.len() {
        return Err(Malformed::BadTotalLength);
    }
    let frag_offset = be16([h[6], h[7]]) & 0x1fff;
    let proto = h[9];
    Ok(Packet {
        src: IpAddr::V4([h[12], h[13], h[14], h[15]]),
        dst: IpAddr::V4([h[16], h[17], h[18], h[19]]),
        proto,
        ttl: h[8],
        transport: if frag_offset != 0 {
            Transport::Fragment
        } else {
            transport(b, proto, ihl, total)
        },
    })
}

/// Parses an IPv6 packet starting at its header (`struct ipv6hdr`), walking hop-by-hop,
/// routing, destination-options, fragment and AH extension headers to the transport
/// header, as `ipv6_skip_exthdr` does: a fragment header with a non-zero offset ends the
/// walk (what follows is the middle of another packet's payload), its next-header field
/// naming the protocol. Bytes past the payload length are ignored; a GSO super-packet
/// (`gso`) may state a payload length of 0 (jumbo): then the packet's length counts.
#[inline]
pub fn ipv6<B: Bytes + ?Sized>(b: &B, gso: bool) -> Result<Packet, Malformed> {
    let [v] = b.read::<1>(0).ok_or(Malformed::Truncated)?;
    if v >> 4 != 6 {
        return Err(Malformed::BadVersion);
    }
    let h: [u8; 40] = b.read(0).ok_or(Malformed::Truncated)?;
    let payload = be16([h[4], h[5]]) as usize;
    let end = if payload == 0 && gso {
        b.len()
    } else {
        40 + payload
    };
    if end > b.len() {
        return Err(Malformed::BadTotalLength);
    }
    let mut next = h[6];
    let mut off = 40;
    let mut fragment = false;
    let mut walked = 0;
    loop {
        let (nexthdr, len) = match next {
            proto::HOPOPTS | proto::ROUTING | proto::DSTOPTS | proto::AH => {
                if end < off + 2 {
                    return Err(Malformed::Truncated);
                }
                let e: [u8; 2] = b.read(off).ok_or(Malformed::Truncated)?;
                let len = if next == proto::AH {
                    (e[1] as usize + 2) * 4
                } else {
                    (e[1] as usize + 1) * 8
                };
                (e[0], len)
            }
            proto::FRAGMENT => {
                if end < off + 8 {
                    return Err(Malformed::Truncated);
                }
                let e: [u8; 4] = b.read(off).ok_or(Malformed::Truncated)?;
                fragment = be16([e[2], e[3]]) & 0xfff8 != 0;
                (e[0], 8)
            }
            _ => break,
        };
        walked += 1;
        if walked > MAX_EXT_HEADERS {
            return Err(Malformed::TooManyExtHeaders);
        }
        next = nexthdr;
        off += len;
        if off > end {
            return Err(Malformed::Truncated);
        }
        if fragment {
            break;
        }
    }
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&h[8..24]);
    dst.copy_from_slice(&h[24..40]);
    Ok(Packet {
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        proto: next,
        ttl: h[7],
        transport: if fragment {
            Transport::Fragment
        } else {
            transport(b, next, off, end)
        },
    })
}

/// Parses an IP packet of either version, choosing by the version nibble.
#[inline]
pub fn ip<B: Bytes + ?Sized>(b: &B, gso: bool) -> Result<Packet, Malformed> {
    match b.read::<1>(0).ok_or(Malformed::Truncated)?[0] >> 4 {
        4 => ipv4(b, gso),
        6 => ipv6(b, gso),
        _ => Err(Malformed::BadVersion),
    }
}
