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
//! A kernel socket does not hold its namespace (`sk_net_refcnt` is 0), so C code that
//! makes one must release it before the namespace goes. A [`Socket`] holds a reference on
//! its namespace instead, as a user-space socket does: the namespace stays until every
//! socket in it is released (after `ip netns del` too).

use super::ns::{Namespace, NetRef};
use crate::{bindings, error::to_result, prelude::*, sync::sleep::Sleepable};
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use core::ptr::NonNull;

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

/// A kernel socket, released when dropped.
///
/// Corresponds to the kernel's `struct socket`
/// ([`include/linux/net.h`](srctree/include/linux/net.h)).
///
/// # Invariants
///
/// `sock` is a socket made by `sock_create_kern` (or `kernel_accept`) in `net`, owned by
/// this value; `net` is referenced, so the namespace outlives the socket.
pub struct Socket {
    sock: NonNull<bindings::socket>,
    net: NetRef,
}

// SAFETY: a socket may be used and released from any task; the protocol serialises what
// needs it with the socket's own lock (`lock_sock`).
unsafe impl Send for Socket {}
// SAFETY: the `kernel_*` calls may run concurrently on one socket from several tasks (a
// thread blocked in `recv` while another sends or shuts it down), as the same calls on a
// user-space socket from two threads may.
unsafe impl Sync for Socket {}

impl Socket {
    /// A new socket in namespace `net`, IPv4 or IPv6 as `v6` says (`sock_create_kern`).
    /// An IPv6 socket also takes IPv4 (as `::ffff:a.b.c.d`) unless the namespace's
    /// `net.ipv6.bindv6only` says otherwise. `ENXIO` if the namespace is being
    /// dismantled.
    pub fn new(net: &Namespace, v6: bool, proto: Protocol, ctx: &Sleepable) -> Result<Socket> {
        ctx.might_sleep();
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
        // INVARIANT: a new socket in `net`, ours; `net` is referenced.
        Ok(Socket {
            // SAFETY: `sock_create_kern` succeeded, so `sock` is a valid socket.
            sock: unsafe { NonNull::new_unchecked(sock) },
            net,
        })
    }

    fn raw(&self) -> *mut bindings::socket {
        self.sock.as_ptr()
    }

    /// The namespace the socket lives in.
    pub fn namespace(&self) -> &Namespace {
        &self.net
    }

    /// Lets a listener bind a port that connections closed a moment ago still hold in
    /// `TIME_WAIT` (`SO_REUSEADDR`, `sock_set_reuseaddr`).
    pub fn set_reuseaddr(&self, ctx: &Sleepable) {
        ctx.might_sleep();
        // SAFETY: the socket is valid (type invariant); the call takes the socket lock.
        unsafe { bindings::sock_set_reuseaddr((*self.raw()).sk) };
    }

    /// Lets several sockets bind the same address and port, each with this option set
    /// by the same user; the kernel spreads incoming connections (TCP) or datagrams (UDP)
    /// over them by a hash of the peer's address and port (`SO_REUSEPORT`,
    /// `sock_set_reuseport`; the groups live in net/core/sock_reuseport.c).
    pub fn set_reuseport(&self, ctx: &Sleepable) {
        ctx.might_sleep();
        // SAFETY: the socket is valid (type invariant); the call takes the socket lock.
        unsafe { bindings::sock_set_reuseport((*self.raw()).sk) };
    }

    /// Binds the socket to a local address and port (`kernel_bind`); port 0 picks one.
    pub fn bind(&self, addr: SocketAddr, ctx: &Sleepable) -> Result {
        ctx.might_sleep();
        let (mut raw, len) = RawAddr::new(&addr);
        // SAFETY: the socket is valid; `raw` holds `len` bytes of address for the call.
        to_result(unsafe { bindings::kernel_bind(self.raw(), raw.as_ptr(), len) })
    }

    /// Makes a TCP socket listen (`kernel_listen`) with room for `backlog` connections
    /// not yet accepted.
    pub fn listen(&self, backlog: i32, ctx: &Sleepable) -> Result {
        ctx.might_sleep();
        // SAFETY: the socket is valid.
        to_result(unsafe { bindings::kernel_listen(self.raw(), backlog) })
    }

    /// Waits for a connection and returns it (`kernel_accept`). Returns an error when
    /// the listener is shut down ([`Shutdown::Both`]) from another task.
    pub fn accept(&self, ctx: &Sleepable) -> Result<Socket> {
        ctx.might_sleep();
        let mut new = core::ptr::null_mut();
        // SAFETY: the socket is valid; `new` receives the accepted socket.
        to_result(unsafe { bindings::kernel_accept(self.raw(), &mut new, 0) })?;
        // INVARIANT: the accepted socket is in the listener's namespace, and ours.
        Ok(Socket {
            // SAFETY: `kernel_accept` succeeded.
            sock: unsafe { NonNull::new_unchecked(new) },
            net: self.net.clone(),
        })
    }

