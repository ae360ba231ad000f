// SPDX-License-Identifier: GPL-2.0

//! Exercise 1, the link layer: a virtual Ethernet pair driver, transmit and poll. The
//! file builds as it is; what it does not do yet is marked TODO.
//!
//! `ip link add name a type expair peer name b` creates two devices joined by a wire: a
//! frame sent on one is received on the other. It is drivers/net/veth.c's NAPI path
//! (6.12), cut down to one receive queue:
//!
//! ```text
//!  sender: dev_queue_xmit()              receiver: NET_RX_SOFTIRQ, net_rx_action()
//!   └ ndo_start_xmit = start_xmit()       └ napi_poll → RxQueue::poll()
//!      (veth_xmit)                           (veth_poll → veth_xdp_rcv)
//!      └ forward_to: ____dev_forward_skb     └ ring.consume()
//!      └ peer's ring.produce() ──skb──▶      └ eth_type_trans()
//!      └ napi_schedule() on the peer         └ netif_receive_skb() (napi_gro_receive
//!                                              with GRO on)
//! ```
//!
//! Given around the two halves: creation (`veth_newlink`: the peer first, then this end,
//! each holding the other as its [`Peer`]), deletion (`veth_dellink`), the carrier (on
//! only when both ends are up: `veth_open`, `veth_close`) and the counters `ip -s link`
//! shows (`veth_get_stats64`). Lesson 1 (`samples/rveth.rs`, docs/rveth.md) is the full
//! driver: many queues, XDP, offloads, ethtool.

use kernel::net::{
    dev::{self, Device, DriverDevice, Stats64, TxOutcome},
    napi::{self, Context},
    pair::{self, Peer},
    ring::PtrRing,
    rtnl::{self, NewLink, Registered, Rtnl, Setup, UnregisterQueue},
    skb::{DropReason, OwnedSkBuff},
    stats::{PerCpuCounters, QueueStats},
};
use kernel::prelude::*;
use kernel::sync::rcu::{self, BhGuard};
use kernel::{c_str, str::CStr};

// Registers link kind `expair`; unloading deletes every pair still alive.
kernel::module_rtnl_link! {
    type: Expair,
    name: "expair",
    alias: "rtnl-link-expair",
    author: "netdive",
    description: "Exercise 1: a virtual Ethernet pair",
    license: "GPL",
}

/// Frames the receive ring holds before the sender starts dropping (veth: 256).
const RING_SIZE: u32 = 256;
/// The per-CPU transmit counters: frames sent, their bytes, frames dropped.
const TX_PACKETS: usize = 0;
const TX_BYTES: usize = 1;
const TX_DROPS: usize = 2;

struct Expair;

/// The receive queue: the ring the peer's transmit fills, drained by this device's poll.
#[pin_data]
struct RxQueue {
    #[pin]
    ring: PtrRing<OwnedSkBuff>,
    stats: QueueStats,
}

/// A device's private data (`netdev_priv`).
#[pin_data]
struct ExpairPriv {
    /// The other end (veth: `priv->peer`), read under RCU by the transmit path.
    peer: Peer,
    /// One receive queue with its NAPI instance.
    #[pin]
    rx: napi::Queues<RxQueue>,
    /// Transmit runs on many CPUs at once (lockless): one copy of the counters per CPU.
    tx: PerCpuCounters<3>,
}

impl napi::Poll for RxQueue {
    type Driver = Expair;

    /// The receive half: up to `budget` frames off the ring, each counted and handed to
    /// the stack.
    fn poll(ctx: &Context<'_, Self>, budget: u32) -> u32 {
        // TODO: take frames off this queue's ring (`ctx.queue()`; the poll runs with
        // bottom halves off: `ctx.bh()`), at most `budget` of them. A frame arrives raw,
        // as off a wire (data at the Ethernet header): count it in the queue's `stats`,
        // classify it for this device (what `eth_type_trans` does, kernel::net::skb) and
        // hand it to the stack (kernel::net::napi::Context); one that cannot be classified
        // is dropped with a reason and counted as a drop. Return how many you took: fewer
        // than `budget` tells NAPI the ring is empty.
        let _ = (ctx, budget);
        0
    }
}

/// The peer as one of our devices, if it is linked.
fn peer_of<'a>(
    dev: &'a DriverDevice<Expair>,
    guard: &'a rcu::Guard,
) -> Option<&'a DriverDevice<Expair>> {
    dev.data()
        .peer
        .get(guard)
        .and_then(DriverDevice::from_device)
}

