// SPDX-License-Identifier: GPL-2.0

//! rfilter's rule language: parsing a control line and matching a packet.
//!
//! Pure code (no kernel calls), built into the module and, by path, into the host crate
//! (`rust/host/`) for `cargo test` and fuzzing. The grammar, one command per line:
//!
//! ```text
//! add <accept|drop|reject> [hook prerouting|input|forward|output|postrouting]
//!     [family ip|ip6] [proto icmp|tcp|udp] [src CIDR] [dst CIDR] [sport N] [dport N] [log]
//! del N
//! flush
//! ```
//!
//! `hook` defaults to `input`, `family` to both; `proto icmp` means ICMPv6 for `ip6`.
//! A CIDR of one family implies that family. Ports need `proto tcp` or `proto udp`.

use crate::hdr::{IpAddr, Packet, Transport};
use core::fmt;

/// What a matching rule does with the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `NF_ACCEPT`: on to the next hook or the stack.
    Accept,
    /// `NF_DROP`.
    Drop,
    /// Answer with ICMP/ICMPv6 destination unreachable, then drop.
    Reject,
}

/// The netfilter hook a rule sits on (`enum nf_inet_hooks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    /// `NF_INET_PRE_ROUTING`: every packet received, before routing (`ip_rcv`).
    PreRouting,
    /// `NF_INET_LOCAL_IN`: packets for this host (`ip_local_deliver`).
    Input,
    /// `NF_INET_FORWARD`: packets routed through (`ip_forward`).
    Forward,
    /// `NF_INET_LOCAL_OUT`: packets this host sends (`__ip_local_out`).
    Output,
    /// `NF_INET_POST_ROUTING`: every packet leaving (`ip_output`).
    PostRouting,
}

impl Hook {
    /// All hooks, in `enum nf_inet_hooks` order.
    pub const ALL: [Hook; 5] = [
        Hook::PreRouting,
        Hook::Input,
        Hook::Forward,
        Hook::Output,
        Hook::PostRouting,
    ];

    /// The hook with `NF_INET_*` number `n`.
    pub fn from_number(n: u32) -> Option<Hook> {
        Self::ALL.get(n as usize).copied()
    }

    /// The name rules use for it.
    pub fn name(self) -> &'static str {
        match self {
            Hook::PreRouting => "prerouting",
            Hook::Input => "input",
            Hook::Forward => "forward",
            Hook::Output => "output",
            Hook::PostRouting => "postrouting",
        }
    }
}

/// The address family a rule applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// IPv4 and IPv6.
    Both,
    /// IPv4 (`NFPROTO_IPV4`).
    Ip,
    /// IPv6 (`NFPROTO_IPV6`).
    Ip6,
}

/// A transport protocol to match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// ICMP for IPv4, ICMPv6 for IPv6.
    Icmp,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// An address prefix, e.g. `10.0.0.0/8` or `fd00::/64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn family(&self) -> Family {
        match self.addr {
            IpAddr::V4(_) => Family::Ip,
            IpAddr::V6(_) => Family::Ip6,
        }
    }

    /// Whether `a` lies in the prefix (an address of the other family never does).
    pub fn contains(&self, a: &IpAddr) -> bool {
        fn prefix_eq(x: &[u8], y: &[u8], bits: u8) -> bool {
            let full = (bits / 8) as usize;
            if x[..full] != y[..full] {
                return false;
            }
            let rest = bits % 8;
            rest == 0 || (x[full] ^ y[full]) & (0xffu8 << (8 - rest)) == 0
        }
        match (&self.addr, a) {
            (IpAddr::V4(n), IpAddr::V4(x)) => prefix_eq(n, x, self.prefix),
            (IpAddr::V6(n), IpAddr::V6(x)) => prefix_eq(n, x, self.prefix),
            _ => false,
        }
    }
}

/// One rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// What to do on a match.
    pub action: Action,
    /// Where the rule sits.
    pub hook: Hook,
    /// Which families it sees.
    pub family: Family,
    /// Transport protocol, if any.
    pub proto: Option<Proto>,
    /// Source prefix, if any.
    pub src: Option<Cidr>,
    /// Destination prefix, if any.
    pub dst: Option<Cidr>,
    /// Source port (TCP/UDP), if any.
    pub sport: Option<u16>,
    /// Destination port (TCP/UDP), if any.
    pub dport: Option<u16>,
    /// Print matching packets (rate limited).
    pub log: bool,
}

