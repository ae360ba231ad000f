// SPDX-License-Identifier: GPL-2.0

//! Lesson 1, the link layer: `rveth`, a virtual Ethernet pair driver.
//!
//! `ip link add name rv0 type rveth peer name rv1` creates two devices; a frame sent on
//! one is received on the other. It is drivers/net/veth.c's design, in Rust, and it walks
//! the whole driver half of a packet's life:
//!
//! ```text
//!  sender                                        receiver
//!  dev_queue_xmit()          net/core/dev.c
//!   └ __dev_xmit_skb / dev_hard_start_xmit
//!      └ ndo_start_xmit = start_xmit()  ──skb──▶  peer's ring (ptr_ring, one per rx queue)
//!           MTU check, scrub (as                └ napi_schedule()
//!           __dev_forward_skb)              NET_RX_SOFTIRQ: net_rx_action()
//!                                                  └ poll() = RxQueue::poll
//!                                                     └ eth_type_trans()  net/ethernet/eth.c
//!                                                     └ napi_gro_receive()  net/core/gro.c
//!                                                       (netif_receive_skb() if shared)
//!                                                        └ __netif_receive_skb()
//!                                                           └ ip_rcv() / ipv6_rcv() ...
//! ```
//!
//! - Creation (`rtnl_newlink` → [`Rveth::newlink`]): the peer is created and registered
//!   first (`rtnl_create_link`, `register_netdevice`), then this end; each holds the other
//!   as its [`Peer`], an RCU pointer the transmit path reads without a lock.
//! - Carrier: a pair's link is up only when both ends are up (`netif_carrier_on` in
//!   [`Rveth::open`] when the peer is running too).
//! - Receive runs in the peer's NAPI context: one [`Napi`] instance and one ring per
//!   receive queue, chosen by the sender's transmit queue (`skb->queue_mapping`).
//! - Transmit is lockless (`dev->lltx`, as veth): the core takes no transmit-queue lock
//!   around `ndo_start_xmit`; the peer's ring has its own producer lock.
//! - Counters: per queue, each written by a single context (a CPU's copy on transmit, the
//!   NAPI instance on receive), summed by `ndo_get_stats64` for `ip -s link` and shown per
//!   queue by `ethtool -S`.
//! - Deletion (`ip link del`, namespace teardown, `rmmod`) → [`Rveth::dellink`]: both ends
//!   are unlinked and queued for `unregister_netdevice_many`.
//!
//! The fast path (lesson 5): when a Rust program is attached to a device (module `rxdp`,
//! [`fastpath::attach`]), the poll loop shows it each raw frame before the stack does,
//! as `veth_xdp_rcv_skb` runs an XDP program in drivers/net/veth.c:
//!
//! ```text
//!  poll(): ring.consume() ─▶ the raw frame, Ethernet header first (not yet classified)
//!           └ program.run(&mut Frame) ─▶ Pass     ─▶ eth_type_trans ─▶ napi_gro_receive
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
//!                              ├ REDIRECT ─▶ xdp_do_redirect; xdp_do_flush after the loop
//!                              └ ABORTED  ─▶ xdp_return_frame, xdp:xdp_exception
//! ```
//!
//! Frames other devices redirect to us arrive through `ndo_xdp_xmit`
//! ([`Rveth::xdp_xmit`]) and cross to the peer's ring as frames: they become an sk_buff
//! only if the peer passes them up. One program decides per device: a Rust program and
//! an eBPF program never run at once (attaching one while the other is attached fails
//! with `EBUSY`). Verdicts are counted per queue as `rx_queue_N_xdp_*`.

