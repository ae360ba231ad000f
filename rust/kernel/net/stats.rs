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

use crate::{bindings, prelude::*};
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

/// One [`QueueStats`] on a cache line of its own, so that CPUs counting side by side do
/// not bounce each other's line.
#[repr(align(64))]
#[derive(Default)]
struct Padded(QueueStats);

/// [`QueueStats`] for a path several CPUs run at once without a lock, such as a lockless
/// (`lltx`) `ndo_start_xmit`: each CPU counts in its own copy, readers add them up
/// (`dev_sw_netstats_tx_add` and `dev->tstats` do the same with per-CPU memory).
pub struct PerCpuQueueStats {
    cpus: KVec<Padded>,
}

impl PerCpuQueueStats {
    /// One copy per possible CPU (`nr_cpu_ids`).
    pub fn new() -> Result<Self> {
        // SAFETY: `nr_cpu_ids` is set at boot, before any module runs, and never changes.
        let n = unsafe { bindings::nr_cpu_ids } as usize;
        let mut cpus = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            cpus.push(Padded::default(), GFP_KERNEL)?;
        }
        Ok(Self { cpus })
    }

    /// The copy of the CPU running the caller. The caller must not migrate while it
    /// counts (bottom halves off, as in `ndo_start_xmit`), or a count may be lost; nothing
    /// worse can happen.
    #[inline]
    pub fn this_cpu(&self) -> &QueueStats {
        let cpu = super::current_cpu();
        // `nr_cpu_ids` bounds every CPU number; the fallback is never taken.
        let slot = self.cpus.get(cpu).or(self.cpus.first());
        match slot {
            Some(p) => &p.0,
            None => &EMPTY,
        }
    }

    /// Packets, bytes and drops, summed over the CPUs.
    pub fn sum(&self) -> [u64; 3] {
        self.cpus.iter().fold([0; 3], |[p, b, d], s| {
            [
                p.wrapping_add(s.0.packets.get()),
                b.wrapping_add(s.0.bytes.get()),
                d.wrapping_add(s.0.drops.get()),
            ]
        })
    }
}

/// What [`PerCpuQueueStats::this_cpu`] would hand out for a set of no CPUs (never).
static EMPTY: QueueStats = QueueStats::new();

/// Packets and bytes with one copy per CPU (`alloc_percpu`), for events counted on many
/// CPUs at once, on the hot path, that must not be lost (a netfilter rule's hits):
/// `this_cpu_add` is one unlocked instruction on x86, exact even if the counting task is
/// preempted or interrupted. Reading sums the copies, as nftables' `counter` does.
///
/// # Invariants
///
/// `ptr` is a per-CPU pair of `u64` from `netdive_percpu_packets_alloc`, freed on drop.
pub struct PerCpuPackets {
    ptr: core::ptr::NonNull<core::ffi::c_void>,
}

// SAFETY: each CPU writes only its own copy, with `this_cpu_add`; reads are whole-word.
unsafe impl Send for PerCpuPackets {}
// SAFETY: as above.
unsafe impl Sync for PerCpuPackets {}

impl PerCpuPackets {
    /// Counters at zero. Might sleep.
    pub fn new() -> Result<Self> {
        // SAFETY: no preconditions; the memory comes zeroed, or NULL.
        let p = unsafe { bindings::netdive_percpu_packets_alloc() };
        Ok(Self {
            ptr: core::ptr::NonNull::new(p).ok_or(ENOMEM)?,
        })
    }

    /// Counts one packet of `len` bytes on this CPU.
    #[inline]
    pub fn count(&self, len: u32) {
        // SAFETY: `ptr` is live per-CPU memory of the right shape (type invariant).
        unsafe { bindings::netdive_percpu_packets_count(self.ptr.as_ptr(), u64::from(len)) };
    }

    /// Packets and bytes, summed over all CPUs.
    pub fn get(&self) -> (u64, u64) {
        let (mut packets, mut bytes) = (0, 0);
        // SAFETY: `ptr` is live per-CPU memory of the right shape (type invariant); the
        // two outputs are valid for writes.
        unsafe {
            bindings::netdive_percpu_packets_sum(self.ptr.as_ptr(), &mut packets, &mut bytes)
        };
        (packets, bytes)
    }
}

impl Drop for PerCpuPackets {
    fn drop(&mut self) {
        // SAFETY: allocated by `new`, no longer used.
        unsafe { bindings::netdive_percpu_packets_free(self.ptr.as_ptr()) };
    }
}
