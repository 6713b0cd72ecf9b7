//! Reading a file into memory the ways storage rewards: the size of each
//! request, how many requests are in flight, through the page cache or
//! around it (`O_DIRECT`), and readahead advice. The limits experiment
//! reads each file every way on [`ReadPlan::grid`](crate::io::ReadPlan::grid) and takes the fastest as
//! what that storage allows; the loader's backends are measured as a share
//! of it. Platform calls are in `sys`.

use crate::error::{LoadError, Result};
use std::fs::File;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

/// What `O_DIRECT` asks of buffer addresses, file offsets and lengths: a
/// multiple of the device's logical block, at most 4 KiB on the devices
/// and filesystems this runs on.
pub const DIRECT_ALIGN: usize = 4096;

/// Advice given about the whole file before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Advice {
    /// None.
    #[default]
    None,
    /// `POSIX_FADV_SEQUENTIAL`: read ahead more.
    Sequential,
    /// `POSIX_FADV_WILLNEED`: start reading all of it now.
    WillNeed,
}

impl Advice {
    /// Its word in a plan's name.
    pub fn name(self) -> &'static str {
        match self {
            Advice::None => "no advice",
            Advice::Sequential => "sequential",
            Advice::WillNeed => "willneed",
        }
    }
}

/// How to read a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadPlan {
    /// Bytes per read request (rounded up to [`DIRECT_ALIGN`] when direct).
    pub request: usize,
    /// Requests in flight at once, each on its own thread.
    pub in_flight: usize,
    /// Around the page cache (`O_DIRECT`) into an aligned buffer.
    pub direct: bool,
    /// Advice given first.
    pub advice: Advice,
}

impl ReadPlan {
    /// Through the page cache, `request` bytes at a time, `in_flight` at once.
    pub const fn buffered(request: usize, in_flight: usize) -> ReadPlan {
        ReadPlan {
            request,
            in_flight,
            direct: false,
            advice: Advice::None,
        }
    }

    /// Around the page cache (`O_DIRECT`).
    pub const fn direct(request: usize, in_flight: usize) -> ReadPlan {
        ReadPlan {
            request,
            in_flight,
            direct: true,
            advice: Advice::None,
        }
    }

    /// The same plan with `advice` given first.
    pub const fn advised(self, advice: Advice) -> ReadPlan {
        ReadPlan { advice, ..self }
    }

    /// "direct 4 MiB × 16", "buffered 1 MiB × 1, sequential".
    pub fn name(&self) -> String {
        let size = if self.request.is_multiple_of(1 << 20) {
            format!("{} MiB", self.request >> 20)
        } else {
            format!("{} KiB", self.request.div_ceil(1024))
        };
        let how = if self.direct { "direct" } else { "buffered" };
        match self.advice {
            Advice::None => format!("{how} {size} × {}", self.in_flight),
            a => format!("{how} {size} × {}, {}", self.in_flight, a.name()),
        }
    }

    /// What a perfect loader would try: through the cache and around it,
    /// requests of 1, 4 and 8 MiB, 1, 4 and 16 in flight.
    pub fn grid() -> Vec<ReadPlan> {
        let mut plans = Vec::new();
        for direct in [false, true] {
            for mib in [1usize, 4, 8] {
                for in_flight in [1usize, 4, 16] {
                    plans.push(ReadPlan {
                        request: mib << 20,
                        in_flight,
                        direct,
                        advice: Advice::None,
                    });
                }
            }
        }
        plans
    }
}

/// Bytes that start at a [`DIRECT_ALIGN`] boundary, with room up to the
/// next one after them (a direct read of the last block may fill it).
pub struct Aligned {
    raw: Vec<u8>,
    start: usize,
    len: usize,
}

