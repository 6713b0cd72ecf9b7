//! Page-cache residency as the harness reads it around every trial
//! (`platform::residency`, `mincore`). Its own test binary: it writes,
//! evicts and reads 4 MiB, which would disturb the allocator test that
//! counts page faults process-wide in the library's unit tests.

use harness::platform::{evict, residency, resident_share};
use std::path::Path;

#[allow(unsafe_code)]
fn on_tmpfs(p: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    // SAFETY: a zeroed statfs is a valid out-parameter; `c` is a
    // NUL-terminated path that outlives the call.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statfs(c.as_ptr(), &mut st) };
    rc == 0 && st.f_type == libc::TMPFS_MAGIC
}

#[test]
fn residency_follows_reads_and_eviction() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f");
    std::fs::write(&p, vec![7u8; 4 << 20]).unwrap();
    // Written pages are dirty until synced; eviction drops clean ones.
    std::fs::File::open(&p).unwrap().sync_all().unwrap();
    let (_, pages) = residency(&p).expect("a mapping");
    assert_eq!(pages, (4u64 << 20).div_ceil(4096));
    assert!(evict(&p));
    let cold = resident_share(std::slice::from_ref(&p)).unwrap();
    std::fs::read(&p).unwrap();
    let warm = resident_share(std::slice::from_ref(&p)).unwrap();
    assert!(warm >= 0.99, "{warm}");
    // tmpfs keeps every page whatever the advice; a disk drops them.
    if !on_tmpfs(dir.path()) {
        assert!(cold <= 0.01, "{cold}");
    }
    assert_eq!(residency(&dir.path().join("missing")), None);
}
