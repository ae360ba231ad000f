// SPDX-License-Identifier: GPL-2.0

//! Lesson 3, transport and sockets: `rsock` runs UDP and TCP echo servers inside the
//! kernel, on the same sockets user space gets from `socket(2)`.
//!
//! A socket is two objects: `struct socket` (include/linux/net.h), the file-facing half
//! with its `proto_ops` (`inet_stream_ops`, `inet_dgram_ops`, net/ipv4/af_inet.c), and
//! `struct sock` (include/net/sock.h), the protocol's half (`tcp_sock`, `udp_sock`) with
//! its queues and state. A server in user space calls `socket`, `bind`, `listen`,
//! `accept`, `recvmsg`, `sendmsg`; the system calls (net/socket.c: `__sys_bind`,
//! `__sys_accept4`, `__sys_sendto`) look the socket up from a file descriptor and call
//! the same `proto_ops` that rsock calls directly through `kernel_bind`, `kernel_accept`,
//! `kernel_sendmsg` (`kernel::net::socket`). Below that the paths are one:
//! `inet_sendmsg` → `tcp_sendmsg` or `udp_sendmsg` → IP → the device.
//!
//! `/proc/net/rsock` (one per namespace) takes one command per write and lists the
//! namespace's rsock sockets on reading:
//!
//! ```text
//! echo 'udp-echo 7' > /proc/net/rsock             # every datagram sent back to its sender
//! echo 'tcp-echo 7' > /proc/net/rsock             # every byte sent back on its connection
//! echo 'connect tcp 10.9.0.2 9' > /proc/net/rsock # an in-kernel client (id 3, say)
//! echo 'send 3 hello' > /proc/net/rsock           # "hello\n" from the client
//! echo 'close 1'    > /proc/net/rsock
//! cat /proc/net/rsock
//! ```
//!
//! Each server listens on every address, IPv4 and IPv6 (one IPv6 socket: IPv4 peers
//! appear as `::ffff:a.b.c.d`), and runs in a kernel thread of its own, blocked in
//! `accept` or `recvmsg` as a user-space server's thread would be (`ps` shows them:
//! `rsock-udp/7`); each TCP connection has a thread too. `close` shuts the sockets down,
//! which wakes the threads, waits for them and releases the sockets: TCP sends its FIN.
//! A client's `connect` runs in the writer's `write(2)` (for TCP it waits for the
//! handshake, and a refused one is the write's error); its thread counts what comes back.
//!
//! `/proc/net/rsock_states` shows the TCP state machine at work: every state change of
//! rsock's sockets (after `trace all`, of every TCP socket in the namespace), as TCP
//! makes it ([`states`]).

use core::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::kthread::{Thread, ThreadContext};
use kernel::net::{
    ns::Namespace,
    pernet,
    procfs::{self, Quoted, SeqFile},
    socket::{self, Protocol, Shutdown, Socket},
    tcp_state,
};
use kernel::prelude::*;
use kernel::sync::spinlock_irq::{new_spinlock_irq, SpinLockIrq};
use kernel::sync::{new_mutex, sleep::Sleepable, Arc, Mutex};
use kernel::{c_str, fmt, str::CStr, str::CString};

#[path = "rsock/cmd.rs"]
pub mod cmd;
#[path = "rsock/states.rs"]
pub mod states;

// Creates `/proc/net/rsock` in every namespace.
kernel::module_pernet! {
    type: Rsock,
    name: "rsock",
    author: "netdive",
    description: "In-kernel UDP and TCP echo servers (netdive lesson 3)",
    license: "GPL",
}

/// How much a server thread reads at a time (a UDP datagram is at most 64 KiB).
const BUF_SIZE: usize = 65536;
/// Connections a TCP listener queues before `accept` takes them (`listen`'s backlog).
const BACKLOG: i32 = 16;

/// Bytes a socket received and sent.
#[derive(Default)]
struct Bytes {
    rx: AtomicU64,
    tx: AtomicU64,
}

