//! P06 — streaming SHA-256 verify in-process against the machine's limit:
//! hashing the same bytes already in memory; and several files at once.

use super::hex64;
use crate::context::Skip;
use crate::registry::Built;
use crate::Ctx;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use std::sync::Arc;

fn sha(bytes: &[u8]) -> String {
    loader::verify::sha256_hex(bytes)
}

fn single(ctx: &Ctx, name: &str) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let bytes = Arc::new(std::fs::read(&path)?);
    let want = sha(&bytes);
    let w2 = want.clone();
    let p = path.clone();
    Ok(Case::new(
        format!("{name} ({}), warm", harness::report::svg::human(bytes.len() as f64)),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .files([path])
    .bytes(bytes.len() as u64)
    .variant("A limit: sha2 over bytes in memory", move || {
        let got = sha(&bytes);
        if got != want {
            return Err("in-memory digest changed".into());
        }
        Ok(Outcome::checksum(hex64(&got)?))
    })
    .variant("B loadlab verify", move || {
        let got = loader::verify::sha256_file(&p)?;
        if got != w2 {
            return Err(format!("digest {got} is not the file's {w2}").into());
        }
        Ok(Outcome::checksum(hex64(&got)?))
    })
    .compare(
        "A limit: sha2 over bytes in memory",
        "B loadlab verify",
        Expect::AtMost(1.0 / 0.97),
    ))
}

fn two_files(ctx: &Ctx, name: &str) -> Result<Case<'static>, Skip> {
    let src = ctx.need(name)?;
    // Two files of the same size and different content in the scratch
    // folder: a copy, and the copy with its first byte changed.
    let first = Arc::new(std::fs::read(&src)?);
    let mut bytes = first.to_vec();
    if let Some(b) = bytes.first_mut() {
        *b ^= 0xff;
    }
    let second = Arc::new(bytes);
    let root = ctx.scratch.clone();
    let files = [format!("p06-first-{name}"), format!("p06-second-{name}")];
    std::fs::write(root.join(&files[0]), &*first)?;
    std::fs::write(root.join(&files[1]), &*second)?;
    let (path, copy) = (root.join(&files[0]), root.join(&files[1]));
    let want = format!("{} {}", sha(&first), sha(&second));
    let entries = vec![
        loader::verify::ManifestEntry {
            file: files[0].clone(),
            sha256: sha(&first),
        },
        loader::verify::ManifestEntry {
            file: files[1].clone(),
            sha256: sha(&second),
        },
    ];
    let size = (first.len() + second.len()) as u64;
    let (pa, ca, w1, w2, w3) = (path.clone(), copy.clone(), want.clone(), want.clone(), want);
    let check = |got: String, want: &str| -> harness::experiment::VariantResult {
        if got != want {
            return Err(format!("digests {got} are not the files' {want}").into());
        }
        Ok(Outcome::checksum(crate::context::digest(got.as_bytes())))
    };
    Ok(Case::new(
        format!("two files of {}, warm", harness::report::svg::human(first.len() as f64)),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .files([path, copy])
    .bytes(size)
    .variant("A loadlab, one after the other", move || {
        let a = loader::verify::sha256_file(&pa)?;
        let b = loader::verify::sha256_file(&ca)?;
        check(format!("{a} {b}"), &w1)
    })
    .variant("B loadlab verify_manifest (parallel)", move || {
        let v = loader::verify::verify_manifest(&root, &entries, u64::MAX);
        for f in &v {
            if let Err(e) = &f.result {
                return Err(e.to_string().into());
            }
        }
        // verify_manifest checked each digest against the manifest.
        check(w2.clone(), &w2)
    })
    .variant("C limit: two in-memory streams on two threads", move || {
        let (a, b) = rayon::join(|| sha(&first), || sha(&second));
        check(format!("{a} {b}"), &w3)
    })
    .compare(
        "A loadlab, one after the other",
        "B loadlab verify_manifest (parallel)",
        Expect::AtMost(1.0 / 1.8),
    )
    .compare(
        "C limit: two in-memory streams on two threads",
        "B loadlab verify_manifest (parallel)",
        Expect::Unclaimed,
    ))
}

/// P06's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(single(ctx, "gemma-3-270m-q4_k_m.gguf"));
    b.case(single(ctx, "sweep-64m.safetensors"));
    b.case(two_files(ctx, "sweep-64m.safetensors"));
    b
}
