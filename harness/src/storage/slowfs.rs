//! The `slow` profile's filesystem: a read-only FUSE view of chosen files
//! that charges every read what a remote store would — a delay per
//! request, one link of fixed bandwidth that all requests share, a largest
//! request, and a number of requests served at once. It stands in for a
//! network volume or an object-store mount on a machine that has neither,
//! so the loader's behaviour there (page-sized faults of a mapping, reads
//! in flight, readahead) can be measured. The bytes come from the files
//! behind the view; the kernel keeps its page cache of them between opens,
//! so a warm trial is warm and a cold one is cold only after eviction.

use super::view::View;
use crate::error::{HarnessError, Result};
use fuser::{
    BackgroundSession, Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo,
    KernelConfig, LockOwner, MountOption, OpenFlags, ReplyAttr, ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry,
    ReplyOpen, ReplyStatfs, Request,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// What the modelled store charges for a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttle {
    /// Added to every read request, in microseconds: the round trip.
    pub latency_us: u64,
    /// Bytes per second of the one link every request shares; 0: no limit.
    pub bandwidth: u64,
    /// The largest read request the kernel may send, in bytes (the
    /// `max_read` mount option; the kernel caps requests at 1 MiB anyway).
    pub max_request: u32,
    /// Requests served at once (the server's threads).
    pub in_flight: u32,
}

impl Default for Throttle {
    /// A network volume of the kind cloud machines mount: 1 ms a request,
    /// 250 MB/s, requests of at most 128 KiB, 4 served at once.
    fn default() -> Throttle {
        Throttle {
            latency_us: 1_000,
            bandwidth: 250_000_000,
            max_request: 128 * 1024,
            in_flight: 4,
        }
    }
}

impl Throttle {
    /// In words: "1 ms a request, 250 MB/s, requests ≤ 128 KiB, 4 at once".
    pub fn describe(&self) -> String {
        let bandwidth = if self.bandwidth == 0 {
            "no bandwidth limit".to_owned()
        } else {
            format!("{} MB/s", self.bandwidth as f64 / 1e6)
        };
        format!(
            "{} a request, {bandwidth}, requests ≤ {}, {} at once",
            if self.latency_us.is_multiple_of(1000) {
                format!("{} ms", self.latency_us / 1000)
            } else {
                format!("{} µs", self.latency_us)
            },
            crate::human::bytes(f64::from(self.max_request)),
            self.in_flight
        )
    }

    /// The most bytes per second this store can give, with every request
    /// of the largest size and all of them in flight.
    pub fn ceiling(&self) -> f64 {
        let request = f64::from(self.max_request);
        let per_request = self.latency_us as f64 * 1e-6
            + if self.bandwidth == 0 {
                0.0
            } else {
                request / self.bandwidth as f64
            };
        let by_latency = if per_request > 0.0 {
            f64::from(self.in_flight.max(1)) * request / per_request
        } else {
            f64::INFINITY
        };
        if self.bandwidth == 0 {
            by_latency
        } else {
            by_latency.min(self.bandwidth as f64)
        }
    }
}

/// What the filesystem served, for tests and for the campaign's record.
#[derive(Debug, Default)]
pub struct Served {
    /// Read requests answered.
    pub requests: AtomicU64,
    /// Bytes answered.
    pub bytes: AtomicU64,
    /// The largest request's size in bytes.
    pub largest: AtomicU64,
}

/// The link all requests share: each request's bytes occupy it in turn,
/// and every request also waits its round trip, overlapped with others.
#[derive(Debug)]
struct Link {
    throttle: Throttle,
    free_at: Mutex<Instant>,
}

impl Link {
    /// Sleeps until a request of `bytes` that arrived at `start` would
    /// have been answered.
    fn charge(&self, start: Instant, bytes: usize) {
        let transfer = if self.throttle.bandwidth == 0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(bytes as f64 / self.throttle.bandwidth as f64)
        };
        let sent = {
            let mut free = self.free_at.lock().unwrap_or_else(PoisonError::into_inner);
            let begin = (*free).max(start);
            *free = begin + transfer;
            *free
        };
        let due = sent + Duration::from_micros(self.throttle.latency_us);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
    }
}

#[derive(Debug)]
enum Kind {
    Folder(BTreeMap<OsString, u64>),
    File(PathBuf),
}

