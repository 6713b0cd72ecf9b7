//! What every experiment is given: the fixture store, the run mode, and a
//! scratch folder; plus the cheap result digests variants return.

use fixtures::Store;
use harness::protocol::Tier;
use std::path::{Path, PathBuf};

/// Why a case could not be built: it is skipped, and the campaign records
/// the sentence.
#[derive(Debug, thiserror::Error)]
pub enum Skip {
    /// A fixture the case needs is not in the store.
    #[error("fixture {0} is not available (run `lab fixtures`)")]
    Missing(String),
    /// The loader refused or failed on a fixture.
    #[error(transparent)]
    Load(#[from] loader::LoadError),
    /// Reading or writing a file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The harness failed (a reference run, a measurement while building).
    #[error(transparent)]
    Harness(#[from] harness::HarnessError),
    /// Anything else, in words (a reference tool's failure, a fixture
    /// without the tensor a case needs).
    #[error("{0}")]
    Other(String),
}

impl From<String> for Skip {
    fn from(s: String) -> Skip {
        Skip::Other(s)
    }
}

impl From<&str> for Skip {
    fn from(s: &str) -> Skip {
        Skip::Other(s.to_owned())
    }
}

/// What every experiment is given.
pub struct Ctx {
    /// The fixture store.
    pub store: Store,
    /// Which cases to build: CI's quick tier has fewer and smaller ones.
    pub tier: Tier,
    /// A folder for files experiments write (caches, copies).
    pub scratch: PathBuf,
    /// Gather the evidence experiments record while building (`openssl
    /// speed`, H21's gate replay). Off in worker processes, which only
    /// measure: the campaign's own process records the evidence once.
    pub evidence: bool,
}

impl Ctx {
    /// A context over `store`, with a scratch folder in its cache.
    pub fn new(store: Store, tier: Tier) -> Ctx {
        let scratch = store.cache.join("scratch");
        let _ = std::fs::create_dir_all(&scratch);
        Ctx {
            store,
            tier,
            scratch,
            evidence: true,
        }
    }

    /// True in CI's quick tier (fewer and smaller cases).
    pub fn quick(&self) -> bool {
        self.tier.is_quick()
    }

    /// The fixture's path when it is present.
    pub fn fixture(&self, name: &str) -> Option<PathBuf> {
        self.store.path(name)
    }

    /// The fixture's path, or an error naming it.
    pub fn need(&self, name: &str) -> Result<PathBuf, Skip> {
        self.fixture(name).ok_or_else(|| Skip::Missing(name.to_owned()))
    }

    /// A file's size (0 when it cannot be read).
    pub fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }
}

/// A digest of every byte of an output (see [`harness::digest`]). Inside
/// a timed region only for small outputs; large ones are handed to the
/// harness with `Outcome::output` and digested after the clock stops.
pub fn digest(bytes: &[u8]) -> u64 {
    harness::digest::bytes(bytes)
}

pub use harness::digest::mix;

/// 64 bytes of every 4 KiB page and the length: for the one experiment that
/// declares it cannot defer its digest (H20).
pub fn sampled_digest(bytes: &[u8]) -> u64 {
    let mut h = bytes.len() as u64;
    for page in bytes.chunks(4096) {
        h = mix(h, digest(&page[..page.len().min(64)]));
    }
    h
}

/// A digest of loaded tensors: names, dtypes, shapes and every data byte.
pub fn tensors_digest(t: &[loader::load::LoadedTensor]) -> u64 {
    t.iter().fold(t.len() as u64, |h, x| {
        let h = mix(h, digest(x.name.as_bytes()));
        let h = mix(h, digest(x.dtype.name().as_bytes()));
        let h = x.shape.iter().fold(h, |h, &d| mix(h, d));
        mix(h, digest(&x.data))
    })
}

/// A digest of every byte of every tensor of an open model (names too).
pub fn model_digest(m: &loader::Model) -> u64 {
    m.inventory().tensors.iter().fold(0, |h, t| {
        let h = mix(h, digest(t.name.as_bytes()));
        mix(h, m.tensor_bytes_of(t).map_or(0, |b| digest(&b)))
    })
}

/// A digest of an inventory (names, dtypes, shapes, where each tensor's
/// bytes are) for inspect variants.
pub fn inventory_digest(inv: &loader::Inventory) -> u64 {
    let mut h = inv.tensors.len() as u64 ^ (inv.metadata.len() as u64) << 32;
    for t in &inv.tensors {
        h = mix(h, digest(t.name.as_bytes()));
        h = mix(h, digest(t.dtype.name().as_bytes()));
        h = mix(h, digest(format!("{:?}", t.data).as_bytes()));
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
        .and_then(|inv| inv.meta("tokenizer.ggml.tokens")?.array_len())
        .unwrap_or(0)
}

/// "warm" or "cold", for case labels.
pub fn cache_word(c: harness::CacheMode) -> &'static str {
    match c {
        harness::CacheMode::Warm => "warm",
        harness::CacheMode::Cold => "cold",
    }
}

/// The committed real GGUF files with quantized tensors, for experiments
/// that take one tensor per block type.
pub const QUANTIZED_FILES: &[&str] = &[
    "gemma-3-270m-q4_k_m.gguf",
    "SmolLM2-135M-Instruct.Q4_1.gguf",
    "minilm-q4_0.gguf",
    "minilm-q4_1.gguf",
    "minilm-q5_0.gguf",
    "minilm-q5_1.gguf",
    "minilm-q8_0.gguf",
    "minilm-tq1_0.gguf",
    "minilm-tq2_0.gguf",
];

/// For each block type `keep` accepts, the largest tensor of it among the
/// present `files`: (type, file, tensor, elements), in type-name order.
pub fn largest_quantized(
    ctx: &Ctx,
    files: &[&str],
    keep: impl Fn(loader::GgmlType) -> bool,
) -> Vec<(loader::GgmlType, String, String, u64)> {
    let mut best: Vec<(loader::GgmlType, String, String, u64)> = Vec::new();
    for f in files {
        let Some(p) = ctx.fixture(f) else { continue };
        let Ok(inv) = loader::inspect_path(&p, loader::Backend::Mmap, &loader::Limits::default()) else {
            continue;
        };
        for t in &inv.tensors {
            let loader::DType::Ggml(ty) = t.dtype else { continue };
            if !keep(ty) || ty.plain().is_some() {
                continue;
            }
            let n = t.n_elements();
            match best.iter_mut().find(|b| b.0 == ty) {
                Some(b) if b.3 >= n => {}
                Some(b) => *b = (ty, f.to_string(), t.name.clone(), n),
                None => best.push((ty, f.to_string(), t.name.clone(), n)),
            }
        }
    }
    best.sort_by_key(|b| b.0.name());
    best
}

/// A digest of F32 values (every bit), as the dequant and conversion
/// experiments compare their outputs.
pub fn f32_digest(v: &[f32]) -> u64 {
    let mut bytes = Vec::with_capacity(v.len() * 4);
    for x in v {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    mix(v.len() as u64, digest(&bytes))
}

/// An output buffer reused across trials, shared with the digest that
/// runs after the clock.
pub type Reused<T> = std::sync::Arc<std::sync::Mutex<Vec<T>>>;

/// A digest of F16 values (every bit).
pub fn f16_digest(v: &[half::f16]) -> u64 {
    let mut bytes = Vec::with_capacity(v.len() * 2);
    for x in v {
        bytes.extend_from_slice(&x.to_bits().to_le_bytes());
    }
    mix(v.len() as u64, digest(&bytes))
}

/// The outcome of a trial that wrote into `out`: every value digested
/// after the clock by `digest_of`.
pub fn reused_output<T: Send + 'static>(out: &Reused<T>, digest_of: fn(&[T]) -> u64) -> harness::Outcome {
    let out = out.clone();
    harness::Outcome::output(move || out.lock().map_or(0, |v| digest_of(&v)))
}

/// [`reused_output`] of F32 values.
pub fn reused_f32_output(out: &Reused<f32>) -> harness::Outcome {
    reused_output(out, f32_digest)
}

/// One quantized tensor's blocks, copied out of its file once.
pub struct Quantized {
    /// Its block type.
    pub ty: loader::GgmlType,
    /// The blocks as stored.
    pub blocks: std::sync::Arc<Vec<u8>>,
    /// GGUF order (innermost first).
    pub shape: Vec<u64>,
}

impl Quantized {
    /// Number of elements.
    pub fn elements(&self) -> usize {
        self.shape.iter().product::<u64>() as usize
    }
}

/// The blocks of `tensor` in the fixture `file`.
pub fn quantized_blocks(ctx: &Ctx, file: &str, tensor: &str) -> Result<Quantized, Skip> {
    let path = ctx.need(file)?;
    let m = loader::Model::open(&path, loader::Backend::Mmap, &loader::Limits::default())?;
    let q = m.quantized(tensor)?;
    Ok(Quantized {
        ty: q.ty,
        blocks: std::sync::Arc::new(q.blocks.to_vec()),
        shape: q.shape,
    })
}

/// The first 64 bits of a hex digest (a SHA-256 printed by a tool or a
/// Python reference).
pub fn hex64(hex: &str) -> Result<u64, String> {
    let h = hex.get(..16).ok_or_else(|| format!("short digest {hex:?}"))?;
    u64::from_str_radix(h, 16).map_err(|e| format!("digest {hex:?}: {e}"))
}

/// SHA-256 over the sorted lines joined by newlines, first 8 bytes: the
/// form the Python references print, so both sides can be compared.
pub fn lines_sha(mut lines: Vec<String>) -> u64 {
    use sha2::Digest;
    lines.sort();
    let d = sha2::Sha256::digest(lines.join("\n").as_bytes());
    u64::from_be_bytes(d[..8].try_into().unwrap_or_default())
}

/// [`lines_sha`] of one `name:dim,dim` line per tensor.
pub fn names_and_shapes<'a>(entries: impl Iterator<Item = (&'a str, &'a [u64])>) -> u64 {
    lines_sha(
        entries
            .map(|(n, s)| format!("{n}:{}", s.iter().map(u64::to_string).collect::<Vec<_>>().join(",")))
            .collect(),
    )
}

