//! H07 — "multi-threaded SHA-256" of one large file. One SHA-256 digest is
//! sequential (Merkle–Damgård), so the variants say exactly what runs in
//! parallel: reading overlapped with hashing (same digest), a chunked tree
//! digest (a *different* digest), and several files at once.

use crate::context::{mix, Ctx, Skip};
use crate::registry::Built;
use harness::ledger::Evidence;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Reader thread fills 1 MiB buffers, the caller hashes them: I/O and
/// hashing overlap, the digest is the ordinary one.
pub fn sha256_overlapped(path: &Path) -> Result<String, String> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let p = path.to_owned();
    let reader = std::thread::spawn(move || -> Result<(), String> {
        let mut f = std::fs::File::open(&p).map_err(|e| e.to_string())?;
        loop {
            let mut buf = back_rx.try_recv().unwrap_or_else(|_| vec![0u8; 1 << 20]);
            buf.resize(1 << 20, 0);
            let n = f.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Ok(());
            }
            buf.truncate(n);
            if tx.send(buf).is_err() {
                return Ok(());
            }
        }
    });
    let mut h = Sha256::new();
    for buf in rx {
        h.update(&buf);
        let _ = back_tx.send(buf);
    }
    reader.join().map_err(|_| "reader thread panicked".to_string())??;
    Ok(loader::verify::hex(&h.finalize()))
}

/// Tree digest: SHA-256 over the SHA-256s of 64 MiB chunks, in parallel.
pub fn sha256_tree(path: &Path, chunk: u64) -> Result<String, String> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    let n = len.div_ceil(chunk);
    let digests: Result<Vec<Vec<u8>>, String> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut h = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            let (mut at, end) = (i * chunk, ((i + 1) * chunk).min(len));
            while at < end {
                let k = ((end - at) as usize).min(buf.len());
                f.read_exact_at(&mut buf[..k], at).map_err(|e| e.to_string())?;
                h.update(&buf[..k]);
                at += k as u64;
            }
            Ok(h.finalize().to_vec())
        })
        .collect();
    let mut top = Sha256::new();
    for d in digests? {
        top.update(&d);
    }
    Ok(loader::verify::hex(&top.finalize()))
}

fn file_case(ctx: &Ctx, name: &str, cache: CacheMode, headline: bool) -> Vec<Result<Case<'static>, Skip>> {
    let Some(path) = ctx.fixture(name) else {
        return vec![Err(Skip::Missing(name.to_owned()))];
    };
    let size = Ctx::size(&path);
    let tag = |w: &str| {
        format!(
            "{name} ({}), {w}, {}",
            harness::report::svg::human(size as f64),
            crate::context::cache_word(cache)
        )
    };
    let digest_of = |s: String| s.bytes().fold(0u64, |h, b| mix(h, u64::from(b)));
    let (p1, p2, p3, p4) = (path.clone(), path.clone(), path.clone(), path.clone());
    let mut same = Case::new(tag("same digest"), Metric::WallTime, cache)
        .files([path.clone()])
        .bytes(size)
        .x(size as f64)
        .variant("A single stream", move || {
            Ok(Outcome::checksum(digest_of(loader::verify::sha256_file(&p1)?)))
        })
        .variant("B read/hash overlapped", move || {
            Ok(Outcome::checksum(digest_of(sha256_overlapped(&p2)?)))
        });
    if !headline {
        same = same.compare("A single stream", "B read/hash overlapped", Expect::Ratio(1.0 / 3.0));
    }
    // The tree digest differs from the file's SHA-256 by design: each
    // variant's result is checked against its own reference, computed once
    // here (single-threaded), and both report the bytes they covered.
    let refs = loader::verify::sha256_file(&path)
        .map_err(|e| e.to_string())
        .and_then(|a| Ok((a, sha256_tree(&path, 64 << 20)?)));
    let (want_a, want_c) = match refs {
        Ok(r) => r,
        Err(e) => return vec![Ok(same), Err(e.into())],
    };
    let checked = move |got: String, want: &str| -> harness::experiment::VariantResult {
        if got != want {
            return Err(format!("digest {got} differs from its reference {want}").into());
        }
        Ok(Outcome::checksum(size))
    };
    let tree = Case::new(tag("tree digest"), Metric::WallTime, cache)
        .files([path])
        .bytes(size)
        .variant("A single stream", move || {
            checked(loader::verify::sha256_file(&p3)?, &want_a)
        })
        .variant("C 64 MiB chunks, rayon tree", move || {
            checked(sha256_tree(&p4, 64 << 20)?, &want_c)
        })
        .compare(
            "A single stream",
            "C 64 MiB chunks, rayon tree",
            Expect::Ratio(1.0 / 3.0),
        );
    vec![Ok(same), Ok(tree)]
}

