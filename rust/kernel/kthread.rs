// SPDX-License-Identifier: GPL-2.0

//! Kernel threads.
//!
//! C header: [`include/linux/kthread.h`](srctree/include/linux/kthread.h); core in
//! `kernel/kthread.c`.
//!
//! A kernel thread is a task that runs only kernel code: `kthread_create` makes one
//! (stopped), `wake_up_process` starts it, the thread polls `kthread_should_stop`, and
//! `kthread_stop` asks it to end and waits until it has. netdive's in-kernel servers
//! (lesson 3, `rsock`) are threads blocked in `accept` or `recvmsg`, as a user-space
//! server's would be.
//!
//! A thread runs code of the module that started it (its body is compiled into that
//! module), so it must end before the module's memory is freed. A [`Thread`] handle stops
//! its thread when dropped, but a handle can be leaked (`mem::forget`, a `static`, a
//! reference cycle through the thread's own data). So every thread a module starts is
//! also in a registry, and when a module goes (`MODULE_STATE_GOING`, after its `exit` and
//! before its memory is freed: kernel/module/main.c `delete_module`) the registry stops
//! those of its threads still running and waits for them.

use crate::{
    bindings, new_condvar, new_mutex,
    prelude::*,
    str::CStr,
    sync::{
        arc_list,
        sleep::{self, Sleepable},
        Arc, CondVar, Mutex,
    },
    types::Opaque,
    workqueue,
};
use core::{
    ffi::{c_int, c_void},
    marker::PhantomData,
    ptr::NonNull,
    sync::atomic::{AtomicBool, Ordering},
};

/// What a thread's body is given: proof that it runs in its own kernel thread, in
/// process context, where it may sleep.
///
/// # Invariants
///
/// Exists only during the body of a thread started by [`Thread::spawn`], on that thread.
pub struct ThreadContext {
    _not_send: PhantomData<*mut ()>,
}

impl ThreadContext {
    /// Whether [`Thread::stop`] (or dropping the [`Thread`]) asked this thread to end
    /// (`kthread_should_stop`). A body that loops checks it each time round.
    pub fn should_stop(&self) -> bool {
        // SAFETY: the current task is a kthread started by `Thread::spawn` (type invariant).
        unsafe { bindings::kthread_should_stop() }
    }

    /// Process context: this thread may sleep, so blocking calls may be made
    /// ([`crate::net::socket`] takes this).
    pub fn sleepable(&self) -> &Sleepable {
        // SAFETY: a kthread's body runs in process context (type invariant); the
        // reference does not outlive `self`, which lives only during the body.
        unsafe { Sleepable::assume() }
    }

    /// Process context holding no lock: the unique capability, which may also take the
    /// RTNL ([`crate::net::rtnl::lock`]), borrowed from the context for as long as it is
    /// used.
    pub fn sleepable_mut(&mut self) -> &mut Sleepable {
        // SAFETY: a kthread's body runs in process context (type invariant) in a new task
        // that `kthread()` (`kernel/kthread.c:341`) starts holding no lock, so not the
        // RTNL; the body gets the one `&mut ThreadContext`, so the reference is unique
        // while it lives, and does not outlive `self`.
        unsafe { Sleepable::assume_mut() }
    }
}

/// What the new thread receives: its body, and where to say it started (filled in before
/// the thread is woken).
struct Payload<F> {
    shared: Option<Arc<Shared>>,
    body: F,
}

/// What a thread's handle and the registry share.
///
/// # Invariants
///
/// `task` is a kthread created by `spawn`, referenced (`get_task_struct`) until the one
/// stop (`stopping` set by whoever does it) has called `kthread_stop_put`, so
/// `kthread_stop` may be called even after the body returned. Until the thread has set
/// `started`, `payload` is the thread's `KBox<Payload<F>>`, which `drop_payload` frees if
/// the thread never took it. `owner` is the module whose code the thread runs (null for
/// code built into the kernel).
#[pin_data(PinnedDrop)]
struct Shared {
    task: NonNull<bindings::task_struct>,
    owner: *mut bindings::module,
    started: AtomicBool,
    payload: *mut c_void,
    drop_payload: unsafe fn(*mut c_void),
    stopping: AtomicBool,
    #[pin]
    stopped: Mutex<bool>,
    #[pin]
    stopped_cv: CondVar,
}

