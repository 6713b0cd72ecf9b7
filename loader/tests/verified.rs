//! `Model::open_verified`: one pass gives the same model as an open, and a
//! wrong, malformed or oversized file is refused before anything is parsed.

use loadlab_loader::{verify, Backend, Limits, LoadError, Model};
use std::io::Write;

/// A small safetensors file: two F32 tensors.
fn file() -> (tempfile::NamedTempFile, Vec<u8>) {
    let h = br#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}"#;
    let mut bytes = (h.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(h);
    for x in [1.0f32, 2.0, 3.0, -4.5, 0.25] {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(&bytes).expect("write");
    f.flush().expect("flush");
    (f, bytes)
}

#[test]
fn a_verified_open_is_the_model_an_open_gives() {
    let (f, bytes) = file();
    let digest = verify::sha256_hex(&bytes);
    let limits = Limits::default();
    let v = Model::open_verified(f.path(), &digest, &limits).expect("verified");
    let m = Model::open(f.path(), Backend::Mmap, &limits).expect("open");
    assert_eq!(v.inventory().tensors.len(), 2);
    for t in &m.inventory().tensors {
        assert_eq!(
            v.tensor_bytes(&t.name).expect("bytes"),
            m.tensor_bytes(&t.name).expect("bytes")
        );
    }
    assert_eq!(v.tensor_f32("b").expect("b"), [-4.5, 0.25]);
    // Upper-case hex is the same digest.
    assert!(Model::open_verified(f.path(), &digest.to_uppercase(), &limits).is_ok());
}

#[test]
fn a_wrong_or_malformed_digest_or_an_oversized_file_is_refused() {
    let (f, bytes) = file();
    let limits = Limits::default();
    let mut wrong = verify::sha256_hex(&bytes).into_bytes();
    wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(wrong).expect("ascii");
    let e = Model::open_verified(f.path(), &wrong, &limits).unwrap_err();
    assert_eq!(e.kind(), "hash-mismatch", "{e}");
    assert!(matches!(e, LoadError::HashMismatch { ref expected, .. } if *expected == wrong));
    assert_eq!(
        Model::open_verified(f.path(), "abc", &limits).unwrap_err().kind(),
        "invalid"
    );
    let small = Limits {
        max_whole_read_bytes: 10,
        ..Limits::default()
    };
    let digest = verify::sha256_hex(&bytes);
    assert_eq!(
        Model::open_verified(f.path(), &digest, &small).unwrap_err().kind(),
        "limit"
    );
    let dir = tempfile::tempdir().expect("dir");
    assert!(Model::open_verified(dir.path(), &digest, &limits).is_err());
}
