//! The hostile classes closed after the review of 8bfc865, each built here
//! from our own inputs: work amplified through shared pickle objects, state
//! dicts that could mean two things, inputs the references (ggml, numpy,
//! the zip specification, serde's maps) refuse, files too large for the
//! whole-read backend, files that change while they are verified, exports
//! onto their own input, and files truncated under a mapping.

mod common;

use common::stored;
use loadlab_loader::convert::Target;
use loadlab_loader::{Backend, Limits, LoadError, Model};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

fn inspect(bytes: &[u8]) -> loadlab_loader::Result<loadlab_loader::Inventory> {
    loadlab_loader::inspect_bytes(bytes, "hostile", &Limits::default())
}

/// Runs `f` on a thread and fails the test if it has not ended within
/// `secs`: a hang is a failure of its own, not a slow pass.
fn ends_within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("still running after {secs} s: unbounded work"))
}

fn reason_of(r: loadlab_loader::Result<loadlab_loader::Inventory>) -> String {
    match r {
        Err(e) => e.to_string(),
        Ok(inv) => panic!("accepted, with {} tensors", inv.tensors.len()),
    }
}

fn limit_field(r: loadlab_loader::Result<loadlab_loader::Inventory>) -> &'static str {
    match r {
        Err(LoadError::LimitExceeded { field, .. }) => field,
        other => panic!("expected a limit error, got {other:?}"),
    }
}

// ---------------------------------------------------------------- pickles

/// A pickle string (BINUNICODE).
fn pstr(s: &[u8]) -> Vec<u8> {
    let mut p = vec![b'X'];
    p.extend_from_slice(&(s.len() as u32).to_le_bytes());
    p.extend_from_slice(s);
    p
}

/// LONG_BINPUT / LONG_BINGET of memo slot `i`.
fn put(i: u32) -> Vec<u8> {
    let mut p = vec![b'r'];
    p.extend_from_slice(&i.to_le_bytes());
    p
}
fn get(i: u32) -> Vec<u8> {
    let mut p = vec![b'j'];
    p.extend_from_slice(&i.to_le_bytes());
    p
}

/// A tensor over storage `key` of 6 F32 elements, shape (2, 3).
fn tensor(key: &str) -> Vec<u8> {
    let mut p = b"ctorch._utils\n_rebuild_tensor_v2\n(".to_vec();
    p.extend_from_slice(b"(");
    p.extend_from_slice(&pstr(b"storage"));
    p.extend_from_slice(b"ctorch\nFloatStorage\n");
    p.extend_from_slice(&pstr(key.as_bytes()));
    p.extend_from_slice(&pstr(b"cpu"));
    p.extend_from_slice(b"K\x06tQ");
    p.extend_from_slice(b"K\x00K\x02K\x03\x86K\x03K\x01\x86\x89ccollections\nOrderedDict\n)RtR");
    p
}

/// A zip-layout checkpoint around `pkl` with a 24-byte storage per key.
fn pth_zip(pkl: &[u8], storages: &[&str]) -> Vec<u8> {
    let names: Vec<String> = storages.iter().map(|k| format!("archive/data/{k}")).collect();
    let mut members: Vec<(&str, &[u8])> = vec![("archive/data.pkl", pkl), ("archive/version", b"3\n")];
    members.extend(names.iter().map(|n| (n.as_str(), &[0u8; 24][..])));
    stored(&members)
}

