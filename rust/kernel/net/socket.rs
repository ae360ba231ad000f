// SPDX-License-Identifier: GPL-2.0

//! Kernel sockets: a `struct socket` owned by Rust.
//!
//! C header: [`include/linux/net.h`](srctree/include/linux/net.h) (`sock_create_kern`,
//! `kernel_bind`, `kernel_listen`, `kernel_accept`, `kernel_connect`, `kernel_sendmsg`,
//! `kernel_recvmsg`, `kernel_sock_shutdown`, `sock_release`); core in `net/socket.c`.
//!
//! The kernel has sockets of its own (NFS, SMB, iSCSI and tunnels use them): the same
//! `struct socket` and `struct sock` a user-space program gets from `socket(2)`, made with
//! `sock_create_kern` and driven with the `kernel_*` calls, which take the protocol's path
//! below the file layer (`inet_stream_ops`, `tcp_sendmsg`, `udp_recvmsg`, ...). A
//! user-space `send(2)` enters through `__sys_sendto` → `sock_sendmsg`; a kernel socket
//! enters at `sock_sendmsg` with a kernel buffer (`kvec`): from there on the path is one.
//!
//! Every call that can wait (for a peer, for data, for the socket's lock) takes a
//! [`Sleepable`]: proof that the caller runs in process context.
//!
//! A kernel socket does not hold its namespace (`sk_net_refcnt` is 0): C code that makes
//! one must release it before the namespace's protocols are torn down, and a server
//! inside a namespace must not keep it alive, or `ip netns del` could never dismantle it.
//! A [`Socket`] is the same: it holds no reference, so a namespace with servers in it
//! goes when its last user does. What makes that safe is a registry per namespace: every
//! socket is in its namespace's registry, and when the namespace goes (pernet `pre_exit`,
//! before the inet protocols' own teardown) each socket still open is shut down, the calls
//! in flight on it are waited for, and it is released with an abort (`SO_LINGER` 0: a
//! reset, nothing left behind). From then on every call on it fails with `ESHUTDOWN`.
//! A socket dropped while its namespace lives is closed gracefully, and first made to hold
//! its namespace (`sk_net_refcnt_upgrade`, as net/rds/tcp.c does), so a TCP connection
//! that still has data or its FIN to send keeps the namespace, and its timers, until TCP
//! is done with it.

use super::ns::Namespace;
use crate::{
    bindings,
    error::to_result,
    new_mutex,
    prelude::*,
    sync::{
        arc_list,
        sleep::{self, Sleepable},
        Arc, Mutex,
    },
    types::Opaque,
    workqueue,
};
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The transport protocol of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// TCP (`SOCK_STREAM`, `IPPROTO_TCP`): a byte stream over a connection.
    Tcp,
    /// UDP (`SOCK_DGRAM`, `IPPROTO_UDP`): datagrams.
    Udp,
}

/// Which way [`Socket::shutdown`] closes (`enum sock_shutdown_cmd`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// No more receiving (`SHUT_RD`).
    Read,
    /// No more sending (`SHUT_WR`): TCP sends its FIN.
    Write,
    /// Both (`SHUT_RDWR`); a thread blocked in `accept` or `recv` returns.
    Both,
}

/// `ESHUTDOWN`: what every call on a [`Socket`] returns once its namespace has gone and
/// took the socket down with it.
pub fn eshutdown() -> Error {
    Error::from_errno(-(bindings::ESHUTDOWN as i32))
}

/// An address of another family than IPv4 and IPv6 (`EAFNOSUPPORT`).
fn not_inet() -> Error {
    Error::from_errno(-(bindings::EAFNOSUPPORT as i32))
}

/// An address as the socket calls take it: `struct sockaddr_in` or `sockaddr_in6`.
#[repr(C)]
union RawAddr {
    v4: bindings::sockaddr_in,
    v6: bindings::sockaddr_in6,
}