/// A control-file command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `add ...`: append a rule.
    Add(Rule),
    /// `del N`: remove rule N (1-based, as listed).
    Del(usize),
    /// `flush`: remove every rule.
    Flush,
}

/// Why a line was refused; the module prints it in one dmesg line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing but blanks.
    Empty,
    /// The first word is not add, del or flush.
    UnknownCommand,
    /// `add` without accept, drop or reject.
    MissingAction,
    /// A word that is not a keyword here.
    UnknownKeyword,
    /// A keyword given twice.
    Duplicate,
    /// A keyword without its value.
    MissingValue,
    /// A value that does not parse for its keyword.
    BadValue,
    /// Ports without `proto tcp|udp`.
    PortsNeedTcpOrUdp,
    /// Addresses of one family with `family` of the other, or both families mixed.
    FamilyMismatch,
    /// Words after a complete `del N` or `flush`.
    TrailingInput,
    /// A line longer than the control file accepts.
    TooLong,
}

impl ParseError {
    /// A short human explanation.
    pub fn message(self) -> &'static str {
        match self {
            ParseError::Empty => "empty command",
            ParseError::UnknownCommand => "unknown command (want add, del or flush)",
            ParseError::MissingAction => "add needs an action: accept, drop or reject",
            ParseError::UnknownKeyword => "unknown keyword",
            ParseError::Duplicate => "keyword given twice",
            ParseError::MissingValue => "keyword without a value",
            ParseError::BadValue => "value does not parse",
            ParseError::PortsNeedTcpOrUdp => "sport/dport need proto tcp or proto udp",
            ParseError::FamilyMismatch => "addresses do not match the family",
            ParseError::TrailingInput => "unexpected words at the end",
            ParseError::TooLong => "line too long",
        }
    }
}

/// The longest command line accepted.
pub const MAX_LINE: usize = 512;

fn parse_v4(s: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for o in out.iter_mut() {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: u16 = p.parse().ok()?;
        *o = u8::try_from(v).ok()?;
    }
    parts.next().is_none().then_some(out)
}

fn parse_v6(s: &str) -> Option<[u8; 16]> {
    s.parse::<core::net::Ipv6Addr>().ok().map(|a| a.octets())
}

fn parse_cidr(s: &str) -> Option<Cidr> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let (addr, max) = if let Some(v4) = parse_v4(addr) {
        (IpAddr::V4(v4), 32)
    } else {
        (IpAddr::V6(parse_v6(addr)?), 128)
    };
    let prefix = match prefix {
        None => max,
        Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
            let v: u8 = p.parse().ok()?;
            if v > max {
                return None;
            }
            v
        }
        Some(_) => return None,
    };
    Some(Cidr { addr, prefix })
}

fn parse_port(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn set<T>(slot: &mut Option<T>, v: Option<T>) -> Result<(), ParseError> {
    if slot.is_some() {
        return Err(ParseError::Duplicate);
    }
    *slot = Some(v.ok_or(ParseError::BadValue)?);
    Ok(())
}

/// Parses one control line (a trailing newline is fine).
pub fn parse(line: &str) -> Result<Command, ParseError> {
    if line.len() > MAX_LINE {
        return Err(ParseError::TooLong);
    }
    let mut words = line.split_ascii_whitespace();
    let cmd = words.next().ok_or(ParseError::Empty)?;
    match cmd {
        "flush" => {
            if words.next().is_some() {
                return Err(ParseError::TrailingInput);
            }
            Ok(Command::Flush)
        }
        "del" => {
            let n = words.next().ok_or(ParseError::MissingValue)?;
            if words.next().is_some() {
                return Err(ParseError::TrailingInput);
            }
            match parse_port(n).map(usize::from) {
                Some(n) if n >= 1 => Ok(Command::Del(n)),
                _ => Err(ParseError::BadValue),
            }
        }
        "add" => parse_add(&mut words).map(Command::Add),
        _ => Err(ParseError::UnknownCommand),
    }
}

fn parse_add<'a>(words: &mut impl Iterator<Item = &'a str>) -> Result<Rule, ParseError> {
    let action = match words.next() {
        Some("accept") => Action::Accept,
        Some("drop") => Action::Drop,
        Some("reject") => Action::Reject,
        _ => return Err(ParseError::MissingAction),
    };
    let (mut hook, mut family, mut proto) = (None, None, None);
    let (mut src, mut dst, mut sport, mut dport, mut log) = (None, None, None, None, false);
    while let Some(key) = words.next() {
        if key == "log" {
            if log {
                return Err(ParseError::Duplicate);
            }
            log = true;
            continue;
        }
        let value = match key {
            "hook" | "family" | "proto" | "src" | "dst" | "sport" | "dport" => {
                words.next().ok_or(ParseError::MissingValue)?
            }
            _ => return Err(ParseError::UnknownKeyword),
        };
        match key {
            "hook" => set(
                &mut hook,
                Hook::ALL.iter().copied().find(|h| h.name() == value),
            )?,
            "family" => set(
                &mut family,
                match value {
                    "ip" => Some(Family::Ip),
                    "ip6" => Some(Family::Ip6),
                    _ => None,
                },
            )?,
            "proto" => set(
                &mut proto,
                match value {
                    "icmp" => Some(Proto::Icmp),
                    "tcp" => Some(Proto::Tcp),
                    "udp" => Some(Proto::Udp),
                    _ => None,
                },
            )?,
            "src" => set(&mut src, parse_cidr(value))?,
            "dst" => set(&mut dst, parse_cidr(value))?,
            "sport" => set(&mut sport, parse_port(value))?,
            _ => set(&mut dport, parse_port(value))?,
        }
    }
    if (sport.is_some() || dport.is_some()) && !matches!(proto, Some(Proto::Tcp | Proto::Udp)) {
        return Err(ParseError::PortsNeedTcpOrUdp);
    }
    // The family: as given, else implied by the addresses, which must agree.
    let mut fam = family.unwrap_or(Family::Both);
    for c in [src, dst].into_iter().flatten() {
        match (fam, c.family()) {
            (Family::Both, f) => fam = f,
            (f, g) if f != g => return Err(ParseError::FamilyMismatch),
            _ => {}
        }
    }
    Ok(Rule {
        action,
        hook: hook.unwrap_or(Hook::Input),
        family: fam,
        proto,
        src,
        dst,
        sport,
        dport,
        log,
    })
}

