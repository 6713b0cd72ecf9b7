//! Each limit stops what it is documented to stop, on real files and on
//! hand-built hostile inputs; refusals carry the field and the limit.

mod common;

use loadlab_loader::{Limits, LoadError, Model};

fn fixture(name: &str) -> Option<Vec<u8>> {
    let p = common::store().path(name);
    if p.is_none() {
        eprintln!("SKIPPED {name}: not in the cache");
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "{name} missing under CI"
        );
    }
    p.map(|p| std::fs::read(p).unwrap())
}

fn limit_field(r: loadlab_loader::Result<loadlab_loader::Inventory>) -> (&'static str, u64) {
    match r {
        Err(LoadError::LimitExceeded { field, limit, .. }) => (field, limit),
        other => panic!("expected a limit error, got {other:?}"),
    }
}

fn inspect(bytes: &[u8], limits: Limits) -> loadlab_loader::Result<loadlab_loader::Inventory> {
    loadlab_loader::inspect_bytes(bytes, "test", &limits)
}

#[test]
fn max_file_bytes() {
    let Some(b) = fixture("whisper_mel_filters.npz") else {
        return;
    };
    let l = Limits {
        max_file_bytes: 1000,
        ..Limits::default()
    };
    assert_eq!(limit_field(inspect(&b, l.clone())), ("file size", 1000));
    let p = common::store().path("whisper_mel_filters.npz").unwrap();
    assert!(matches!(
        Model::open(&p, loadlab_loader::Backend::Mmap, &l),
        Err(LoadError::LimitExceeded { field: "file size", .. })
    ));
}

#[test]
fn max_header_bytes() {
    let Some(b) = fixture("cloneofsimo-lora_disney_inpainting.safetensors") else {
        return;
    };
    let l = Limits {
        max_header_bytes: 1000,
        ..Limits::default()
    };
    assert_eq!(limit_field(inspect(&b, l)), ("safetensors header", 1000));
}

#[test]
fn max_tensors_in_every_format() {
    for name in [
        "llama-2-tiny-random.gguf",
        "cloneofsimo-analog_svd_rank4.safetensors",
        "prophet-nnue.npz",
        "burn-mnist.pt",
    ] {
        let Some(b) = fixture(name) else { continue };
        let l = Limits {
            max_tensors: 2,
            ..Limits::default()
        };
        assert_eq!(limit_field(inspect(&b, l)), ("tensor count", 2), "{name}");
    }
}

#[test]
fn max_dims() {
    for (name, field) in [
        ("llama-2-tiny-random.gguf", "tensor n_dims"),
        ("cloneofsimo-analog_svd_rank4.safetensors", "tensor dims"),
        ("burn-mnist.pt", "tensor dims"),
    ] {
        let Some(b) = fixture(name) else { continue };
        let l = Limits {
            max_dims: 1,
            ..Limits::default()
        };
        assert_eq!(limit_field(inspect(&b, l)), (field, 1), "{name}");
    }
}

#[test]
fn gguf_string_array_metadata_and_nesting_limits() {
    let Some(b) = fixture("ggml-vocab-gpt-2.gguf") else {
        return;
    };
    let l = Limits {
        max_string_bytes: 8,
        ..Limits::default()
    };
    assert_eq!(limit_field(inspect(&b, l)), ("metadata key", 8));
    let l = Limits {
        max_array_len: 1000,
        ..Limits::default()
    };
    assert_eq!(limit_field(inspect(&b, l)), ("array length", 1000));
    let l = Limits {
        max_metadata_entries: 3,
        ..Limits::default()
    };
    assert_eq!(limit_field(inspect(&b, l)), ("metadata count", 3));

    // An array nested 100 deep: refused at the nesting cap, not a stack overflow.
    let mut g = gguf_header(0, 1);
    gguf_string(&mut g, "deep");
    g.extend_from_slice(&9u32.to_le_bytes());
    for _ in 0..100 {
        g.extend_from_slice(&9u32.to_le_bytes()); // element type: array
        g.extend_from_slice(&1u64.to_le_bytes()); // one element
    }
    g.extend_from_slice(&[0; 64]);
    assert_eq!(limit_field(inspect(&g, Limits::default())), ("array nesting", 64));
}

fn gguf_header(n_tensors: u64, n_kv: u64) -> Vec<u8> {
    let mut g = b"GGUF".to_vec();
    g.extend_from_slice(&3u32.to_le_bytes());
    g.extend_from_slice(&n_tensors.to_le_bytes());
    g.extend_from_slice(&n_kv.to_le_bytes());
    g
}

fn gguf_string(g: &mut Vec<u8>, s: &str) {
    g.extend_from_slice(&(s.len() as u64).to_le_bytes());
    g.extend_from_slice(s.as_bytes());
}

