// SPDX-License-Identifier: GPL-2.0

//! Watching TCP state changes: a probe on the `sock:inet_sock_set_state` tracepoint.
//!
//! C headers: [`include/trace/events/sock.h`](srctree/include/trace/events/sock.h) (the event),
//! [`include/linux/tracepoint.h`](srctree/include/linux/tracepoint.h) (probes),
//! [`include/net/tcp_states.h`](srctree/include/net/tcp_states.h) (the states).
//!
//! TCP moves a socket from state to state with `tcp_set_state` (net/ipv4/tcp.c), which
//! stores the new state through `inet_sk_state_store`; a listener's new child gets its
//! first state from `inet_sk_set_state` (both in net/ipv4/af_inet.c). Both fire the
//! tracepoint `inet_sock_set_state(sk, oldstate, newstate)` just before the store, so one
//! probe sees every change of every TCP socket, as `bpftrace -e
//! 'tracepoint:sock:inet_sock_set_state'` and BCC's `tcpstates` do.
//!
//! A tracepoint is a call site the kernel keeps patched out until a probe is registered
//! (`tracepoint_probe_register`); then it calls each probe with the event's arguments
//! and the probe's data pointer, with preemption disabled. This tracepoint is not
//! exported to modules by name, so the probe finds it among the kernel's tracepoints
//! (`for_each_kernel_tracepoint`), as out-of-tree tracers do.
//!
//! [`Watch`] is a [pernet feature](super::pernet): each namespace registers a probe whose
//! data is its state, and the probe passes on only the changes of that namespace's sockets
//! (`sock_net(sk)`), as a [`Change`] borrowed for the call.

use super::pernet::{self, Subsystem};
use crate::{bindings, c_str, error::to_result, prelude::*, str::CStr};
use core::ffi::{c_int, c_void};
use core::marker::PhantomData;
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use core::ptr::{addr_of, NonNull};

/// The tracepoint [`Watch`] registers on.
const TRACEPOINT: &CStr = c_str!("inet_sock_set_state");

/// A state of a TCP socket (`TCP_ESTABLISHED`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State(u8);

impl State {
    /// The state's number, as `sk->sk_state` holds it.
    pub fn raw(self) -> u8 {
        self.0
    }

    /// The kernel's name for it (`TCP_SYN_SENT`), or `?` for a number TCP does not use.
    pub fn name(self) -> &'static str {
        super::socket::state_name(self.0)
    }
}

/// One state change of a socket, borrowed for the probe's call.
///
/// # Invariants
///
/// `sk` points at an inet socket (the tracepoint's callers are `inet_sk_set_state` and
/// `inet_sk_state_store`) that the caller keeps alive and owns (the socket locked, or a
/// child not yet published) for `'a`.
pub struct Change<'a> {
    sk: NonNull<bindings::sock>,
    from: State,
    to: State,
    _sk: PhantomData<&'a bindings::sock>,
}

