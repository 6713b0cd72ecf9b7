//! safetensors: an 8-byte little-endian header length, a JSON header, then
//! the tensor data.
//!
//! Validation follows the rules of the reference `safetensors` crate
//! (`Metadata::validate`): the header fits the file and the 100 MB cap, it is
//! a UTF-8 JSON object starting with `{`, every tensor's byte length equals
//! product(shape) × dtype size with overflow checks, and the data offsets,
//! sorted, tile `[0, data_len)` exactly — contiguous, non-overlapping, no gap,
//! nothing left over at the end. We cannot call that crate's `read_metadata`
//! here because it wants the whole file in memory, and the reader backend
//! reads only the header; the tests cross-check both on every fixture.

use crate::dtype::DType;
use crate::error::{LoadError, Result};
use crate::input::Input;
use crate::inventory::{DataRef, Format, Inventory, Layout, MetaValue, TensorInfo};
use crate::limits::Limits;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::{Read, Seek};

#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Tensor {
        dtype: String,
        shape: Vec<u64>,
        data_offsets: (u64, u64),
    },
    Metadata(Pairs<String>),
}

/// A JSON object kept as its pairs, in order and with any key that
/// appears twice, so the repeat can be refused by name (serde's maps keep
/// the last silently; which tensor or value the file means would be a
/// guess).
struct Pairs<V>(Vec<(String, V)>);