use kernel::net::{
    dev::{self, Device, DriverDevice, MacAddr, Peer, Stats64, TxOutcome},
    ethtool::{self, DrvInfo, LinkSettings, Strings},
    fastpath::{self, Action, ActionStats, Frame, Program},
    napi::{self, Napi},
    ring::{Packet, PacketRing},
    rtnl::{self, NewLink, Setup, UnregisterQueue},
    skb::{DropReason, SkBuff},
    stats::{Counter, PerCpuQueueStats, QueueStats, SharedCounter},
    xdp::{self, Outcome, Verdict},
};
use kernel::prelude::*;
use kernel::sync::{rcu, Arc};
use kernel::{c_str, str::CStr};

module! {
    type: RvethModule,
    name: "rveth",
    author: "netdive",
    description: "Virtual Ethernet pair in Rust (netdive lesson 1)",
    license: "GPL",
    alias: ["rtnl-link-rveth"],
}

/// Packets a receive ring holds before the sender starts dropping (veth: 256).
const RING_SIZE: u32 = 256;
/// Ethernet header length: counted in bytes on both ends, as veth does.
const ETH_HLEN: u32 = 14;
/// The MTU range: Ethernet's minimum (68, what IPv4 needs) to a 64 KiB jumbo frame.
const MIN_MTU: u32 = 68;
const MAX_MTU: u32 = 65535 - ETH_HLEN;
/// A VLAN tag: a frame may exceed the MTU by the Ethernet header and one tag.
const VLAN_HLEN: u32 = 4;
/// `ethtool -S` counters per receive queue: packets, bytes, drops, then the Rust fast
/// path's verdicts, then eBPF XDP's.
const RX_STATS: usize = 3 + 2 * ActionStats::NAMES.len();

struct Rveth;

/// One receive queue: the ring the peer's transmit path fills, drained by NAPI.
#[pin_data]
struct RxQueue {
    #[pin]
    ring: PacketRing,
    index: u16,
    stats: QueueStats,
    /// The device's fast-path slot, shared by its queues.
    hook: Arc<fastpath::Hook>,
    fast: ActionStats,
    /// What an eBPF program sees as its receive queue (`ctx->rx_queue_index`).
    #[pin]
    xdp_rxq: xdp::RxQueueInfo,
    xdp: ActionStats,
}

/// A device's private data (`netdev_priv`).
struct RvethPriv {
    peer: Peer,
    /// Makes the device's fast path attachable while the device lives (its queues
    /// hold the hook itself).
    fastpath_reg: fastpath::Registration,
    rx: KVec<Pin<KBox<Napi<RxQueue>>>>,
    /// Per transmit queue, per CPU: transmit is lockless (`lltx`), as in veth.
    tx: KVec<PerCpuQueueStats>,
    /// The native XDP program (`ndo_bpf`).
    xdp_prog: xdp::ProgSlot,
    /// Frames other devices' redirects sent out of this one (`ndo_xdp_xmit`), and those
    /// it could not take.
    xdp_xmit: SharedCounter,
    xdp_xmit_errors: SharedCounter,
}

