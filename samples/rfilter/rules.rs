// SPDX-License-Identifier: GPL-2.0

//! rfilter's rule language: parsing a control line and matching a packet.
//!
//! Pure code (no kernel calls), built into the module and, by path, into the host crate
//! (`rust/host/`) for `cargo test` and fuzzing. The grammar, one command per line:
//!
//! ```text
//! add <accept|drop|reject [with tcp-reset]> [hook prerouting|input|forward|output|postrouting]
//!     [family ip|ip6] [proto icmp|tcp|udp] [src CIDR] [dst CIDR] [sport N] [dport N] [log]
//! del N
//! flush
//! ```
//!
//! `hook` defaults to `input`, `family` to both; `proto icmp` means ICMPv6 for `ip6`.
//! A CIDR of one family implies that family. Ports need `proto tcp` or `proto udp`;
//! `reject with tcp-reset` needs `proto tcp`. `reject` is refused at `postrouting`, as
//! nftables refuses it there (`nft_reject_validate`).
//!
//! What a rule can see ([`Rule::matches`]): addresses and the protocol number of every
//! packet, fragments included; ports only where the transport header is, so a non-first
//! fragment never matches a rule with ports (as iptables); and when a rule must look at
//! ports the packet does not have in full (a first fragment or an unfragmented packet cut
//! short), the answer is [`Match::Unreadable`], which the filter turns into a drop.

use crate::hdr::{proto as ipproto, IpAddr, Packet, Transport};
use crate::inet::{Family, HookPoint};
use core::fmt;

/// What a matching rule does with the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `NF_ACCEPT`: on to the next hook or the stack.
    Accept,
    /// `NF_DROP`.
    Drop,
    /// Answer, then drop: ICMP/ICMPv6 port unreachable, or a TCP reset.
    Reject(RejectWith),
}

/// How `reject` answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectWith {
    /// ICMP (ICMPv6) destination unreachable, port unreachable: the default.
    PortUnreachable,
    /// A TCP reset (`with tcp-reset`, nftables' `reject with tcp reset`).
    TcpReset,
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
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
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
    pub hook: HookPoint,
    /// The family it sees (`None`: both).
    pub family: Option<Family>,
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
    /// `with` after an action other than `reject`, or an unknown `with` value.
    BadReject,
    /// `reject with tcp-reset` without `proto tcp`.
    ResetNeedsTcp,
    /// `reject` at `hook postrouting`.
    RejectAtPostrouting,
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
            ParseError::BadReject => "'with' takes tcp-reset, after reject only",
            ParseError::ResetNeedsTcp => "reject with tcp-reset needs proto tcp",
            ParseError::RejectAtPostrouting => "reject is not allowed at hook postrouting",
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
    let mut action = match words.next() {
        Some("accept") => Action::Accept,
        Some("drop") => Action::Drop,
        Some("reject") => Action::Reject(RejectWith::PortUnreachable),
        _ => return Err(ParseError::MissingAction),
    };
    let (mut hook, mut family, mut proto) = (None, None, None);
    let (mut src, mut dst, mut sport, mut dport, mut log) = (None, None, None, None, false);
    let mut with = false;
    while let Some(key) = words.next() {
        if key == "with" {
            if with || !matches!(action, Action::Reject(_)) {
                return Err(ParseError::BadReject);
            }
            with = true;
            match words.next() {
                Some("tcp-reset") => action = Action::Reject(RejectWith::TcpReset),
                _ => return Err(ParseError::BadReject),
            }
            continue;
        }
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
                HookPoint::ALL.iter().copied().find(|h| h.name() == value),
            )?,
            "family" => set(
                &mut family,
                match value {
                    "ip" => Some(Family::Ipv4),
                    "ip6" => Some(Family::Ipv6),
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
    if action == Action::Reject(RejectWith::TcpReset) && proto != Some(Proto::Tcp) {
        return Err(ParseError::ResetNeedsTcp);
    }
    if matches!(action, Action::Reject(_)) && hook == Some(HookPoint::PostRouting) {
        return Err(ParseError::RejectAtPostrouting);
    }
    // The family: as given, else implied by the addresses, which must agree.
    let mut fam = family;
    for c in [src, dst].into_iter().flatten() {
        match fam {
            None => fam = Some(c.family()),
            Some(f) if f != c.family() => return Err(ParseError::FamilyMismatch),
            Some(_) => {}
        }
    }
    Ok(Rule {
        action,
        hook: hook.unwrap_or(HookPoint::LocalIn),
        family: fam,
        proto,
        src,
        dst,
        sport,
        dport,
        log,
    })
}

/// What a rule says about a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// The rule applies.
    Yes,
    /// It does not.
    No,
    /// It looks at ports the packet does not have in full (a transport header cut short in
    /// an unfragmented packet or a first fragment): it cannot be answered, and accepting
    /// would let such a packet past the rule (iptables "hotdrops" it).
    Unreadable,
}

impl Proto {
    /// The IP protocol number it means in `family`.
    fn number(self, family: Family) -> u8 {
        match (self, family) {
            (Proto::Icmp, Family::Ipv4) => ipproto::ICMP,
            (Proto::Icmp, Family::Ipv6) => ipproto::ICMPV6,
            (Proto::Tcp, _) => ipproto::TCP,
            (Proto::Udp, _) => ipproto::UDP,
        }
    }
}

impl Rule {
    /// Whether the rule sits at `hook` and sees `family`.
    #[inline]
    pub fn covers(&self, hook: HookPoint, family: Family) -> bool {
        self.hook == hook && (self.family.is_none() || self.family == Some(family))
    }

    /// What the rule says about `pkt` seen at `hook`. First match wins, in list order.
    pub fn matches(&self, hook: HookPoint, pkt: &Packet) -> Match {
        let family = if pkt.is_ipv4() {
            Family::Ipv4
        } else {
            Family::Ipv6
        };
        if !self.covers(hook, family) {
            return Match::No;
        }
        if let Some(c) = &self.src {
            if !c.contains(&pkt.src) {
                return Match::No;
            }
        }
        if let Some(c) = &self.dst {
            if !c.contains(&pkt.dst) {
                return Match::No;
            }
        }
        let Some(proto) = self.proto else {
            return Match::Yes;
        };
        // The protocol number is in every packet, fragments included.
        if pkt.proto != proto.number(family) {
            return Match::No;
        }
        if self.sport.is_none() && self.dport.is_none() {
            return Match::Yes;
        }
        let (sport, dport) = match pkt.transport {
            Transport::Tcp { sport, dport, .. } | Transport::Udp { sport, dport } => (sport, dport),
            Transport::Truncated => return Match::Unreadable,
            // A non-first fragment has no ports: a rule with ports never matches it.
            _ => return Match::No,
        };
        if matches!(self.sport, Some(p) if p != sport)
            || matches!(self.dport, Some(p) if p != dport)
        {
            return Match::No;
        }
        Match::Yes
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
            Action::Reject(RejectWith::PortUnreachable) => "reject",
            Action::Reject(RejectWith::TcpReset) => "reject with tcp-reset",
        };
        write!(f, "add {} hook {}", action, self.hook.name())?;
        match self.family {
            None => {}
            Some(Family::Ipv4) => write!(f, " family ip")?,
            Some(Family::Ipv6) => write!(f, " family ip6")?,
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
