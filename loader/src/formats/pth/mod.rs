//! PyTorch `.pth` / `.pt` files in both layouts found in the wild:
//! the zip layout of torch >= 1.6 (`zip_layout`) and the legacy layout
//! (`legacy`). Both carry the state dict as a pickle whose tensors point
//! at storages by persistent id; `pickle` reads it without executing it.

pub mod legacy;
pub mod opcode;
pub mod pickle;
pub mod zip_layout;

use crate::error::{LoadError, Result};
use crate::input::Input;
use crate::inventory::{DataRef, Layout, TensorInfo};
use crate::limits::Limits;
use pickle::{TensorRef, Value};
use std::io::{Read, Seek};
use std::borrow::Cow;
use std::rc::Rc;

/// Where a storage's bytes are.
#[derive(Debug, Clone)]
pub(crate) enum StorageData {
    /// Uncompressed at an absolute offset, `bytes` long.
    Range { offset: u64, bytes: u64 },
    /// In a deflated zip member.
    Deflated {
        offset: u64,
        compressed: u64,
        uncompressed: u64,
        crc32: u32,
    },
}

impl StorageData {
    fn bytes(&self) -> u64 {
        match self {
            StorageData::Range { bytes, .. } => *bytes,
            StorageData::Deflated { uncompressed, .. } => *uncompressed,
        }
    }
}

/// Flattens a state dict into `(name, tensor)` pairs in pickle order.
/// Nested dicts (`{"state_dict": {...}}`, optimizer states) give dotted
/// names; entries that are not tensors (ints, strings) are skipped, as
/// every state-dict consumer does.
///
/// The walk is bounded in work as well as in memory: a pickle can reference
/// one container from many places through its memo, so a file of a few
/// kilobytes can describe a tree of 2^40 paths. Every visit of a dict entry
/// counts against [`Limits::max_pickle_visits`], shared or not, and every
/// name is charged to the parse budget where it is built (a key shared
/// through the memo is materialized once per path that uses it).
///
/// A state dict that could mean two things is refused rather than guessed:
/// a key repeated within one dict (torch would keep the last), and two
/// paths that flatten to the same name (`"a.b"` beside `{"a": {"b": …}}`,
/// or the int key `1` beside the string key `"1"`). The error names both.
pub(crate) fn flatten<R: Read + Seek>(
    v: &Value,
    limits: &Limits,
    input: &mut Input<'_, R>,
) -> Result<Vec<(String, Rc<TensorRef>)>> {
    let mut w = Walk {
        limits,
        input,
        visits: 0,
        out: Vec::new(),
        seen: std::collections::HashMap::new(),
    };
    match v {
        Value::Dict(_) => w.walk(v, "", String::new(), 0)?,
        Value::Tensor(t) => w.out.push((String::new(), t.clone())),
        _ => {
            return Err(LoadError::Unsupported {
                file: String::new(),
                what: "pickle content",
                found: "top-level object is not a state dict".into(),
            })
        }
    }
    Ok(w.out)
}

/// The state of one flattening walk.
struct Walk<'l, 'i, 'f, R> {
    limits: &'l Limits,
    input: &'i mut Input<'f, R>,
    /// Dict entries visited so far (each visit of a shared one counts).
    visits: u64,
    out: Vec<(String, Rc<TensorRef>)>,
    /// Every flattened name so far, with the key path that produced it.
    seen: std::collections::HashMap<String, String>,
}

/// How a key path is shown in an error: `["a"]["b"]` or `[1]`.
fn show_key(k: &Value) -> String {
    match k {
        Value::Str(s) => format!("[{:?}]", &**s),
        Value::Int(i) => format!("[{i}]"),
        other => format!("[<{}>]", other.type_name()),
    }
}

impl<R: Read + Seek> Walk<'_, '_, '_, R> {
    fn ambiguous(&self, reason: String) -> LoadError {
        LoadError::Invalid {
            file: String::new(),
            offset: None,
            field: "state dict keys",
            reason,
        }
    }

    /// Flattens dict `v` under the name `prefix`; `path` shows the keys
    /// that led to it, for errors.
    fn walk(&mut self, v: &Value, prefix: &str, path: String, depth: u32) -> Result<()> {
        if depth > self.limits.max_nesting {
            return Err(LoadError::LimitExceeded {
                file: String::new(),
                offset: None,
                field: "state dict nesting",
                found: u64::from(depth),
                limit: u64::from(self.limits.max_nesting),
            });
        }
        let Value::Dict(d) = v else { return Ok(()) };
        let d = d.borrow();
        // Keys of this dict as Python compares them (str and int differ).
        let mut keys: std::collections::HashSet<(bool, Cow<'_, str>)> =
            std::collections::HashSet::with_capacity(d.len());
        for (k, v) in d.iter() {
            self.visits += 1;
            if self.visits > self.limits.max_pickle_visits {
                return Err(LoadError::LimitExceeded {
                    file: String::new(),
                    offset: None,
                    field: "state dict entries visited",
                    found: self.visits,
                    limit: self.limits.max_pickle_visits,
                });
            }
            let (is_str, key) = match k {
                Value::Str(s) => (true, Cow::Borrowed(&**s)),
                Value::Int(i) => (false, Cow::Owned(i.to_string())),
                _ => continue,
            };
            if !keys.insert((is_str, key.clone())) {
                return Err(self.ambiguous(format!("key {path}{} appears twice in one dict", show_key(k))));
            }
            if !matches!(v, Value::Tensor(_) | Value::Dict(_)) {
                continue;
            }
            let len = prefix.len() + usize::from(!prefix.is_empty()) + key.len();
            // The name and the path that shows where it came from.
            self.input.charge(2 * len as u64 + 64, "state dict names")?;
            let mut name = String::with_capacity(len);
            name.push_str(prefix);
            if !prefix.is_empty() {
                name.push('.');
            }
            name.push_str(&key);
            let here = format!("{path}{}", show_key(k));
            match v {
                Value::Tensor(t) => {
                    if self.out.len() as u64 >= self.limits.max_tensors {
                        return Err(LoadError::LimitExceeded {
                            file: String::new(),
                            offset: None,
                            field: "tensor count",
                            found: self.out.len() as u64 + 1,
                            limit: self.limits.max_tensors,
                        });
                    }
                    if let Some(first) = self.seen.get(&name) {
                        return Err(
                            self.ambiguous(format!("{first} and {here} both flatten to the tensor name {name:?}"))
                        );
                    }
                    self.seen.insert(name.clone(), here);
                    self.out.push((name, t.clone()));
                }
                _ => self.walk(v, &name, here, depth + 1)?,
            }
        }
        Ok(())
    }
}

