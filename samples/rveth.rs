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

use kernel::net::{
    dev::{self, Device, DriverDevice, MacAddr, Peer, Stats64, TxOutcome},
    ethtool::{self, DrvInfo, LinkSettings, Strings},
    napi::{self, Napi},
    ring::SkbRing,
    rtnl::{self, NewLink, Setup, UnregisterQueue},
    skb::{DropReason, SkBuff},
    stats::QueueStats,
};
use kernel::prelude::*;
use kernel::sync::rcu;
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

struct Rveth;

/// One receive queue: the ring the peer's transmit path fills, drained by NAPI.
#[pin_data]
struct RxQueue {
    #[pin]
    ring: SkbRing,
    index: u16,
    stats: QueueStats,
}

/// A device's private data (`netdev_priv`).
struct RvethPriv {
    peer: Peer,
    rx: KVec<Pin<KBox<Napi<RxQueue>>>>,
    tx: KVec<QueueStats>,
}

impl napi::Poll for RxQueue {
    /// The receive half: take up to `budget` frames off the ring and hand each to GRO,
    /// which passes them to `__netif_receive_skb` and the protocol handlers.
    fn poll(napi: &Napi<Self>, budget: u32) -> u32 {
        let queue = napi.data();
        let mut done = 0;
        while done < budget {
            let Some(mut skb) = queue.ring.consume() else {
                break;
            };
            queue.stats.count(skb.len() + ETH_HLEN);
            skb.record_rx_queue(queue.index);
            napi.gro_receive(skb);
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

fn new_rx_queues(count: u32) -> Result<KVec<Pin<KBox<Napi<RxQueue>>>>> {
    let mut queues = KVec::with_capacity(count as usize, GFP_KERNEL)?;
    for index in 0..count {
        let queue = KBox::pin_init(
            Napi::new(try_pin_init!(RxQueue {
                ring <- SkbRing::new(RING_SIZE),
                index: index as u16,
                stats: QueueStats::new(),
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
        Ok(RvethPriv {
            peer: Peer::new(),
            rx: new_rx_queues(dev.num_rx_queues())?,
            tx: new_tx_counters(dev.num_tx_queues())?,
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
        let guard = rcu::read_lock();
        let Some(peer) = peer_of(dev, &guard).filter(|p| p.is_running()) else {
            txq.drops.inc();
            skb.drop_reason(DropReason::DevReady);
            return TxOutcome::Ok;
        };
        // Transmit queue n feeds the peer's receive queue n (wrapping if it has fewer).
        let rx = &peer.data().rx;
        let queue = rx.get(index).unwrap_or_else(|| &rx[index % rx.len()]);
        // Scrub and classify for the receiver: `__dev_forward_skb` checks the MTU,
        // clears socket and routing state, and runs `eth_type_trans` against the peer.
        let Some(skb) = skb.forward_to(peer) else {
            txq.drops.inc();
            return TxOutcome::Ok;
        };
        match queue.data().ring.produce(skb) {
            Ok(()) => {
                txq.count(len);
                queue.schedule();
            }
            Err(skb) => {
                txq.drops.inc();
                skb.drop_reason(DropReason::FullRing);
            }
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

    /// Three counters per receive queue, then three per transmit queue.
    fn stats_count(dev: &DriverDevice<Rveth>) -> usize {
        3 * (dev.data().rx.len() + dev.data().tx.len())
    }

    fn stats_strings(dev: &DriverDevice<Rveth>, names: &mut Strings<'_>) {
        for i in 0..dev.data().rx.len() {
            names.push(format_args!("rx_queue_{i}_packets"));
            names.push(format_args!("rx_queue_{i}_bytes"));
            names.push(format_args!("rx_queue_{i}_drops"));
        }
        for i in 0..dev.data().tx.len() {
            names.push(format_args!("tx_queue_{i}_packets"));
            names.push(format_args!("tx_queue_{i}_bytes"));
            names.push(format_args!("tx_queue_{i}_drops"));
        }
    }

    fn stats_values(dev: &DriverDevice<Rveth>, values: &mut [u64]) {
        let rx = dev.data().rx.iter().map(|q| &q.data().stats);
        let all = Iterator::chain(rx, dev.data().tx.iter());
        for (slot, s) in values.chunks_mut(3).zip(all) {
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