/// The files the cold-read experiments (H29–H31) read: MiniLM, the
/// Gemma-3 GGUF and a 1 GiB safetensors; MiniLM alone in the quick tier.
pub fn cold_read_files(ctx: &Ctx) -> &'static [&'static str] {
    if ctx.quick() {
        &["model.safetensors"]
    } else {
        &["model.safetensors", "gemma-3-270m-q4_k_m.gguf", "sweep-1g.safetensors"]
    }
}

/// A case that reads all of the fixture `name` into memory each way of
/// `plans` (the first is A; each other is compared with it under
/// `expect`) through `loader::io`: [`read_plan_case_at`] on the fixture.
pub fn read_plan_case(
    ctx: &Ctx,
    name: &str,
    cache: harness::CacheMode,
    what: &str,
    plans: &[(&str, loader::io::ReadPlan)],
    expect: harness::stats::verdict::Expect,
) -> Result<harness::Case<'static>, Skip> {
    read_plan_case_at(&ctx.need(name)?, name, cache, what, plans, expect)
}

/// A case that reads all of the file at `path` (`name` in its label) each
/// way of `plans`; every output is digested after the clock. A plan that
/// needs `O_DIRECT` on storage that refuses it (tmpfs) skips the case with
/// the storage named, rather than measuring something else.
pub fn read_plan_case_at(
    path: &Path,
    name: &str,
    cache: harness::CacheMode,
    what: &str,
    plans: &[(&str, loader::io::ReadPlan)],
    expect: harness::stats::verdict::Expect,
) -> Result<harness::Case<'static>, Skip> {
    if plans.iter().any(|(_, p)| p.direct) && !loader::io::direct_supported(path) {
        let fs = harness::storage::of(path).map_or_else(|| "unknown".to_owned(), |s| s.fs_type);
        return Err(Skip::Other(format!("{name}: its storage ({fs}) refuses O_DIRECT")));
    }
    let size = Ctx::size(path);
    let mut c = harness::Case::new(
        format!(
            "{name} ({}), {}, {what}",
            harness::report::svg::human(size as f64),
            cache_word(cache)
        ),
        harness::Metric::WallTime,
        cache,
    )
    .files([path.to_path_buf()])
    .bytes(size)
    .x(size as f64);
    for (label, plan) in plans {
        let (p, plan) = (path.to_path_buf(), *plan);
        c = c.variant(*label, move || {
            let buf = loader::io::read_file(&p, &plan)?;
            Ok(harness::Outcome::output(move || digest(&buf)))
        });
    }
    if let Some(((a, _), rest)) = plans.split_first() {
        for (b, _) in rest {
            c = c.compare(a, b, expect);
        }
    }
    Ok(c)
}