/// Builds a tensor's inventory entry from its storage's location, checking
/// that every element it can reach lies inside the storage.
pub(crate) fn tensor_info(
    file: &str,
    name: String,
    t: &TensorRef,
    storage: &StorageData,
    big_endian: bool,
) -> Result<TensorInfo> {
    let overflow = || LoadError::Overflow {
        file: file.to_owned(),
        field: format!("extent of tensor {name:?}"),
    };
    let esize = t.storage.dtype.size().ok_or_else(overflow)?;
    let n: u64 = t
        .shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or_else(overflow)?;
    let contiguous = is_c_contiguous(&t.shape, &t.stride);
    // Elements reachable from the storage offset: 1 + Σ (dim-1)·stride.
    let span = if n == 0 {
        0
    } else {
        t.shape
            .iter()
            .zip(&t.stride)
            .try_fold(1u64, |a, (&d, &s)| {
                (d - 1).checked_mul(s).and_then(|x| a.checked_add(x))
            })
            .ok_or_else(overflow)?
    };
    if n > span {
        // Some element is reached twice (a stride of 0, as `expand` makes):
        // materializing it could take far more memory than the file holds.
        return Err(LoadError::Unsupported {
            file: file.to_owned(),
            what: "tensor layout",
            found: format!("tensor {name:?} has overlapping (broadcast) strides {:?}", t.stride),
        });
    }
    let end = t.storage_offset.checked_add(span).ok_or_else(overflow)?;
    let storage_bytes = t.storage.numel.checked_mul(esize).ok_or_else(overflow)?;
    if end > t.storage.numel || storage_bytes > storage.bytes() {
        return Err(LoadError::Invalid {
            file: file.to_owned(),
            offset: None,
            field: "tensor extent",
            reason: format!(
                "tensor {name:?} reaches element {end} of storage {:?} ({} elements, {} bytes stored)",
                t.storage.key,
                t.storage.numel,
                storage.bytes()
            ),
        });
    }
    let skip = t.storage_offset * esize;
    let len = span * esize;
    let data = match *storage {
        StorageData::Range { offset, .. } => DataRef::Range {
            offset: offset + skip,
            len,
        },
        StorageData::Deflated {
            offset,
            compressed,
            uncompressed,
            crc32,
        } => DataRef::Deflated {
            offset,
            compressed,
            uncompressed,
            crc32,
            skip,
            len,
        },
    };
    Ok(TensorInfo {
        name,
        dtype: t.storage.dtype,
        shape: t.shape.clone(),
        data,
        layout: Layout {
            strides: (!contiguous).then(|| t.stride.clone()),
            big_endian: big_endian && esize > 1,
            stored_member: None,
        },
    })
}

/// True when `stride` is the row-major stride of `shape` (dims of size 1
/// may carry any stride, as in torch's own `is_contiguous`).
pub fn is_c_contiguous(shape: &[u64], stride: &[u64]) -> bool {
    let mut expected = 1u64;
    for (&d, &s) in shape.iter().zip(stride).rev() {
        if d != 1 && s != expected {
            return false;
        }
        expected = expected.saturating_mul(d);
    }
    true
}

/// Runs a pickle whose persistent ids are storages, sharing one
/// `StorageRef` per key.
pub(crate) fn load_state_pickle<R: Read + Seek>(
    input: &mut Input<'_, R>,
    limits: &Limits,
) -> Result<(Value, Vec<Rc<pickle::StorageRef>>)> {
    let mut storages: Vec<Rc<pickle::StorageRef>> = Vec::new();
    let v = pickle::load(input, limits, |pid| {
        let s = pickle::storage_from_pid(pid)?;
        if let Some(prev) = storages.iter().find(|p| p.key == s.key) {
            if prev.dtype != s.dtype || prev.numel != s.numel {
                return Err(format!("storage {:?} declared twice with different types", s.key));
            }
            return Ok(Value::Storage(prev.clone()));
        }
        let s = Rc::new(s);
        storages.push(s.clone());
        Ok(Value::Storage(s))
    })?;
    Ok((v, storages))
}
