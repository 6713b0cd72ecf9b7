//! One module per file format; each turns a byte stream into an
//! `Inventory` without reading tensor data. Formats never open files:
//! they read from an `Input` that a backend provides.

pub mod gguf;
pub mod npy;
pub mod npz;
pub mod pth;
pub mod safetensors;
pub mod zip;

use crate::error::{LoadError, Result};
use crate::input::Input;
use crate::inventory::Inventory;
use crate::limits::Limits;
use std::io::{Read, Seek};

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// An 8-byte length then a JSON header.
    Safetensors,
    /// `GGUF` magic.
    Gguf,
    /// NPZ or PyTorch zip: the directory decides.
    Zip,
    /// A PyTorch checkpoint of the legacy layout.
    PthLegacy,
}

/// Looks at up to the first 16 bytes.
pub fn sniff(head: &[u8]) -> Option<Sniffed> {
    if head.starts_with(gguf::MAGIC) {
        Some(Sniffed::Gguf)
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Sniffed::Zip)
    } else if pth::legacy::sniff(head) {
        Some(Sniffed::PthLegacy)
    } else if head.len() >= 9 && head[8] == b'{' {
        Some(Sniffed::Safetensors)
    } else {
        None
    }
}

/// Inspects any supported format from a stream of `input.len()` bytes
/// positioned at 0. Errors name the input's file: the parsers leave it
/// empty and it is attached here, once.
pub(crate) fn inspect<R: Read + Seek>(input: &mut Input<R>, limits: &Limits) -> Result<Inventory> {
    let file = input.file();
    inspect_any(input, limits).map_err(|e| e.in_file(file))
}

fn inspect_any<R: Read + Seek>(input: &mut Input<R>, limits: &Limits) -> Result<Inventory> {
    if input.len() > limits.max_file_bytes {
        return Err(input.limit("file size", input.len(), limits.max_file_bytes));
    }
    input.set_budget(limits.parse_budget(input.len()));
    let n = input.len().min(16);
    let head = input.vec(n, "magic", 16)?;
    input.seek_to(0, "magic")?;
    match sniff(&head) {
        Some(Sniffed::Gguf) => gguf::inspect(input, limits),
        Some(Sniffed::Safetensors) => safetensors::inspect(input, limits),
        Some(Sniffed::PthLegacy) => pth::legacy::inspect(input, limits),
        Some(Sniffed::Zip) => {
            let entries = zip::read_directory(input, limits)?;
            if pth::zip_layout::root_of(&entries).is_some() {
                pth::zip_layout::inspect(input, entries, limits)
            } else if entries.iter().any(|e| e.name.ends_with(".npy")) {
                npz::inspect(input, &entries, limits)
            } else {
                Err(LoadError::Unsupported {
                    file: String::new(),
                    what: "zip archive",
                    found: "neither .npy members nor a PyTorch data.pkl".into(),
                })
            }
        }
        None => Err(LoadError::UnknownFormat {
            file: String::new(),
            magic: head.iter().take(8).map(|b| format!("{b:02x}")).collect(),
        }),
    }
}

/// True when an array of `shape` with `item_bytes` per element has a size
/// ggml and numpy can represent: the product of the non-zero dimensions
/// times the item size fits an int64 (so every dimension does too). A zero
/// dimension does not make `(0, 2**63)` an array; numpy's
/// `PyArray_NewFromDescr` and ggml's int64 `ne` refuse it alike.
pub(crate) fn fits_int64(shape: &[u64], item_bytes: u64) -> bool {
    shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(item_bytes, |a, &d| a.checked_mul(d))
        .is_some_and(|n| n <= i64::MAX as u64)
}
