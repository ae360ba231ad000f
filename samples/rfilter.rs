// SPDX-License-Identifier: GPL-2.0

//! Lesson 2, the network layer: `rfilter`, a rule-driven netfilter hook.
//!
//! Every IPv4 packet the stack handles passes up to five netfilter hook points
//! (net/ipv4/, `NF_HOOK(NFPROTO_IPV4, ...)`); IPv6 has the same five (net/ipv6/):
//!
//! ```text
//!  ip_rcv / ip_list_rcv ─▶ PRE_ROUTING ─▶ ip_rcv_finish: route lookup (ip_route_input_noref)
//!                                    ├─ for us ─▶ ip_local_deliver (reassembles) ─▶ LOCAL_IN ─▶ tcp_v4_rcv, udp_rcv, icmp_rcv
//!                                    └─ not    ─▶ ip_forward ─▶ FORWARD ─▶ ip_output
//!  ip_local_out ─▶ LOCAL_OUT ─▶ routing ─▶ ip_output ─▶ POST_ROUTING ─▶ ip_finish_output ─▶ dev_queue_xmit
//! ```
//!
//! rfilter registers a hook at all five points, for both families, in every network
//! namespace (a pernet subsystem: `register_pernet_subsys`, `nf_register_net_hooks`).
//! Each namespace has its own rule table, edited through its own `/proc/net/rfilter`:
//!
//! ```text
//! echo 'add drop proto icmp src 10.9.0.1' > /proc/net/rfilter
//! cat /proc/net/rfilter        # 1: add drop hook input family ip proto icmp src 10.9.0.1/32 packets 3 bytes 252
//! echo 'del 1' > /proc/net/rfilter;  echo flush > /proc/net/rfilter
//! ```
//!
//! The packet path takes no lock: the table is read under RCU; a write builds a new table
//! and publishes it, so a line that does not parse changes nothing. The hook reads the
//! headers a rule needs from the `sk_buff` itself, wherever they are in it, and checks
//! every length against the whole packet: a packet of any size is judged. `reject`
//! answers with ICMP/ICMPv6 port unreachable (`nf_send_unreach`), or a TCP reset
//! (`with tcp-reset`: `nf_send_reset`), then drops; `log` prints the decoded packet, rate
//! limited. What it cannot see is dropped rather than let past a rule (see `rules.rs` and
//! docs/rfilter.md, "What rfilter sees").

use kernel::net::{
    dev::Device,
    hdr, inet,
    netfilter::{self, Family, HookPoint, HookSkb, HookSpec, HookState, Verdict},
    ns::Namespace,
    pernet,
    procfs::{self, Quoted, SeqFile},
    skb::SkBuff,
    stats::PerCpuCounters,
};
use kernel::prelude::*;
use kernel::sync::{new_mutex, rcu::RcuPointer, sleep::Sleepable, Arc, Mutex};
use kernel::{c_str, str::CStr};

#[path = "rfilter/rules.rs"]
pub mod rules;
use rules::{Action, Command, Match, RejectWith, Rule};

// Hooks every namespace, present and future; unloading unhooks them all.
kernel::module_pernet! {
    type: Rfilter,
    name: "rfilter",
    author: "netdive",
    description: "Rule-driven netfilter hook in Rust (netdive lesson 2)",
    license: "GPL",
}

/// Most rules a namespace may hold.
const MAX_RULES: usize = 1024;
/// ICMP_PORT_UNREACH and ICMPV6_PORT_UNREACH: what `reject` answers by default.
const ICMP_PORT_UNREACH: u8 = 3;
const ICMPV6_PORT_UNREACH: u8 = 4;
/// A rule's hit counters: packets, bytes. Per CPU, since every CPU may be matching
/// packets at once.
type Hits = PerCpuCounters<2>;

struct Entry {
    rule: Rule,
    hits: Arc<Hits>,
}

/// One version of a namespace's rule table, read-only once published.
struct Table {
    entries: KVec<Entry>,
    /// Which (hook point, family) pairs have a rule: bit `2 * point + family`.
    covered: u16,
}

impl Table {
    fn new(entries: KVec<Entry>) -> Self {
        let mut covered = 0;
        for e in entries.iter() {
            for point in HookPoint::ALL {
                for family in [Family::Ipv4, Family::Ipv6] {
                    if e.rule.covers(point, family) {
                        covered |= coverage_bit(point, family);
                    }
                }
            }
        }
        Self { entries, covered }
    }

    /// Whether any rule sits at `point` for `family`.
    #[inline]
    fn covers(&self, point: HookPoint, family: Family) -> bool {
        self.covered & coverage_bit(point, family) != 0
    }
}

#[inline]
fn coverage_bit(point: HookPoint, family: Family) -> u16 {
    1 << (2 * point.number() + family as u32)
}

