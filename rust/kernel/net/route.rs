// SPDX-License-Identifier: GPL-2.0

//! Routing decisions, asked the way the kernel asks them.
//!
//! C headers: [`include/net/ip_fib.h`](srctree/include/net/ip_fib.h) (`fib_lookup`,
//! `struct fib_result`), [`include/net/fib_rules.h`](srctree/include/net/fib_rules.h)
//! (`fib_rules_lookup`, `struct fib_rule`), [`include/net/route.h`](srctree/include/net/route.h)
//! (`ip_route_output_key`, `ip_route_input_noref`, `struct rtable`); the IPv6 side in
//! [`include/net/ip6_fib.h`](srctree/include/net/ip6_fib.h) and
//! [`include/net/ip6_route.h`](srctree/include/net/ip6_route.h).
//!
//! A route lookup has two steps, and this module shows both:
//!
//! 1. **The FIB** ([`fib_lookup4`], [`fib_lookup6`]): the policy rules (`ip rule`) pick a
//!    table, the table's longest-prefix match picks an entry: its type, next hop, output
//!    device, preferred source. With only the default rules the kernel does not consult
//!    the rules at all (`fib_has_custom_rules` is false): IPv4 looks in `main` (which
//!    then also holds the `local` table's routes: one trie) and then `default`; IPv6 in
//!    `local`, then `main`.
//! 2. **The route** ([`route4`], [`route6`]): what a packet actually gets, the `dst_entry`
//!    the stack attaches to it (`ip_route_output_key` for one this host sends,
//!    `ip_route_input_noref` for one arriving on a device, where forwarding must be on):
//!    its type, gateway, device, source address and MTU, including an MTU learned from an
//!    ICMP "fragmentation needed" (`rt_pmtu`, a next-hop exception).
//!
//! Both steps take an RCU read-side section internally and copy out what they report, so
//! an answer is plain data.

use super::{
    dev::{Device, IfName},
    ns::Namespace,
    skb::OwnedSkBuff,
};
use crate::{bindings, error::Error, prelude::*, sync::rcu};
use core::{
    ffi::c_void,
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
};

/// The kernel's route types (`enum rtn_type`, `RTN_*`), named as `ip route` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteType {
    /// `RTN_UNICAST`: a gateway or a directly connected network.
    Unicast,
    /// `RTN_LOCAL`: an address of this host.
    Local,
    /// `RTN_BROADCAST`: accepted locally as broadcast, sent as broadcast.
    Broadcast,
    /// `RTN_ANYCAST`: accepted locally as broadcast, sent as unicast.
    Anycast,
    /// `RTN_MULTICAST`.
    Multicast,
    /// `RTN_BLACKHOLE`: dropped silently (`EINVAL` to a local sender).
    Blackhole,
    /// `RTN_UNREACHABLE`: dropped, ICMP host unreachable (`EHOSTUNREACH`).
    Unreachable,
    /// `RTN_PROHIBIT`: dropped, ICMP administratively prohibited (`EACCES`).
    Prohibit,
    /// `RTN_THROW`: not in this table, go on with the next rule.
    Throw,
    /// Any other value.
    Other(u32),
}

impl RouteType {
    /// The type with `RTN_*` number `n`.
    pub fn from_rtn(n: u32) -> Self {
        match n {
            bindings::RTN_UNICAST => Self::Unicast,
            bindings::RTN_LOCAL => Self::Local,
            bindings::RTN_BROADCAST => Self::Broadcast,
            bindings::RTN_ANYCAST => Self::Anycast,
            bindings::RTN_MULTICAST => Self::Multicast,
            bindings::RTN_BLACKHOLE => Self::Blackhole,
            bindings::RTN_UNREACHABLE => Self::Unreachable,
            bindings::RTN_PROHIBIT => Self::Prohibit,
            bindings::RTN_THROW => Self::Throw,
            n => Self::Other(n),
        }
    }

    /// The reject type a lookup error stands for (`fib_props[type].error`, the same for
    /// IPv6's reject routes); `None` for "no route at all" (`ENETUNREACH`) and others.
    pub fn from_reject(err: Error) -> Option<Self> {
        match err.to_errno().unsigned_abs() {
            bindings::EINVAL => Some(Self::Blackhole),
            bindings::EHOSTUNREACH => Some(Self::Unreachable),
            bindings::EACCES => Some(Self::Prohibit),
            _ => None,
        }
    }
}

