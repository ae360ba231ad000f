// SPDX-License-Identifier: GPL-2.0

//! Lesson 1, the link layer: `rveth`, a virtual Ethernet pair driver.
//!
//! `ip link add name rv0 type rveth peer name rv1` creates two devices; a frame sent on
//! one is received on the other. It is drivers/net/veth.c's design, in Rust, and it walks
//! the whole driver half of a packet's life (6.12 function names; files under net/):
//!
//! ```text
//!  sender                                        receiver
//!  dev_queue_xmit()          core/dev.c
//!   └ __dev_xmit_skb / dev_hard_start_xmit
//!      └ ndo_start_xmit = start_xmit()  ──skb──▶  peer's ring (ptr_ring, one per rx queue)
//!           MTU check, scrub                     └ napi_schedule()
//!           (____dev_forward_skb)           NET_RX_SOFTIRQ: net_rx_action()  core/dev.c
//!                                                  └ napi_poll → RxQueue::poll()
//!                                                     └ eth_type_trans()  ethernet/eth.c
//!                                                     └ GRO off (the default, as veth):
//!                                                       netif_receive_skb()  core/dev.c
//!                                                        └ __netif_receive_skb_core
//!                                                           └ ip_rcv  ipv4/ip_input.c:
//!                                                             NF_HOOK(PRE_ROUTING)
//!                                                     └ GRO on (ethtool -K rv1 gro on):
//!                                                       napi_gro_receive()  core/gro.c
//!                                                       (netif_receive_skb() if shared)
//!                                                        └ gro_normal_one(): batched in
//!                                                          napi->rx_list  include/net/gro.h
//!                                                     napi_complete_done → gro_normal_list
//!                                                        └ netif_receive_skb_list_internal
//!                                                           └ ip_list_rcv, ip_sublist_rcv:
//!                                                             NF_HOOK_LIST(PRE_ROUTING)
//! ```
//!
//! - Creation (`rtnl_newlink` → [`Rveth::newlink`]): the peer is created and registered
//!   first (`kernel::net::pair::create_peer`), then this end; each holds the other as its
//!   [`Peer`], an RCU pointer the transmit path reads without a lock.
//! - Carrier: a pair's link is up only when both ends are up (`netif_carrier_on` in
//!   [`Rveth::open`] when the peer is running too).
//! - Receive runs in the peer's NAPI context: one ring per receive queue, each polled by
//!   its own NAPI instance ([`napi::Queues`]), chosen by the sender's transmit queue
//!   (`skb->queue_mapping`). The link layer enables the instances when the device opens
//!   and disables them when it stops.
//! - Transmit is lockless (`dev->lltx`, as veth): the core takes no transmit-queue lock
//!   around `ndo_start_xmit`; the peer's ring has its own producer lock.
//! - Counters: per receive queue, written by its poll; per transmit queue and CPU, as the
//!   transmit path runs on many CPUs at once; summed by `ndo_get_stats64` for `ip -s
//!   link` and shown per queue by `ethtool -S`.
//! - Deletion (`ip link del`, namespace teardown, `rmmod`) → [`Rveth::dellink`]: both ends
//!   are unlinked and queued for `unregister_netdevice_many`.
//!
//! The fast path (lesson 5): when a Rust program is attached to a device (module `rxdp`,
//! `kernel::net::fastpath::attach`), the poll shows it each raw frame before the stack
//! does, as `veth_xdp_rcv_skb` runs an XDP program in drivers/net/veth.c:
//!
//! ```text
//!  poll(): ring.consume() ─▶ the raw frame, Ethernet header first (not yet classified)
//!           └ program.run(&mut Frame) ─▶ Pass     ─▶ eth_type_trans ─▶ the stack
//!                                      ├ Drop     ─▶ kfree_skb (reason XDP): no GRO, no
//!                                      │             netfilter, no protocol handler
//!                                      ├ Tx       ─▶ into the peer's ring (back to sender)
//!                                      ├ Redirect ─▶ out of another rveth (its peer's ring)
//!                                      └ Aborted  ─▶ dropped, counted
//! ```
//!
//! The program is read once per poll under RCU (no lock), no new sk_buff is allocated,
//! and every verdict is counted per queue in `ethtool -S` (`rx_queue_N_fp_*`).
//!
//! Native XDP (lesson 5, eBPF): `ip link set dev rv1 xdpdrv obj prog.o sec xdp` reaches
//! [`Rveth::xdp_setup`] (`ndo_bpf`); the poll then runs the eBPF program instead, on an
//! [`xdp::Frame`] in a page of its own, as `veth_xdp_rcv` does:
//!
//! ```text
//!  poll(): ring.consume() ─▶ sk_buff: copy into a page (XDP_PACKET_HEADROOM in front)
//!                          ─▶ frame (from ndo_xdp_xmit or XDP_TX): as it is, no copy
//!           └ bpf_prog_run_xdp ─▶ PASS     ─▶ xdp_build_skb_from_frame ─▶ GRO
//!                              ├ DROP     ─▶ xdp_return_frame
//!                              ├ TX       ─▶ the frame into the peer's ring
//!                              ├ REDIRECT ─▶ xdp_do_redirect; xdp_do_flush as the poll ends
//!                              └ ABORTED  ─▶ xdp_return_frame, xdp:xdp_exception
//! ```
//!
//! Frames other devices redirect to us arrive through `ndo_xdp_xmit`
//! ([`Rveth::xdp_xmit`]) and cross to the peer's ring as frames: they become an sk_buff
//! only if the peer passes them up. One program decides per device: a Rust program and
//! an eBPF program never run at once (attaching one while the other is attached fails
//! with `EBUSY`). Verdicts are counted per queue as `rx_queue_N_xdp_*`.

