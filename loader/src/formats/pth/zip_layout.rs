//! The zip layout of `torch.save` (torch >= 1.6): `<root>/data.pkl`,
//! `<root>/data/<key>` per storage, `<root>/version`, and usually
//! `<root>/byteorder`. The root folder's name varies (`archive`, the file's
//! stem, …). Members are stored, so storages are plain byte ranges.

use super::{flatten, load_state_pickle, tensor_info, StorageData};
use crate::error::{LoadError, Result};
use crate::formats::zip::{self, Entry, Method};
use crate::input::Input;
use crate::inventory::{Format, Inventory, MetaValue};
use crate::limits::Limits;
use std::collections::HashMap;
use std::io::{Cursor, Read, Seek};

/// Returns the root folder (with its trailing `/`) if the entries look like
/// a PyTorch archive.
pub fn root_of(entries: &[Entry]) -> Option<&str> {
    entries.iter().find_map(|e| {
        let root = e.name.strip_suffix("data.pkl")?;
        (root.is_empty() || (root.ends_with('/') && !root[..root.len() - 1].contains('/'))).then_some(root)
    })
}

fn member(input: &mut Input<'_, impl Read + Seek>, e: &Entry, limit: u64) -> Result<Vec<u8>> {
    let start = zip::data_offset(input, e)?;
    if e.uncompressed > limit {
        return Err(LoadError::LimitExceeded {
            file: String::new(),
            offset: Some(e.header_offset),
            field: "pickle member size",
            found: e.uncompressed,
            limit,
        });
    }
    match e.method {
        Method::Stored => {
            input.seek_to(start, "zip member")?;
            input.vec(e.uncompressed, "zip member", limit)
        }
        Method::Deflated => {
            input.seek_to(start, "zip member")?;
            let raw = input.vec(
                e.compressed,
                "zip member",
                limit.saturating_mul(2).saturating_add(1 << 16),
            )?;
            zip::inflate(input.file(), start, &raw, e.uncompressed, e.crc32)
        }
    }
}

/// Inspects a zip-layout checkpoint whose directory was already read.
pub fn inspect<R: Read + Seek>(input: &mut Input<R>, entries: Vec<Entry>, limits: &Limits) -> Result<Inventory> {
    let file = input.file();
    let root = root_of(&entries)
        .ok_or_else(|| input.invalid_at(0, "zip members", "no data.pkl: not a PyTorch checkpoint"))?
        .to_owned();
    let by_name: HashMap<&str, &Entry> = entries.iter().map(|e| (e.name.as_str(), e)).collect();
    if by_name.contains_key(format!("{root}constants.pkl").as_str())
        || entries.iter().any(|e| e.name.starts_with(&format!("{root}code/")))
    {
        return Err(LoadError::Unsupported {
            file: String::new(),
            what: "PyTorch archive",
            found: "TorchScript module (has code/ and constants.pkl), not a state dict".into(),
        });
    }
    let big_endian = match by_name.get(format!("{root}byteorder").as_str()) {
        None => false,
        Some(e) => match member(input, e, 16)?.as_slice() {
            b"little" => false,
            b"big" => true,
            other => {
                return Err(input.invalid_at(
                    e.header_offset,
                    "byteorder",
                    format!("{:?}", String::from_utf8_lossy(other)),
                ))
            }
        },
    };
    let version = match by_name.get(format!("{root}version").as_str()) {
        Some(e) => String::from_utf8_lossy(&member(input, e, 64)?)
            .trim()
            .parse()
            .unwrap_or(0),
        None => 0,
    };
    let pkl_entry = by_name[format!("{root}data.pkl").as_str()];
    let pkl = member(input, pkl_entry, limits.max_header_bytes)?;
    let pkl_len = pkl.len() as u64;
    let mut pin = Input::new(Cursor::new(&pkl[..]), pkl_len, file);
    pin.set_budget(limits.parse_budget(pkl_len));
    let (value, storages) = load_state_pickle(&mut pin, limits)?;
    let named = flatten(&value, limits, &mut pin)?;

    let mut members = Vec::with_capacity(storages.len());
    for s in &storages {
        let name = format!("{root}data/{}", s.key);
        let e = by_name.get(name.as_str()).ok_or_else(|| LoadError::Invalid {
            file: String::new(),
            offset: None,
            field: "storage",
            reason: format!("member {name:?} is missing"),
        })?;
        members.push((s.key.clone(), *e));
    }
    // Visit the local headers in file order: a buffered reader then only
    // seeks forward and keeps its buffer (pickle order made it refill 64 KiB
    // per storage; see the ledger's H06).
    members.sort_by_key(|(_, e)| e.header_offset);
    let mut located: HashMap<String, StorageData> = HashMap::with_capacity(members.len());
    for (key, e) in members {
        let offset = zip::data_offset(input, e)?;
        let data = match e.method {
            Method::Stored => StorageData::Range {
                offset,
                bytes: e.uncompressed,
            },
            Method::Deflated => StorageData::Deflated {
                offset,
                compressed: e.compressed,
                uncompressed: e.uncompressed,
                crc32: e.crc32,
            },
        };
        located.insert(key, data);
    }
    let mut tensors = Vec::with_capacity(named.len());
    for (name, t) in named {
        let data = &located[&t.storage.key];
        tensors.push(tensor_info(file, name, &t, data, big_endian)?);
    }
    Ok(Inventory {
        format: Format::PthZip,
        version,
        file_bytes: input.len(),
        header_bytes: pkl_len,
        tensors,
        metadata: vec![
            ("root".into(), MetaValue::Str(root.trim_end_matches('/').to_owned())),
            (
                "byteorder".into(),
                MetaValue::Str(if big_endian { "big" } else { "little" }.into()),
            ),
        ],
    })
}