impl fmt::Display for RouteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Unicast => "unicast",
            Self::Local => "local",
            Self::Broadcast => "broadcast",
            Self::Anycast => "anycast",
            Self::Multicast => "multicast",
            Self::Blackhole => "blackhole",
            Self::Unreachable => "unreachable",
            Self::Prohibit => "prohibit",
            Self::Throw => "throw",
            Self::Other(n) => return write!(f, "type-{n}"),
        };
        f.write_str(name)
    }
}

/// A routing table id, printed as `ip route` prints it (`local`, `main`, `default`, or
/// the number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table(pub u32);

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            bindings::rt_class_t_RT_TABLE_LOCAL => f.write_str("local"),
            bindings::rt_class_t_RT_TABLE_MAIN => f.write_str("main"),
            bindings::rt_class_t_RT_TABLE_DEFAULT => f.write_str("default"),
            n => write!(f, "{n}"),
        }
    }
}

/// What a policy rule does with a lookup that matches it (`FR_ACT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleAction {
    /// `lookup TABLE`: look in that table.
    Lookup(Table),
    /// `blackhole`: drop.
    Blackhole,
    /// `unreachable`: fail with `ENETUNREACH`.
    Unreachable,
    /// `prohibit`: fail with `EACCES`.
    Prohibit,
    /// Another action (`goto`, `nop`).
    Other(u8),
}

/// The policy rule that decided a lookup (`arg.rule` after `fib_rules_lookup`).
///
/// Corresponds to the fields of the kernel's `struct fib_rule`
/// ([`include/net/fib_rules.h`](srctree/include/net/fib_rules.h)) that `ip rule` shows first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Its priority (`ip rule add pref N`): rules are tried in this order.
    pub pref: u32,
    /// What it does.
    pub action: RuleAction,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pref {} ", self.pref)?;
        match self.action {
            RuleAction::Lookup(t) => write!(f, "lookup {t}"),
            RuleAction::Blackhole => f.write_str("blackhole"),
            RuleAction::Unreachable => f.write_str("unreachable"),
            RuleAction::Prohibit => f.write_str("prohibit"),
            RuleAction::Other(a) => write!(f, "action {a}"),
        }
    }
}

/// A device, as a lookup named it: index and name, copied out.
#[derive(Clone, Copy)]
pub struct DevName {
    /// `dev->ifindex`.
    pub ifindex: i32,
    /// `dev->name`.
    pub name: IfName,
}

impl DevName {
    fn of(dev: &Device) -> Self {
        Self {
            ifindex: dev.ifindex(),
            name: dev.name(),
        }
    }

    /// # Safety
    ///
    /// `dev` is null or a device valid for the call.
    unsafe fn of_raw(dev: *mut bindings::net_device) -> Option<Self> {
        // SAFETY: the caller's promise.
        (!dev.is_null()).then(|| Self::of(unsafe { Device::from_raw(dev) }))
    }
}

/// A lookup's question: where a packet to `dst` goes, given its source, the device it
/// arrived on (none: this host sends it), its mark (`SO_MARK`, `fwmark`) and its TOS (the
/// DSCP bits count: `tos & 0xfc`, as `ip route get` passes them).
#[derive(Clone, Copy)]
pub struct Query<'a> {
    /// The destination.
    pub dst: IpAddr,
    /// The source address, if the question names one.
    pub src: Option<IpAddr>,
    /// The device the packet arrived on; `None` for a packet this host sends.
    pub iif: Option<&'a Device>,
    /// The packet's mark.
    pub mark: u32,
    /// The TOS byte (IPv4) or traffic class (IPv6).
    pub tos: u8,
}

impl Query<'_> {
    /// The IPv4 destination and source (unspecified if the question names none);
    /// `EAFNOSUPPORT` if either is IPv6.
    fn addrs4(&self) -> Result<(Ipv4Addr, Ipv4Addr)> {
        match (self.dst, self.src) {
            (IpAddr::V4(dst), None) => Ok((dst, Ipv4Addr::UNSPECIFIED)),
            (IpAddr::V4(dst), Some(IpAddr::V4(src))) => Ok((dst, src)),
            _ => Err(super::errno(bindings::EAFNOSUPPORT)),
        }
    }

    /// The IPv6 destination and source, likewise.
    fn addrs6(&self) -> Result<(Ipv6Addr, Ipv6Addr)> {
        match (self.dst, self.src) {
            (IpAddr::V6(dst), None) => Ok((dst, Ipv6Addr::UNSPECIFIED)),
            (IpAddr::V6(dst), Some(IpAddr::V6(src))) => Ok((dst, src)),
            _ => Err(super::errno(bindings::EAFNOSUPPORT)),
        }
    }
}

