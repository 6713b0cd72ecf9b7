//! GGUF v2/v3: magic, version, tensor and key/value counts, key/values,
//! tensor infos, padding to `general.alignment`, tensor data.
//!
//! Every count is checked against its limit and against the bytes left in
//! the file (each item needs a known minimum number of bytes) before
//! anything is allocated, as candle's reader does; element counts are kept
//! under `i64::MAX` and tensor types must be known, as llama.cpp requires
//! since its 2024 advisories; tensor data must be aligned, in bounds and
//! non-overlapping.
//!
//! Numeric metadata arrays are read with one bulk read, not one read per
//! element, so a reader without a buffer pays one syscall per array.
//! Arrays of strings and numbers are stored packed (`Arrays::Packed`):
//! a 262 144-token vocabulary becomes two allocations, not 262 144 (H23).

use crate::dtype::{dtype_of_ggml, GgmlType};
use crate::error::{LoadError, Result};
use crate::input::Input;
use crate::inventory::{DataRef, Format, Inventory, Layout, TensorInfo};
use crate::limits::{Limits, GGUF_MAX_DIMS};
use crate::metadata::{MetaValue, Numbers, StrArray};
use std::collections::HashSet;
use std::io::{Read, Seek};

/// "GGUF" read as a little-endian u32.
pub const MAGIC: &[u8; 4] = b"GGUF";
/// ggml type ids this crate knows but does not read, with why: ids retired
/// from ggml (files written with them are refused by llama.cpp too), and
/// types too new for a reference implementation on the package registries
/// (gguf-py 0.19.0, the newest, has none for Q2_0).
fn unsupported_ggml_type(id: u32) -> Option<&'static str> {
    Some(match id {
        4 => "Q4_2 (retired from ggml; some converters reused the id for MXFP4)",
        5 => "Q4_3 (retired from ggml)",
        31..=33 => "Q4_0_4_4 / Q4_0_4_8 / Q4_0_8_8 (retired: repacked at load time since)",
        36..=38 => "IQ4_NL_4_4 / IQ4_NL_4_8 / IQ4_NL_8_8 (retired)",
        42 => "Q2_0 (added to ggml in 2026; no reference dequantizer to check against yet)",
        _ => return None,
    })
}

/// The ggml type id of a tensor's dtype, for messages.
fn ggml_id(d: crate::DType) -> u32 {
    match d {
        crate::DType::Ggml(t) => t.id(),
        other => GgmlType::ALL
            .iter()
            .find(|t| t.plain() == Some(other))
            .map_or(u32::MAX, |t| t.id()),
    }
}

/// Alignment when `general.alignment` is absent (GGUF_DEFAULT_ALIGNMENT).
pub const DEFAULT_ALIGNMENT: u64 = 32;

/// Smallest encoding of one key/value: key length (8) + empty key + type (4) + a u8.
const MIN_KV_BYTES: u64 = 8 + 4 + 1;
/// Smallest tensor info: name length (8) + n_dims (4) + type (4) + offset (8).
const MIN_TENSOR_INFO_BYTES: u64 = 8 + 4 + 4 + 8;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ValueType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    Bool,
    Str,
    Array,
    U64,
    I64,
    F64,
}

impl ValueType {
    fn from_id(id: u32) -> Option<ValueType> {
        use ValueType::*;
        Some(match id {
            0 => U8,
            1 => I8,
            2 => U16,
            3 => I16,
            4 => U32,
            5 => I32,
            6 => F32,
            7 => Bool,
            8 => Str,
            9 => Array,
            10 => U64,
            11 => I64,
            12 => F64,
            _ => return None,
        })
    }

    /// Fixed size of a scalar of this type; `None` for strings and arrays.
    fn size(self) -> Option<u64> {
        use ValueType::*;
        match self {
            U8 | I8 | Bool => Some(1),
            U16 | I16 => Some(2),
            U32 | I32 | F32 => Some(4),
            U64 | I64 | F64 => Some(8),
            Str | Array => None,
        }
    }
}