impl RawAddr {
    fn new(addr: &SocketAddr) -> (RawAddr, i32) {
        match addr {
            SocketAddr::V4(a) => {
                let v4 = bindings::sockaddr_in {
                    sin_family: bindings::AF_INET as u16,
                    sin_port: a.port().to_be(),
                    sin_addr: bindings::in_addr {
                        s_addr: u32::from_ne_bytes(a.ip().octets()),
                    },
                    __pad: [0; 8],
                };
                (
                    RawAddr { v4 },
                    core::mem::size_of::<bindings::sockaddr_in>() as i32,
                )
            }
            SocketAddr::V6(a) => {
                // SAFETY: all-zero is a valid `sockaddr_in6` (integers and byte arrays).
                let mut v6: bindings::sockaddr_in6 = unsafe { core::mem::zeroed() };
                v6.sin6_family = bindings::AF_INET6 as u16;
                v6.sin6_port = a.port().to_be();
                v6.sin6_flowinfo = a.flowinfo().to_be();
                v6.sin6_addr.in6_u.u6_addr8 = a.ip().octets();
                v6.sin6_scope_id = a.scope_id();
                (
                    RawAddr { v6 },
                    core::mem::size_of::<bindings::sockaddr_in6>() as i32,
                )
            }
        }
    }

    fn empty() -> RawAddr {
        // SAFETY: all-zero is valid for both members.
        unsafe { core::mem::zeroed() }
    }

    /// The address the kernel wrote, if it is IPv4 or IPv6.
    fn get(&self) -> Option<SocketAddr> {
        // SAFETY: both members start with the family; every bit pattern is valid for them.
        unsafe {
            match u32::from(self.v4.sin_family) {
                bindings::AF_INET => {
                    let ip = Ipv4Addr::from(self.v4.sin_addr.s_addr.to_ne_bytes());
                    Some(SocketAddr::V4(SocketAddrV4::new(
                        ip,
                        u16::from_be(self.v4.sin_port),
                    )))
                }
                bindings::AF_INET6 => {
                    let ip = Ipv6Addr::from(self.v6.sin6_addr.in6_u.u6_addr8);
                    Some(SocketAddr::V6(SocketAddrV6::new(
                        ip,
                        u16::from_be(self.v6.sin6_port),
                        u32::from_be(self.v6.sin6_flowinfo),
                        self.v6.sin6_scope_id,
                    )))
                }
                _ => None,
            }
        }
    }

    fn as_ptr(&mut self) -> *mut bindings::sockaddr {
        core::ptr::from_mut(self).cast()
    }
}

/// A kernel socket, released when dropped, or when its namespace goes.
///
/// Corresponds to the kernel's `struct socket`
/// ([`include/linux/net.h`](srctree/include/linux/net.h)).
///
/// Every call works on the socket through `Shared::call`, which counts it in flight;
/// once the socket is revoked (its namespace went, see the module documentation) calls
/// fail with `ESHUTDOWN` and the `struct socket` is gone.
pub struct Socket {
    shared: Arc<Shared>,
}

/// What a socket's handle and its namespace's registry share.
///
/// # Invariants
///
/// `sock` is a socket made by `sock_create_kern` (or `kernel_accept`) in namespace `net`,
/// in that namespace's [`Registry`] until released; it is valid while `revoked` is false,
/// and for every call counted in `inflight` that began before `revoked` was set. It is
/// released (`sock_release`) once, under `released`, only after `revoked` is set and
/// `inflight` was seen at zero, so never under a call.
#[pin_data]
struct Shared {
    sock: NonNull<bindings::socket>,
    net: *mut bindings::net,
    inflight: AtomicUsize,
    revoked: AtomicBool,
    #[pin]
    released: Mutex<bool>,
}