// SAFETY: the pointers are used only to stop the thread and free what it never took, from
// any task, once (`stopping`).
unsafe impl Send for Shared {}
// SAFETY: as above; the state is atomic or behind `stopped`.
unsafe impl Sync for Shared {}

impl Shared {
    /// Asks the thread to end and waits until it has; if another task is stopping it,
    /// waits for that. On the thread itself this does nothing (a thread cannot wait for
    /// its own end): its body returns, and a later stop, or the registry when the module
    /// goes, collects it.
    fn stop(&self) {
        if self.is_current() {
            return;
        }
        if self.stopping.swap(true, Ordering::AcqRel) {
            let mut stopped = self.stopped.lock();
            while !*stopped {
                self.stopped_cv.wait(&mut stopped);
            }
            return;
        }
        // SAFETY: referenced (type invariant), stopped once (`stopping` was false);
        // `kthread_stop_put` waits for the thread to exit and drops the reference.
        unsafe { bindings::kthread_stop_put(self.task.as_ptr()) };
        // The thread has exited. If it never started its body (stopped before it ran),
        // the payload is still ours.
        if !self.started.load(Ordering::Acquire) {
            // SAFETY: made by `spawn` for this `drop_payload`, never taken by the thread.
            unsafe { (self.drop_payload)(self.payload) };
        }
        *self.stopped.lock() = true;
        self.stopped_cv.notify_all();
    }
}

impl Shared {
    /// Whether this is the thread running now.
    fn is_current(&self) -> bool {
        // SAFETY: no precondition.
        self.task.as_ptr() == unsafe { bindings::get_current() }
    }
}

#[pinned_drop]
impl PinnedDrop for Shared {
    fn drop(self: Pin<&mut Self>) {
        // Never stopped: the last handle was dropped on the thread itself and no registry
        // holds it (kernel code, which is never unloaded). The thread runs on, detached.
        if !self.stopping.load(Ordering::Acquire) {
            // SAFETY: our reference (type invariant), dropped once.
            unsafe { bindings::put_task_struct(self.task.as_ptr()) };
        }
    }
}

/// A running kernel thread, stopped (and waited for) when this is dropped.
///
/// Corresponds to the kernel's `struct task_struct` of a kthread
/// ([`include/linux/kthread.h`](srctree/include/linux/kthread.h)).
pub struct Thread {
    shared: Arc<Shared>,
}

impl Thread {
    /// Starts a kernel thread named `name` (`ps` shows at most 15 characters) running
    /// `body` (`kthread_create`, which waits for `kthreadd`, then `wake_up_process`).
    pub fn spawn<F>(name: &CStr, ctx: &Sleepable, body: F) -> Result<Thread>
    where
        F: FnOnce(&mut ThreadContext) + Send + 'static,
    {
        ctx.may_block()?;
        let entry: unsafe extern "C" fn(*mut c_void) -> c_int = run::<F>;
        // The module `run::<F>` (and so `body`) was compiled into: this caller's.
        let owner = module_of(entry as usize);
        let payload = KBox::new(Payload { shared: None, body }, GFP_KERNEL)?;
        let raw = KBox::into_raw(payload);
        // SAFETY: `run::<F>` takes `raw`, a `KBox<Payload<F>>`, when the thread starts;
        // the name is copied into the task's `comm` through `%s`.
        let task = unsafe {
            bindings::kthread_create_on_node(
                Some(run::<F>),
                raw.cast(),
                bindings::NUMA_NO_NODE,
                c"%s".as_ptr().cast(),
                name.as_char_ptr(),
            )
        };
        // SAFETY: a pointer or an `ERR_PTR`.
        if unsafe { bindings::IS_ERR(task.cast()) } {
            // SAFETY: on error `run` is never called with the payload: either no thread
            // was made, or (the caller got a fatal signal while `kthreadd` was creating
            // it) the new thread finds its creator gone and exits without calling its
            // function (`kthread()` in kernel/kthread.c). The payload is still ours.
            drop(unsafe { KBox::from_raw(raw) });
            // SAFETY: as above.
            return Err(Error::from_errno(
                unsafe { bindings::PTR_ERR(task.cast()) } as i32
            ));
        }
        // SAFETY: `task` is a valid new kthread, not yet woken; the reference is dropped
        // by the stop (or by `Shared`'s drop if it is never stopped).
        unsafe { bindings::get_task_struct(task) };
        let shared = Arc::pin_init(
            pin_init!(Shared {
                // SAFETY: not an error pointer, so a valid task.
                task: unsafe { NonNull::new_unchecked(task) },
                owner,
                started: AtomicBool::new(false),
                payload: raw.cast(),
                drop_payload: drop_payload::<F>,
                stopping: AtomicBool::new(false),
                stopped <- new_mutex!(false),
                stopped_cv <- new_condvar!(),
            }),
            GFP_KERNEL,
        );
        let shared = match shared {
            Ok(shared) => shared,
            Err(e) => {
                // SAFETY: referenced above and never woken: stopping it makes `kthread()`
                // exit without calling `run`, so the payload is ours again.
                unsafe {
                    bindings::kthread_stop_put(task);
                    drop(KBox::from_raw(raw));
                }
                return Err(e);
            }
        };
        // SAFETY: the thread is not woken yet: the payload is ours to fill in.
        unsafe { (*raw).shared = Some(shared.clone()) };
        // Once in the registry, the thread may be stopped (its module going) and the
        // shared task reference dropped before we wake it: hold one of our own across.
        // SAFETY: `task` is valid (referenced by `shared`).
        unsafe { bindings::get_task_struct(task) };
        if let Err(e) = registry_add(&shared) {
            // Not woken: the stop makes `kthread()` exit without calling `run` and frees
            // the payload (`started` is false).
            shared.stop();
            // SAFETY: our own reference, taken above.
            unsafe { bindings::put_task_struct(task) };
            return Err(e);
        }
        // SAFETY: referenced (above); waking a kthread that a stop already ended, or
        // woke, does nothing.
        unsafe {
            bindings::wake_up_process(task);
            bindings::put_task_struct(task);
        }
        Ok(Thread { shared })
    }