impl Rule {
    /// Whether the rule matches `pkt` seen at `hook`. First match wins, in list order.
    pub fn matches(&self, hook: Hook, pkt: &Packet) -> bool {
        if hook != self.hook {
            return false;
        }
        let is_v4 = matches!(pkt.src, IpAddr::V4(_));
        match self.family {
            Family::Ip if !is_v4 => return false,
            Family::Ip6 if is_v4 => return false,
            _ => {}
        }
        if let Some(c) = &self.src {
            if !c.contains(&pkt.src) {
                return false;
            }
        }
        if let Some(c) = &self.dst {
            if !c.contains(&pkt.dst) {
                return false;
            }
        }
        let Some(proto) = self.proto else {
            return true;
        };
        let ports = match (proto, pkt.transport) {
            (Proto::Icmp, Transport::Icmp { .. } | Transport::Icmpv6 { .. }) => return true,
            (Proto::Tcp, Transport::Tcp { sport, dport, .. }) => (sport, dport),
            (Proto::Udp, Transport::Udp { sport, dport }) => (sport, dport),
            _ => return false,
        };
        !matches!(self.sport, Some(p) if p != ports.0)
            && !matches!(self.dport, Some(p) if p != ports.1)
    }
}

/// Displays an address as `10.9.0.1` or `fd00::1`.
pub struct Addr<'a>(pub &'a IpAddr);

impl fmt::Display for Addr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(a) => write!(f, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
            IpAddr::V6(a) => write!(f, "{}", core::net::Ipv6Addr::from(*a)),
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Addr(&self.addr), self.prefix)
    }
}

/// The canonical form of a rule: the `add` line that recreates it.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = match self.action {
            Action::Accept => "accept",
            Action::Drop => "drop",
            Action::Reject => "reject",
        };
        write!(f, "add {} hook {}", action, self.hook.name())?;
        match self.family {
            Family::Both => {}
            Family::Ip => write!(f, " family ip")?,
            Family::Ip6 => write!(f, " family ip6")?,
        }
        if let Some(p) = self.proto {
            let p = match p {
                Proto::Icmp => "icmp",
                Proto::Tcp => "tcp",
                Proto::Udp => "udp",
            };
            write!(f, " proto {p}")?;
        }
        if let Some(c) = &self.src {
            write!(f, " src {c}")?;
        }
        if let Some(c) = &self.dst {
            write!(f, " dst {c}")?;
        }
        if let Some(p) = self.sport {
            write!(f, " sport {p}")?;
        }
        if let Some(p) = self.dport {
            write!(f, " dport {p}")?;
        }
        if self.log {
            write!(f, " log")?;
        }
        Ok(())
    }
}