// SAFETY: the socket may be used and released from any task; the protocol serialises what
// needs it with the socket's own lock (`lock_sock`); release is serialised by `released`.
unsafe impl Send for Shared {}
// SAFETY: the `kernel_*` calls may run concurrently on one socket from several tasks (a
// thread blocked in `recv` while another sends or shuts it down), as the same calls on a
// user-space socket from two threads may.
unsafe impl Sync for Shared {}

/// How a socket is released.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Close {
    /// The namespace lives: made to hold it, then closed as `close(2)` would (TCP sends
    /// its FIN, or a reset if unread data is left; an orphan finishes on its own).
    Graceful,
    /// The namespace goes: aborted (`SO_LINGER` 0), so TCP leaves nothing behind.
    Abort,
}

impl Shared {
    /// Runs `f` on the socket, counted in flight; `ESHUTDOWN` if it was revoked.
    fn call<R>(&self, f: impl FnOnce(*mut bindings::socket) -> Result<R>) -> Result<R> {
        // Announce the call, then look at `revoked`; `revoke` sets `revoked`, then looks at
        // `inflight`. Both sequentially consistent: one of the two sees the other.
        self.inflight.fetch_add(1, Ordering::SeqCst);
        let ret = if self.revoked.load(Ordering::SeqCst) {
            Err(eshutdown())
        } else {
            f(self.sock.as_ptr())
        };
        self.inflight.fetch_sub(1, Ordering::SeqCst);
        ret
    }

    /// Ends every call on the socket and releases it, once; `Err` if it had been released
    /// already. Process context.
    fn revoke(&self, how: Close) -> core::result::Result<(), ()> {
        self.revoked.store(true, Ordering::SeqCst);
        loop {
            {
                let mut released = self.released.lock();
                if *released {
                    return Err(());
                }
                if self.inflight.load(Ordering::SeqCst) == 0 {
                    *released = true;
                    // SAFETY: `revoked` is set and no call is in flight: nothing else uses
                    // `sock` (type invariant); released once (`released` was false).
                    unsafe { release(self.sock.as_ptr(), self.net, how) };
                    return Ok(());
                }
                // A call that began before `revoked` may be blocked (in `accept`,
                // `recvmsg`, `connect`): shutting the socket down wakes it; repeated, in
                // case the call entered the protocol after the previous shutdown.
                // SAFETY: not released (`released` is false and held), so valid.
                unsafe {
                    bindings::kernel_sock_shutdown(
                        self.sock.as_ptr(),
                        bindings::sock_shutdown_cmd_SHUT_RDWR,
                    )
                };
            }
            // SAFETY: no precondition; process context, no lock held.
            unsafe { bindings::msleep(10) };
        }
    }
}

/// Releases `sock`, which holds no namespace reference (`sk_net_refcnt` 0).
///
/// # Safety
///
/// `sock` is a socket of namespace `net` that nothing else uses, released once; `net`
/// has not reached pernet `exit` (its registry's `pre_exit` has not finished).
unsafe fn release(sock: *mut bindings::socket, net: *mut bindings::net, how: Close) {
    // SAFETY: the caller's promise: `sock` and its `sk` are valid; `net` is valid memory
    // (the socket holds it passively, `net_passive_inc` in `sk_alloc`).
    unsafe {
        let sk = (*sock).sk;
        // A graceful close needs the namespace to stay until TCP is done with an orphan:
        // its timers, its statistics and its hash tables live in the namespace (in-tree:
        // net/rds/tcp.c `rds_tcp_tune`, net/smc/af_smc.c). `maybe_get_net` fails once the
        // namespace is being dismantled; then abort instead.
        let held = how == Close::Graceful && !bindings::maybe_get_net(net).is_null();
        if held {
            bindings::sk_net_refcnt_upgrade(sk);
            bindings::put_net(net);
        } else {
            bindings::sock_no_linger(sk);
        }
        bindings::sock_release(sock);
    }
}

/// A namespace's open sockets (pernet storage of the registry's operations).
#[pin_data]
struct Registry {
    #[pin]
    open: Mutex<Open>,
}

