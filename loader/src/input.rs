//! A bounds-checked view of an untrusted byte stream, shared by all parsers.
//!
//! Parsers are written once, generic over `Read + Seek`: the mmap and
//! whole-read backends hand them a `Cursor<&[u8]>`, the reader backend a file
//! (optionally buffered). `Input` tracks the position itself (no `seek`
//! syscall to ask) and checks every length against the bytes remaining
//! *before* allocating.

use crate::error::{LoadError, Result};
use std::io::{Read, Seek, SeekFrom};

/// A bounds-checked reader over an untrusted stream of known length.
pub struct Input<'f, R> {
    r: R,
    pos: u64,
    len: u64,
    file: &'f str,
    /// Bytes of parsed structure this parse may still build.
    budget_left: u64,
    budget: u64,
}

impl<'f, R: Read + Seek> Input<'f, R> {
    /// `r` must be positioned at offset 0 of a stream of `len` bytes.
    pub fn new(r: R, len: u64, file: &'f str) -> Self {
        Input {
            r,
            pos: 0,
            len,
            file,
            budget_left: u64::MAX,
            budget: u64::MAX,
        }
    }

    /// Sets how many bytes of parsed structure the parse may build
    /// ([`crate::Limits::parse_budget`]); unlimited until called.
    pub fn set_budget(&mut self, bytes: u64) {
        self.budget = bytes;
        self.budget_left = bytes;
    }

    /// Charges `bytes` of parsed structure against the budget, before the
    /// parser allocates them. Fails with `LimitExceeded` (field `parse
    /// memory`) naming what was being built.
    pub fn charge(&mut self, bytes: u64, what: &'static str) -> Result<()> {
        match self.budget_left.checked_sub(bytes) {
            Some(left) => {
                self.budget_left = left;
                Ok(())
            }
            None => Err(LoadError::LimitExceeded {
                file: self.file.to_owned(),
                offset: Some(self.pos),
                field: what,
                found: (self.budget - self.budget_left).saturating_add(bytes),
                limit: self.budget,
            }),
        }
    }

    /// Bytes of parsed structure charged so far.
    pub fn charged(&self) -> u64 {
        self.budget - self.budget_left
    }

    /// Current offset.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Length of the stream.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for an empty stream.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes left after the current offset.
    pub fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    /// The file name errors carry.
    pub fn file(&self) -> &'f str {
        self.file
    }

    /// Fails unless `n` bytes remain.
    pub fn need(&self, n: u64, field: &'static str) -> Result<()> {
        if n > self.remaining() {
            return Err(LoadError::Truncated {
                file: self.file.to_owned(),
                offset: Some(self.pos),
                field,
                needed: n,
                available: self.remaining(),
            });
        }
        Ok(())
    }

    /// Fills `buf`, failing with `Truncated` if the stream is shorter.
    pub fn read_exact(&mut self, buf: &mut [u8], field: &'static str) -> Result<()> {
        self.need(buf.len() as u64, field)?;
        self.r
            .read_exact(buf)
            .map_err(|e| self.io_err(e, field, buf.len() as u64))?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    fn io_err(&self, e: std::io::Error, field: &'static str, needed: u64) -> LoadError {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            // The stream is shorter than its announced length (file shrank).
            LoadError::Truncated {
                file: self.file.to_owned(),
                offset: Some(self.pos),
                field,
                needed,
                available: 0,
            }
        } else {
            LoadError::io(self.file, e)
        }
    }

    /// Reads `N` bytes.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        self.read_exact(&mut b, field)?;
        Ok(b)
    }

    /// Reads a byte.
    pub fn u8(&mut self, field: &'static str) -> Result<u8> {
        Ok(self.array::<1>(field)?[0])
    }
    /// Reads a little-endian u16.
    pub fn u16(&mut self, field: &'static str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }
    /// Reads a little-endian u32.
    pub fn u32(&mut self, field: &'static str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }
    /// Reads a little-endian u64.
    pub fn u64(&mut self, field: &'static str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    /// Reads `n` bytes into a fresh vector after checking `n` against `limit`
    /// and the bytes remaining.
    pub fn vec(&mut self, n: u64, field: &'static str, limit: u64) -> Result<Vec<u8>> {
        if n > limit {
            return Err(self.limit(field, n, limit));
        }
        self.need(n, field)?;
        let mut v = vec![0u8; n as usize];
        self.read_exact(&mut v, field)?;
        Ok(v)
    }

    /// Moves forward `n` bytes without reading them.
    pub fn skip(&mut self, n: u64, field: &'static str) -> Result<()> {
        self.need(n, field)?;
        let delta = i64::try_from(n).map_err(|_| self.overflow(field))?;
        self.r.seek_relative(delta).map_err(|e| LoadError::io(self.file, e))?;
        self.pos += n;
        Ok(())
    }

    /// Moves to an absolute offset inside the stream.
    pub fn seek_to(&mut self, pos: u64, field: &'static str) -> Result<()> {
        if pos > self.len {
            return Err(LoadError::Truncated {
                file: self.file.to_owned(),
                offset: Some(self.pos),
                field,
                needed: pos,
                available: self.len,
            });
        }
        if pos >= self.pos {
            return self.skip(pos - self.pos, field);
        }
        self.r
            .seek(SeekFrom::Start(pos))
            .map_err(|e| LoadError::io(self.file, e))?;
        self.pos = pos;
        Ok(())
    }

    /// A `LimitExceeded` error at the current offset.
    pub fn limit(&self, field: &'static str, found: u64, limit: u64) -> LoadError {
        LoadError::LimitExceeded {
            file: self.file.to_owned(),
            offset: Some(self.pos),
            field,
            found,
            limit,
        }
    }

    /// An `Invalid` error at the current offset.
    pub fn invalid(&self, field: &'static str, reason: impl Into<String>) -> LoadError {
        self.invalid_at(self.pos, field, reason)
    }

    /// An `Invalid` error at `offset`.
    pub fn invalid_at(&self, offset: u64, field: &'static str, reason: impl Into<String>) -> LoadError {
        LoadError::Invalid {
            file: self.file.to_owned(),
            offset: Some(offset),
            field,
            reason: reason.into(),
        }
    }

    /// An `Overflow` error.
    pub fn overflow(&self, field: &str) -> LoadError {
        LoadError::Overflow {
            file: self.file.to_owned(),
            field: field.to_owned(),
        }
    }
}
