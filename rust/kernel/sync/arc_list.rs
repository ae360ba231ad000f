// SPDX-License-Identifier: GPL-2.0

//! Removing one shared object from a list of them, by identity.
//!
//! The registries that keep every live socket and kernel thread of this crate (so that a
//! namespace's or a module's teardown can find them) are vectors of [`Arc`]s; 6.12's
//! [`KVec`] has no `remove` or `swap_remove` yet.

use crate::{prelude::*, sync::Arc};

/// Takes `item` (the same object, compared by address) out of `list`, moving the last
/// element into its place; `None` if it is not there.
pub fn remove<T>(list: &mut KVec<Arc<T>>, item: &Arc<T>) -> Option<Arc<T>> {
    let i = list.iter().position(|s| Arc::ptr_eq(s, item))?;
    let last = list.len() - 1;
    list.as_mut_slice().swap(i, last);
    // SAFETY: `last` < len. The element at `last` is read out once and the length no
    // longer covers it, so it is owned only by the value returned.
    unsafe {
        let gone = core::ptr::read(list.as_ptr().add(last));
        list.set_len(last);
        Some(gone)
    }
}