use kernel::net::{
    dev::{self, Device, DriverDevice, Stats64, TxOutcome},
    ethtool::{self, Channels, DrvInfo, LinkSettings, Strings},
    fastpath::{self, Frame, Program},
    features::{Features, GSO_MAX_SIZE},
    napi::{self, Context, Napi},
    pair::{self, Peer},
    ring::PtrRing,
    rtnl::{self, NewLink, Registered, RequestedQueues, Rtnl, Setup, UnregisterQueue},
    skb::{DropReason, OwnedSkBuff},
    stats::{Counter, PerCpuCounters, QueueStats},
    xdp::{self, Action, ActionStats, Outcome, Packet},
};
use kernel::prelude::*;
use kernel::sync::rcu::{self, BhGuard};
use kernel::{c_str, str::CStr};

// Registers link kind `rveth`; from now on `ip link add ... type rveth` reaches us.
// Unloading unregisters it, which deletes every pair still alive.
kernel::module_rtnl_link! {
    type: Rveth,
    name: "rveth",
    alias: "rtnl-link-rveth",
    author: "netdive",
    description: "Virtual Ethernet pair in Rust (netdive lesson 1)",
    license: "GPL",
}

/// Packets a receive ring holds before the sender starts dropping (veth: 256).
const RING_SIZE: u32 = 256;
/// `XDP_TX` frames a poll collects before it sends them to the peer under one ring lock
/// and one NAPI kick (veth: `VETH_XDP_TX_BULK_SIZE`).
const TX_BULK: usize = 16;
/// A poll's `XDP_TX` frames, waiting (veth: `struct veth_xdp_tx_bq`).
type TxBulk = xdp::Bulk<TX_BULK>;
/// Ethernet header length: counted in bytes on both ends, as veth does.
const ETH_HLEN: u32 = 14;
/// The MTU range: Ethernet's minimum (68, what IPv4 needs) to `ETH_MAX_MTU`, as veth.
const MIN_MTU: u32 = 68;
const MAX_MTU: u32 = 65535;
/// The largest MTU a peer may have while this end runs an eBPF program: what fits the
/// program's page after its headroom (veth: `SKB_WITH_OVERHEAD(PAGE_SIZE -
/// VETH_XDP_HEADROOM) - hard_header_len`).
const XDP_MAX_MTU: u32 = xdp::Frame::MAX_LEN - ETH_HLEN;
/// The offloads veth has (`VETH_FEATURES` in drivers/net/veth.c): scatter-gather, any
/// checksum, TSO and the other software segmentation, tunnels, VLAN tags. A frame never
/// leaves the machine, so "the device does it" means nobody has to: a 64 KiB TCP
/// super-packet crosses the pair whole and its checksum is never computed.
const FEATURES: Features = Features::SG
    .union(Features::FRAGLIST)
    .union(Features::HW_CSUM)
    .union(Features::RXCSUM)
    .union(Features::SCTP_CRC)
    .union(Features::HIGHDMA)
    .union(Features::GSO_SOFTWARE)
    .union(Features::GSO_ENCAP_ALL)
    .union(Features::VLAN_OFFLOADS);
/// A VLAN tag: a frame may exceed the MTU by the Ethernet header and one tag.
const VLAN_HLEN: u32 = 4;
/// `ethtool -S` counters per receive queue: packets, bytes, drops, then the Rust fast
/// path's verdicts, then eBPF XDP's.
const RX_STATS: usize = 3 + 2 * ActionStats::NAMES.len();
/// Per-CPU transmit counters of a queue: packets, bytes, drops.
const TX_PACKETS: usize = 0;
const TX_BYTES: usize = 1;
const TX_DROPS: usize = 2;

struct Rveth;

/// One receive queue: the ring the peer's transmit path fills, drained by the queue's
/// NAPI instance.
#[pin_data]
struct RxQueue {
    #[pin]
    ring: PtrRing<Packet>,
    stats: QueueStats,
    /// The Rust fast path's verdicts.
    fast: ActionStats,
    /// eBPF XDP's verdicts.
    xdp: ActionStats,
}

/// A device's private data (`netdev_priv`).
#[pin_data]
struct RvethPriv {
    peer: Peer,
    /// The Rust fast-path program, if one is attached (`rxdp`).
    fastpath: fastpath::Slot,
    #[pin]
    rx: napi::Queues<RxQueue>,
    /// Per transmit queue, per CPU: transmit is lockless (`lltx`), as in veth.
    tx: KVec<PerCpuCounters<3>>,
    /// The native XDP program (`ndo_bpf`).
    xdp_prog: xdp::ProgSlot,
    /// Frames other devices' redirects sent out of this one (`ndo_xdp_xmit`), and those
    /// it could not take.
    xdp_xmit: PerCpuCounters<2>,
}