/// The sockets of a namespace that have not been released by their handle.
struct Open {
    /// Set by `pre_exit`: no socket may join any more.
    closed: bool,
    socks: KVec<Arc<Shared>>,
}

/// The registry's pernet operations, registered once at boot (rust/helpers/netdive_init.c, after the
/// inet protocols, so that in a namespace that goes its `pre_exit` runs before theirs).
struct RegistryOps(Opaque<bindings::pernet_operations>);

// SAFETY: written by the core at registration (its `id`), under `pernet_ops_rwsem`.
unsafe impl Sync for RegistryOps {}

/// The registry's generic-storage id, written by the core at registration.
struct RegistryId(core::cell::UnsafeCell<u32>);

// SAFETY: written once by the core under `pernet_ops_rwsem` (at boot), before any socket
// exists; read only after `REGISTERED` is set.
unsafe impl Sync for RegistryId {}

static REGISTRY_ID: RegistryId = RegistryId(core::cell::UnsafeCell::new(0));
static REGISTERED: AtomicBool = AtomicBool::new(false);
static REGISTRY_OPS: RegistryOps = RegistryOps(Opaque::new(bindings::pernet_operations {
    init: Some(registry_init),
    pre_exit: Some(registry_pre_exit),
    exit: Some(registry_exit),
    id: REGISTRY_ID.0.get(),
    size: core::mem::size_of::<Registry>(),
    // SAFETY: all-zero is a valid `pernet_operations` (empty list head, no callbacks).
    ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
}));

/// Registers the socket registry's pernet operations; called once at boot by the
/// `late_initcall` in rust/helpers/netdive_init.c.
#[no_mangle]
pub extern "C" fn rust_netdive_socket_registry_init() -> core::ffi::c_int {
    // SAFETY: the operations are static, their id slot too; registered once (an initcall).
    let ret = unsafe { bindings::register_pernet_subsys(REGISTRY_OPS.0.get()) };
    if ret == 0 {
        REGISTERED.store(true, Ordering::Release);
    }
    ret
}

/// The registry of namespace `net`.
///
/// # Safety
///
/// `net` is alive, or between the registry's `init` and `exit` in it.
unsafe fn registry(net: *mut bindings::net) -> Result<&'static Registry> {
    if !REGISTERED.load(Ordering::Acquire) {
        return Err(ENODEV);
    }
    // SAFETY: registered, so `init` ran in every namespace alive (and `net` is one, or
    // has not reached `exit`); the storage stays until `exit`, which the caller's promise
    // puts after every use of the returned reference.
    unsafe { Ok(&*bindings::net_generic(net, *REGISTRY_ID.0.get()).cast::<Registry>()) }
}

/// # Safety
///
/// Called by the core as pernet `init`.
unsafe extern "C" fn registry_init(net: *mut bindings::net) -> core::ffi::c_int {
    crate::error::from_result(|| {
        let init = pin_init!(Registry {
            open <- new_mutex!(Open { closed: false, socks: KVec::new() }),
        });
        // SAFETY: the core allocated zeroed storage of our size for our id in `net`; it
        // does not move until `exit` drops it.
        unsafe {
            init.__pinned_init(bindings::net_generic(net, *REGISTRY_ID.0.get()).cast::<Registry>())?
        };
        Ok(0)
    })
}

/// # Safety
///
/// Called by the core as pernet `pre_exit`: the namespace is going, its protocols are
/// still whole.
unsafe extern "C" fn registry_pre_exit(net: *mut bindings::net) {
    // SAFETY: between `init` and `exit`.
    let Ok(reg) = (unsafe { registry(net) }) else {
        return;
    };
    let socks = {
        let mut open = reg.open.lock();
        open.closed = true;
        core::mem::take(&mut open.socks)
    };
    for s in socks.iter() {
        // Released already by its handle, or now, aborted.
        let _ = s.revoke(Close::Abort);
    }
}