/// Who decides about a queue's frames during one poll, read once under RCU.
#[derive(Clone, Copy)]
enum Decider<'a> {
    /// Nobody: straight to GRO and the stack.
    Stack,
    /// A Rust fast-path program (module `rxdp`).
    Rust(&'a dyn Program),
    /// A native eBPF XDP program.
    Bpf(&'a xdp::Prog),
}

impl napi::Poll for RxQueue {
    /// The receive half: take up to `budget` packets off the ring and hand each to GRO,
    /// which passes them to `__netif_receive_skb` and the protocol handlers; or, with a
    /// program attached, to the program first.
    fn poll(napi: &Napi<Self>, budget: u32, guard: &rcu::Guard) -> u32 {
        let queue = napi.data();
        let dev = napi.device().and_then(DriverDevice::<Rveth>::from_device);
        let decider = match dev {
            Some(dev) => decider(dev, queue, guard),
            None => Decider::Stack,
        };
        let mut redirected = false;
        let mut done = 0;
        while done < budget {
            let Some(packet) = queue.ring.consume() else {
                break;
            };
            done += 1;
            match (packet, dev) {
                (Packet::Skb(mut skb), dev) => {
                    queue.stats.count(skb.len());
                    skb.record_rx_queue(queue.index);
                    match (decider, dev) {
                        (Decider::Bpf(prog), Some(dev)) => {
                            redirected |= run_xdp_on_skb(napi, prog, dev, skb, guard)
                        }
                        (Decider::Rust(program), Some(dev)) => {
                            run_fast_path(napi, program, dev, skb, guard)
                        }
                        _ => to_stack(napi, skb, &queue.stats.drops),
                    }
                }
                (Packet::Frame(frame), Some(dev)) => {
                    queue.stats.count(frame.len());
                    redirected |= receive_frame(napi, decider, dev, frame, guard);
                }
                (Packet::Frame(frame), None) => {
                    queue.stats.drops.inc();
                    drop(frame);
                }
            }
        }
        // Frames the program redirected wait in per-CPU bulk queues: send them now.
        if redirected {
            xdp::flush_redirects();
        }
        // Out of work: re-arm. A frame produced meanwhile has set NAPI's MISSED bit, and
        // then `napi_complete_done` schedules us again, so nothing is stranded.
        if done < budget {
            napi.complete_done(done);
        }
        done
    }
}

/// The raw frame is classified (`eth_type_trans`: `protocol`, `pkt_type`, the Ethernet
/// header pulled) and handed to GRO and the stack, as a NIC driver does once XDP has
/// passed it; one that cannot be is dropped and counted in `dropped`.
fn to_stack(napi: &Napi<RxQueue>, mut skb: SkBuff, dropped: &Counter) {
    match napi.device().map(|dev| skb.eth_type_trans(dev)) {
        Some(Ok(_)) => napi.receive(skb),
        _ => {
            dropped.inc();
            skb.drop_reason(DropReason::DevHdr);
        }
    }
}

/// The program for this poll: an eBPF program if one is attached, else a Rust one.
fn decider<'a>(
    dev: &DriverDevice<Rveth>,
    queue: &'a RxQueue,
    guard: &'a rcu::Guard,
) -> Decider<'a> {
    if let Some(prog) = dev.data().xdp_prog.get(guard) {
        return Decider::Bpf(prog);
    }
    match queue.hook.program(guard) {
        Some(program) => Decider::Rust(program),
        None => Decider::Stack,
    }
}

/// An XDP frame came off the ring (from `ndo_xdp_xmit` or the peer's `XDP_TX`): run the
/// eBPF program on it as it is, or build the `sk_buff` the stack (or a Rust program)
/// needs. Returns whether the program redirected it.
fn receive_frame(
    napi: &Napi<RxQueue>,
    decider: Decider<'_>,
    dev: &DriverDevice<Rveth>,
    frame: xdp::Frame,
    guard: &rcu::Guard,
) -> bool {
    let queue = napi.data();
    if let Decider::Bpf(prog) = decider {
        return run_xdp(napi, prog, dev, frame, guard);
    }
    let Some(mut skb) = frame.into_skb(dev) else {
        queue.stats.drops.inc();
        return false;
    };
    skb.record_rx_queue(queue.index);
    match decider {
        // `xdp_build_skb_from_frame` classified it; the program sees the raw frame again.
        Decider::Rust(program) => match skb.push_mac_header() {
            Ok(()) => run_fast_path(napi, program, dev, skb, guard),
            Err(_) => {
                queue.fast.errors.inc();
                skb.drop_reason(DropReason::DevHdr);
            }
        },
        _ => napi.receive(skb),
    }
    false
}

