//! The one error type of the loader. Every variant names the file and, where
//! it applies, the offset, the field and the limit that failed, so a person
//! can fix the input without a debugger.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = LoadError> = std::result::Result<T, E>;

/// Everything that can go wrong while inspecting, verifying or loading a file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The operating system refused an operation.
    #[error("{file}: I/O error: {source}")]
    Io {
        /// The file.
        file: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// The file ends before a structure it announces.
    #[error("{file}: truncated{}: {field} needs {needed} bytes, {available} left", at(offset))]
    Truncated {
        /// The file.
        file: String,
        /// Where the structure starts, when known.
        offset: Option<u64>,
        /// What was being read.
        field: &'static str,
        /// Bytes the structure needs.
        needed: u64,
        /// Bytes left in the file.
        available: u64,
    },

    /// A count or size read from the file is larger than the configured limit.
    #[error("{file}: {field} = {found}{} exceeds the limit of {limit}", at(offset))]
    LimitExceeded {
        /// The file.
        file: String,
        /// Where the value was read, when known.
        offset: Option<u64>,
        /// What the value counts.
        field: &'static str,
        /// The value read.
        found: u64,
        /// The limit in force.
        limit: u64,
    },

    /// A value read from the file breaks a rule of its format.
    #[error("{file}: invalid {field}{}: {reason}", at(offset))]
    Invalid {
        /// The file.
        file: String,
        /// Where, when known.
        offset: Option<u64>,
        /// What was read.
        field: &'static str,
        /// Which rule it breaks.
        reason: String,
    },

    /// Arithmetic on sizes read from the file would overflow.
    #[error("{file}: {field} overflows 64-bit arithmetic")]
    Overflow {
        /// The file.
        file: String,
        /// What was being computed.
        field: String,
    },

    /// A well-formed file that uses something this crate does not support.
    #[error("{file}: unsupported {what}: {found}")]
    Unsupported {
        /// The file.
        file: String,
        /// What kind of thing.
        what: &'static str,
        /// What was found.
        found: String,
    },

    /// The restricted pickle interpreter refused an opcode or a global.
    #[error("{file}: pickle refused{}: {reason}", at(offset))]
    PickleRefused {
        /// The file.
        file: String,
        /// Offset of the opcode, when known.
        offset: Option<u64>,
        /// What was refused.
        reason: String,
    },

    /// The file is none of the supported formats.
    #[error("{file}: not a safetensors, GGUF, NPZ or PyTorch file (first bytes {magic})")]
    UnknownFormat {
        /// The file.
        file: String,
        /// Its first bytes, in hex.
        magic: String,
    },

    /// The file changed while it was read (its size or modification time
    /// differs from what it was when opened), so what was read describes no
    /// version of it.
    #[error("{file}: changed while it was read: {what}")]
    Changed {
        /// The file.
        file: String,
        /// What changed.
        what: String,
    },

    /// A digest did not match.
    #[error("{file}: sha256 mismatch: expected {expected}, got {actual}")]
    HashMismatch {
        /// The file.
        file: String,
        /// The digest expected.
        expected: String,
        /// The digest computed.
        actual: String,
    },

    /// A path was refused by path validation.
    #[error("{path}: refused: {reason}")]
    PathRefused {
        /// The path as given.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },

    /// The caller asked for a tensor that the file does not hold.
    #[error("{file}: no tensor named {name:?}")]
    TensorNotFound {
        /// The file.
        file: String,
        /// The name asked for.
        name: String,
    },

    /// A buffer handed to a low-level conversion has the wrong size.
    #[error("{what}: expected {expected}, found {found}")]
    SizeMismatch {
        /// What was passed.
        what: &'static str,
        /// Its expected size.
        expected: u64,
        /// Its size.
        found: u64,
    },

    /// The caller asked for a conversion that does not exist.
    #[error("{file}: cannot convert tensor {name:?} from {from} to {to}")]
    Conversion {
        /// The file.
        file: String,
        /// The tensor.
        name: String,
        /// Its dtype.
        from: String,
        /// The dtype asked for.
        to: String,
    },
}

/// " at offset N" when the position is known, else nothing.
fn at(offset: &Option<u64>) -> String {
    offset.map_or(String::new(), |o| format!(" at offset {o}"))
}

impl LoadError {
    /// Names the file in an error raised where it was not known (the
    /// conversions and dequantizers work on bytes): fills an empty `file`,
    /// leaves a named one alone. Called once, at the boundary that knows
    /// the file ([`crate::Model`]).
    pub fn in_file(mut self, name: &str) -> Self {
        let slot = match &mut self {
            LoadError::Io { file, .. }
            | LoadError::Truncated { file, .. }
            | LoadError::LimitExceeded { file, .. }
            | LoadError::Invalid { file, .. }
            | LoadError::Overflow { file, .. }
            | LoadError::Unsupported { file, .. }
            | LoadError::PickleRefused { file, .. }
            | LoadError::UnknownFormat { file, .. }
            | LoadError::HashMismatch { file, .. }
            | LoadError::Changed { file, .. }
            | LoadError::TensorNotFound { file, .. }
            | LoadError::Conversion { file, .. } => Some(file),
            LoadError::PathRefused { .. } | LoadError::SizeMismatch { .. } => None,
        };
        if let Some(f) = slot.filter(|f| f.is_empty()) {
            name.clone_into(f);
        }
        self
    }

    /// As [`LoadError::in_file`], and names the tensor of a conversion error.
    pub fn in_tensor(self, file: &str, tensor: &str) -> Self {
        match self.in_file(file) {
            LoadError::Conversion { file, name, from, to } if name.is_empty() => LoadError::Conversion {
                file,
                name: tensor.to_owned(),
                from,
                to,
            },
            other => other,
        }
    }

    /// Wraps an I/O error with the file it concerns.
    pub fn io(file: impl Into<String>, source: std::io::Error) -> Self {
        LoadError::Io {
            file: file.into(),
            source,
        }
    }

    /// Short machine-readable name of the variant, used by the CLI and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            LoadError::Io { .. } => "io",
            LoadError::Truncated { .. } => "truncated",
            LoadError::LimitExceeded { .. } => "limit",
            LoadError::Invalid { .. } => "invalid",
            LoadError::Overflow { .. } => "overflow",
            LoadError::Unsupported { .. } => "unsupported",
            LoadError::PickleRefused { .. } => "pickle",
            LoadError::UnknownFormat { .. } => "unknown-format",
            LoadError::Changed { .. } => "changed",
            LoadError::HashMismatch { .. } => "hash-mismatch",
            LoadError::PathRefused { .. } => "path",
            LoadError::TensorNotFound { .. } => "not-found",
            LoadError::Conversion { .. } => "conversion",
            LoadError::SizeMismatch { .. } => "size",
        }
    }
}