/// # Safety
///
/// Called by the core as pernet `exit`, after `pre_exit`.
unsafe extern "C" fn registry_exit(net: *mut bindings::net) {
    // SAFETY: initialised by `init`; nothing uses it after `pre_exit` closed it (a handle
    // whose socket `pre_exit` released does not look at the registry).
    unsafe {
        core::ptr::drop_in_place(
            bindings::net_generic(net, *REGISTRY_ID.0.get()).cast::<Registry>(),
        )
    };
}

impl Socket {
    /// Takes `sock`, a new socket of namespace `net`, into the namespace's registry.
    ///
    /// # Safety
    ///
    /// `sock` is a valid socket of `net`, owned by the caller and given up; the registry
    /// of `net` has not finished its `pre_exit` (the caller holds a reference on `net`, or
    /// runs inside a counted call on another socket of it, which that `pre_exit` waits
    /// for), so `exit` has not run.
    unsafe fn adopt(sock: *mut bindings::socket, net: *mut bindings::net) -> Result<Socket> {
        let join = || -> Result<Arc<Shared>> {
            // SAFETY: the caller's promise.
            let reg = unsafe { registry(net) }?;
            let shared = Arc::pin_init(
                pin_init!(Shared {
                    // SAFETY: the caller's promise: a valid socket.
                    sock: unsafe { NonNull::new_unchecked(sock) },
                    net,
                    inflight: AtomicUsize::new(0),
                    revoked: AtomicBool::new(false),
                    released <- new_mutex!(false),
                }),
                GFP_KERNEL,
            )?;
            let mut open = reg.open.lock();
            if open.closed {
                return Err(eshutdown());
            }
            open.socks.push(shared.clone(), GFP_KERNEL)?;
            Ok(shared)
        };
        let joined = join();
        match joined {
            // INVARIANT: in the registry of `net`, not revoked, not released.
            Ok(shared) => Ok(Socket { shared }),
            Err(e) => {
                // SAFETY: ours, never shared; `net`'s registry has not finished `pre_exit`
                // (the caller's promise), so its protocols are whole.
                unsafe { release(sock, net, Close::Abort) };
                Err(e)
            }
        }
    }

    /// A new socket in namespace `net`, IPv4 or IPv6 as `v6` says (`sock_create_kern`).
    /// An IPv6 socket also takes IPv4 (as `::ffff:a.b.c.d`) unless the namespace's
    /// `net.ipv6.bindv6only` says otherwise. `ENXIO` if the namespace is being
    /// dismantled.
    pub fn new(net: &Namespace, v6: bool, proto: Protocol, ctx: &Sleepable) -> Result<Socket> {
        ctx.may_block()?;
        // Held while the socket is made and joins the registry: the namespace cannot
        // start going meanwhile.
        let net = net.get().ok_or(ENXIO)?;
        let family = if v6 {
            bindings::AF_INET6
        } else {
            bindings::AF_INET
        };
        let (kind, protocol) = match proto {
            Protocol::Tcp => (bindings::sock_type_SOCK_STREAM, bindings::IPPROTO_TCP),
            Protocol::Udp => (bindings::sock_type_SOCK_DGRAM, bindings::IPPROTO_UDP),
        };
        let mut sock = core::ptr::null_mut();
        // SAFETY: `net` is alive and referenced; `sock` receives the new socket.
        to_result(unsafe {
            bindings::sock_create_kern(
                net.as_raw(),
                family as i32,
                kind as i32,
                protocol as i32,
                &mut sock,
            )
        })?;
        // SAFETY: `sock_create_kern` succeeded: a valid socket of `net`, ours; `net` is
        // referenced.
        unsafe { Socket::adopt(sock, net.as_raw()) }
    }