impl Change<'_> {
    /// The state the socket leaves.
    pub fn from(&self) -> State {
        self.from
    }

    /// The state it enters.
    pub fn to(&self) -> State {
        self.to
    }

    fn sock(&self) -> *const bindings::sock {
        self.sk.as_ptr()
    }

    /// Whether the socket is TCP (the tracepoint also fires for DCCP, SCTP and MPTCP).
    pub fn is_tcp(&self) -> bool {
        // SAFETY: `sk` is valid for the call (type invariant); a racy field is read as
        // `READ_ONCE`, as the C event reads it.
        let proto = unsafe { addr_of!((*self.sock()).sk_protocol).read_volatile() };
        u32::from(proto) == bindings::IPPROTO_TCP
    }

    /// Whether kernel code made the socket (`sk_kern_sock`: `sock_create_kern`, and the
    /// connections a kernel listener accepts, which are copies of it).
    pub fn kernel_socket(&self) -> bool {
        // SAFETY: as in `is_tcp`; bindgen's `_raw` accessor reads the bitfield through the
        // pointer, without making a reference to the whole `struct sock`.
        unsafe { bindings::sock::sk_kern_sock_raw(self.sock()) != 0 }
    }

    fn family(&self) -> u32 {
        // SAFETY: as in `is_tcp`.
        u32::from(unsafe { addr_of!((*self.sock()).__sk_common.skc_family).read_volatile() })
    }

    /// The local address and port as the socket has them at the change (a connecting
    /// socket's port is chosen just after it enters `TCP_SYN_SENT`, so that change shows
    /// port 0), or `None` for a family other than IPv4 and IPv6.
    pub fn local(&self) -> Option<SocketAddr> {
        let sk = self.sock();
        // SAFETY: as in `is_tcp`; `sk` is an inet socket (type invariant), whose
        // `struct sock` is the first member of `struct inet_sock`.
        let port =
            unsafe { addr_of!((*sk.cast::<bindings::inet_sock>()).inet_sport).read_volatile() };
        // SAFETY: as in `is_tcp`: the fields' addresses, within `*sk`.
        let (a4, a6) = unsafe {
            let common = addr_of!((*sk).__sk_common);
            (
                addr_of!((*common).__bindgen_anon_1.__bindgen_anon_1.skc_rcv_saddr),
                addr_of!((*common).skc_v6_rcv_saddr),
            )
        };
        // SAFETY: `a4` and `a6` are the socket's local address fields.
        unsafe { self.address(a4, a6, port) }
    }

    /// The remote address and port (all zero before a connection has a peer), or `None`
    /// for a family other than IPv4 and IPv6.
    pub fn remote(&self) -> Option<SocketAddr> {
        let sk = self.sock();
        // SAFETY: as in `is_tcp`: the fields' addresses, within `*sk`.
        let (a4, a6, port) = unsafe {
            let common = addr_of!((*sk).__sk_common);
            (
                addr_of!((*common).__bindgen_anon_1.__bindgen_anon_1.skc_daddr),
                addr_of!((*common).skc_v6_daddr),
                addr_of!((*common).__bindgen_anon_3.__bindgen_anon_1.skc_dport).read_volatile(),
            )
        };
        // SAFETY: `a4` and `a6` are the socket's remote address fields.
        unsafe { self.address(a4, a6, port) }
    }

    /// The address of the socket's family, read from `a4` or `a6`, with `port` (network
    /// order).
    ///
    /// # Safety
    ///
    /// `a4` and `a6` point at the socket's fields of those types (valid for the call).
    unsafe fn address(
        &self,
        a4: *const bindings::__be32,
        a6: *const bindings::in6_addr,
        port: bindings::__be16,
    ) -> Option<SocketAddr> {
        let port = u16::from_be(port);
        match self.family() {
            // SAFETY: `a4` points at the socket's field (the caller's promise), valid for
            // the call (type invariant); read once, as `READ_ONCE`.
            bindings::AF_INET => Some(v4(unsafe { a4.read_volatile() }, port)),
            // SAFETY: as above, for `a6`.
            bindings::AF_INET6 => Some(v6(unsafe { a6.read_volatile() }, port)),
            _ => None,
        }
    }
}

fn v4(addr: bindings::__be32, port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(u32::from_be(addr)), port))
}

fn v6(addr: bindings::in6_addr, port: u16) -> SocketAddr {
    // SAFETY: every bit pattern of the union's 16 bytes is a valid `[u8; 16]`.
    let octets = unsafe { addr.in6_u.u6_addr8 };
    SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(octets), port, 0, 0))
}

/// A [pernet subsystem](pernet::Subsystem) told of every state change of the TCP (and
/// DCCP, SCTP, MPTCP) sockets in each namespace, through its [`Watch`] feature.
pub trait Watcher: Subsystem {
    /// Called for each change of a socket in the namespace whose state `data` is, where
    /// the change happens: in a system call, or in a softirq (a segment received, a
    /// timer), with preemption disabled and the socket locked. It must not sleep, and a
    /// lock it shares with process context must keep interrupts off while held
    /// ([`SpinLockIrq`](crate::sync::spinlock_irq::SpinLockIrq)).
    fn changed(data: &Self::Data, change: &Change<'_>);
}

/// The [pernet feature](pernet::Feature) that registers `S`'s probe in a namespace.
pub struct Watch<S>(PhantomData<S>);

/// What a namespace's probe gets as its data pointer.
struct ProbeData<S: Subsystem> {
    net: *mut bindings::net,
    data: *const S::Data,
}

/// A namespace's registered probe.
///
/// # Invariants
///
/// `probe` is registered on `tp` with `probe_callback::<S>` until `unregister`, which
/// waits for the calls in flight; it is freed when the value is dropped, after that.
pub struct NetWatch<S: Watcher> {
    tp: NonNull<bindings::tracepoint>,
    probe: KBox<ProbeData<S>>,
}

// SAFETY: the pointers are used by the probe while it is registered and by `unregister`;
// `S::Data` is `Sync` (a `Subsystem` requirement).
unsafe impl<S: Watcher> Send for NetWatch<S> {}
// SAFETY: as above.
unsafe impl<S: Watcher> Sync for NetWatch<S> {}

/// The kernel's tracepoint named `name`, if it has one. Core tracepoints are never freed.
fn find_tracepoint(name: &CStr) -> Option<NonNull<bindings::tracepoint>> {
    struct Search<'a> {
        name: &'a CStr,
        found: Option<NonNull<bindings::tracepoint>>,
    }

