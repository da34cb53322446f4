//! A secret value that cannot leak through `Debug`, `Display`, logs or panics.
//!
//! Every password, key and keystore value in es-autoconf travels as a [`Secret`].
//! It has no `Display` impl, its `Debug` prints `<redacted>`, and its bytes are zeroed on drop.
//! The only way to see the bytes is [`Secret::expose`], which makes every use greppable.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// Secret bytes (usually UTF-8 text), zeroed on drop.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps bytes; the caller's buffer is moved, not copied.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Wraps a copy of a string's bytes.
    pub fn from_str_copy(s: &str) -> Self {
        Self::new(s.as_bytes().to_vec())
    }

    /// Takes ownership of a `String`, without leaving a copy behind.
    pub fn from_string(s: String) -> Self {
        Self::new(s.into_bytes())
    }

    /// The secret bytes. Every call site is a place where the secret is used on purpose.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret as text, when it is valid UTF-8.
    pub fn expose_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty (an empty keystore password is legal).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<Vec<u8>> for Secret {
    fn from(mut v: Vec<u8>) -> Self {
        let s = Self::new(v.clone());
        v.zeroize();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_bytes() {
        let s = Secret::from_str_copy("hunter2-very-secret");
        let shown = format!("{s:?} {:?}", vec![s.clone()]);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert_eq!(s.expose_str(), Some("hunter2-very-secret"));
    }
}