impl Bytes {
    fn received(&self, n: usize) {
        self.rx.fetch_add(n as u64, Ordering::Relaxed);
    }
    fn sent(&self, n: usize) {
        self.tx.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// One accepted TCP connection and the thread that echoes on it.
#[pin_data]
struct Conn {
    sock: Socket,
    local: Option<SocketAddr>,
    peer: Option<SocketAddr>,
    bytes: Bytes,
    /// Set by the connection's thread as it ends (the peer closed, or an error).
    done: AtomicBool,
    #[pin]
    thread: Mutex<Option<Thread>>,
}

/// What an rsock socket is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    UdpEcho,
    TcpEcho,
    UdpClient,
    TcpClient,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::UdpEcho => "udp-echo",
            Kind::TcpEcho => "tcp-echo",
            Kind::UdpClient => "udp-client",
            Kind::TcpClient => "tcp-client",
        }
    }

    fn protocol(self) -> Protocol {
        match self {
            Kind::UdpEcho | Kind::UdpClient => Protocol::Udp,
            Kind::TcpEcho | Kind::TcpClient => Protocol::Tcp,
        }
    }
}

/// One echo server (its socket: UDP, or the TCP listener; its connections) or one
/// client, and its thread.
#[pin_data]
struct Endpoint {
    id: u32,
    kind: Kind,
    port: u16,
    local: Option<SocketAddr>,
    peer: Option<SocketAddr>,
    sock: Socket,
    bytes: Bytes,
    /// Set before the server's sockets are shut down, so its threads end.
    closing: AtomicBool,
    #[pin]
    thread: Mutex<Option<Thread>>,
    #[pin]
    conns: Mutex<KVec<Arc<Conn>>>,
}

/// A namespace's servers, and the TCP state changes it records.
#[pin_data]
struct NetState {
    #[pin]
    servers: Mutex<KVec<Arc<Endpoint>>>,
    next_id: AtomicU32,
    /// Written where TCP changes a state, a softirq among them: interrupts off.
    #[pin]
    states: SpinLockIrq<states::Log>,
    /// `trace all`: record every TCP socket of the namespace, not only rsock's.
    trace_all: AtomicBool,
}

struct Rsock;

/// Every address, IPv4 and IPv6, port `port`: `[::]:port`.
fn any_address(port: u16) -> SocketAddr {
    SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0))
}

/// A zeroed buffer for a server thread.
fn buffer() -> Result<KVec<u8>> {
    Ok(KVec::from_elem(0u8, BUF_SIZE, GFP_KERNEL)?)
}

/// The thread's name, as `ps` shows it: `rsock-udp/7`, `rsock-tcp/7`.
fn thread_name(what: &str, port: u16) -> Result<CString> {
    CString::try_from_fmt(fmt!("rsock-{what}/{port}"))
}

/// Sends all of `data`; TCP may take it in parts.
fn send_all(sock: &Socket, mut data: &[u8], ctx: &Sleepable) -> Result {
    while !data.is_empty() {
        let n = sock.send(data, None, ctx)?;
        data = &data[n..];
    }
    Ok(())
}

/// Whether a call failed because the socket's namespace is going: the kernel closed the
/// socket under us (`ESHUTDOWN`), and every later call fails the same way.
fn gone<T>(result: &Result<T>) -> bool {
    matches!(result, Err(e) if *e == socket::eshutdown())
}

/// The UDP server's thread: each datagram goes back to its sender.
fn udp_echo(t: &ThreadContext, server: &Endpoint) {
    let ctx = t.sleepable();
    let Ok(mut buf) = buffer() else {
        return;
    };
    loop {
        let got = server.sock.recv(&mut buf, ctx);
        // A shut-down socket returns at once, with nothing: time to go. So does a socket
        // whose namespace is going (`ESHUTDOWN`: the kernel closed it under us).
        if server.closing.load(Ordering::Acquire) || t.should_stop() || gone(&got) {
            return;
        }
        if let Ok((n, Some(from))) = got {
            server.bytes.received(n);
            if let Ok(sent) = server.sock.send(&buf[..n], Some(from), ctx) {
                server.bytes.sent(sent);
            }
        }
    }
}

/// A TCP connection's thread: every byte goes back, until the peer closes its side;
/// then this side closes too (its FIN: `CLOSE_WAIT` → `LAST_ACK` → `CLOSE`).
fn tcp_conn(t: &ThreadContext, conn: &Conn) {
    let ctx = t.sleepable();
    if let Ok(mut buf) = buffer() {
        while !t.should_stop() {
            match conn.sock.recv(&mut buf, ctx) {
                Ok((n, _)) if n > 0 => {
                    conn.bytes.received(n);
                    if send_all(&conn.sock, &buf[..n], ctx).is_err() {
                        break;
                    }
                    conn.bytes.sent(n);
                }
                // 0: the peer sent its FIN; an error: the connection is gone.
                _ => break,
            }
        }
    }
    let _ = conn.sock.shutdown(Shutdown::Write, ctx);
    conn.done.store(true, Ordering::Release);
}