/// The FIB's answer: the rule that chose the table (if the rules were consulted), the
/// table, and the entry found there.
#[derive(Clone, Copy)]
pub struct FibAnswer {
    /// The rule that decided; `None` when the kernel did not consult the rules (only the
    /// default rules exist, so it looked in its tables directly).
    pub rule: Option<Rule>,
    /// The table that answered, if one did.
    pub table: Option<Table>,
    /// The entry's type; for a reject entry, the type its error stands for; `None` when
    /// nothing matched.
    pub kind: Option<RouteType>,
    /// The entry's prefix and length.
    pub prefix: Option<(IpAddr, u8)>,
    /// The next hop's gateway, for a route via one.
    pub gateway: Option<IpAddr>,
    /// The next hop's device.
    pub dev: Option<DevName>,
    /// The preferred source the route was given (`ip route add ... src`), if any.
    pub prefsrc: Option<IpAddr>,
    /// The lookup's error, if it failed (`ENETUNREACH`: no route; a reject type's).
    pub error: Option<Error>,
}

impl FibAnswer {
    fn failed(rule: Option<Rule>, table: Option<Table>, err: Error) -> Self {
        Self {
            rule,
            table,
            kind: RouteType::from_reject(err),
            prefix: None,
            gateway: None,
            dev: None,
            prefsrc: None,
            error: Some(err),
        }
    }
}

/// The route a packet gets: the `dst_entry` the stack would attach to it.
#[derive(Clone, Copy)]
pub struct Route {
    /// The route's type (`rt_type`; for IPv6, unicast, local, or a reject's type).
    pub kind: RouteType,
    /// The gateway, for a route via one.
    pub gateway: Option<IpAddr>,
    /// The output device (the loopback device for a local route).
    pub dev: Option<DevName>,
    /// The source address a packet this host sends gets (`fl4.saddr` after the lookup);
    /// `None` for a packet that arrived (its source is its own).
    pub src: Option<IpAddr>,
    /// The MTU the packet is held to (`dst_mtu`).
    pub mtu: u32,
    /// Whether that MTU was learned from an ICMP "fragmentation needed" / "packet too
    /// big" (a next-hop exception, `ip route get` shows it as `cache ... mtu N`). IPv4:
    /// the route's `rt_pmtu` is the MTU in force. IPv6: the route is a cached exception
    /// whose MTU is below its device's (an exception from a redirect with a lower MTU
    /// metric would read the same).
    pub mtu_learned: bool,
}

/// Builds an IPv4 flow (`struct flowi4`) for `q` inside a `struct flowi`, as the routing
/// code builds one (`ip_route_output_key_hash`, `ip_route_input_slow`).
fn flow4(q: &Query<'_>, dst: Ipv4Addr, src: Ipv4Addr) -> bindings::flowi {
    // SAFETY: all-zero is a valid `flowi` (an unspecified flow).
    let mut fl: bindings::flowi = unsafe { core::mem::zeroed() };
    // SAFETY: writing the IPv4 member of the union makes it the active one.
    let fl4 = unsafe { &mut fl.u.ip4 };
    fl4.daddr = u32::from_ne_bytes(dst.octets());
    fl4.saddr = u32::from_ne_bytes(src.octets());
    let common = &mut fl4.__fl_common;
    common.flowic_iif = match q.iif {
        Some(dev) => dev.ifindex(),
        None => bindings::LOOPBACK_IFINDEX as i32,
    };
    common.flowic_mark = q.mark;
    // INET_DSCP_MASK: the ECN bits never take part in a lookup.
    common.flowic_tos = q.tos & 0xfc;
    common.flowic_scope = bindings::rt_scope_t_RT_SCOPE_UNIVERSE as u8;
    fl
}

/// The IPv4 address in a `__be32`.
fn v4(raw: u32) -> Ipv4Addr {
    Ipv4Addr::from(raw.to_ne_bytes())
}

/// The IPv6 address in a `struct in6_addr`.
fn v6(raw: &bindings::in6_addr) -> Ipv6Addr {
    // SAFETY: every member of the union is a view of the same 16 bytes.
    Ipv6Addr::from(unsafe { raw.in6_u.u6_addr8 })
}

fn to_in6(addr: Ipv6Addr) -> bindings::in6_addr {
    // SAFETY: all-zero is a valid `in6_addr`.
    let mut raw: bindings::in6_addr = unsafe { core::mem::zeroed() };
    raw.in6_u.u6_addr8 = addr.octets();
    raw
}

