// SPDX-License-Identifier: GPL-2.0

//! Exercise 3, the fast path: a Rust program on rveth's raw receive frames (the reference
//! solution).
//!
//! `echo 'attach x1' > /proc/net/exfast` attaches the program to rveth device x1 of the
//! writer's namespace; from then on rveth's NAPI poll shows it each frame before an
//! `sk_buff` goes up the stack, as XDP does (drivers/net/veth.c: `veth_xdp_rcv_skb` →
//! `bpf_prog_run_xdp`). The program
//! - drops every IPv4 UDP datagram to port 7777 (`XDP_DROP`: no GRO, no `ip_rcv`, no
//!   socket lookup) and counts it;
//! - answers every ICMP echo request itself: the frame becomes the reply (MACs and IP
//!   addresses swapped, type 8 → 0, the ICMP checksum updated) and goes back out of the
//!   device it came in on (`XDP_TX`), the stack never seeing it;
//! - passes everything else (`XDP_PASS`).
//!
//! `cat /proc/net/exfast` shows `x1 dropped N reflected M`; `echo detach > ...` detaches.
//! Lesson 5 (`samples/rxdp.rs`, docs/rxdp.md) is the full version; the eBPF equivalent of
//! the reflection is samples/xdp/xdp_tx.bpf.c.

use kernel::net::{
    fastpath::{self, Action, Frame, Program},
    hdr,
    ifname::Name,
    ns::Namespace,
    pernet,
    procfs::{self, SeqFile},
    rtnl::{self, Rtnl},
    stats::PerCpuCounters,
};
use kernel::prelude::*;
use kernel::sync::{new_mutex, rcu, sleep::Sleepable, Arc, Mutex};
use kernel::types::ARef;
use kernel::{c_str, str::CStr};

// Creates `/proc/net/exfast` in every namespace. An attached program holds a
// reference on this module: `rmmod exfast` is refused until `detach` (or the device goes).
kernel::module_pernet! {
    type: ExFastControl,
    name: "exfast",
    author: "netdive",
    description: "Exercise 3: a Rust fast-path program",
    license: "GPL",
}

/// The UDP port whose datagrams are dropped.
const DROP_PORT: u16 = 7777;
/// Ethernet header: destination MAC, source MAC, EtherType.
const ETH_HLEN: usize = 14;
/// IPv4 protocol number of ICMP, and ICMP's echo request and reply types.
const IPPROTO_ICMP: u8 = 1;
const ICMP_ECHO: u8 = 8;
const ICMP_ECHOREPLY: u8 = 0;

/// The program and what it did, per CPU (every CPU that polls the device runs it).
struct ExFast {
    dropped: PerCpuCounters<1>,
    reflected: PerCpuCounters<1>,
}

/// What the program makes of a frame.
enum Kind {
    UdpToDropPort,
    EchoRequest,
    Other,
}

/// Reads the frame's headers: Ethernet, IPv4, then UDP or ICMP.
fn classify(frame: &[u8]) -> Kind {
    let Ok((hdr::ETH_P_IP, payload)) = hdr::ethernet(frame) else {
        return Kind::Other;
    };
    match hdr::ipv4(payload, false).map(|p| p.transport) {
        Ok(hdr::Transport::Udp { dport, .. }) if dport == DROP_PORT => Kind::UdpToDropPort,
        Ok(hdr::Transport::Icmp {
            kind: ICMP_ECHO, ..
        }) => Kind::EchoRequest,
        _ => Kind::Other,
    }
}

/// One's complement sum of 16-bit words, folded (RFC 1071).
fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The checksum after one 16-bit word of the summed data changed from `old` to `new`,
/// without summing it all again (RFC 1624: HC' = ~(~HC + ~m + m')).
fn updated_checksum(check: u16, old: u16, new: u16) -> u16 {
    !fold(u32::from(!check) + u32::from(!old) + u32::from(new))
}

