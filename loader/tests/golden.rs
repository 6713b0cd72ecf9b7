//! Every fixture, through every backend, equals what the format's reference
//! reader says it holds (names, dtypes, shapes, byte lengths, sha256 of the
//! canonical bytes).

mod common;

use loadlab_loader::{Backend, Limits, Model};

#[test]
fn every_fixture_matches_its_golden_through_every_backend() {
    let store = common::store();
    let fixtures = common::ready(&store, "golden", |f| !f.must_be_refused() && f.format != "json");
    assert!(!fixtures.is_empty() || std::env::var("CI").is_err());
    let limits = Limits::default();
    for r in &fixtures {
        let golden = r.golden.as_ref().expect("ready() returns goldens");
        // The 256 MiB and 1 GiB sweeps go through mmap only, to keep the suite fast.
        let backends: &[Backend] = if r.fixture.has_tag("large") {
            &[Backend::Mmap]
        } else {
            &Backend::ALL
        };
        for &backend in backends {
            let m = Model::open(&r.path, backend, &limits)
                .unwrap_or_else(|e| panic!("{} via {}: {e}", r.fixture.name, backend.name()));
            let inv = m.inventory();
            let mut ours: Vec<&str> = inv.tensors.iter().map(|t| t.name.as_str()).collect();
            let mut theirs: Vec<&str> = golden.tensors.iter().map(|t| t.name.as_str()).collect();
            ours.sort_unstable();
            theirs.sort_unstable();
            assert_eq!(ours, theirs, "{}: tensor names", r.fixture.name);
            for g in &golden.tensors {
                let t = m.info(&g.name).expect("name present");
                let ctx = format!("{} / {} via {}", r.fixture.name, g.name, backend.name());
                assert_eq!(t.dtype.name(), g.dtype, "{ctx}: dtype");
                assert_eq!(t.shape, g.shape, "{ctx}: shape");
                assert_eq!(t.byte_len(), g.bytes, "{ctx}: byte length");
                if let Some(off) = g.offset {
                    assert_eq!(
                        t.data,
                        loadlab_loader::DataRef::Range {
                            offset: off,
                            len: g.bytes
                        },
                        "{ctx}: offset"
                    );
                }
                let bytes = m.tensor_bytes(&g.name).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_eq!(bytes.len() as u64, g.bytes, "{ctx}: bytes read");
                assert_eq!(
                    common::sha256_hex(&bytes),
                    g.sha256,
                    "{ctx}: sha256 of the tensor bytes"
                );
            }
        }
    }
}

#[test]
fn safetensors_metadata_matches_reference() {
    let store = common::store();
    for r in common::ready(&store, "safetensors metadata", |f| f.format == "safetensors") {
        let inv = loadlab_loader::inspect_path(&r.path, Backend::Mmap, &Limits::default()).unwrap();
        let golden = r.golden.unwrap();
        let ours: std::collections::BTreeMap<String, serde_json::Value> = inv
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap()))
            .collect();
        assert_eq!(ours, golden.metadata, "{}", r.fixture.name);
    }
}

#[test]
fn gguf_metadata_matches_gguf_py() {
    let store = common::store();
    for r in common::ready(&store, "gguf metadata", |f| f.format == "gguf" && !f.must_be_refused()) {
        let inv = loadlab_loader::inspect_path(&r.path, Backend::Mmap, &Limits::default()).unwrap();
        let golden = r.golden.unwrap();
        assert_eq!(
            inv.metadata.len(),
            golden.metadata.len(),
            "{}: key count",
            r.fixture.name
        );
        for (k, v) in &inv.metadata {
            let g = golden
                .metadata
                .get(k)
                .unwrap_or_else(|| panic!("{}: key {k} not in golden", r.fixture.name));
            match v {
                v if v.array_len().is_some() => {
                    assert_eq!(g["array_len"], v.array_len().unwrap(), "{}: {k}", r.fixture.name)
                }
                loadlab_loader::MetaValue::Float(x) => assert_eq!(g.as_f64(), Some(*x), "{}: {k}", r.fixture.name),
                other => assert_eq!(&serde_json::to_value(other).unwrap(), g, "{}: {k}", r.fixture.name),
            }
        }
    }
}

