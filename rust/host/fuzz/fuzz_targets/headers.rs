// SPDX-License-Identifier: GPL-2.0
//! Any bytes through the header parsers: no panic, no read past the input, and a
//! parsed packet's ports exist only for TCP/UDP.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netdive_host::hdr;

fuzz_target!(|data: &[u8]| {
    for gso in [false, true] {
        if let Ok(p) = hdr::ip(data, gso) {
            if p.ports().is_some() {
                assert!(p.proto == hdr::proto::TCP || p.proto == hdr::proto::UDP);
            }
        }
    }
    if let Ok((_, payload)) = hdr::ethernet(data) {
        let _ = hdr::ip(payload, false);
    }
});