/// Who decides about a queue's frames during one poll, read once under RCU.
#[derive(Clone, Copy)]
enum Decider<'a> {
    /// Nobody: straight to the stack (through GRO if it is on).
    Stack,
    /// A Rust fast-path program (module `rxdp`).
    Rust(&'a dyn Program),
    /// A native eBPF XDP program.
    Bpf(&'a xdp::Prog),
}

impl napi::Poll for RxQueue {
    type Driver = Rveth;

    /// A page pool per queue, as large as its ring (veth: `VETH_RING_SIZE`).
    const PAGE_POOL_SIZE: u32 = RING_SIZE;

    /// The receive half: take up to `budget` packets off the ring and hand each to the stack
    /// (through GRO if it is on); or, with a program attached, to the program first.
    fn poll(ctx: &Context<'_, Self>, budget: u32) -> u32 {
        let queue = ctx.queue();
        let decider = decider(ctx);
        let mut tx = TxBulk::new();
        let mut done = 0;
        while done < budget {
            let Some(packet) = queue.ring.consume(ctx.bh()) else {
                break;
            };
            done += 1;
            match packet {
                Packet::Skb(mut skb) => {
                    queue.stats.count(skb.len(), ctx);
                    skb.record_rx_queue(ctx.index() as u16);
                    if let Decider::Stack = decider {
                        to_stack(ctx, skb, &queue.stats.drops);
                        continue;
                    }
                    // A program sees the frame as it would arrive on a wire: a VLAN tag
                    // the sender's stack left in the metadata (transmit offload) goes in.
                    let Some(skb) = skb.vlan_push_inside() else {
                        queue.stats.drops.inc(ctx);
                        continue;
                    };
                    match decider {
                        Decider::Bpf(prog) => run_xdp_on_skb(ctx, prog, skb, &mut tx),
                        Decider::Rust(program) => run_fast_path(ctx, program, skb),
                        Decider::Stack => to_stack(ctx, skb, &queue.stats.drops),
                    }
                }
                Packet::Frame(frame) => {
                    queue.stats.count(frame.len(), ctx);
                    receive_frame(ctx, decider, frame, &mut tx);
                }
            }
        }
        let errors = match decider {
            Decider::Rust(_) => &queue.fast.errors,
            _ => &queue.xdp.errors,
        };
        flush_tx(ctx, &mut tx, errors);
        done
    }
}

/// The raw frame is classified (`eth_type_trans`: `protocol`, `pkt_type`, the Ethernet
/// header pulled) and handed to the stack (through GRO if it is on), as a NIC driver does once XDP has
/// passed it; one that cannot be is dropped and counted in `dropped`.
fn to_stack(ctx: &Context<'_, RxQueue>, mut skb: OwnedSkBuff, dropped: &Counter) {
    match skb.eth_type_trans(ctx.device()) {
        Ok(_) => ctx.receive(skb),
        Err(_) => {
            dropped.inc(ctx);
            skb.drop_reason(DropReason::DevHdr);
        }
    }
}

/// The program for this poll: an eBPF program if one is attached, else a Rust one.
fn decider<'a>(ctx: &Context<'a, RxQueue>) -> Decider<'a> {
    let data = ctx.device().data();
    if let Some(prog) = data.xdp_prog.get(ctx.bh()) {
        return Decider::Bpf(prog);
    }
    match data.fastpath.program(ctx.bh()) {
        Some(program) => Decider::Rust(program),
        None => Decider::Stack,
    }
}

/// An XDP frame came off the ring (from `ndo_xdp_xmit` or the peer's `XDP_TX`): a
/// program, eBPF or Rust, sees it as it is; an `sk_buff` is built only for the stack.
fn receive_frame(
    ctx: &Context<'_, RxQueue>,
    decider: Decider<'_>,
    frame: xdp::Frame,
    tx: &mut TxBulk,
) {
    match decider {
        Decider::Bpf(prog) => run_xdp(ctx, prog, frame, tx),
        Decider::Rust(program) => run_fast_path_on_frame(ctx, program, frame, tx),
        Decider::Stack => frame_to_stack(ctx, frame),
    }
}

/// Builds the `sk_buff` around a frame's page (classified, `eth_type_trans` done) and
/// hands it to the stack; without one, the frame is dropped and counted.
fn frame_to_stack(ctx: &Context<'_, RxQueue>, frame: xdp::Frame) {
    match frame.into_skb(ctx.device()) {
        Some(mut skb) => {
            skb.record_rx_queue(ctx.index() as u16);
            ctx.receive(skb);
        }
        None => ctx.queue().stats.drops.inc(ctx),
    }
}

