//! Hand-built hostile inputs, one class at a time: nesting that would
//! overflow the stack, shapes that amplify memory below every other limit,
//! files that are not regular files, outputs planted with links, files that
//! change while in use, and zip archives that disagree with themselves.
//! Each must end in a typed error naming its file and field — never a
//! crash, a hang, or memory beyond the documented parse budget.

mod common;

use common::{stored, zip_of};
use loadlab_loader::convert::Target;
use loadlab_loader::limits::{PARSE_BYTES_BASE, PARSE_BYTES_PER_INPUT_BYTE};
use loadlab_loader::{Backend, Limits, LoadError, Model};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;
use std::path::Path;

/// Counts live bytes and their peak, per thread, so tests running in
/// parallel do not see each other's allocations.
struct PerThread;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + delta;
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

// SAFETY: forwards every call unchanged to the system allocator; the only
// addition is arithmetic on two thread-local counters that never allocate.
#[allow(unsafe_code)] // a counting global allocator over System
unsafe impl GlobalAlloc for PerThread {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as isize));
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: PerThread = PerThread;

/// Peak bytes allocated (above what was live before) while `f` runs on this thread.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    let peak = PEAK.with(Cell::get);
    (r, (peak - base).max(0) as usize)
}

fn inspect(bytes: &[u8], limits: &Limits) -> loadlab_loader::Result<loadlab_loader::Inventory> {
    loadlab_loader::inspect_bytes(bytes, "hostile", limits)
}

fn field_of(r: loadlab_loader::Result<loadlab_loader::Inventory>) -> &'static str {
    match r {
        Err(LoadError::LimitExceeded { field, file, .. }) => {
            assert_eq!(file, "hostile", "the error names the file");
            field
        }
        other => panic!("expected a limit error, got {other:?}"),
    }
}

/// `n` TUPLE1 opcodes around a None: one byte per level.
fn deep_tuples(n: usize) -> Vec<u8> {
    let mut p = vec![b'N'];
    p.extend(std::iter::repeat_n(0x85u8, n));
    p
}

/// The legacy magic-number pickle, with `extra` run (and popped) before STOP.
fn legacy_magic(extra: &[u8]) -> Vec<u8> {
    let mut p = b"\x80\x02\x8a\x0a".to_vec();
    p.extend_from_slice(&loadlab_loader::formats::pth::legacy::MAGIC_NUMBER);
    if !extra.is_empty() {
        p.extend_from_slice(extra);
        p.push(b'0');
    }
    p.push(b'.');
    p
}

#[test]
fn deep_nesting_is_refused_in_every_pickle_of_both_layouts() {
    let deep = deep_tuples(200_000);
    // Zip layout: nested inside a state-dict value.
    let mut pkl = b"\x80\x02}(\x8c\x01a".to_vec();
    pkl.extend_from_slice(&deep);
    pkl.extend_from_slice(b"u.");
    let z = stored(&[("archive/data.pkl", &pkl), ("archive/version", b"3\n")]);
    assert_eq!(field_of(inspect(&z, &Limits::default())), "pickle nesting");
    // Deep lists (two bytes a level) and dicts.
    let mut pkl = vec![b']'; 150_000];
    pkl.extend(std::iter::repeat_n(b'a', 149_999));
    pkl.push(b'.');
    let z = stored(&[("archive/data.pkl", &pkl)]);
    assert_eq!(field_of(inspect(&z, &Limits::default())), "pickle nesting");
    // Legacy layout: each of the five pickles in turn.
    let good = [
        legacy_magic(b""),
        b"\x80\x02M\xe9\x03.".to_vec(),
        b"\x80\x02}.".to_vec(),
        b"\x80\x02}.".to_vec(),
        b"\x80\x02].".to_vec(),
    ];
    for i in 0..5 {
        let mut file = Vec::new();
        for (j, p) in good.iter().enumerate() {
            if i == j {
                if j == 0 {
                    file.extend_from_slice(&legacy_magic(&deep));
                } else {
                    file.extend_from_slice(&p[..p.len() - 1]);
                    file.extend_from_slice(&deep);
                    file.extend_from_slice(b"0.");
                }
            } else {
                file.extend_from_slice(p);
            }
        }
        assert_eq!(
            field_of(inspect(&file, &Limits::default())),
            "pickle nesting",
            "pickle {i}"
        );
    }
}

#[test]
fn pickles_of_one_byte_opcodes_stay_within_the_parse_budget() {
    let limits = Limits::default();
    for (what, unit) in [
        ("empty lists", &b"]"[..]),
        ("memoized Nones", &b"N\x94"[..]),
        ("marks", &b"("[..]),
    ] {
        let n = 12_000_000 / unit.len();
        let mut pkl = b"\x80\x04".to_vec();
        for _ in 0..n {
            pkl.extend_from_slice(unit);
        }
        pkl.push(b'.');
        let z = stored(&[("archive/data.pkl", &pkl)]);
        let (r, peak) = peak_of(|| inspect(&z, &limits));
        assert_eq!(field_of(r), "pickle memory", "{what}");
        // The member is copied out once, then the machine builds at most its budget.
        let bound = 2 * pkl.len() + limits.parse_budget(pkl.len() as u64) as usize;
        assert!(peak <= bound, "{what}: peak {peak} > bound {bound}");
    }
}

