// SPDX-License-Identifier: GPL-2.0

//! Network namespaces.
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)
//!
//! Every device, route, socket and netfilter hook belongs to one `struct net`. The
//! initial namespace is `init_net`; `ip netns add` creates more (`copy_net_ns`).

use super::dev::Device;
use crate::{bindings, sync::rcu, types::Opaque};

/// A network namespace: a wrapper around `struct net`.
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