    /// # Safety
    ///
    /// `tp` is one of the kernel's tracepoints, `search` our `Search`.
    unsafe extern "C" fn visit(tp: *mut bindings::tracepoint, search: *mut c_void) {
        // SAFETY: the callback's promise; a tracepoint's name is a static C string.
        unsafe {
            let search = &mut *search.cast::<Search<'_>>();
            if CStr::from_char_ptr((*tp).name).as_bytes() == search.name.as_bytes() {
                search.found = NonNull::new(tp);
            }
        }
    }

    let mut search = Search { name, found: None };
    // SAFETY: `visit` matches the callback type; `search` outlives the walk, which calls
    // it synchronously.
    unsafe {
        bindings::for_each_kernel_tracepoint(Some(visit), core::ptr::from_mut(&mut search).cast())
    };
    search.found
}

/// The probe: `void probe(void *data, const struct sock *sk, int oldstate, int newstate)`.
///
/// # Safety
///
/// Called by the tracepoint with the `ProbeData<S>` registered with it and a socket the
/// caller owns for the call.
unsafe extern "C" fn probe_callback<S: Watcher>(
    probe: *mut c_void,
    sk: *const bindings::sock,
    oldstate: c_int,
    newstate: c_int,
) {
    // SAFETY: the probe's data stays alive until `unregister` has waited for every call in
    // flight (type invariant of `NetWatch`); `sk` is valid for the call.
    let probe = unsafe { &*probe.cast::<ProbeData<S>>() };
    // SAFETY: `sk` is valid for the call.
    if unsafe { bindings::sock_net(sk) } != probe.net {
        return;
    }
    let Some(sk) = NonNull::new(sk.cast_mut()) else {
        return;
    };
    // INVARIANT: the tracepoint's callers hand an inet socket they own for the call.
    let change = Change {
        sk,
        from: State(oldstate as u8),
        to: State(newstate as u8),
        _sk: PhantomData,
    };
    // SAFETY: `data` is the namespace's state, valid while the probe is registered (the
    // `Feature` contract) and shared (`Sync`).
    let data = unsafe { &*probe.data };
    // Counted as a read-side section: tracepoints call probes with preemption off (an RCU
    // section, which `tracepoint_synchronize_unregister` waits for), invisible on a kernel
    // without preemption counting.
    crate::sync::rcu::as_reader(|| S::changed(data, &change));
}

// SAFETY: `unregister` removes the probe and waits for the calls in flight
// (`tracepoint_synchronize_unregister`) before it returns; after that nothing borrows the
// state.
unsafe impl<S: Watcher> pernet::Feature<S> for Watch<S> {
    type State = NetWatch<S>;

    unsafe fn register(net: *mut bindings::net, data: *const S::Data) -> Result<NetWatch<S>> {
        let tp = find_tracepoint(TRACEPOINT).ok_or(ENOENT)?;
        let probe = KBox::new(ProbeData::<S> { net, data }, GFP_KERNEL)?;
        let callback: unsafe extern "C" fn(*mut c_void, *const bindings::sock, c_int, c_int) =
            probe_callback::<S>;
        // SAFETY: `tp` is a core tracepoint whose probes take (data, sk, oldstate,
        // newstate), as `probe_callback` does; `probe` stays in place until `unregister`.
        to_result(unsafe {
            bindings::tracepoint_probe_register(
                tp.as_ptr(),
                callback as *mut c_void,
                core::ptr::from_ref(&*probe).cast_mut().cast(),
            )
        })?;
        // INVARIANT: registered just now.
        Ok(NetWatch { tp, probe })
    }

    unsafe fn unregister(_net: *mut bindings::net, state: &mut NetWatch<S>) {
        let callback: unsafe extern "C" fn(*mut c_void, *const bindings::sock, c_int, c_int) =
            probe_callback::<S>;
        // SAFETY: registered by `register` with these arguments (type invariant). Removing
        // fails only for a probe that is not registered (it falls back to a stub when
        // memory is short), so the result says nothing we could act on.
        unsafe {
            bindings::tracepoint_probe_unregister(
                state.tp.as_ptr(),
                callback as *mut c_void,
                core::ptr::from_ref(&*state.probe).cast_mut().cast(),
            )
        };
        // SAFETY: no precondition; waits until no CPU can still be in the probe (an RCU
        // and an SRCU grace period: tracepoints call probes under one or the other).
        unsafe { bindings::tracepoint_synchronize_unregister() };
    }
}