/// A namespace's state: its rule table, published under RCU for the hooks, and the
/// writers' own reference to it.
#[pin_data]
struct NetRules {
    table: RcuPointer<Arc<Table>>,
    /// The table writers start from; holding the lock makes a write all-or-nothing
    /// against other writers.
    #[pin]
    editor: Mutex<Arc<Table>>,
    /// Packets dropped because a rule could not read what it needs.
    unreadable: PerCpuCounters<1>,
}

struct Rfilter;

const fn at(family: Family, point: HookPoint) -> HookSpec {
    // Priority 0 is the filter table's place (NF_IP_PRI_FILTER), after conntrack.
    HookSpec {
        family,
        point,
        priority: 0,
    }
}

fn dev_name(dev: Option<&Device>) -> impl core::fmt::Display {
    struct Name(Option<kernel::net::dev::IfName>);
    impl core::fmt::Display for Name {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            match &self.0 {
                Some(n) => n.fmt(f),
                None => f.write_str("-"),
            }
        }
    }
    Name(dev.map(Device::name))
}

/// Prints a decoded packet for a `log` rule.
fn log_packet(state: &HookState<'_>, pkt: &hdr::Packet, rule: usize) {
    let ports = pkt.ports().unwrap_or((0, 0));
    let (kind, code) = match pkt.transport {
        hdr::Transport::Icmp { kind, code } | hdr::Transport::Icmpv6 { kind, code } => (kind, code),
        _ => (0, 0),
    };
    pr_info!(
        "rule {} hook {} in={} out={} {} -> {} proto {} sport {} dport {} icmp {}/{}\n",
        rule,
        state.hook().name(),
        dev_name(state.in_dev()),
        dev_name(state.out_dev()),
        rules::Addr(&pkt.src),
        rules::Addr(&pkt.dst),
        pkt.proto,
        ports.0,
        ports.1,
        kind,
        code,
    );
}

/// The verdict for a matched rule; `reject` answers the sender first.
fn verdict(action: Action, skb: &mut HookSkb<'_>, state: &HookState<'_>) -> Verdict {
    match action {
        Action::Accept => Verdict::Accept,
        Action::Drop => Verdict::Drop,
        Action::Reject(RejectWith::TcpReset) => {
            skb.send_tcp_reset();
            Verdict::Drop
        }
        Action::Reject(RejectWith::PortUnreachable) => {
            let code = match state.family() {
                Family::Ipv4 => ICMP_PORT_UNREACH,
                Family::Ipv6 => ICMPV6_PORT_UNREACH,
            };
            skb.send_unreachable(code);
            Verdict::Drop
        }
    }
}

/// A packet the rules at its hook need to read but cannot: dropped, and counted.
fn unreadable(data: &NetRules) -> Verdict {
    data.unreadable.add(0, 1);
    Verdict::Drop
}

/// The packet's network and transport headers, read from the buffer, or why not.
#[inline]
fn parse(skb: &SkBuff, family: Family) -> Result<hdr::Packet, hdr::Malformed> {
    let bytes = skb.network_bytes().ok_or(hdr::Malformed::Truncated)?;
    match family {
        Family::Ipv4 => hdr::ipv4(&bytes, skb.is_gso()),
        Family::Ipv6 => hdr::ipv6(&bytes, skb.is_gso()),
    }
}

/// Applies parsed commands to a copy of `current`: all or nothing.
fn apply(current: &Table, commands: &[Command]) -> Result<Table> {
    let mut entries = KVec::with_capacity(current.entries.len() + commands.len(), GFP_KERNEL)?;
    for e in current.entries.iter() {
        let entry = Entry {
            rule: e.rule,
            hits: e.hits.clone(),
        };
        entries.push(entry, GFP_KERNEL)?;
    }
    for cmd in commands {
        match *cmd {
            Command::Flush => entries = KVec::new(),
            Command::Del(n) => {
                if n > entries.len() {
                    kernel::pr_refused!("refused 'del {}': there are {} rules\n", n, entries.len());
                    return Err(EINVAL);
                }
                entries = without(entries, n - 1)?;
            }
            Command::Add(rule) => {
                if entries.len() >= MAX_RULES {
                    kernel::pr_refused!("refused 'add': the table is full ({} rules)\n", MAX_RULES);
                    return Err(ENOSPC);
                }
                let hits = Arc::new(Hits::new()?, GFP_KERNEL)?;
                entries.push(Entry { rule, hits }, GFP_KERNEL)?;
            }
        }
    }
    Ok(Table::new(entries))
}