/// How metadata arrays are stored in the inventory.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Arrays {
    /// Strings in one buffer with end offsets ([`StrArray`]), numbers in a
    /// typed vector ([`Numbers`]); arrays of arrays per element. The default.
    #[default]
    Packed,
    /// One [`MetaValue`] per element, as gguf-py and candle store them —
    /// H23's baseline, kept so the experiment can replay it.
    PerElement,
}

struct Parser<'a, 'f, R> {
    input: &'a mut Input<'f, R>,
    limits: &'a Limits,
    arrays: Arrays,
}

impl<R: Read + Seek> Parser<'_, '_, R> {
    fn string(&mut self, field: &'static str) -> Result<String> {
        let at = self.input.pos();
        let n = self.input.u64(field)?;
        if n > 0 {
            // Heap block of a non-empty string, with the allocator's header.
            self.input.charge(n.saturating_add(16), "GGUF metadata memory")?;
        }
        let bytes = self.input.vec(n, field, self.limits.max_string_bytes)?;
        String::from_utf8(bytes).map_err(|e| {
            self.input
                .invalid_at(at + 8 + e.utf8_error().valid_up_to() as u64, field, "not UTF-8")
        })
    }

    fn value_type(&mut self, field: &'static str) -> Result<ValueType> {
        let at = self.input.pos();
        let id = self.input.u32(field)?;
        ValueType::from_id(id).ok_or_else(|| self.input.invalid_at(at, field, format!("unknown value type {id}")))
    }