/// Copies out the rule `fib_rules_lookup` stopped at.
///
/// # Safety
///
/// `rule` is null or a rule valid for the call (inside the RCU section of the lookup).
unsafe fn rule_of(rule: *const bindings::fib_rule) -> Option<Rule> {
    if rule.is_null() {
        return None;
    }
    // SAFETY: the caller's promise.
    let r = unsafe { &*rule };
    let action = match u32::from(r.action) {
        bindings::FR_ACT_TO_TBL => RuleAction::Lookup(Table(r.table)),
        bindings::FR_ACT_BLACKHOLE => RuleAction::Blackhole,
        bindings::FR_ACT_UNREACHABLE => RuleAction::Unreachable,
        bindings::FR_ACT_PROHIBIT => RuleAction::Prohibit,
        _ => RuleAction::Other(r.action),
    };
    Some(Rule {
        pref: r.pref,
        action,
    })
}

/// The FIB step of an IPv4 lookup, as `fib_lookup` takes it: through the policy rules
/// (`fib_rules_lookup`, recording the rule) when the namespace has rules of its own, else
/// straight into `main`, then `default`.
pub fn fib_lookup4(net: &Namespace, q: &Query<'_>) -> FibAnswer {
    let Ok((dst, src)) = q.addrs4() else {
        return FibAnswer::failed(None, None, super::errno(bindings::EAFNOSUPPORT));
    };
    let mut fl = flow4(q, dst, src);
    // SAFETY: all-zero is a valid (empty) `fib_result`.
    let mut res: bindings::fib_result = unsafe { core::mem::zeroed() };
    let net = net.as_raw();
    let _guard = rcu::read_lock();
    // SAFETY: the namespace is alive (the caller's `&Namespace`); its `ipv4` members are
    // set up with it. The flag changes only under the RTNL; a racing read sees the old or
    // the new value, either of which the kernel's own lookups may see.
    let custom = unsafe { core::ptr::addr_of!((*net).ipv4.fib_has_custom_rules).read_volatile() };
    let (rule, table, err) = if custom {
        // SAFETY: all-zero is a valid `fib_lookup_arg`; ours is filled in below.
        let mut arg: bindings::fib_lookup_arg = unsafe { core::mem::zeroed() };
        arg.result = core::ptr::addr_of_mut!(res).cast::<c_void>();
        arg.flags = bindings::FIB_LOOKUP_NOREF as i32;
        // SAFETY: the rules of a live namespace, a valid flow and argument, inside an RCU
        // read-side section as `NOREF` requires; the result points into `res`, and
        // `arg.rule` at a rule that stays valid until the section ends.
        let err =
            unsafe { bindings::fib_rules_lookup((*net).ipv4.rules_ops, &mut fl, 0, &mut arg) };
        // SAFETY: set by the lookup, valid in this section (or null).
        let rule = unsafe { rule_of(arg.rule) };
        let table = match rule.map(|r| r.action) {
            Some(RuleAction::Lookup(t)) => Some(t),
            _ => None,
        };
        // `fib_rules_lookup` says ESRCH when no rule matched; `__fib_lookup` calls
        // that ENETUNREACH.
        let err = if err == -(bindings::ESRCH as i32) {
            -(bindings::ENETUNREACH as i32)
        } else {
            err
        };
        (rule, table, err)
    } else {
        let mut err = -(bindings::EAGAIN as i32);
        let mut table = None;
        // SAFETY: a live namespace's table pointers, read once each (`READ_ONCE`, as
        // `rcu_dereference_rtnl` does) inside the RCU section, until whose end a table
        // they point at stays valid.
        let tables = unsafe {
            [
                core::ptr::addr_of!((*net).ipv4.fib_main).read_volatile(),
                core::ptr::addr_of!((*net).ipv4.fib_default).read_volatile(),
            ]
        };
        for tb in tables {
            if tb.is_null() {
                continue;
            }
            // SAFETY: a valid table, flow and result, inside an RCU section, `NOREF`.
            err = unsafe {
                bindings::fib_table_lookup(
                    tb,
                    &fl.u.ip4,
                    &mut res,
                    bindings::FIB_LOOKUP_NOREF as i32,
                )
            };
            // SAFETY: `tb` is valid in this section.
            table = Some(Table(unsafe { (*tb).tb_id }));
            if err != -(bindings::EAGAIN as i32) {
                break;
            }
        }
        if err == -(bindings::EAGAIN as i32) {
            (None, None, -(bindings::ENETUNREACH as i32))
        } else {
            (None, table, err)
        }
    };
    if err != 0 {
        return FibAnswer::failed(rule, table, Error::from_errno(err));
    }
    // SAFETY: a successful lookup filled `res`: `nhc` and `fi` point at the entry's
    // next hop and info, valid until the RCU section ends; `table` at its table.
    unsafe {
        let nhc = res.nhc;
        let gateway = (!nhc.is_null() && u32::from((*nhc).nhc_gw_family) == bindings::AF_INET)
            .then(|| IpAddr::V4(v4((*nhc).nhc_gw.ipv4)));
        let dev = if nhc.is_null() {
            None
        } else {
            DevName::of_raw((*nhc).nhc_dev)
        };
        let prefsrc = (!res.fi.is_null() && (*res.fi).fib_prefsrc != 0)
            .then(|| IpAddr::V4(v4((*res.fi).fib_prefsrc)));
        FibAnswer {
            rule,
            table: (!res.table.is_null())
                .then(|| Table((*res.table).tb_id))
                .or(table),
            kind: Some(RouteType::from_rtn(res.type_.into())),
            prefix: Some((IpAddr::V4(v4(res.prefix)), res.prefixlen)),
            gateway,
            dev,
            prefsrc,
            error: None,
        }
    }
}