/// The TCP listener's thread: each connection gets a thread of its own; connections that
/// ended are released as new ones come.
fn tcp_accept(t: &ThreadContext, server: &Endpoint) {
    let ctx = t.sleepable();
    loop {
        let accepted = server.sock.accept(ctx);
        if server.closing.load(Ordering::Acquire) || t.should_stop() || gone(&accepted) {
            return;
        }
        reap(server, ctx);
        let Ok(sock) = accepted else {
            continue;
        };
        let _ = start_conn(server, sock, ctx);
    }
}

/// Starts the thread of an accepted connection; on failure the connection is dropped
/// (released: the peer sees a reset or a FIN).
fn start_conn(server: &Endpoint, sock: Socket, ctx: &Sleepable) -> Result {
    let conn = Arc::pin_init(
        pin_init!(Conn {
            local: sock.local_addr(ctx).ok(),
            peer: sock.peer_addr(ctx).ok(),
            sock,
            bytes: Bytes::default(),
            done: AtomicBool::new(false),
            thread <- new_mutex!(None),
        }),
        GFP_KERNEL,
    )?;
    server.conns.lock().push(conn.clone(), GFP_KERNEL)?;
    let c = conn.clone();
    let thread = Thread::spawn(&thread_name("conn", server.port)?, ctx, move |t| {
        tcp_conn(t, &c)
    })?;
    *conn.thread.lock() = Some(thread);
    Ok(())
}

/// Releases the connections whose threads have ended.
fn reap(server: &Endpoint, ctx: &Sleepable) {
    // No memory now: the next accept tries again.
    let Ok(finished) = take_where(&mut server.conns.lock(), |c| c.done.load(Ordering::Acquire))
    else {
        return;
    };
    for conn in finished {
        stop_conn(&conn, ctx);
    }
}

/// Shuts a connection down (waking its thread if it waits for data) and waits for the
/// thread; the socket is released with the last reference.
fn stop_conn(conn: &Conn, ctx: &Sleepable) {
    let _ = conn.sock.shutdown(Shutdown::Both, ctx);
    if let Some(thread) = conn.thread.lock().take() {
        thread.stop(ctx);
    }
}

/// Stops a server: its sockets shut down (a thread blocked in `accept` or `recvmsg`
/// returns), its threads waited for, its connections released.
fn close(server: &Endpoint, ctx: &Sleepable) {
    server.closing.store(true, Ordering::Release);
    // An unconnected UDP socket answers ENOTCONN, yet wakes its reader all the same.
    let _ = server.sock.shutdown(Shutdown::Both, ctx);
    if let Some(thread) = server.thread.lock().take() {
        thread.stop(ctx);
    }
    // The listener's thread has ended: no connection is added any more.
    let conns = core::mem::take(&mut *server.conns.lock());
    for conn in conns {
        stop_conn(&conn, ctx);
    }
}

/// Starts an echo server on `port` in namespace `net`; with `reuseport`, one that
/// shares the port with the other servers that asked for it.
fn start(
    state: &NetState,
    net: &Namespace,
    kind: Kind,
    port: u16,
    reuseport: bool,
    ctx: &Sleepable,
) -> Result {
    let sock = Socket::new(net, true, kind.protocol(), ctx)?;
    if kind == Kind::TcpEcho {
        sock.set_reuseaddr(ctx)?;
    }
    if reuseport {
        sock.set_reuseport(ctx)?;
    }
    sock.bind(any_address(port), ctx)?;
    if kind == Kind::TcpEcho {
        sock.listen(BACKLOG, ctx)?;
    }
    let server = new_endpoint(state, kind, sock, Some(any_address(port)), None)?;
    let s = server.clone();
    let thread = match kind {
        Kind::UdpEcho => Thread::spawn(&thread_name("udp", port)?, ctx, move |t| udp_echo(t, &s))?,
        _ => Thread::spawn(&thread_name("tcp", port)?, ctx, move |t| tcp_accept(t, &s))?,
    };
    add(state, server, thread, ctx)
}

/// Connects an in-kernel client to `addr` port `port` (for TCP, `connect` waits for the
/// handshake: the writer's `write(2)` returns when it is done, or with its error, such
/// as `ECONNREFUSED` when the peer answers with a reset). Its thread counts what comes
/// back.
fn connect(
    state: &NetState,
    net: &Namespace,
    kind: Kind,
    addr: IpAddr,
    port: u16,
    ctx: &Sleepable,
) -> Result {
    let sock = Socket::new(net, addr.is_ipv6(), kind.protocol(), ctx)?;
    let peer = SocketAddr::new(addr, port);
    sock.connect(peer, ctx)?;
    let local = sock.local_addr(ctx).ok();
    let client = new_endpoint(state, kind, sock, local, Some(peer))?;
    let c = client.clone();
    let thread = Thread::spawn(&thread_name("client", port)?, ctx, move |t| {
        client_read(t, &c)
    })?;
    add(state, client, thread, ctx)
}