    fn scalar(&mut self, t: ValueType, b: &[u8]) -> Result<MetaValue> {
        use ValueType::*;
        Ok(match t {
            U8 => MetaValue::UInt(u64::from(b[0])),
            I8 => MetaValue::Int(i64::from(b[0] as i8)),
            U16 => MetaValue::UInt(u64::from(u16::from_le_bytes([b[0], b[1]]))),
            I16 => MetaValue::Int(i64::from(i16::from_le_bytes([b[0], b[1]]))),
            U32 => MetaValue::UInt(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
            I32 => MetaValue::Int(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
            F32 => MetaValue::Float(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
            Bool => match b[0] {
                0 => MetaValue::Bool(false),
                1 => MetaValue::Bool(true),
                v => return Err(self.input.invalid("bool value", format!("{v} is neither 0 nor 1"))),
            },
            U64 => MetaValue::UInt(u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))),
            I64 => MetaValue::Int(i64::from_le_bytes(b[..8].try_into().expect("8 bytes"))),
            F64 => MetaValue::Float(f64::from_le_bytes(b[..8].try_into().expect("8 bytes"))),
            Str | Array => unreachable!("not a scalar"),
        })
    }

    fn value(&mut self, t: ValueType, depth: u32) -> Result<MetaValue> {
        match t {
            ValueType::Str => Ok(MetaValue::Str(self.string("string value")?)),
            ValueType::Array => self.array(depth + 1),
            _ => {
                let size = t.size().expect("scalar") as usize;
                let mut b = [0u8; 8];
                self.input.read_exact(&mut b[..size], "scalar value")?;
                self.scalar(t, &b)
            }
        }
    }

    fn array(&mut self, depth: u32) -> Result<MetaValue> {
        if depth > self.limits.max_nesting {
            return Err(self
                .input
                .limit("array nesting", u64::from(depth), u64::from(self.limits.max_nesting)));
        }
        let t = self.value_type("array element type")?;
        let n = self.input.u64("array length")?;
        if n > self.limits.max_array_len {
            return Err(self.input.limit("array length", n, self.limits.max_array_len));
        }
        // Every element takes at least one byte (8 for strings and arrays).
        let min = t.size().unwrap_or(8);
        self.input.need(n.saturating_mul(min), "array elements")?;
        if self.arrays == Arrays::Packed {
            match t.size() {
                Some(size) => return self.numbers(t, n, size),
                None if t == ValueType::Str => return self.strings(n),
                None => {}
            }
        }
        self.input.charge(
            n.saturating_mul(std::mem::size_of::<MetaValue>() as u64),
            "GGUF metadata memory",
        )?;
        let mut items = Vec::with_capacity(n as usize);
        match t.size() {
            Some(size) => {
                let bytes = self.input.vec(n * size, "array elements", u64::MAX)?;
                for chunk in bytes.chunks_exact(size as usize) {
                    items.push(self.scalar(t, chunk)?);
                }
            }
            None => {
                for _ in 0..n {
                    items.push(self.value(t, depth)?);
                }
            }
        }
        Ok(MetaValue::Array(items))
    }

    /// `n` scalars of `size` bytes, read in one piece into a typed vector.
    fn numbers(&mut self, t: ValueType, n: u64, size: u64) -> Result<MetaValue> {
        let at = self.input.pos();
        // The raw bytes and the typed vector are alive together.
        self.input
            .charge(n.saturating_mul(size).saturating_mul(2), "GGUF metadata memory")?;
        let b = self.input.vec(n * size, "array elements", u64::MAX)?;
        fn le<const N: usize, T>(b: &[u8], f: fn([u8; N]) -> T) -> Vec<T> {
            b.chunks_exact(N).map(|c| f(c.try_into().unwrap_or([0; N]))).collect()
        }
        use ValueType::*;
        Ok(MetaValue::Numbers(match t {
            U8 => Numbers::U8(b),
            I8 => Numbers::I8(b.iter().map(|&x| x as i8).collect()),
            U16 => Numbers::U16(le(&b, u16::from_le_bytes)),
            I16 => Numbers::I16(le(&b, i16::from_le_bytes)),
            U32 => Numbers::U32(le(&b, u32::from_le_bytes)),
            I32 => Numbers::I32(le(&b, i32::from_le_bytes)),
            F32 => Numbers::F32(le(&b, f32::from_le_bytes)),
            U64 => Numbers::U64(le(&b, u64::from_le_bytes)),
            I64 => Numbers::I64(le(&b, i64::from_le_bytes)),
            F64 => Numbers::F64(le(&b, f64::from_le_bytes)),
            Bool => {
                if let Some(i) = b.iter().position(|&x| x > 1) {
                    return Err(self.input.invalid_at(
                        at + i as u64,
                        "bool value",
                        format!("{} is neither 0 nor 1", b[i]),
                    ));
                }
                Numbers::Bool(b.iter().map(|&x| x == 1).collect())
            }
            Str | Array => unreachable!("not a scalar"),
        }))
    }

    /// `n` strings into one buffer. Each is checked as a single string is,
    /// against the string limit and the bytes left before it is read. UTF-8
    /// is validated once over the whole buffer, with every end on a
    /// character boundary — together the same as each string being valid.
    /// Any failure is reported as the per-element parse would report it:
    /// at the first string that is not UTF-8, if one comes before it.
    fn strings(&mut self, n: u64) -> Result<MetaValue> {
        const FIELD: &str = "string value";
        let start = self.input.pos();
        self.input.charge(
            n.saturating_mul(std::mem::size_of::<usize>() as u64),
            "GGUF metadata memory",
        )?;
        let mut ends = Vec::with_capacity(n as usize);
        let mut text: Vec<u8> = Vec::new();
        let mut read = || -> Result<()> {
            for _ in 0..n {
                let len = self.input.u64(FIELD)?;
                if len > self.limits.max_string_bytes {
                    return Err(self.input.limit(FIELD, len, self.limits.max_string_bytes));
                }
                self.input.need(len, FIELD)?;
                // The buffer grows by doubling: up to twice its bytes at once.
                self.input.charge(len.saturating_mul(2), "GGUF metadata memory")?;
                let old = text.len();
                text.resize(old + len as usize, 0);
                self.input.read_exact(&mut text[old..], FIELD)?;
                ends.push(text.len());
            }
            Ok(())
        };
        let read = read();
        // The first string that is not UTF-8 on its own, with the file
        // offset of its first bad byte (string i follows i + 1 length prefixes).
        let first_invalid = |text: &[u8], ends: &[usize]| {
            let mut from = 0;
            for (i, &end) in ends.iter().enumerate() {
                if let Err(e) = std::str::from_utf8(&text[from..end]) {
                    return Some(start + 8 * (i as u64 + 1) + (from + e.valid_up_to()) as u64);
                }
                from = end;
            }
            None
        };
        let bad = |input: &mut Input<'_, R>, at: u64| input.invalid_at(at, FIELD, "not UTF-8");
        if let Err(e) = read {
            return Err(match first_invalid(&text, &ends) {
                Some(at) => bad(self.input, at),
                None => e,
            });
        }
        // A string ends inside a character when the next byte is a UTF-8
        // continuation byte (0b10xx_xxxx).
        let split = ends.iter().any(|&e| text.get(e).is_some_and(|&b| (b as i8) < -0x40));
        if split || simdutf8::basic::from_utf8(&text).is_err() {
            let at = first_invalid(&text, &ends).unwrap_or(start);
            return Err(bad(self.input, at));
        }
        // SAFETY: `simdutf8` validated exactly these bytes as UTF-8 just
        // above (std's validator re-checking them cost a third of a
        // Gemma-3 inspect: H23).
        #[allow(unsafe_code)]
        let text = unsafe { String::from_utf8_unchecked(text) };
        Ok(MetaValue::Strings(StrArray::from_parts(text, ends)))
    }
}

/// Parses the GGUF front matter (everything before tensor data).
/// Cost grows with the metadata (the tokenizer arrays), never with the
/// tensor data.
pub fn inspect<R: Read + Seek>(input: &mut Input<R>, limits: &Limits) -> Result<Inventory> {
    inspect_with(input, limits, Arrays::Packed)
}

/// [`inspect`], storing metadata arrays as `arrays` says.
pub fn inspect_with<R: Read + Seek>(input: &mut Input<R>, limits: &Limits, arrays: Arrays) -> Result<Inventory> {
    let magic: [u8; 4] = input.array("GGUF magic")?;
    if &magic != MAGIC {
        return Err(input.invalid_at(0, "GGUF magic", format!("{magic:02x?}")));
    }
    let version = input.u32("GGUF version")?;
    if !(2..=3).contains(&version) {
        return Err(LoadError::Unsupported {
            file: String::new(),
            what: "GGUF version",
            found: version.to_string(),
        });
    }
    let n_tensors = input.u64("tensor count")?;
    let n_kv = input.u64("metadata count")?;
    if n_tensors > limits.max_tensors {
        return Err(input.limit("tensor count", n_tensors, limits.max_tensors));
    }
    if n_kv > limits.max_metadata_entries {
        return Err(input.limit("metadata count", n_kv, limits.max_metadata_entries));
    }
    input.need(
        n_kv.saturating_mul(MIN_KV_BYTES)
            .saturating_add(n_tensors.saturating_mul(MIN_TENSOR_INFO_BYTES)),
        "metadata and tensor infos",
    )?;

    // Entries, keys and tensor infos are allocated up front from the counts.
    input.charge(
        n_kv.saturating_mul(std::mem::size_of::<(String, MetaValue)>() as u64 + 32)
            .saturating_add(n_tensors.saturating_mul(std::mem::size_of::<TensorInfo>() as u64 + 64)),
        "GGUF metadata memory",
    )?;
    let mut p = Parser { input, limits, arrays };
    let mut metadata = Vec::with_capacity(n_kv as usize);
    let mut keys = HashSet::with_capacity(n_kv as usize);
    let mut alignment = DEFAULT_ALIGNMENT;
    for _ in 0..n_kv {
        let at = p.input.pos();
        let key = p.string("metadata key")?;
        let t = p.value_type("metadata value type")?;
        let v = p.value(t, 0)?;
        if key == "general.alignment" {
            alignment = match v {
                MetaValue::UInt(a) if t == ValueType::U32 && a != 0 && a.is_power_of_two() => a,
                _ => {
                    return Err(p.input.invalid_at(
                        at,
                        "general.alignment",
                        format!("{v:?} is not a non-zero power of two u32"),
                    ))
                }
            };
        }
        if !keys.insert(key.clone()) {
            return Err(p.input.invalid_at(at, "metadata key", format!("duplicate key {key:?}")));
        }
        metadata.push((key, v));
    }

    let mut tensors = Vec::with_capacity(n_tensors as usize);
    let mut names = HashSet::with_capacity(n_tensors as usize);
    let mut rel = Vec::with_capacity(n_tensors as usize);
    for _ in 0..n_tensors {
        let at = p.input.pos();
        let name = p.string("tensor name")?;
        let n_dims = u64::from(p.input.u32("tensor n_dims")?);
        if n_dims > GGUF_MAX_DIMS.min(limits.max_dims) {
            return Err(p
                .input
                .limit("tensor n_dims", n_dims, GGUF_MAX_DIMS.min(limits.max_dims)));
        }
        let mut shape = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            let d_at = p.input.pos();
            let d = p.input.u64("tensor dimension")?;
            // ggml stores dimensions as int64: anything above i64::MAX is a
            // negative dimension to llama.cpp, which refuses it.
            if d > i64::MAX as u64 {
                return Err(p.input.invalid_at(
                    d_at,
                    "tensor dimension",
                    format!("{name:?}: {d} is negative as ggml's int64"),
                ));
            }
            shape.push(d);
        }
        // The product of the non-zero dimensions must fit ggml's int64 too
        // (a zero dimension does not make 2^62 x 4 representable).
        if !super::fits_int64(&shape, 1) {
            return Err(p.input.overflow(&format!("element count of {name:?}")));
        }
        let type_at = p.input.pos();
        let type_id = p.input.u32("tensor type")?;
        let ty = match GgmlType::from_id(type_id) {
            Some(ty) => ty,
            None => {
                return Err(match unsupported_ggml_type(type_id) {
                    Some(what) => LoadError::Unsupported {
                        file: String::new(),
                        what: "ggml type",
                        found: format!("{what} (id {type_id}) for {name:?}"),
                    },
                    None => p.input.invalid_at(
                        type_at,
                        "tensor type",
                        format!("unknown ggml type {type_id} for {name:?}"),
                    ),
                })
            }
        };
        let offset = p.input.u64("tensor data offset")?;
        let n_elem = shape
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .filter(|&n| n <= i64::MAX as u64)
            .ok_or_else(|| p.input.overflow(&format!("element count of {name:?}")))?;
        let (block, _) = ty.block();
        if shape.first().is_some_and(|d0| d0 % block != 0) {
            return Err(p.input.invalid_at(
                at,
                "tensor shape",
                format!(
                    "{name:?}: first dimension {} is not a multiple of the {} block size {block}",
                    shape[0],
                    ty.name()
                ),
            ));
        }
        let len = dtype_of_ggml(ty)
            .byte_len(n_elem)
            .ok_or_else(|| p.input.overflow(&format!("byte length of {name:?}")))?;
        if offset % alignment != 0 {
            return Err(p.input.invalid_at(
                at,
                "tensor data offset",
                format!("{name:?}: {offset} is not a multiple of the alignment {alignment}"),
            ));
        }
        if !names.insert(name.clone()) {
            return Err(p
                .input
                .invalid_at(at, "tensor name", format!("duplicate tensor {name:?}")));
        }
        rel.push((offset, len));
        tensors.push(TensorInfo {
            name,
            dtype: dtype_of_ggml(ty),
            shape,
            data: DataRef::Range { offset, len },
            layout: Layout::default(),
        });
    }