impl Aligned {
    /// `len` zero bytes, aligned.
    pub fn zeroed(len: usize) -> Option<Aligned> {
        let room = round_up(len)?;
        let raw = crate::alloc::zeroed::<u8>(room.checked_add(DIRECT_ALIGN)?);
        let start = raw.as_ptr().align_offset(DIRECT_ALIGN);
        // `align_offset` may decline (usize::MAX); a byte buffer never does
        // in practice, but the slice below must stay in bounds regardless.
        (start < DIRECT_ALIGN).then_some(Aligned { raw, start, len })
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.raw[self.start..self.start + self.len]
    }

    /// How many bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes and the room after them, up to a block boundary.
    fn blocks_mut(&mut self) -> &mut [u8] {
        let room = round_up(self.len).unwrap_or(self.len);
        &mut self.raw[self.start..self.start + room]
    }
}

impl std::ops::Deref for Aligned {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

fn round_up(n: usize) -> Option<usize> {
    n.checked_add(DIRECT_ALIGN - 1).map(|x| x / DIRECT_ALIGN * DIRECT_ALIGN)
}

/// Whether this platform and the filesystem holding `path` take `O_DIRECT`
/// opens (tmpfs does not; FUSE and network filesystems may not).
pub fn direct_supported(path: &Path) -> bool {
    matches!(crate::sys::open_direct(path), Some(Ok(_)))
}

/// Reads all of `path` into memory following `plan`. A direct plan where
/// the platform or filesystem refuses `O_DIRECT` is an error, not a
/// silent buffered read: a measurement must be what its name says.
pub fn read_file(path: &Path, plan: &ReadPlan) -> Result<Aligned> {
    read_file_with(path, plan, &mut |_: &[u8]| {})
}

/// [`read_file`] that also gives the file's SHA-256 (lower-case hex),
/// hashed in file order as the reads complete: one pass over the storage
/// yields the bytes and their digest. The hashing runs on the calling
/// thread while the plan's other reads stay in flight, and each chunk is
/// hashed right after it arrived, while it is still in the CPU's caches.
pub fn read_file_hashed(path: &Path, plan: &ReadPlan) -> Result<(Aligned, String)> {
    let (file, name, len) = open(path, plan)?;
    read_open_hashed(&file, &name, len, plan)
}

/// [`read_file_hashed`] of a file already open (`len` bytes long).
pub(crate) fn read_open_hashed(file: &File, name: &str, len: u64, plan: &ReadPlan) -> Result<(Aligned, String)> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let bytes = read_open_with(file, name, len, plan, &mut |chunk: &[u8]| h.update(chunk))?;
    Ok((bytes, crate::verify::hex(&h.finalize())))
}

/// Reads all of `path` following `plan`, handing `consume` every byte in
/// file order as the reads complete.
fn read_file_with(path: &Path, plan: &ReadPlan, consume: &mut dyn FnMut(&[u8])) -> Result<Aligned> {
    let (file, name, len) = open(path, plan)?;
    read_open_with(&file, &name, len, plan, consume)
}

/// Opens `path` as `plan` says (around the cache or through it): the
/// file, its name for errors, and its length.
fn open(path: &Path, plan: &ReadPlan) -> Result<(File, String, u64)> {
    let name = path.display().to_string();
    let file = if plan.direct {
        match crate::sys::open_direct(path) {
            Some(opened) => opened.map_err(|e| LoadError::io(&name, e))?,
            None => {
                return Err(LoadError::io(
                    &name,
                    std::io::Error::new(
                        std::io::ErrorKind::Unsupported,
                        "O_DIRECT is not available on this platform",
                    ),
                ))
            }
        }
    } else {
        crate::sys::open_read(path).map_err(|e| LoadError::io(&name, e))?
    };
    let meta = file.metadata().map_err(|e| LoadError::io(&name, e))?;
    if !meta.is_file() {
        return Err(LoadError::io(
            &name,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        ));
    }
    Ok((file, name, meta.len()))
}

