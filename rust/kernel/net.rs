// SPDX-License-Identifier: GPL-2.0

//! Networking.
//!
//! Upstream 6.12 has only `phy` (PHY drivers, with `CONFIG_RUST_PHYLIB_ABSTRACTIONS`).
//! netdive adds the pieces its lessons need, each a thin,
//! documented layer over the C structure it names (`docs/safety.md` lists, for every safe
//! function that reaches C, the C precondition and what enforces it):
//!
//! - [`dev`]: `struct net_device` and `struct net_device_ops`: devices and drivers.
//! - [`rtnl`]: the RTNL and link types for `ip link add` (`struct rtnl_link_ops`).
//! - [`pair`]: device pairs, veth's request layout and peer pointer.
//! - [`features`]: offloads (`NETIF_F_*`), what `ethtool -k` shows.
//! - [`napi`]: polled receive, `struct napi_struct`, one instance per receive queue.
//! - [`skb`]: `struct sk_buff`, the packet.
//! - [`ring`]: `struct ptr_ring` between CPUs.
//! - [`stats`]: per-queue and per-CPU counters.
//! - [`ethtool`]: `struct ethtool_ops`.
//! - [`xdp`]: native XDP: eBPF programs, `xdp_rxq_info`, `xdp_frame`, verdicts.
//! - [`fastpath`]: Rust programs on raw received frames, with XDP's verdicts.
//! - [`ns`]: `struct net`, a network namespace.
//! - [`pernet`]: state per namespace (`struct pernet_operations`).
//! - [`netfilter`]: netfilter hooks in every namespace.
//! - [`procfs`]: a control file in every namespace's `/proc/net`.
//! - [`socket`]: kernel sockets (`struct socket`): TCP and UDP, IPv4 and IPv6.
//! - [`tcp_state`]: every TCP state change in a namespace (`sock:inet_sock_set_state`).
//! - [`inet`], [`hdr`]: families and hook points; read-only header views (pure, also
//!   built on the host).

#[cfg(CONFIG_RUST_PHYLIB_ABSTRACTIONS)]
pub mod phy;

pub mod dev;
pub mod ethtool;
pub mod fastpath;
pub mod features;
pub mod hdr;
pub mod ifname;
pub mod inet;
pub mod napi;
pub mod netfilter;
pub mod ns;
pub mod page_pool;
pub mod pair;
pub mod pernet;
pub mod procfs;
pub mod ring;
pub mod route;
pub mod rtnl;
pub mod skb;
pub mod socket;
pub mod stats;
pub mod tcp_state;
pub mod xdp;

/// An errno the 6.12 `kernel::error::code` list lacks (`EMSGSIZE`, `EADDRNOTAVAIL`, ...),
/// from its `bindings` value.
pub(crate) fn errno(code: u32) -> crate::error::Error {
    crate::error::Error::from_errno(-(code as i32))
}

/// `ENOTCONN` ("Transport endpoint is not connected"), which 6.12's `kernel::error::code`
/// lacks: for a pair end whose peer is gone.
pub fn not_connected() -> crate::error::Error {
    errno(bindings::ENOTCONN)
}

/// A kernel warning (`WARN(1, ...)`): "WARNING: CPU: ..." with `msg`, a backtrace and the
/// taint flag, as C code reports a state that must not happen. It does not stop anything.
pub fn warn(msg: &crate::str::CStr) {
    // SAFETY: `msg` is a NUL-terminated string; the helper prints it with "%s".
    unsafe { bindings::netdive_warn(msg.as_char_ptr()) };
}

/// Whether a networking message may be printed now (`net_ratelimit`: a burst of 10, then
/// one per 5 seconds, across all of networking).
pub fn net_ratelimit() -> bool {
    // SAFETY: no preconditions.
    unsafe { bindings::net_ratelimit() != 0 }
}

/// The possible CPUs (`for_each_possible_cpu`): fixed at boot, before any module runs.
pub fn possible_cpus() -> impl Iterator<Item = u32> {
    // SAFETY: `nr_cpu_ids` is set at boot, before any module runs, and never changes.
    let ids = unsafe { bindings::nr_cpu_ids };
    (0..ids).filter(|&cpu| {
        // SAFETY: a CPU number below `nr_cpu_ids`; the mask is the kernel's, fixed at boot.
        unsafe {
            bindings::cpumask_test_cpu(
                cpu as i32,
                core::ptr::addr_of!(bindings::__cpu_possible_mask),
            )
        }
    })
}

/// How many CPUs are possible (`num_possible_cpus`).
pub fn num_possible_cpus() -> u32 {
    possible_cpus().count() as u32
}

/// The number of the CPU running the caller (`raw_smp_processor_id`): stale as soon as it
/// is read unless the caller cannot migrate (bottom halves off, as on the packet path).
#[inline]
pub fn current_cpu() -> usize {
    // SAFETY: no preconditions.
    unsafe { bindings::raw_smp_processor_id() as usize }
}

/// The module of [`module_rtnl_link!`](crate::module_rtnl_link) and
/// [`module_pernet!`](crate::module_pernet): one registration (`rtnl::Registration`,
/// `pernet::Registration`), made when the module loads and dropped when it goes, and the
/// `module!` fields given.
#[doc(hidden)]
#[macro_export]
macro_rules! __module_with_registration {
    ($registration:ty, { $($fields:tt)* }) => {
        /// The module: its registration, alive while the module is loaded.
        struct __ModuleWithRegistration {
            _registration: ::core::pin::Pin<$crate::alloc::KBox<$registration>>,
        }

        impl $crate::Module for __ModuleWithRegistration {
            fn init(_module: &'static $crate::ThisModule) -> $crate::error::Result<Self> {
                Ok(Self {
                    _registration: $crate::alloc::KBox::pin_init(
                        <$registration>::new(),
                        $crate::alloc::flags::GFP_KERNEL,
                    )?,
                })
            }
        }

        $crate::prelude::module! {
            type: __ModuleWithRegistration,
            $($fields)*
        }
    };
}