/// The entries but the one at `index`.
fn without(entries: KVec<Entry>, index: usize) -> Result<KVec<Entry>> {
    let mut kept = KVec::with_capacity(entries.len(), GFP_KERNEL)?;
    for (i, e) in entries.into_iter().enumerate() {
        if i != index {
            kept.push(e, GFP_KERNEL)?;
        }
    }
    Ok(kept)
}

/// Parses every line of a write; the first bad one refuses the whole write.
fn parse_lines(input: &[u8]) -> Result<KVec<Command>> {
    let text = core::str::from_utf8(input).map_err(|_| {
        kernel::pr_refused!("refused: the input is not text\n");
        EINVAL
    })?;
    let mut commands = KVec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match rules::parse(line) {
            Ok(cmd) => commands.push(cmd, GFP_KERNEL)?,
            Err(e) => {
                kernel::pr_refused!("refused '{}': {}\n", Quoted(line.trim()), e.message());
                return Err(EINVAL);
            }
        }
    }
    if commands.is_empty() {
        kernel::pr_refused!("refused: empty command\n");
        return Err(EINVAL);
    }
    Ok(commands)
}

impl pernet::Subsystem for Rfilter {
    type Data = NetRules;
    type Features = (netfilter::Hooks<Self>, procfs::File<Self>);

    /// A new namespace starts with no rules: nothing published, an empty table to edit.
    fn init(_net: &Namespace) -> impl PinInit<NetRules, Error> {
        try_pin_init!(NetRules {
            table: RcuPointer::empty(),
            editor <- new_mutex!(Arc::new(Table::new(KVec::new()), GFP_KERNEL)?),
            unreadable: PerCpuCounters::new()?,
        })
    }
}

impl netfilter::Filter for Rfilter {
    const HOOKS: &'static [HookSpec] = &[
        at(Family::Ipv4, HookPoint::PreRouting),
        at(Family::Ipv4, HookPoint::LocalIn),
        at(Family::Ipv4, HookPoint::Forward),
        at(Family::Ipv4, HookPoint::LocalOut),
        at(Family::Ipv4, HookPoint::PostRouting),
        at(Family::Ipv6, HookPoint::PreRouting),
        at(Family::Ipv6, HookPoint::LocalIn),
        at(Family::Ipv6, HookPoint::Forward),
        at(Family::Ipv6, HookPoint::LocalOut),
        at(Family::Ipv6, HookPoint::PostRouting),
    ];

    /// The packet path: the first matching rule wins; no rule at this hook means accept.
    /// A packet whose headers a rule here needs but cannot read is dropped.
    fn hook(data: &NetRules, skb: &mut HookSkb<'_>, state: &HookState<'_>) -> Verdict {
        let Some(table) = data.table.get(state.rcu()) else {
            return Verdict::Accept;
        };
        let (point, family) = (state.hook(), state.family());
        if !table.covers(point, family) {
            return Verdict::Accept;
        }
        let Ok(pkt) = parse(skb, family) else {
            return unreadable(data);
        };
        for (i, e) in table.entries.iter().enumerate() {
            match e.rule.matches(point, &pkt) {
                Match::No => continue,
                Match::Unreadable => return unreadable(data),
                Match::Yes => {
                    e.hits.add(0, 1);
                    e.hits.add(1, skb.len().into());
                    if e.rule.log && kernel::net::net_ratelimit() {
                        log_packet(state, &pkt, i + 1);
                    }
                    return verdict(e.rule.action, skb, state);
                }
            }
        }
        Verdict::Accept
    }
}

impl procfs::ControlFile for Rfilter {
    const NAME: &'static CStr = c_str!("rfilter");

    /// `cat /proc/net/rfilter`: the numbered rules with their hit counters, and how many
    /// packets were dropped unread, if any were.
    fn show(data: &NetRules, out: &SeqFile, _ctx: &mut Sleepable) {
        let table = data.editor.lock().clone();
        for (i, e) in table.entries.iter().enumerate() {
            let [packets, bytes] = e.hits.sum();
            out.print(format_args!(
                "{}: {} packets {} bytes {}\n",
                i + 1,
                e.rule,
                packets,
                bytes
            ));
        }
        let [unreadable] = data.unreadable.sum();
        if unreadable > 0 {
            out.print(format_args!(
                "# dropped unread: {unreadable} packets whose headers a rule needed were cut short\n"
            ));
        }
    }

    /// `echo '...' > /proc/net/rfilter`: parse all, apply all, publish the new table.
    fn write(data: &NetRules, _net: &Namespace, input: &[u8], _ctx: &mut Sleepable) -> Result {
        let commands = parse_lines(input)?;
        let mut editor = data.editor.lock();
        let next = Arc::new(apply(&editor, &commands)?, GFP_KERNEL)?;
        // The hooks see the new table from now on; the old one goes once they are done.
        data.table.set(Some(next.clone()));
        *editor = next;
        Ok(())
    }
}
