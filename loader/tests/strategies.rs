//! Every selectable alternative gives the same result as the production
//! path: parallel = sequential, streaming = whole, lazy = eager, with and
//! without progress callbacks, both backends of the size threshold, the
//! pre-quantized cache = gguf-py's own Q8_0 quantization, and the raw
//! quantized blocks = the stored bytes.

mod common;

use loadlab_loader::cache::prequant::{Outcome, PrequantCache};
use loadlab_loader::convert::Target;
use loadlab_loader::load::{self, lazy::LazyModel, stream, threshold, LoadOptions, Progress};
use loadlab_loader::{Backend, DType, Limits, Model};
use std::path::PathBuf;
use std::sync::Mutex;

fn fixture(name: &str) -> Option<PathBuf> {
    let p = common::store().path(name);
    if p.is_none() {
        eprintln!("SKIPPED {name}: not in the cache");
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "{name} missing under CI"
        );
    }
    p
}

#[test]
fn parallel_loading_equals_sequential() {
    for (name, target) in [
        ("model.safetensors", Some(Target::F16)),
        ("SmolLM2-135M-Instruct.Q4_1.gguf", Some(Target::BF16)),
        ("burn-mnist.pt", None),
    ] {
        let Some(p) = fixture(name) else { continue };
        let m = Model::open(&p, Backend::Mmap, &Limits::default()).unwrap();
        let seq = load::load_all(
            &m,
            &LoadOptions {
                target,
                parallel: false,
                progress: None,
                ordinary_pages: false,
            },
        )
        .unwrap();
        let par = load::load_all(
            &m,
            &LoadOptions {
                target,
                parallel: true,
                progress: None,
                ordinary_pages: false,
            },
        )
        .unwrap();
        assert_eq!(seq, par, "{name}");
        assert_eq!(seq.len(), m.inventory().tensors.len());
    }
}

#[test]
fn progress_callbacks_see_every_tensor_and_change_nothing() {
    let Some(p) = fixture("model.safetensors") else { return };
    let m = Model::open(&p, Backend::Mmap, &Limits::default()).unwrap();
    let seen = Mutex::new(Vec::new());
    let cb = |pr: Progress| seen.lock().unwrap().push(pr);
    for parallel in [false, true] {
        seen.lock().unwrap().clear();
        let with = load::load_all(
            &m,
            &LoadOptions {
                target: None,
                parallel,
                progress: Some(&cb),
                ordinary_pages: false,
            },
        )
        .unwrap();
        let without = load::load_all(
            &m,
            &LoadOptions {
                target: None,
                parallel,
                progress: None,
                ordinary_pages: false,
            },
        )
        .unwrap();
        assert_eq!(with, without);
        let s = seen.lock().unwrap();
        assert_eq!(s.len(), m.inventory().tensors.len());
        let last = s.iter().max_by_key(|p| p.bytes_done).unwrap();
        assert_eq!(last.bytes_done, last.bytes_total);
        assert_eq!(last.tensors_done, last.tensors_total);
    }
}

#[test]
fn streaming_conversion_equals_whole_tensor_conversion_on_every_backend() {
    let Some(p) = fixture("model.safetensors") else { return };
    for backend in Backend::ALL {
        let m = Model::open(&p, backend, &Limits::default()).unwrap();
        for t in m.inventory().tensors.iter().filter(|t| t.dtype == DType::F32).take(20) {
            for to in [Target::F16, Target::BF16, Target::F32] {
                let n = t.n_elements() as usize * to.size();
                let (mut a, mut b) = (vec![0u8; n], vec![0u8; n]);
                stream::convert_whole(&m, &t.name, to, &mut a).unwrap();
                stream::convert_streaming(&m, &t.name, to, &mut b, 1000).unwrap();
                assert_eq!(a, b, "{} {to:?} via {}", t.name, backend.name());
                assert_eq!(a, m.tensor_as(&t.name, to).unwrap());
            }
        }
    }
}

#[test]
fn lazy_loading_materializes_once_on_first_use_and_equals_eager() {
    let Some(p) = fixture("model.safetensors") else { return };
    let eager = {
        let m = Model::open(&p, Backend::Mmap, &Limits::default()).unwrap();
        load::load_all(
            &m,
            &LoadOptions {
                target: Some(Target::F16),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let lazy = LazyModel::new(
        Model::open(&p, Backend::Mmap, &Limits::default()).unwrap(),
        Some(Target::F16),
    );
    assert_eq!(lazy.loaded(), 0, "nothing loads before it is asked for");
    let first = &eager[5];
    let ptrs: Vec<usize> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| lazy.get(&first.name).unwrap() as *const _ as usize))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        ptrs.windows(2).all(|w| w[0] == w[1]),
        "one materialization shared by every thread"
    );
    assert_eq!(lazy.loaded(), 1);
    for t in &eager {
        assert_eq!(lazy.get(&t.name).unwrap(), t);
    }
    assert!(lazy.get("no such tensor").is_err());
}

