// SPDX-License-Identifier: GPL-2.0

//! Exercise 2, the network layer: a netfilter hook that refuses new TCP connections to
//! one port (the reference solution).
//!
//! `echo 'port 5000' > /proc/net/exsyn` in a namespace makes its `LOCAL_IN` hook drop
//! every TCP SYN to port 5000, IPv4 and IPv6, and count them; everything else, the
//! segments of connections already open included, is accepted. `cat /proc/net/exsyn`
//! shows `port 5000 dropped N`. Lesson 2 (`samples/rfilter.rs`, docs/rfilter.md) is the
//! full version of the same hook; net/netfilter/core.c `nf_hook_slow` is where the
//! verdict is acted on.

use core::sync::atomic::{AtomicU16, Ordering};
use kernel::net::{
    hdr,
    netfilter::{self, Family, HookPoint, HookSkb, HookSpec, HookState, Verdict},
    ns::Namespace,
    pernet,
    procfs::{self, SeqFile},
    skb::SkBuff,
    stats::PerCpuCounters,
};
use kernel::prelude::*;
use kernel::sync::sleep::Sleepable;
use kernel::{c_str, str::CStr};

kernel::module_pernet! {
    type: ExSyn,
    name: "exsyn",
    author: "netdive",
    description: "Exercise 2: drop TCP SYNs to one port",
    license: "GPL",
}

/// TCP's SYN and ACK flags (include/net/tcp.h: `TCPHDR_SYN`, `TCPHDR_ACK`).
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;

/// A namespace's state: the port watched (0: none) and the SYNs dropped, per CPU.
struct Watch {
    port: AtomicU16,
    dropped: PerCpuCounters<1>,
}

struct ExSyn;

/// Whether `pkt` opens a connection to `port`: TCP, SYN set, ACK clear (a SYN-ACK
/// answers a connection this host opened).
fn is_syn_to(pkt: &hdr::Packet, port: u16) -> bool {
    match pkt.transport {
        hdr::Transport::Tcp { dport, flags, .. } => {
            dport == port && flags & SYN != 0 && flags & ACK == 0
        }
        _ => false,
    }
}

/// The packet's headers, as the hook's family reads them.
fn parse(skb: &SkBuff, family: Family) -> Option<hdr::Packet> {
    let bytes = skb.network_bytes()?;
    match family {
        Family::Ipv4 => hdr::ipv4(&bytes, skb.is_gso()).ok(),
        Family::Ipv6 => hdr::ipv6(&bytes, skb.is_gso()).ok(),
    }
}

impl pernet::Subsystem for ExSyn {
    type Data = Watch;
    type Features = (netfilter::Hooks<Self>, procfs::File<Self>);

    /// A new namespace watches no port.
    fn init(_net: &Namespace) -> impl PinInit<Watch, Error> {
        try_init!(Watch {
            port: AtomicU16::new(0),
            dropped: PerCpuCounters::new()?,
        })
    }
}

impl netfilter::Filter for ExSyn {
    /// Packets for this host, both families, at the filter table's priority.
    const HOOKS: &'static [HookSpec] = &[
        HookSpec {
            family: Family::Ipv4,
            point: HookPoint::LocalIn,
            priority: 0,
        },
        HookSpec {
            family: Family::Ipv6,
            point: HookPoint::LocalIn,
            priority: 0,
        },
    ];

    /// Every packet for this host: a SYN to the watched port is counted and dropped, the
    /// rest accepted.
    fn hook(watch: &Watch, skb: &mut HookSkb<'_>, state: &HookState<'_>) -> Verdict {
        let port = watch.port.load(Ordering::Relaxed);
        if port == 0 {
            return Verdict::Accept;
        }
        match parse(skb, state.family()) {
            Some(pkt) if is_syn_to(&pkt, port) => {
                watch.dropped.add(0, 1);
                Verdict::Drop
            }
            _ => Verdict::Accept,
        }
    }
}

/// `port N`: the port to watch (0: none).
fn parse_port(line: &str) -> Option<u16> {
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("port"), Some(n), None) => n.parse().ok(),
        _ => None,
    }
}

impl procfs::ControlFile for ExSyn {
    const NAME: &'static CStr = c_str!("exsyn");

    /// `cat /proc/net/exsyn`: the port and the SYNs dropped.
    fn show(watch: &Watch, out: &SeqFile, _ctx: &mut Sleepable) {
        let port = watch.port.load(Ordering::Relaxed);
        let [dropped] = watch.dropped.sum();
        out.print(format_args!("port {port} dropped {dropped}\n"));
    }

    /// `echo 'port 5000' > /proc/net/exsyn`.
    fn write(watch: &Watch, _net: &Namespace, input: &[u8], _ctx: &mut Sleepable) -> Result {
        let line = procfs::one_line(input)?;
        let port = parse_port(line).ok_or_else(|| {
            kernel::pr_refused!("exsyn: refused: say 'port N', N from 0 to 65535\n");
            EINVAL
        })?;
        watch.port.store(port, Ordering::Relaxed);
        Ok(())
    }
}
