use std::path::PathBuf;

/// Everything that can stop the harness.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: ledger JSON: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{experiment} / {case}: variant {variant} failed: {reason}")]
    Variant {
        experiment: String,
        case: String,
        variant: String,
        reason: String,
    },
    #[error("{experiment} / {case}: variants disagree: {a} gives checksum {ca:#x}, {b} gives {cb:#x}")]
    Disagree {
        experiment: String,
        case: String,
        a: String,
        ca: u64,
        b: String,
        cb: u64,
    },
    #[error("{path}: ledger schema {found}, this build reads schema {expected}")]
    Schema { path: PathBuf, found: u32, expected: u32 },
    #[error("callgrind: {0}")]
    Callgrind(String),
    #[error("plot {path}: {reason}")]
    Plot { path: PathBuf, reason: String },
    #[error("{0}")]
    Other(String),
}

impl HarnessError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HarnessError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = HarnessError> = std::result::Result<T, E>;
