//! Minimal zip reader shared by NPZ and PyTorch zip archives.
//!
//! Only what those writers produce: stored and deflated members, zip64
//! sizes and offsets, data descriptors (sizes taken from the central
//! directory). The `zip` crate reads archives fine, but we need each stored
//! member's absolute data offset so the mmap backend can hand out tensor
//! bytes without copying, and we need every count checked against
//! `Limits` and the file size before anything is allocated.

use crate::error::{LoadError, Result};
use crate::input::Input;
use crate::limits::Limits;
use std::io::{Read, Seek};

const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD64_LOCATOR_SIG: u32 = 0x0706_4b50;
const EOCD64_SIG: u32 = 0x0606_4b50;
const CDH_SIG: u32 = 0x0201_4b50;
const LFH_SIG: u32 = 0x0403_4b50;
const EOCD_LEN: u64 = 22;
const CDH_LEN: u64 = 46;
const LFH_LEN: u64 = 30;
/// Most bytes reserved before inflating a member (see [`inflate`]).
const INFLATE_RESERVE_BYTES: u64 = 64 << 20;
/// The EOCD record may be followed by a comment of at most 65 535 bytes.
const MAX_EOCD_SEARCH: u64 = EOCD_LEN + 0xFFFF;

/// Compression of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Method 0: the data as is.
    Stored,
    /// Method 8: raw deflate.
    Deflated,
}

/// One member of the central directory.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Member name.
    pub name: String,
    /// Compression method.
    pub method: Method,
    /// Compressed size.
    pub compressed: u64,
    /// Uncompressed size.
    pub uncompressed: u64,
    /// CRC-32 of the uncompressed data.
    pub crc32: u32,
    /// Absolute offset of the member's local file header.
    pub header_offset: u64,
    /// Where the next member's local header (or the central directory)
    /// starts: this member's header and data must end there at the latest.
    pub span_end: u64,
}