/// Shows an XDP frame to the attached Rust program and carries out its verdict: drop and
/// tx need no `sk_buff`; a redirect goes the way a redirected `sk_buff` goes.
fn run_fast_path_on_frame(
    ctx: &Context<'_, RxQueue>,
    program: &dyn Program,
    mut frame: xdp::Frame,
    tx: &mut TxBulk,
) {
    let queue = ctx.queue();
    let mut view = Frame::from_xdp(&mut frame);
    let action = program.run(&mut view);
    let target = view.redirect_target();
    queue.fast.count(action, ctx);
    match action {
        Action::Pass => frame_to_stack(ctx, frame),
        Action::Drop | Action::Aborted => drop(frame),
        Action::Tx => queue_tx(ctx, tx, frame, &queue.fast.errors),
        Action::Redirect => {
            let Some(mut skb) = frame.into_skb(ctx.device()) else {
                queue.fast.errors.inc(ctx);
                return;
            };
            // `xdp_build_skb_from_frame` classified it; the frame goes on raw.
            if skb.push_mac_header().is_err() {
                queue.fast.errors.inc(ctx);
                skb.drop_reason(DropReason::DevHdr);
                return;
            }
            let target = target.and_then(|i| ctx.net().device_by_index(i, ctx.bh()));
            send_out_of(ctx, target, skb)
        }
    }
}

/// An eBPF program sees a frame in a page with `XDP_PACKET_HEADROOM` in front; an
/// `sk_buff` from the stack has neither, so its bytes are copied into one (veth does the
/// same in `veth_convert_skb_to_xdp_buff`).
fn run_xdp_on_skb(
    ctx: &Context<'_, RxQueue>,
    prog: &xdp::Prog,
    mut skb: OwnedSkBuff,
    tx: &mut TxBulk,
) {
    // The copy keeps the bytes only: a checksum the sender left to the device
    // (`CHECKSUM_PARTIAL`, checksum offload) is completed first, as a NIC would have.
    if skb.checksum_help().is_err() {
        ctx.queue().xdp.errors.inc(ctx);
        skb.drop_reason(DropReason::NoMem);
        return;
    }
    // The ring holds raw frames: the copy starts at the Ethernet header.
    match xdp::Frame::copy_from_skb(ctx, &skb) {
        Ok(frame) => {
            skb.consume();
            run_xdp(ctx, prog, frame, tx);
        }
        Err(_) => {
            // Too big for one page (the MTU is above what XDP here supports), or no
            // memory: counted, dropped.
            ctx.queue().xdp.errors.inc(ctx);
            skb.drop_reason(DropReason::Xdp);
        }
    }
}

/// Runs the eBPF program on a frame and carries out what only the driver can: pass (an
/// `sk_buff` around the same page, to GRO) and tx (back out through the peer's ring, in a
/// bulk the poll sends when it fills or the poll ends).
fn run_xdp(ctx: &Context<'_, RxQueue>, prog: &xdp::Prog, frame: xdp::Frame, tx: &mut TxBulk) {
    let queue = ctx.queue();
    match xdp::run(ctx, prog, frame) {
        Outcome::Pass(frame) => {
            queue.xdp.count(Action::Pass, ctx);
            match frame.into_skb(ctx.device()) {
                Some(mut skb) => {
                    skb.record_rx_queue(ctx.index() as u16);
                    ctx.receive(skb);
                }
                None => queue.xdp.errors.inc(ctx),
            }
        }
        Outcome::Tx(frame) => {
            queue.xdp.count(Action::Tx, ctx);
            queue_tx(ctx, tx, frame, &queue.xdp.errors);
        }
        Outcome::Done(action) => queue.xdp.count(action, ctx),
        Outcome::Failed(action) => {
            queue.xdp.count(action, ctx);
            queue.xdp.errors.inc(ctx);
        }
    }
}

/// Shows a raw frame to the attached program and carries out its verdict.
fn run_fast_path(ctx: &Context<'_, RxQueue>, program: &dyn Program, mut skb: OwnedSkBuff) {
    let queue = ctx.queue();
    // The ring holds raw frames, `data` at the Ethernet header: nothing to undo.
    let mut frame = Frame::new(&mut skb);
    let action = program.run(&mut frame);
    let target = frame.redirect_target();
    queue.fast.count(action, ctx);
    match action {
        Action::Pass => to_stack(ctx, skb, &queue.fast.errors),
        Action::Drop | Action::Aborted => skb.drop_reason(DropReason::Xdp),
        Action::Tx => send_out_of(ctx, Some(ctx.device()), skb),
        Action::Redirect => {
            let target = target.and_then(|i| ctx.net().device_by_index(i, ctx.bh()));
            send_out_of(ctx, target, skb)
        }
    }
}

/// Sends a fast-path frame out of `dev`, which must be an rveth device that is up.
fn send_out_of(ctx: &Context<'_, RxQueue>, dev: Option<&Device>, skb: OwnedSkBuff) {
    let dev = dev
        .and_then(DriverDevice::<Rveth>::from_device)
        .filter(|d| d.is_running());
    let sent = match dev {
        Some(dev) => send_to_peer(dev, skb, ctx.index() as usize, ctx.bh()),
        None => {
            skb.drop_reason(DropReason::DevReady);
            false
        }
    };
    if !sent {
        ctx.queue().fast.errors.inc(ctx);
    }
}