    /// Connects to `addr` (`kernel_connect`): for TCP the three-way handshake, waited
    /// for; for UDP the default destination.
    pub fn connect(&self, addr: SocketAddr, ctx: &Sleepable) -> Result {
        ctx.might_sleep();
        let (mut raw, len) = RawAddr::new(&addr);
        // SAFETY: the socket is valid; `raw` holds `len` bytes of address.
        to_result(unsafe { bindings::kernel_connect(self.raw(), raw.as_ptr(), len, 0) })
    }

    /// Sends `data` (`kernel_sendmsg`), to `to` if given (UDP), else to the peer; returns
    /// how many bytes went (TCP may take fewer than given).
    pub fn send(&self, data: &[u8], to: Option<SocketAddr>, ctx: &Sleepable) -> Result<usize> {
        ctx.might_sleep();
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
        // SAFETY: the socket is valid; `vec` describes `data`, which the call only reads
        // (`kernel_sendmsg` sets up a source iterator); `msg` and its name live across it.
        let n = unsafe { bindings::kernel_sendmsg(self.raw(), &mut msg, &mut vec, 1, data.len()) };
        to_result(n)?;
        Ok(n as usize)
    }

    /// Receives into `buf` (`kernel_recvmsg`), waiting for data; returns how many bytes
    /// came and from where (for UDP; a connected socket's peer otherwise, if the protocol
    /// says). 0 bytes from TCP means the peer closed its side.
    pub fn recv(&self, buf: &mut [u8], ctx: &Sleepable) -> Result<(usize, Option<SocketAddr>)> {
        ctx.might_sleep();
        let mut from = RawAddr::empty();
        // SAFETY: all-zero is a valid empty `msghdr`.
        let mut msg: bindings::msghdr = unsafe { core::mem::zeroed() };
        msg.msg_name = from.as_ptr().cast();
        msg.msg_namelen = core::mem::size_of::<RawAddr>() as i32;
        let mut vec = bindings::kvec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: the socket is valid; `vec` describes `buf`, which the call writes at most
        // `buf.len()` bytes of; `from` has room for either address family.
        let n =
            unsafe { bindings::kernel_recvmsg(self.raw(), &mut msg, &mut vec, 1, buf.len(), 0) };
        to_result(n)?;
        let from = if msg.msg_namelen > 0 {
            from.get()
        } else {
            None
        };
        Ok((n as usize, from))
    }

    /// Closes one or both directions (`kernel_sock_shutdown`); wakes a task blocked in
    /// `accept` or `recv` on this socket.
    pub fn shutdown(&self, how: Shutdown, ctx: &Sleepable) -> Result {
        ctx.might_sleep();
        let how = match how {
            Shutdown::Read => bindings::sock_shutdown_cmd_SHUT_RD,
            Shutdown::Write => bindings::sock_shutdown_cmd_SHUT_WR,
            Shutdown::Both => bindings::sock_shutdown_cmd_SHUT_RDWR,
        };
        // SAFETY: the socket is valid.
        to_result(unsafe { bindings::kernel_sock_shutdown(self.raw(), how) })
    }

    /// The local address (`kernel_getsockname`; IPv6 takes the socket lock).
    pub fn local_addr(&self, ctx: &Sleepable) -> Result<SocketAddr> {
        ctx.might_sleep();
        let mut raw = RawAddr::empty();
        // SAFETY: the socket is valid; `raw` has room for either family.
        to_result(unsafe { bindings::kernel_getsockname(self.raw(), raw.as_ptr()) })?;
        raw.get().ok_or_else(not_inet)
    }

    /// The peer's address, for a connected socket (`kernel_getpeername`).
    pub fn peer_addr(&self, ctx: &Sleepable) -> Result<SocketAddr> {
        ctx.might_sleep();
        let mut raw = RawAddr::empty();
        // SAFETY: as in `local_addr`.
        to_result(unsafe { bindings::kernel_getpeername(self.raw(), raw.as_ptr()) })?;
        raw.get().ok_or_else(not_inet)
    }

    /// The TCP state (`sk->sk_state`: `TCP_ESTABLISHED`, ...), as the kernel names it.
    pub fn state(&self) -> &'static str {
        // SAFETY: the socket and its `sock` are valid; `sk_state` is read as `READ_ONCE`
        // (the protocol changes it under the socket lock, readers such as `ss` do not
        // take it).
        let s = unsafe {
            core::ptr::addr_of!((*(*self.raw()).sk).__sk_common.skc_state).read_volatile()
        };
        state_name(s)
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
    /// Releases the socket (`sock_release`: TCP sends its FIN, or a reset if unread data
    /// is left), then the namespace reference. Might sleep: drop a socket in process
    /// context.
    fn drop(&mut self) {
        // SAFETY: a check, no precondition.
        unsafe { bindings::might_sleep() };
        // SAFETY: the socket is ours (type invariant) and released once.
        unsafe { bindings::sock_release(self.raw()) };
    }
}