/// A legacy-layout checkpoint whose state pickle is `pkl` and which has no
/// storages (its dicts hold no tensors).
fn pth_legacy(pkl: &[u8]) -> Vec<u8> {
    let mut f = b"\x80\x02\x8a\x0a".to_vec();
    // The legacy layout's magic number (torch.serialization.MAGIC_NUMBER).
    f.extend_from_slice(&[0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);
    f.push(b'.');
    f.extend_from_slice(b"\x80\x02M\xe9\x03.");
    f.extend_from_slice(b"\x80\x02}.");
    f.extend_from_slice(pkl);
    f.extend_from_slice(b"\x80\x02].");
    f
}

/// `levels` dicts, each holding the previous one under `fan` keys: a few
/// hundred bytes describing fan^levels paths, all through the memo.
fn shared_dag(levels: u32, fan: u32, leaf: &[u8]) -> Vec<u8> {
    let mut p = b"\x80\x02}(".to_vec();
    p.extend_from_slice(&pstr(b"x"));
    p.extend_from_slice(leaf);
    p.push(b'u');
    p.extend_from_slice(&put(0));
    p.push(b'0');
    for i in 1..=levels {
        p.extend_from_slice(b"}(");
        for k in 0..fan {
            p.extend_from_slice(&pstr(format!("k{k}").as_bytes()));
            p.extend_from_slice(&get(i - 1));
        }
        p.push(b'u');
        p.extend_from_slice(&put(i));
        p.push(b'0');
    }
    p.extend_from_slice(&get(levels));
    p.push(b'.');
    p
}

#[test]
fn shared_containers_cannot_amplify_the_walk() {
    // 2^40 paths to an int, then 3^25 paths to a dict of ints: both layouts.
    for (levels, fan) in [(40, 2), (25, 3)] {
        let pkl = shared_dag(levels, fan, b"K\x01");
        assert!(pkl.len() < 4096, "{} bytes", pkl.len());
        for file in [pth_zip(&pkl, &[]), pth_legacy(&pkl)] {
            // Whichever bound the walk meets first: visits, or the names
            // it had to build for the paths it visited.
            let field = ends_within(60, move || limit_field(inspect(&file)));
            assert!(
                matches!(field, "state dict entries visited" | "state dict names"),
                "{field}"
            );
        }
    }
    // 2^30 paths ending in one shared tensor: refused for the visits (or
    // the tensor count) before a name per path is built.
    let mut pkl = b"\x80\x02".to_vec();
    pkl.extend_from_slice(&shared_dag(30, 2, &tensor("0"))[2..]);
    let file = pth_zip(&pkl, &["0"]);
    let field = ends_within(60, move || limit_field(inspect(&file)));
    assert!(
        matches!(
            field,
            "state dict entries visited" | "state dict names" | "tensor count"
        ),
        "{field}"
    );
    // A real-sized tree is well inside the work budget.
    let pkl = shared_dag(10, 2, b"K\x01");
    assert!(inspect(&pth_zip(&pkl, &[])).is_ok());
}

#[test]
fn names_built_from_a_shared_key_are_charged_where_they_are_built() {
    // One 2 MiB key, memoized once, used as the key of 60 nested dicts:
    // the names it makes (2, 4, … 120 MiB, all alive down the chain) would
    // take 3.6 GB; the charge stops them at the parse budget.
    let key = vec![b'n'; 2 << 20];
    let mut p = b"\x80\x02".to_vec();
    p.extend_from_slice(&pstr(&key));
    p.extend_from_slice(&put(0));
    p.push(b'0');
    p.extend_from_slice(b"}");
    p.extend_from_slice(&put(1));
    for i in 1..60u32 {
        // d_{i+1} = {key: d_i}
        p.extend_from_slice(b"}(");
        p.extend_from_slice(&get(0));
        p.extend_from_slice(&get(i));
        p.push(b'u');
        p.extend_from_slice(&put(i + 1));
    }
    p.push(b'.');
    let file = pth_zip(&p, &[]);
    let field = ends_within(60, move || limit_field(inspect(&file)));
    assert_eq!(field, "state dict names");
}

/// `{"a.b": t, "a": {"b": t}}`: two paths to one flattened name.
fn collision(t: &[u8]) -> Vec<u8> {
    [
        b"\x80\x02}(".to_vec(),
        pstr(b"a.b"),
        t.to_vec(),
        pstr(b"a"),
        b"}(".to_vec(),
        pstr(b"b"),
        t.to_vec(),
        b"uu.".to_vec(),
    ]
    .concat()
}

#[test]
fn state_dicts_that_could_mean_two_things_are_refused_naming_both() {
    let t = tensor("0");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        // {"a": T, "a": T}: torch keeps the last.
        (
            "repeated key",
            [
                b"\x80\x02}(".to_vec(),
                pstr(b"a"),
                t.clone(),
                pstr(b"a"),
                t.clone(),
                b"u.".to_vec(),
            ]
            .concat(),
            "appears twice",
        ),
        // {"a": {"x": T}, "a": {"y": T}}: different names, one of them lost in torch.
        (
            "repeated key of nested dicts",
            [
                b"\x80\x02}(".to_vec(),
                pstr(b"a"),
                b"}(".to_vec(),
                pstr(b"x"),
                t.clone(),
                b"u".to_vec(),
                pstr(b"a"),
                b"}(".to_vec(),
                pstr(b"y"),
                t.clone(),
                b"u".to_vec(),
                b"u.".to_vec(),
            ]
            .concat(),
            "appears twice",
        ),
        // {"a.b": T, "a": {"b": T}}
        ("flattened collision", collision(&t), "both flatten"),
        // {1: T, "1": T}
        (
            "int beside str",
            [
                b"\x80\x02}(K\x01".to_vec(),
                t.clone(),
                pstr(b"1"),
                t.clone(),
                b"u.".to_vec(),
            ]
            .concat(),
            "both flatten",
        ),
    ];
    for (what, pkl, says) in cases {
        let r = inspect(&pth_zip(&pkl, &["0"]));
        let msg = reason_of(r);
        assert!(msg.contains(says), "{what}: {msg}");
    }
    // The same tensor under two different names is not ambiguous (tied weights).
    let ok = [
        b"\x80\x02}(".to_vec(),
        pstr(b"a"),
        t.clone(),
        pstr(b"b"),
        t,
        b"u.".to_vec(),
    ]
    .concat();
    assert_eq!(inspect(&pth_zip(&ok, &["0"])).unwrap().tensors.len(), 2);
}

