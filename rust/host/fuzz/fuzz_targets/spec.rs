// SPDX-License-Identifier: GPL-2.0
//! Any text through rxdp's command parser (samples/rxdp/spec.rs): no panic, and every
//! accepted command prints as a line that parses back to the same command.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netdive_host::rxdp_spec::{parse, Command};

fuzz_target!(|data: &[u8]| {
    let Ok(line) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(cmd) = parse(line) {
        let text = match cmd {
            Command::Attach(dev, spec) => format!("attach {dev} {spec}"),
            Command::Detach(dev) => format!("detach {dev}"),
        };
        assert!(parse(&text) == Ok(cmd), "{line:?} -> {text:?}");
    }
});
