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

use crate::{bindings, prelude::*, str::CStr, sync::sleep::Sleepable};
use core::{
    ffi::c_void,
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
}

/// What the new thread receives: its body, and where to say it started.
struct Payload<F> {
    started: *const AtomicBool,
    body: F,
}

/// A running kernel thread, stopped (and waited for) when this is dropped.
///
/// Corresponds to the kernel's `struct task_struct` of a kthread
/// ([`include/linux/kthread.h`](srctree/include/linux/kthread.h)).
///
/// # Invariants
///
/// `task` is a kthread created by `spawn` and holds a task reference (`get_task_struct`),
/// so `kthread_stop` may be called even after the body returned. Until the thread has
/// set `*started`, `payload` is the thread's `KBox<Payload<F>>`, which the thread takes
/// over when it starts; `drop_payload` frees it if the thread never did.
pub struct Thread {
    task: NonNull<bindings::task_struct>,
    started: KBox<AtomicBool>,
    payload: *mut c_void,
    drop_payload: unsafe fn(*mut c_void),
    stopped: bool,
}

// SAFETY: the handle only stops the thread and frees what it never took, from any task.
unsafe impl Send for Thread {}
// SAFETY: `&Thread` has no methods.
unsafe impl Sync for Thread {}

impl Thread {
    /// Starts a kernel thread named `name` (`ps` shows at most 15 characters) running
    /// `body` (`kthread_create`, which waits for `kthreadd`, then `wake_up_process`).
    pub fn spawn<F>(name: &CStr, ctx: &Sleepable, body: F) -> Result<Thread>
    where
        F: FnOnce(&ThreadContext) + Send + 'static,
    {
        ctx.might_sleep();
        let started = KBox::new(AtomicBool::new(false), GFP_KERNEL)?;
        let payload = KBox::new(
            Payload {
                started: &*started,
                body,
            },
            GFP_KERNEL,
        )?;
        let payload = KBox::into_raw(payload).cast::<c_void>();
        // SAFETY: `run::<F>` takes `payload`, a `KBox<Payload<F>>`, when the thread
        // starts; the name is copied into the task's `comm` through `%s`.
        let task = unsafe {
            bindings::kthread_create_on_node(
                Some(run::<F>),
                payload,
                bindings::NUMA_NO_NODE,
                c"%s".as_ptr().cast(),
                name.as_char_ptr(),
            )
        };
        // SAFETY: a pointer or an `ERR_PTR`.
        if unsafe { bindings::IS_ERR(task.cast()) } {
            // SAFETY: on error `run` is never called with `payload`: either no thread was
            // made, or (the caller got a fatal signal while `kthreadd` was creating it)
            // the new thread finds its creator gone and exits without calling its
            // function (`kthread()` in kernel/kthread.c). The payload is still ours.
            drop(unsafe { KBox::from_raw(payload.cast::<Payload<F>>()) });
            // SAFETY: as above.
            return Err(Error::from_errno(
                unsafe { bindings::PTR_ERR(task.cast()) } as i32
            ));
        }
        // SAFETY: `task` is a valid new kthread; the reference is dropped by
        // `kthread_stop_put`.
        unsafe { bindings::get_task_struct(task) };
        // SAFETY: a created kthread waits to be woken once.
        unsafe { bindings::wake_up_process(task) };
        // INVARIANT: the task is referenced; the payload is the thread's until it starts.
        Ok(Thread {
            // SAFETY: not an error pointer, so a valid task.
            task: unsafe { NonNull::new_unchecked(task) },
            started,
            payload,
            drop_payload: drop_payload::<F>,
            stopped: false,
        })
    }

    /// Asks the thread to end and waits until it has (`kthread_stop`). A body blocked in
    /// a call that does not look at `should_stop` must be woken first (a server's socket
    /// shut down), or this waits for as long as that call does.
    pub fn stop(mut self, ctx: &Sleepable) {
        ctx.might_sleep();
        self.stop_and_wait();
    }

    fn stop_and_wait(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        // SAFETY: the task is referenced (type invariant); `kthread_stop_put` waits for
        // the thread to exit and drops the reference.
        unsafe { bindings::kthread_stop_put(self.task.as_ptr()) };
        // The thread has exited. If it never started its body (stopped before it ran),
        // the payload is still ours.
        if !self.started.load(Ordering::Acquire) {
            // SAFETY: made by `spawn` for this `drop_payload`, never taken by the thread.
            unsafe { (self.drop_payload)(self.payload) };
        }
    }
}

impl Drop for Thread {
    /// Stops the thread and waits for it, as [`Thread::stop`] does: drop a `Thread` only
    /// where sleeping is allowed (the debug kernel checks, `might_sleep`).
    fn drop(&mut self) {
        if !self.stopped {
            // SAFETY: a check, no precondition.
            unsafe { bindings::might_sleep() };
        }
        self.stop_and_wait();
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
unsafe extern "C" fn run<F>(data: *mut c_void) -> i32
where
    F: FnOnce(&ThreadContext) + Send + 'static,
{
    // SAFETY: the payload `spawn` made; the thread takes it over now, and says so before
    // anything else, so `Thread::stop` does not free it too (it reads `started` only after
    // this thread has exited, and `started` outlives the thread).
    let payload = unsafe { KBox::from_raw(data.cast::<Payload<F>>()) };
    // SAFETY: `started` lives in the `Thread`, which waits for this thread to exit before
    // freeing it.
    unsafe { (*payload.started).store(true, Ordering::Release) };
    let Payload { body, .. } = KBox::into_inner(payload);
    // INVARIANT: on the thread `spawn` started, during its body.
    body(&ThreadContext {
        _not_send: PhantomData,
    });
    0
}
