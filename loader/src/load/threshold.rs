//! Choosing the backend by file size (H19): mmap at or above a threshold,
//! whole read below it.

use crate::backend::Backend;
use crate::error::{LoadError, Result};
use crate::limits::Limits;
use crate::model::Model;
use std::path::Path;

/// The threshold the recorded hypothesis proposed (64 MB).
pub const PROPOSED_THRESHOLD_BYTES: u64 = 64 * 1024 * 1024;

/// The threshold H19's measurements support (`reports/H19.md` in the
/// loadlab repository, a consumer reading every byte): the smallest swept
/// size at which mmap measured faster both warm and cold. At 16 MiB reading
/// wins cold while warm is inconclusive; sizes between 16 and 64 MiB were
/// not swept.
pub const MEASURED_THRESHOLD_BYTES: u64 = 64 * 1024 * 1024;

/// The backend for a file of `size` bytes.
pub fn pick(size: u64, threshold: u64) -> Backend {
    if size >= threshold {
        Backend::Mmap
    } else {
        Backend::WholeRead
    }
}

/// Opens `path` with the backend [`pick`] chooses. Costs one extra `stat`.
pub fn open_by_size(path: &Path, threshold: u64, limits: &Limits) -> Result<Model<'static>> {
    let size = std::fs::metadata(path)
        .map_err(|e| LoadError::io(path.display().to_string(), e))?
        .len();
    Model::open(path, pick(size, threshold), limits)
}
