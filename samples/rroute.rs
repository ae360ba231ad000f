// SPDX-License-Identifier: GPL-2.0

//! Lesson 2b, routing: `rroute` asks the kernel's own routing code where a packet goes,
//! and shows the two steps of its answer.
//!
//! Every IP packet is routed once on its way in or out: `ip_route_input_noref` in
//! `ip_rcv_finish` (net/ipv4/ip_input.c) for one that arrives, `ip_route_output_key` in
//! the protocol's send path for one this host sends. Both start with the FIB
//! (`fib_lookup`, include/net/ip_fib.h): the policy rules (`ip rule`, net/core/fib_rules.c)
//! choose a table, the table's trie (net/ipv4/fib_trie.c) finds the longest prefix that
//! matches. The result becomes a route (`struct rtable`, a `dst_entry`) that decides what
//! happens next: deliver locally, forward (`ip_forward`, only with `ip_forward=1`), or
//! refuse with an ICMP error. IPv6 does the same in net/ipv6/route.c and fib6_rules.c.
//!
//! `/proc/net/rroute` (one per namespace) takes one question per write and shows the
//! answer on reading:
//!
//! ```text
//! echo 'lookup 10.2.0.9 from 10.1.0.1 iif r0 mark 7 tos 0x10' > /proc/net/rroute
//! echo 'lookup6 fd02::9' > /proc/net/rroute
//! cat /proc/net/rroute
//! ```
//!
//! The answer has three lines: the rule that chose the table (or why no rule was asked),
//! the FIB entry (table, type, prefix, gateway, device, preferred source), and the route
//! a packet gets (type, gateway, device, source, MTU, and whether that MTU was learned
//! from an ICMP "fragmentation needed").

use core::net::IpAddr;
use kernel::net::{
    ifname,
    ns::Namespace,
    pernet,
    procfs::{self, Quoted, SeqFile},
    route::{self, ErrName, FibAnswer, Query, Route},
};
use kernel::prelude::*;
use kernel::sync::{new_mutex, rcu, sleep::Sleepable, Mutex};
use kernel::{c_str, str::CStr};

#[path = "rroute/query.rs"]
pub mod query;

// Creates `/proc/net/rroute` in every namespace.
kernel::module_pernet! {
    type: Rroute,
    name: "rroute",
    author: "netdive",
    description: "Route lookups shown from inside (netdive lesson 2b)",
    license: "GPL",
}

/// The last question asked in a namespace, and the kernel's answer.
struct Answer {
    question: query::Query,
    fib: FibAnswer,
    route: Result<Route>,
}

/// A namespace's last answer.
#[pin_data]
struct NetState {
    #[pin]
    last: Mutex<Option<Answer>>,
}

struct Rroute;

/// Asks both steps, under one RCU read-side section so the device named by `iif` stays
/// valid while the lookups use it.
fn ask(net: &Namespace, question: query::Query) -> Result<Answer> {
    let guard = rcu::read_lock();
    let iif = match question.iif {
        Some(name) => Some(arriving_device(net, &name, &guard)?),
        None => None,
    };
    let q = Query {
        dst: question.dst,
        src: question.src,
        iif,
        mark: question.mark,
        tos: question.tos,
    };
    let (fib, route) = match question.dst {
        IpAddr::V4(_) => (route::fib_lookup4(net, &q), route::route4(net, &q)),
        IpAddr::V6(_) => (route::fib_lookup6(net, &q), route::route6(net, &q)),
    };
    Ok(Answer {
        question,
        fib,
        route,
    })
}

/// The device a question says the packet arrives on.
fn arriving_device<'a>(
    net: &'a Namespace,
    name: &ifname::Name,
    guard: &'a rcu::Guard,
) -> Result<&'a kernel::net::dev::Device> {
    let cname = CStr::from_bytes_with_nul(name.with_nul())?;
    net.device_by_name(cname, guard).ok_or_else(|| {
        kernel::pr_refused!("refused: no device '{}' in this namespace\n", name);
        ENODEV
    })
}

