// SPDX-License-Identifier: GPL-2.0

//! Exercise 4, transport and sockets: a UDP echo server in the kernel (the reference
//! solution).
//!
//! `echo 'start 7007' > /proc/net/execho` opens a UDP socket in the writer's namespace,
//! bound to port 7007 on every address (IPv4 and IPv6), and starts a kernel thread that
//! sends every datagram back to its sender; `cat /proc/net/execho` shows `port 7007
//! datagrams N bytes M`; `echo stop` closes it. It is what a user-space server does with
//! `socket`, `bind`, `recvfrom` and `sendto`, through the same kernel functions
//! (net/socket.c: `sock_create_kern`, `kernel_bind`, `sock_recvmsg`, `sock_sendmsg`);
//! lesson 3 (`samples/rsock.rs`, docs/sockets.md) is the full version.

use core::net::{Ipv6Addr, SocketAddr, SocketAddrV6};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::kthread::{Thread, ThreadContext};
use kernel::net::{
    ns::Namespace,
    pernet,
    procfs::{self, SeqFile},
    socket::{self, Protocol, Shutdown, Socket},
};
use kernel::prelude::*;
use kernel::sync::{new_mutex, sleep::Sleepable, Arc, Mutex};
use kernel::{c_str, str::CStr};

kernel::module_pernet! {
    type: ExEcho,
    name: "execho",
    author: "netdive",
    description: "Exercise 4: an in-kernel UDP echo server",
    license: "GPL",
}

/// The largest datagram UDP carries (64 KiB less the headers) fits.
const BUF_SIZE: usize = 65536;

/// A running server: its socket and what it echoed.
struct Server {
    port: u16,
    sock: Socket,
    datagrams: AtomicU64,
    bytes: AtomicU64,
    /// Set before the socket is shut down, so the thread knows to end.
    stopping: AtomicBool,
}

/// The server and the thread that serves.
struct Running {
    server: Arc<Server>,
    thread: Thread,
}

/// A namespace's server, if one runs.
#[pin_data]
struct NetState {
    #[pin]
    running: Mutex<Option<Running>>,
}

struct ExEcho;

/// A UDP socket in `net`, bound to `port` on every address, IPv4 and IPv6 (`[::]`: an
/// IPv6 socket also takes IPv4 datagrams, as v4-mapped addresses).
fn open_socket(net: &Namespace, port: u16, ctx: &Sleepable) -> Result<Socket> {
    let sock = Socket::new(net, true, Protocol::Udp, ctx)?;
    let any = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0));
    sock.bind(any, ctx)?;
    Ok(sock)
}

/// The server's thread: each datagram goes back to its sender, and is counted.
fn serve(t: &ThreadContext, server: &Server) {
    let ctx = t.sleepable();
    let Ok(mut buf) = KVec::from_elem(0u8, BUF_SIZE, GFP_KERNEL) else {
        return;
    };
    loop {
        let got = server.sock.recv(&mut buf, ctx);
        // A shut-down socket returns at once, with nothing: time to go. So does one whose
        // namespace is going (`ESHUTDOWN`: the kernel closed it under us).
        if server.stopping.load(Ordering::Acquire)
            || t.should_stop()
            || matches!(got, Err(e) if e == socket::eshutdown())
        {
            return;
        }
        if let Ok((n, Some(from))) = got {
            if server.sock.send(&buf[..n], Some(from), ctx).is_ok() {
                server.datagrams.fetch_add(1, Ordering::Relaxed);
                server.bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
    }
}

/// Opens the socket and starts the thread.
fn start(state: &NetState, net: &Namespace, port: u16, ctx: &Sleepable) -> Result {
    let mut running = state.running.lock();
    if running.is_some() {
        kernel::pr_refused!("execho: refused: a server runs already; stop it first\n");
        return Err(EBUSY);
    }
    let sock = open_socket(net, port, ctx)?;
    let server = Arc::new(
        Server {
            port,
            sock,
            datagrams: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
        },
        GFP_KERNEL,
    )?;
    let s = server.clone();
    let thread = Thread::spawn(c_str!("execho"), ctx, move |t| serve(t, &s))?;
    *running = Some(Running { server, thread });
    Ok(())
}

/// Wakes the thread (a shut-down socket's `recv` returns), waits for it to end, and
/// lets the socket go.
fn stop(running: Running, ctx: &Sleepable) {
    running.server.stopping.store(true, Ordering::Release);
    // An unconnected UDP socket answers ENOTCONN, yet wakes its reader all the same.
    let _ = running.server.sock.shutdown(Shutdown::Both, ctx);
    running.thread.stop(ctx);
}

/// `start PORT` or `stop`.
enum Command {
    Start(u16),
    Stop,
}

fn parse(line: &str) -> Option<Command> {
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("start"), Some(port), None) => match port.parse() {
            Ok(0) | Err(_) => None,
            Ok(p) => Some(Command::Start(p)),
        },
        (Some("stop"), None, None) => Some(Command::Stop),
        _ => None,
    }
}

impl pernet::Subsystem for ExEcho {
    type Data = NetState;
    type Features = procfs::File<Self>;

    fn init(_net: &Namespace) -> impl PinInit<NetState, Error> {
        try_pin_init!(NetState {
            running <- new_mutex!(None),
        })
    }

    /// The module goes (a running server's socket holds its namespace): stop it first.
    fn exit(state: &NetState, ctx: &Sleepable) {
        if let Some(running) = state.running.lock().take() {
            stop(running, ctx);
        }
    }
}

impl procfs::ControlFile for ExEcho {
    const NAME: &'static CStr = c_str!("execho");

    /// `cat /proc/net/execho`.
    fn show(state: &NetState, out: &SeqFile, _ctx: &mut Sleepable) {
        match &*state.running.lock() {
            Some(r) => out.print(format_args!(
                "port {} datagrams {} bytes {}\n",
                r.server.port,
                r.server.datagrams.load(Ordering::Relaxed),
                r.server.bytes.load(Ordering::Relaxed),
            )),
            None => out.print(format_args!("stopped\n")),
        }
    }

    /// `echo 'start 7007' > /proc/net/execho`, `echo stop > /proc/net/execho`.
    fn write(state: &NetState, net: &Namespace, input: &[u8], ctx: &mut Sleepable) -> Result {
        let line = procfs::one_line(input)?;
        match parse(line) {
            Some(Command::Start(port)) => start(state, net, port, ctx),
            Some(Command::Stop) => match state.running.lock().take() {
                Some(running) => {
                    stop(running, ctx);
                    Ok(())
                }
                None => Err(ENOENT),
            },
            None => {
                kernel::pr_refused!("execho: refused: say 'start PORT' or 'stop'\n");
                Err(EINVAL)
            }
        }
    }
}
