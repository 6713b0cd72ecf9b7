//! A cache of pre-quantized models (H16): F32 tensors quantized to Q8_0
//! once, stored as a GGUF file named by the source's SHA-256 and the
//! target type. A hit opens the cached file; a corrupted or truncated entry
//! (its own SHA-256, kept beside it, no longer matches) is rebuilt, never
//! served. Writers go through a temporary file and `rename`, so concurrent
//! builders cannot leave a torn entry.
//!
//! The source's SHA-256 is remembered per (path, size, mtime) so a hit does
//! not re-hash the source; the entry itself is re-hashed on every hit,
//! which is what makes a corrupted entry detectable. Even with that check,
//! the ledger's H16 measured a hit several times faster
//! than quantizing on every load.

use crate::backend::Backend;
use crate::dtype::{DType, GgmlType};
use crate::error::{LoadError, Result};
use crate::formats::gguf::{self, WriteTensor};
use crate::limits::Limits;
use crate::model::Model;
use crate::verify;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What a lookup did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The cached file was valid and used.
    Hit,
    /// The cache file was absent or invalid and was rebuilt.
    Miss,
    /// The entry existed but failed its check, and was rebuilt.
    Rebuilt(String),
}

/// A folder of Q8_0 GGUF files quantized once from F32/F16 models and reused (H16).
pub struct PrequantCache {
    dir: PathBuf,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn io(p: &Path, e: std::io::Error) -> LoadError {
    LoadError::io(p.display().to_string(), e)
}

/// Quantizes every 2-D F32 tensor whose rows are whole Q8_0 blocks, keeps
/// the others as they are, and returns the GGUF bytes.
pub fn quantize_model_q8_0(src: &Model, source_sha256: &str) -> Result<Vec<u8>> {
    let mut owned: Vec<(String, Vec<u64>, GgmlType, Vec<u8>)> = Vec::new();
    for t in &src.inventory().tensors {
        let bytes = src.tensor_bytes_of(t)?;
        let dims: Vec<u64> = t.shape.iter().rev().copied().collect();
        let ggml = match t.dtype {
            DType::F32 => GgmlType::F32,
            DType::F16 => GgmlType::F16,
            DType::BF16 => GgmlType::BF16,
            DType::I64 => GgmlType::I64,
            DType::I32 => GgmlType::I32,
            other => {
                return Err(LoadError::Conversion {
                    file: src.name().to_owned(),
                    name: t.name.clone(),
                    from: other.name().to_owned(),
                    to: "GGUF".into(),
                })
            }
        };
        if t.dtype == DType::F32 && t.shape.len() == 2 && t.shape[1] % 32 == 0 {
            let f: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            owned.push((t.name.clone(), dims, GgmlType::Q8_0, crate::quant::quantize_q8_0(&f)?));
        } else {
            owned.push((t.name.clone(), dims, ggml, bytes.into_owned()));
        }
    }
    let tensors: Vec<WriteTensor<'_>> = owned
        .iter()
        .map(|(name, dims, ty, data)| WriteTensor {
            name,
            dims: dims.clone(),
            ty: *ty,
            data,
        })
        .collect();
    let mut out = Vec::new();
    gguf::write(
        &mut out,
        &[("loadlab.source_sha256", source_sha256), ("loadlab.target", "Q8_0")],
        &tensors,
    )
    .map_err(|e| LoadError::io(src.name(), e))?;
    Ok(out)
}

impl PrequantCache {
    /// A cache in `dir` (created on first use).
    pub fn new(dir: impl Into<PathBuf>) -> PrequantCache {
        PrequantCache { dir: dir.into() }
    }

    /// The cache's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the entry for a source digest.
    pub fn entry_path(&self, source_sha256: &str) -> PathBuf {
        self.dir.join(format!("{source_sha256}-q8_0.gguf"))
    }

    /// The source's SHA-256, from the (path, size, mtime) memo or by hashing.
    pub fn source_digest(&self, src: &Path) -> Result<String> {
        let meta = std::fs::metadata(src).map_err(|e| io(src, e))?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let canon = src.canonicalize().map_err(|e| io(src, e))?;
        let key = format!("{}\n{}\n{}", canon.display(), meta.len(), mtime);
        let memo = self
            .dir
            .join("sources")
            .join(format!("{}.sha256", verify::sha256_hex(key.as_bytes())));
        if let Ok(s) = std::fs::read_to_string(&memo) {
            if s.len() == 64 {
                return Ok(s);
            }
        }
        let digest = verify::sha256_file(src)?;
        write_atomic(&memo, digest.as_bytes())?;
        Ok(digest)
    }

    /// Loads the Q8_0 version of `src`, building it on a miss.
    pub fn load(&self, src: &Path, limits: &Limits) -> Result<(Model<'static>, Outcome)> {
        let digest = self.source_digest(src)?;
        let entry = self.entry_path(&digest);
        let sidecar = entry.with_extension("gguf.sha256");
        let mut outcome = Outcome::Miss;
        if entry.exists() {
            let expected = std::fs::read_to_string(&sidecar).unwrap_or_default();
            let check = verify::verify_sha256(&entry, &expected);
            match check.and_then(|()| Model::open(&entry, Backend::Mmap, limits)) {
                Ok(m) => return Ok((m, Outcome::Hit)),
                Err(e) => outcome = Outcome::Rebuilt(e.to_string()),
            }
        }
        let source = Model::open(src, Backend::Mmap, limits)?;
        let bytes = quantize_model_q8_0(&source, &digest)?;
        write_atomic(&entry, &bytes)?;
        write_atomic(&sidecar, verify::sha256_hex(&bytes).as_bytes())?;
        Ok((Model::open(&entry, Backend::Mmap, limits)?, outcome))
    }
}

/// Writes through a unique temporary file in the same folder, then renames.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}
