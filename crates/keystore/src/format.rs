//! The file envelope: Lucene's codec header and footer around the hasPassword flag and the data
//! block (formats.md §1.2).
//!
//! Parsing checks every length against the bytes that are left *before* slicing or allocating,
//! so no input can make us allocate more than the input itself. Checks run in Lucene's order
//! (header, hasPassword, data, footer, checksum), so a damaged file gets the message Elasticsearch
//! would print for it.

use std::fmt;

use crate::error::Error;

/// Lucene's `CodecUtil.CODEC_MAGIC`, always written big-endian.
pub(crate) const CODEC_MAGIC: i32 = 0x3FD7_6C17;
/// Lucene's `CodecUtil.FOOTER_MAGIC`: the bitwise NOT of the codec magic.
pub(crate) const FOOTER_MAGIC: i32 = !CODEC_MAGIC;
/// The codec name, which is also the file name.
pub(crate) const CODEC_NAME: &str = "elasticsearch.keystore";
/// Footer: magic, algorithm id, 64-bit checksum.
const FOOTER_LEN: usize = 16;
/// Display limit for a foreign codec name in an error message.
const MAX_SHOWN_NAME: usize = 64;

/// Keystore format versions current Elasticsearch reads (formats.md §1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FormatVersion {
    /// ES 6.3: AES-GCM payload; every entry also carries a type string.
    V3 = 3,
    /// ES 6.8 / 7.1: no type strings.
    V4 = 4,
    /// ES 8.0–8.13: the envelope's ints become little-endian.
    V5 = 5,
    /// ES 8.14+: 210,000 KDF iterations instead of 10,000.
    V6 = 6,
}

impl FormatVersion {
    /// What current Elasticsearch writes.
    pub const CURRENT: FormatVersion = FormatVersion::V6;

    /// The version for a number, if Elasticsearch 8+ reads it.
    pub fn from_number(n: i32) -> Option<Self> {
        match n {
            3 => Some(Self::V3),
            4 => Some(Self::V4),
            5 => Some(Self::V5),
            6 => Some(Self::V6),
            _ => None,
        }
    }

    /// The number stored in the header.
    pub fn number(self) -> i32 {
        self as i32
    }

    /// PBKDF2 iterations for this version: raised in v6 (`HIGHER_KDF_ITERATION_COUNT_VERSION`).
    pub fn kdf_iterations(self) -> u32 {
        if self >= Self::V6 {
            210_000
        } else {
            10_000
        }
    }

    /// Whether the envelope's ints are little-endian (Lucene 9 `DataOutput`, from v5).
    pub(crate) fn little_endian(self) -> bool {
        self >= Self::V5
    }

    /// The version a keystore read in this version is written back in. We write only v5 and v6;
    /// v3/v4 become v5, which uses the same 10,000-iteration KDF, so their derived key is reused.
    pub fn writable(self) -> Self {
        self.max(Self::V5)
    }
}

impl fmt::Display for FormatVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// A bounds-checked cursor over a byte slice. Every read returns `None` instead of panicking
/// when the input is too short.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// The next `n` bytes, or `None` (consuming nothing) when fewer are left.
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.buf.len() {
            return None;
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[b]| b)
    }

    pub(crate) fn be_u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_be_bytes)
    }

    pub(crate) fn be_i32(&mut self) -> Option<i32> {
        self.array().map(i32::from_be_bytes)
    }

    pub(crate) fn i32(&mut self, little_endian: bool) -> Option<i32> {
        self.array().map(|b| {
            if little_endian {
                i32::from_le_bytes(b)
            } else {
                i32::from_be_bytes(b)
            }
        })
    }

    pub(crate) fn be_u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_be_bytes)
    }

    /// Lucene's `readVInt`: 7 bits per byte, low group first, at most 5 bytes.
    fn vint(&mut self) -> Option<u32> {
        let mut value: u32 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.u8()?;
            value |= u32::from(b & 0x7F).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
}

/// A parsed, still encrypted keystore file: header fields and the raw data block.
///
/// This is Elasticsearch's `KeyStoreWrapper.load`: it needs no password. Use
/// [`KeystoreFile::decrypt`] (or [`KeystoreFile::derive_key`] then [`KeystoreFile::decrypt_with`])
/// to read the entries.
#[derive(Clone, PartialEq, Eq)]
pub struct KeystoreFile {
    pub(crate) version: FormatVersion,
    pub(crate) has_password: bool,
    pub(crate) data: Vec<u8>,
}

impl fmt::Debug for KeystoreFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeystoreFile")
            .field("version", &self.version)
            .field("has_password", &self.has_password)
            .field("data_len", &self.data.len())
            .finish()
    }
}

