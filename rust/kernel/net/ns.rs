// SPDX-License-Identifier: GPL-2.0

//! Network namespaces.
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)
//!
//! Every device, route, socket and netfilter hook belongs to one `struct net`. The
//! initial namespace is `init_net`; `ip netns add` creates more (`copy_net_ns`).

use super::dev::Device;
use crate::{bindings, sync::rcu, types::Opaque};
use core::ptr::NonNull;

/// A network namespace: a wrapper around `struct net`. [`NetRef`] holds one.
///
/// # Invariants
///
/// The wrapped `struct net` is alive for as long as a reference to this type exists.
#[repr(transparent)]
pub struct Namespace(Opaque<bindings::net>);

impl Namespace {
    /// The initial network namespace, `init_net`, which lives as long as the kernel.
    pub fn init_ns() -> &'static Self {
        // SAFETY: `init_net` is a static object that is never freed.
        unsafe { Self::from_raw(core::ptr::addr_of_mut!(bindings::init_net)) }
    }

    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` points at a `struct net` that stays alive for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::net) -> &'a Self {
        // SAFETY: `repr(transparent)` over `Opaque<net>`; validity is the caller's promise.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw `struct net` pointer.
    pub fn as_raw(&self) -> *mut bindings::net {
        self.0.get()
    }

    /// The device with index `ifindex`, if any (`dev_get_by_index_rcu`).
    pub fn device_by_index<'a>(
        &'a self,
        ifindex: i32,
        _guard: &'a rcu::Guard,
    ) -> Option<&'a Device> {
        // SAFETY: the namespace is alive and we are inside an RCU read-side section.
        let dev = unsafe { bindings::dev_get_by_index_rcu(self.as_raw(), ifindex) };
        // SAFETY: a device found under RCU stays valid until the section ends.
        (!dev.is_null()).then(|| unsafe { Device::from_raw(dev) })
    }

    /// The device named `name`, if any (`dev_get_by_name_rcu`).
    pub fn device_by_name<'a>(
        &'a self,
        name: &crate::str::CStr,
        _guard: &'a rcu::Guard,
    ) -> Option<&'a Device> {
        // SAFETY: as in `device_by_index`; `name` is NUL-terminated.
        let dev = unsafe { bindings::dev_get_by_name_rcu(self.as_raw(), name.as_char_ptr()) };
        // SAFETY: as in `device_by_index`.
        (!dev.is_null()).then(|| unsafe { Device::from_raw(dev) })
    }

    /// The devices of this namespace, in `dev_base_head` order, as `for_each_netdev_rcu`
    /// walks them. The RCU guard keeps every device seen alive while it is borrowed.
    pub fn devices<'a>(&'a self, _guard: &'a rcu::Guard) -> Devices<'a> {
        // SAFETY: the namespace is alive (type invariant) and we are in an RCU read-side
        // section, which `first_net_device_rcu` requires.
        let first = unsafe { bindings::first_net_device_rcu(self.as_raw()) };
        Devices {
            next: first,
            _guard: core::marker::PhantomData,
        }
    }
}

/// A counted reference on a namespace (`get_net`): the namespace is not dismantled while
/// one exists, even after `ip netns del`, as a user-space socket or process keeps it.
///
/// # Invariants
///
/// `net` is a namespace on which this value holds one reference.
pub struct NetRef {
    net: NonNull<bindings::net>,
}

// SAFETY: a reference may be held and dropped on any CPU.
unsafe impl Send for NetRef {}
// SAFETY: `&NetRef` only gives `&Namespace`, which is `Sync`.
unsafe impl Sync for NetRef {}

impl Namespace {
    /// A counted reference on this namespace (`maybe_get_net`), or `None` if it is being
    /// dismantled (its count already reached zero: code can still see a namespace then,
    /// in its cleanup, but may no longer keep it).
    pub fn get(&self) -> Option<NetRef> {
        // SAFETY: the namespace is alive (type invariant); `maybe_get_net` takes a
        // reference only if the count is not zero.
        let net = unsafe { bindings::maybe_get_net(self.as_raw()) };
        // INVARIANT: a reference was taken when the result is not null.
        NonNull::new(net).map(|net| NetRef { net })
    }
}

impl core::ops::Deref for NetRef {
    type Target = Namespace;

    fn deref(&self) -> &Namespace {
        // SAFETY: the reference keeps the namespace alive while `self` lives.
        unsafe { Namespace::from_raw(self.net.as_ptr()) }
    }
}

impl Clone for NetRef {
    fn clone(&self) -> Self {
        // SAFETY: the count is not zero while we hold a reference, so `get_net` is fine.
        unsafe { bindings::get_net(self.net.as_ptr()) };
        // INVARIANT: one more reference, this value's.
        NetRef { net: self.net }
    }
}

impl Drop for NetRef {
    fn drop(&mut self) {
        // SAFETY: this value's reference (type invariant), given up once; the last one
        // queues the namespace's cleanup (`cleanup_net`, a work item).
        unsafe { bindings::put_net(self.net.as_ptr()) };
    }
}

// SAFETY: `struct net` is shared by every CPU; its members carry their own locking.
unsafe impl Sync for Namespace {}
// SAFETY: as above; a reference may move between threads.
unsafe impl Send for Namespace {}

/// Iterator over the devices of a namespace, under RCU.
///
/// # Invariants
///
/// `next` is null or a device on the namespace's RCU-protected device list, read inside
/// the read-side section that `'a` borrows.
pub struct Devices<'a> {
    next: *mut bindings::net_device,
    _guard: core::marker::PhantomData<&'a rcu::Guard>,
}

impl<'a> Iterator for Devices<'a> {
    type Item = &'a Device;

    fn next(&mut self) -> Option<&'a Device> {
        if self.next.is_null() {
            return None;
        }
        let cur = self.next;
        // SAFETY: `cur` is on the list and we are inside the RCU read-side section
        // (type invariant), as `next_net_device_rcu` requires.
        self.next = unsafe { bindings::next_net_device_rcu(cur) };
        // SAFETY: RCU keeps `cur` alive until the guard borrowed by `'a` is dropped.
        Some(unsafe { Device::from_raw(cur) })
    }
}