    /// Asks the thread to end and waits until it has (`kthread_stop`). A body blocked in
    /// a call that does not look at `should_stop` must be woken first (a server's socket
    /// shut down), or this waits for as long as that call does.
    pub fn stop(self, ctx: &Sleepable) {
        let _ = ctx;
        drop(self);
    }
}

impl Drop for Thread {
    /// Stops the thread and waits for it, as [`Thread::stop`] does. Where it must not wait
    /// ([`Sleepable::may_block`]: inside an RCU read-side section, atomic context), a
    /// kworker stops it instead, soon after.
    fn drop(&mut self) {
        // A thread cannot wait for its own end: dropped on itself, it runs on (see
        // `Shared::stop`).
        if self.shared.is_current() {
            return;
        }
        if !sleep::may_block_here() {
            let shared = self.shared.clone();
            if workqueue::system_unbound()
                .try_spawn(GFP_ATOMIC, move || stop_and_forget(&shared))
                .is_err()
            {
                // No memory for the work item: the thread runs on, in its module's
                // registry, which stops it when the module goes.
                crate::pr_warn!("kthread: no memory to defer a stop: left to its module\n");
            }
            return;
        }
        stop_and_forget(&self.shared);
    }
}

/// Stops the thread (waiting for it) and takes it out of the registry. Process context.
fn stop_and_forget(shared: &Arc<Shared>) {
    // SAFETY: a check, no precondition; called only where blocking is allowed.
    unsafe { bindings::might_sleep() };
    shared.stop();
    if shared.stopping.load(Ordering::Acquire) {
        registry_remove(shared);
    }
}

/// # Safety
///
/// `p` is a `KBox<Payload<F>>` made by `spawn`, freed once.
unsafe fn drop_payload<F>(p: *mut c_void) {
    // SAFETY: the caller's promise.
    drop(unsafe { KBox::from_raw(p.cast::<Payload<F>>()) });
}

/// The thread's function (`threadfn`).
///
/// # Safety
///
/// Called once, by `kthread()`, on the new thread, with the payload `spawn` made.
unsafe extern "C" fn run<F>(data: *mut c_void) -> c_int
where
    F: FnOnce(&mut ThreadContext) + Send + 'static,
{
    // SAFETY: the payload `spawn` made; the thread takes it over now, and says so before
    // anything else, so the stop does not free it too (it reads `started` only after this
    // thread has exited).
    let payload = unsafe { KBox::from_raw(data.cast::<Payload<F>>()) };
    let Payload { shared, body } = KBox::into_inner(payload);
    if let Some(shared) = shared {
        shared.started.store(true, Ordering::Release);
    }
    // INVARIANT: on the thread `spawn` started, during its body.
    body(&mut ThreadContext {
        _not_send: PhantomData,
    });
    0
}