/// A new server or client, id assigned, no thread yet.
fn new_endpoint(
    state: &NetState,
    kind: Kind,
    sock: Socket,
    local: Option<SocketAddr>,
    peer: Option<SocketAddr>,
) -> Result<Arc<Endpoint>> {
    Arc::pin_init(
        pin_init!(Endpoint {
            id: state.next_id.fetch_add(1, Ordering::Relaxed),
            kind,
            port: local.map_or(0, |a| a.port()),
            local,
            peer,
            sock,
            bytes: Bytes::default(),
            closing: AtomicBool::new(false),
            thread <- new_mutex!(None),
            conns <- new_mutex!(KVec::new()),
        }),
        GFP_KERNEL,
    )
}

/// Records an endpoint's thread and lists it in the namespace; on failure closes it.
fn add(state: &NetState, ep: Arc<Endpoint>, thread: Thread, ctx: &Sleepable) -> Result {
    *ep.thread.lock() = Some(thread);
    if let Err(e) = state.servers.lock().push(ep.clone(), GFP_KERNEL) {
        close(&ep, ctx);
        return Err(e.into());
    }
    Ok(())
}

/// A client's thread: counts what the peer sends; when a TCP peer closes its side, this
/// side closes too.
fn client_read(t: &ThreadContext, client: &Endpoint) {
    let ctx = t.sleepable();
    let Ok(mut buf) = buffer() else {
        return;
    };
    loop {
        let got = client.sock.recv(&mut buf, ctx);
        if client.closing.load(Ordering::Acquire) || t.should_stop() || gone(&got) {
            return;
        }
        match got {
            Ok((0, _)) if client.kind == Kind::TcpClient => {
                let _ = client.sock.shutdown(Shutdown::Write, ctx);
                return;
            }
            Ok((n, _)) => client.bytes.received(n),
            // A connected UDP socket reports the peer's ICMP errors (ECONNREFUSED):
            // counted by the kernel, and the socket is still usable.
            Err(_) if client.kind == Kind::UdpClient => {}
            Err(_) => return,
        }
    }
}

/// Sends `text` and a newline from client `id`.
fn send_text(state: &NetState, id: u32, text: &str, ctx: &Sleepable) -> Result {
    let ep = find(state, id)?;
    if !matches!(ep.kind, Kind::TcpClient | Kind::UdpClient) {
        kernel::pr_refused!("refused 'send {}': {} is a server\n", id, ep.kind.name());
        return Err(EINVAL);
    }
    let mut line = KVec::with_capacity(text.len() + 1, GFP_KERNEL)?;
    line.extend_from_slice(text.as_bytes(), GFP_KERNEL)?;
    line.push(b'\n', GFP_KERNEL)?;
    send_all(&ep.sock, &line, ctx)?;
    ep.bytes.sent(line.len());
    Ok(())
}

/// The server or client `id` of this namespace; `ENOENT` if there is none.
fn find(state: &NetState, id: u32) -> Result<Arc<Endpoint>> {
    let eps = state.servers.lock();
    match eps.iter().find(|e| e.id == id) {
        Some(e) => Ok(e.clone()),
        None => {
            kernel::pr_refused!("refused: no server or client {} in this namespace\n", id);
            Err(ENOENT)
        }
    }
}

/// Closes server or client `id`; `ENOENT` if this namespace has none by that id.
fn close_id(state: &NetState, id: u32, ctx: &Sleepable) -> Result {
    let taken = take_where(&mut state.servers.lock(), |s| s.id == id)?;
    if taken.is_empty() {
        kernel::pr_refused!("refused 'close {}': no such server or client here\n", id);
        return Err(ENOENT);
    }
    for server in taken {
        close(&server, ctx);
    }
    Ok(())
}