/// A loader setting scoped to the calling thread (huge-page advice,
/// pre-faulting) put to an A/B test: the same work run with the setting
/// at A's value and at B's. H27, H28 and H34 are built from it.
#[derive(Clone, Copy)]
pub struct Scoped<S: Copy + 'static> {
    /// Runs a variant with the setting at a value.
    pub scope: fn(S, &mut dyn FnMut() -> harness::experiment::VariantResult) -> harness::experiment::VariantResult,
    /// A's name and value.
    pub a: (&'static str, S),
    /// B's name and value.
    pub b: (&'static str, S),
    /// What B/A is claimed to be.
    pub expect: harness::stats::verdict::Expect,
}

impl<S: Copy + 'static> Scoped<S> {
    /// `f` run under the setting at `value`.
    fn at(
        &self,
        value: S,
        mut f: impl FnMut() -> harness::experiment::VariantResult + 'static,
    ) -> impl FnMut() -> harness::experiment::VariantResult + 'static {
        let scope = self.scope;
        move || scope(value, &mut f)
    }

    /// Dequantizing the real tensor `tensor` of `file` to F32, warm.
    pub fn dequant(&self, ctx: &Ctx, file: &str, tensor: &str) -> Result<harness::Case<'static>, Skip> {
        let q = quantized_blocks(ctx, file, tensor)?;
        let (ty, n) = (q.ty, q.elements() as u64);
        let variant = |value: S| {
            let blocks = q.blocks.clone();
            self.at(value, move || {
                let v = loader::dequant::dequantize_f32(ty, &blocks)?;
                Ok(harness::Outcome::output(move || f32_digest(&v)))
            })
        };
        Ok(harness::Case::new(
            format!(
                "dequantize_f32, {} {tensor} of {file} ({} of F32)",
                ty.name(),
                harness::report::svg::human((n * 4) as f64)
            ),
            harness::Metric::WallTime,
            harness::CacheMode::Warm,
        )
        .bytes(n * 4)
        .variant(self.a.0, variant(self.a.1))
        .variant(self.b.0, variant(self.b.1))
        .compare(self.a.0, self.b.0, self.expect))
    }

    /// `load_all` of every MiniLM tensor with `opts`, warm; `what` ends the
    /// label ("…, mmap backend, {what}, warm"); `bytes` records the file's
    /// size as the bytes a trial moves.
    pub fn load(
        &self,
        ctx: &Ctx,
        backend: loader::Backend,
        opts: loader::load::LoadOptions<'static>,
        what: &str,
        bytes: bool,
    ) -> Result<harness::Case<'static>, Skip> {
        let path = ctx.need("model.safetensors")?;
        let size = Ctx::size(&path);
        let variant = |value: S| {
            let p = path.clone();
            self.at(value, move || {
                let m = loader::Model::open(&p, backend, &loader::Limits::default())?;
                let ts = loader::load::load_all(&m, &opts)?;
                Ok(harness::Outcome::output(move || tensors_digest(&ts)))
            })
        };
        let mut c = harness::Case::new(
            format!(
                "load_all of model.safetensors ({}), {} backend, {what}, warm",
                harness::report::svg::human(size as f64),
                backend.name()
            ),
            harness::Metric::WallTime,
            harness::CacheMode::Warm,
        )
        .files([path.clone()]);
        if bytes {
            c = c.bytes(size);
        }
        Ok(c.variant(self.a.0, variant(self.a.1))
            .variant(self.b.0, variant(self.b.1))
            .compare(self.a.0, self.b.0, self.expect))
    }
}
