//! Streaming SHA-256 verification of files and of model directories.
//!
//! One digest is inherently sequential (Merkle–Damgård), so one file is
//! hashed by one thread; a directory's files are hashed in parallel with
//! rayon. `sha2` picks the SHA-NI instructions at run time when the CPU has
//! them. The ledger's H08 measured this streaming
//! verifier within about a tenth of in-memory hashing speed on a warm file,
//! and H07 what threads can and cannot add.

use crate::error::{LoadError, Result};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Bytes per read when hashing a file: large enough that syscalls are
/// negligible, small enough to stay in L2.
pub const HASH_CHUNK_BYTES: usize = 1 << 20;

/// Lower-case hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[usize::from(b >> 4)] as char);
        s.push(H[usize::from(b & 15)] as char);
    }
    s
}

/// SHA-256 of a byte slice, as lower-case hex.
///
/// ```
/// assert_eq!(
///     loadlab_loader::verify::sha256_hex(b"abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of everything a reader yields, reading `HASH_CHUNK_BYTES` at a
/// time. Returns the hex digest and the byte count.
pub fn sha256_reader(r: impl Read, name: &str) -> Result<(String, u64)> {
    hash_stream(r, name, HASH_CHUNK_BYTES, &|_| {})
}

/// [`sha256_reader`] with reads of `chunk` bytes (H22 compares sizes; the
/// `lab` feature).
#[cfg(feature = "lab")]
pub fn sha256_reader_chunked(r: impl Read, name: &str, chunk: usize) -> Result<(String, u64)> {
    hash_stream(r, name, chunk, &|_| {})
}

/// Hashes everything `r` yields in reads of `chunk` bytes, calling
/// `progress` after each; returns the digest and the byte count.
fn hash_stream(mut r: impl Read, name: &str, chunk: usize, progress: &(dyn Fn(u64) + Sync)) -> Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; chunk.max(1)];
    let mut n = 0u64;
    loop {
        let k = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(LoadError::io(name, e)),
        };
        h.update(&buf[..k]);
        n += k as u64;
        progress(k as u64);
    }
    Ok((hex(&h.finalize()), n))
}

/// SHA-256 of a file, streamed. Memory: one 1 MiB buffer.
///
/// Hashes exactly the bytes the file had when it was opened: a file that
/// grows meanwhile is not followed, and one that shrinks, grows or is
/// rewritten in place while it is read (its size or modification time
/// differs at the end) is a [`LoadError::Changed`], since the digest would
/// describe no version of it.
pub fn sha256_file(path: &Path) -> Result<String> {
    sha256_file_with_progress(path, &|_| {})
}

/// [`sha256_file`], calling `progress` with the bytes hashed since its last
/// call (about every [`HASH_CHUNK_BYTES`]), e.g. to draw a progress bar.
pub fn sha256_file_with_progress(path: &Path, progress: &(dyn Fn(u64) + Sync)) -> Result<String> {
    let name = path.display().to_string();
    let (f, len) = crate::path::open_regular(path, u64::MAX)?;
    Ok(sha256_open_file(&f, &name, len, progress)?.0)
}

/// The size and modification time of an open file.
type Snapshot = (u64, Option<std::time::SystemTime>);

/// An open file's [`Snapshot`] now, to tell whether it changed while it
/// was read.
fn snapshot(f: &std::fs::File, name: &str) -> Result<Snapshot> {
    let m = f.metadata().map_err(|e| LoadError::io(name, e))?;
    Ok((m.len(), m.modified().ok()))
}

/// `Changed` unless `read` bytes were read of a file `len` long when it
/// was opened (`before`), and its size and modification time are still
/// what they were.
fn unchanged(f: &std::fs::File, name: &str, len: u64, read: u64, before: Snapshot) -> Result<()> {
    let after = snapshot(f, name)?;
    if read != len || after.0 != len {
        return Err(LoadError::Changed {
            file: name.to_owned(),
            what: format!(
                "it was {len} bytes when opened, {read} bytes could be read and it is {} bytes now",
                after.0
            ),
        });
    }
    if after.1 != before.1 {
        return Err(LoadError::Changed {
            file: name.to_owned(),
            what: "its modification time changed while it was hashed".into(),
        });
    }
    Ok(())
}

