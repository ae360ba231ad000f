// SPDX-License-Identifier: GPL-2.0

//! Lesson 2, the network layer: `rfilter`, a rule-driven netfilter hook.
//!
//! Every IPv4 packet the stack handles passes up to five netfilter hook points
//! (net/ipv4/, `NF_HOOK(NFPROTO_IPV4, ...)`); IPv6 has the same five (net/ipv6/):
//!
//! ```text
//!  ip_rcv ─▶ PRE_ROUTING ─▶ ip_rcv_finish: route lookup (ip_route_input_noref)
//!                              ├─ for us ─▶ ip_local_deliver ─▶ LOCAL_IN ─▶ tcp_v4_rcv, udp_rcv, icmp_rcv
//!                              └─ not    ─▶ ip_forward ─▶ FORWARD ─▶ ip_output
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
//! The packet path takes no lock: the table is read under RCU ([`RcuBox`]); a write
//! builds a new table and swaps it in, so a line that does not parse changes nothing.
//! `reject` answers with ICMP/ICMPv6 port unreachable (`nf_send_unreach`, which calls
//! `icmp_send`), then drops; `log` prints the decoded packet, rate limited.

use kernel::net::filter::{
    self, Family, HookPoint, HookSpec, HookState, PernetId, SeqFile, Verdict,
};
use kernel::net::{
    dev::Device,
    hdr,
    ns::Namespace,
    skb::{HeaderBuf, SkBuffRef},
    stats::PerCpuPackets,
};
use kernel::prelude::*;
use kernel::sync::{
    rcu::{self, RcuBox},
    Arc,
};
use kernel::{c_str, str::CStr};

#[path = "rfilter/rules.rs"]
pub mod rules;
use rules::{Action, Command, Hook, Rule};

module! {
    type: RfilterModule,
    name: "rfilter",
    author: "netdive",
    description: "Rule-driven netfilter hook in Rust (netdive lesson 2)",
    license: "GPL",
}

/// Most rules a namespace may hold.
const MAX_RULES: usize = 1024;
/// ICMP_PORT_UNREACH and ICMPV6_PORT_UNREACH: what `reject` answers.
const ICMP_PORT_UNREACH: u8 = 3;
const ICMPV6_PORT_UNREACH: u8 = 4;

/// A rule's hit counters, shared by every version of the table the rule is in.
/// A rule's hit counters (packets, bytes): per CPU, since every CPU may be matching
/// packets at once.
type Hits = PerCpuPackets;

struct Entry {
    rule: Rule,
    hits: Arc<Hits>,
}

/// One version of a namespace's rule table, read-only once published.
struct Table {
    entries: KVec<Entry>,
}

/// A namespace's state: its rule table, published under RCU.
struct NetRules {
    table: RcuBox<Table>,
}

struct Rfilter;

static RFILTER_ID: PernetId = PernetId::new();

const fn at(family: Family, point: HookPoint) -> HookSpec {
    // Priority 0 is the filter table's place (NF_IP_PRI_FILTER), after conntrack.
    HookSpec {
        family,
        point,
        priority: 0,
    }
}

