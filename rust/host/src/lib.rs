// SPDX-License-Identifier: GPL-2.0
//! The pure parts of netdive's kernel code, built on the host for `cargo test`:
//! the very files the kernel compiles (the `kernel` crate's `net/hdr.rs` and `net/inet.rs`,
//! rfilter's rule language, rxdp's program language, rroute's queries, rsock's commands),
//! included by path.
#![no_std]

#[path = "../../kernel/net/hdr.rs"]
pub mod hdr;

#[path = "../../kernel/net/inet.rs"]
pub mod inet;

#[path = "../../kernel/net/ifname.rs"]
pub mod ifname;

#[path = "../../../samples/rfilter/rules.rs"]
pub mod rules;

#[path = "../../../samples/rxdp/spec.rs"]
pub mod rxdp_spec;

#[path = "../../../samples/rroute/query.rs"]
pub mod rroute_query;

#[path = "../../../samples/rsock/cmd.rs"]
pub mod rsock_cmd;

#[cfg(test)]
mod hdr_tests;
#[cfg(test)]
mod rroute_tests;
#[cfg(test)]
mod rsock_tests;
#[cfg(test)]
mod rules_tests;
#[cfg(test)]
mod rxdp_tests;