impl<V> Pairs<V> {
    /// The pairs as a map by key, or the first key that appears twice.
    fn into_map(self) -> std::result::Result<BTreeMap<String, V>, String> {
        let mut map = BTreeMap::new();
        for (k, v) in self.0 {
            if map.contains_key(&k) {
                return Err(k);
            }
            map.insert(k, v);
        }
        Ok(map)
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Pairs<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Visit<V> {
            type Value = Pairs<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> std::result::Result<Pairs<V>, A::Error> {
                let mut out = Vec::new();
                while let Some(kv) = m.next_entry::<String, V>()? {
                    out.push(kv);
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// Reads the header and returns the inventory. Costs two reads (8 bytes and
/// the header); tensor data is never touched.
pub fn inspect<R: Read + Seek>(input: &mut Input<R>, limits: &Limits) -> Result<Inventory> {
    let n = input.u64("safetensors header length")?;
    let header = input.vec(n, "safetensors header", limits.max_header_bytes)?;
    let data_start = 8 + n;
    if header.first() != Some(&b'{') {
        return Err(input.invalid_at(8, "safetensors header", "does not start with '{'"));
    }
    let text = std::str::from_utf8(&header)
        .map_err(|e| input.invalid_at(8 + e.valid_up_to() as u64, "safetensors header", "not UTF-8"))?;
    // serde builds its own tree of the JSON before ours: charge a few
    // times the header's size for it.
    input.charge(n.saturating_mul(4), "safetensors header memory")?;
    let pairs: Pairs<Entry> =
        serde_json::from_str(text).map_err(|e| input.invalid_at(8, "safetensors header", format!("JSON: {e}")))?;
    let entries = pairs
        .into_map()
        .map_err(|k| input.invalid_at(8, "safetensors header", format!("key {k:?} appears twice")))?;
    let n_tensors = entries.len() as u64 - u64::from(entries.contains_key("__metadata__"));
    if n_tensors > limits.max_tensors {
        return Err(input.limit("tensor count", n_tensors, limits.max_tensors));
    }

    let too_long = |s: &String| s.len() as u64 > limits.max_string_bytes;
    for (name, entry) in &entries {
        let long = match entry {
            _ if too_long(name) => Some(name.len()),
            Entry::Metadata(Pairs(m)) => m
                .iter()
                .find(|(k, v)| too_long(k) || too_long(v))
                .map(|(k, v)| k.len().max(v.len())),
            Entry::Tensor { dtype, .. } => too_long(dtype).then_some(dtype.len()),
        };
        if let Some(len) = long {
            return Err(input.limit("safetensors string", len as u64, limits.max_string_bytes));
        }
    }

    let mut metadata = Vec::new();
    let mut tensors = Vec::with_capacity(n_tensors as usize);
    for (name, entry) in entries {
        match (name.as_str(), entry) {
            ("__metadata__", Entry::Metadata(m)) => {
                // As a map: sorted by key (the order the reference exposes).
                let m = m
                    .into_map()
                    .map_err(|k| input.invalid_at(8, "__metadata__", format!("key {k:?} appears twice")))?;
                metadata = m.into_iter().map(|(k, v)| (k, MetaValue::Str(v))).collect();
            }
            ("__metadata__", Entry::Tensor { .. }) => {
                return Err(input.invalid_at(8, "__metadata__", "must map strings to strings"))
            }
            (_, Entry::Metadata(_)) => {
                return Err(input.invalid_at(8, "tensor entry", format!("{name:?} has no dtype/shape/data_offsets")))
            }
            (
                _,
                Entry::Tensor {
                    dtype,
                    shape,
                    data_offsets: (start, end),
                },
            ) => {
                let dt = DType::from_safetensors(&dtype).ok_or_else(|| LoadError::Unsupported {
                    file: String::new(),
                    what: "safetensors dtype",
                    found: format!("{dtype} (tensor {name:?})"),
                })?;
                if shape.len() as u64 > limits.max_dims {
                    return Err(input.limit("tensor dims", shape.len() as u64, limits.max_dims));
                }
                let n_elem = shape
                    .iter()
                    .try_fold(1u64, |acc, &d| acc.checked_mul(d))
                    .ok_or_else(|| input.overflow(&format!("element count of {name:?}")))?;
                let nbytes = dt
                    .byte_len(n_elem)
                    .ok_or_else(|| input.overflow(&format!("byte length of {name:?}")))?;
                if end < start || end - start != nbytes {
                    return Err(input.invalid_at(
                        8,
                        "data_offsets",
                        format!(
                            "tensor {name:?}: [{start}, {end}) holds {} bytes, {dtype} {shape:?} needs {nbytes}",
                            end.wrapping_sub(start)
                        ),
                    ));
                }
                tensors.push(TensorInfo {
                    name,
                    dtype: dt,
                    shape,
                    // Relative for now; made absolute below once validated.
                    data: DataRef::Range {
                        offset: start,
                        len: nbytes,
                    },
                    layout: Layout::default(),
                });
            }
        }
    }

    // Offsets must tile the data section exactly, as in the reference crate.
    tensors.sort_by_key(|t| match t.data {
        DataRef::Range { offset, len } => (offset, len),
        DataRef::Deflated { .. } => (u64::MAX, 0),
    });
    let mut expected = 0u64;
    for t in &mut tensors {
        if let DataRef::Range { offset, len } = &mut t.data {
            if *offset != expected {
                return Err(input.invalid_at(
                    8,
                    "data_offsets",
                    format!(
                        "tensor {:?} starts at {offset}, expected {expected} (gap or overlap)",
                        t.name
                    ),
                ));
            }
            expected = offset.checked_add(*len).ok_or_else(|| input.overflow("data end"))?;
            *offset = offset
                .checked_add(data_start)
                .ok_or_else(|| input.overflow("data offset"))?;
        }
    }
    let data_len = input.len().saturating_sub(data_start);
    if expected != data_len {
        return Err(LoadError::Invalid {
            file: String::new(),
            offset: Some(data_start),
            field: "data section",
            reason: format!("tensors cover {expected} bytes, file has {data_len} after the header"),
        });
    }

    Ok(Inventory {
        format: Format::Safetensors,
        version: 0,
        file_bytes: input.len(),
        header_bytes: data_start,
        tensors,
        metadata,
    })
}

/// A sharded model's `model.safetensors.index.json`: which shard holds which tensor.
#[derive(Debug, Clone, Deserialize)]
pub struct ShardIndex {
    /// The index's `metadata` object.
    #[serde(default)]
    pub metadata: BTreeMap<String, serde_json::Value>,
    /// Tensor name → shard file name.
    pub weight_map: BTreeMap<String, String>,
}

impl ShardIndex {
    /// Parses an index file's text.
    pub fn parse(file: &str, text: &str) -> Result<ShardIndex> {
        serde_json::from_str(text).map_err(|e| LoadError::Invalid {
            file: file.to_owned(),
            offset: None,
            field: "safetensors index",
            reason: e.to_string(),
        })
    }

    /// Shard file names, sorted and without repeats.
    pub fn shards(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.weight_map.values().map(String::as_str).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}
