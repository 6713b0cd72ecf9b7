//! NPZ: a zip of `.npy` members, stored (`np.savez`) or deflated
//! (`np.savez_compressed`).

use super::npy::{self, NpyError};
use super::zip::{self, Method};
use crate::error::{LoadError, Result};
use crate::input::Input;
use crate::inventory::{DataRef, Format, Inventory, Layout, StoredMember, TensorInfo};
use crate::limits::Limits;
use std::collections::HashSet;
use std::io::{Read, Seek};

/// The most an NPY preamble can take before its dict: magic, version, u32 length.
const NPY_PREFIX: u64 = 12;

/// Reads the central directory and each member's NPY header. Deflated
/// members are inflated only as far as their header.
pub fn inspect<R: Read + Seek>(input: &mut Input<R>, entries: &[zip::Entry], limits: &Limits) -> Result<Inventory> {
    let mut tensors = Vec::with_capacity(entries.len());
    let mut version = 0;
    let mut header_bytes = 0u64;
    let mut names = HashSet::with_capacity(entries.len());
    for e in entries {
        let Some(name) = e.name.strip_suffix(".npy") else {
            continue;
        };
        if !names.insert(name) {
            return Err(input.invalid_at(
                e.header_offset,
                "zip member name",
                format!("two members are named {:?}", e.name),
            ));
        }
        if tensors.len() as u64 >= limits.max_tensors {
            return Err(input.limit("tensor count", tensors.len() as u64 + 1, limits.max_tensors));
        }
        let start = zip::data_offset(input, e)?;
        let mut want = NPY_PREFIX + 256;
        let h = loop {
            let prefix = zip::read_prefix(input, e, start, want)?;
            match npy::parse_header(&prefix, limits.max_header_bytes, limits.max_dims) {
                Ok(h) => break h,
                Err(NpyError::Short(n)) if n > want && n <= e.uncompressed => want = n,
                Err(NpyError::Short(n)) => {
                    return Err(LoadError::Truncated {
                        file: String::new(),
                        offset: Some(start),
                        field: "npy header",
                        needed: n,
                        available: e.uncompressed,
                    })
                }
                Err(NpyError::Invalid(m)) => {
                    return Err(input.invalid_at(start, "npy header", format!("{}: {m}", e.name)))
                }
                Err(NpyError::Unsupported(m)) => {
                    return Err(LoadError::Unsupported {
                        file: String::new(),
                        what: "npy array",
                        found: format!("{}: {m}", e.name),
                    })
                }
            }
        };
        version = version.max(u32::from(h.major));
        header_bytes += h.data_offset;
        let n_elem = h
            .shape
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .ok_or_else(|| input.overflow(&format!("element count of {}", e.name)))?;
        let len = h
            .dtype
            .byte_len(n_elem)
            .ok_or_else(|| input.overflow(&format!("byte length of {}", e.name)))?;
        if h.data_offset.checked_add(len) != Some(e.uncompressed) {
            return Err(input.invalid_at(
                start,
                "npy data",
                format!(
                    "{}: {} {:?} needs {len} bytes after a {}-byte header, member holds {}",
                    e.name, h.dtype, h.shape, h.data_offset, e.uncompressed
                ),
            ));
        }
        let data = match e.method {
            Method::Stored => DataRef::Range {
                offset: start + h.data_offset,
                len,
            },
            Method::Deflated => DataRef::Deflated {
                offset: start,
                compressed: e.compressed,
                uncompressed: e.uncompressed,
                crc32: e.crc32,
                skip: h.data_offset,
                len,
            },
        };
        let strides = (h.fortran_order && h.shape.len() > 1).then(|| fortran_strides(&h.shape));
        tensors.push(TensorInfo {
            name: name.to_owned(),
            dtype: h.dtype,
            shape: h.shape,
            data,
            layout: Layout {
                strides,
                big_endian: h.big_endian,
                stored_member: (e.method == Method::Stored).then_some(StoredMember {
                    offset: start,
                    len: e.uncompressed,
                    crc32: e.crc32,
                }),
            },
        });
    }
    Ok(Inventory {
        format: Format::Npz,
        version,
        file_bytes: input.len(),
        header_bytes,
        tensors,
        metadata: Vec::new(),
    })
}

/// Element strides of a column-major array, outermost dimension first.
pub fn fortran_strides(shape: &[u64]) -> Vec<u64> {
    let mut s = vec![1u64; shape.len()];
    for i in 1..shape.len() {
        s[i] = s[i - 1].saturating_mul(shape[i - 1]);
    }
    s
}
