//! The peers group: loadlab against the libraries and tools a user would
//! otherwise load with (candle-core, the safetensors crate, gguf-py,
//! numpy, openssl, sha256sum), and against this machine's limits.
//!
//! Every comparison puts the peer (or the limit) as A and loadlab as B, so
//! B/A is loadlab's time as a fraction of the other's, and each claim is a
//! target ratio that B/A must stay at or under (`reports/peers.md` reads
//! them that way). Rust peers are linked only with `--features peers`;
//! without it their cases are skipped with the reason. `lab run` runs the
//! group only when asked (`--group peers` or `--only P01,…`).

use std::path::Path;
use std::process::Command;

pub mod p01_gguf_inspect;
pub mod p02_inspect_process;
pub mod p03_safetensors_inspect;
pub mod p04_f32_load;
pub mod p05_dequant;
pub mod p06_verify;
pub mod p07_verify_process;
pub mod p08_f16_convert;
pub mod p09_python;
pub mod p10_limits;
pub mod p11_cold_load;

/// Why a case needing a linked peer was skipped in a build without it.
#[cfg(not(feature = "peers"))]
pub const NOT_LINKED: &str =
    "needs the Rust peers: build the lab with `cargo build --release -p experiments --features peers`";

/// Runs a command to completion; its stdout, or an error with its stderr.
pub fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A sibling of the running `lab` binary in the same target folder
/// (`loader`, `candle-inspect`), or why it is missing.
pub fn sibling(name: &str, build: &str) -> Result<std::path::PathBuf, String> {
    let exe = crate::commands::this_exe();
    let p = exe
        .parent()
        .map(|d| d.join(name))
        .ok_or("no folder for the lab binary")?;
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!("{} is not built ({build})", p.display()))
    }
}

/// The numpy name of a loadlab dtype (for digests shared with numpy).
pub fn numpy_name(d: loader::DType) -> &'static str {
    use loader::DType::*;
    match d {
        Bool => "bool",
        U8 => "uint8",
        I8 => "int8",
        U16 => "uint16",
        I16 => "int16",
        U32 => "uint32",
        I32 => "int32",
        U64 => "uint64",
        I64 => "int64",
        F16 => "float16",
        F32 => "float32",
        F64 => "float64",
        _ => "unsupported",
    }
}

/// SHA-256 over sorted `name NUL dtype NUL bytes` records, as the Python
/// references print it for loaded arrays.
pub fn arrays_sha<'a>(items: impl IntoIterator<Item = (&'a str, &'a str, &'a [u8])>) -> u64 {
    use sha2::Digest;
    let mut v: Vec<_> = items.into_iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    let mut h = sha2::Sha256::new();
    for (name, dt, bytes) in v {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(dt.as_bytes());
        h.update([0]);
        h.update(bytes);
    }
    let d = h.finalize();
    u64::from_be_bytes(d[..8].try_into().unwrap_or_default())
}

/// A candle tensor's elements as little-endian bytes (what a file stores),
/// for digests shared with loadlab's outputs; empty for a dtype not listed.
#[cfg(feature = "peers")]
pub fn candle_bytes(t: &candle_core::Tensor) -> Vec<u8> {
    use candle_core::DType;
    fn le<T: Copy, const N: usize>(v: candle_core::Result<Vec<T>>, f: fn(T) -> [u8; N]) -> Vec<u8> {
        v.map(|v| v.into_iter().flat_map(f).collect()).unwrap_or_default()
    }
    let Ok(flat) = t.flatten_all() else { return Vec::new() };
    match t.dtype() {
        DType::U8 => flat.to_vec1::<u8>().unwrap_or_default(),
        DType::U32 => le(flat.to_vec1::<u32>(), u32::to_le_bytes),
        DType::I64 => le(flat.to_vec1::<i64>(), i64::to_le_bytes),
        DType::F16 => le(flat.to_vec1::<half::f16>(), half::f16::to_le_bytes),
        DType::BF16 => le(flat.to_vec1::<half::bf16>(), half::bf16::to_le_bytes),
        DType::F32 => le(flat.to_vec1::<f32>(), f32::to_le_bytes),
        DType::F64 => le(flat.to_vec1::<f64>(), f64::to_le_bytes),
        _ => Vec::new(),
    }
}

pub use crate::context::{f32_digest, hex64, lines_sha, names_and_shapes};

/// The Python reference's interpreter, from the fixture cache's venv.
pub fn python(ctx: &crate::Ctx) -> Result<std::path::PathBuf, String> {
    let py = ctx.store.cache.join("venv/bin/python");
    if py.is_file() {
        Ok(py)
    } else {
        Err(format!("{} is missing (run `lab fixtures`)", py.display()))
    }
}

/// Runs `peer_bench.py OP PATH`: (seconds measured inside, digest).
pub fn python_op(ctx: &crate::Ctx, op: &str, path: &Path) -> Result<(f64, u64), String> {
    let script = ctx.store.dir.join("python/peer_bench.py");
    let out = run(Command::new(python(ctx)?).arg(script).arg(op).arg(path))?;
    let mut it = out.split_whitespace();
    let secs: f64 = it
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("peer_bench.py printed no timing")?;
    let d = it.next().map_or(Ok(0), hex64)?;
    Ok((secs, d))
}