fn dev_name(dev: Option<&Device>) -> &CStr {
    dev.map_or(c_str!("-"), |d| d.name())
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
        Hook::from_number(state.hook()).map_or("?", Hook::name),
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
fn verdict(action: Action, skb: &SkBuffRef<'_>, state: &HookState<'_>) -> Verdict {
    match action {
        Action::Accept => Verdict::Accept,
        Action::Drop => Verdict::Drop,
        Action::Reject => {
            let code = match state.family() {
                Family::Ipv4 => ICMP_PORT_UNREACH,
                Family::Ipv6 => ICMPV6_PORT_UNREACH,
            };
            state.send_unreachable(skb, code);
            Verdict::Drop
        }
    }
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

/// Applies parsed commands to a copy of `current`: all or nothing.
fn apply(current: &Table, commands: &[Command]) -> Result<KBox<Table>> {
    let mut entries = KVec::with_capacity(current.entries.len() + commands.len(), GFP_KERNEL)?;
    for e in current.entries.iter() {
        entries.push(
            Entry {
                rule: e.rule,
                hits: e.hits.clone(),
            },
            GFP_KERNEL,
        )?;
    }
    for cmd in commands {
        match *cmd {
            Command::Flush => entries = KVec::new(),
            Command::Del(n) => {
                if n > entries.len() {
                    pr_info!("refused 'del {}': there are {} rules\n", n, entries.len());
                    return Err(EINVAL);
                }
                entries = without(entries, n - 1)?;
            }
            Command::Add(rule) => {
                if entries.len() >= MAX_RULES {
                    pr_info!("refused 'add': the table is full ({} rules)\n", MAX_RULES);
                    return Err(ENOSPC);
                }
                let hits = Arc::new(Hits::new()?, GFP_KERNEL)?;
                entries.push(Entry { rule, hits }, GFP_KERNEL)?;
            }
        }
    }
    Ok(KBox::new(Table { entries }, GFP_KERNEL)?)
}

/// Parses every line of a write; the first bad one refuses the whole write.
fn parse_lines(input: &[u8]) -> Result<KVec<Command>> {
    let text = core::str::from_utf8(input).map_err(|_| {
        pr_info!("refused: the input is not text\n");
        EINVAL
    })?;
    let mut commands = KVec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match rules::parse(line) {
            Ok(cmd) => commands.push(cmd, GFP_KERNEL)?,
            Err(e) => {
                pr_info!("refused '{}': {}\n", line.trim(), e.message());
                return Err(EINVAL);
            }
        }
    }
    if commands.is_empty() {
        pr_info!("refused: empty command\n");
        return Err(EINVAL);
    }
    Ok(commands)
}

impl filter::Filter for Rfilter {
    type NetData = NetRules;

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

    const CONTROL_FILE: Option<&'static CStr> = Some(c_str!("rfilter"));

    fn pernet_id() -> &'static PernetId {
        &RFILTER_ID
    }

    /// A new namespace starts with an empty table.
    fn init_net(_net: &Namespace) -> Result<NetRules> {
        let empty = KBox::new(
            Table {
                entries: KVec::new(),
            },
            GFP_KERNEL,
        )?;
        Ok(NetRules {
            table: RcuBox::new(empty)?,
        })
    }

    /// The packet path: first matching rule wins; no rule, or a packet that does not
    /// parse (the stack's own checks in `ip_rcv_core` judge those), means accept.
    fn hook(data: &NetRules, skb: &SkBuffRef<'_>, state: &HookState<'_>) -> Verdict {
        let table = data.table.read(state.rcu());
        if table.entries.is_empty() {
            return Verdict::Accept;
        }
        let Some(point) = Hook::from_number(state.hook()) else {
            return Verdict::Accept;
        };
        let mut buf = HeaderBuf::<128>::new();
        let Ok(pkt) = hdr::ip(skb.network_bytes(&mut buf)) else {
            return Verdict::Accept;
        };
        for (i, e) in table.entries.iter().enumerate() {
            if e.rule.matches(point, &pkt) {
                e.hits.count(skb.len());
                if e.rule.log && kernel::net::net_ratelimit() {
                    log_packet(state, &pkt, i + 1);
                }
                return verdict(e.rule.action, skb, state);
            }
        }
        Verdict::Accept
    }

    /// `cat /proc/net/rfilter`: the numbered rules with their hit counters.
    fn show(data: &NetRules, out: &SeqFile) {
        let guard = rcu::read_lock();
        for (i, e) in data.table.read(&guard).entries.iter().enumerate() {
            let (packets, bytes) = e.hits.get();
            out.print(format_args!(
                "{}: {} packets {} bytes {}\n",
                i + 1,
                e.rule,
                packets,
                bytes,
            ));
        }
    }

    /// `echo '...' > /proc/net/rfilter`: parse all, apply all, swap the table in.
    fn write(data: &NetRules, _net: &Namespace, input: &[u8]) -> Result {
        let commands = parse_lines(input)?;
        data.table.update(|current| apply(current, &commands))
    }
}

struct RfilterModule {
    _filter: Pin<KBox<filter::Registration<Rfilter>>>,
}

impl kernel::Module for RfilterModule {
    /// Hooks every namespace, present and future; unloading unhooks them all.
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _filter: KBox::pin_init(filter::Registration::new(), GFP_KERNEL)?,
        })
    }
}
