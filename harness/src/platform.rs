//! Operating-system details, so the statistics never mention a syscall:
//! page-cache eviction, resource usage, the resident-memory high-water mark.

use std::path::Path;

/// Drops a file's pages from the page cache (`posix_fadvise(DONTNEED)`;
/// `drop_caches` is not writable on shared machines). Clean pages only:
/// the file must not be dirty. Returns false if the kernel refused.
#[allow(unsafe_code)] // posix_fadvise; see the SAFETY comment
pub fn evict(path: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(f) = std::fs::File::open(path) else { return false };
    // SAFETY: `f` is an open descriptor for the duration of the call;
    // posix_fadvise only takes advice about its page cache and touches no
    // memory of ours.
    let rc = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    rc == 0
}

/// Pages of `path` resident in the page cache, and its pages: `mincore`
/// over a read-only shared mapping of the file (mapping faults nothing
/// in, so looking does not change the answer). `None` for an empty file
/// or when the file cannot be opened or mapped.
#[allow(unsafe_code)] // mmap, mincore, munmap; see the SAFETY comments
pub fn residency(path: &Path) -> Option<(u64, u64)> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(path).ok()?;
    let len = usize::try_from(f.metadata().ok()?.len()).ok()?;
    if len == 0 {
        return None;
    }
    // SAFETY: sysconf has no memory effects.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) })
        .ok()?
        .max(1);
    let pages = len.div_ceil(page);
    // SAFETY: a fresh read-only shared mapping of `len` bytes of an open
    // descriptor at an address the kernel chooses; nothing is read
    // through it, and it is unmapped below on every path.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            f.as_raw_fd(),
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return None;
    }
    let mut vec = vec![0u8; pages];
    // SAFETY: `addr..addr+len` is the mapping made above and `vec` has one
    // byte per page of it, as mincore requires.
    let rc = unsafe { libc::mincore(addr, len, vec.as_mut_ptr()) };
    // SAFETY: unmaps exactly the mapping made above, which nothing else uses.
    unsafe { libc::munmap(addr, len) };
    (rc == 0).then(|| (vec.iter().filter(|b| **b & 1 == 1).count() as u64, pages as u64))
}

/// Resident share (0–1) of all of `files`' pages together; `None` when
/// none of them could be looked at.
pub fn resident_share(files: &[std::path::PathBuf]) -> Option<f64> {
    let (r, t) = files
        .iter()
        .filter_map(|f| residency(f))
        .fold((0u64, 0u64), |(r, t), (a, b)| (r + a, t + b));
    (t > 0).then(|| r as f64 / t as f64)
}

/// Resource usage of this process (`getrusage(RUSAGE_SELF)`).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    /// User CPU seconds.
    pub user_s: f64,
    /// System CPU seconds.
    pub system_s: f64,
    /// Minor page faults.
    pub minor_faults: i64,
    /// Major page faults (reads from disk).
    pub major_faults: i64,
    /// Voluntary context switches.
    pub voluntary_switches: i64,
    /// Involuntary context switches.
    pub involuntary_switches: i64,
    /// Blocks read from storage.
    pub blocks_in: i64,
}

impl Usage {
    /// This process's usage so far.
    pub fn now() -> Usage {
        Usage::of(libc::RUSAGE_SELF)
    }

    /// The usage of this process's finished (waited-for) children so far.
    pub fn children() -> Usage {
        Usage::of(libc::RUSAGE_CHILDREN)
    }

    #[allow(unsafe_code)] // getrusage; see the SAFETY comments
    fn of(who: libc::c_int) -> Usage {
        // SAFETY: an all-zero rusage is a valid value to be overwritten.
        let mut r: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `r` is a valid, writable rusage for getrusage to fill.
        let rc = unsafe { libc::getrusage(who, &mut r) };
        if rc != 0 {
            return Usage::default();
        }
        let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6;
        Usage {
            user_s: t(r.ru_utime),
            system_s: t(r.ru_stime),
            minor_faults: r.ru_minflt,
            major_faults: r.ru_majflt,
            voluntary_switches: r.ru_nvcsw,
            involuntary_switches: r.ru_nivcsw,
            blocks_in: r.ru_inblock,
        }
    }

