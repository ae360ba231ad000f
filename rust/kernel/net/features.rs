// SPDX-License-Identifier: GPL-2.0

//! Device features: the offloads a device does itself (`NETIF_F_*`).
//!
//! C header: [`include/linux/netdev_features.h`](srctree/include/linux/netdev_features.h);
//! core in `net/core/dev.c` (`netdev_update_features`) and `net/ethtool/features.c`.
//!
//! A device says what it can do (`dev->hw_features`, what `ethtool -K` may toggle), what
//! it does now (`dev->features`, what `ethtool -k` shows) and what the user asked for
//! (`dev->wanted_features`). The stack reads `features` on every packet: with `SG` and
//! `HW_CSUM` it hands the driver buffers in pieces and with the checksum left to do
//! (`CHECKSUM_PARTIAL`); with the TSO and GSO features it hands one super-packet of up to
//! 64 KiB and the device (or, for a virtual device, nobody at all: the receiver takes it
//! whole) cuts it into segments. `netdev_update_features` recomputes `features` from the
//! other two through the driver's `ndo_fix_features` and applies the change with
//! `ndo_set_features`.

use crate::bindings;
use core::ops::{BitAnd, BitOr, Not, Sub};

/// The largest GSO super-packet a device may take (`GSO_MAX_SIZE`, for
/// [`Setup::set_tso_max_size`](super::rtnl::Setup::set_tso_max_size)).
pub const GSO_MAX_SIZE: u32 = bindings::GSO_MAX_SIZE;

/// A set of device features: `netdev_features_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features(u64);

const fn bit(b: u32) -> Features {
    Features(1u64 << b)
}

impl Features {
    /// No feature.
    pub const EMPTY: Features = Features(0);
    /// `NETIF_F_SG`: buffers in pieces (scatter-gather).
    pub const SG: Features = bit(bindings::NETIF_F_SG_BIT);
    /// `NETIF_F_FRAGLIST`: buffers chained in a `frag_list`.
    pub const FRAGLIST: Features = bit(bindings::NETIF_F_FRAGLIST_BIT);
    /// `NETIF_F_HW_CSUM`: the device computes any checksum (`CHECKSUM_PARTIAL`).
    pub const HW_CSUM: Features = bit(bindings::NETIF_F_HW_CSUM_BIT);
    /// `NETIF_F_RXCSUM`: received checksums are checked.
    pub const RXCSUM: Features = bit(bindings::NETIF_F_RXCSUM_BIT);
    /// `NETIF_F_SCTP_CRC`: SCTP's CRC32c offload.
    pub const SCTP_CRC: Features = bit(bindings::NETIF_F_SCTP_CRC_BIT);
    /// `NETIF_F_HIGHDMA`: buffers in high memory are fine.
    pub const HIGHDMA: Features = bit(bindings::NETIF_F_HIGHDMA_BIT);
    /// `NETIF_F_TSO`: TCP segmentation offload, IPv4.
    pub const TSO: Features = bit(bindings::NETIF_F_TSO_BIT);
    /// `NETIF_F_TSO6`: TCP segmentation offload, IPv6.
    pub const TSO6: Features = bit(bindings::NETIF_F_TSO6_BIT);
    /// `NETIF_F_TSO_ECN`: TSO with ECN.
    pub const TSO_ECN: Features = bit(bindings::NETIF_F_TSO_ECN_BIT);
    /// `NETIF_F_TSO_MANGLEID`: TSO may change the IPv4 ID.
    pub const TSO_MANGLEID: Features = bit(bindings::NETIF_F_TSO_MANGLEID_BIT);
    /// `NETIF_F_GSO_SCTP`.
    pub const GSO_SCTP: Features = bit(bindings::NETIF_F_GSO_SCTP_BIT);
    /// `NETIF_F_GSO_UDP_L4`: UDP segmentation (`UDP_SEGMENT`).
    pub const GSO_UDP_L4: Features = bit(bindings::NETIF_F_GSO_UDP_L4_BIT);
    /// `NETIF_F_GSO_FRAGLIST`.
    pub const GSO_FRAGLIST: Features = bit(bindings::NETIF_F_GSO_FRAGLIST_BIT);
    /// `NETIF_F_GSO_GRE`.
    pub const GSO_GRE: Features = bit(bindings::NETIF_F_GSO_GRE_BIT);
    /// `NETIF_F_GSO_GRE_CSUM`.
    pub const GSO_GRE_CSUM: Features = bit(bindings::NETIF_F_GSO_GRE_CSUM_BIT);
    /// `NETIF_F_GSO_IPXIP4`.
    pub const GSO_IPXIP4: Features = bit(bindings::NETIF_F_GSO_IPXIP4_BIT);
    /// `NETIF_F_GSO_IPXIP6`.
    pub const GSO_IPXIP6: Features = bit(bindings::NETIF_F_GSO_IPXIP6_BIT);
    /// `NETIF_F_GSO_UDP_TUNNEL`.
    pub const GSO_UDP_TUNNEL: Features = bit(bindings::NETIF_F_GSO_UDP_TUNNEL_BIT);
    /// `NETIF_F_GSO_UDP_TUNNEL_CSUM`.
    pub const GSO_UDP_TUNNEL_CSUM: Features = bit(bindings::NETIF_F_GSO_UDP_TUNNEL_CSUM_BIT);
    /// `NETIF_F_HW_VLAN_CTAG_TX`: 802.1Q tags inserted by the device (`skb->vlan_tci`).
    pub const HW_VLAN_CTAG_TX: Features = bit(bindings::NETIF_F_HW_VLAN_CTAG_TX_BIT);
    /// `NETIF_F_HW_VLAN_CTAG_RX`: 802.1Q tags taken out by the device.
    pub const HW_VLAN_CTAG_RX: Features = bit(bindings::NETIF_F_HW_VLAN_CTAG_RX_BIT);
    /// `NETIF_F_HW_VLAN_STAG_TX`: 802.1ad tags inserted.
    pub const HW_VLAN_STAG_TX: Features = bit(bindings::NETIF_F_HW_VLAN_STAG_TX_BIT);
    /// `NETIF_F_HW_VLAN_STAG_RX`: 802.1ad tags taken out.
    pub const HW_VLAN_STAG_RX: Features = bit(bindings::NETIF_F_HW_VLAN_STAG_RX_BIT);
    /// `NETIF_F_GRO`: generic receive offload (software; on unless a driver turns it off).
    pub const GRO: Features = bit(bindings::NETIF_F_GRO_BIT);