#[derive(Debug)]
struct Node {
    attr: FileAttr,
    parent: u64,
    kind: Kind,
}

/// The view is fixed while mounted: the kernel may keep names and
/// attributes as long as it likes.
const TTL: Duration = Duration::from_secs(3600);

/// The filesystem: the view's tree as inodes (inode `n` is `nodes[n - 1]`,
/// the root is 1), the link, and the open files.
#[derive(Debug)]
pub struct SlowFs {
    nodes: Vec<Node>,
    link: Link,
    handles: Mutex<HashMap<u64, Arc<File>>>,
    next_handle: AtomicU64,
    served: Arc<Served>,
}

impl SlowFs {
    /// The tree of `view`, charged by `throttle`.
    pub fn new(view: &View, throttle: Throttle) -> Result<SlowFs> {
        let now = SystemTime::now();
        // The owner of this process owns the folders (as `stat /proc/self` says).
        let (uid, gid) = std::fs::metadata("/proc/self")
            .map(|m| (m.uid(), m.gid()))
            .unwrap_or((0, 0));
        let mut nodes = vec![folder(1, 1, now, uid, gid)];
        for (name, path) in view.files() {
            let meta = std::fs::metadata(path).map_err(|e| HarnessError::io(path, e))?;
            let parts: Vec<&str> = name.split('/').collect();
            let mut at = 1u64;
            for (i, part) in parts.iter().enumerate() {
                let last = i + 1 == parts.len();
                let index = usize::try_from(at - 1).unwrap_or(usize::MAX);
                let existing = match nodes.get(index).map(|n| &n.kind) {
                    Some(Kind::Folder(children)) => children.get(OsStr::new(part)).copied(),
                    _ => return Err(HarnessError::Other(format!("slow storage: {name:?} lies under a file"))),
                };
                at = match existing {
                    Some(ino) if !last => ino,
                    Some(_) => {
                        return Err(HarnessError::Other(format!(
                            "slow storage: {name:?} is in the view twice"
                        )))
                    }
                    None => {
                        let ino = nodes.len() as u64 + 1;
                        nodes.push(if last {
                            Node {
                                attr: file_attr(ino, &meta, now),
                                parent: at,
                                kind: Kind::File(path.to_path_buf()),
                            }
                        } else {
                            folder(ino, at, now, uid, gid)
                        });
                        if let Some(Node {
                            kind: Kind::Folder(children),
                            ..
                        }) = nodes.get_mut(index)
                        {
                            children.insert(OsString::from(part), ino);
                        }
                        ino
                    }
                };
            }
        }
        Ok(SlowFs {
            nodes,
            link: Link {
                throttle,
                free_at: Mutex::new(Instant::now()),
            },
            handles: Mutex::new(HashMap::new()),
            next_handle: AtomicU64::new(1),
            served: Arc::new(Served::default()),
        })
    }

    fn node(&self, ino: INodeNo) -> Option<&Node> {
        let index = usize::try_from(ino.0).ok()?.checked_sub(1)?;
        self.nodes.get(index)
    }

    fn handles(&self) -> MutexGuard<'_, HashMap<u64, Arc<File>>> {
        self.handles.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bytes(&self) -> u64 {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, Kind::File(_)))
            .map(|n| n.attr.size)
            .sum()
    }
}

fn folder(ino: u64, parent: u64, now: SystemTime, uid: u32, gid: u32) -> Node {
    Node {
        attr: FileAttr {
            ino: INodeNo(ino),
            size: 0,
            blocks: 0,
            atime: now,
            mtime: now,
            ctime: now,
            crtime: now,
            kind: FileType::Directory,
            perm: 0o555,
            nlink: 2,
            uid,
            gid,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        },
        parent,
        kind: Kind::Folder(BTreeMap::new()),
    }
}

fn file_attr(ino: u64, meta: &std::fs::Metadata, now: SystemTime) -> FileAttr {
    FileAttr {
        ino: INodeNo(ino),
        size: meta.len(),
        blocks: meta.blocks(),
        atime: meta.accessed().unwrap_or(now),
        mtime: meta.modified().unwrap_or(now),
        ctime: meta.modified().unwrap_or(now),
        crtime: now,
        kind: FileType::RegularFile,
        perm: 0o444,
        nlink: 1,
        uid: meta.uid(),
        gid: meta.gid(),
        rdev: 0,
        blksize: 4096,
        flags: 0,
    }
}