/// The peer as one of our devices, if it is linked.
fn peer_of<'a>(
    dev: &'a DriverDevice<Rveth>,
    guard: &'a rcu::Guard,
) -> Option<&'a DriverDevice<Rveth>> {
    dev.data()
        .peer
        .get(guard)
        .and_then(DriverDevice::from_device)
}

/// The receive queue of `dev`'s peer that transmit queue `index` feeds (wrapping if the
/// peer has fewer), if the peer is up.
fn peer_rx_queue<'a>(
    dev: &'a DriverDevice<Rveth>,
    index: usize,
    guard: &'a rcu::Guard,
) -> Option<(&'a DriverDevice<Rveth>, &'a Napi<RxQueue>)> {
    let peer = peer_of(dev, guard).filter(|p| p.is_running())?;
    let in_use = peer.real_num_rx_queues() as usize;
    let index = if index < in_use {
        index
    } else {
        index.checked_rem(in_use).unwrap_or(0)
    };
    Some((peer, peer.data().rx.get(index)?))
}

/// Drops what a ring gave back, for `reason`.
fn drop_packet(packet: Packet, reason: DropReason) {
    match packet {
        Packet::Skb(skb) => skb.drop_reason(reason),
        Packet::Frame(frame) => drop(frame),
    }
}

/// Puts a packet (data at its Ethernet header) into receive ring `index` of `dev`'s peer
/// and kicks the peer's NAPI. A packet that cannot go is dropped here, with its reason.
fn send_to_peer(dev: &DriverDevice<Rveth>, skb: OwnedSkBuff, index: usize, bh: &BhGuard) -> bool {
    let Some((peer, queue)) = peer_rx_queue(dev, index, bh) else {
        skb.drop_reason(DropReason::DevReady);
        return false;
    };
    // Make it the receiver's: the MTU check and scrub of `__dev_forward_skb` (socket,
    // routing state); the receiver's poll runs `eth_type_trans`, after any program.
    let Some(skb) = skb.forward_to(dev, peer) else {
        return false;
    };
    match queue.queue().ring.produce(Packet::Skb(skb), bh) {
        Ok(()) => {
            queue.schedule();
            true
        }
        Err(packet) => {
            drop_packet(packet, DropReason::FullRing);
            false
        }
    }
}

/// Puts XDP frames into a receive ring of `dev`'s peer, as frames (no `sk_buff` is made
/// for them on this side), under one taking of the ring's lock, then kicks the peer's
/// NAPI once. Stops at the first frame that cannot go (the ring full, the frame longer
/// than the peer's MTU allows) and gives it back; nothing goes if the peer is down.
/// Returns how many went (veth: `veth_xdp_xmit`).
fn send_frames_to_peer(
    dev: &DriverDevice<Rveth>,
    frames: &mut impl xdp::Frames,
    index: usize,
    bh: &BhGuard,
) -> u32 {
    let Some((peer, queue)) = peer_rx_queue(dev, index, bh) else {
        return 0;
    };
    let max_len = peer.mtu() + ETH_HLEN + VLAN_HLEN;
    let mut sent = 0;
    let producer = queue.queue().ring.producer(bh);
    while let Some(frame) = frames.take() {
        if frame.len() > max_len {
            frames.give_back(frame);
            break;
        }
        match producer.produce(Packet::Frame(frame)) {
            Ok(()) => sent += 1,
            Err(Packet::Frame(frame)) => {
                frames.give_back(frame);
                break;
            }
            // What goes into a ring comes back as it went in: not reached.
            Err(other) => {
                drop_packet(other, DropReason::FullRing);
                break;
            }
        }
    }
    drop(producer);
    if sent > 0 {
        queue.schedule();
    }
    sent
}

/// Queues an `XDP_TX` frame for the peer; a full bulk is sent first.
fn queue_tx(ctx: &Context<'_, RxQueue>, tx: &mut TxBulk, frame: xdp::Frame, errors: &Counter) {
    if let Err(frame) = tx.push(frame) {
        flush_tx(ctx, tx, errors);
        // Just emptied, so there is room; were there not, the frame would be dropped here.
        let _ = tx.push(frame);
    }
}

/// Sends the poll's `XDP_TX` frames to the peer; those that cannot go are dropped and
/// counted in `errors` (veth: `veth_xdp_flush_bq`).
fn flush_tx(ctx: &Context<'_, RxQueue>, tx: &mut TxBulk, errors: &Counter) {
    if tx.is_empty() {
        return;
    }
    send_frames_to_peer(ctx.device(), tx, ctx.index() as usize, ctx.bh());
    let unsent = tx.clear();
    if unsent > 0 {
        errors.add(unsent as u64, ctx);
    }
}

/// A receive queue: its ring and counters.
fn new_rx_queue() -> impl PinInit<RxQueue, Error> {
    try_pin_init!(RxQueue {
        ring <- PtrRing::new(RING_SIZE),
        stats: QueueStats::new(),
        fast: ActionStats::new(),
        xdp: ActionStats::new(),
    })
}

fn new_tx_counters(count: u32) -> Result<KVec<PerCpuCounters<3>>> {
    let mut tx = KVec::with_capacity(count as usize, GFP_KERNEL)?;
    for _ in 0..count {
        tx.push(PerCpuCounters::new()?, GFP_KERNEL)?;
    }
    Ok(tx)
}

