// SPDX-License-Identifier: GPL-2.0

//! rplant: bugs on purpose, to prove the test harness catches them.
//!
//! Not a lesson, and never loaded by the lab; in the normal test suite tests 28 and 29
//! load it for its misuse commands (below), and the final sweep for `memory-leak`, the
//! leak kmemleak must catch in every run. `make test PLANT=<bug>` adds a test
//! (`qemu/tests/planted/`) that loads this module and makes it misbehave through
//! `/proc/net/rplant`, and that run must fail with the detector's message. A detector
//! nobody has seen fire is a detector nobody can trust.
//!
//! - `skb-leak N`: allocates N socket buffers and forgets them (`kfree_skb` never
//!   called). The harness's sk_buff balance around each test must report them.
//! - `warn`: a kernel warning (`WARN`), which the harness must find in the kernel log
//!   even after the test has flooded the log ring past its size.
//! - `hold DEV` / `release`: takes a reference on a device (`dev_hold`, here
//!   `ARef<Device>`) and keeps it, so deleting the device waits in
//!   `netdev_wait_allrefs_any` (net/core/dev.c), which prints "unregister_netdevice:
//!   waiting for DEV to become free" every ten seconds; `release` (or unloading) lets go.
//! - `memory-leak N`: allocates N blocks of 64 bytes, each filled with `ndplant!`, and
//!   forgets them. Every `make test` plants these first: kmemleak must report at least one
//!   by the final sweep (it may miss some, which a stale copy of the pointer on a stack
//!   still references), and the sweep tells them from real leaks by their contents.
//!
//! More commands run misuse sequences that safe code may write, and which the
//! abstractions must keep sound (tests 28 and 29 run them in the normal suite; they fail,
//! with a splat or an error, on a kernel crate without the fixes):
//!
//! - `leak-thread`: starts a kernel thread (`rplant-leak`) and keeps its handle only in
//!   the thread's own data, a reference cycle that nothing drops. Its code is this
//!   module's, so the kernel crate must stop it when the module goes (`kernel::kthread`'s
//!   registry): test 28 unloads the module and checks that the thread is gone and nothing
//!   ran in freed memory. Stopped, the thread's body returns and drops its data, the
//!   handle with it (a drop on the thread itself), so nothing is left for kmemleak.
//! - `rcu-write-in-guard` / `rcu-write-in-bh-guard`: reads an object through an
//!   [`RcuPointer`] inside a read-side section (`rcu::read_lock()` or `read_lock_bh()`),
//!   clears the pointer in the same section, then reads the object again. A writer that
//!   waited for a grace period there would end it under the reference (a context switch
//!   is a quiescent state on a non-preemptible kernel) and free the object: a
//!   use-after-free. Fails with `EIO` if the object read back changed.
//! - `irq-order`: takes two [`SpinLockIrq`] locks, A then B, and drops A first. Interrupts
//!   must stay off while B is held and come back on once it is dropped (Rust-for-Linux
//!   issue #998); fails with `EIO` otherwise.
//! - `block-in-guard`: inside an `rcu::read_lock()` section, makes a socket and takes the
//!   RTNL (both must be refused with `EDEADLK`: sleeping there would let the grace period
//!   end under the section's references), then drops a bound UDP socket (port 7999) and
//!   a kernel thread (`rplant-guard`) made before it (their close and stop must move to a
//!   kworker). Fails with `EIO` if a call was not refused, or if the section did not show
//!   in this CPU's count of read-side sections (what the lab kernel, which does not
//!   count preemption, relies on alone); test 29 checks that the port and the thread go.
//! - `rcu-write-in-spinlock`: clears an [`RcuPointer`] while holding a `SpinLock`: the
//!   writer must not sleep in `synchronize_rcu` there (it keeps the old object until the
//!   pointer goes); the debug kernel reports a sleep ("scheduling while atomic").
//! - `drop-attachment-under-rtnl DEV` / `drop-attachment-in-guard DEV`: attaches a
//!   fast-path program to `DEV` (an rveth device) and drops the `Attachment` while holding
//!   the RTNL, or inside a read-side section, where it cannot detach in place: a kworker
//!   detaches it. Once detached, the program is dropped, slowly (2 s, reading this
//!   module's data), and says so: test 29 unloads rplant meanwhile, which must wait until
//!   the program is gone (the module reference is put after the drop, never before).

