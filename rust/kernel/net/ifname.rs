// SPDX-License-Identifier: GPL-2.0

//! A device name as a user writes it in a control file (`rxdp`, `rroute`).
//!
//! Pure code with no kernel dependency, so the parsers that use it build on the host
//! too (`rust/host/`). The kernel's rules for a name are `dev_valid_name`
//! (net/core/dev.c): 1 to `IFNAMSIZ` - 1 bytes, no `/`, no whitespace.

use core::fmt;

/// Longest device name (`IFNAMSIZ` - 1).
pub const NAME_MAX: usize = 15;

/// A device name, as written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name {
    bytes: [u8; NAME_MAX + 1],
    len: usize,
}

impl Name {
    /// Checks a name as `dev_valid_name` would (and refuses control characters).
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.is_empty() || s.len() > NAME_MAX || s.bytes().any(|b| b == b'/' || b <= b' ') {
            return Err("a device name is 1 to 15 characters, no '/' or spaces");
        }
        let mut bytes = [0u8; NAME_MAX + 1];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Ok(Self {
            bytes,
            len: s.len(),
        })
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("?")
    }

    /// The name with its NUL terminator, for `dev_get_by_name`.
    pub fn with_nul(&self) -> &[u8] {
        &self.bytes[..=self.len]
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
