// SPDX-License-Identifier: GPL-2.0

//! The TCP state machine, watched: `/proc/net/rsock_states`.
//!
//! Every state change of rsock's TCP sockets (or, after `trace all`, of every TCP socket
//! in the namespace) is recorded as it happens, one line each: when, the socket's local
//! and remote address, the state it left and the state it entered, in the kernel's names
//! (include/net/tcp_states.h). The changes come from the tracepoint TCP fires on each one
//! (`sock:inet_sock_set_state`, `kernel::net::tcp_state`), in the context that made the
//! change: the `connect` system call for `TCP_CLOSE -> TCP_SYN_SENT`, the softirq that
//! received the SYN-ACK for `TCP_SYN_SENT -> TCP_ESTABLISHED` (`tcp_rcv_state_process`,
//! net/ipv4/tcp_input.c).
//!
//! ```text
//! echo 'trace all' > /proc/net/rsock    # every TCP socket here, not only rsock's
//! echo clear > /proc/net/rsock_states   # forget what was recorded
//! cat /proc/net/rsock_states
//! 1042.331847 10.9.0.1:0 10.9.0.2:7 TCP_CLOSE -> TCP_SYN_SENT
//! ```
//!
//! rsock's sockets are told from others by `sk_kern_sock`, which `sock_create_kern` sets
//! and a listener's accepted connections inherit: in the lab's namespaces no other kernel
//! code has TCP sockets. The last [`KEPT`] changes are kept.

use super::{Addr, NetState, Rsock};
use core::net::SocketAddr;
use core::sync::atomic::Ordering;
use kernel::alloc::flags::GFP_ATOMIC;
use kernel::net::{
    ns::Namespace,
    procfs::{self, Quoted, SeqFile},
    tcp_state::{Change, State, Watcher},
};
use kernel::prelude::*;
use kernel::sync::sleep::Sleepable;
use kernel::time::Ktime;
use kernel::{c_str, str::CStr};

/// How many state changes a namespace keeps; older ones make room for new ones.
pub const KEPT: usize = 256;

/// One recorded change.
#[derive(Clone, Copy)]
struct Record {
    /// When, in nanoseconds of the monotonic clock (`ktime_get`).
    at_ns: i64,
    local: Option<SocketAddr>,
    remote: Option<SocketAddr>,
    from: State,
    to: State,
}

/// A namespace's recorded changes: a ring of [`KEPT`] slots, filled once and then
/// overwritten oldest first.
pub struct Log {
    slots: KVec<Record>,
    /// The slot the next record goes to.
    next: usize,
    /// How many of the records before `next` (wrapping around) are kept: fewer than the
    /// slots after a `clear`.
    kept: usize,
    /// Changes recorded since the last `clear`, kept or not.
    total: u64,
}

impl Log {
    /// An empty log with room for [`KEPT`] records, so recording never allocates.
    pub fn new() -> Result<Self> {
        Ok(Self {
            slots: KVec::with_capacity(KEPT, GFP_KERNEL)?,
            next: 0,
            kept: 0,
            total: 0,
        })
    }

    fn push(&mut self, record: Record) {
        if self.slots.len() < KEPT {
            // Within the capacity reserved in `new`: no allocation, cannot fail.
            let _ = self.slots.push(record, GFP_ATOMIC);
        } else {
            self.slots[self.next] = record;
        }
        self.next = (self.next + 1) % KEPT;
        self.kept = (self.kept + 1).min(KEPT);
        self.total += 1;
    }

    /// The kept records, oldest first.
    fn in_order(&self) -> impl Iterator<Item = &Record> {
        let n = self.slots.len();
        let start = if n == 0 {
            0
        } else {
            (self.next + n - self.kept) % n
        };
        (0..self.kept).map(move |i| &self.slots[(start + i) % n])
    }

    fn clear(&mut self) {
        self.kept = 0;
        self.total = 0;
    }
}

/// Whether a change is one the namespace records: a TCP socket of rsock's, or any TCP
/// socket after `trace all`, entering another state. (TCP sometimes sets the state it is
/// in: `close` after `shutdown` runs `tcp_close_state` a second time, which stores
/// `TCP_FIN_WAIT1` again if the peer has not acknowledged the FIN yet.)
fn wanted(state: &NetState, change: &Change<'_>) -> bool {
    change.is_tcp()
        && change.from() != change.to()
        && (change.kernel_socket() || state.trace_all.load(Ordering::Relaxed))
}

impl Watcher for Rsock {
    /// Runs in the context of the change (a system call, or a softirq), so the log's lock
    /// keeps interrupts off while held and recording allocates nothing.
    fn changed(state: &NetState, change: &Change<'_>) {
        if !wanted(state, change) {
            return;
        }
        let record = Record {
            at_ns: Ktime::ktime_get().to_ns(),
            local: change.local(),
            remote: change.remote(),
            from: change.from(),
            to: change.to(),
        };
        state.states.lock().push(record);
    }
}

/// `/proc/net/rsock_states`.
pub struct StatesFile;

impl procfs::ControlFile<Rsock> for StatesFile {
    const NAME: &'static CStr = c_str!("rsock_states");

    /// One line per change, oldest first, after a line saying what is recorded.
    fn show(state: &NetState, out: &SeqFile, _ctx: &mut Sleepable) {
        // Copied out first: the lock keeps interrupts off, printing can take a while.
        let Ok(mut copy) = KVec::with_capacity(KEPT, GFP_KERNEL) else {
            out.print(format_args!("# out of memory\n"));
            return;
        };
        let total = {
            let log = state.states.lock();
            for record in log.in_order() {
                // Within the capacity reserved above.
                let _ = copy.push(*record, GFP_ATOMIC);
            }
            log.total
        };
        let whose = if state.trace_all.load(Ordering::Relaxed) {
            "every TCP socket"
        } else {
            "rsock's TCP sockets"
        };
        out.print(format_args!(
            "# {whose}: {total} changes, the last {} shown\n",
            copy.len()
        ));
        for r in copy.iter() {
            out.print(format_args!(
                "{}.{:06} {} {} {} -> {}\n",
                r.at_ns / 1_000_000_000,
                r.at_ns % 1_000_000_000 / 1000,
                Addr(r.local),
                Addr(r.remote),
                r.from.name(),
                r.to.name(),
            ));
        }
    }

    /// `clear` forgets what was recorded; anything else is refused (`EINVAL`).
    fn write(state: &NetState, _net: &Namespace, input: &[u8], _ctx: &mut Sleepable) -> Result {
        let line = procfs::one_line(input)?;
        if line.trim() != "clear" {
            kernel::pr_refused!("refused '{}': only clear\n", Quoted(line.trim()));
            return Err(EINVAL);
        }
        state.states.lock().clear();
        Ok(())
    }
}
