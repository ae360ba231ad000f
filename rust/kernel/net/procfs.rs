// SPDX-License-Identifier: GPL-2.0

//! A control file in each namespace's `/proc/net`.
//!
//! C headers: [`include/linux/proc_fs.h`](srctree/include/linux/proc_fs.h)
//! (`proc_create_net_single_write`), [`include/linux/seq_file.h`](srctree/include/linux/seq_file.h);
//! core in `fs/proc/proc_net.c`.
//!
//! `/proc/net` is per namespace: a process sees the files of the namespace it is in
//! (`ip netns exec ns1 cat /proc/net/...`). A [`ControlFile`] of a
//! [pernet subsystem](super::pernet) is `/proc/net/<NAME>` in every namespace, which the
//! subsystem's [`File`] feature creates: reading it shows the namespace's state, writing
//! it sends a command. A subsystem is usually its own control file (`File<Self>`); one
//! that needs more names another type for each (`File<StatesFile, Self>`).

use super::{
    ns::Namespace,
    pernet::{self, Subsystem},
};
use crate::{
    bindings, error::from_result, prelude::*, str::CStr, sync::sleep::Sleepable, types::Opaque,
};
use core::{fmt, marker::PhantomData};

/// The `seq_file` a control file's `show` prints into.
///
/// Corresponds to the kernel's `struct seq_file`
/// ([`include/linux/seq_file.h`](srctree/include/linux/seq_file.h)).
#[repr(transparent)]
pub struct SeqFile(Opaque<bindings::seq_file>);

impl SeqFile {
    /// Prints formatted text (`seq_printf` with `%pA`).
    pub fn print(&self, args: fmt::Arguments<'_>) {
        // SAFETY: `self` wraps the valid `seq_file` of a `show` call; `%pA` formats the
        // `fmt::Arguments` it is given a pointer to (lib/vsprintf.c, `rust_fmt_argument`).
        unsafe {
            bindings::seq_printf(
                self.0.get(),
                c"%pA".as_ptr().cast(),
                core::ptr::from_ref(&args).cast::<core::ffi::c_void>(),
            )
        };
    }
}

/// A control file, `/proc/net/<NAME>`, in every namespace, over subsystem `S`'s state.
pub trait ControlFile<S: Subsystem = Self> {
    /// The file's name.
    const NAME: &'static CStr;

    /// Reading the file: the namespace's state. Process context, the reader's task,
    /// holding no lock but the file's own (`seq_read_iter`): `ctx` says it may sleep and,
    /// being unique, that it may take the RTNL ([`rtnl::lock`](super::rtnl::lock)).
    fn show(data: &S::Data, out: &SeqFile, ctx: &mut Sleepable);

    /// Writing the file in namespace `net`: `input` is what one `write(2)` wrote (at most
    /// a page less one byte; the core refuses larger writes and empty ones with `EINVAL`).
    /// Only a writer that opened the file with `CAP_NET_ADMIN` over the namespace gets
    /// here (`EPERM` otherwise). Process context, the writer's task, holding no lock:
    /// `ctx` says it may sleep and, being unique, that it may take the RTNL
    /// ([`rtnl::lock`](super::rtnl::lock)).
    fn write(data: &S::Data, net: &Namespace, input: &[u8], ctx: &mut Sleepable) -> Result;
}

/// Says in the kernel log why a control file refused a write: `pr_info!`, rate limited
/// with the networking messages (`net_ratelimit`), so a writer that loops on a bad
/// command cannot flood the log. Show what the user wrote through [`Quoted`].
#[macro_export]
macro_rules! pr_refused {
    ($($arg:tt)*) => {
        if $crate::net::net_ratelimit() {
            $crate::pr_info!($($arg)*);
        }
    };
}

/// The one command a write to a control file holds: the input as text, exactly one
/// line that is not blank. Anything else (not UTF-8, no line, two lines) is refused with
/// `EINVAL` and a line in the kernel log saying why.
pub fn one_line(input: &[u8]) -> Result<&str> {
    let text = core::str::from_utf8(input).map_err(|_| {
        crate::pr_refused!("refused: the input is not text\n");
        EINVAL
    })?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    match (lines.next(), lines.next()) {
        (Some(line), None) => Ok(line),
        _ => {
            crate::pr_refused!("refused: write exactly one command\n");
            Err(EINVAL)
        }
    }
}

/// What a user wrote, for the kernel log: at most 64 characters, control characters
/// and quotes escaped (`\0`, `\u{1b}`), so a write cannot cut or forge a log line.
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 64;
        for (i, c) in self.0.chars().enumerate() {
            if i == MAX {
                return f.write_str("...");
            }
            fmt::Display::fmt(&c.escape_debug(), f)?;
        }
        Ok(())
    }
}

/// The [pernet feature](pernet::Feature) that creates control file `F` of subsystem `S`
/// in a namespace.
pub struct File<F, S = F>(PhantomData<(F, S)>);