/// A pair's carrier is up only when both ends are.
fn update_carrier(dev: &DriverDevice<Expair>) {
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

/// The receive queue: an empty ring, counters at zero.
fn new_rx_queue() -> impl PinInit<RxQueue, Error> {
    try_pin_init!(RxQueue {
        ring <- PtrRing::new(RING_SIZE),
        stats: QueueStats::new(),
    })
}

#[vtable]
impl dev::Driver for Expair {
    type Data = ExpairPriv;

    const ETHERNET: bool = true;

    /// `ndo_init`: the ring and its NAPI instance, the counters, no peer yet.
    fn init(dev: &Device, _rtnl: &Rtnl) -> impl PinInit<ExpairPriv, Error> {
        try_pin_init!(ExpairPriv {
            peer: Peer::empty(),
            rx <- napi::Queues::new(dev, 1, |_| new_rx_queue()),
            tx: PerCpuCounters::new()?,
        })
    }

    /// `ndo_open`: carrier, if the peer is up too (NAPI is enabled already).
    fn open(dev: &DriverDevice<Self>, _rtnl: &Rtnl) -> Result {
        update_carrier(dev);
        Ok(())
    }

    /// `ndo_stop`: both carriers off, and what is still queued freed (NAPI is disabled
    /// already, and no transmitter sees this end running any more).
    fn stop(dev: &DriverDevice<Self>, _rtnl: &Rtnl) -> Result {
        update_carrier(dev);
        for queue in dev.data().rx.iter() {
            queue
                .queue()
                .ring
                .drain(|skb| skb.drop_reason(DropReason::DevReady));
        }
        Ok(())
    }

    /// `ndo_start_xmit`: the frame goes to the peer; counted as sent or as dropped.
    fn start_xmit(skb: OwnedSkBuff, dev: &DriverDevice<Self>, bh: &BhGuard) -> TxOutcome {
        // TODO: the frame goes to the peer (`peer_of`), if the peer is up: made the peer's
        // (`OwnedSkBuff::forward_to`), into the peer's receive ring (its `rx` queue 0),
        // and the peer's NAPI scheduled, so its poll runs. A frame that cannot go (no
        // peer, the peer down, its ring full) is dropped with a reason (`DropReason`).
        // Count it in `dev.data().tx`: TX_PACKETS and TX_BYTES when it went, TX_DROPS when
        // it did not.
        let _ = (dev, bh, TX_PACKETS, TX_BYTES, TX_DROPS);
        skb.drop_reason(DropReason::NotSpecified);
        TxOutcome::Ok
    }

    /// `ndo_get_stats64`: the receive queue's counters and the per-CPU transmit counters.
    fn get_stats64(dev: &DriverDevice<Self>, stats: &mut Stats64) {
        for queue in dev.data().rx.iter() {
            let [packets, bytes, drops] = queue.queue().stats.get();
            stats.add_rx(packets, bytes, drops);
        }
        let [packets, bytes, drops] = dev.data().tx.sum();
        stats.add_tx(packets, bytes, drops);
    }
}

#[vtable]
impl rtnl::LinkOps for Expair {
    const KIND: &'static CStr = c_str!("expair");

    /// The request carries the peer's own attributes (`peer name b ...`), as veth's.
    const POLICY: Option<&'static rtnl::Policy> = Some(&pair::POLICY);

    /// `setup` (the link layer did `ether_setup`): no qdisc, lockless transmit, as veth.
    fn setup(dev: &mut Setup<'_, Self>) {
        dev.set_no_queue();
        dev.set_lockless_tx();
    }

    /// `newlink`: the peer first, then this end; carriers off; each learns the other.
    fn newlink<'a>(link: &mut NewLink<'a, Self>) -> Result<Registered<'a>> {
        let rtnl = link.rtnl();
        let peer = pair::create_peer(link)?;
        let peer = DriverDevice::<Expair>::from_device(&peer).ok_or(EINVAL)?;
        let (dev, registered) = link.register()?;
        // GRO stays off until asked for (`ethtool -K b gro on`), as veth has it.
        dev.disable_gro(rtnl);
        peer.disable_gro(rtnl);
        dev.carrier_off();
        peer.carrier_off();
        dev.data().peer.set(Some(peer.to_aref()));
        peer.data().peer.set(Some(dev.to_aref()));
        Ok(registered)
    }

    /// `dellink`: unlink both ends (waiting out transmitters), queue the peer (the adapter
    /// queues this end).
    fn dellink(dev: &DriverDevice<Self>, queue: &mut UnregisterQueue<'_, Self>) {
        if let Some(peer) = dev.data().peer.take() {
            if let Some(peer) = DriverDevice::<Expair>::from_device(&peer) {
                drop(peer.data().peer.take());
                queue.queue(peer);
            }
        }
    }
}
