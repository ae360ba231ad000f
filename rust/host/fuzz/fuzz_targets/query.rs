// SPDX-License-Identifier: GPL-2.0
//! Any text through rroute's query parser (samples/rroute/query.rs): no panic, and every
//! accepted query prints as a line that parses back to the same query.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netdive_host::rroute_query::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(q) = parse(line) {
        let text = q.to_string();
        assert!(parse(&text) == Ok(q), "{line:?} -> {text:?}");
    }
});