    /// `NETIF_F_ALL_TSO`.
    pub const ALL_TSO: Features = Self::TSO
        .union(Self::TSO6)
        .union(Self::TSO_ECN)
        .union(Self::TSO_MANGLEID);
    /// `NETIF_F_GSO_SOFTWARE`: what the stack can segment in software if needed.
    pub const GSO_SOFTWARE: Features = Self::ALL_TSO
        .union(Self::GSO_SCTP)
        .union(Self::GSO_UDP_L4)
        .union(Self::GSO_FRAGLIST);
    /// `NETIF_F_GSO_ENCAP_ALL`: segmentation of tunnelled packets.
    pub const GSO_ENCAP_ALL: Features = Self::GSO_GRE
        .union(Self::GSO_GRE_CSUM)
        .union(Self::GSO_IPXIP4)
        .union(Self::GSO_IPXIP6)
        .union(Self::GSO_UDP_TUNNEL)
        .union(Self::GSO_UDP_TUNNEL_CSUM);
    /// The four VLAN tag offloads.
    pub const VLAN_OFFLOADS: Features = Self::HW_VLAN_CTAG_TX
        .union(Self::HW_VLAN_CTAG_RX)
        .union(Self::HW_VLAN_STAG_TX)
        .union(Self::HW_VLAN_STAG_RX);

    /// The set from its `netdev_features_t` bits.
    #[inline]
    pub const fn from_bits(bits: u64) -> Self {
        Self(bits)
    }

    /// Its `netdev_features_t` bits.
    #[inline]
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Both sets.
    #[inline]
    pub const fn union(self, other: Features) -> Features {
        Features(self.0 | other.0)
    }

    /// This set without `other`'s features.
    #[inline]
    pub const fn without(self, other: Features) -> Features {
        Features(self.0 & !other.0)
    }

    /// Whether every feature of `other` is in this set.
    #[inline]
    pub const fn contains(self, other: Features) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any feature of `other` is in this set.
    #[inline]
    pub const fn intersects(self, other: Features) -> bool {
        self.0 & other.0 != 0
    }
}

impl BitOr for Features {
    type Output = Features;
    fn bitor(self, other: Features) -> Features {
        self.union(other)
    }
}

impl BitAnd for Features {
    type Output = Features;
    fn bitand(self, other: Features) -> Features {
        Features(self.0 & other.0)
    }
}

impl Sub for Features {
    type Output = Features;
    fn sub(self, other: Features) -> Features {
        self.without(other)
    }
}

impl Not for Features {
    type Output = Features;
    fn not(self) -> Features {
        Features(!self.0)
    }
}