/// An eBPF program sees a frame in a page with `XDP_PACKET_HEADROOM` in front; an
/// `sk_buff` from the stack has neither, so its bytes are copied into one (veth does the
/// same in `veth_convert_skb_to_xdp_buff`). Returns whether the program redirected it.
fn run_xdp_on_skb(
    napi: &Napi<RxQueue>,
    prog: &xdp::Prog,
    dev: &DriverDevice<Rveth>,
    skb: SkBuff,
    guard: &rcu::Guard,
) -> bool {
    let queue = napi.data();
    // The ring holds raw frames: the copy starts at the Ethernet header.
    match xdp::Frame::copy_from_skb(&skb) {
        Ok(frame) => {
            skb.consume();
            run_xdp(napi, prog, dev, frame, guard)
        }
        Err(_) => {
            // Too big for one page (the MTU is above what XDP here supports), or no
            // memory: counted, dropped.
            queue.xdp.errors.inc();
            skb.drop_reason(DropReason::Xdp);
            false
        }
    }
}

/// Runs the eBPF program on a frame and carries out what only the driver can: pass (an
/// `sk_buff` around the same page, to GRO) and tx (back out through the peer's ring).
/// Returns whether the frame was redirected.
fn run_xdp(
    napi: &Napi<RxQueue>,
    prog: &xdp::Prog,
    dev: &DriverDevice<Rveth>,
    frame: xdp::Frame,
    guard: &rcu::Guard,
) -> bool {
    let queue = napi.data();
    match xdp::run(prog, frame, &queue.xdp_rxq, dev) {
        Outcome::Pass(frame) => {
            queue.xdp.count_xdp(Verdict::Pass);
            match frame.into_skb(dev) {
                Some(mut skb) => {
                    skb.record_rx_queue(queue.index);
                    napi.gro_receive(skb);
                }
                None => queue.xdp.errors.inc(),
            }
            false
        }
        Outcome::Tx(frame) => {
            queue.xdp.count_xdp(Verdict::Tx);
            if send_frame_to_peer(dev, frame, queue.index.into(), guard).is_err() {
                queue.xdp.errors.inc();
            }
            false
        }
        Outcome::Done(verdict) => {
            queue.xdp.count_xdp(verdict);
            verdict == Verdict::Redirect
        }
        Outcome::Failed(verdict) => {
            queue.xdp.count_xdp(verdict);
            queue.xdp.errors.inc();
            false
        }
    }
}

/// Shows a raw frame to the attached program and carries out its verdict.
fn run_fast_path(
    napi: &Napi<RxQueue>,
    program: &dyn Program,
    dev: &Device,
    mut skb: SkBuff,
    guard: &rcu::Guard,
) {
    let queue = napi.data();
    // The ring holds raw frames, `data` at the Ethernet header: nothing to undo.
    let action = program.run(&mut Frame::new(&mut skb));
    queue.fast.count(action);
    match action {
        Action::Pass => to_stack(napi, skb, &queue.fast.errors),
        Action::Drop | Action::Aborted => skb.drop_reason(DropReason::Xdp),
        Action::Tx => send_out_of(Some(dev), skb, queue, guard),
        Action::Redirect(ifindex) => {
            send_out_of(dev.net().device_by_index(ifindex, guard), skb, queue, guard)
        }
    }
}

/// Sends a fast-path frame out of `dev`, which must be an rveth device that is up.
fn send_out_of(dev: Option<&Device>, skb: SkBuff, queue: &RxQueue, guard: &rcu::Guard) {
    let dev = dev
        .and_then(DriverDevice::<Rveth>::from_device)
        .filter(|d| d.is_running());
    let sent = match dev {
        Some(dev) => send_to_peer(dev, skb, queue.index.into(), guard),
        None => {
            skb.drop_reason(DropReason::DevReady);
            false
        }
    };
    if !sent {
        queue.fast.errors.inc();
    }
}

/// The receive queue of `dev`'s peer that transmit queue `index` feeds (wrapping if the
/// peer has fewer), if the peer is up.
fn peer_rx_queue<'a>(
    dev: &DriverDevice<Rveth>,
    index: usize,
    guard: &'a rcu::Guard,
) -> Option<(&'a DriverDevice<Rveth>, &'a Napi<RxQueue>)> {
    let peer = peer_of(dev, guard).filter(|p| p.is_running())?;
    let rx = &peer.data().rx;
    let wrapped = index.checked_rem(rx.len()).unwrap_or(0);
    let queue = rx.get(index).or_else(|| rx.get(wrapped))?;
    Some((peer, queue))
}