// ------------------------------------------------------------------ GGUF

/// A GGUF v3 with the given tensors: (name, dims, ggml type id, offset),
/// data section of `data_len` bytes after the header, aligned to 32.
fn gguf(tensors: &[(&str, &[u64], u32, u64)], data_len: usize) -> Vec<u8> {
    let mut g = b"GGUF".to_vec();
    g.extend_from_slice(&3u32.to_le_bytes());
    g.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    g.extend_from_slice(&0u64.to_le_bytes());
    for (name, dims, ty, off) in tensors {
        g.extend_from_slice(&(name.len() as u64).to_le_bytes());
        g.extend_from_slice(name.as_bytes());
        g.extend_from_slice(&(dims.len() as u32).to_le_bytes());
        for d in *dims {
            g.extend_from_slice(&d.to_le_bytes());
        }
        g.extend_from_slice(&ty.to_le_bytes());
        g.extend_from_slice(&off.to_le_bytes());
    }
    g.resize(g.len().next_multiple_of(32) + data_len, 0);
    g
}

const F32: u32 = 0;
const Q4_0: u32 = 2;

#[test]
fn gguf_what_ggml_refuses_is_refused() {
    // A sane file of two F32 tensors, 8 and 4 elements, tiled as ggml writes.
    assert!(inspect(&gguf(&[("a", &[8], F32, 0), ("b", &[4], F32, 32)], 64)).is_ok());
    // Dimensions that are negative as ggml's int64, beside a zero dimension.
    for dims in [&[0, 1 << 63][..], &[u64::MAX, 0], &[0, 1 << 62, 4]] {
        let r = inspect(&gguf(&[("a", dims, F32, 0)], 64));
        assert!(r.is_err(), "dims {dims:?} accepted");
    }
    // Data beyond the padding after the previous tensor (a gap of 32).
    let msg = reason_of(inspect(&gguf(&[("a", &[8], F32, 0), ("b", &[4], F32, 64)], 128)));
    assert!(msg.contains("expected 32"), "{msg}");
    // Tensors out of declaration order (b's data before a's).
    let msg = reason_of(inspect(&gguf(&[("a", &[8], F32, 32), ("b", &[4], F32, 0)], 128)));
    assert!(msg.contains("expected 0"), "{msg}");
    // Q8_0 bytes (34 per block of 32) labelled Q4_0 (18 per block): the
    // length fits the smaller type and leaves a gap before the next tensor.
    let msg = reason_of(inspect(&gguf(&[("a", &[64], Q4_0, 0), ("b", &[4], F32, 96)], 160)));
    assert!(msg.contains("expected 64"), "{msg}");
}

#[test]
fn gguf_type_ids_that_collide_are_refused_by_name() {
    // MXFP4 stored under the retired id 4 (as one converter wrote it), and
    // the 2026 Q2_0 (id 42), with no reference to check a reader against.
    for (id, says) in [(4u32, "Q4_2"), (42, "Q2_0"), (33, "retired")] {
        let msg = reason_of(inspect(&gguf(&[("a", &[32], id, 0)], 64)));
        assert!(msg.contains(says) && msg.contains(&format!("id {id}")), "{id}: {msg}");
    }
    // Q8_0 bytes labelled Q4_0: the error names the type, its id, the
    // declared size and the size the data section gives it.
    let msg = reason_of(inspect(&gguf(&[("a", &[64], Q4_0, 0), ("b", &[4], F32, 96)], 160)));
    for part in ["Q4_0", "ggml type id 2", "36 bytes", "96 bytes"] {
        assert!(msg.contains(part), "{part:?} missing from {msg}");
    }
}