/// Reads the central directory. Costs: one read of the tail (≤ 64 KiB) and
/// one of the central directory; no member data is touched.
pub fn read_directory<R: Read + Seek>(input: &mut Input<R>, limits: &Limits) -> Result<Vec<Entry>> {
    let len = input.len();
    let tail_len = len.min(MAX_EOCD_SEARCH);
    input.seek_to(len - tail_len, "zip end of central directory")?;
    let tail = input.vec(tail_len, "zip end of central directory", MAX_EOCD_SEARCH)?;
    let eocd_rel = (0..tail.len().saturating_sub(EOCD_LEN as usize - 1))
        .rev()
        .find(|&i| le32(&tail[i..]) == EOCD_SIG)
        .ok_or_else(|| input.invalid_at(len, "zip end of central directory", "signature not found"))?;
    let eocd_pos = len - tail_len + eocd_rel as u64;
    let e = &tail[eocd_rel..];
    let mut n_entries = u64::from(le16(&e[10..]));
    let mut cd_size = u64::from(le32(&e[12..]));
    let mut cd_offset = u64::from(le32(&e[16..]));
    if le16(&e[4..]) != 0 || le16(&e[6..]) != 0 {
        return Err(input.invalid_at(eocd_pos, "zip disk number", "multi-disk archives are not supported"));
    }

    // Zip64: a locator 20 bytes before the EOCD points at the zip64 record.
    if eocd_pos >= 20 {
        let loc_pos = eocd_pos - 20;
        input.seek_to(loc_pos, "zip64 locator")?;
        if input.u32("zip64 locator")? == EOCD64_LOCATOR_SIG {
            input.skip(4, "zip64 locator")?;
            let rec = input.u64("zip64 end of central directory offset")?;
            input.seek_to(rec, "zip64 end of central directory")?;
            if input.u32("zip64 end of central directory")? != EOCD64_SIG {
                return Err(input.invalid_at(rec, "zip64 end of central directory", "bad signature"));
            }
            input.skip(8 + 2 + 2 + 4 + 4 + 8, "zip64 end of central directory")?;
            n_entries = input.u64("zip64 entry count")?;
            cd_size = input.u64("zip64 central directory size")?;
            cd_offset = input.u64("zip64 central directory offset")?;
        }
    }

    if n_entries > limits.max_zip_members {
        return Err(input.limit("zip member count", n_entries, limits.max_zip_members));
    }
    let cd_end = cd_offset
        .checked_add(cd_size)
        .ok_or_else(|| input.overflow("zip central directory end"))?;
    if cd_end > len {
        return Err(LoadError::Truncated {
            file: String::new(),
            offset: Some(cd_offset),
            field: "zip central directory",
            needed: cd_size,
            available: len.saturating_sub(cd_offset),
        });
    }
    if n_entries.saturating_mul(CDH_LEN) > cd_size {
        return Err(input.invalid_at(
            cd_offset,
            "zip entry count",
            format!("{n_entries} entries cannot fit in {cd_size} bytes"),
        ));
    }
    input.seek_to(cd_offset, "zip central directory")?;
    let cd = input.vec(cd_size, "zip central directory", limits.max_header_bytes)?;
    let mut entries = Vec::with_capacity(n_entries as usize);
    let mut p = 0usize;
    for _ in 0..n_entries {
        let at = cd_offset + p as u64;
        let h = cd
            .get(p..p + CDH_LEN as usize)
            .ok_or_else(|| input.invalid_at(at, "zip central directory entry", "runs past the directory"))?;
        if le32(h) != CDH_SIG {
            return Err(input.invalid_at(at, "zip central directory entry", "bad signature"));
        }
        let flags = le16(&h[8..]);
        let method = match le16(&h[10..]) {
            0 => Method::Stored,
            8 => Method::Deflated,
            m => {
                return Err(LoadError::Unsupported {
                    file: String::new(),
                    what: "zip compression method",
                    found: m.to_string(),
                })
            }
        };
        if flags & 1 != 0 {
            return Err(LoadError::Unsupported {
                file: String::new(),
                what: "zip encryption",
                found: "encrypted member".into(),
            });
        }
        let crc32 = le32(&h[16..]);
        let mut compressed = u64::from(le32(&h[20..]));
        let mut uncompressed = u64::from(le32(&h[24..]));
        let name_len = usize::from(le16(&h[28..]));
        let extra_len = usize::from(le16(&h[30..]));
        let comment_len = usize::from(le16(&h[32..]));
        let mut header_offset = u64::from(le32(&h[42..]));
        let var = p + CDH_LEN as usize;
        let end = var + name_len + extra_len + comment_len;
        let rest = cd.get(var..end).ok_or_else(|| {
            input.invalid_at(
                at,
                "zip central directory entry",
                "name or extra field runs past the directory",
            )
        })?;
        let name = std::str::from_utf8(&rest[..name_len])
            .map_err(|_| input.invalid_at(at, "zip member name", "not UTF-8"))?
            .to_owned();
        if name.contains('\0') {
            // No file system stores a name with NUL in it, and C readers
            // would see a different (shorter) name than this parser.
            return Err(input.invalid_at(at, "zip member name", format!("{name:?} contains a NUL byte")));
        }
        // Zip64 extended information: present fields replace 0xFFFFFFFF ones, in this order.
        let mut extra = &rest[name_len..name_len + extra_len];
        while extra.len() >= 4 {
            let id = le16(extra);
            let size = usize::from(le16(&extra[2..]));
            let body = extra
                .get(4..4 + size)
                .ok_or_else(|| input.invalid_at(at, "zip extra field", "runs past its entry"))?;
            if id == 1 {
                let mut b = body;
                let mut take = |v: &mut u64| -> Result<()> {
                    if *v == 0xFFFF_FFFF {
                        let x = b
                            .get(..8)
                            .ok_or_else(|| input.invalid_at(at, "zip64 extra field", "too short"))?;
                        *v = u64::from_le_bytes(x.try_into().expect("8 bytes"));
                        b = &b[8..];
                    }
                    Ok(())
                };
                take(&mut uncompressed)?;
                take(&mut compressed)?;
                take(&mut header_offset)?;
            }
            extra = &extra[4 + size..];
        }
        if uncompressed > limits.max_member_bytes {
            return Err(LoadError::LimitExceeded {
                file: String::new(),
                offset: Some(at),
                field: "zip member uncompressed size",
                found: uncompressed,
                limit: limits.max_member_bytes,
            });
        }
        if method == Method::Deflated
            && uncompressed > crate::limits::INFLATE_RATIO_FREE_BYTES
            && uncompressed > compressed.saturating_mul(limits.max_inflate_ratio)
        {
            return Err(LoadError::LimitExceeded {
                file: String::new(),
                offset: Some(at),
                field: "zip member inflate ratio",
                found: uncompressed / compressed.max(1),
                limit: limits.max_inflate_ratio,
            });
        }
        if method == Method::Stored && compressed != uncompressed {
            return Err(input.invalid_at(
                at,
                "zip member size",
                format!("stored member {name:?} has compressed size {compressed} != uncompressed {uncompressed}"),
            ));
        }
        if header_offset.saturating_add(LFH_LEN).saturating_add(compressed) > cd_offset {
            return Err(input.invalid_at(
                at,
                "zip local header offset",
                format!("member {name:?} overlaps the central directory"),
            ));
        }
        entries.push(Entry {
            name,
            method,
            compressed,
            uncompressed,
            crc32,
            header_offset,
            span_end: cd_offset,
        });
        p = end;
    }
    // Members may not overlap each other: the overlapping-file zip bomb
    // points many directory entries at one local header or into each
    // other's data, so a few KiB inflate to gigabytes. Each member's local
    // header, name and data must end before the next member's header
    // (checked again with the local header's extra field in `data_offset`).
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| entries[i].header_offset);
    for w in 0..order.len() {
        let next = order.get(w + 1).map_or(cd_offset, |&j| entries[j].header_offset);
        let e = &mut entries[order[w]];
        e.span_end = next;
        let least_end = e
            .header_offset
            .saturating_add(LFH_LEN)
            .saturating_add(e.name.len() as u64)
            .saturating_add(e.compressed);
        if least_end > next {
            return Err(input.invalid_at(
                e.header_offset,
                "zip local header offset",
                format!(
                    "member {:?} (local header at {}, ending at {least_end} at the earliest) overlaps {}",
                    e.name,
                    e.header_offset,
                    if w + 1 < order.len() {
                        "the next member"
                    } else {
                        "the central directory"
                    }
                ),
            ));
        }
    }
    Ok(entries)
}

