//! What `inspect` returns: the same inventory type for every format.

use crate::dtype::DType;
pub use crate::metadata::MetaValue;
use serde::Serialize;

/// The file formats the loader reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// safetensors.
    Safetensors,
    /// GGUF v2/v3.
    Gguf,
    /// A zip of `.npy` members.
    Npz,
    /// PyTorch zip layout (torch >= 1.6).
    PthZip,
    /// PyTorch legacy layout (magic number + pickles + raw storages).
    PthLegacy,
}

impl Format {
    /// The format's name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Safetensors => "safetensors",
            Format::Gguf => "gguf",
            Format::Npz => "npz",
            Format::PthZip => "pth-zip",
            Format::PthLegacy => "pth-legacy",
        }
    }
}

/// Where a tensor's bytes live in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataRef {
    /// Stored uncompressed at absolute file offsets `[offset, offset + len)`.
    Range {
        /// Absolute offset of the first byte.
        offset: u64,
        /// Bytes.
        len: u64,
    },
    /// Inside a deflated zip member whose compressed bytes sit at
    /// `[offset, offset + compressed)`: `skip` bytes into the inflated
    /// stream of `uncompressed` bytes (CRC-32 `crc32`), `len` bytes long.
    Deflated {
        /// Offset of the member's compressed bytes.
        offset: u64,
        /// Compressed length.
        compressed: u64,
        /// Inflated length of the whole member.
        uncompressed: u64,
        /// CRC-32 of the inflated member.
        crc32: u32,
        /// Bytes of the inflated member before the tensor (the NPY header).
        skip: u64,
        /// The tensor's length in bytes.
        len: u64,
    },
}

impl DataRef {
    /// Length of the stored bytes.
    pub fn len(&self) -> u64 {
        match self {
            DataRef::Range { len, .. } | DataRef::Deflated { len, .. } => *len,
        }
    }

    /// True for a tensor of no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How the stored elements map to the logical (row-major) tensor.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Layout {
    /// Element strides, outermost first; `None` when C-contiguous.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strides: Option<Vec<u64>>,
    /// Elements stored big-endian (NPZ `>f4`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub big_endian: bool,
    /// The stored (uncompressed) zip member that holds the tensor, whose
    /// CRC-32 is checked whenever the tensor's bytes are read (NPZ).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_member: Option<StoredMember>,
}

/// A stored zip member: absolute offset and length of its data, and the
/// CRC-32 the central directory promises for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StoredMember {
    /// Absolute offset of the member's first data byte.
    pub offset: u64,
    /// Bytes of member data.
    pub len: u64,
    /// CRC-32 from the central directory.
    pub crc32: u32,
}

impl Layout {
    /// True when the stored bytes already are the canonical C-order
    /// little-endian bytes.
    pub fn is_canonical(&self) -> bool {
        self.strides.is_none() && !self.big_endian
    }
}

/// One tensor of an inventory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TensorInfo {
    /// Tensor name.
    pub name: String,
    /// Element type.
    pub dtype: DType,
    /// Dimensions as the format's reference reader reports them: row-major
    /// (outermost first) for safetensors, NPZ and .pth; GGUF's own order
    /// (`ne[0]` = innermost first, as gguf-py's `ReaderTensor.shape`).
    pub shape: Vec<u64>,
    /// Where its bytes are.
    pub data: DataRef,
    /// How stored elements map to the logical tensor.
    #[serde(skip_serializing_if = "Layout::is_canonical")]
    pub layout: Layout,
}

impl TensorInfo {
    /// Number of elements (product of the shape; 1 for a scalar).
    pub fn n_elements(&self) -> u64 {
        self.shape.iter().product()
    }

    /// Bytes of the canonical (C-order little-endian) form of the tensor.
    pub fn byte_len(&self) -> u64 {
        self.dtype.byte_len(self.n_elements()).unwrap_or(0)
    }
}

/// The result of `inspect`: everything about a file except tensor data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inventory {
    /// The file's format.
    pub format: Format,
    /// Format version (GGUF 2/3, .pth protocol, NPY major version of the
    /// first member, 0 where the format has none).
    pub version: u32,
    /// The file's size.
    pub file_bytes: u64,
    /// Bytes of header the format needed before tensor data.
    pub header_bytes: u64,
    /// Tensors in file order.
    pub tensors: Vec<TensorInfo>,
    /// Key/values in file order.
    pub metadata: Vec<(String, MetaValue)>,
}

impl Inventory {
    /// Finds a tensor by name (linear scan; inventories are small).
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// Looks up a metadata value by key.
    pub fn meta(&self, key: &str) -> Option<&MetaValue> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sum of all tensors' stored bytes.
    pub fn data_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.data.len()).sum()
    }
}
