// SPDX-License-Identifier: GPL-2.0

//! Networking.
//!
//! Upstream 6.12 has only [`phy`]. netdive adds the pieces its lessons need, each a thin,
//! documented layer over the C structure it names:
//!
//! - [`dev`]: `struct net_device`, the network device (`include/linux/netdevice.h`).
//! - [`ns`]: `struct net`, a network namespace (`include/net/net_namespace.h`).
//! - [`skb`]: `struct sk_buff`, the packet (`include/linux/skbuff.h`).
//! - [`napi`]: polled receive, `struct napi_struct` (`include/linux/netdevice.h`).
//! - [`ring`]: `struct ptr_ring` of packets between two CPUs (`include/linux/ptr_ring.h`).
//! - [`stats`]: single-writer 64-bit counters (`include/linux/u64_stats_sync.h`).
//! - [`rtnl`]: link types for `ip link add` (`include/net/rtnetlink.h`).
//! - [`ethtool`]: `struct ethtool_ops` (`include/linux/ethtool.h`).
//! - [`fastpath`]: Rust programs on raw received frames, XDP's actions (`include/net/xdp.h`).
//! - [`xdp`]: native XDP: eBPF programs, `xdp_rxq_info`, `xdp_frame` (`include/net/xdp.h`).
//! - [`filter`]: netfilter hooks per namespace, verdicts, a /proc/net control file.
//! - [`hdr`]: read-only IPv4/IPv6/TCP/UDP/ICMP header views (pure; also built on the host).

#[cfg(CONFIG_RUST_PHYLIB_ABSTRACTIONS)]
pub mod phy;

pub mod dev;
pub mod ethtool;
pub mod fastpath;
pub mod filter;
pub mod hdr;
pub mod napi;
pub mod ns;
pub mod ring;
pub mod rtnl;
pub mod skb;
pub mod stats;
pub mod xdp;

/// An errno the 6.12 `kernel::error::code` list lacks (`EMSGSIZE`, `EADDRNOTAVAIL`, ...),
/// from its `bindings` value.
pub(crate) fn errno(code: u32) -> crate::error::Error {
    crate::error::Error::from_errno(-(code as i32))
}

/// Whether a networking message may be printed now (`net_ratelimit`: a burst of 10, then
/// one per 5 seconds, across all of networking).
pub fn net_ratelimit() -> bool {
    // SAFETY: no preconditions.
    unsafe { bindings::net_ratelimit() != 0 }
}