#[test]
fn gguf_counts_are_checked_against_the_file_before_allocating() {
    // 2^40 tensors announced in a 24-byte file: refused, nothing allocated for them.
    let g = gguf_header(1 << 40, 0);
    let l = Limits {
        max_tensors: u64::MAX,
        max_metadata_entries: u64::MAX,
        ..Limits::default()
    };
    assert!(matches!(
        inspect(&g, l),
        Err(LoadError::Truncated {
            field: "metadata and tensor infos",
            ..
        })
    ));
    // An array announcing 2^25 u64 in a tiny file.
    let mut g = gguf_header(0, 1);
    gguf_string(&mut g, "a");
    g.extend_from_slice(&9u32.to_le_bytes());
    g.extend_from_slice(&10u32.to_le_bytes());
    g.extend_from_slice(&(1u64 << 25).to_le_bytes());
    assert!(matches!(
        inspect(&g, Limits::default()),
        Err(LoadError::Truncated {
            field: "array elements",
            ..
        })
    ));
    // A tensor whose element count overflows.
    let mut g = gguf_header(1, 0);
    gguf_string(&mut g, "t");
    g.extend_from_slice(&2u32.to_le_bytes());
    g.extend_from_slice(&(1u64 << 40).to_le_bytes());
    g.extend_from_slice(&(1u64 << 40).to_le_bytes());
    g.extend_from_slice(&0u32.to_le_bytes());
    g.extend_from_slice(&0u64.to_le_bytes());
    g.extend_from_slice(&[0; 64]);
    assert!(matches!(
        inspect(&g, Limits::default()),
        Err(LoadError::Overflow { .. })
    ));
}

#[test]
fn zip_member_and_count_limits() {
    let Some(b) = fixture("prophet-nnue.npz") else { return };
    let l = Limits {
        max_zip_members: 1,
        ..Limits::default()
    };
    assert_eq!(limit_field(inspect(&b, l)), ("zip member count", 1));
    let l = Limits {
        max_member_bytes: 1000,
        ..Limits::default()
    };
    assert_eq!(limit_field(inspect(&b, l)), ("zip member uncompressed size", 1000));
}

#[test]
fn pickles_that_call_anything_else_are_refused() {
    // os.system("ls"): GLOBAL, a string, TUPLE1, REDUCE.
    let evil = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.";
    let z = common::stored(&[("archive/data.pkl", evil), ("archive/version", b"3\n")]);
    match inspect(&z, Limits::default()) {
        Err(LoadError::PickleRefused { reason, .. }) => assert!(reason.contains("os.system"), "{reason}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // builtins.eval through STACK_GLOBAL.
    let evil = b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x011\x85R.";
    let z = common::stored(&[("archive/data.pkl", evil)]);
    assert!(matches!(
        inspect(&z, Limits::default()),
        Err(LoadError::PickleRefused { .. })
    ));
    // INST and OBJ opcodes never run.
    let z = common::stored(&[("archive/data.pkl", b"(ios\nsystem\n.")]);
    assert!(matches!(
        inspect(&z, Limits::default()),
        Err(LoadError::PickleRefused { .. })
    ));
}

#[test]
fn torchscript_archives_are_not_state_dicts() {
    let z = common::stored(&[
        ("m/data.pkl", b"\x80\x02}q\x00."),
        ("m/constants.pkl", b"\x80\x02)."),
        ("m/code/__torch__.py", b"def forward(self): pass\n"),
    ]);
    match inspect(&z, Limits::default()) {
        Err(LoadError::Unsupported { found, .. }) => assert!(found.contains("TorchScript"), "{found}"),
        other => panic!("expected unsupported, got {other:?}"),
    }
}

#[test]
fn npz_object_arrays_are_refused() {
    let dict = b"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }";
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    npy.extend_from_slice(dict);
    npy.extend_from_slice(b"\x80\x02]q\x00.");
    let z = common::stored(&[("obj.npy", &npy)]);
    match inspect(&z, Limits::default()) {
        Err(LoadError::Unsupported { found, .. }) => assert!(found.contains("object"), "{found}"),
        other => panic!("expected unsupported, got {other:?}"),
    }
}

#[test]
fn safetensors_rules_of_the_reference_crate() {
    let st = |header: &str, data: usize| {
        let mut v = (header.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(header.as_bytes());
        v.extend(std::iter::repeat_n(0u8, data));
        v
    };
    let ok = st(r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 8);
    assert!(inspect(&ok, Limits::default()).is_ok());
    for (header, data, why) in [
        (
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            9,
            "trailing bytes",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
            8,
            "length mismatch",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
            12,
            "gap at the start",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
            8,
            "overlap",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#,
            8,
            "overflow",
        ),
        (
            r#"{"a":{"dtype":"X9","shape":[2],"data_offsets":[0,8]}}"#,
            8,
            "unknown dtype",
        ),
        (
            r#" {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            8,
            "leading space",
        ),
    ] {
        assert!(inspect(&st(header, data), Limits::default()).is_err(), "{why}");
    }
    // A header length beyond the file.
    let mut v = ok.clone();
    v[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(inspect(
        &v,
        Limits {
            max_header_bytes: u64::MAX,
            ..Limits::default()
        }
    )
    .is_err());
}

#[test]
fn a_flipped_byte_in_a_fixture_is_refused_by_the_store() {
    let store = common::store();
    let Some(src) = store.path("whisper_mel_filters.npz") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(&src).unwrap();
    bytes[100] ^= 0x01;
    std::fs::create_dir_all(tmp.path().join("npz")).unwrap();
    std::fs::write(tmp.path().join("npz/whisper_mel_filters.npz"), &bytes).unwrap();
    let flipped = fixtures::Store::new(
        tmp.path().join("cache"),
        vec![tmp.path().to_owned()],
        store.dir.clone(),
        store.manifest.clone(),
    );
    match flipped.ensure_file("whisper_mel_filters.npz") {
        Err(fixtures::FixtureError::Mismatch { .. }) => {}
        other => panic!("a flipped byte must be refused, got {other:?}"),
    }
}
