// SPDX-License-Identifier: GPL-2.0

//! The inet families and netfilter's inet hook points, as plain values.
//!
//! C: `enum nf_inet_hooks` and `NFPROTO_IPV4`/`NFPROTO_IPV6`
//! ([`include/uapi/linux/netfilter.h`](srctree/include/uapi/linux/netfilter.h)).
//!
//! Pure code with no kernel dependency, so rule code that names hook points and families
//! builds on the host too (`rust/host/`); [`netfilter`](super::netfilter) maps them to
//! the kernel's numbers.

/// An address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// IPv4 (`NFPROTO_IPV4`).
    Ipv4,
    /// IPv6 (`NFPROTO_IPV6`).
    Ipv6,
}

/// A hook point of the inet families: `enum nf_inet_hooks`, in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookPoint {
    /// `NF_INET_PRE_ROUTING`: every packet received, before routing (`ip_rcv`).
    PreRouting,
    /// `NF_INET_LOCAL_IN`: packets for this host (`ip_local_deliver`).
    LocalIn,
    /// `NF_INET_FORWARD`: packets routed through (`ip_forward`).
    Forward,
    /// `NF_INET_LOCAL_OUT`: packets this host sends (`__ip_local_out`).
    LocalOut,
    /// `NF_INET_POST_ROUTING`: every packet leaving (`ip_output`).
    PostRouting,
}

impl HookPoint {
    /// All hook points, in `enum nf_inet_hooks` order.
    pub const ALL: [HookPoint; 5] = [
        HookPoint::PreRouting,
        HookPoint::LocalIn,
        HookPoint::Forward,
        HookPoint::LocalOut,
        HookPoint::PostRouting,
    ];

    /// The hook point with `enum nf_inet_hooks` number `n`.
    #[inline]
    pub fn from_number(n: u32) -> Option<HookPoint> {
        Self::ALL.get(n as usize).copied()
    }

    /// Its `enum nf_inet_hooks` number.
    #[inline]
    pub fn number(self) -> u32 {
        self as u32
    }

    /// The name nftables and iptables give it (`input` for `NF_INET_LOCAL_IN`, ...).
    pub fn name(self) -> &'static str {
        match self {
            HookPoint::PreRouting => "prerouting",
            HookPoint::LocalIn => "input",
            HookPoint::Forward => "forward",
            HookPoint::LocalOut => "output",
            HookPoint::PostRouting => "postrouting",
        }
    }
}