/// The route an IPv4 packet gets: `ip_route_output_key` for one this host sends,
/// `ip_route_input_noref` for one arriving on `q.iif` (with a probe `sk_buff` carrying
/// the IPv4 header, as `ip route get ... iif` builds one). Does not sleep.
pub fn route4(net: &Namespace, q: &Query<'_>) -> Result<Route> {
    let (dst, src) = q.addrs4()?;
    match q.iif {
        None => output4(net, q, dst, src),
        Some(dev) => input4(dev, q, dst, src),
    }
}

fn output4(net: &Namespace, q: &Query<'_>, dst: Ipv4Addr, src: Ipv4Addr) -> Result<Route> {
    let mut fl = flow4(q, dst, src);
    // SAFETY: a live namespace and a valid flow; no socket. The result is a counted
    // reference (or an error pointer), released below with `dst_release`.
    let rt =
        unsafe { bindings::ip_route_output_flow(net.as_raw(), &mut fl.u.ip4, core::ptr::null()) };
    let rt = crate::error::from_err_ptr(rt)?;
    // SAFETY: we hold a reference on `rt`; the lookup wrote the chosen source into the
    // flow.
    let route = unsafe { route_of(rt, Some(IpAddr::V4(v4(fl.u.ip4.saddr)))) };
    // SAFETY: the reference taken by the lookup (`ip_rt_put`).
    unsafe { bindings::dst_release(core::ptr::addr_of_mut!((*rt).dst)) };
    Ok(route)
}

/// Length of the probe's IPv4 header.
const IPV4_HLEN: u32 = 20;

fn input4(dev: &Device, q: &Query<'_>, dst: Ipv4Addr, src: Ipv4Addr) -> Result<Route> {
    let mut probe = OwnedSkBuff::alloc(IPV4_HLEN)?;
    let header = probe.put(IPV4_HLEN)?;
    header.fill(0);
    header[0] = 0x45; // version 4, 5 words
    header[1] = q.tos;
    header[8] = 64; // TTL
    header[12..16].copy_from_slice(&src.octets());
    header[16..20].copy_from_slice(&dst.octets());
    probe.set_route_probe(bindings::ETH_P_IP as u16, q.mark, dev);
    let guard = rcu::read_lock();
    // SAFETY: our buffer, its network header set, `dev` a valid device (the caller's
    // borrow); inside an RCU section, so the route it attaches without a reference
    // (`skb_dst_set_noref`) stays valid while we read it.
    let err = unsafe {
        bindings::ip_route_input_noref(
            probe.as_raw(),
            u32::from_ne_bytes(dst.octets()),
            u32::from_ne_bytes(src.octets()),
            q.tos & 0xfc,
            dev.as_raw(),
        )
    };
    let route = crate::error::to_result(err).and_then(|()| {
        // SAFETY: as above: the buffer is ours, its route set by the lookup.
        let rt = unsafe { bindings::skb_dst(probe.as_raw()) }.cast::<bindings::rtable>();
        if rt.is_null() {
            return Err(super::errno(bindings::EHOSTUNREACH));
        }
        // SAFETY: `rt` is valid in this RCU section.
        match i32::from(unsafe { (*rt).dst.error }) {
            0 => {
                // SAFETY: as above.
                Ok(unsafe { route_of(rt, None) })
            }
            // An input route keeps the errno positive (`rth->dst.error = -err`).
            error => Err(Error::from_errno(-error.abs())),
        }
    });
    // The probe's route is not counted (`noref`): freeing it releases nothing, and it
    // is no drop.
    probe.consume();
    drop(guard);
    route
}