/// The module whose memory holds `addr` (`__module_address`), or null for the kernel's
/// own. Not generic, so it is compiled into the kernel, where `__module_address` (not
/// exported to modules) is.
#[inline(never)]
fn module_of(addr: usize) -> *mut bindings::module {
    // SAFETY: `__module_address` wants preemption off (or `module_mutex`) so the module is
    // not freed meanwhile; the address is the caller's own code in any case.
    unsafe {
        bindings::preempt_disable();
        let m = bindings::__module_address(addr);
        bindings::preempt_enable();
        m
    }
}

/// The registry of threads started by modules.
struct Registry(Opaque<Mutex<KVec<Arc<Shared>>>>);

// SAFETY: the mutex inside is initialised once at boot, before `READY` is set, and used
// only through `&`.
unsafe impl Sync for Registry {}

/// The module notifier the registry listens on.
struct Notifier(Opaque<bindings::notifier_block>);

// SAFETY: handed to the module core once at boot; Rust never touches it again.
unsafe impl Sync for Notifier {}

static REGISTRY: Registry = Registry(Opaque::uninit());
static READY: AtomicBool = AtomicBool::new(false);
static NOTIFIER: Notifier = Notifier(Opaque::new(bindings::notifier_block {
    notifier_call: Some(module_going),
    next: core::ptr::null_mut(),
    priority: 0,
}));

fn registry() -> Option<&'static Mutex<KVec<Arc<Shared>>>> {
    // SAFETY: initialised before `READY` is set (`rust_netdive_kthread_init`), never
    // dropped.
    READY
        .load(Ordering::Acquire)
        .then(|| unsafe { &*REGISTRY.0.get() })
}

/// Sets up the registry; called once at boot by the initcall in
/// rust/helpers/netdive_init.c.
#[no_mangle]
pub extern "C" fn rust_netdive_kthread_init() -> c_int {
    let init = new_mutex!(KVec::new());
    // SAFETY: the static's storage, initialised once here (an initcall runs once) and
    // pinned (a static never moves).
    // (A mutex's initialiser cannot fail.)
    let Ok(()) = unsafe { init.__pinned_init(REGISTRY.0.get()) };
    // SAFETY: a static notifier block, registered once.
    let ret = unsafe { bindings::register_module_notifier(NOTIFIER.0.get()) };
    if ret == 0 {
        READY.store(true, Ordering::Release);
    }
    ret
}

/// Adds a thread whose code lives in a module; threads of the kernel's own code need no
/// entry (the kernel is never unloaded).
fn registry_add(shared: &Arc<Shared>) -> Result {
    if shared.owner.is_null() {
        return Ok(());
    }
    let reg = registry().ok_or(ENODEV)?;
    reg.lock().push(shared.clone(), GFP_KERNEL)?;
    Ok(())
}

fn registry_remove(shared: &Arc<Shared>) {
    let Some(reg) = registry() else {
        return;
    };
    let mut list = reg.lock();
    let gone = arc_list::remove(&mut list, shared);
    drop(list);
    drop(gone);
}

/// # Safety
///
/// Called by the module core's notifier chain (process context, `blocking_notifier`),
/// with `data` the module changing state.
unsafe extern "C" fn module_going(
    _nb: *mut bindings::notifier_block,
    action: usize,
    data: *mut c_void,
) -> c_int {
    if action != bindings::module_state_MODULE_STATE_GOING as usize {
        return bindings::NOTIFY_DONE as c_int;
    }
    let Some(reg) = registry() else {
        return bindings::NOTIFY_DONE as c_int;
    };
    let module = data.cast::<bindings::module>();
    // The module's `exit` has run; its memory is freed after this chain. Its threads still
    // running (their handles leaked) are stopped here, while their code still exists.
    loop {
        let next = {
            let list = reg.lock();
            list.iter().find(|s| s.owner == module).cloned()
        };
        let Some(thread) = next else {
            break;
        };
        thread.stop();
        registry_remove(&thread);
    }
    bindings::NOTIFY_DONE as c_int
}