use kernel::kthread::{Thread, ThreadContext};
use kernel::net::{
    dev::Device,
    fastpath::{self, Action, Frame, Program},
    ns::Namespace,
    pernet,
    procfs::{self, SeqFile},
    rtnl,
    skb::OwnedSkBuff,
    socket::{Protocol, Socket},
    warn,
};
use kernel::prelude::*;
use kernel::sync::{
    new_condvar, new_mutex, new_spinlock, rcu,
    rcu::RcuPointer,
    sleep::{edeadlk, Sleepable},
    spinlock_irq::{irqs_disabled, new_spinlock_irq, SpinLockIrq},
    Arc, CondVar, Mutex, SpinLock,
};
use kernel::time::Ktime;
use kernel::types::ARef;
use kernel::{c_str, str::CStr};

module! {
    type: RplantModule,
    name: "rplant",
    author: "netdive",
    description: "netdive: planted bugs that the test harness must catch",
    license: "GPL",
}

/// The device reference `hold` keeps, per namespace.
#[pin_data]
struct NetState {
    #[pin]
    held: Mutex<Option<ARef<Device>>>,
    /// The two locks `irq-order` takes.
    #[pin]
    irq_a: SpinLockIrq<()>,
    #[pin]
    irq_b: SpinLockIrq<()>,
    /// The lock `rcu-write-in-spinlock` holds.
    #[pin]
    plain: SpinLock<()>,
}

struct Rplant;

kernel::pernet_id!(Rplant);

impl pernet::Subsystem for Rplant {
    type Data = NetState;
    type Features = procfs::File<Self>;

    fn init(_net: &Namespace) -> impl PinInit<NetState, Error> {
        try_pin_init!(NetState {
            held <- new_mutex!(None),
            irq_a <- new_spinlock_irq!(()),
            irq_b <- new_spinlock_irq!(()),
            plain <- new_spinlock!(()),
        })
    }
}

/// Allocates `count` socket buffers of 1000 bytes and never frees them.
fn leak_skbs(count: u32) -> Result {
    for _ in 0..count {
        let skb = OwnedSkBuff::alloc(1000)?;
        core::mem::forget(skb);
    }
    pr_info!("leaked {} sk_buffs on purpose\n", count);
    Ok(())
}

/// What each block `memory-leak` forgets is filled with (kmemleak's report shows it).
const PLANTED_FILL: &[u8; 8] = b"ndplant!";

/// Allocates `count` blocks of 64 bytes filled with [`PLANTED_FILL`] and forgets them.
fn leak_memory(count: u32) -> Result {
    for _ in 0..count {
        let mut block = KBox::new([0u8; 64], GFP_KERNEL)?;
        for chunk in block.chunks_mut(PLANTED_FILL.len()) {
            chunk.copy_from_slice(PLANTED_FILL);
        }
        core::mem::forget(block);
    }
    pr_info!("leaked {} blocks of 64 bytes on purpose\n", count);
    Ok(())
}

/// Starts a thread that naps until asked to stop, and hands its handle to the thread
/// itself: a cycle (thread data -> handle -> thread) that only a stop from outside ends.
fn leak_thread(ctx: &Sleepable) -> Result {
    let handle_slot: Arc<Mutex<Option<Thread>>> = Arc::pin_init(new_mutex!(None), GFP_KERNEL)?;
    let own_handle = handle_slot.clone();
    let thread = Thread::spawn(c_str!("rplant-leak"), ctx, move |t| {
        nap_until_stopped(t);
        // The handle is dropped here, on the thread it names.
        drop(own_handle);
    })?;
    *handle_slot.lock() = Some(thread);
    pr_info!("started a thread that holds its own handle, on purpose\n");
    Ok(())
}

/// A thread body: wakes every 10 ms until asked to stop.
fn nap_until_stopped(t: &mut ThreadContext) {
    let Ok(nap) = KBox::pin_init(
        pin_init!(Nap { lock <- new_mutex!(()), cv <- new_condvar!() }),
        GFP_KERNEL,
    ) else {
        return;
    };
    while !t.should_stop() {
        let mut guard = nap.lock.lock();
        // Sleeps 10 ms (2 jiffies at least), or until `kthread_stop` wakes the task.
        let _ = nap.cv.wait_interruptible_timeout(&mut guard, 2);
    }
}

/// Somewhere for a thread to sleep.
#[pin_data]
struct Nap {
    #[pin]
    lock: Mutex<()>,
    #[pin]
    cv: CondVar,
}

/// The device called `name` in `net`, with a reference held.
fn device_named(net: &Namespace, name: &str) -> Result<ARef<Device>> {
    let mut buf = [0u8; 16];
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= buf.len() {
        return Err(EINVAL);
    }
    buf[..bytes.len()].copy_from_slice(bytes);
    let name = CStr::from_bytes_with_nul(&buf[..=bytes.len()])?;
    // The reference is taken inside the RCU read section.
    let guard = rcu::read_lock();
    Ok(ARef::from(net.device_by_name(name, &guard).ok_or(ENODEV)?))
}