/// Reads the `len` bytes of the open `file` following `plan` into an
/// aligned buffer, handing `consume` every byte in file order.
fn read_open_with(
    file: &File,
    name: &str,
    len: u64,
    plan: &ReadPlan,
    consume: &mut dyn FnMut(&[u8]),
) -> Result<Aligned> {
    let overflow = || LoadError::Overflow {
        file: name.to_owned(),
        field: "file length".into(),
    };
    let size = usize::try_from(len).map_err(|_| overflow())?;
    let mut buf = Aligned::zeroed(size).ok_or_else(overflow)?;
    crate::sys::fadvise(file, len, plan.advice);
    // A file that grew since its length was taken is read up to that
    // length; the consumer sees exactly the bytes returned.
    let mut seen = 0usize;
    let mut bounded = |chunk: &[u8]| {
        let take = chunk.len().min(size - seen);
        consume(&chunk[..take]);
        seen += take;
    };
    let got = read_blocks(file, buf.blocks_mut(), plan, &mut bounded).map_err(|e| LoadError::io(name, e))?;
    if got < size {
        return Err(LoadError::Truncated {
            file: name.to_owned(),
            offset: Some(got as u64),
            field: "file data",
            needed: len,
            available: got as u64,
        });
    }
    Ok(buf)
}

/// A file mapped read-only with every page faulted in (one byte read per
/// page): what a loader that maps the file has paid before it uses it.
pub struct Touched(crate::backend::Mapped);

impl std::ops::Deref for Touched {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Maps `path` and reads one byte of every page, in order.
pub fn map_touched(path: &Path) -> Result<Touched> {
    let name = path.display().to_string();
    let file = crate::sys::open_read(path).map_err(|e| LoadError::io(&name, e))?;
    let mapped = crate::backend::map(&file, &name)?;
    let mut acc = 0u8;
    for page in mapped.chunks(4096) {
        acc ^= page[0];
    }
    std::hint::black_box(acc);
    Ok(Touched(mapped))
}

/// Fills `out` from the start of `file` in requests of `plan.request`
/// bytes, `plan.in_flight` at once, handing `consume` the bytes of each
/// request in file order as soon as it and every request before it are
/// complete; the bytes read (fewer than `out` holds when the file ends
/// first). Readers send each filled chunk to the calling thread, which
/// consumes them in order.
fn read_blocks(file: &File, out: &mut [u8], plan: &ReadPlan, consume: &mut dyn FnMut(&[u8])) -> std::io::Result<usize> {
    let request = if plan.direct {
        round_up(plan.request.max(1)).unwrap_or(DIRECT_ALIGN)
    } else {
        plan.request.max(1)
    };
    let chunks: Vec<(usize, u64, &mut [u8])> = out
        .chunks_mut(request)
        .enumerate()
        .map(|(i, c)| (i, (i as u64).saturating_mul(request as u64), c))
        .collect();
    let threads = plan.in_flight.clamp(1, chunks.len().max(1));
    if threads == 1 {
        let mut total = 0;
        for (_, offset, chunk) in chunks {
            let wanted = chunk.len();
            let n = fill(file, chunk, offset, plan.direct)?;
            consume(&chunk[..n]);
            total += n;
            if n < wanted {
                break; // the file ended
            }
        }
        return Ok(total);
    }
    let queue = Mutex::new(chunks.into_iter());
    let (done, arrived) = std::sync::mpsc::channel::<(usize, std::io::Result<usize>, &mut [u8])>();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (done, queue) = (done.clone(), &queue);
            s.spawn(move || loop {
                let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                let Some((i, offset, chunk)) = next else { break };
                let r = fill(file, chunk, offset, plan.direct);
                let failed = r.is_err();
                if done.send((i, r, chunk)).is_err() || failed {
                    break;
                }
            });
        }
        drop(done);
        // Chunks arrive in any order; consume them in file order.
        let mut waiting: std::collections::BTreeMap<usize, (usize, &mut [u8])> = Default::default();
        let (mut next, mut total, mut ended) = (0usize, 0usize, false);
        let mut failed = None;
        for (i, r, chunk) in arrived {
            match r {
                Ok(n) => {
                    waiting.insert(i, (n, chunk));
                }
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
            while let Some((n, chunk)) = waiting.remove(&next) {
                if !ended {
                    consume(&chunk[..n]);
                    total += n;
                    ended = n < chunk.len();
                }
                next += 1;
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(total),
        }
    })
}