// ------------------------------------------------------------------- zip

/// Rewrites the local-header offset of central-directory entry `i`.
fn set_cd_offset(z: &mut [u8], i: usize, to: u32) {
    let mut seen = 0;
    for p in 0..z.len() - 4 {
        if z[p..p + 4] == [0x50, 0x4b, 0x01, 0x02] {
            if seen == i {
                z[p + 42..p + 46].copy_from_slice(&to.to_le_bytes());
                return;
            }
            seen += 1;
        }
    }
    panic!("no central directory entry {i}");
}

/// An NPY v1.0 file of a 1-D float32 array, as `np.save` writes it.
fn npy(values: &[f32]) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({},), }}",
        values.len()
    );
    let total = (10 + dict.len() + 1).next_multiple_of(64);
    let mut v = b"\x93NUMPY\x01\x00".to_vec();
    v.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    v.extend_from_slice(dict.as_bytes());
    v.resize(total - 1, b' ');
    v.push(b'\n');
    v.extend(values.iter().flat_map(|x| x.to_le_bytes()));
    v
}

#[test]
fn zip_members_may_not_overlap_or_hide_behind_a_nul() {
    let a = npy(&[1.0; 16]);
    let b = npy(&[2.0; 16]);
    let good = stored(&[("a.npy", &a), ("b.npy", &b)]);
    assert_eq!(inspect(&good).unwrap().tensors.len(), 2);
    // Overlapping members whose names all match their headers (the
    // overlapping-file bomb): a.npy's data holds a complete local header
    // and data of a "b.npy", and the directory's b.npy points there.
    let inner = stored(&[("b.npy", &b)]);
    let inner_member = &inner[..30 + 5 + b.len()];
    let mut bomb = stored(&[("a.npy", inner_member), ("b.npy", &b)]);
    set_cd_offset(&mut bomb, 1, 30 + 5);
    let msg = reason_of(inspect(&bomb));
    assert!(msg.contains("overlaps the next member"), "{msg}");
    // The last member's data claimed 3 bytes longer, into the central
    // directory (less than its header's name, which a check of the fixed
    // header alone misses).
    let mut into_cd = good.clone();
    let cd = into_cd.windows(4).rposition(|w| w == [0x50, 0x4b, 0x01, 0x02]).unwrap();
    for field in [cd + 20, cd + 24] {
        let v = u32::from_le_bytes(into_cd[field..field + 4].try_into().unwrap()) + 3;
        into_cd[field..field + 4].copy_from_slice(&v.to_le_bytes());
    }
    let msg = reason_of(inspect(&into_cd));
    assert!(msg.contains("central directory"), "{msg}");
    // A NUL inside a member name: C readers would see "a".
    let nul = stored(&[("a\0.npy", &a)]);
    let msg = reason_of(inspect(&nul));
    assert!(msg.contains("NUL"), "{msg}");
}

// ------------------------------------------------------------ NPY, JSON

#[test]
fn npy_shapes_numpy_refuses_are_refused() {
    for shape in [
        "(0, 9223372036854775808)",
        "(0, 4611686018427387904, 4)",
        "(18446744073709551615,)",
    ] {
        let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
        let mut h = b"\x93NUMPY\x01\x00".to_vec();
        let total = (10 + dict.len() + 1).next_multiple_of(64);
        h.extend_from_slice(&((total - 10) as u16).to_le_bytes());
        h.extend_from_slice(dict.as_bytes());
        h.resize(total - 1, b' ');
        h.push(b'\n');
        let z = stored(&[("x.npy", &h)]);
        assert!(inspect(&z).is_err(), "shape {shape} accepted");
    }
}

fn safetensors(header: &str, data: usize) -> Vec<u8> {
    let mut f = (header.len() as u64).to_le_bytes().to_vec();
    f.extend_from_slice(header.as_bytes());
    f.resize(f.len() + data, 0);
    f
}