/// Turns an ICMP echo request (Ethernet, IPv4, ICMP) into its reply, in place.
fn make_reply(data: &mut [u8]) -> Result {
    let ihl = usize::from(*data.get(ETH_HLEN).ok_or(EINVAL)? & 0x0f) * 4;
    let icmp = ETH_HLEN + ihl;
    if ihl < 20 || data.len() < icmp + 4 || data[ETH_HLEN + 9] != IPPROTO_ICMP {
        return Err(EINVAL);
    }
    // Back where it came from: the MACs and the IP addresses change places. The IP
    // header checksum stays right, as a sum does not depend on the order of its words.
    let (dst, rest) = data.split_at_mut(6);
    dst.swap_with_slice(&mut rest[..6]);
    let ip = &mut data[ETH_HLEN..];
    let (head, addrs) = ip.split_at_mut(16);
    head[12..16].swap_with_slice(&mut addrs[..4]);
    // Type 8 code 0 becomes type 0 code 0: one word of the ICMP message changes.
    let old = u16::from_be_bytes([data[icmp], data[icmp + 1]]);
    data[icmp] = ICMP_ECHOREPLY;
    let new = u16::from_be_bytes([data[icmp], data[icmp + 1]]);
    let check = u16::from_be_bytes([data[icmp + 2], data[icmp + 3]]);
    data[icmp + 2..icmp + 4].copy_from_slice(&updated_checksum(check, old, new).to_be_bytes());
    Ok(())
}

impl Program for ExFast {
    fn run(&self, frame: &mut Frame<'_>) -> Action {
        match classify(frame.data()) {
            Kind::UdpToDropPort => {
                self.dropped.add(0, 1);
                Action::Drop
            }
            Kind::EchoRequest => match frame.data_mut().and_then(make_reply) {
                Ok(()) => {
                    self.reflected.add(0, 1);
                    Action::Tx
                }
                Err(_) => Action::Aborted,
            },
            Kind::Other => Action::Pass,
        }
    }
}

/// The program attached in a namespace, and to which device.
struct Entry {
    dev: Name,
    program: Arc<ExFast>,
    attachment: fastpath::Attachment,
}

/// A namespace's attachment, if any.
#[pin_data]
struct NetState {
    #[pin]
    entry: Mutex<Option<Entry>>,
}

struct ExFastControl;

/// Attaches a new program to the rveth device `name` of `net`.
fn attach(net: &Namespace, name: Name, rtnl: &Rtnl) -> Result<Entry> {
    let cname = CStr::from_bytes_with_nul(name.with_nul())?;
    let dev = {
        let guard = rcu::read_lock();
        net.device_by_name(cname, &guard).map(ARef::from)
    }
    .ok_or(ENODEV)?;
    let program = Arc::new(
        ExFast {
            dropped: PerCpuCounters::new()?,
            reflected: PerCpuCounters::new()?,
        },
        GFP_KERNEL,
    )?;
    let attachment = fastpath::attach(&dev, program.clone(), &THIS_MODULE, rtnl)?;
    Ok(Entry {
        dev: name,
        program,
        attachment,
    })
}

impl pernet::Subsystem for ExFastControl {
    type Data = NetState;
    type Features = procfs::File<Self>;

    fn init(_net: &Namespace) -> impl PinInit<NetState, Error> {
        try_pin_init!(NetState {
            entry <- new_mutex!(None),
        })
    }
}

impl procfs::ControlFile for ExFastControl {
    const NAME: &'static CStr = c_str!("exfast");

    /// `cat /proc/net/exfast`.
    fn show(state: &NetState, out: &SeqFile, _ctx: &mut Sleepable) {
        match &*state.entry.lock() {
            Some(e) => out.print(format_args!(
                "{} dropped {} reflected {}\n",
                e.dev,
                e.program.dropped.sum()[0],
                e.program.reflected.sum()[0]
            )),
            None => out.print(format_args!("detached\n")),
        }
    }

    /// `echo 'attach x1' > /proc/net/exfast`, `echo detach > /proc/net/exfast`.
    fn write(state: &NetState, net: &Namespace, input: &[u8], ctx: &mut Sleepable) -> Result {
        let line = procfs::one_line(input)?;
        let mut words = line.split_whitespace();
        let mut entry = state.entry.lock();
        match (words.next(), words.next(), words.next()) {
            (Some("attach"), Some(dev), None) => {
                if entry.is_some() {
                    return Err(EBUSY);
                }
                let name = Name::parse(dev).map_err(|_| EINVAL)?;
                let rtnl = rtnl::lock(ctx)?;
                *entry = Some(attach(net, name, &rtnl)?);
                Ok(())
            }
            // Detached under the RTNL: when the write returns, no CPU runs the program.
            (Some("detach"), None, None) => {
                let rtnl = rtnl::lock(ctx)?;
                let e = entry.take().ok_or(ENOENT)?;
                e.attachment.detach(&rtnl);
                Ok(())
            }
            _ => {
                kernel::pr_refused!("exfast: refused: say 'attach DEV' or 'detach'\n");
                Err(EINVAL)
            }
        }
    }
}