/// Reads until `buf` is full or the file ends; the bytes read.
fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

impl Filesystem for SlowFs {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        // Readahead asks for at most what one request carries; the kernel
        // may queue twice as many requests as the store serves at once.
        let _ = config.set_max_readahead(self.link.throttle.max_request.max(4096));
        let queue = u16::try_from(self.link.throttle.in_flight.max(1).saturating_mul(2)).unwrap_or(u16::MAX);
        let _ = config.set_max_background(queue);
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        match self.node(parent).map(|n| &n.kind) {
            Some(Kind::Folder(children)) => match children.get(name).and_then(|&i| self.node(INodeNo(i))) {
                Some(n) => reply.entry(&TTL, &n.attr, Generation(0)),
                None => reply.error(Errno::ENOENT),
            },
            Some(Kind::File(_)) => reply.error(Errno::ENOTDIR),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.node(ino) {
            Some(n) => reply.attr(&TTL, &n.attr),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let path = match self.node(ino).map(|n| &n.kind) {
            Some(Kind::File(path)) => path,
            Some(Kind::Folder(_)) => return reply.error(Errno::EISDIR),
            None => return reply.error(Errno::ENOENT),
        };
        match File::open(path) {
            Ok(f) => {
                let fh = self.next_handle.fetch_add(1, Ordering::Relaxed);
                self.handles().insert(fh, Arc::new(f));
                // Keep the page cache across opens: warm stays warm until
                // the campaign evicts it.
                reply.opened(FileHandle(fh), FopenFlags::FOPEN_KEEP_CACHE);
            }
            Err(e) => reply.error(Errno::from(e)),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let start = Instant::now();
        let Some(file) = self.handles().get(&fh.0).cloned() else {
            return reply.error(Errno::EBADF);
        };
        let Some(node) = self.node(ino) else {
            return reply.error(Errno::ENOENT);
        };
        let end = node.attr.size.min(offset.saturating_add(u64::from(size)));
        let len = usize::try_from(end.saturating_sub(offset)).unwrap_or(0);
        let mut buf = vec![0u8; len];
        match read_full_at(&file, &mut buf, offset) {
            Ok(n) => {
                buf.truncate(n);
                self.link.charge(start, n);
                self.served.requests.fetch_add(1, Ordering::Relaxed);
                self.served.bytes.fetch_add(n as u64, Ordering::Relaxed);
                self.served.largest.fetch_max(u64::from(size), Ordering::Relaxed);
                reply.data(&buf);
            }
            Err(e) => reply.error(Errno::from(e)),
        }
    }

    fn release(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.handles().remove(&fh.0);
        reply.ok();
    }

    fn readdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
        let Some(Node {
            kind: Kind::Folder(children),
            parent,
            ..
        }) = self.node(ino)
        else {
            return reply.error(Errno::ENOTDIR);
        };
        let entries = [
            (ino.0, FileType::Directory, OsStr::new(".")),
            (*parent, FileType::Directory, OsStr::new("..")),
        ]
        .into_iter()
        .chain(children.iter().filter_map(|(name, &child)| {
            let kind = self.node(INodeNo(child))?.attr.kind;
            Some((child, kind, name.as_os_str()))
        }));
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        for (i, (child, kind, name)) in entries.enumerate().skip(skip) {
            // The offset given is where the next call resumes.
            if reply.add(INodeNo(child), i as u64 + 1, kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let blocks = self.bytes().div_ceil(4096);
        reply.statfs(blocks, 0, 0, self.nodes.len() as u64, 0, 4096, 255, 4096);
    }
}

/// A mounted slow view; unmounted when dropped.
pub struct Mounted {
    session: Option<BackgroundSession>,
    /// Where it is mounted.
    at: std::path::PathBuf,
    /// What it has served so far.
    pub served: Arc<Served>,
}

impl std::fmt::Debug for Mounted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mounted").field("served", &self.served).finish()
    }
}

impl Mounted {
    /// Unmounts and waits for the server's threads.
    pub fn unmount(mut self) -> Result<()> {
        self.stop()
    }

