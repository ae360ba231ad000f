// SPDX-License-Identifier: GPL-2.0
//! Any text through the rule parser: no panic, and every accepted rule prints as a line
//! that parses back to the same rule.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netdive_host::rules::{parse, Command};

fuzz_target!(|data: &[u8]| {
    let Ok(line) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(Command::Add(rule)) = parse(line) {
        let text = format!("{rule}");
        assert_eq!(parse(&text), Ok(Command::Add(rule)), "{line:?} -> {text:?}");
    }
});