    /// Lets a listener bind a port that connections closed a moment ago still hold in
    /// `TIME_WAIT` (`SO_REUSEADDR`, `sock_set_reuseaddr`).
    pub fn set_reuseaddr(&self, ctx: &Sleepable) -> Result {
        ctx.may_block()?;
        self.shared.call(|sock| {
            // SAFETY: valid while the call is counted (type invariant of `Shared`); the
            // call takes the socket lock.
            unsafe { bindings::sock_set_reuseaddr((*sock).sk) };
            Ok(())
        })
    }

    /// Lets several sockets bind the same address and port, each with this option set
    /// by the same user; the kernel spreads incoming connections (TCP) or datagrams (UDP)
    /// over them by a hash of the peer's address and port (`SO_REUSEPORT`,
    /// `sock_set_reuseport`; the groups live in net/core/sock_reuseport.c).
    pub fn set_reuseport(&self, ctx: &Sleepable) -> Result {
        ctx.may_block()?;
        self.shared.call(|sock| {
            // SAFETY: as in `set_reuseaddr`.
            unsafe { bindings::sock_set_reuseport((*sock).sk) };
            Ok(())
        })
    }

    /// Binds the socket to a local address and port (`kernel_bind`); port 0 picks one.
    pub fn bind(&self, addr: SocketAddr, ctx: &Sleepable) -> Result {
        ctx.may_block()?;
        let (mut raw, len) = RawAddr::new(&addr);
        self.shared.call(|sock| {
            // SAFETY: the socket is valid for the call; `raw` holds `len` bytes of address.
            to_result(unsafe { bindings::kernel_bind(sock, raw.as_ptr(), len) })
        })
    }

    /// Makes a TCP socket listen (`kernel_listen`) with room for `backlog` connections
    /// not yet accepted.
    pub fn listen(&self, backlog: i32, ctx: &Sleepable) -> Result {
        ctx.may_block()?;
        self.shared.call(|sock| {
            // SAFETY: the socket is valid for the call.
            to_result(unsafe { bindings::kernel_listen(sock, backlog) })
        })
    }

    /// Waits for a connection and returns it (`kernel_accept`). Returns an error when
    /// the listener is shut down ([`Shutdown::Both`]) from another task, and
    /// `ESHUTDOWN` once its namespace has gone.
    pub fn accept(&self, ctx: &Sleepable) -> Result<Socket> {
        ctx.may_block()?;
        let net = self.shared.net;
        self.shared.call(|sock| {
            let mut new = core::ptr::null_mut();
            // SAFETY: the socket is valid for the call; `new` receives the accepted one.
            to_result(unsafe { bindings::kernel_accept(sock, &mut new, 0) })?;
            // SAFETY: `kernel_accept` succeeded: a socket of the listener's namespace,
            // ours; the namespace's registry cannot finish `pre_exit` while this call
            // on the listener is counted (it waits for the listener's calls).
            unsafe { Socket::adopt(new, net) }
        })
    }

    /// Connects to `addr` (`kernel_connect`): for TCP the three-way handshake, waited
    /// for; for UDP the default destination.
    pub fn connect(&self, addr: SocketAddr, ctx: &Sleepable) -> Result {
        ctx.may_block()?;
        let (mut raw, len) = RawAddr::new(&addr);
        self.shared.call(|sock| {
            // SAFETY: the socket is valid for the call; `raw` holds `len` bytes of address.
            to_result(unsafe { bindings::kernel_connect(sock, raw.as_ptr(), len, 0) })
        })
    }