#[test]
fn gguf_arrays_of_empty_strings_stay_within_the_parse_budget() {
    // One key holding n empty strings: 8 bytes of file each.
    let n: u64 = 4_000_000;
    let mut g = b"GGUF".to_vec();
    g.extend_from_slice(&3u32.to_le_bytes());
    g.extend_from_slice(&0u64.to_le_bytes());
    g.extend_from_slice(&1u64.to_le_bytes());
    g.extend_from_slice(&1u64.to_le_bytes());
    g.push(b'k');
    g.extend_from_slice(&9u32.to_le_bytes());
    g.extend_from_slice(&8u32.to_le_bytes());
    g.extend_from_slice(&n.to_le_bytes());
    g.resize(g.len() + 8 * n as usize, 0);
    // Under the default budget it parses, within the documented bound.
    let limits = Limits::default();
    let (r, peak) = peak_of(|| inspect(&g, &limits).map(|i| i.metadata.len()));
    assert_eq!(r.unwrap(), 1);
    let bound = (PARSE_BYTES_BASE + PARSE_BYTES_PER_INPUT_BYTE * g.len() as u64) as usize;
    assert!(peak <= bound, "peak {peak} > bound {bound}");
    // With an absolute cap below what the array needs, it is refused mid-parse.
    let tight = Limits {
        max_parse_bytes: 16 << 20,
        ..Limits::default()
    };
    let (r, peak) = peak_of(|| inspect(&g, &tight));
    assert_eq!(field_of(r), "GGUF metadata memory");
    assert!(peak <= 32 << 20, "refused, but only after {peak} bytes");
}