#[test]
fn the_reference_safetensors_crate_agrees_on_every_safetensors_fixture() {
    let store = common::store();
    for r in common::ready(&store, "safetensors crate", |f| {
        f.format == "safetensors" && !f.has_tag("large")
    }) {
        let bytes = std::fs::read(&r.path).unwrap();
        let theirs = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let ours = loadlab_loader::inspect_bytes(&bytes, &r.fixture.name, &Limits::default()).unwrap();
        assert_eq!(theirs.len(), ours.tensors.len());
        for (name, view) in theirs.tensors() {
            let t = ours.tensor(&name).unwrap();
            assert_eq!(
                t.shape,
                view.shape().iter().map(|&d| d as u64).collect::<Vec<_>>(),
                "{name}"
            );
            let loadlab_loader::DataRef::Range { offset, len } = t.data else {
                panic!("safetensors is never compressed")
            };
            assert_eq!(&bytes[offset as usize..(offset + len) as usize], view.data(), "{name}");
        }
    }
}

#[test]
fn real_world_corrupted_files_are_refused_by_every_backend() {
    let store = common::store();
    let corrupt = common::ready(&store, "corrupt", |f| f.must_be_refused());
    for r in &corrupt {
        for backend in Backend::ALL {
            let e = Model::open(&r.path, backend, &Limits::default()).expect_err(&format!(
                "{} must be refused via {}",
                r.fixture.name,
                backend.name()
            ));
            assert!(
                matches!(e.kind(), "invalid" | "truncated" | "limit"),
                "{}: {e}",
                r.fixture.name
            );
        }
    }
}

#[test]
fn sharded_index_lists_existing_shards_with_every_tensor() {
    let Some(index) = common::fixture_path("minilm-sharded/model.safetensors.index.json") else {
        return;
    };
    let text = std::fs::read_to_string(&index).unwrap();
    let idx = loadlab_loader::formats::safetensors::ShardIndex::parse("index", &text).unwrap();
    let dir = index.parent().unwrap();
    let mut n = 0;
    for shard in idx.shards() {
        let inv = loadlab_loader::inspect_path(dir.join(shard), Backend::Mmap, &Limits::default()).unwrap();
        for t in &inv.tensors {
            assert_eq!(idx.weight_map[&t.name], shard);
            n += 1;
        }
    }
    assert_eq!(n, idx.weight_map.len());
    assert!(n > 0, "the index lists no tensor");
}

/// H23's packed arrays hold exactly what the per-element parse holds, and a
/// refused file is refused with the same error either way.
#[test]
fn gguf_packed_metadata_equals_the_per_element_parse() {
    use loadlab_loader::formats::gguf::{inspect_with, Arrays};
    let store = common::store();
    let limits = Limits::default();
    let parse = |bytes: &[u8], arrays| {
        let mut input = loadlab_loader::input::Input::new(std::io::Cursor::new(bytes), bytes.len() as u64, "f");
        input.set_budget(limits.parse_budget(bytes.len() as u64));
        inspect_with(&mut input, &limits, arrays).map(|inv| serde_json::to_value(&inv.metadata).unwrap())
    };
    let mut seen = 0;
    for r in common::ready(&store, "gguf packed", |f| f.format == "gguf" && !f.has_tag("large")) {
        let bytes = std::fs::read(&r.path).unwrap();
        let (packed, per) = (parse(&bytes, Arrays::Packed), parse(&bytes, Arrays::PerElement));
        match (packed, per) {
            (Ok(a), Ok(b)) => assert!(a == b, "{}: packed and per-element metadata differ", r.fixture.name),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{}", r.fixture.name),
            (a, b) => panic!(
                "{}: packed {:?} vs per-element {:?}",
                r.fixture.name,
                a.is_ok(),
                b.is_ok()
            ),
        }
        seen += 1;
    }
    assert!(seen > 0 || std::env::var("CI").is_err());
}