/// A pair's carrier is up only when both ends are.
fn update_carrier(dev: &DriverDevice<Rveth>) {
    let guard = rcu::read_lock();
    match peer_of(dev, &guard) {
        Some(peer) if dev.is_running() && peer.is_running() => {
            dev.carrier_on();
            peer.carrier_on();
        }
        Some(peer) => {
            dev.carrier_off();
            peer.carrier_off();
        }
        None => dev.carrier_off(),
    }
}

#[vtable]
impl dev::Driver for Rveth {
    type Data = RvethPriv;

    const ETHERNET: bool = true;

    /// `ndo_init`: one ring and NAPI instance per receive queue, counters per transmit
    /// queue, no peer yet.
    fn init(dev: &Device, _rtnl: &Rtnl) -> impl PinInit<RvethPriv, Error> {
        try_pin_init!(RvethPriv {
            peer: Peer::empty(),
            fastpath: fastpath::Slot::new()?,
            rx <- napi::Queues::new(dev, dev.num_rx_queues(), |_| new_rx_queue()),
            tx: new_tx_counters(dev.num_tx_queues())?,
            xdp_prog: xdp::ProgSlot::empty(),
            xdp_xmit: PerCpuCounters::new()?,
        })
    }

    /// `ndo_open`: carrier, if the peer is up too (the link layer enabled NAPI already).
    fn open(dev: &DriverDevice<Self>, _rtnl: &Rtnl) -> Result {
        update_carrier(dev);
        Ok(())
    }

    /// `ndo_stop`: carrier off (the peer stops sending), free what is still queued. NAPI
    /// is disabled already, and since the device stopped running a grace period has
    /// passed (`dev_deactivate_many`), so no transmitter is still adding to the rings.
    fn stop(dev: &DriverDevice<Self>, _rtnl: &Rtnl) -> Result {
        {
            let guard = rcu::read_lock();
            if let Some(peer) = peer_of(dev, &guard) {
                peer.carrier_off();
            }
        }
        dev.carrier_off();
        for queue in dev.data().rx.iter() {
            queue
                .queue()
                .ring
                .drain(|packet| drop_packet(packet, DropReason::DevReady));
        }
        Ok(())
    }

    /// `ndo_start_xmit`: forward the frame to the peer's receive ring and kick its NAPI.
    fn start_xmit(skb: OwnedSkBuff, dev: &DriverDevice<Self>, bh: &BhGuard) -> TxOutcome {
        let index = skb.queue_mapping() as usize;
        // The stack picks a queue below `real_num_tx_queues`, so `index` is in range.
        let Some(txq) = dev.data().tx.get(index) else {
            skb.drop_reason(DropReason::NotSpecified);
            return TxOutcome::Ok;
        };
        let len = skb.len();
        if send_to_peer(dev, skb, index, bh) {
            txq.add(TX_PACKETS, 1);
            txq.add(TX_BYTES, len.into());
        } else {
            txq.add(TX_DROPS, 1);
        }
        TxOutcome::Ok
    }

    /// `ndo_get_stats64`: the sum of the per-queue counters.
    fn get_stats64(dev: &DriverDevice<Self>, stats: &mut Stats64) {
        for q in dev.data().rx.iter() {
            let [packets, bytes, drops] = q.queue().stats.get();
            stats.add_rx(packets, bytes, drops);
        }
        for s in dev.data().tx.iter() {
            let [packets, bytes, drops] = s.sum();
            stats.add_tx(packets, bytes, drops);
        }
    }

    /// `ndo_bpf`, `XDP_SETUP_PROG`: attach or detach a native eBPF program, with veth's
    /// rules (`veth_xdp_set`): the peer's MTU must fit the program's page and is held
    /// there while it runs, the peer stops making GSO super-packets (a program sees one
    /// frame at a time), and this end has a receive queue for each of the peer's transmit
    /// queues. Refused while a Rust fast-path program is attached, and for multi-buffer
    /// programs.
    fn xdp_setup(
        dev: &DriverDevice<Self>,
        prog: Option<&xdp::Prog>,
        extack: &mut xdp::ExtAck<'_>,
        rtnl: &Rtnl,
    ) -> Result {
        let data = dev.data();
        let guard = rcu::read_lock();
        let peer = peer_of(dev, &guard).map(DriverDevice::to_aref);
        drop(guard);
        let peer = peer.as_deref().and_then(DriverDevice::<Rveth>::from_device);
        let had = data.xdp_prog.is_set();
        let Some(prog) = prog else {
            data.xdp_prog.set(None);
            data.fastpath.unblock(rtnl);
            if let (true, Some(peer)) = (had, peer) {
                peer.set_hw_features(peer.hw_features(rtnl) | Features::GSO_SOFTWARE, rtnl);
                peer.set_max_mtu(MAX_MTU, rtnl);
                peer.update_features(rtnl);
            }
            return Ok(());
        };
        if prog.has_frags() {
            extack.set_message(c_str!(
                "rveth: multi-buffer XDP (xdp.frags) is not supported"
            ));
            return Err(xdp::not_supported());
        }
        let Some(peer) = peer else {
            extack.set_message(c_str!("rveth: cannot set XDP when the peer is detached"));
            return Err(kernel::net::not_connected());
        };
        if peer.mtu() > XDP_MAX_MTU {
            extack.set_message(c_str!("rveth: peer MTU is too large to set XDP"));
            return Err(ERANGE);
        }
        if dev.real_num_rx_queues() < peer.real_num_tx_queues() {
            extack.set_message(c_str!(
                "rveth: XDP expects no fewer rx queues than the peer's tx queues"
            ));
            return Err(ENOSPC);
        }
        if !had && !data.fastpath.block(rtnl) {
            extack.set_message(c_str!(
                "rveth: a Rust fast-path program is attached (see /proc/net/rxdp)"
            ));
            return Err(EBUSY);
        }
        // A replaced program is put once no poll can still be running it.
        data.xdp_prog.set(Some(prog.into()));
        if !had {
            peer.set_hw_features(peer.hw_features(rtnl) - Features::GSO_SOFTWARE, rtnl);
            peer.set_max_mtu(XDP_MAX_MTU, rtnl);
            peer.update_features(rtnl);
        }
        Ok(())
    }