/// Puts a packet (data at its Ethernet header) into receive ring `index` of `dev`'s peer
/// and kicks the peer's NAPI. A packet that cannot go is dropped here, with its reason.
fn send_to_peer(dev: &DriverDevice<Rveth>, skb: SkBuff, index: usize, guard: &rcu::Guard) -> bool {
    let Some((peer, queue)) = peer_rx_queue(dev, index, guard) else {
        skb.drop_reason(DropReason::DevReady);
        return false;
    };
    // Make it the receiver's: the MTU check and scrub of `__dev_forward_skb` (socket,
    // routing state); the receiver's poll runs `eth_type_trans`, after any program.
    let Some(skb) = skb.forward_to(peer) else {
        return false;
    };
    match queue.data().ring.produce(skb) {
        Ok(()) => {
            queue.schedule();
            true
        }
        Err(skb) => {
            skb.drop_reason(DropReason::FullRing);
            false
        }
    }
}

/// Puts an XDP frame into a receive ring of `dev`'s peer, as a frame: no `sk_buff` is
/// made for it on this side. Gives it back if the peer is down, the ring full, or the
/// frame longer than the peer's MTU allows (veth: `veth_xdp_xmit`).
fn send_frame_to_peer(
    dev: &DriverDevice<Rveth>,
    frame: xdp::Frame,
    index: usize,
    guard: &rcu::Guard,
) -> Result<(), xdp::Frame> {
    let Some((peer, queue)) = peer_rx_queue(dev, index, guard) else {
        return Err(frame);
    };
    if frame.len() > peer.mtu() + ETH_HLEN + VLAN_HLEN {
        return Err(frame);
    }
    queue.data().ring.produce_frame(frame)?;
    queue.schedule();
    Ok(())
}

fn new_rx_queues(
    dev: &Device,
    hook: &Arc<fastpath::Hook>,
) -> Result<KVec<Pin<KBox<Napi<RxQueue>>>>> {
    let count = dev.num_rx_queues();
    let mut queues = KVec::with_capacity(count as usize, GFP_KERNEL)?;
    for i in 0..count {
        let queue = KBox::pin_init(
            Napi::new(try_pin_init!(RxQueue {
                ring <- PacketRing::new(RING_SIZE),
                index: i as u16,
                stats: QueueStats::new(),
                hook: hook.clone(),
                fast: ActionStats::new(),
                xdp_rxq <- xdp::RxQueueInfo::new(dev, i),
                xdp: ActionStats::new(),
            })),
            GFP_KERNEL,
        )?;
        queues.push(queue, GFP_KERNEL)?;
    }
    Ok(queues)
}

fn new_tx_counters(count: u32) -> Result<KVec<PerCpuQueueStats>> {
    let mut tx = KVec::with_capacity(count as usize, GFP_KERNEL)?;
    for _ in 0..count {
        tx.push(PerCpuQueueStats::new()?, GFP_KERNEL)?;
    }
    Ok(tx)
}

