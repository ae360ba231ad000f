// SPDX-License-Identifier: GPL-2.0
//! Any text through rsock's command parser (samples/rsock/cmd.rs): no panic, and every
//! accepted command prints as a line that parses back to the same command.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netdive_host::rsock_cmd::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = parse(line) {
        let text = c.to_string();
        assert!(parse(&text) == Ok(c), "{line:?} -> {text:?}");
    }
});