/// Hashes the first `len` bytes of an open file (the length it had when it
/// was opened), then checks that its size and modification time are still
/// what they were. Returns the digest and `len`.
pub fn sha256_open_file(
    f: &std::fs::File,
    name: &str,
    len: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(String, u64)> {
    let before = snapshot(f, name)?;
    let (digest, n) = hash_stream(f.take(len), name, HASH_CHUNK_BYTES, progress)?;
    unchanged(f, name, len, n, before)?;
    Ok((digest, n))
}

/// SHA-256 of a file with a read-ahead thread: one thread reads `chunk`
/// bytes at a time into a small ring of recycled buffers while this one
/// hashes, so reading (copying from the page cache, or waiting for the
/// disk) overlaps hashing. H22's B.
pub fn sha256_file_overlapped(path: &Path, chunk: usize) -> Result<String> {
    use std::sync::mpsc::sync_channel;
    let name = path.display().to_string();
    let (f, len) = crate::path::open_regular(path, u64::MAX)?;
    let before = snapshot(&f, &name)?;
    let mut r = (&f).take(len);
    let chunk = chunk.max(1);
    // Full buffers go to the hasher; empty ones come back to the reader.
    let (full_tx, full_rx) = sync_channel::<std::io::Result<(Vec<u8>, usize)>>(3);
    let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(4);
    for _ in 0..4 {
        // Cannot fail: the channel has room for all four.
        let _ = empty_tx.send(vec![0u8; chunk]);
    }
    let digest = std::thread::scope(|s| {
        s.spawn(move || {
            while let Ok(mut buf) = empty_rx.recv() {
                let r = loop {
                    match r.read(&mut buf) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        r => break r,
                    }
                };
                let done = !matches!(r, Ok(k) if k > 0);
                if full_tx.send(r.map(|k| (buf, k))).is_err() || done {
                    return;
                }
            }
        });
        let mut h = Sha256::new();
        let mut n = 0u64;
        loop {
            match full_rx.recv() {
                Ok(Ok((buf, k))) if k > 0 => {
                    h.update(&buf[..k]);
                    n += k as u64;
                    let _ = empty_tx.send(buf);
                }
                Ok(Ok(_)) => {
                    unchanged(&f, &name, len, n, before)?;
                    return Ok(hex(&h.finalize()));
                }
                Err(_) => {
                    return Err(LoadError::io(
                        &name,
                        std::io::Error::other("the read-ahead thread stopped before the end of the file"),
                    ))
                }
                Ok(Err(e)) => return Err(LoadError::io(&name, e)),
            }
        }
    });
    digest
}

/// Checks that `hex` is a SHA-256 digest: 64 hexadecimal digits (surrounding
/// white space ignored). Returns it in lower case.
pub fn parse_digest(hex: &str) -> Result<String> {
    let h = hex.trim();
    if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LoadError::Invalid {
            file: "--sha256".into(),
            offset: None,
            field: "expected digest",
            reason: format!("{h:?} is not 64 hexadecimal digits"),
        });
    }
    Ok(h.to_ascii_lowercase())
}

/// Checks a file against an expected hex digest (case-insensitive).
///
/// ```
/// use loadlab_loader::verify::verify_sha256;
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("f");
/// std::fs::write(&p, b"abc").unwrap();
/// verify_sha256(&p, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")?;
/// let wrong = verify_sha256(&p, &"0".repeat(64)).unwrap_err();
/// assert_eq!(wrong.kind(), "hash-mismatch");
/// # Ok::<(), loadlab_loader::LoadError>(())
/// ```
/// The digest is validated before the file is opened.
pub fn verify_sha256(path: &Path, expected: &str) -> Result<()> {
    verify_sha256_with_progress(path, expected, &|_| {})
}

/// [`verify_sha256`] with a progress callback (see [`sha256_file_with_progress`]).
pub fn verify_sha256_with_progress(path: &Path, expected: &str, progress: &(dyn Fn(u64) + Sync)) -> Result<()> {
    let expected = parse_digest(expected)?;
    let actual = sha256_file_with_progress(path, progress)?;
    if actual == expected {
        Ok(())
    } else {
        Err(LoadError::HashMismatch {
            file: path.display().to_string(),
            expected,
            actual,
        })
    }
}

/// Largest manifest accepted: 1 MiB per 10 000 files is far beyond real ones.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// Reads and parses a manifest file: a regular file of at most
/// [`MAX_MANIFEST_BYTES`], listing at least one file.
pub fn read_manifest(path: &Path) -> Result<Vec<ManifestEntry>> {
    let text = crate::path::read_small_text(path, MAX_MANIFEST_BYTES)?;
    parse_manifest(&text, &path.display().to_string())
}

/// One line of a `SHA256SUMS` manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Expected digest, lower-case hex.
    pub sha256: String,
    /// File name relative to the manifest's folder.
    pub file: String,
}