/// Keeps a reference on the device called `name`, so it cannot be freed.
fn hold_device(state: &NetState, net: &Namespace, name: &str) -> Result {
    let dev = device_named(net, name)?;
    pr_info!("holding a reference on {} on purpose\n", dev.name());
    *state.held.lock() = Some(dev);
    Ok(())
}

/// Clears an [`RcuPointer`] inside the read-side section in which its object is borrowed,
/// then reads the object again (`bh`: in a section with bottom halves off).
fn rcu_write_in_guard(bh: bool) -> Result {
    const FILL: u8 = 0x5a;
    let ptr = RcuPointer::new(KBox::new([FILL; 64], GFP_KERNEL)?);
    let read_back = |guard: &rcu::Guard| -> Result<u8> {
        let obj = ptr.get(guard).ok_or(EINVAL)?;
        ptr.set(None);
        // Through the reference taken before the write: still in the same section.
        Ok(obj.iter().fold(FILL, |acc, b| acc & b))
    };
    let seen = if bh {
        let guard = rcu::read_lock_bh();
        read_back(&guard)?
    } else {
        let guard = rcu::read_lock();
        read_back(&guard)?
    };
    pr_info!(
        "rcu-write-in{}-guard: object read back {:#x}, pointer {}\n",
        if bh { "-bh" } else { "" },
        seen,
        if ptr.is_set() { "set" } else { "clear" }
    );
    if seen != FILL || ptr.is_set() {
        return Err(EIO);
    }
    Ok(())
}

/// Calls what blocks inside a read-side section: each call must be refused, each drop
/// deferred.
fn block_in_guard(net: &Namespace, ctx: &mut Sleepable) -> Result {
    let sock = Socket::new(net, false, Protocol::Udp, ctx)?;
    sock.bind("127.0.0.1:7999".parse().map_err(|_| EINVAL)?, ctx)?;
    let thread = Thread::spawn(c_str!("rplant-guard"), ctx, nap_until_stopped)?;
    let guard = rcu::read_lock();
    let counted = rcu::inside_counted_section();
    let made = Socket::new(net, false, Protocol::Udp, ctx).err();
    let locked = rtnl::lock(ctx).err();
    drop(sock);
    drop(thread);
    drop(guard);
    let counted_after = rcu::inside_counted_section();
    pr_info!(
        "block-in-guard: socket {:?}, rtnl {:?}; socket and thread dropped inside; \
         section counted {}, after {}\n",
        made,
        locked,
        counted,
        counted_after
    );
    if made != Some(edeadlk()) || locked != Some(edeadlk()) || !counted || counted_after {
        return Err(EIO);
    }
    Ok(())
}

/// Clears an [`RcuPointer`] under a spinlock, outside any read-side section of ours: only
/// the spinlock says that the writer must not wait (sleep) there.
fn rcu_write_in_spinlock(state: &NetState) -> Result {
    let ptr = RcuPointer::new(KBox::new([0u8; 64], GFP_KERNEL)?);
    let lock = state.plain.lock();
    ptr.set(None);
    drop(lock);
    pr_info!(
        "rcu-write-in-spinlock: pointer {}\n",
        if ptr.is_set() { "set" } else { "clear" }
    );
    if ptr.is_set() {
        return Err(EIO);
    }
    Ok(())
}

/// A fast-path program that passes every frame and is slow to go: its drop busy-waits
/// 2 s (longer than the test takes to start `rmmod`), reading this module's data all
/// along, then says it is done. If its module
/// were unloaded meanwhile, that would be code and data of a freed module.
struct SlowToDrop;

/// How many programs have been dropped (module data the drop reads and writes).
static DROPPED: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

impl Program for SlowToDrop {
    fn run(&self, _frame: &mut Frame<'_>) -> Action {
        Action::Pass
    }
}

impl Drop for SlowToDrop {
    fn drop(&mut self) {
        let start = Ktime::ktime_get();
        while (Ktime::ktime_get() - start).to_ms() < 2000 {
            DROPPED.load(core::sync::atomic::Ordering::Relaxed);
        }
        let n = DROPPED.fetch_add(1, core::sync::atomic::Ordering::Relaxed) + 1;
        pr_info!("slow program dropped ({} so far)\n", n);
    }
}

/// Where a dropped [`fastpath::Attachment`] is dropped.
enum DropWhere {
    UnderRtnl,
    InGuard,
}