    /// Unmounts once. `umount` fails with `EBUSY` while the kernel still
    /// holds a file of the mount — a closed file's last reference is let go
    /// a moment later on a loaded machine (the busy test run found one left
    /// mounted) — so on failure the mount is detached lazily instead: it
    /// leaves the mount table now and goes when its last file does.
    fn stop(&mut self) -> Result<()> {
        let Some(s) = self.session.take() else { return Ok(()) };
        s.umount_and_join().map_err(|e| {
            super::unmount(&self.at);
            HarnessError::Other(format!("slow storage: unmount: {e} (detached lazily)"))
        })
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        // An error here was answered by a lazy detach; nothing is left to do.
        let _ = self.stop();
    }
}

/// The mount's source as mountinfo shows it (its type is `fuse` when
/// mounted by root, `fuse.loadlab-slow` through `fusermount3`).
pub const SOURCE: &str = "loadlab-slow";

/// Whether a mount is one of ours (of this module's filesystem).
pub fn is_slow(m: &super::Storage) -> bool {
    m.fs_type.starts_with("fuse") && m.source == SOURCE
}

/// Serves `view` at the empty folder `at`, charged by `throttle`, from
/// threads of this process. Needs `/dev/fuse` and the right to mount
/// (root, or a `fusermount3` helper).
pub fn mount(view: &View, throttle: Throttle, at: &Path) -> Result<Mounted> {
    let fs = SlowFs::new(view, throttle)?;
    let served = Arc::clone(&fs.served);
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::RO,
        MountOption::NoAtime,
        MountOption::FSName(SOURCE.to_owned()),
        MountOption::Subtype(SOURCE.to_owned()),
        MountOption::CUSTOM(format!("max_read={}", throttle.max_request.max(4096))),
    ];
    config.n_threads = Some(usize::try_from(throttle.in_flight.max(1)).unwrap_or(1));
    config.clone_fd = true;
    let session = fuser::spawn_mount(fs, at, &config).map_err(|e| HarnessError::io(at, e))?;
    Ok(Mounted {
        session: Some(session),
        at: at.to_path_buf(),
        served,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_is_the_tighter_of_link_and_latency() {
        let t = Throttle {
            latency_us: 1_000,
            bandwidth: 100_000_000,
            max_request: 100_000,
            in_flight: 4,
        };
        // 4 requests of 100 kB per 2 ms = 200 MB/s by latency; the link allows 100.
        assert!((t.ceiling() - 100e6).abs() < 1.0);
        let one = Throttle { in_flight: 1, ..t };
        // One request of 100 kB every 2 ms: 50 MB/s.
        assert!((one.ceiling() - 50e6).abs() < 1.0);
        let free = Throttle {
            latency_us: 0,
            bandwidth: 0,
            ..t
        };
        assert!(free.ceiling().is_infinite());
        assert!(Throttle::default().describe().contains("250 MB/s"));
    }

    #[test]
    fn the_link_charges_latency_and_bandwidth() {
        let link = Link {
            throttle: Throttle {
                latency_us: 2_000,
                bandwidth: 10_000_000,
                max_request: 4096,
                in_flight: 1,
            },
            free_at: Mutex::new(Instant::now()),
        };
        let start = Instant::now();
        // 10 kB at 10 MB/s = 1 ms on the link, then the 2 ms round trip.
        link.charge(start, 10_000);
        assert!(start.elapsed() >= Duration::from_micros(3_000));
        // A second request that arrived with the first queues behind it on
        // the link: answered no sooner than 1 + 1 + 2 ms after both arrived.
        link.charge(start, 10_000);
        assert!(start.elapsed() >= Duration::from_micros(4_000));
    }

    #[test]
    fn the_tree_has_every_name_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, vec![7u8; 5000]).unwrap();
        let mut view = View::new();
        view.add("a/b/one.gguf", &f).unwrap();
        view.add("a/two.gguf", &f).unwrap();
        view.add("three.npz", &f).unwrap();
        let fs = SlowFs::new(&view, Throttle::default()).unwrap();
        // root, a, a/b, one, two, three
        assert_eq!(fs.nodes.len(), 6);
        assert_eq!(fs.bytes(), 15_000);
        let files: Vec<u64> = fs
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, Kind::File(_)))
            .map(|n| n.attr.size)
            .collect();
        assert_eq!(files, vec![5000, 5000, 5000]);
        assert!(fs.node(INodeNo(0)).is_none());
        assert!(fs.node(INodeNo(7)).is_none());
        assert!(fs.node(INodeNo::ROOT).is_some());
    }
}