    /// Sends `data` (`kernel_sendmsg`), to `to` if given (UDP), else to the peer; returns
    /// how many bytes went (TCP may take fewer than given).
    pub fn send(&self, data: &[u8], to: Option<SocketAddr>, ctx: &Sleepable) -> Result<usize> {
        ctx.may_block()?;
        let mut addr = to.map(|a| RawAddr::new(&a));
        // SAFETY: all-zero is a valid empty `msghdr` (no name, no control data).
        let mut msg: bindings::msghdr = unsafe { core::mem::zeroed() };
        msg.msg_flags = bindings::MSG_NOSIGNAL;
        if let Some((raw, len)) = addr.as_mut() {
            msg.msg_name = raw.as_ptr().cast();
            msg.msg_namelen = *len;
        }
        let mut vec = bindings::kvec {
            iov_base: data.as_ptr().cast_mut().cast(),
            iov_len: data.len(),
        };
        self.shared.call(|sock| {
            // SAFETY: the socket is valid for the call; `vec` describes `data`, which the
            // call only reads (`kernel_sendmsg` sets up a source iterator); `msg` and its
            // name live across it.
            let n = unsafe { bindings::kernel_sendmsg(sock, &mut msg, &mut vec, 1, data.len()) };
            to_result(n)?;
            Ok(n as usize)
        })
    }

    /// Receives into `buf` (`kernel_recvmsg`), waiting for data; returns how many bytes
    /// came and from where (for UDP; a connected socket's peer otherwise, if the protocol
    /// says). 0 bytes from TCP means the peer closed its side.
    pub fn recv(&self, buf: &mut [u8], ctx: &Sleepable) -> Result<(usize, Option<SocketAddr>)> {
        ctx.may_block()?;
        let mut from = RawAddr::empty();
        // SAFETY: all-zero is a valid empty `msghdr`.
        let mut msg: bindings::msghdr = unsafe { core::mem::zeroed() };
        msg.msg_name = from.as_ptr().cast();
        msg.msg_namelen = core::mem::size_of::<RawAddr>() as i32;
        let len = buf.len();
        let mut vec = bindings::kvec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: len,
        };
        let n = self.shared.call(|sock| {
            // SAFETY: the socket is valid for the call; `vec` describes `buf`, which the
            // call writes at most `len` bytes of; `from` has room for either family.
            let n = unsafe { bindings::kernel_recvmsg(sock, &mut msg, &mut vec, 1, len, 0) };
            to_result(n)?;
            Ok(n as usize)
        })?;
        let from = if msg.msg_namelen > 0 {
            from.get()
        } else {
            None
        };
        Ok((n, from))
    }

    /// Closes one or both directions (`kernel_sock_shutdown`); wakes a task blocked in
    /// `accept` or `recv` on this socket.
    pub fn shutdown(&self, how: Shutdown, ctx: &Sleepable) -> Result {
        ctx.may_block()?;
        let how = match how {
            Shutdown::Read => bindings::sock_shutdown_cmd_SHUT_RD,
            Shutdown::Write => bindings::sock_shutdown_cmd_SHUT_WR,
            Shutdown::Both => bindings::sock_shutdown_cmd_SHUT_RDWR,
        };
        self.shared.call(|sock| {
            // SAFETY: the socket is valid for the call.
            to_result(unsafe { bindings::kernel_sock_shutdown(sock, how) })
        })
    }

    /// The local address (`kernel_getsockname`; IPv6 takes the socket lock).
    pub fn local_addr(&self, ctx: &Sleepable) -> Result<SocketAddr> {
        ctx.may_block()?;
        let mut raw = RawAddr::empty();
        self.shared.call(|sock| {
            // SAFETY: the socket is valid for the call; `raw` has room for either family.
            to_result(unsafe { bindings::kernel_getsockname(sock, raw.as_ptr()) })
        })?;
        raw.get().ok_or_else(not_inet)
    }

    /// The peer's address, for a connected socket (`kernel_getpeername`).
    pub fn peer_addr(&self, ctx: &Sleepable) -> Result<SocketAddr> {
        ctx.may_block()?;
        let mut raw = RawAddr::empty();
        self.shared.call(|sock| {
            // SAFETY: as in `local_addr`.
            to_result(unsafe { bindings::kernel_getpeername(sock, raw.as_ptr()) })
        })?;
        raw.get().ok_or_else(not_inet)
    }

    /// The TCP state (`sk->sk_state`: `TCP_ESTABLISHED`, ...), as the kernel names it;
    /// `TCP_CLOSE` once the socket was revoked.
    pub fn state(&self) -> &'static str {
        let s = self.shared.call(|sock| {
            // SAFETY: the socket and its `sock` are valid for the call; `sk_state` is read
            // as `READ_ONCE` (the protocol changes it under the socket lock, readers such
            // as `ss` do not take it).
            Ok(unsafe { core::ptr::addr_of!((*(*sock).sk).__sk_common.skc_state).read_volatile() })
        });
        state_name(s.unwrap_or(bindings::TCP_CLOSE as u8))
    }
}

