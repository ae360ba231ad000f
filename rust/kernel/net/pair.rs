// SPDX-License-Identifier: GPL-2.0

//! Device pairs: two devices created by one request, each the other's peer.
//!
//! C: drivers/net/veth.c (`veth_newlink`, `veth_dellink`), and the same request layout in
//! vxcan and netkit: `ip link add name a type <kind> peer name b [peer options]` carries
//! the peer's own `struct ifinfomsg` and attributes nested in `VETH_INFO_PEER`
//! ([`include/uapi/linux/veth.h`](srctree/include/uapi/linux/veth.h)).
//!
//! Everything that is specific to pairs lives here: the netlink policy of the request,
//! creating and registering the peer, and [`Peer`], the pointer each end keeps to the
//! other. A link type that is not a pair (dummy, a NIC) uses none of it.

use super::{
    dev::Device,
    rtnl::{self, LinkOps, NewLink, Policy},
};
use crate::{bindings, error::to_result, prelude::*, sync::rcu::RcuPointer, types::ARef};
use core::mem::MaybeUninit;

/// The other end of a pair (veth: `priv->peer`): an RCU-published counted reference to a
/// device. The transmit path reads it under RCU without a lock; `dellink` clears both
/// ends, waits for readers and lets the references go, so a device is never freed while a
/// reader can still see it.
pub type Peer = RcuPointer<ARef<Device>>;

const IFLA_MAX: usize = bindings::__IFLA_MAX as usize - 1;

struct PolicyTable([bindings::nla_policy; bindings::VETH_INFO_PEER as usize + 1]);

static TABLE: PolicyTable = {
    // SAFETY: an all-zero `nla_policy` is "unspecified type, no checks".
    let mut p: [bindings::nla_policy; 2] = unsafe { MaybeUninit::zeroed().assume_init() };
    // The nested request starts with a `struct ifinfomsg`: at least that many bytes.
    p[bindings::VETH_INFO_PEER as usize].len = core::mem::size_of::<bindings::ifinfomsg>() as u16;
    PolicyTable(p)
};

// SAFETY: read-only after construction.
unsafe impl Sync for PolicyTable {}

/// The policy of a pair request: one attribute, `VETH_INFO_PEER` (veth's `veth_policy`).
pub static POLICY: Policy = Policy {
    maxtype: bindings::VETH_INFO_PEER,
    table: &TABLE.0,
};

/// The peer part of a request: its `ifinfomsg` (null if the request has none) and its
/// attribute table (the request's own attributes if it has none).
struct PeerRequest {
    ifm: *const bindings::ifinfomsg,
    tb: [*mut bindings::nlattr; IFLA_MAX + 1],
}

/// Parses `data[VETH_INFO_PEER]` of `link`, if the request has it.
fn peer_request<T: LinkOps>(link: &NewLink<'_, T>) -> Result<Option<PeerRequest>> {
    if link.data.is_null() {
        return Ok(None);
    }
    // SAFETY: `data` is the request's table of `POLICY.maxtype + 1` entries (a pair link
    // type registers `POLICY`).
    let nla = unsafe { rtnl::attr(link.data, bindings::VETH_INFO_PEER) };
    if nla.is_null() {
        return Ok(None);
    }
    let mut req = PeerRequest {
        // SAFETY: the policy guarantees at least `sizeof(struct ifinfomsg)` bytes.
        ifm: unsafe { bindings::nla_data(nla) }.cast(),
        tb: [core::ptr::null_mut(); IFLA_MAX + 1],
    };
    // SAFETY: `nla` is a validated nested attribute (the policy); `req.tb` has
    // `IFLA_MAX + 1` slots.
    to_result(unsafe {
        bindings::rtnl_nla_parse_ifinfomsg(req.tb.as_mut_ptr(), nla, link.extack)
    })?;
    // SAFETY: `req.tb` was just parsed.
    unsafe { rtnl::validate_ether_address(req.tb.as_mut_ptr()) }?;
    Ok(Some(req))
}

/// Creates and registers the peer of the device `link` is creating, as `veth_newlink`
/// does: its name, namespace, address, MTU and flags come from the request's peer part
/// (`peer name X netns Y ...`), else a name from the kind (`<kind>%d`) and a random
/// address. A second call fails with `EEXIST`; if the request fails later, the peer is
/// unregistered with it.
pub fn create_peer<T: LinkOps>(link: &mut NewLink<'_, T>) -> Result<ARef<Device>> {
    if link.extra.is_some() {
        return Err(EEXIST);
    }
    let mut req = peer_request(link)?;
    let (ifm, tbp) = match req.as_mut() {
        Some(r) => (r.ifm, r.tb.as_mut_ptr()),
        None => (core::ptr::null(), link.tb),
    };
    let mut name = [0u8; bindings::IFNAMSIZ as usize];
    // SAFETY: `tbp` is a table of IFLA_MAX + 1 entries.
    let name_attr = unsafe { rtnl::attr(tbp, bindings::IFLA_IFNAME) };
    let assign = if !ifm.is_null() && !name_attr.is_null() {
        // SAFETY: `name` has IFNAMSIZ bytes; `nla_strscpy` NUL-terminates.
        unsafe { bindings::nla_strscpy(name.as_mut_ptr().cast(), name_attr, name.len()) };
        bindings::NET_NAME_USER
    } else {
        let kind = T::KIND.as_bytes();
        let n = kind.len().min(name.len() - 3);
        name[..n].copy_from_slice(&kind[..n]);
        name[n..n + 2].copy_from_slice(b"%d");
        bindings::NET_NAME_ENUM
    };
    // SAFETY: `src_net` is the request's namespace and `tbp` an attribute table, RTNL held.
    let net = unsafe { rtnl::link_net(link.src_net, tbp) }?;
    // SAFETY: RTNL is held (newlink); `rtnl_create_link` set `dev->rtnl_link_ops` to our
    // registered ops before calling newlink, so the peer is of the same link type.
    let peer = unsafe {
        bindings::rtnl_create_link(
            net.as_ptr(),
            name.as_ptr().cast(),
            assign as u8,
            (*link.dev).rtnl_link_ops,
            tbp,
            link.extack,
        )
    };
    let peer = match crate::error::from_err_ptr(peer) {
        Ok(peer) => peer,
        Err(e) => {
            // SAFETY: we hold the reference `rtnl_link_get_net` took.
            unsafe { bindings::put_net(net.as_ptr()) };
            return Err(e);
        }
    };
    // SAFETY: a fully set-up device; on failure it is ours to free.
    let err = unsafe { bindings::register_netdevice(peer) };
    // SAFETY: the device holds its own reference on the namespace now.
    unsafe { bindings::put_net(net.as_ptr()) };
    if err < 0 {
        // SAFETY: registration failed, so nothing else references the device.
        unsafe { bindings::free_netdev(peer) };
        return Err(Error::from_errno(err));
    }
    link.extra = Some(peer);
    // SAFETY: the peer is registered; apply the request's flags (`up`, ...).
    to_result(unsafe { bindings::rtnl_configure_link(peer, ifm, 0, core::ptr::null()) })?;
    // SAFETY: the peer is registered and valid; the counted reference keeps it so.
    Ok(ARef::from(unsafe { Device::from_raw(peer) }))
}