/// Absolute offset of a member's data (after its local header). One small read.
pub fn data_offset<R: Read + Seek>(input: &mut Input<R>, e: &Entry) -> Result<u64> {
    input.seek_to(e.header_offset, "zip local header")?;
    let h: [u8; LFH_LEN as usize] = input.array("zip local header")?;
    if le32(&h) != LFH_SIG {
        return Err(input.invalid_at(e.header_offset, "zip local header", "bad signature"));
    }
    let name_len = u64::from(le16(&h[26..]));
    if name_len != e.name.len() as u64 || input.vec(name_len, "zip local header name", 0xFFFF)? != e.name.as_bytes() {
        return Err(input.invalid_at(
            e.header_offset,
            "zip local header name",
            format!("differs from the central directory's {:?}", e.name),
        ));
    }
    let start = e.header_offset + LFH_LEN + name_len + u64::from(le16(&h[28..]));
    let end = start
        .checked_add(e.compressed)
        .ok_or_else(|| input.overflow("zip member end"))?;
    if end > e.span_end && end <= input.len() {
        return Err(input.invalid_at(
            e.header_offset,
            "zip member data",
            format!(
                "member {:?} ends at {end}, past the next member's header or the central directory at {}",
                e.name, e.span_end
            ),
        ));
    }
    if end > input.len() {
        return Err(LoadError::Truncated {
            file: String::new(),
            offset: Some(start),
            field: "zip member data",
            needed: e.compressed,
            available: input.len().saturating_sub(start),
        });
    }
    Ok(start)
}

/// Reads up to `max` bytes from the start of a member's uncompressed
/// stream (used for NPY headers). Deflated members are inflated only that far.
pub fn read_prefix<R: Read + Seek>(input: &mut Input<R>, e: &Entry, data_start: u64, max: u64) -> Result<Vec<u8>> {
    let want = max.min(e.uncompressed);
    input.seek_to(data_start, "zip member data")?;
    match e.method {
        Method::Stored => input.vec(want, "zip member data", max),
        Method::Deflated => {
            let raw = input.vec(
                e.compressed.min(want.saturating_mul(4).saturating_add(4096)),
                "zip member data",
                u64::MAX,
            )?;
            let mut out = Vec::with_capacity(want as usize);
            let mut d = flate2::read::DeflateDecoder::new(&raw[..]);
            (&mut d)
                .take(want)
                .read_to_end(&mut out)
                .map_err(|err| input.invalid_at(data_start, "deflate stream", err.to_string()))?;
            Ok(out)
        }
    }
}

/// Inflates a whole deflated member from its compressed bytes (found at
/// `offset`), checking the size and CRC-32 the central directory promised.
/// Allocates exactly `uncompressed` bytes, which the directory parse has
/// already checked against [`Limits::max_member_bytes`].
pub fn inflate(file: &str, offset: u64, compressed: &[u8], uncompressed: u64, crc32: u32) -> Result<Vec<u8>> {
    let bad = |reason: String| LoadError::Invalid {
        file: file.to_owned(),
        offset: Some(offset),
        field: "deflate stream",
        reason,
    };
    // The directory's size is untrusted: reserve at most 64 MiB up front and
    // let the buffer grow only as far as the stream really inflates.
    let mut out = Vec::with_capacity(uncompressed.min(INFLATE_RESERVE_BYTES) as usize);
    let mut d = flate2::read::DeflateDecoder::new(compressed);
    (&mut d)
        .take(uncompressed + 1)
        .read_to_end(&mut out)
        .map_err(|err| bad(err.to_string()))?;
    if out.len() as u64 != uncompressed {
        return Err(bad(format!(
            "inflates to {} bytes, the directory says {uncompressed}",
            out.len()
        )));
    }
    let mut crc = flate2::Crc::new();
    crc.update(&out);
    if crc.sum() != crc32 {
        return Err(bad("CRC-32 mismatch".into()));
    }
    Ok(out)
}

fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}