/// Parses `sha256sum` output: `<64 hex>  <name>` or `<64 hex> *<name>`.
/// Blank lines and `#` comments are skipped; a manifest that lists no file
/// is an error (it would verify nothing).
pub fn parse_manifest(text: &str, manifest_name: &str) -> Result<Vec<ManifestEntry>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || LoadError::Invalid {
            file: manifest_name.to_owned(),
            offset: Some(i as u64 + 1),
            field: "manifest line",
            reason: format!("expected '<sha256>  <file>', got {line:?}"),
        };
        let (digest, rest) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let file = rest.trim_start().trim_start_matches('*');
        if file.is_empty() {
            return Err(bad());
        }
        out.push(ManifestEntry {
            sha256: digest.to_ascii_lowercase(),
            file: file.to_owned(),
        });
    }
    if out.is_empty() {
        return Err(LoadError::Invalid {
            file: manifest_name.to_owned(),
            offset: None,
            field: "manifest",
            reason: "lists no files".into(),
        });
    }
    Ok(out)
}

/// The outcome for one file of a directory verification.
#[derive(Debug)]
pub struct FileVerdict {
    /// The file.
    pub file: PathBuf,
    /// Bytes hashed.
    pub bytes: u64,
    /// Ok, or why it failed.
    pub result: Result<()>,
}

/// Verifies every file a manifest lists under `root`, in parallel across
/// files (with the `parallel` feature). Each name goes through path
/// validation, so a manifest cannot point outside the root. Returns one
/// verdict per entry, in manifest order.
///
/// ```
/// use loadlab_loader::verify::{parse_manifest, verify_manifest};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("a.bin"), b"abc").unwrap();
/// let sums = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a.bin\n";
/// let entries = parse_manifest(sums, "SHA256SUMS")?;
/// let verdicts = verify_manifest(dir.path(), &entries, u64::MAX);
/// assert!(verdicts.iter().all(|v| v.result.is_ok()));
/// # Ok::<(), loadlab_loader::LoadError>(())
/// ```
pub fn verify_manifest(root: &Path, entries: &[ManifestEntry], max_file_bytes: u64) -> Vec<FileVerdict> {
    verify_manifest_with_progress(root, entries, max_file_bytes, &|_| {})
}

/// [`verify_manifest`], calling `progress` with the bytes hashed since its
/// last call, from whichever thread hashed them.
pub fn verify_manifest_with_progress(
    root: &Path,
    entries: &[ManifestEntry],
    max_file_bytes: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<FileVerdict> {
    let one = |e: &ManifestEntry| {
        let checked = crate::path::resolve_in_root(root, Path::new(&e.file), max_file_bytes);
        match checked {
            Err(err) => FileVerdict {
                file: root.join(&e.file),
                bytes: 0,
                result: Err(err),
            },
            Ok(p) => {
                let name = p.display().to_string();
                let r = crate::path::open_regular(&p, max_file_bytes)
                    .and_then(|(f, len)| sha256_open_file(&f, &name, len, progress));
                match r {
                    Err(err) => FileVerdict {
                        file: p,
                        bytes: 0,
                        result: Err(err),
                    },
                    Ok((actual, bytes)) => {
                        let result = if actual == e.sha256 {
                            Ok(())
                        } else {
                            Err(LoadError::HashMismatch {
                                file: name,
                                expected: e.sha256.clone(),
                                actual,
                            })
                        };
                        FileVerdict { file: p, bytes, result }
                    }
                }
            }
        }
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        entries.par_iter().map(one).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        entries.iter().map(one).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_read_pattern_gives_the_same_digest() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let bytes: Vec<u8> = (0..3_000_017u32).map(|i| (i * 131 % 251) as u8).collect();
        std::fs::write(&p, &bytes).unwrap();
        let want = sha256_hex(&bytes);
        for chunk in [1, 4096, 8 << 10, 64 << 10, 1 << 20, 8 << 20] {
            let (got, n) = hash_stream(std::fs::File::open(&p).unwrap(), "f", chunk, &|_| {}).unwrap();
            assert_eq!((got, n), (want.clone(), bytes.len() as u64), "chunk {chunk}");
            assert_eq!(
                sha256_file_overlapped(&p, chunk.max(4096)).unwrap(),
                want,
                "overlapped {chunk}"
            );
        }
        std::fs::write(&p, b"").unwrap();
        assert_eq!(sha256_file_overlapped(&p, 4096).unwrap(), sha256_hex(b""));
    }

    #[test]
    fn known_digests() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn manifest_parsing() {
        let m = parse_manifest(
            "# comment\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.bin\nBA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD *b c.bin\n",
            "SUMS",
        )
        .unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].file, "b c.bin");
        assert!(m[1].sha256.starts_with("ba78"));
        assert!(parse_manifest("zz  a\n", "SUMS").is_err());
        assert!(parse_manifest(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
            "SUMS"
        )
        .is_err());
        assert!(parse_manifest("# only a comment\n\n", "SUMS").is_err());
        assert!(parse_digest("zz").is_err());
        assert!(parse_digest(&"a".repeat(63)).is_err());
        assert_eq!(parse_digest(&format!(" {} ", "A".repeat(64))).unwrap(), "a".repeat(64));
    }
}