/// Fills `buf` from `offset` until it is full or the file ends; the bytes
/// read. A direct read that stops off a block boundary has reached the end
/// (asking again from there would be an unaligned request).
fn fill(file: &File, buf: &mut [u8], offset: u64, direct: bool) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match crate::sys::read_at(file, &mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) if direct && n % DIRECT_ALIGN != 0 => {
                done += n;
                break;
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(n: usize) -> (tempfile::NamedTempFile, Vec<u8>) {
        let bytes: Vec<u8> = (0..n).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(&bytes).expect("write");
        f.flush().expect("flush");
        (f, bytes)
    }

    #[test]
    fn every_plan_reads_every_byte() {
        // Sizes around block and request edges, and an empty file.
        for n in [0, 1, 4095, 4096, 4097, (1 << 20) + 12_345, 3 << 20] {
            let (f, bytes) = file_of(n);
            let mut plans = ReadPlan::grid();
            plans.push(ReadPlan::buffered(4096, 3).advised(Advice::Sequential));
            plans.push(ReadPlan::buffered(5000, 2).advised(Advice::WillNeed));
            plans.push(ReadPlan::direct(5000, 2));
            for plan in plans {
                match read_file(f.path(), &plan) {
                    Ok(got) => {
                        assert_eq!(got.len(), n, "{}", plan.name());
                        assert!(got.as_slice() == &bytes[..], "{} of {n} bytes", plan.name());
                        assert_eq!(got.as_ptr() as usize % DIRECT_ALIGN, 0);
                    }
                    // Only a direct read may be refused, and only where the
                    // filesystem or platform refuses O_DIRECT itself.
                    Err(e) => assert!(plan.direct && !direct_supported(f.path()), "{}: {e}", plan.name()),
                }
            }
        }
    }

    #[test]
    fn a_hashed_read_gives_the_digest_of_every_byte() {
        for n in [0, 4097, (2 << 20) + 777] {
            let (f, bytes) = file_of(n);
            let want = crate::verify::sha256_hex(&bytes);
            for plan in [
                ReadPlan::buffered(1 << 20, 1),
                ReadPlan::buffered(64 << 10, 8),
                ReadPlan::direct(1 << 20, 4),
            ] {
                match read_file_hashed(f.path(), &plan) {
                    Ok((got, digest)) => {
                        assert!(got.as_slice() == &bytes[..], "{}", plan.name());
                        assert_eq!(digest, want, "{} of {n} bytes", plan.name());
                    }
                    Err(e) => assert!(plan.direct && !direct_supported(f.path()), "{}: {e}", plan.name()),
                }
            }
        }
    }

    #[test]
    fn plans_have_names_and_a_grid() {
        assert_eq!(ReadPlan::direct(4 << 20, 16).name(), "direct 4 MiB × 16");
        assert_eq!(
            ReadPlan::buffered(1 << 20, 1).advised(Advice::Sequential).name(),
            "buffered 1 MiB × 1, sequential"
        );
        assert_eq!(ReadPlan::buffered(5000, 2).name(), "buffered 5 KiB × 2");
        let grid = ReadPlan::grid();
        assert_eq!(grid.len(), 18);
        assert_eq!(grid.iter().filter(|p| p.direct).count(), 9);
    }

    #[test]
    fn a_file_that_is_not_there_or_not_a_file_is_an_error() {
        let dir = tempfile::tempdir().expect("dir");
        assert!(read_file(&dir.path().join("missing"), &ReadPlan::buffered(4096, 1)).is_err());
        assert!(read_file(dir.path(), &ReadPlan::buffered(4096, 4)).is_err());
    }
}
