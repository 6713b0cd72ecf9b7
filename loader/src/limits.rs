//! Caps on every count and size read from an untrusted file.
//!
//! Each length is checked against its cap *and* against the bytes left in the
//! file before anything is allocated, so a hostile header cannot make the
//! loader allocate more than the file could possibly describe.

/// Limits applied by every parser. `Limits::default()` accepts every real
/// model we know of; tighten them for a service that only loads small files.
///
/// ```
/// use loadlab_loader::{Limits, Model};
/// let small = Limits { max_file_bytes: 1 << 20, max_tensors: 16, ..Limits::default() };
/// let e = Model::from_bytes(vec![0u8; 64], "zeros.bin", &small).unwrap_err();
/// assert_eq!(e.kind(), "unknown-format");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted at all. Stops a path that points at a device or
    /// a sparse file of absurd size. Default 1 TiB.
    pub max_file_bytes: u64,
    /// Largest header: safetensors JSON, a GGUF metadata section, an NPY
    /// header, a pickle. Stops memory exhaustion before any tensor is read.
    /// Default 100 MB, the safetensors crate's own cap.
    pub max_header_bytes: u64,
    /// Most tensors in one file. llama.cpp guards its tensor count against
    /// overflow; real models hold under 10^5. Default 1 000 000.
    pub max_tensors: u64,
    /// Most dimensions per tensor. GGUF defines 4 (GGML_MAX_DIMS); numpy
    /// allows 64. Default 64; GGUF additionally enforces its own 4.
    pub max_dims: u64,
    /// Longest string (tensor name, metadata key, string value). candle uses
    /// 2^30; real names are under 1 KiB. Default 16 MiB.
    pub max_string_bytes: u64,
    /// Longest metadata array (GGUF tokenizer vocabularies reach 262 144).
    /// candle caps at 2^30. Default 2^26 (67 M).
    pub max_array_len: u64,
    /// Most metadata key/value pairs. Default 1 000 000.
    pub max_metadata_entries: u64,
    /// Deepest nesting of GGUF arrays or pickle containers. candle: 64.
    pub max_nesting: u32,
    /// Largest uncompressed size of one zip member (NPZ, .pth) — stops zip
    /// bombs. Default 64 GiB.
    pub max_member_bytes: u64,
    /// Most zip members (NPZ, .pth). Default 1 000 000.
    pub max_zip_members: u64,
    /// Most bytes of parsed structure (metadata values, pickle objects,
    /// tensor entries) one parse may build, whatever the file's size. The
    /// budget of a parse is the smaller of this and
    /// [`PARSE_BYTES_BASE`] + [`PARSE_BYTES_PER_INPUT_BYTE`] × the input's
    /// size (see [`Limits::parse_budget`]). Default 512 MiB.
    pub max_parse_bytes: u64,
    /// A deflated member larger than [`INFLATE_RATIO_FREE_BYTES`] may not
    /// claim more than this many uncompressed bytes per compressed byte (zip
    /// bombs). numpy's compressed archives of real weights stay far below
    /// it; an all-zero tensor can exceed it. Default 100.
    pub max_inflate_ratio: u64,
    /// Most dict entries one walk over a pickled state dict may visit,
    /// counting every visit of an object shared through the pickle memo
    /// anew: a few kilobytes of pickle can reference one dict from many
    /// places and describe 2^40 paths, bounded in memory but not in work.
    /// Real state dicts visit about one entry per tensor. Default 2^24.
    pub max_pickle_visits: u64,
    /// Largest file the whole-read backend reads into memory. The other
    /// backends read only what they are asked for; this one reads every
    /// byte before parsing, so a sparse file of a terabyte with a valid
    /// header would otherwise be read (or its buffer refused by the
    /// allocator, which aborts). Default 64 GiB.
    pub max_whole_read_bytes: u64,
}

/// Bytes of parsed structure every parse may build, however small its input.
pub const PARSE_BYTES_BASE: u64 = 64 << 20;
/// Bytes of parsed structure a parse may build per byte of input.
pub const PARSE_BYTES_PER_INPUT_BYTE: u64 = 8;
/// Deflated members up to this uncompressed size may have any ratio.
pub const INFLATE_RATIO_FREE_BYTES: u64 = 64 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 1 << 40,
            max_header_bytes: 100_000_000,
            max_tensors: 1_000_000,
            max_dims: 64,
            max_string_bytes: 16 << 20,
            max_array_len: 1 << 26,
            max_metadata_entries: 1_000_000,
            max_nesting: 64,
            max_member_bytes: 64 << 30,
            max_zip_members: 1_000_000,
            max_parse_bytes: 512 << 20,
            max_inflate_ratio: 100,
            max_pickle_visits: 1 << 24,
            max_whole_read_bytes: 64 << 30,
        }
    }
}

impl Limits {
    /// How many bytes of parsed structure a parse of `input_bytes` may
    /// build: `min(max_parse_bytes, PARSE_BYTES_BASE +
    /// PARSE_BYTES_PER_INPUT_BYTE × input_bytes)`. Parsers charge what they
    /// allocate against it *before* allocating and fail with
    /// [`crate::LoadError::LimitExceeded`] (field `parse memory`) past it.
    pub fn parse_budget(&self, input_bytes: u64) -> u64 {
        PARSE_BYTES_BASE
            .saturating_add(input_bytes.saturating_mul(PARSE_BYTES_PER_INPUT_BYTE))
            .min(self.max_parse_bytes)
    }
}

/// Dimensions a GGUF tensor may have (GGML_MAX_DIMS in ggml.h).
pub const GGUF_MAX_DIMS: u64 = 4;
