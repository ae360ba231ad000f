// SPDX-License-Identifier: GPL-2.0

//! Lesson 5, the fast path: `rxdp`, Rust programs on rveth's raw receive frames.
//!
//! XDP runs a program on each frame at the top of a driver's NAPI poll, before an
//! `sk_buff` is built up for the stack: in drivers/net/veth.c, `veth_poll` →
//! `veth_xdp_rcv` → `veth_xdp_rcv_skb` → `bpf_prog_run_xdp`, and the verdict
//! (`XDP_PASS`, `XDP_DROP`, `XDP_TX`, `XDP_REDIRECT`, `XDP_ABORTED`) decides whether the
//! frame goes on to `napi_gro_receive` at all. rveth has the same spot
//! (`kernel::net::fastpath`); this module fills it with Rust programs, through
//! `/proc/net/rxdp` (one per namespace; devices are looked up in it):
//!
//! ```text
//! echo 'attach rv1 drop proto udp dport 9' > /proc/net/rxdp   # XDP_DROP one UDP flow
//! echo 'attach rv1 reflect' > /proc/net/rxdp        # swap MACs, XDP_TX
//! echo 'attach rv1 count' > /proc/net/rxdp          # count, XDP_PASS
//! echo 'attach rv1 redirect rv2' > /proc/net/rxdp   # XDP_REDIRECT out of rv2
//! echo 'attach rv1 pad 60' > /proc/net/rxdp         # pad runts to 60 bytes, XDP_PASS
//! echo 'detach rv1' > /proc/net/rxdp;  cat /proc/net/rxdp
//! ethtool -S rv1 | grep fp_                         # the driver's per-queue verdicts
//! ```
//!
//! Why it is fast: a dropped frame costs the ring, one read of its headers and a free.
//! No GRO, no `__netif_receive_skb` and its taps, no `ip_rcv`, no netfilter, no routing;
//! the program is found with one RCU pointer load per poll and runs without a lock.
//!
//! A program's code is in this module, so every attached program holds a reference on
//! it: `rmmod rxdp` is refused ("in use") until the programs are detached or their
//! devices deleted, and then unloading cannot leave a device calling freed code.

use kernel::net::{
    dev::Device,
    fastpath::{self, Action, AttachError, Frame, Program},
    ns::Namespace,
    pernet,
    procfs::{self, Quoted, SeqFile},
    rtnl::{self, Rtnl},
    stats::PerCpuCounters,
};
use kernel::prelude::*;
use kernel::sync::{new_mutex, rcu, sleep::Sleepable, Arc, Mutex};
use kernel::types::ARef;
use kernel::{c_str, str::CStr};

#[path = "rxdp/spec.rs"]
pub mod spec;
use kernel::net::{hdr, ifname};
use spec::{Command, Name, Spec};

// Creates `/proc/net/rxdp` in every namespace. Each attached program holds a reference
// on this module, so `rmmod rxdp` is refused (the module is in use) until every program
// is detached (or its device deleted); then unloading removes the files.
kernel::module_pernet! {
    type: Rxdp,
    name: "rxdp",
    author: "netdive",
    description: "Rust fast-path programs for rveth (netdive lesson 5)",
    license: "GPL",
}

/// One attached program: what it was asked to do, and how many frames it acted on.
struct RxdpProgram {
    spec: Spec,
    /// For `redirect`: the target's ifindex, resolved when attached.
    target: i32,
    /// Per CPU: the program runs on every CPU that polls a queue of the device, and a
    /// shared counter would bounce its cache line between them on every frame.
    hits: PerCpuCounters<1>,
}

/// Swaps destination and source MAC, so the frame goes back where it came from.
fn swap_macs(frame: &mut Frame<'_>) -> Action {
    match frame.data_mut() {
        Ok(data) if data.len() >= 12 => {
            let (dst, src) = data.split_at_mut(6);
            dst.swap_with_slice(&mut src[..6]);
            Action::Tx
        }
        _ => Action::Aborted,
    }
}

/// Pads a frame shorter than `len` bytes with zeros up to `len` (`bpf_xdp_adjust_tail`
/// with a positive delta), as a NIC driver pads runts to the Ethernet minimum; whether it
/// did. A frame already long enough grows by zero bytes: `adjust_tail(0)` is a no-op on
/// any frame, a GSO super-packet whose bytes are mostly in page fragments included (it
/// once reached `skb_put`'s BUG on those, issue 22). A frame without the tailroom stays
/// as it is.
fn pad(frame: &mut Frame<'_>, len: u16) -> bool {
    let short = u32::from(len).saturating_sub(frame.len());
    frame.adjust_tail(short as i32).is_ok() && short > 0
}

impl Program for RxdpProgram {
    fn run(&self, frame: &mut Frame<'_>) -> Action {
        let action = match self.spec {
            Spec::Drop { proto, dport } if spec::drop_matches(proto, dport, frame.data()) => {
                Action::Drop
            }
            Spec::Drop { .. } => return Action::Pass,
            Spec::Reflect => swap_macs(frame),
            Spec::Count => Action::Pass,
            Spec::Redirect(_) => frame.redirect(self.target),
            // Counted only when a frame was padded.
            Spec::Pad(len) if !pad(frame, len) => return Action::Pass,
            Spec::Pad(_) => Action::Pass,
        };
        self.hits.add(0, 1);
        action
    }
}

/// A program attached through this namespace's control file.
struct Entry {
    dev: Name,
    program: Arc<RxdpProgram>,
    attachment: fastpath::Attachment,
}

