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
//!           __dev_forward_skb(): scrub,                └ napi_schedule()
//!           eth_type_trans()                      NET_RX_SOFTIRQ: net_rx_action()
//!                                                  └ poll() = RxQueue::poll
//!                                                     └ napi_gro_receive()  net/core/gro.c
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
//! - Counters: per queue, each written by a single context (the transmit queue's lock, or
//!   the NAPI instance), summed by `ndo_get_stats64` for `ip -s link` and shown per queue
//!   by `ethtool -S`.
//! - Deletion (`ip link del`, namespace teardown, `rmmod`) → [`Rveth::dellink`]: both ends
//!   are unlinked and queued for `unregister_netdevice_many`.
//!
//! The fast path (lesson 5): when a Rust program is attached to a device (module `rxdp`,
//! [`fastpath::attach`]), the poll loop shows it each raw frame before the stack does,
//! as `veth_xdp_rcv_skb` runs an XDP program in drivers/net/veth.c:
//!
//! ```text
//!  poll(): ring.consume() ─▶ push back the Ethernet header (__skb_push to mac_header)
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

use kernel::net::{
    dev::{self, Device, DriverDevice, MacAddr, Peer, Stats64, TxOutcome},
    ethtool::{self, DrvInfo, LinkSettings, Strings},
    fastpath::{self, Action, ActionStats, Frame, Program},
    napi::{self, Napi},
    ring::SkbRing,
    rtnl::{self, NewLink, Setup, UnregisterQueue},
    skb::{DropReason, SkBuff},
    stats::QueueStats,
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
/// `ethtool -S` counters per receive queue: packets, bytes, drops, then the fast path's.
const RX_STATS: usize = 3 + ActionStats::NAMES.len();

struct Rveth;

/// One receive queue: the ring the peer's transmit path fills, drained by NAPI.
#[pin_data]
struct RxQueue {
    #[pin]
    ring: SkbRing,
    index: u16,
    stats: QueueStats,
    /// The device's fast-path slot, shared by its queues.
    hook: Arc<fastpath::Hook>,
    fast: ActionStats,
}

/// A device's private data (`netdev_priv`).
struct RvethPriv {
    peer: Peer,
    /// Makes the device's fast path attachable while the device lives (its queues
    /// hold the hook itself).
    _fastpath: fastpath::Registration,
    rx: KVec<Pin<KBox<Napi<RxQueue>>>>,
    tx: KVec<QueueStats>,
}

impl napi::Poll for RxQueue {
    /// The receive half: take up to `budget` frames off the ring and hand each to GRO,
    /// which passes them to `__netif_receive_skb` and the protocol handlers; or, with a
    /// fast-path program attached, to the program first.
    fn poll(napi: &Napi<Self>, budget: u32) -> u32 {
        let queue = napi.data();
        let guard = rcu::read_lock();
        let fast = queue.hook.program(&guard).zip(napi.device());
        let mut done = 0;
        while done < budget {
            let Some(mut skb) = queue.ring.consume() else {
                break;
            };
            queue.stats.count(skb.len() + ETH_HLEN);
            skb.record_rx_queue(queue.index);
            match fast {
                Some((program, dev)) => run_fast_path(napi, program, dev, skb, &guard),
                None => napi.gro_receive(skb),
            }
            done += 1;
        }
        // Out of work: re-arm. A frame produced meanwhile has set NAPI's MISSED bit, and
        // then `napi_complete_done` schedules us again, so nothing is stranded.
        if done < budget {
            napi.complete_done(done);
        }
        done
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
    // The ring holds frames `eth_type_trans` already pulled the Ethernet header off.
    if skb.push_mac_header().is_err() {
        queue.fast.errors.inc();
        skb.drop_reason(DropReason::DevHdr);
        return;
    }
    let action = program.run(&mut Frame::new(&mut skb));
    queue.fast.count(action);
    match action {
        Action::Pass => match skb.eth_type_trans(dev) {
            Ok(_) => napi.gro_receive(skb),
            Err(_) => {
                queue.fast.errors.inc();
                skb.drop_reason(DropReason::DevHdr);
            }
        },
        Action::Drop | Action::Aborted => skb.drop_reason(DropReason::Xdp),
        Action::Tx => send_out_of(Some(dev), skb, queue),
        Action::Redirect(ifindex) => {
            send_out_of(dev.net().device_by_index(ifindex, guard), skb, queue)
        }
    }
}

/// Sends a fast-path frame out of `dev`, which must be an rveth device that is up.
fn send_out_of(dev: Option<&Device>, skb: SkBuff, queue: &RxQueue) {
    let dev = dev
        .and_then(DriverDevice::<Rveth>::from_device)
        .filter(|d| d.is_running());
    let sent = match dev {
        Some(dev) => send_to_peer(dev, skb, queue.index.into()),
        None => {
            skb.drop_reason(DropReason::DevReady);
            false
        }
    };
    if !sent {
        queue.fast.errors.inc();
    }
}

/// Puts a frame (data at its Ethernet header) into receive ring `index` of `dev`'s peer
/// and kicks the peer's NAPI. A frame that cannot go is dropped here, with its reason.
fn send_to_peer(dev: &DriverDevice<Rveth>, skb: SkBuff, index: usize) -> bool {
    let guard = rcu::read_lock();
    let Some(peer) = peer_of(dev, &guard).filter(|p| p.is_running()) else {
        skb.drop_reason(DropReason::DevReady);
        return false;
    };
    // Transmit queue n feeds the peer's receive queue n (wrapping if it has fewer).
    let rx = &peer.data().rx;
    let wrapped = index.checked_rem(rx.len()).unwrap_or(0);
    let Some(queue) = rx.get(index).or_else(|| rx.get(wrapped)) else {
        skb.drop_reason(DropReason::NotSpecified);
        return false;
    };
    // Scrub and classify for the receiver: `__dev_forward_skb` checks the MTU,
    // clears socket and routing state, and runs `eth_type_trans` against the peer.
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

fn new_rx_queues(count: u32, hook: &Arc<fastpath::Hook>) -> Result<KVec<Pin<KBox<Napi<RxQueue>>>>> {
    let mut queues = KVec::with_capacity(count as usize, GFP_KERNEL)?;
    for index in 0..count {
        let queue = KBox::pin_init(
            Napi::new(try_pin_init!(RxQueue {
                ring <- SkbRing::new(RING_SIZE),
                index: index as u16,
                stats: QueueStats::new(),
                hook: hook.clone(),
                fast: ActionStats::new(),
            })),
            GFP_KERNEL,
        )?;
        queues.push(queue, GFP_KERNEL)?;
    }
    Ok(queues)
}

fn new_tx_counters(count: u32) -> Result<KVec<QueueStats>> {
    let mut tx = KVec::with_capacity(count as usize, GFP_KERNEL)?;
    for _ in 0..count {
        tx.push(QueueStats::new(), GFP_KERNEL)?;
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
            rx: new_rx_queues(dev.num_rx_queues(), fastpath.hook())?,
            tx: new_tx_counters(dev.num_tx_queues())?,
            _fastpath: fastpath,
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
    fn start_xmit(skb: SkBuff, dev: &DriverDevice<Self>) -> TxOutcome {
        let data = dev.data();
        let index = skb.queue_mapping() as usize;
        // The stack picks a queue below `real_num_tx_queues`, so `index` is in range.
        let Some(txq) = data.tx.get(index) else {
            skb.drop_reason(DropReason::NotSpecified);
            return TxOutcome::Ok;
        };
        let len = skb.len();
        if send_to_peer(dev, skb, index) {
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
            stats.add_tx(s.packets.get(), s.bytes.get(), s.drops.get());
        }
    }

    /// `ndo_set_mac_address`: any valid unicast address (checked by `eth_mac_addr`).
    fn set_mac_address(_dev: &DriverDevice<Self>, _mac: &MacAddr) -> Result {
        Ok(())
    }
}

#[vtable]
impl rtnl::LinkOps for Rveth {
    const KIND: &'static CStr = c_str!("rveth");

    /// `setup`: an Ethernet device without a qdisc (like veth), jumbo MTUs allowed.
    fn setup(dev: &mut Setup<'_, Self>) {
        dev.ether_setup();
        dev.set_no_queue();
        dev.set_live_addr_change();
        dev.set_mtu_range(MIN_MTU, MAX_MTU);
        dev.set_ethtool_ops::<RvethEthtool>();
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
        dev.data().peer.set(peer.to_aref());
        peer.data().peer.set(dev.to_aref());
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

    /// Per receive queue: packets, bytes, drops and the fast path's six verdict
    /// counters; then per transmit queue: packets, bytes, drops.
    fn stats_count(dev: &DriverDevice<Rveth>) -> usize {
        RX_STATS * dev.data().rx.len() + 3 * dev.data().tx.len()
    }

    fn stats_strings(dev: &DriverDevice<Rveth>, names: &mut Strings<'_>) {
        for i in 0..dev.data().rx.len() {
            names.push(format_args!("rx_queue_{i}_packets"));
            names.push(format_args!("rx_queue_{i}_bytes"));
            names.push(format_args!("rx_queue_{i}_drops"));
            for action in ActionStats::NAMES {
                names.push(format_args!("rx_queue_{i}_fp_{action}"));
            }
        }
        for i in 0..dev.data().tx.len() {
            names.push(format_args!("tx_queue_{i}_packets"));
            names.push(format_args!("tx_queue_{i}_bytes"));
            names.push(format_args!("tx_queue_{i}_drops"));
        }
    }

    fn stats_values(dev: &DriverDevice<Rveth>, values: &mut [u64]) {
        let (rx_values, tx_values) = values.split_at_mut(RX_STATS * dev.data().rx.len());
        for (slot, q) in rx_values.chunks_mut(RX_STATS).zip(dev.data().rx.iter()) {
            let (s, fast) = (&q.data().stats, q.data().fast.values());
            let all = Iterator::chain(
                [s.packets.get(), s.bytes.get(), s.drops.get()].into_iter(),
                fast,
            );
            for (v, c) in slot.iter_mut().zip(all) {
                *v = c;
            }
        }
        for (slot, s) in tx_values.chunks_mut(3).zip(dev.data().tx.iter()) {
            for (v, c) in slot.iter_mut().zip([&s.packets, &s.bytes, &s.drops]) {
                *v = c.get();
            }
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