    /// `self - earlier`.
    pub fn since(&self, earlier: &Usage) -> Usage {
        Usage {
            user_s: self.user_s - earlier.user_s,
            system_s: self.system_s - earlier.system_s,
            minor_faults: self.minor_faults - earlier.minor_faults,
            major_faults: self.major_faults - earlier.major_faults,
            voluntary_switches: self.voluntary_switches - earlier.voluntary_switches,
            involuntary_switches: self.involuntary_switches - earlier.involuntary_switches,
            blocks_in: self.blocks_in - earlier.blocks_in,
        }
    }
}

fn status_kib(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Current resident set size in bytes.
pub fn rss_bytes() -> Option<u64> {
    status_kib("VmRSS:").map(|k| k * 1024)
}

/// Peak resident set size since the last [`reset_peak_rss`], in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    status_kib("VmHWM:").map(|k| k * 1024)
}

/// Resets the high-water mark to the current RSS (writes 5 to
/// `/proc/self/clear_refs`). Returns false where that is not allowed.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}

/// Restores the default action of SIGPIPE, which Rust's runtime sets to
/// "ignore": a command whose output goes into `head` then ends quietly, as
/// Unix tools do, instead of panicking when `println!` meets the closed
/// pipe. Call first thing in `main`.
#[allow(unsafe_code)] // signal; see the SAFETY comment
pub fn exit_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called before any thread exists; it changes only SIGPIPE's
    // disposition, to the default, and passes no pointers of ours.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// How glibc's malloc serves large blocks while an experiment is measured.
/// A process-wide policy: a worker sets it once, before its first trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Allocator {
    /// glibc's default. Its mmap threshold rises to the size of the largest
    /// mapped block freed so far, so after a trial frees a large output,
    /// later outputs up to that size come from the heap and reuse its pages:
    /// what a trial costs depends on which trials ran before it, and on
    /// which thread (arena) they allocated from.
    #[default]
    Adaptive,
    /// The threshold pinned at glibc's initial 128 KiB (which also stops it
    /// moving): every block of that size or more is a fresh mapping whose
    /// pages fault on first write, whichever thread allocates it and
    /// whatever ran before — as in a process that loads one model once.
    FreshBuffers,
}

impl Allocator {
    /// The policy in words, for the ledger's evidence.
    pub fn describe(self) -> &'static str {
        match self {
            Allocator::Adaptive => "glibc malloc with its adaptive mmap threshold (the default)",
            Allocator::FreshBuffers => {
                "glibc malloc with the mmap threshold pinned at 128 KiB in every measuring process \
                 (mallopt M_MMAP_THRESHOLD): each output of 128 KiB or more is a fresh mapping, \
                 faulted in on first write, in every trial and on every thread"
            }
        }
    }
}

/// Puts this process under `policy`. Returns false where it could not be
/// applied (not glibc, or mallopt refused).
#[allow(unsafe_code)] // mallopt; see the SAFETY comment
pub fn use_allocator(policy: Allocator) -> bool {
    match policy {
        Allocator::Adaptive => true,
        Allocator::FreshBuffers => {
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            {
                // SAFETY: mallopt only changes malloc's tuning parameters
                // under its own lock; it takes no pointers and may be called
                // at any time from any thread.
                let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) };
                ok == 1
            }
            #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
            {
                false
            }
        }
    }
}

/// Makes peak-memory trials see every allocation: returns free heap memory
/// to the kernel (`malloc_trim(0)`), so a trial cannot reuse pages an
/// earlier trial left resident. Without it glibc keeps freed memory and a
/// variant that runs after another looks as if it allocated nothing.
#[allow(unsafe_code)] // malloc_trim; see the SAFETY comment
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused heap pages to the kernel; it
    // is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Under `FreshBuffers` a 4 MiB buffer freed and allocated again is a
    /// new mapping each time, so writing it faults its pages in again; the
    /// adaptive threshold would have moved to 4 MiB after the first free and
    /// served the later ones from the heap without a fault.
    #[test]
    fn fresh_buffers_fault_in_every_time() {
        assert!(use_allocator(Allocator::Adaptive));
        assert!(use_allocator(Allocator::FreshBuffers));
        const BYTES: usize = 4 << 20;
        let mut faults = Vec::new();
        for _ in 0..3 {
            let before = Usage::now();
            let v = std::hint::black_box(vec![1u8; BYTES]);
            drop(v);
            faults.push(Usage::now().since(&before).minor_faults);
        }
        // 4 KiB pages: 1024 a buffer; other test threads only add faults.
        assert!(faults.iter().all(|&f| f >= 512), "minor faults per buffer: {faults:?}");
    }
}
