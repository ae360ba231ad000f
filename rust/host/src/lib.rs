// SPDX-License-Identifier: GPL-2.0
//! The pure parts of netdive's kernel code, built on the host for `cargo test`:
//! the very files the kernel crate compiles, included by path.
#![no_std]

#[path = "../../kernel/net/hdr.rs"]
pub mod hdr;

#[cfg(test)]
mod hdr_tests;