/// Parses one question; a bad one is refused with a line in dmesg.
fn parse_question(input: &[u8]) -> Result<query::Query> {
    let line = procfs::one_line(input)?;
    query::parse(line).map_err(|why| {
        kernel::pr_refused!("refused '{}': {}\n", Quoted(line.trim()), why);
        EINVAL
    })
}

/// The first line: which rule chose the table.
fn show_rule(out: &SeqFile, fib: &FibAnswer, v6: bool) {
    match fib.rule {
        Some(rule) => out.print(format_args!("rule: {rule}\n")),
        None if fib.error.is_some() && fib.table.is_none() && fib.kind.is_none() => {
            out.print(format_args!("rule: none matched, or none was asked\n"))
        }
        None if v6 => out.print(format_args!(
            "rule: not consulted (only the default rules exist: local, then main, directly)\n"
        )),
        None => out.print(format_args!(
            "rule: not consulted (only the default rules exist: main, then default, directly)\n"
        )),
    }
}

/// The second line: the FIB entry.
fn show_fib(out: &SeqFile, fib: &FibAnswer) {
    out.print(format_args!("fib:"));
    if let Some(table) = fib.table {
        out.print(format_args!(" table {table}"));
    }
    match fib.kind {
        Some(kind) => out.print(format_args!(" type {kind}")),
        None => out.print(format_args!(" no route")),
    }
    if let Some((prefix, len)) = fib.prefix {
        out.print(format_args!(" prefix {prefix}/{len}"));
    }
    if let Some(gw) = fib.gateway {
        out.print(format_args!(" gateway {gw}"));
    }
    if let Some(dev) = fib.dev {
        out.print(format_args!(" dev {dev}"));
    }
    if let Some(src) = fib.prefsrc {
        out.print(format_args!(" prefsrc {src}"));
    }
    if let Some(err) = fib.error {
        out.print(format_args!(" error {}", ErrName(err)));
    }
    out.print(format_args!("\n"));
}

/// The third line: the route a packet gets.
fn show_route(out: &SeqFile, route: &Result<Route>) {
    match route {
        Err(err) => out.print(format_args!("route: error {}\n", ErrName(*err))),
        Ok(r) => {
            out.print(format_args!("route: type {}", r.kind));
            if let Some(gw) = r.gateway {
                out.print(format_args!(" gateway {gw}"));
            }
            if let Some(dev) = r.dev {
                out.print(format_args!(" dev {dev}"));
            }
            if let Some(src) = r.src {
                out.print(format_args!(" src {src}"));
            }
            out.print(format_args!(" mtu {}", r.mtu));
            if r.mtu_learned {
                out.print(format_args!(" (learned)"));
            }
            out.print(format_args!("\n"));
        }
    }
}

impl pernet::Subsystem for Rroute {
    type Data = NetState;
    /// No hooks: rroute only asks.
    type Features = procfs::File<Self>;

    fn init(_net: &Namespace) -> impl PinInit<NetState, Error> {
        try_pin_init!(NetState {
            last <- new_mutex!(None),
        })
    }
}

impl procfs::ControlFile for Rroute {
    const NAME: &'static CStr = c_str!("rroute");

    /// `cat /proc/net/rroute`: the last question and the kernel's answer.
    fn show(state: &NetState, out: &SeqFile, _ctx: &mut Sleepable) {
        let last = state.last.lock();
        let Some(answer) = last.as_ref() else {
            out.print(format_args!(
                "no question yet: echo 'lookup ADDR' > /proc/net/rroute\n"
            ));
            return;
        };
        out.print(format_args!("{}\n", answer.question));
        show_rule(out, &answer.fib, answer.question.dst.is_ipv6());
        show_fib(out, &answer.fib);
        show_route(out, &answer.route);
    }

    /// `echo 'lookup ...' > /proc/net/rroute`: one question per write. A question that
    /// does not parse, or names a device this namespace does not have, is refused and
    /// leaves the last answer as it was.
    fn write(state: &NetState, net: &Namespace, input: &[u8], _ctx: &mut Sleepable) -> Result {
        let answer = ask(net, parse_question(input)?)?;
        *state.last.lock() = Some(answer);
        Ok(())
    }
}
