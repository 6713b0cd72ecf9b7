//! What every experiment is given: the fixture store, the run mode, and a
//! scratch folder; plus the cheap result digests variants return.

use fixtures::Store;
use std::path::{Path, PathBuf};

/// What every experiment is given.
pub struct Ctx {
    /// The fixture store.
    pub store: Store,
    /// CI's quick mode: fewer and smaller cases.
    pub quick: bool,
    /// A folder for files experiments write (caches, copies).
    pub scratch: PathBuf,
}

impl Ctx {
    /// A context over `store`, with a scratch folder in its cache.
    pub fn new(store: Store, quick: bool) -> Ctx {
        let scratch = store.cache.join("scratch");
        let _ = std::fs::create_dir_all(&scratch);
        Ctx { store, quick, scratch }
    }

    /// The fixture's path when it is present.
    pub fn fixture(&self, name: &str) -> Option<PathBuf> {
        self.store.path(name)
    }

    /// The fixture's path, or an error naming it.
    pub fn need(&self, name: &str) -> Result<PathBuf, String> {
        self.fixture(name)
            .ok_or_else(|| format!("fixture {name} is not available (run `lab fixtures`)"))
    }

    /// A file's size (0 when it cannot be read).
    pub fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }
}

/// FNV-1a over the length and 64 bytes of every 4 KiB page: cheap beside
/// any variant's work, yet different for any output that differs in size
/// or in a sampled page.
pub fn digest(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    let mut at = 0;
    while at < bytes.len() {
        for &b in &bytes[at..(at + 64).min(bytes.len())] {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        at += 4096;
    }
    if let Some(&last) = bytes.last() {
        h = (h ^ u64::from(last)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Combines digests order-sensitively.
pub fn mix(a: u64, b: u64) -> u64 {
    (a ^ b
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(a << 6)
        .wrapping_add(a >> 2))
    .wrapping_mul(0x100_0000_01b3)
}

/// A digest of an inventory (names, dtypes, shapes, ranges) for inspect variants.
pub fn inventory_digest(inv: &loader::Inventory) -> u64 {
    let mut h = inv.tensors.len() as u64 ^ (inv.metadata.len() as u64) << 32;
    for t in &inv.tensors {
        h = mix(h, digest(t.name.as_bytes()));
        h = mix(
            h,
            t.shape
                .iter()
                .fold(t.data.len(), |a, &d| a.wrapping_mul(31).wrapping_add(d)),
        );
    }
    h
}

/// Length of a GGUF file's `tokenizer.ggml.tokens` array (0 if none).
pub fn vocab_size(path: &Path) -> usize {
    loader::inspect_path(path, loader::Backend::Mmap, &loader::Limits::default())
        .ok()
        .and_then(|inv| match inv.meta("tokenizer.ggml.tokens") {
            Some(loader::MetaValue::Array(a)) => Some(a.len()),
            _ => None,
        })
        .unwrap_or(0)
}

/// "warm" or "cold", for case labels.
pub fn cache_word(c: harness::CacheMode) -> &'static str {
    match c {
        harness::CacheMode::Warm => "warm",
        harness::CacheMode::Cold => "cold",
    }
}