/// A namespace's attachments.
#[pin_data]
struct NetState {
    #[pin]
    entries: Mutex<KVec<Entry>>,
}

struct Rxdp;

/// The device called `name` in `net`, with a reference held.
fn find_device(net: &Namespace, name: &Name) -> Result<ARef<Device>> {
    let name = CStr::from_bytes_with_nul(name.with_nul())?;
    let guard = rcu::read_lock();
    net.device_by_name(name, &guard)
        .map(ARef::from)
        .ok_or_else(|| {
            kernel::pr_refused!("refused: no device '{}' in this namespace\n", name);
            ENODEV
        })
}

/// Attaches a new program for `spec` to `dev`, resolving a redirect target first; the
/// RTNL serialises it with other attachments and with XDP.
fn attach(net: &Namespace, dev: &Name, spec: Spec, rtnl: &Rtnl) -> Result<Entry> {
    let target = match spec {
        Spec::Redirect(to) => find_device(net, &to)?.ifindex(),
        _ => 0,
    };
    let program = Arc::new(
        RxdpProgram {
            spec,
            target,
            hits: PerCpuCounters::new()?,
        },
        GFP_KERNEL,
    )?;
    let device = find_device(net, dev)?;
    let attachment = fastpath::attach(&device, program.clone(), &THIS_MODULE, rtnl).inspect_err(
        |e| match e {
            AttachError::NotSupported => {
                kernel::pr_refused!(
                    "refused: {} has no Rust fast path (not an rveth device)\n",
                    dev
                )
            }
            AttachError::Busy => kernel::pr_refused!("refused: {} already has a program\n", dev),
            AttachError::Unloading | AttachError::NoMemory | AttachError::WouldBlock => {}
        },
    )?;
    Ok(Entry {
        dev: *dev,
        program,
        attachment,
    })
}
/// Parses one command; a bad one is refused with a line in dmesg.
fn parse_command(input: &[u8]) -> Result<Command> {
    let line = procfs::one_line(input)?;
    spec::parse(line).map_err(|why| {
        kernel::pr_refused!("refused '{}': {}\n", Quoted(line.trim()), why);
        EINVAL
    })
}

impl pernet::Subsystem for Rxdp {
    type Data = NetState;
    /// No netfilter hooks: this module works below them, in the driver.
    type Features = procfs::File<Self>;

    fn init(_net: &Namespace) -> impl PinInit<NetState, Error> {
        try_pin_init!(NetState {
            entries <- new_mutex!(KVec::new()),
        })
    }
}

impl procfs::ControlFile for Rxdp {
    const NAME: &'static CStr = c_str!("rxdp");

    /// `cat /proc/net/rxdp`: each attachment and the frames its program acted on.
    fn show(state: &NetState, out: &SeqFile, ctx: &mut Sleepable) {
        let entries = state.entries.lock();
        // Only refused inside an RCU read-side section or atomic context, never here.
        let Ok(rtnl) = rtnl::lock(ctx) else {
            return;
        };
        for e in entries.iter() {
            out.print(format_args!(
                "{}: {} hits {}{}\n",
                e.dev,
                e.program.spec,
                e.program.hits.sum()[0],
                if e.attachment.is_attached(&rtnl) {
                    ""
                } else {
                    " (detached: device gone)"
                },
            ));
        }
    }

    /// `echo 'attach ...' > /proc/net/rxdp`: one command per write.
    fn write(state: &NetState, net: &Namespace, input: &[u8], ctx: &mut Sleepable) -> Result {
        let command = parse_command(input)?;
        let mut entries = state.entries.lock();
        let rtnl = rtnl::lock(ctx)?;
        match command {
            Command::Attach(dev, spec) => {
                // An entry whose device went away no longer holds the name.
                if let Some(i) = position(&entries, &dev) {
                    if entries[i].attachment.is_attached(&rtnl) {
                        kernel::pr_refused!(
                            "refused: {} already has a program; detach it first\n",
                            dev
                        );
                        return Err(EBUSY);
                    }
                    remove(&mut entries, i)?.attachment.detach(&rtnl);
                }
                let entry = attach(net, &dev, spec, &rtnl)?;
                entries.push(entry, GFP_KERNEL)?;
            }
            Command::Detach(dev) => {
                let Some(i) = position(&entries, &dev) else {
                    kernel::pr_refused!("refused: nothing attached to {}\n", dev);
                    return Err(ENOENT);
                };
                // Detached here, under this write's RTNL: when the write returns, no CPU
                // runs the program any more.
                remove(&mut entries, i)?.attachment.detach(&rtnl);
            }
        }
        Ok(())
    }
}

/// Where the entry for `dev` is.
fn position(entries: &[Entry], dev: &Name) -> Option<usize> {
    entries.iter().position(|e| e.dev == *dev)
}

/// Removes entry `i` and hands it back.
fn remove(entries: &mut KVec<Entry>, i: usize) -> Result<Entry> {
    let mut kept = KVec::with_capacity(entries.len(), GFP_KERNEL)?;
    let old = core::mem::take(entries);
    let mut removed = None;
    for (j, e) in old.into_iter().enumerate() {
        if j == i {
            removed = Some(e);
        } else {
            // Capacity was reserved above: this cannot fail.
            kept.push(e, GFP_KERNEL)?;
        }
    }
    *entries = kept;
    removed.ok_or(EINVAL)
}