/// Copies out what an IPv4 route says.
///
/// # Safety
///
/// `rt` is a valid route for the call.
unsafe fn route_of(rt: *mut bindings::rtable, src: Option<IpAddr>) -> Route {
    // SAFETY: the caller's promise; `dst_mtu` reads the route's metrics and exception.
    unsafe {
        let r = &*rt;
        // A route records the next hop's address even when it is the destination itself
        // (a local or on-link route); it goes *via* it only with `rt_uses_gateway`.
        let gateway = (r.rt_uses_gateway != 0 && u32::from(r.rt_gw_family) == bindings::AF_INET)
            .then(|| IpAddr::V4(v4(r.__bindgen_anon_1.rt_gw4)));
        let mtu = bindings::dst_mtu(core::ptr::addr_of!(r.dst));
        let pmtu = r.rt_pmtu();
        Route {
            kind: RouteType::from_rtn(r.rt_type.into()),
            gateway,
            dev: DevName::of_raw(r.dst.__bindgen_anon_1.dev),
            src,
            mtu,
            mtu_learned: pmtu != 0 && pmtu == mtu,
        }
    }
}

/// Builds an IPv6 flow (`struct flowi6`) for `q` inside a `struct flowi`.
fn flow6(q: &Query<'_>, dst: Ipv6Addr, src: Ipv6Addr) -> bindings::flowi {
    // SAFETY: all-zero is a valid `flowi`.
    let mut fl: bindings::flowi = unsafe { core::mem::zeroed() };
    // SAFETY: writing the IPv6 member makes it the active one.
    let fl6 = unsafe { &mut fl.u.ip6 };
    fl6.daddr = to_in6(dst);
    fl6.saddr = to_in6(src);
    // The traffic class in the flow label word (`ip6_make_flowinfo`).
    fl6.flowlabel = (u32::from(q.tos) << 20).to_be();
    let common = &mut fl6.__fl_common;
    common.flowic_iif = match q.iif {
        Some(dev) => dev.ifindex(),
        None => bindings::LOOPBACK_IFINDEX as i32,
    };
    common.flowic_mark = q.mark;
    fl
}

/// `EAFNOSUPPORT` when IPv6 was disabled at boot (`ipv6.disable=1`): then `inet6_init`
/// stops before it sets up routing and the namespaces' IPv6 state (net/ipv6/af_inet6.c:
/// `disable_ipv6_mod`), their FIB tables stay NULL, and a lookup would dereference them
/// (`fib6_table_lookup`). C callers ask `ipv6_mod_enabled()` first, as here.
fn ipv6_enabled() -> Result {
    // SAFETY: no precondition; reads a value fixed at boot.
    if unsafe { bindings::ipv6_mod_enabled() } {
        Ok(())
    } else {
        Err(super::errno(bindings::EAFNOSUPPORT))
    }
}