    let input = p.input;
    let header_end = input.pos();
    let data_start = header_end
        .checked_next_multiple_of(alignment)
        .ok_or_else(|| input.overflow("data section start"))?;
    let file_len = input.len();
    // Tensor data tiles the data section in declaration order, each tensor
    // padded to the alignment, as ggml writes it and llama.cpp requires
    // ("tensor has offset X, expected Y"): a gap would let bytes of one
    // type be read as another whose length happens to fit, an overlap
    // would alias two tensors.
    // A tensor whose declared type gives it another size than the data
    // section leaves it (a type id reused by a fork, a retired id) shows
    // here: the error names its type, id, declared and found size.
    let mut prev_end = 0u64;
    for (i, &(off, len)) in rel.iter().enumerate() {
        let expected = prev_end
            .checked_next_multiple_of(alignment)
            .ok_or_else(|| input.overflow("tensor data end"))?;
        if off != expected {
            let reason = match i.checked_sub(1) {
                Some(j) if off > rel[j].0 => {
                    let prev = &tensors[j];
                    format!(
                        "{:?} has relative offset {off}, expected {expected}: {:?} is declared {} (ggml type id {}), {} bytes, but the data section gives it {} bytes before the next tensor",
                        tensors[i].name,
                        prev.name,
                        prev.dtype.name(),
                        ggml_id(prev.dtype),
                        rel[j].1,
                        off - rel[j].0
                    )
                }
                _ => format!(
                    "{:?} has relative offset {off}, expected {expected} (the end of the previous tensor, padded to {alignment})",
                    tensors[i].name
                ),
            };
            return Err(input.invalid_at(header_end, "tensor data offset", reason));
        }
        prev_end = off.checked_add(len).ok_or_else(|| input.overflow("tensor data end"))?;
    }
    if !rel.is_empty() && data_start.saturating_add(prev_end) > file_len {
        return Err(LoadError::Truncated {
            file: String::new(),
            offset: Some(data_start),
            field: "tensor data",
            needed: prev_end,
            available: file_len.saturating_sub(data_start),
        });
    }
    for t in &mut tensors {
        if let DataRef::Range { offset, .. } = &mut t.data {
            *offset += data_start;
        }
    }
    Ok(Inventory {
        format: Format::Gguf,
        version,
        file_bytes: file_len,
        header_bytes: header_end,
        tensors,
        metadata,
    })
}

