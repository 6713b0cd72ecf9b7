//! The legacy layout of `torch.save` (before torch 1.6, still readable by
//! torch today): five pickles back to back — the magic number, the protocol
//! version, a sys-info dict, the state dict, the list of storage keys — and
//! then each storage in that order as an 8-byte element count followed by
//! its raw bytes.

use super::pickle::{self, Value};
use super::{flatten, load_state_pickle, tensor_info, StorageData};
use crate::error::{LoadError, Result};
use crate::input::Input;
use crate::inventory::{Format, Inventory, MetaValue};
use crate::limits::Limits;
use std::collections::HashMap;
use std::io::{Read, Seek};

/// `0x1950a86a20f9469cfc6c`, little-endian, as pickled by LONG1.
pub const MAGIC_NUMBER: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
/// Protocol version written by every torch that wrote this layout.
pub const PROTOCOL_VERSION: i64 = 1001;

/// True when the file starts like a legacy checkpoint: PROTO 2, LONG1 10, magic.
pub fn sniff(head: &[u8]) -> bool {
    head.len() >= 14 && head[0] == 0x80 && head[2] == 0x8a && head[3] == 10 && head[4..14] == MAGIC_NUMBER
}

/// Inspects a legacy-layout checkpoint: its five pickles and the storages after them.
pub fn inspect<R: Read + Seek>(input: &mut Input<R>, limits: &Limits) -> Result<Inventory> {
    let file = input.file();
    let refuse_pid =
        |_: &Value| -> std::result::Result<Value, String> { Err("persistent id outside the state dict".into()) };
    match pickle::load(input, limits, refuse_pid)? {
        Value::Long(b) if *b == MAGIC_NUMBER => {}
        _ => return Err(input.invalid_at(0, "legacy magic number", "not 0x1950a86a20f9469cfc6c")),
    }
    let at = input.pos();
    let protocol = pickle::load(input, limits, refuse_pid)?;
    if protocol.as_int() != Some(PROTOCOL_VERSION) {
        return Err(input.invalid_at(
            at,
            "legacy protocol version",
            match protocol.as_int() {
                Some(v) => format!("{v}, expected {PROTOCOL_VERSION}"),
                None => format!("a {}, expected the integer {PROTOCOL_VERSION}", protocol.type_name()),
            },
        ));
    }
    let sys_info = pickle::load(input, limits, refuse_pid)?;
    let mut big_endian = false;
    if let Value::Dict(d) = &sys_info {
        for (k, v) in d.borrow().iter() {
            if k.as_str() == Some("little_endian") {
                big_endian = matches!(v, Value::Bool(false));
            }
        }
    }
    let (state, storages) = load_state_pickle(input, limits)?;
    let keys_at = input.pos();
    let keys = pickle::load(input, limits, refuse_pid)?
        .items()
        .ok_or_else(|| input.invalid_at(keys_at, "storage keys", "not a list"))?;
    let header_bytes = input.pos();

    // Storages follow in key order: u64 element count, then the bytes.
    let mut located = HashMap::with_capacity(keys.len());
    let mut pos = input.pos();
    for k in &keys {
        let key = match k {
            Value::Str(s) => s.to_string(),
            Value::Int(i) => i.to_string(),
            _ => return Err(input.invalid_at(keys_at, "storage keys", "a key is not a string")),
        };
        let s = storages
            .iter()
            .find(|s| s.key == key)
            .ok_or_else(|| input.invalid_at(keys_at, "storage keys", format!("key {key:?} is used by no tensor")))?;
        input.seek_to(pos, "storage header")?;
        let numel = input.u64("storage element count")?;
        if numel != s.numel {
            return Err(input.invalid_at(
                pos,
                "storage element count",
                format!("storage {key:?}: {numel} elements, the pickle says {}", s.numel),
            ));
        }
        let esize = s.dtype.size().unwrap_or(1);
        let bytes = numel.checked_mul(esize).ok_or_else(|| input.overflow("storage size"))?;
        input.need(bytes, "storage data")?;
        located.insert(key, StorageData::Range { offset: pos + 8, bytes });
        pos = pos + 8 + bytes;
    }
    let named = flatten(&state, limits, input)?;
    let mut tensors = Vec::with_capacity(named.len());
    for (name, t) in named {
        let data = located.get(&t.storage.key).ok_or_else(|| LoadError::Invalid {
            file: String::new(),
            offset: Some(keys_at),
            field: "storage keys",
            reason: format!("storage {:?} of tensor {name:?} is not in the key list", t.storage.key),
        })?;
        tensors.push(tensor_info(file, name, &t, data, big_endian)?);
    }
    Ok(Inventory {
        format: Format::PthLegacy,
        version: PROTOCOL_VERSION as u32,
        file_bytes: input.len(),
        header_bytes,
        tensors,
        metadata: vec![(
            "byteorder".into(),
            MetaValue::Str(if big_endian { "big" } else { "little" }.into()),
        )],
    })
}