/// The FIB step of an IPv6 lookup, as `fib6_lookup` takes it: through the rules when the
/// namespace has its own (recording the rule), else `local`, then `main`.
pub fn fib_lookup6(net: &Namespace, q: &Query<'_>) -> FibAnswer {
    let Ok((dst, src)) = ipv6_enabled().and_then(|()| q.addrs6()) else {
        return FibAnswer::failed(None, None, super::errno(bindings::EAFNOSUPPORT));
    };
    let mut fl = flow6(q, dst, src);
    // SAFETY: all-zero is a valid (empty) `fib6_result`.
    let mut res: bindings::fib6_result = unsafe { core::mem::zeroed() };
    let net = net.as_raw();
    let oif: i32 = 0;
    // A rule or a source-routed subtree matches on the source only when the lookup says
    // it has one (`fib6_rule_match`): these are `fib6_lookup`'s flags, not `NOREF`.
    let flags = if q.src.is_some() {
        bindings::RT6_LOOKUP_F_HAS_SADDR as i32
    } else {
        0
    };
    let _guard = rcu::read_lock();
    // SAFETY: as in `fib_lookup4`.
    let custom = unsafe { core::ptr::addr_of!((*net).ipv6.fib6_has_custom_rules).read_volatile() };
    // `fib6_table_lookup` is not exported; modules reach it through `ipv6_stub`, as the
    // BPF FIB helper does.
    // SAFETY: `ipv6_stub` is set at boot, to IPv6's table or, with `ipv6.disable=1`, to
    // `eafnosupport` stubs (net/ipv6/addrconf_core.c), and never changes afterwards.
    let Some(table_lookup) = (unsafe { (*bindings::ipv6_stub).fib6_table_lookup }) else {
        return FibAnswer::failed(None, None, super::errno(bindings::EAFNOSUPPORT));
    };
    let (rule, err) = if custom {
        // SAFETY: all-zero is a valid `fib_lookup_arg`.
        let mut arg: bindings::fib_lookup_arg = unsafe { core::mem::zeroed() };
        // `fib6_rule_action` runs `fib6_table_lookup` into a `fib6_result` when it is the
        // lookup function named, as `fib6_lookup` asks it to.
        arg.lookup_ptr = table_lookup as *mut c_void;
        arg.lookup_data = core::ptr::addr_of!(oif).cast::<c_void>();
        arg.result = core::ptr::addr_of_mut!(res).cast::<c_void>();
        arg.flags = bindings::FIB_LOOKUP_NOREF as i32;
        // SAFETY: as in `fib_lookup4`: a live namespace's rules, valid flow, argument and
        // result, inside an RCU section.
        let err = unsafe {
            bindings::fib_rules_lookup((*net).ipv6.fib6_rules_ops, &mut fl, flags, &mut arg)
        };
        // No rule matched: as for IPv4, no route.
        let err = if err == -(bindings::ESRCH as i32) {
            -(bindings::ENETUNREACH as i32)
        } else {
            err
        };
        // SAFETY: set by the lookup, valid in this section (or null).
        (unsafe { rule_of(arg.rule) }, err)
    } else {
        let mut err = 0;
        // SAFETY: the `local` and `main` tables are set up with the namespace and freed
        // with it.
        for tb in unsafe { [(*net).ipv6.fib6_local_tbl, (*net).ipv6.fib6_main_tbl] } {
            // SAFETY: a valid table, flow and result, inside an RCU section.
            err = unsafe { table_lookup(net, tb, oif, &mut fl.u.ip6, &mut res, flags) };
            // SAFETY: the namespace's null entry, set up with it.
            if err == 0 && res.f6i != unsafe { (*net).ipv6.fib6_null_entry } {
                break;
            }
        }
        (None, err)
    };
    if err != 0 {
        return FibAnswer::failed(rule, None, Error::from_errno(err));
    }
    // SAFETY: after a lookup `res.f6i` is an entry valid until the RCU section ends (the
    // null entry when nothing matched), `res.nh` its next hop (or null).
    unsafe {
        let f6i = res.f6i;
        if f6i.is_null() || f6i == (*net).ipv6.fib6_null_entry {
            return FibAnswer::failed(rule, None, super::errno(bindings::ENETUNREACH));
        }
        let f = &*f6i;
        let table = (!f.fib6_table.is_null()).then(|| Table((*f.fib6_table).tb6_id));
        let kind = RouteType::from_rtn(f.fib6_type.into());
        let nh = res.nh;
        let gateway = (!nh.is_null()
            && u32::from((*nh).nh_common.nhc_gw_family) == bindings::AF_INET6)
            .then(|| IpAddr::V6(v6(&(*nh).nh_common.nhc_gw.ipv6)));
        let dev = if nh.is_null() {
            None
        } else {
            DevName::of_raw((*nh).nh_common.nhc_dev)
        };
        let prefsrc = (f.fib6_prefsrc.plen != 0).then(|| IpAddr::V6(v6(&f.fib6_prefsrc.addr)));
        let plen = u8::try_from(f.fib6_dst.plen).unwrap_or(128);
        FibAnswer {
            rule,
            table,
            kind: Some(kind),
            prefix: Some((IpAddr::V6(v6(&f.fib6_dst.addr)), plen)),
            gateway,
            dev,
            prefsrc,
            error: if matches!(
                kind,
                RouteType::Blackhole | RouteType::Unreachable | RouteType::Prohibit
            ) {
                Some(Error::from_errno(-(reject_errno(kind) as i32)))
            } else {
                None
            },
        }
    }
}

/// The errno an IPv6 reject route of `kind` gives (`ip6_rt_type_to_error`).
fn reject_errno(kind: RouteType) -> u32 {
    match kind {
        RouteType::Blackhole => bindings::EINVAL,
        RouteType::Prohibit => bindings::EACCES,
        _ => bindings::EHOSTUNREACH,
    }
}

