//! Choosing the backend by file size (H19): mmap at or above a threshold,
//! whole read below it.

use crate::backend::Backend;
use crate::error::{LoadError, Result};
use crate::limits::Limits;
use crate::model::Model;
use std::path::Path;

/// The threshold the recorded hypothesis proposed (64 MB). The ledger's
/// H19 (`reports/H19.md`) found the crossover far lower on this machine:
/// mmap was already faster at 16 MiB, warm and cold, and read only won at
/// 1 MiB and below.
pub const PROPOSED_THRESHOLD_BYTES: u64 = 64 * 1024 * 1024;

/// The threshold H19's measurements support: the smallest swept size at
/// which mmap measured faster than reading (16 MiB; sizes between 1 and
/// 16 MiB were not swept). Use this one.
pub const MEASURED_THRESHOLD_BYTES: u64 = 16 * 1024 * 1024;

/// The backend for a file of `size` bytes.
pub fn pick(size: u64, threshold: u64) -> Backend {
    if size >= threshold {
        Backend::Mmap
    } else {
        Backend::WholeRead
    }
}

/// Opens `path` with the backend [`pick`] chooses. Costs one extra `stat`.
pub fn open_by_size(path: &Path, threshold: u64, limits: &Limits) -> Result<Model> {
    let size = std::fs::metadata(path)
        .map_err(|e| LoadError::io(path.display().to_string(), e))?
        .len();
    Model::open(path, pick(size, threshold), limits)
}