/// What the file's callbacks find through `pde_data`: the namespace and its state.
struct FileData<F, S: Subsystem> {
    net: *mut bindings::net,
    data: *const S::Data,
    _file: PhantomData<F>,
}

/// A namespace's control file.
///
/// # Invariants
///
/// `pde` is the file created in the namespace, `file` the data its callbacks use; the
/// file is removed (and its callbacks waited for) before `file` is freed.
pub struct NetFile<F, S: Subsystem> {
    pde: *mut bindings::proc_dir_entry,
    /// What the file's callbacks find through `pde_data`; held until the file is gone.
    _file: KBox<FileData<F, S>>,
}

// SAFETY: the pointers are only used by the file's callbacks while it exists, and by
// `unregister`.
unsafe impl<F, S: Subsystem> Send for NetFile<F, S> {}
// SAFETY: as above.
unsafe impl<F, S: Subsystem> Sync for NetFile<F, S> {}

// SAFETY: `remove_proc_entry` waits for the file's callbacks in flight (`proc_entry_rundown`)
// before `unregister` returns.
unsafe impl<S: Subsystem, F: ControlFile<S>> pernet::Feature<S> for File<F, S> {
    type State = NetFile<F, S>;

    unsafe fn register(net: *mut bindings::net, data: *const S::Data) -> Result<NetFile<F, S>> {
        let file = KBox::new(
            FileData::<F, S> {
                net,
                data,
                _file: PhantomData,
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `proc_net` is the namespace's /proc/net (the namespace is valid); the
        // data outlives the file, which `unregister` removes first.
        let pde = unsafe {
            bindings::proc_create_net_single_write(
                F::NAME.as_char_ptr(),
                0o644,
                (*net).proc_net,
                Some(show_callback::<F, S>),
                Some(write_callback::<F, S>),
                core::ptr::from_ref(&*file).cast_mut().cast(),
            )
        };
        if pde.is_null() {
            return Err(ENOMEM);
        }
        Ok(NetFile { pde, _file: file })
    }

    unsafe fn unregister(_net: *mut bindings::net, state: &mut NetFile<F, S>) {
        // SAFETY: created by `register` (type invariant), removed once (the caller's
        // promise); `proc_remove` waits for readers and writers in flight, after which
        // nothing uses `state._file`, which is freed when the state is dropped.
        unsafe { bindings::proc_remove(state.pde) };
    }
}

/// # Safety
///
/// Called by the proc core for a file created by `register`, whose data is a live
/// `FileData<F, S>`.
unsafe extern "C" fn show_callback<F: ControlFile<S>, S: Subsystem>(
    seq: *mut bindings::seq_file,
    _v: *mut core::ffi::c_void,
) -> i32 {
    // SAFETY: the file's `pde_data` is our `FileData`, alive until the file is removed;
    // its state is alive until then too; `seq` is valid for the call.
    unsafe {
        let file = &*bindings::pde_data(bindings::file_inode((*seq).file)).cast::<FileData<F, S>>();
        // `show` runs in the reader's task, from `read(2)` (`seq_read_iter`,
        // `fs/seq_file.c:182`) or `lseek(2)` (`traverse` under `seq_lseek`, `:313`),
        // holding only the file's `m->lock`: process context, RTNL not held. The
        // capability is borrowed by this call only.
        let ctx = Sleepable::assume_mut();
        F::show(&*file.data, &*seq.cast::<SeqFile>(), ctx);
    }
    0
}

/// # Safety
///
/// As for `show_callback`; `buf` holds `size` bytes written by the user.
unsafe extern "C" fn write_callback<F: ControlFile<S>, S: Subsystem>(
    file: *mut bindings::file,
    buf: *mut u8,
    size: usize,
) -> i32 {
    from_result(|| {
        // SAFETY: as in `show_callback`; `buf` is a kernel copy of `size` bytes
        // (`proc_simple_write`), and the namespace is alive while its file is.
        unsafe {
            let f = &*bindings::pde_data(bindings::file_inode(file)).cast::<FileData<F, S>>();
            // Changing a namespace's networking takes CAP_NET_ADMIN over it, checked
            // against whoever opened the file (as netlink and sysctl writes are).
            if !bindings::file_ns_capable(file, (*f.net).user_ns, bindings::CAP_NET_ADMIN as i32) {
                return Err(EPERM);
            }
            let input = core::slice::from_raw_parts(buf, size);
            // A write(2) runs in the writer's task, in process context, holding no lock
            // (`proc_simple_write`, `fs/proc/generic.c:821-838`), so not the RTNL: a task
            // never returns to user space holding it. The capability is borrowed by this
            // call only.
            let ctx = Sleepable::assume_mut();
            F::write(&*f.data, Namespace::from_raw(f.net), input, ctx)?;
        }
        Ok(0)
    })
}