#[test]
fn size_threshold_picks_the_backend_and_both_load_the_same() {
    assert_eq!(threshold::pick(100, 64), Backend::Mmap);
    assert_eq!(threshold::pick(64, 64), Backend::Mmap);
    assert_eq!(threshold::pick(63, 64), Backend::WholeRead);
    let Some(p) = fixture("sweep-1m.safetensors") else {
        return;
    };
    let a = threshold::open_by_size(&p, 1, &Limits::default()).unwrap();
    let b = threshold::open_by_size(&p, u64::MAX, &Limits::default()).unwrap();
    assert_eq!((a.backend(), b.backend()), (Backend::Mmap, Backend::WholeRead));
    for t in &a.inventory().tensors {
        assert_eq!(a.tensor_bytes(&t.name).unwrap(), b.tensor_bytes(&t.name).unwrap());
    }
}

#[test]
fn prequantized_cache_equals_gguf_py_and_survives_corruption_and_races() {
    let (Some(src), Some(reference)) = (fixture("model.safetensors"), fixture("minilm-q8_0.gguf")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = PrequantCache::new(dir.path());
    let l = Limits::default();
    let (m, outcome) = cache.load(&src, &l).unwrap();
    assert_eq!(outcome, Outcome::Miss);
    // Bit-identical to gguf-py's quantization of the same weights.
    let r = Model::open(&reference, Backend::Mmap, &l).unwrap();
    let mut q8 = 0;
    for t in &r.inventory().tensors {
        let ours = m.info(&t.name).unwrap();
        assert_eq!((ours.dtype, &ours.shape), (t.dtype, &t.shape), "{}", t.name);
        assert_eq!(
            m.raw_bytes(&t.name).unwrap(),
            r.raw_bytes(&t.name).unwrap(),
            "{}",
            t.name
        );
        q8 += usize::from(t.dtype == DType::Ggml(loadlab_loader::GgmlType::Q8_0));
    }
    assert!(q8 > 30);
    drop(m);
    assert_eq!(cache.load(&src, &l).unwrap().1, Outcome::Hit);

    // A flipped byte in the entry: detected and rebuilt, never served.
    let digest = cache.source_digest(&src).unwrap();
    let entry = cache.entry_path(&digest);
    let mut bytes = std::fs::read(&entry).unwrap();
    let n = bytes.len();
    bytes[n - 100] ^= 0x40;
    std::fs::write(&entry, &bytes).unwrap();
    assert!(matches!(cache.load(&src, &l).unwrap().1, Outcome::Rebuilt(_)));
    assert_eq!(cache.load(&src, &l).unwrap().1, Outcome::Hit);
    // Truncated: likewise.
    std::fs::write(&entry, &bytes[..n / 2]).unwrap();
    assert!(matches!(cache.load(&src, &l).unwrap().1, Outcome::Rebuilt(_)));

    // Concurrent builders of a cold entry all get a valid model.
    std::fs::remove_file(&entry).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let (m, _) = cache.load(&src, &l).unwrap();
                assert_eq!(m.inventory().tensors.len(), r.inventory().tensors.len());
            });
        }
    });
    assert_eq!(cache.load(&src, &l).unwrap().1, Outcome::Hit);
}

#[test]
fn quantized_blocks_are_handed_out_as_stored() {
    let Some(p) = fixture("gemma-3-270m-q4_k_m.gguf") else {
        return;
    };
    let m = Model::open(&p, Backend::Mmap, &Limits::default()).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for t in &m.inventory().tensors {
        if let DType::Ggml(ty) = t.dtype {
            let q = m.quantized(&t.name).unwrap();
            assert_eq!(q.ty, ty);
            assert!(
                matches!(q.blocks, std::borrow::Cow::Borrowed(_)),
                "mmap hands out borrowed blocks"
            );
            assert_eq!(q.blocks.len() as u64, t.byte_len());
            seen.insert(ty.name());
        }
    }
    assert!(seen.contains("Q4_K") && seen.contains("Q6_K"), "{seen:?}");
    assert!(m.quantized("token_embd_norm.weight").is_err() || m.info("token_embd_norm.weight").is_err());
}

#[test]
fn export_writes_what_np_save_writes() {
    let Some(p) = fixture("gemma-3-270m-q4_k_m.gguf") else {
        return;
    };
    let store = common::store();
    let golden = store.golden("gemma-3-270m-q4_k_m.gguf").expect("golden");
    let m = Model::open(&p, Backend::Mmap, &Limits::default()).unwrap();
    for g in golden
        .tensors
        .iter()
        .filter(|g| g.dequant_f32_sha256.is_some())
        .take(12)
    {
        let mut out = Vec::new();
        m.export_npy(&g.name, Target::F32, &mut out).unwrap();
        let header_len = out.len() - (g.shape.iter().product::<u64>() * 4) as usize;
        assert_eq!(header_len % 64, 0, "data starts 64-byte aligned like np.save");
        let h = loadlab_loader::formats::npy::parse_header(&out, 1 << 20, 64).unwrap();
        assert_eq!(h.shape, g.shape.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(
            &common::sha256_hex(&out[header_len..]),
            g.dequant_f32_sha256.as_ref().unwrap(),
            "{}",
            g.name
        );
    }
}