/// A tensor to write with [`write()`]: its GGUF dims (innermost first), type
/// and encoded bytes.
pub struct WriteTensor<'a> {
    /// Tensor name.
    pub name: &'a str,
    /// Dimensions, innermost first (GGUF order).
    pub dims: Vec<u64>,
    /// Element type.
    pub ty: GgmlType,
    /// The tensor's bytes as stored.
    pub data: &'a [u8],
}

/// Writes a GGUF v3 file with string metadata and the given tensors, data
/// aligned to [`DEFAULT_ALIGNMENT`] (what gguf-py's writer produces).
pub fn write(mut w: impl std::io::Write, kv: &[(&str, &str)], tensors: &[WriteTensor<'_>]) -> std::io::Result<()> {
    let mut head = Vec::new();
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&3u32.to_le_bytes());
    head.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    head.extend_from_slice(&(kv.len() as u64).to_le_bytes());
    let s = |h: &mut Vec<u8>, v: &str| {
        h.extend_from_slice(&(v.len() as u64).to_le_bytes());
        h.extend_from_slice(v.as_bytes());
    };
    for (k, v) in kv {
        s(&mut head, k);
        head.extend_from_slice(&8u32.to_le_bytes());
        s(&mut head, v);
    }
    let mut offset = 0u64;
    for t in tensors {
        s(&mut head, t.name);
        head.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
        for d in &t.dims {
            head.extend_from_slice(&d.to_le_bytes());
        }
        head.extend_from_slice(&t.ty.id().to_le_bytes());
        head.extend_from_slice(&offset.to_le_bytes());
        offset = (offset + t.data.len() as u64).next_multiple_of(DEFAULT_ALIGNMENT);
    }
    head.resize((head.len() as u64).next_multiple_of(DEFAULT_ALIGNMENT) as usize, 0);
    w.write_all(&head)?;
    for t in tensors {
        w.write_all(t.data)?;
        let pad = (t.data.len() as u64).next_multiple_of(DEFAULT_ALIGNMENT) - t.data.len() as u64;
        w.write_all(&vec![0u8; pad as usize])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A GGUF with no tensors and one array key of strings, `i32`s and bools.
    fn file(strings: &[&[u8]]) -> Vec<u8> {
        let mut g = MAGIC.to_vec();
        g.extend_from_slice(&3u32.to_le_bytes());
        g.extend_from_slice(&0u64.to_le_bytes());
        g.extend_from_slice(&3u64.to_le_bytes());
        let key = |g: &mut Vec<u8>, k: &str, elem: u32, n: usize| {
            g.extend_from_slice(&(k.len() as u64).to_le_bytes());
            g.extend_from_slice(k.as_bytes());
            g.extend_from_slice(&9u32.to_le_bytes());
            g.extend_from_slice(&elem.to_le_bytes());
            g.extend_from_slice(&(n as u64).to_le_bytes());
        };
        key(&mut g, "tokens", 8, strings.len());
        for s in strings {
            g.extend_from_slice(&(s.len() as u64).to_le_bytes());
            g.extend_from_slice(s);
        }
        key(&mut g, "types", 5, 3);
        for v in [1i32, -2, 3] {
            g.extend_from_slice(&v.to_le_bytes());
        }
        key(&mut g, "flags", 7, 2);
        g.extend_from_slice(&[0, 1]);
        g
    }

    fn parse(bytes: &[u8], arrays: Arrays) -> std::result::Result<String, String> {
        let limits = Limits::default();
        let mut input = Input::new(Cursor::new(bytes), bytes.len() as u64, "f");
        input.set_budget(limits.parse_budget(bytes.len() as u64));
        inspect_with(&mut input, &limits, arrays)
            .map(|inv| format!("{:?}", serde_json::to_string(&inv.metadata).ok()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn packed_and_per_element_agree_on_valid_files() {
        let g = file(&[b"a", b"", "é✓".as_bytes(), b"<0x0A>"]);
        let packed = parse(&g, Arrays::Packed).unwrap();
        assert_eq!(packed, parse(&g, Arrays::PerElement).unwrap());
        assert!(packed.contains(r#"\"types\",[1,-2,3]"#), "{packed}");
    }

    #[test]
    fn a_character_split_across_two_strings_is_refused_at_the_same_offset() {
        // "a\xC3" + "\xA9b" concatenate to valid UTF-8 ("aéb"); neither string is.
        let g = file(&[b"a\xC3", b"\xA9b"]);
        let packed = parse(&g, Arrays::Packed).unwrap_err();
        assert!(packed.contains("not UTF-8"), "{packed}");
        assert_eq!(packed, parse(&g, Arrays::PerElement).unwrap_err());
    }

    #[test]
    fn every_single_byte_corruption_gets_the_same_answer_from_both() {
        let g = file(&[b"hello", "wörld".as_bytes(), b"", b"x"]);
        for i in 0..g.len() {
            for v in [0x00, 0x01, 0x7f, 0x80, 0xc3, 0xff] {
                let mut m = g.clone();
                m[i] = v;
                let (a, b) = (parse(&m, Arrays::Packed), parse(&m, Arrays::PerElement));
                match (&a, &b) {
                    // Both refuse; the budget charged for the array differs
                    // (packed needs less), so the first error may too.
                    (Err(_), Err(_)) => {}
                    _ => assert_eq!(a, b, "byte {i} = {v:#x}"),
                }
            }
        }
    }
}