/// Moves the elements `pred` picks out of `v`, in order, and returns them (the kernel's
/// `KVec` has no `retain` or `remove` yet). On `ENOMEM`, `v` is left as it was.
fn take_where<T>(v: &mut KVec<T>, mut pred: impl FnMut(&T) -> bool) -> Result<KVec<T>> {
    let mut keep = KVec::with_capacity(v.len(), GFP_KERNEL)?;
    let mut taken = KVec::with_capacity(v.len(), GFP_KERNEL)?;
    for item in core::mem::take(v) {
        let to = if pred(&item) { &mut taken } else { &mut keep };
        // Room for all of them was reserved above: this cannot fail.
        let _ = to.push(item, GFP_KERNEL);
    }
    *v = keep;
    Ok(taken)
}

/// An address for the listing, or `-`.
struct Addr(Option<SocketAddr>);

impl core::fmt::Display for Addr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(a) => write!(f, "{a}"),
            None => f.write_str("-"),
        }
    }
}

/// One line per socket: id, kind, local and remote address, TCP state, bytes.
fn show_server(out: &SeqFile, server: &Endpoint) {
    let state = match server.kind.protocol() {
        Protocol::Udp => "-",
        Protocol::Tcp => server.sock.state(),
    };
    out.print(format_args!(
        "{} {} {} {} {} in {} out {}\n",
        server.id,
        server.kind.name(),
        Addr(server.local),
        Addr(server.peer),
        state,
        server.bytes.rx.load(Ordering::Relaxed),
        server.bytes.tx.load(Ordering::Relaxed),
    ));
    for (i, conn) in server.conns.lock().iter().enumerate() {
        out.print(format_args!(
            "{}.{} tcp-conn {} {} {} in {} out {}\n",
            server.id,
            i + 1,
            Addr(conn.local),
            Addr(conn.peer),
            conn.sock.state(),
            conn.bytes.rx.load(Ordering::Relaxed),
            conn.bytes.tx.load(Ordering::Relaxed),
        ));
    }
}

impl pernet::Subsystem for Rsock {
    type Data = NetState;
    /// `/proc/net/rsock`, `/proc/net/rsock_states` and the probe that fills it.
    type Features = (
        procfs::File<Self>,
        (
            procfs::File<states::StatesFile, Self>,
            tcp_state::Watch<Self>,
        ),
    );

    fn init(_net: &Namespace) -> impl PinInit<NetState, Error> {
        try_pin_init!(NetState {
            servers <- new_mutex!(KVec::new()),
            next_id: AtomicU32::new(1),
            states <- new_spinlock_irq!(states::Log::new()?),
            trace_all: AtomicBool::new(false),
        })
    }

    /// The namespace goes, or the module: every server stops first. (A server's sockets
    /// hold the namespace, so this runs at `rmmod`, or once its servers are closed.)
    fn exit(state: &NetState, ctx: &Sleepable) {
        let servers = core::mem::take(&mut *state.servers.lock());
        for server in servers {
            close(&server, ctx);
        }
    }
}

impl procfs::ControlFile for Rsock {
    const NAME: &'static CStr = c_str!("rsock");

    /// `cat /proc/net/rsock`: the namespace's servers and their connections.
    fn show(state: &NetState, out: &SeqFile, _ctx: &mut Sleepable) {
        out.print(format_args!(
            "id kind local remote state in bytes out bytes\n"
        ));
        for server in state.servers.lock().iter() {
            show_server(out, server);
        }
    }

    /// One command per write; one that does not parse is refused (`EINVAL`) and changes
    /// nothing; a port in use is refused by the kernel (`EADDRINUSE`).
    fn write(state: &NetState, net: &Namespace, input: &[u8], ctx: &mut Sleepable) -> Result {
        let line = procfs::one_line(input)?;
        let command = cmd::parse(line).map_err(|why| {
            kernel::pr_refused!("refused '{}': {}\n", Quoted(line.trim()), why);
            EINVAL
        })?;
        match command {
            cmd::Command::UdpEcho(port, r) => start(state, net, Kind::UdpEcho, port, r, ctx),
            cmd::Command::TcpEcho(port, r) => start(state, net, Kind::TcpEcho, port, r, ctx),
            cmd::Command::Connect(cmd::Proto::Tcp, addr, port) => {
                connect(state, net, Kind::TcpClient, addr, port, ctx)
            }
            cmd::Command::Connect(cmd::Proto::Udp, addr, port) => {
                connect(state, net, Kind::UdpClient, addr, port, ctx)
            }
            cmd::Command::Send(id, text) => send_text(state, id, text, ctx),
            cmd::Command::Close(id) => close_id(state, id, ctx),
            cmd::Command::Trace(whose) => {
                let all = whose == cmd::Trace::All;
                state.trace_all.store(all, Ordering::Relaxed);
                Ok(())
            }
        }
    }
}