    /// `ndo_fix_features`: no GSO super-packets towards a peer that runs an eBPF program
    /// (`veth_fix_features`).
    fn fix_features(dev: &DriverDevice<Self>, features: Features, _rtnl: &Rtnl) -> Features {
        let guard = rcu::read_lock();
        match peer_of(dev, &guard) {
            Some(peer) if peer.data().xdp_prog.is_set() => features - Features::GSO_SOFTWARE,
            _ => features,
        }
    }

    /// `ndo_xdp_xmit`: the frames another device's program redirected here leave by this
    /// device, i.e. arrive at the peer, still as frames, in one batch under one ring lock.
    /// Spread over the peer's queues by the redirecting CPU, as veth does
    /// (`veth_select_rxq`).
    fn xdp_xmit(dev: &DriverDevice<Self>, frames: &mut xdp::XmitFrames<'_>, bh: &BhGuard) {
        let sent = send_frames_to_peer(dev, frames, kernel::net::current_cpu(), bh);
        let counters = &dev.data().xdp_xmit;
        counters.add(0, sent.into());
        // Those left (the peer down, its ring full, a frame too long) the caller frees.
        counters.add(1, frames.left() as u64);
    }

    /// The Rust fast-path slot `rxdp` attaches programs to.
    fn fastpath(dev: &DriverDevice<Self>) -> &fastpath::Slot {
        &dev.data().fastpath
    }
}

#[vtable]
impl rtnl::LinkOps for Rveth {
    const KIND: &'static CStr = c_str!("rveth");

    /// The request carries the peer's own attributes (`peer name X ...`), as veth's.
    const POLICY: Option<&'static rtnl::Policy> = Some(&pair::POLICY);

    /// `setup`: an Ethernet device (the link layer did `ether_setup`) as `veth_setup`
    /// makes one: no qdisc, lockless transmit, veth's offloads, jumbo MTUs (no netpoll:
    /// the link layer refuses it for every Rust device).
    fn setup(dev: &mut Setup<'_, Self>) {
        dev.set_no_queue();
        dev.set_lockless_tx();
        dev.set_live_addr_change();
        dev.set_features(FEATURES, FEATURES, FEATURES);
        dev.set_upper_features(
            FEATURES - Features::VLAN_OFFLOADS,
            Features::HW_CSUM | Features::GSO_SOFTWARE,
        );
        dev.set_tso_max_size(GSO_MAX_SIZE);
        dev.set_mtu_range(MIN_MTU, MAX_MTU);
        dev.set_ethtool_ops::<RvethEthtool>();
        dev.set_xdp_features(
            xdp::features::BASIC | xdp::features::REDIRECT | xdp::features::NDO_XMIT,
        );
    }

    /// `newlink`: peer first (its own namespace, name, address), then this end, then
    /// each learns the other.
    fn newlink<'a>(link: &mut NewLink<'a, Self>) -> Result<Registered<'a>> {
        let rtnl = link.rtnl();
        // veth reads the queue counts of both ends from the request's own part, not the
        // peer's (`veth_newlink` passes `tb` to both `veth_init_queues` calls): so does rveth.
        let queues = link.requested_queues();
        let peer = pair::create_peer(link)?;
        let peer = DriverDevice::<Rveth>::from_device(&peer).ok_or(EINVAL)?;
        // GRO stays off until asked for (`ethtool -K rv1 gro on`), as veth has it.
        peer.disable_gro(rtnl);
        use_one_queue_unless_requested(peer, queues, rtnl)?;
        let (dev, registered) = link.register()?;
        dev.disable_gro(rtnl);
        use_one_queue_unless_requested(dev, queues, rtnl)?;
        dev.carrier_off();
        peer.carrier_off();
        dev.data().peer.set(Some(peer.to_aref()));
        peer.data().peer.set(Some(dev.to_aref()));
        Ok(registered)
    }

    /// As many queues as CPUs can be asked for (`veth_get_num_queues`) ...
    fn num_tx_queues() -> u32 {
        kernel::net::num_possible_cpus()
    }

    /// ... each way.
    fn num_rx_queues() -> u32 {
        kernel::net::num_possible_cpus()
    }

    /// `dellink`: unlink both ends (waiting out packet-path readers), queue the peer (the
    /// adapter queues this end).
    fn dellink(dev: &DriverDevice<Self>, queue: &mut UnregisterQueue<'_, Self>) {
        if let Some(peer) = dev.data().peer.take() {
            if let Some(peer) = DriverDevice::<Rveth>::from_device(&peer) {
                drop(peer.data().peer.take());
                queue.queue(peer);
            }
        }
    }
}

