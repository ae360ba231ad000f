// SPDX-License-Identifier: GPL-2.0

//! Exercise 5, debugging: a netfilter hook that counts the packets delivered to this
//! host by protocol, and has a bug. Run it on the debug kernel (`make check EX=5`), read
//! what the kernel reports, find the bug and fix it.
//!
//! `cat /proc/net/exbug` shows `tcp N udp N icmp N other N` for the namespace: the IPv4
//! packets its `LOCAL_IN` hook saw (net/ipv4/ip_input.c, `ip_local_deliver`). The four
//! counts are kept under one lock, so that a reader sees them as one snapshot.

use kernel::net::{
    hdr,
    netfilter::{self, Family, HookPoint, HookSkb, HookSpec, HookState, Verdict},
    ns::Namespace,
    pernet,
    procfs::{self, SeqFile},
};
use kernel::prelude::*;
use kernel::sync::{new_spinlock, sleep::Sleepable, SpinLock};
use kernel::{c_str, str::CStr};

kernel::module_pernet! {
    type: ExBug,
    name: "exbug",
    author: "netdive",
    description: "Exercise 5: find the bug the debug kernel reports",
    license: "GPL",
}

/// Packets by protocol.
#[derive(Default, Clone, Copy)]
struct Counts {
    tcp: u64,
    udp: u64,
    icmp: u64,
    other: u64,
}

impl Counts {
    fn count(&mut self, pkt: Option<&hdr::Packet>) {
        match pkt.map(|p| &p.transport) {
            Some(hdr::Transport::Tcp { .. }) => self.tcp += 1,
            Some(hdr::Transport::Udp { .. }) => self.udp += 1,
            Some(hdr::Transport::Icmp { .. }) => self.icmp += 1,
            _ => self.other += 1,
        }
    }
}

/// A namespace's counts.
#[pin_data]
struct NetCounts {
    #[pin]
    counts: SpinLock<Counts>,
}

struct ExBug;

impl pernet::Subsystem for ExBug {
    type Data = NetCounts;
    type Features = (netfilter::Hooks<Self>, procfs::File<Self>);

    fn init(_net: &Namespace) -> impl PinInit<NetCounts, Error> {
        try_pin_init!(NetCounts {
            counts <- new_spinlock!(Counts::default()),
        })
    }
}

impl netfilter::Filter for ExBug {
    const HOOKS: &'static [HookSpec] = &[HookSpec {
        family: Family::Ipv4,
        point: HookPoint::LocalIn,
        priority: 0,
    }];

    /// Every IPv4 packet for this host: counted, accepted.
    fn hook(data: &NetCounts, skb: &mut HookSkb<'_>, _state: &HookState<'_>) -> Verdict {
        let pkt = skb
            .network_bytes()
            .and_then(|b| hdr::ipv4(&b, skb.is_gso()).ok());
        data.counts.lock().count(pkt.as_ref());
        Verdict::Accept
    }
}

impl procfs::ControlFile for ExBug {
    const NAME: &'static CStr = c_str!("exbug");

    /// `cat /proc/net/exbug`: one snapshot of the four counts.
    fn show(data: &NetCounts, out: &SeqFile, _ctx: &mut Sleepable) {
        let c = *data.counts.lock();
        out.print(format_args!(
            "tcp {} udp {} icmp {} other {}\n",
            c.tcp, c.udp, c.icmp, c.other
        ));
    }

    /// `echo clear > /proc/net/exbug`.
    fn write(data: &NetCounts, _net: &Namespace, input: &[u8], _ctx: &mut Sleepable) -> Result {
        if procfs::one_line(input)?.trim() != "clear" {
            kernel::pr_refused!("exbug: refused: the one command is 'clear'\n");
            return Err(EINVAL);
        }
        *data.counts.lock() = Counts::default();
        Ok(())
    }
}