/// The route an IPv6 packet this host sends gets (`ip6_route_output`), or one arriving
/// on `q.iif` (`ip6_route_input_lookup`, as `ip -6 route get ... iif` asks).
pub fn route6(net: &Namespace, q: &Query<'_>) -> Result<Route> {
    ipv6_enabled()?;
    let (dst, src) = q.addrs6()?;
    let mut fl = flow6(q, dst, src);
    let net = net.as_raw();
    // SAFETY: a live namespace with IPv6 set up (checked above), a valid flow; no
    // socket, no buffer. Both return a
    // counted reference, never null (a failure is a reject route with `dst.error` set),
    // released below.
    let dst_entry = unsafe {
        match q.iif {
            None => bindings::ip6_route_output_flags(net, core::ptr::null(), &mut fl.u.ip6, 0),
            // As `ip -6 route get ... iif` asks (`inet6_rtm_getroute`).
            Some(dev) => bindings::ip6_route_input_lookup(
                net,
                dev.as_raw(),
                &mut fl.u.ip6,
                core::ptr::null(),
                if q.src.is_some() {
                    bindings::RT6_LOOKUP_F_HAS_SADDR as i32
                } else {
                    0
                },
            ),
        }
    };
    if dst_entry.is_null() {
        return Err(super::errno(bindings::ENETUNREACH));
    }
    // SAFETY: we hold a reference on the route; an `rt6_info` starts with its
    // `dst_entry`; the route holds a reference on its device, valid while we hold ours.
    let result = unsafe {
        let error = i32::from((*dst_entry).error);
        if error != 0 {
            Err(Error::from_errno(-error.abs()))
        } else {
            let rt = &*dst_entry.cast::<bindings::rt6_info>();
            let flags = rt.rt6i_flags;
            let kind = if flags & bindings::RTF_LOCAL != 0 {
                RouteType::Local
            } else {
                RouteType::Unicast
            };
            let gateway =
                (flags & bindings::RTF_GATEWAY != 0).then(|| IpAddr::V6(v6(&rt.rt6i_gateway)));
            let mtu = bindings::dst_mtu(dst_entry);
            Ok(Route {
                kind,
                gateway,
                dev: DevName::of_raw((*dst_entry).__bindgen_anon_1.dev),
                // Like IPv4's: a source for a packet this host sends only.
                src: match q.iif {
                    Some(_) => None,
                    None => q.src.or_else(|| source6(net, dst_entry, dst)),
                },
                mtu,
                // IPv6 keeps a learned MTU in a cached exception route (`RTF_CACHE`)
                // whose MTU is below its device's; the device's MTU is read as
                // `Device::mtu` reads it (`READ_ONCE`: the RTNL may change it).
                mtu_learned: flags & bindings::RTF_CACHE != 0
                    && mtu < Device::from_raw((*dst_entry).__bindgen_anon_1.dev).mtu(),
            })
        }
    };
    // SAFETY: the reference the lookup took.
    unsafe { bindings::dst_release(dst_entry) };
    result
}

/// The source address a packet this host sends on an IPv6 route gets when the sender
/// named none (`ipv6_dev_get_saddr`, as `ip -6 route get` reports it).
///
/// # Safety
///
/// `dst` is a valid route the caller holds a reference on.
unsafe fn source6(
    net: *mut bindings::net,
    dst: *mut bindings::dst_entry,
    to: Ipv6Addr,
) -> Option<IpAddr> {
    // SAFETY: all-zero is a valid `in6_addr`.
    let mut saddr: bindings::in6_addr = unsafe { core::mem::zeroed() };
    let daddr = to_in6(to);
    // SAFETY: the caller's promise for `dst`; its device is valid while the route is.
    let err = unsafe {
        bindings::ipv6_dev_get_saddr(net, (*dst).__bindgen_anon_1.dev, &daddr, 0, &mut saddr)
    };
    (err == 0).then(|| IpAddr::V6(v6(&saddr)))
}

impl fmt::Display for DevName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.name, f)
    }
}

/// A lookup's errno by name, as `ip route get` reports a failed lookup.
pub struct ErrName(pub Error);

impl fmt::Display for ErrName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0.to_errno().unsigned_abs() {
            bindings::ENETUNREACH => "ENETUNREACH (Network is unreachable)",
            bindings::EHOSTUNREACH => "EHOSTUNREACH (No route to host)",
            bindings::EINVAL => "EINVAL (Invalid argument)",
            bindings::EACCES => "EACCES (Permission denied)",
            bindings::EXDEV => "EXDEV (Invalid cross-device link)",
            bindings::EAFNOSUPPORT => "EAFNOSUPPORT (Address family not supported by protocol)",
            n => return write!(f, "errno {n}"),
        };
        f.write_str(name)
    }
}
