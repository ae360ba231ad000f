// SPDX-License-Identifier: GPL-2.0

//! Packet counters for the hot path.
//!
//! C: `u64_stats_t` and `struct u64_stats_sync` (include/linux/u64_stats_sync.h).
//!
//! A driver counts packets on every transmit and receive, so its counters must cost
//! almost nothing: each is written by one context only (one NAPI instance, or one transmit
//! queue under its lock), and read by anybody (`ndo_get_stats64`, ethtool). On 64-bit
//! kernels `u64_stats_update_begin()` compiles to nothing and a `u64_stats_t` is a
//! `local64_t`: a plain load and store that cannot tear. [`Counter`] is that: a relaxed
//! atomic load and store, no locked instruction.

use core::sync::atomic::{AtomicU64, Ordering};

/// A 64-bit event counter with a single writer.
///
/// Increments from two contexts at once may lose counts (as `u64_stats` would); reads
/// from anywhere see a value that was really there.
#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// A counter at zero.
    pub const fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    /// Adds `n`. Only the counter's single writer calls this.
    #[inline]
    pub fn add(&self, n: u64) {
        self.0.store(
            self.0.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Packets, bytes and drops of one queue, the triple `ip -s link` and ethtool show.
#[derive(Default)]
pub struct QueueStats {
    /// Packets that went through.
    pub packets: Counter,
    /// Their bytes, Ethernet header included.
    pub bytes: Counter,
    /// Packets dropped on this queue.
    pub drops: Counter,
}

impl QueueStats {
    /// All zero.
    pub const fn new() -> Self {
        Self {
            packets: Counter::new(),
            bytes: Counter::new(),
            drops: Counter::new(),
        }
    }

    /// Counts one packet of `len` bytes.
    #[inline]
    pub fn count(&self, len: u32) {
        self.packets.inc();
        self.bytes.add(len as u64);
    }
}

/// A 64-bit event counter that any context may increment (an atomic add): for events
/// with no single owner, such as `ndo_xdp_xmit` called by redirects from any CPU.
#[derive(Default)]
pub struct SharedCounter(AtomicU64);

impl SharedCounter {
    /// A counter at zero.
    pub const fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}