/// A digest of a file's name (not its folder).
fn name_digest(p: &std::path::Path) -> u64 {
    crate::context::digest(p.file_name().map_or(&[][..], |n| n.as_encoded_bytes()))
}

fn shards_case(ctx: &Ctx) -> Result<Case<'static>, Skip> {
    let index = ctx.need("minilm-sharded/model.safetensors.index.json")?;
    let dir: PathBuf = index.parent().ok_or("index has no folder")?.to_owned();
    let text = std::fs::read_to_string(&index)?;
    let idx = loader::formats::safetensors::ShardIndex::parse("index", &text)?;
    let mut lines = String::new();
    for s in idx.shards() {
        let d = loader::verify::sha256_file(&dir.join(s))?;
        lines.push_str(&format!("{d}  {s}\n"));
    }
    let entries = loader::verify::parse_manifest(&lines, "SHA256SUMS")?;
    let files: Vec<PathBuf> = entries.iter().map(|e| dir.join(&e.file)).collect();
    let bytes: u64 = files.iter().map(|f| Ctx::size(f)).sum();
    let (d1, d2, e1, e2) = (dir.clone(), dir, entries.clone(), entries);
    Ok(
        Case::new("3 shards of MiniLM (91 MB), warm", Metric::WallTime, CacheMode::Warm)
            .files(files)
            .bytes(bytes)
            // Both report which file verified; a file that failed is an error.
            .variant("A one file after another", move || {
                let mut h = 0;
                for e in &e1 {
                    loader::verify::verify_sha256(&d1.join(&e.file), &e.sha256)?;
                    h = mix(h, name_digest(std::path::Path::new(&e.file)));
                }
                Ok(Outcome::checksum(h))
            })
            .variant("D verify_manifest (rayon across files)", move || {
                let mut h = 0;
                for r in loader::verify::verify_manifest(&d2, &e2, u64::MAX) {
                    r.result?;
                    h = mix(h, name_digest(&r.file));
                }
                Ok(Outcome::checksum(h))
            })
            .compare(
                "A one file after another",
                "D verify_manifest (rayon across files)",
                Expect::Unclaimed,
            ),
    )
}

/// `openssl speed` and an in-memory SHA-256 loop: the CPU's hashing ceiling.
pub fn hashing_capability() -> Vec<Evidence> {
    let mut ev = Vec::new();
    let buf = vec![0x5au8; 256 << 20];
    let t = std::time::Instant::now();
    let d = Sha256::digest(&buf);
    let s = t.elapsed().as_secs_f64();
    ev.push(Evidence {
        what: "sha2 crate, in memory".into(),
        text: format!(
            "SHA-256 of a 256 MiB buffer in memory: {:.3} s = {:.0} MB/s (digest {}…)",
            s,
            buf.len() as f64 / s / 1e6,
            &loader::verify::hex(&d)[..12]
        ),
    });
    match std::process::Command::new("openssl")
        .args(["speed", "-seconds", "2", "-bytes", "16384", "-evp", "sha256"])
        .output()
    {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let tail: Vec<&str> = text.lines().rev().take(3).collect();
            ev.push(Evidence {
                what: "openssl speed -evp sha256 (16 KiB blocks)".into(),
                text: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
            });
        }
        _ => ev.push(Evidence {
            what: "openssl speed".into(),
            text: "openssl is not available".into(),
        }),
    }
    ev
}

/// H07's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    let big = if ctx.quick() {
        "sweep-64m.safetensors"
    } else {
        "sweep-1g.safetensors"
    };
    for c in file_case(ctx, big, CacheMode::Warm, true) {
        b.case(c);
    }
    if !ctx.quick() {
        for c in file_case(ctx, big, CacheMode::Cold, false) {
            b.case(c);
        }
        for c in file_case(ctx, "gemma-3-270m-q4_k_m.gguf", CacheMode::Warm, false) {
            b.case(c);
        }
    }
    b.case(shards_case(ctx));
    if ctx.evidence {
        b.evidence = hashing_capability();
    }
    b
}