impl KeystoreFile {
    /// Parses the envelope of a keystore file and verifies its checksum.
    ///
    /// Errors are Lucene's and Elasticsearch's (header, codec, version, hasPassword, footer,
    /// checksum); they do not name the file: [`crate::store::load`] adds the path.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        Self::parse_checked(bytes, true)
    }

    /// [`KeystoreFile::parse`], optionally without comparing the checksum (fuzzing only, so that
    /// mutations reach the code behind it).
    pub(crate) fn parse_checked(bytes: &[u8], verify_checksum: bool) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let eof = |what| move || Error::ReadPastEof { what };

        // CodecUtil.checkHeader: magic, codec name, version range.
        let magic = r.be_i32().ok_or_else(eof("codec header"))?;
        if magic != CODEC_MAGIC {
            return Err(Error::HeaderMismatch { actual: magic });
        }
        let name_len = r.vint().ok_or_else(eof("codec name"))?;
        let name = usize::try_from(name_len)
            .ok()
            .and_then(|n| r.take(n))
            .ok_or_else(eof("codec name"))?;
        if name != CODEC_NAME.as_bytes() {
            let shown = String::from_utf8_lossy(name)
                .chars()
                .take(MAX_SHOWN_NAME)
                .collect();
            return Err(Error::CodecMismatch { actual: shown });
        }
        let number = r.be_i32().ok_or_else(eof("format version"))?;
        let version = match FormatVersion::from_number(number) {
            Some(v) => v,
            None if number < FormatVersion::V3.number() => {
                return Err(Error::FormatTooOld { version: number })
            }
            None => return Err(Error::FormatTooNew { version: number }),
        };

        let flag = r.u8().ok_or_else(eof("hasPassword flag"))?;
        let has_password = match flag {
            0 => false,
            1 => true,
            byte => return Err(Error::HasPasswordCorrupt { byte }),
        };

        // Before v5 the length was written big-endian; ES reverses the bytes it reads.
        let data_len = r
            .i32(version.little_endian())
            .ok_or_else(eof("data block length"))?;
        let data_len = usize::try_from(data_len).map_err(|_| Error::NegativeLength {
            what: "data block",
            value: data_len,
        })?;
        let data = r.take(data_len).ok_or_else(eof("data block"))?;

        // CodecUtil.checkFooter: position, magic, algorithm, checksum.
        if r.remaining() != FOOTER_LEN {
            return Err(Error::MisplacedFooter {
                remaining: r.remaining(),
            });
        }
        let footer = r.be_i32().ok_or_else(eof("codec footer"))?;
        if footer != FOOTER_MAGIC {
            return Err(Error::FooterMismatch { actual: footer });
        }
        let algorithm = r.be_i32().ok_or_else(eof("codec footer"))?;
        if algorithm != 0 {
            return Err(Error::UnknownChecksumAlgorithm { id: algorithm });
        }
        let expected = r.be_u64().ok_or_else(eof("checksum"))?;
        if expected >> 32 != 0 {
            return Err(Error::IllegalChecksum { value: expected });
        }
        // The footer is exactly the last 16 bytes here, so this subtraction cannot underflow.
        let actual = crc32fast::hash(&bytes[..bytes.len() - 8]);
        if verify_checksum && u64::from(actual) != expected {
            return Err(Error::ChecksumFailed { expected, actual });
        }

        Ok(Self {
            version,
            has_password,
            data: data.to_vec(),
        })
    }

    /// The format version in the header.
    pub fn version(&self) -> FormatVersion {
        self.version
    }

    /// Whether the keystore was saved with a non-empty password (the hasPassword byte).
    pub fn has_password(&self) -> bool {
        self.has_password
    }
}

/// Writes a whole file around an already built data block.
pub(crate) fn write_envelope(version: FormatVersion, has_password: bool, data: &[u8]) -> Vec<u8> {
    let le = version.little_endian();
    let int = |v: i32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let mut out = Vec::with_capacity(32 + 4 + data.len() + FOOTER_LEN);
    out.extend_from_slice(&CODEC_MAGIC.to_be_bytes());
    // The name is 22 bytes, so its VInt length is a single byte.
    out.push(CODEC_NAME.len() as u8);
    out.extend_from_slice(CODEC_NAME.as_bytes());
    out.extend_from_slice(&version.number().to_be_bytes());
    out.push(u8::from(has_password));
    out.extend_from_slice(&int(len_i32(data.len())));
    out.extend_from_slice(data);
    out.extend_from_slice(&FOOTER_MAGIC.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&u64::from(crc).to_be_bytes());
    out
}

/// A length as the format's signed 32-bit int. Callers keep sizes under
/// [`MAX_FILE_SIZE`](crate::MAX_FILE_SIZE), far below `i32::MAX`; saturating keeps this total.
pub(crate) fn len_i32(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}