#[test]
fn safetensors_strings_and_header_are_capped() {
    let name = "n".repeat(17 << 20);
    let header = format!(r#"{{"{name}":{{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}}}"#);
    let mut f = (header.len() as u64).to_le_bytes().to_vec();
    f.extend_from_slice(header.as_bytes());
    f.extend_from_slice(&[0; 4]);
    assert_eq!(field_of(inspect(&f, &Limits::default())), "safetensors string");
    let tight = Limits {
        max_parse_bytes: 1 << 20,
        ..Limits::default()
    };
    assert_eq!(field_of(inspect(&f, &tight)), "safetensors header memory");
}

/// A `.npy` of `n` F32 elements whose data is `data`.
fn npy_raw(n: usize, data: &[u8]) -> Vec<u8> {
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({n},), }}");
    let mut h = b"\x93NUMPY\x01\x00".to_vec();
    let pad = 63 - (10 + dict.len()) % 64;
    h.extend_from_slice(&((dict.len() + pad + 1) as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h.extend(std::iter::repeat_n(b' ', pad));
    h.push(b'\n');
    h.extend_from_slice(data);
    h
}

fn npy(values: &[f32]) -> Vec<u8> {
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    npy_raw(values.len(), &data)
}

#[test]
fn zip_archives_that_disagree_with_themselves_are_refused() {
    let a = npy(&[1.0, 2.0]);
    // Two members of one name.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("a.npy", opts).unwrap();
    w.write_all(&a).unwrap();
    w.start_file("b.npy", opts).unwrap();
    w.write_all(&a).unwrap();
    let mut z = w.finish().unwrap().into_inner();
    // Rename b.npy in the central directory only (to c.npy), then to a.npy everywhere.
    let cd = z.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
    let at = cd + 46;
    assert_eq!(&z[at..at + 5], b"b.npy");
    z[at] = b'c';
    match inspect(&z, &Limits::default()) {
        Err(LoadError::Invalid { field, .. }) => assert_eq!(field, "zip local header name"),
        other => panic!("expected a name mismatch, got {other:?}"),
    }
    let lfh = z.windows(4).rposition(|w| w == b"PK\x03\x04").unwrap();
    assert_eq!(&z[lfh + 30..lfh + 35], b"b.npy");
    z[lfh + 30] = b'a';
    z[at] = b'a';
    match inspect(&z, &Limits::default()) {
        Err(LoadError::Invalid { field, reason, .. }) => {
            assert_eq!(field, "zip member name");
            assert!(reason.contains("a.npy"), "{reason}");
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }
    // A stored member whose data no longer matches its CRC-32: listed, but
    // its bytes are refused through every backend.
    let mut z = stored(&[("a.npy", &a)]);
    let two = 2.0f32.to_le_bytes();
    let data = z.windows(4).position(|w| w == two).expect("the value 2.0 is stored");
    z[data] ^= 1;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("crc.npz");
    std::fs::write(&p, &z).unwrap();
    for backend in Backend::ALL {
        let m = Model::open(&p, backend, &Limits::default()).unwrap();
        match m.tensor_bytes("a") {
            Err(LoadError::Invalid { field, file, .. }) => {
                assert_eq!(field, "zip member CRC-32");
                assert!(file.ends_with("crc.npz"));
            }
            other => panic!("{}: expected a CRC error, got {other:?}", backend.name()),
        }
    }
}

#[test]
fn deflate_bombs_are_refused_by_ratio() {
    let zeros = vec![0u8; 80 << 20];
    let a = npy_raw(zeros.len() / 4, &zeros);
    assert!(inspect(&stored(&[("z.npy", &a)]), &Limits::default()).is_ok());
    let z = zip_of(&[("z.npy", &a)], zip::CompressionMethod::Deflated);
    assert!(z.len() < 1 << 20, "deflated to {}", z.len());
    assert_eq!(field_of(inspect(&z, &Limits::default())), "zip member inflate ratio");
    let lax = Limits {
        max_inflate_ratio: 2000,
        ..Limits::default()
    };
    assert!(
        inspect(&z, &lax).is_ok(),
        "the ratio is the only limit this file exceeds"
    );
}

#[test]
fn non_regular_files_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("model.gguf");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for backend in Backend::ALL {
        match Model::open(&fifo, backend, &Limits::default()) {
            Err(LoadError::PathRefused { path, reason }) => {
                assert_eq!(path, fifo);
                assert!(reason.contains("FIFO"), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    assert_eq!(loadlab_loader::verify::sha256_file(&fifo).unwrap_err().kind(), "path");
    assert_eq!(
        loadlab_loader::verify::sha256_file(Path::new("/dev/zero"))
            .unwrap_err()
            .kind(),
        "path"
    );
    assert_eq!(loadlab_loader::verify::read_manifest(&fifo).unwrap_err().kind(), "path");
    assert_eq!(
        loadlab_loader::verify::read_manifest(Path::new("/dev/zero"))
            .unwrap_err()
            .kind(),
        "path"
    );
    // A manifest entry naming a FIFO inside the root.
    let v = loadlab_loader::verify::verify_manifest(
        dir.path(),
        &[loadlab_loader::verify::ManifestEntry {
            sha256: "0".repeat(64),
            file: "model.gguf".into(),
        }],
        u64::MAX,
    );
    assert_eq!(v[0].result.as_ref().unwrap_err().kind(), "path");
}

/// A small real-format model file: a safetensors with one F32 tensor.
fn small_model(dir: &Path) -> std::path::PathBuf {
    let header = br#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#;
    let mut f = (header.len() as u64).to_le_bytes().to_vec();
    f.extend_from_slice(header);
    for v in [1.0f32, 2.0, 3.0, 4.0] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    let p = dir.join("m.safetensors");
    std::fs::write(&p, f).unwrap();
    p
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn export_writes_only_its_output() {
    use loadlab_loader::export::export_npy_file;
    let dir = tempfile::tempdir().unwrap();
    let m = Model::open(small_model(dir.path()), Backend::READER, &Limits::default()).unwrap();
    let out = dir.path().join("out.npy");
    // A link planted where the old code put its partial file: never followed.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"keep").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("out.npy.partial")).unwrap();
    export_npy_file(&m, "w", Target::F32, &out, false).unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    assert_eq!(&std::fs::read(&out).unwrap()[..6], b"\x93NUMPY");
    // An existing output is kept unless asked.
    assert_eq!(
        export_npy_file(&m, "w", Target::F16, &out, false).unwrap_err().kind(),
        "path"
    );
    export_npy_file(&m, "w", Target::F16, &out, true).unwrap();
    // A link, a FIFO or a folder at OUT is never replaced, even with force.
    let link = dir.path().join("link.npy");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let fifo = dir.path().join("fifo.npy");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for target in [&link, &fifo, &dir.path().to_path_buf()] {
        assert_eq!(
            export_npy_file(&m, "w", Target::F32, target, true).unwrap_err().kind(),
            "path"
        );
    }
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    // A failed export leaves nothing behind.
    let before = entries(dir.path());
    let e = export_npy_file(&m, "missing", Target::F32, &dir.path().join("new.npy"), false).unwrap_err();
    assert_eq!(e.kind(), "not-found");
    assert_eq!(entries(dir.path()), before);
}

#[test]
fn a_file_truncated_while_open_gives_an_error_not_a_signal() {
    let dir = tempfile::tempdir().unwrap();
    let p = small_model(dir.path());
    let m = Model::open(&p, Backend::READER, &Limits::default()).unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(20).unwrap();
    let before = entries(dir.path());
    let e =
        loadlab_loader::export::export_npy_file(&m, "w", Target::F32, &dir.path().join("o.npy"), false).unwrap_err();
    assert_eq!(e.kind(), "truncated", "{e}");
    assert!(e.to_string().contains("m.safetensors"), "{e}");
    assert_eq!(entries(dir.path()), before);
}