/// The kernel's name of a TCP state (`include/net/tcp_states.h`).
pub fn state_name(state: u8) -> &'static str {
    match u32::from(state) {
        bindings::TCP_ESTABLISHED => "TCP_ESTABLISHED",
        bindings::TCP_SYN_SENT => "TCP_SYN_SENT",
        bindings::TCP_SYN_RECV => "TCP_SYN_RECV",
        bindings::TCP_FIN_WAIT1 => "TCP_FIN_WAIT1",
        bindings::TCP_FIN_WAIT2 => "TCP_FIN_WAIT2",
        bindings::TCP_TIME_WAIT => "TCP_TIME_WAIT",
        bindings::TCP_CLOSE => "TCP_CLOSE",
        bindings::TCP_CLOSE_WAIT => "TCP_CLOSE_WAIT",
        bindings::TCP_LAST_ACK => "TCP_LAST_ACK",
        bindings::TCP_LISTEN => "TCP_LISTEN",
        bindings::TCP_CLOSING => "TCP_CLOSING",
        bindings::TCP_NEW_SYN_RECV => "TCP_NEW_SYN_RECV",
        _ => "?",
    }
}

impl Drop for Socket {
    /// Releases the socket, unless its namespace's teardown did: a graceful close (TCP
    /// sends its FIN, or a reset if unread data is left) with the socket now holding its
    /// namespace, or an abort if the namespace is being dismantled. This sleeps; where it
    /// must not ([`Sleepable::may_block`]: inside an RCU read-side section, atomic
    /// context), a kworker closes the socket instead, soon after.
    fn drop(&mut self) {
        if !sleep::may_block_here() {
            let shared = self.shared.clone();
            if workqueue::system_unbound()
                .try_spawn(GFP_ATOMIC, move || close(&shared))
                .is_ok()
            {
                return;
            }
            // No memory for the work item: the socket stays open, in its namespace's
            // registry, which releases it when the namespace goes.
            crate::pr_warn!("socket: no memory to defer a close: left to the namespace\n");
            return;
        }
        close(&self.shared);
    }
}

/// Releases a socket whose last handle is gone, unless its namespace's teardown did, and
/// takes it out of the registry. Process context.
fn close(shared: &Arc<Shared>) {
    // SAFETY: a check, no precondition.
    unsafe { bindings::might_sleep() };
    // Held across the release and the removal from the registry, so the registry's
    // `pre_exit` (which takes this lock for each socket) cannot finish, nor `exit` free
    // the registry, in between.
    let mut released = shared.released.lock();
    if *released {
        return;
    }
    *released = true;
    shared.revoked.store(true, Ordering::SeqCst);
    // No call is in flight: the only handle is gone (calls borrow it).
    // SAFETY: not released (`released` was false), so the registry's `pre_exit` has not
    // handled it and the namespace has not reached `exit`; nothing else uses it.
    unsafe { release(shared.sock.as_ptr(), shared.net, Close::Graceful) };
    // SAFETY: as above: the registry is alive.
    if let Ok(reg) = unsafe { registry(shared.net) } {
        let mut open = reg.open.lock();
        let gone = arc_list::remove(&mut open.socks, shared);
        drop(open);
        drop(gone);
    }
}