#[test]
fn safetensors_keys_given_twice_are_refused() {
    let t = r#"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#;
    let ok = safetensors(&format!(r#"{{"__metadata__":{{"a":"1","b":"2"}},"w":{t}}}"#), 4);
    assert_eq!(inspect(&ok).unwrap().metadata.len(), 2);
    let dup_meta = safetensors(&format!(r#"{{"__metadata__":{{"a":"1","a":"2"}},"w":{t}}}"#), 4);
    let msg = reason_of(inspect(&dup_meta));
    assert!(msg.contains("appears twice"), "{msg}");
    let dup_tensor = safetensors(&format!(r#"{{"w":{t},"w":{t}}}"#), 4);
    let msg = reason_of(inspect(&dup_tensor));
    assert!(msg.contains("appears twice"), "{msg}");
}

// ------------------------------------------------------- sizes and changes

#[test]
fn a_sparse_terabyte_is_refused_by_the_whole_read_backend_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.gguf");
    std::fs::write(&p, gguf(&[("a", &[8], F32, 0)], 32)).unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    if f.set_len(1 << 40).is_err() {
        eprintln!("SKIPPED: this file system cannot hold a sparse 1 TiB file");
        return;
    }
    let e = ends_within(30, move || {
        Model::open(&p, Backend::WholeRead, &Limits::default()).unwrap_err()
    });
    assert!(
        matches!(e, LoadError::LimitExceeded { field, .. } if field.contains("whole-read")),
        "{e}"
    );
}

#[test]
fn verify_hashes_the_length_seen_at_open_and_reports_a_change() {
    use loadlab_loader::verify::{sha256_file, sha256_hex, sha256_open_file};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f");
    let bytes: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&p, &bytes).unwrap();
    assert_eq!(sha256_file(&p).unwrap(), sha256_hex(&bytes));
    // Progress adds up to the file's length, reported as it goes.
    let seen = std::sync::atomic::AtomicU64::new(0);
    let calls = std::sync::atomic::AtomicU64::new(0);
    loadlab_loader::verify::sha256_file_with_progress(&p, &|n| {
        seen.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(seen.into_inner(), bytes.len() as u64);
    assert!(calls.into_inner() >= 4, "progress reported at least once per MiB");
    let open = || {
        let f = std::fs::File::open(&p).unwrap();
        let len = f.metadata().unwrap().len();
        (f, len)
    };
    // Grows while it is hashed (a download still running): not followed, reported.
    let (f, len) = open();
    let grower = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    let e = sha256_open_file(&f, "f", len, &|_| {
        (&grower).write_all(&[7u8; 4096]).unwrap();
    })
    .unwrap_err();
    assert_eq!(e.kind(), "changed", "{e}");
    // Shrinks while it is hashed.
    std::fs::write(&p, &bytes).unwrap();
    let (f, len) = open();
    let w = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    let e = sha256_open_file(&f, "f", len, &|_| w.set_len(1000).unwrap()).unwrap_err();
    assert_eq!(e.kind(), "changed", "{e}");
    // Rewritten in place, same size: the modification time tells.
    std::fs::write(&p, &bytes).unwrap();
    let (f, len) = open();
    let w = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    let e = sha256_open_file(&f, "f", len, &|_| {
        w.set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
    })
    .unwrap_err();
    assert_eq!(e.kind(), "changed", "{e}");
}

/// A small safetensors model with one F32 tensor of `n` elements.
fn model_file(dir: &Path, n: usize) -> std::path::PathBuf {
    let header = format!(
        r#"{{"w":{{"dtype":"F32","shape":[{n}],"data_offsets":[0,{}]}}}}"#,
        n * 4
    );
    let p = dir.join("m.safetensors");
    std::fs::write(&p, safetensors(&header, n * 4)).unwrap();
    p
}

#[test]
fn export_never_overwrites_its_own_input() {
    use loadlab_loader::export::export_npy_file;
    let dir = tempfile::tempdir().unwrap();
    let p = model_file(dir.path(), 4);
    let before = std::fs::read(&p).unwrap();
    let hard = dir.path().join("hard.safetensors");
    std::fs::hard_link(&p, &hard).unwrap();
    let soft = dir.path().join("soft.npy");
    std::os::unix::fs::symlink(&p, &soft).unwrap();
    let m = Model::open(&p, Backend::READER, &Limits::default()).unwrap();
    for out in [&p, &hard, &soft, &dir.path().join(".").join("m.safetensors")] {
        let e = export_npy_file(&m, "w", Target::F32, out, true).unwrap_err();
        assert_eq!(e.kind(), "path", "{}: {e}", out.display());
    }
    assert_eq!(std::fs::read(&p).unwrap(), before);
}

#[test]
fn a_file_truncated_under_a_guarded_mapping_is_an_error_not_a_signal() {
    if !loadlab_loader::guard::install() {
        // The portable fallbacks (`--features portable`) have no guard;
        // on Linux and macOS without them it must install.
        let native = !cfg!(feature = "portable") && cfg!(any(target_os = "linux", target_os = "macos"));
        assert!(!native, "the SIGBUS guard did not install");
        eprintln!("SKIPPED: no SIGBUS guard with the portable fallbacks");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let n = 1 << 20; // 4 MiB of tensor data
    let p = model_file(dir.path(), n);
    let m = Model::open(&p, Backend::Mmap, &Limits::default()).unwrap();
    m.check_intact().unwrap();
    // Cut the file to its header: every data page is now past the end.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(100)
        .unwrap();
    let e = loadlab_loader::load::load_tensor(&m, "w", None).unwrap_err();
    assert_eq!(e.kind(), "truncated", "{e}");
    let e = m.tensor_as("w", Target::F16).unwrap_err();
    assert_eq!(e.kind(), "truncated", "{e}");
    // A mapping of an intact file is unaffected by the other one's faults.
    let q = dir.path().join("q");
    std::fs::create_dir(&q).unwrap();
    let other = Model::open(model_file(&q, 1024), Backend::Mmap, &Limits::default()).unwrap();
    assert_eq!(
        loadlab_loader::load::load_tensor(&other, "w", None).unwrap().data.len(),
        4096
    );
    other.check_intact().unwrap();
}

// -------------------------------------------------------------- the kit

/// One small hand-made input per class above, kept in `tests/corpus/` as
/// `seed-<name>.bin`: the robustness test replays them on every run and
/// the fuzz targets start from them (`loader/fuzz/run.sh` seeds from the
/// corpus).
fn kit() -> Vec<(&'static str, Vec<u8>)> {
    let t = tensor("0");
    let b = npy(&[2.0; 16]);
    let inner = stored(&[("b.npy", &b)]);
    let mut overlap = stored(&[("a.npy", &inner[..30 + 5 + b.len()]), ("b.npy", &b)]);
    set_cd_offset(&mut overlap, 1, 30 + 5);
    let shape_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 9223372036854775808), }";
    let mut huge_shape = b"\x93NUMPY\x01\x00".to_vec();
    huge_shape.extend_from_slice(&((118u16).to_le_bytes()));
    huge_shape.extend_from_slice(shape_dict.as_bytes());
    huge_shape.resize(127, b' ');
    huge_shape.push(b'\n');
    let meta = r#"{"__metadata__":{"a":"1","a":"2"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
    vec![
        ("pth-shared-dag", pth_zip(&shared_dag(40, 2, b"K\x01"), &[])),
        ("pth-legacy-shared-dag", pth_legacy(&shared_dag(25, 3, b"K\x01"))),
        ("pth-flattened-collision", pth_zip(&collision(&t), &["0"])),
        (
            "pth-repeated-key",
            pth_zip(
                &[
                    b"\x80\x02}(K\x01".to_vec(),
                    t.clone(),
                    b"K\x01".to_vec(),
                    t,
                    b"u.".to_vec(),
                ]
                .concat(),
                &["0"],
            ),
        ),
        ("gguf-negative-dim", gguf(&[("a", &[0, 1 << 63], F32, 0)], 64)),
        (
            "gguf-offset-gap",
            gguf(&[("a", &[64], Q4_0, 0), ("b", &[4], F32, 96)], 160),
        ),
        ("npz-overlapping-members", overlap),
        ("npz-nul-in-name", stored(&[("a\0.npy", &b)])),
        ("npz-zero-by-2-63", stored(&[("x.npy", &huge_shape)])),
        ("safetensors-repeated-metadata-key", safetensors(meta, 4)),
    ]
}

#[test]
fn the_kit_of_hostile_inputs_is_kept_and_refused() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let write = std::env::var_os("LOADLAB_WRITE_KIT").is_some();
    for (name, bytes) in kit() {
        let err = inspect(&bytes).expect_err(name);
        assert!(!err.to_string().is_empty());
        let path = dir.join(format!("seed-{name}.bin"));
        if write {
            std::fs::write(&path, &bytes).unwrap();
        }
        let kept = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (write the kit with LOADLAB_WRITE_KIT=1)", path.display()));
        assert_eq!(kept, bytes, "{} differs from its builder", path.display());
    }
}
