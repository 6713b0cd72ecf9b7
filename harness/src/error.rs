use std::path::PathBuf;

/// Everything that can stop the harness.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A ledger, baseline or calibration file is not the JSON expected.
    #[error("{path}: ledger JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What serde_json said.
        #[source]
        source: serde_json::Error,
    },
    /// A variant's run failed.
    #[error("{experiment} / {case}: variant {variant} failed: {reason}")]
    Variant {
        /// Experiment id.
        experiment: String,
        /// Case label.
        case: String,
        /// Variant name.
        variant: String,
        /// The variant's error.
        reason: String,
    },
    /// Two variants of a case returned different checksums: they did not do the same work.
    #[error("{experiment} / {case}: variants disagree: {a} gives checksum {ca:#x}, {b} gives {cb:#x}")]
    Disagree {
        /// Experiment id.
        experiment: String,
        /// Case label.
        case: String,
        /// The first variant.
        a: String,
        /// Its checksum.
        ca: u64,
        /// The variant that disagrees.
        b: String,
        /// Its checksum.
        cb: u64,
    },
    /// A ledger written by another schema version.
    #[error("{path}: ledger schema {found}, this build reads schema {expected}")]
    Schema {
        /// The ledger file.
        path: PathBuf,
        /// Its schema.
        found: u32,
        /// The schema this build reads.
        expected: u32,
    },
    /// valgrind could not count instructions.
    #[error("callgrind: {0}")]
    Callgrind(String),
    /// A chart could not be drawn.
    #[error("plot {path}: {reason}")]
    Plot {
        /// The chart's file.
        path: PathBuf,
        /// What plotters said.
        reason: String,
    },
    /// Anything else, in words.
    #[error("{0}")]
    Other(String),
}

impl HarnessError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HarnessError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias of the harness.
pub type Result<T, E = HarnessError> = std::result::Result<T, E>;