/// Attaches a [`SlowToDrop`] program to `dev` and drops the attachment where it cannot
/// detach in place. The program's last count is then the device slot's, which a kworker
/// takes out.
fn drop_attachment(net: &Namespace, dev: &str, place: DropWhere, ctx: &mut Sleepable) -> Result {
    let dev = device_named(net, dev)?;
    let prog: Arc<dyn Program> = Arc::new(SlowToDrop, GFP_KERNEL)?;
    let rtnl = rtnl::lock(ctx)?;
    let attachment = fastpath::attach(&dev, prog, &THIS_MODULE, &rtnl)?;
    match place {
        DropWhere::UnderRtnl => drop(attachment),
        DropWhere::InGuard => {
            let guard = rcu::read_lock();
            drop(attachment);
            drop(guard);
        }
    }
    drop(rtnl);
    pr_info!("attachment dropped where it cannot detach in place\n");
    Ok(())
}

/// Takes A then B, drops A first, and checks the interrupt state while B is held and after.
fn irq_order(state: &NetState) -> Result {
    let was_off = irqs_disabled();
    let a = state.irq_a.lock();
    let b = state.irq_b.lock();
    drop(a);
    let off_while_b = irqs_disabled();
    drop(b);
    let off_after = irqs_disabled();
    pr_info!(
        "irq-order: interrupts {} while B is held, {} after (before: {})\n",
        if off_while_b { "off" } else { "ON" },
        if off_after { "OFF" } else { "on" },
        if was_off { "off" } else { "on" }
    );
    // Called from a write(2), interrupts on: a check that says "off" anyway is broken.
    if was_off || !off_while_b || off_after {
        return Err(EIO);
    }
    Ok(())
}

impl procfs::ControlFile for Rplant {
    const NAME: &'static CStr = c_str!("rplant");

    /// `cat /proc/net/rplant`: the device held, if any.
    fn show(state: &NetState, out: &SeqFile, _ctx: &mut Sleepable) {
        if let Some(dev) = state.held.lock().as_ref() {
            out.print(format_args!("holding {}\n", dev.name()));
        }
    }

    /// One command per write: `skb-leak N`, `memory-leak N`, `warn`, `hold DEV`, `release`,
    /// `leak-thread`, `rcu-write-in-guard`, `rcu-write-in-bh-guard`, `irq-order`,
    /// `block-in-guard`, `rcu-write-in-spinlock`, `drop-attachment-under-rtnl DEV`,
    /// `drop-attachment-in-guard DEV`.
    fn write(state: &NetState, net: &Namespace, input: &[u8], ctx: &mut Sleepable) -> Result {
        let text = core::str::from_utf8(input).map_err(|_| EINVAL)?;
        let mut words = text.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("skb-leak"), Some(n), None) => {
                leak_skbs(n.parse::<u32>().map_err(|_| EINVAL)?.min(100_000))
            }
            (Some("memory-leak"), Some(n), None) => {
                leak_memory(n.parse::<u32>().map_err(|_| EINVAL)?.min(1000))
            }
            (Some("warn"), None, None) => {
                warn(c_str!("rplant: a warning planted on purpose"));
                Ok(())
            }
            (Some("hold"), Some(dev), None) => hold_device(state, net, dev),
            (Some("release"), None, None) => {
                *state.held.lock() = None;
                Ok(())
            }
            (Some("leak-thread"), None, None) => leak_thread(ctx),
            (Some("rcu-write-in-guard"), None, None) => rcu_write_in_guard(false),
            (Some("rcu-write-in-bh-guard"), None, None) => rcu_write_in_guard(true),
            (Some("irq-order"), None, None) => irq_order(state),
            (Some("block-in-guard"), None, None) => block_in_guard(net, ctx),
            (Some("rcu-write-in-spinlock"), None, None) => rcu_write_in_spinlock(state),
            (Some("drop-attachment-under-rtnl"), Some(dev), None) => {
                drop_attachment(net, dev, DropWhere::UnderRtnl, ctx)
            }
            (Some("drop-attachment-in-guard"), Some(dev), None) => {
                drop_attachment(net, dev, DropWhere::InGuard, ctx)
            }
            _ => Err(EINVAL),
        }
    }
}

struct RplantModule {
    _control: Pin<KBox<pernet::Registration<Rplant>>>,
}

impl Drop for RplantModule {
    fn drop(&mut self) {
        pr_info!("unloading\n");
    }
}

impl kernel::Module for RplantModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _control: KBox::pin_init(pernet::Registration::new(), GFP_KERNEL)?,
        })
    }
}