/// The peer as one of our devices, if it is linked.
fn peer_of<'a>(
    dev: &DriverDevice<Rveth>,
    guard: &'a rcu::Guard,
) -> Option<&'a DriverDevice<Rveth>> {
    dev.data()
        .peer
        .get(guard)
        .and_then(DriverDevice::from_device)
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

    /// `ndo_init`: one ring and NAPI instance per receive queue, counters per transmit
    /// queue, no peer yet.
    fn init(dev: &Device) -> Result<RvethPriv> {
        let fastpath = fastpath::Registration::new(dev)?;
        Ok(RvethPriv {
            peer: Peer::new(),
            rx: new_rx_queues(dev, fastpath.hook())?,
            tx: new_tx_counters(dev.num_tx_queues())?,
            xdp_prog: xdp::ProgSlot::new(),
            xdp_xmit: SharedCounter::new(),
            xdp_xmit_errors: SharedCounter::new(),
            fastpath_reg: fastpath,
        })
    }

    /// `ndo_open`: register and enable the NAPI instances, then carrier if the peer is up.
    fn open(dev: &DriverDevice<Self>) -> Result {
        for queue in dev.data().rx.iter() {
            queue.as_ref().add(dev);
            queue.enable();
        }
        update_carrier(dev);
        Ok(())
    }

    /// `ndo_stop`: carrier off (the peer stops sending), stop NAPI, free what is queued.
    fn stop(dev: &DriverDevice<Self>) -> Result {
        {
            let guard = rcu::read_lock();
            if let Some(peer) = peer_of(dev, &guard) {
                peer.carrier_off();
            }
        }
        dev.carrier_off();
        for queue in dev.data().rx.iter() {
            queue.del();
        }
        // Transmitters that saw the queues enabled finish before the rings are emptied.
        kernel::sync::rcu::synchronize_rcu();
        for queue in dev.data().rx.iter() {
            let purged = queue.data().ring.purge();
            queue.data().stats.drops.add(purged as u64);
        }
        Ok(())
    }

    /// `ndo_start_xmit`: forward the frame to the peer's receive ring and kick its NAPI.
    fn start_xmit(skb: SkBuff, dev: &DriverDevice<Self>, guard: &rcu::Guard) -> TxOutcome {
        let data = dev.data();
        let index = skb.queue_mapping() as usize;
        // The stack picks a queue below `real_num_tx_queues`, so `index` is in range.
        let Some(txq) = data.tx.get(index).map(PerCpuQueueStats::this_cpu) else {
            skb.drop_reason(DropReason::NotSpecified);
            return TxOutcome::Ok;
        };
        let len = skb.len();
        if send_to_peer(dev, skb, index, guard) {
            txq.count(len);
        } else {
            txq.drops.inc();
        }
        TxOutcome::Ok
    }

    /// `ndo_get_stats64`: the sum of the per-queue counters.
    fn get_stats64(dev: &DriverDevice<Self>, stats: &mut Stats64) {
        for q in dev.data().rx.iter() {
            let s = &q.data().stats;
            stats.add_rx(s.packets.get(), s.bytes.get(), s.drops.get());
        }
        for s in dev.data().tx.iter() {
            let [packets, bytes, drops] = s.sum();
            stats.add_tx(packets, bytes, drops);
        }
    }

    /// `ndo_set_mac_address`: any valid unicast address (checked by `eth_mac_addr`).
    fn set_mac_address(_dev: &DriverDevice<Self>, _mac: &MacAddr) -> Result {
        Ok(())
    }

    /// `ndo_bpf`, `XDP_SETUP_PROG`: attach or detach a native eBPF program. Refused
    /// while a Rust fast-path program is attached, and for multi-buffer programs.
    fn xdp_setup(
        dev: &DriverDevice<Self>,
        prog: Option<&xdp::Prog>,
        extack: &mut xdp::ExtAck<'_>,
    ) -> Result {
        let data = dev.data();
        let hook = data.fastpath_reg.hook();
        let Some(prog) = prog else {
            data.xdp_prog.set(None);
            hook.unblock();
            return Ok(());
        };
        if prog.has_frags() {
            extack.set_message(c_str!(
                "rveth: multi-buffer XDP (xdp.frags) is not supported"
            ));
            return Err(xdp::not_supported());
        }
        if !data.xdp_prog.is_set() && !hook.block() {
            extack.set_message(c_str!(
                "rveth: a Rust fast-path program is attached (see /proc/net/rxdp)"
            ));
            return Err(EBUSY);
        }
        // A replaced program is put once no poll can still be running it.
        data.xdp_prog.set(Some(prog.into()));
        Ok(())
    }

    /// `ndo_xdp_xmit`: a frame another device's program redirected here leaves by this
    /// device, i.e. arrives at the peer, still as a frame.
    fn xdp_xmit(dev: &DriverDevice<Self>, frame: xdp::Frame) -> Result<(), xdp::Frame> {
        let data = dev.data();
        let index = xdp::xmit_queue_hint();
        let guard = rcu::read_lock();
        match send_frame_to_peer(dev, frame, index, &guard) {
            Ok(()) => {
                data.xdp_xmit.inc();
                Ok(())
            }
            Err(frame) => {
                data.xdp_xmit_errors.inc();
                Err(frame)
            }
        }
    }
}

