// SPDX-License-Identifier: GPL-2.0

//! Packet counters for the hot path, of two kinds.
//!
//! C: `u64_stats_t` (include/linux/u64_stats_sync.h) and per-CPU counters
//! (`alloc_percpu`, `this_cpu_add`: include/linux/percpu-defs.h; `dev->tstats`).
//!
//! - [`Counter`]: one per receive queue, written only by that queue's NAPI poll, which
//!   never runs on two CPUs at once. On 64-bit kernels a `u64_stats_t` is a plain load
//!   and store that cannot tear, and so is this: no locked instruction. Writing needs the
//!   poll's [`super::napi::Context`].
//! - [`PerCpuCounters`]: one copy per CPU, for events many CPUs count at once (a lockless
//!   transmit path, a netfilter rule's hits, `ndo_xdp_xmit` from any redirecting CPU):
//!   `this_cpu_add`, exact in any context; readers add the copies up.

use super::napi::{Context, Poll};
use crate::{bindings, prelude::*};
use core::sync::atomic::{AtomicU64, Ordering};

/// A 64-bit event counter of one receive queue, written by its NAPI poll.
///
/// Reads from anywhere see a value that was really there. The `Context` every write takes
/// means it runs in a poll, and a queue's poll runs on one CPU at a time, so the counter of
/// a queue that only its own poll writes is exact; one written by two queues' polls could
/// lose counts (never tear).
#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// A counter at zero.
    pub const fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    /// Adds `n`, from a poll.
    #[inline]
    pub fn add<Q: Poll>(&self, n: u64, _poll: &Context<'_, Q>) {
        self.0.store(
            self.0.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }

    /// Adds one, from a poll.
    #[inline]
    pub fn inc<Q: Poll>(&self, poll: &Context<'_, Q>) {
        self.add(1, poll);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Packets, bytes and drops of one receive queue, the triple `ip -s link` and ethtool show.
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

    /// Counts one packet of `len` bytes, from the queue's poll.
    #[inline]
    pub fn count<Q: Poll>(&self, len: u32, poll: &Context<'_, Q>) {
        self.packets.inc(poll);
        self.bytes.add(u64::from(len), poll);
    }

    /// Packets, bytes and drops.
    pub fn get(&self) -> [u64; 3] {
        [self.packets.get(), self.bytes.get(), self.drops.get()]
    }
}

/// `N` 64-bit counters with one copy per CPU (`alloc_percpu`), for events counted on many
/// CPUs at once, on the hot path, that must not be lost: [`PerCpuCounters::add`] is
/// `this_cpu_add`, one unlocked instruction on x86, exact even if the counting task is
/// preempted or interrupted. Reading sums the copies, as `dev_get_tstats64` and nftables'
/// `counter` do.
///
/// # Invariants
///
/// `ptr` is a per-CPU area of `N` `u64`s from `__alloc_percpu`, owned by this value.
pub struct PerCpuCounters<const N: usize> {
    ptr: core::ptr::NonNull<u64>,
}

// SAFETY: each CPU writes only its own copy, with `this_cpu_add`; reads are whole words.
unsafe impl<const N: usize> Send for PerCpuCounters<N> {}
// SAFETY: as above.
unsafe impl<const N: usize> Sync for PerCpuCounters<N> {}

impl<const N: usize> PerCpuCounters<N> {
    /// Counters at zero. Might sleep.
    pub fn new() -> Result<Self> {
        // SAFETY: no preconditions; the memory comes zeroed, or NULL.
        let p = unsafe {
            bindings::alloc_percpu_bytes(
                core::mem::size_of::<[u64; N]>(),
                core::mem::align_of::<u64>(),
            )
        };
        Ok(Self {
            ptr: core::ptr::NonNull::new(p.cast()).ok_or(ENOMEM)?,
        })
    }

    /// Adds `n` to counter `i` (a counter past `N` is ignored) on this CPU: `this_cpu_add`.
    #[inline]
    pub fn add(&self, i: usize, n: u64) {
        if i >= N {
            return;
        }
        // SAFETY: counter `i` of the area (`i < N`, checked above).
        let p = unsafe { self.ptr.as_ptr().add(i) };
        // `this_cpu_add` as x86-64 compiles it: one `add` relative to `%gs`, whose base is
        // the running CPU's per-CPU offset (6.12's zero-based per-CPU segment), so the
        // per-CPU pointer itself is the operand. One instruction: neither preemption nor an
        // interrupt can split it. Written out because under TCG a call to the C helper
        // costs more than the rest of a counter update several times over.
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `p` is a per-CPU pointer into a live area (type invariant), so
        // `%gs:p` is this CPU's copy of counter `i`, a `u64` only `this_cpu` operations
        // (or whole-word reads in `sum`) touch.
        unsafe {
            core::arch::asm!(
                "add qword ptr gs:[{p}], {n}",
                p = in(reg) p,
                n = in(reg) n,
                options(nostack),
            )
        };
        #[cfg(not(target_arch = "x86_64"))]
        // SAFETY: as above; `this_cpu_add` adds to the current CPU's copy, interrupt-safe.
        unsafe {
            bindings::this_cpu_add_u64(p, n)
        };
    }

    /// The counters, summed over all possible CPUs.
    pub fn sum(&self) -> [u64; N] {
        let mut total = [0u64; N];
        for cpu in super::possible_cpus() {
            // SAFETY: a possible CPU's copy of a live per-CPU area.
            let copy = unsafe { bindings::per_cpu_ptr(self.ptr.as_ptr().cast(), cpu as i32) };
            for (i, t) in total.iter_mut().enumerate() {
                // SAFETY: `copy` points at `N` `u64`s that CPU `cpu` may be adding to;
                // `READ_ONCE` reads a whole word.
                let v = unsafe { copy.cast::<u64>().add(i).read_volatile() };
                *t = t.wrapping_add(v);
            }
        }
        total
    }
}

impl<const N: usize> Drop for PerCpuCounters<N> {
    fn drop(&mut self) {
        // SAFETY: allocated by `new` (type invariant), no longer used.
        unsafe { bindings::free_percpu(self.ptr.as_ptr().cast()) };
    }
}
