//! H22 — streaming SHA-256 verify: the read size, and a read-ahead thread.

use crate::context::{digest, Ctx, Skip};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};

fn case(ctx: &Ctx, name: &str, cache: CacheMode) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let size = Ctx::size(&path);
    let want = loader::verify::sha256_file(&path)?;
    let check = move |got: String, want: &str| -> harness::experiment::VariantResult {
        if got != want {
            return Err(format!("digest {got} differs from the file's {want}").into());
        }
        Ok(Outcome::checksum(digest(got.as_bytes())))
    };
    let chunked = |chunk: usize| {
        let (p, want) = (path.clone(), want.clone());
        move || -> harness::experiment::VariantResult {
            let f = std::fs::File::open(&p)?;
            let (got, _) = loader::verify::sha256_reader_chunked(f, "f", chunk)?;
            check(got, &want)
        }
    };
    let (p, w) = (path.clone(), want.clone());
    let overlapped = move || -> harness::experiment::VariantResult {
        check(
            loader::verify::sha256_file_overlapped(&p, loader::verify::HASH_CHUNK_BYTES)?,
            &w,
        )
    };
    Ok(Case::new(
        format!(
            "{name} ({}), {}",
            harness::report::svg::human(size as f64),
            crate::context::cache_word(cache)
        ),
        Metric::WallTime,
        cache,
    )
    .files([path.clone()])
    .bytes(size)
    .variant("A 1 MiB reads", chunked(1 << 20))
    .variant("B 1 MiB reads, read-ahead thread", overlapped)
    .variant("C 8 KiB reads", chunked(8 << 10))
    .variant("D 64 KiB reads", chunked(64 << 10))
    .variant("E 256 KiB reads", chunked(256 << 10))
    .compare("A 1 MiB reads", "B 1 MiB reads, read-ahead thread", Expect::Ratio(0.88))
    .compare("A 1 MiB reads", "C 8 KiB reads", Expect::Unclaimed)
    .compare("A 1 MiB reads", "D 64 KiB reads", Expect::Unclaimed)
    .compare("A 1 MiB reads", "E 256 KiB reads", Expect::Unclaimed))
}

/// H22's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    if ctx.quick() {
        b.case(case(ctx, "sweep-64m.safetensors", CacheMode::Warm));
        return b;
    }
    b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf", CacheMode::Warm));
    b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf", CacheMode::Cold));
    b.case(case(ctx, "sweep-64m.safetensors", CacheMode::Warm));
    b
}