#[vtable]
impl rtnl::LinkOps for Rveth {
    const KIND: &'static CStr = c_str!("rveth");

    /// `setup`: an Ethernet device without a qdisc and with lockless transmit (like veth),
    /// jumbo MTUs allowed.
    fn setup(dev: &mut Setup<'_, Self>) {
        dev.ether_setup();
        dev.set_no_queue();
        dev.set_lockless_tx();
        dev.set_live_addr_change();
        dev.set_mtu_range(MIN_MTU, MAX_MTU);
        dev.set_ethtool_ops::<RvethEthtool>();
        dev.set_xdp_features(
            xdp::features::BASIC | xdp::features::REDIRECT | xdp::features::NDO_XMIT,
        );
    }

    /// `newlink`: peer first (its own namespace, name, address), then this end, then
    /// each learns the other.
    fn newlink(link: &mut NewLink<'_, Self>) -> Result {
        let mut request = link.peer_request()?;
        let peer = link.create_peer(request.as_mut())?.to_aref();
        let dev = link.register()?;
        dev.carrier_off();
        peer.carrier_off();
        let peer = DriverDevice::<Rveth>::from_device(&peer).ok_or(EINVAL)?;
        dev.data().peer.set(Some(peer.to_aref()));
        peer.data().peer.set(Some(dev.to_aref()));
        Ok(())
    }

    /// `dellink`: unlink both ends (waiting out packet-path readers), queue both.
    fn dellink(dev: &DriverDevice<Self>, queue: &mut UnregisterQueue) {
        if let Some(peer) = dev.data().peer.take() {
            if let Some(peer) = DriverDevice::<Rveth>::from_device(&peer) {
                drop(peer.data().peer.take());
                queue.queue(peer);
            }
        }
        queue.queue(dev);
    }
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
        let (rx_values, tx_values) = values.split_at_mut(RX_STATS * dev.data().rx.len());
        for (slot, q) in rx_values.chunks_mut(RX_STATS).zip(dev.data().rx.iter()) {
            let s = &q.data().stats;
            let all = Iterator::chain(
                Iterator::chain(
                    [s.packets.get(), s.bytes.get(), s.drops.get()].into_iter(),
                    q.data().fast.values(),
                ),
                q.data().xdp.values(),
            );
            for (v, c) in slot.iter_mut().zip(all) {
                *v = c;
            }
        }
        let (tx_values, xmit_values) = tx_values.split_at_mut(3 * dev.data().tx.len());
        for (slot, s) in tx_values.chunks_mut(3).zip(dev.data().tx.iter()) {
            for (v, c) in slot.iter_mut().zip(s.sum()) {
                *v = c;
            }
        }
        let xmit = [dev.data().xdp_xmit.get(), dev.data().xdp_xmit_errors.get()];
        for (v, c) in xmit_values.iter_mut().zip(xmit) {
            *v = c;
        }
    }
}

struct RvethModule {
    _link: Pin<KBox<rtnl::Registration<Rveth>>>,
}

impl kernel::Module for RvethModule {
    /// Registers link kind `rveth`; from now on `ip link add ... type rveth` reaches us.
    /// Unloading unregisters it, which deletes every pair still alive.
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let link = KBox::pin_init(rtnl::Registration::new(), GFP_KERNEL)?;
        Ok(Self { _link: link })
    }
}