/// ... but one of each is used unless the request named a count (`veth_init_queues`);
/// `ethtool -L` raises it later.
fn use_one_queue_unless_requested(
    dev: &DriverDevice<Rveth>,
    asked: RequestedQueues,
    rtnl: &Rtnl,
) -> Result {
    let tx = if asked.tx {
        dev.real_num_tx_queues()
    } else {
        1
    };
    let rx = if asked.rx {
        dev.real_num_rx_queues()
    } else {
        1
    };
    dev.set_real_num_queues(tx, rx, rtnl)
}

struct RvethEthtool;

#[vtable]
impl ethtool::Operations for RvethEthtool {
    type Driver = Rveth;

    fn get_drvinfo(_dev: &DriverDevice<Rveth>, info: &mut DrvInfo) {
        info.set_driver(c_str!("rveth"));
        info.set_version(c_str!("1.0"));
    }

    fn get_link_ksettings(_dev: &DriverDevice<Rveth>, s: &mut LinkSettings) -> Result {
        s.set_virtual(10000);
        Ok(())
    }

    /// `ethtool -l`: the queues in use and allocated, each way.
    fn get_channels(dev: &DriverDevice<Rveth>, ch: &mut Channels) {
        ch.set(
            dev.real_num_rx_queues(),
            dev.real_num_tx_queues(),
            dev.num_rx_queues(),
            dev.num_tx_queues(),
        );
    }

    /// `ethtool -L rx N tx M`, up or down, with veth's rules while an eBPF program is
    /// attached at either end (`veth_set_channels`). Every allocated queue keeps its ring
    /// and NAPI instance, so this only changes which the pair uses.
    fn set_channels(dev: &DriverDevice<Rveth>, ch: &Channels, rtnl: &Rtnl) -> Result {
        if ch.rx() == 0 || ch.tx() == 0 || ch.combined_or_other() != 0 {
            return Err(EINVAL);
        }
        let guard = rcu::read_lock();
        if let Some(peer) = peer_of(dev, &guard) {
            if dev.data().xdp_prog.is_set() && ch.rx() < peer.real_num_tx_queues() {
                return Err(EINVAL);
            }
            if peer.data().xdp_prog.is_set() && ch.tx() > peer.real_num_rx_queues() {
                return Err(EINVAL);
            }
        }
        drop(guard);
        dev.set_real_num_queues(ch.tx(), ch.rx(), rtnl)
    }

    /// Per receive queue: packets, bytes, drops, the Rust fast path's six verdict
    /// counters and eBPF XDP's six; then per transmit queue: packets, bytes, drops; then
    /// the frames `ndo_xdp_xmit` took and refused.
    fn stats_count(dev: &DriverDevice<Rveth>) -> usize {
        RX_STATS * dev.data().rx.len() + 3 * dev.data().tx.len() + 2
    }

    fn stats_strings(dev: &DriverDevice<Rveth>, names: &mut Strings<'_>) {
        for i in 0..dev.data().rx.len() {
            names.push(format_args!("rx_queue_{i}_packets"));
            names.push(format_args!("rx_queue_{i}_bytes"));
            names.push(format_args!("rx_queue_{i}_drops"));
            for action in ActionStats::NAMES {
                names.push(format_args!("rx_queue_{i}_fp_{action}"));
            }
            for action in ActionStats::NAMES {
                names.push(format_args!("rx_queue_{i}_xdp_{action}"));
            }
        }
        for i in 0..dev.data().tx.len() {
            names.push(format_args!("tx_queue_{i}_packets"));
            names.push(format_args!("tx_queue_{i}_bytes"));
            names.push(format_args!("tx_queue_{i}_drops"));
        }
        names.push(format_args!("xdp_xmit"));
        names.push(format_args!("xdp_xmit_errors"));
    }

    fn stats_values(dev: &DriverDevice<Rveth>, values: &mut [u64]) {
        // `Iterator::chain` by name: the kernel prelude's `Init` has a `chain` too.
        let rx = dev.data().rx.iter().flat_map(|q| rx_values(q.queue()));
        let tx = dev.data().tx.iter().flat_map(|s| s.sum());
        let all = Iterator::chain(Iterator::chain(rx, tx), dev.data().xdp_xmit.sum());
        for (v, c) in values.iter_mut().zip(all) {
            *v = c;
        }
    }
}

/// A receive queue's counters, in `ethtool -S` order.
fn rx_values(q: &RxQueue) -> impl Iterator<Item = u64> {
    let counts = q.stats.get().into_iter();
    Iterator::chain(Iterator::chain(counts, q.fast.values()), q.xdp.values())
}
