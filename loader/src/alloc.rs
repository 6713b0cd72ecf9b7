//! Large output buffers backed by transparent huge pages (H27).
//!
//! A fresh multi-megabyte `Vec` comes from the kernel as untouched pages;
//! writing it the first time takes one page fault per 4 KiB page, each
//! zeroing and mapping one page. Dequantizing MiniLM's 44.7 MiB embedding
//! spent most of its time there. On Linux, `madvise(MADV_HUGEPAGE)` on
//! the buffer before the first write lets the kernel back it with 2 MiB
//! pages: 512 times fewer faults for the same bytes. The advice is only a
//! hint — where huge pages are disabled or unavailable the buffer is an
//! ordinary one — and it never changes the contents.
//!
//! Only buffers from `HUGE_MIN_BYTES` to `HUGE_MAX_BYTES` are advised.
//! The bounds follow the ledger's H27 (`reports/H27.md` in the loadlab
//! repository; figures there): the advice made mid-sized outputs faster,
//! but a 640 MiB output bimodal, as the kernel compacted memory to find
//! free huge pages on the first writes (THP defrag is `madvise` there, so
//! advised faults compact synchronously). Larger buffers keep ordinary
//! pages.
//!
//! The advice is on by default. It is a per-thread setting for a scope,
//! not a process-wide switch: `with_huge_pages` turns it off (or on) for
//! what one closure allocates on its thread, which is how
//! `LoadOptions::ordinary_pages` and the lab's A/B replay of H27 use it.

use std::cell::Cell;

/// Buffers smaller than this are left to the allocator as they are.
pub const HUGE_MIN_BYTES: usize = 4 << 20;

/// Buffers larger than this are left to the allocator as they are (H27:
/// first writes to a 640 MiB advised buffer stalled on compaction).
pub const HUGE_MAX_BYTES: usize = 64 << 20;

thread_local! {
    static HUGE: Cell<bool> = const { Cell::new(true) };
    static PREFAULT: Cell<Prefault> = const { Cell::new(Prefault::Off) };
}

/// Which fresh buffers of at least [`PREFAULT_MIN_BYTES`] are populated
/// writable before their first write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Prefault {
    /// None: each page faults in as it is first written (the default).
    #[default]
    Off,
    /// Every one (the lab's H28).
    All,
    /// Only those not advised onto huge pages, whose first writes already
    /// fault 2 MiB at a time (the lab's H34: in H28, pre-faulting a 44.7 MiB
    /// huge-page-advised output made it slower).
    OutsideHugePages,
}

/// Buffers from this size up are pre-faulted when [`with_prefault`] is on.
pub const PREFAULT_MIN_BYTES: usize = 1 << 20;

/// Runs `f` with pre-faulting on or off for the buffers of at least
/// [`PREFAULT_MIN_BYTES`] this thread allocates meanwhile: each is
/// populated writable in one `madvise(MADV_POPULATE_WRITE)` (Linux 5.14+)
/// before its first write, instead of one page fault per page as it is
/// filled (the lab's H28). Off by default; the setting before is restored
/// after, also when `f` panics. A kernel without the advice leaves the
/// buffer as it was.
pub fn with_prefault<T>(on: bool, f: impl FnOnce() -> T) -> T {
    with_prefault_of(if on { Prefault::All } else { Prefault::Off }, f)
}

/// Runs `f` with `which` buffers pre-faulted on this thread; the setting
/// before is restored after, also when `f` panics.
pub fn with_prefault_of<T>(which: Prefault, f: impl FnOnce() -> T) -> T {
    struct Restore(Prefault);
    impl Drop for Restore {
        fn drop(&mut self) {
            PREFAULT.with(|p| p.set(self.0));
        }
    }
    let _restore = Restore(PREFAULT.with(|p| p.replace(which)));
    f()
}

/// Whether pre-faulting is on for this thread now (for any buffers).
pub fn prefault() -> bool {
    prefault_of() != Prefault::Off
}

/// Which buffers this thread pre-faults now.
pub fn prefault_of() -> Prefault {
    PREFAULT.with(Cell::get)
}

/// Runs `f` with the huge-page advice on or off for the buffers this
/// thread allocates meanwhile; the setting before is restored after, also
/// when `f` panics.
pub fn with_huge_pages<T>(on: bool, f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            HUGE.with(|h| h.set(self.0));
        }
    }
    let _restore = Restore(HUGE.with(|h| h.replace(on)));
    f()
}

/// Whether the huge-page advice is on for this thread now.
pub fn huge_pages() -> bool {
    HUGE.with(Cell::get)
}

/// The advice a fresh buffer `[ptr, ptr + bytes)` gets before its first
/// write: huge pages (H27) for 4–64 MiB, then pre-faulting (H28) from
/// 1 MiB, each when on for this thread.
fn advise(ptr: *const u8, bytes: usize) {
    #[cfg(all(target_os = "linux", not(feature = "portable")))]
    {
        let huge = (HUGE_MIN_BYTES..=HUGE_MAX_BYTES).contains(&bytes) && huge_pages();
        if huge {
            // MADV_HUGEPAGE is advisory and never changes the memory's
            // contents; failure (huge pages disabled) leaves an ordinary buffer.
            madvise_pages(ptr, bytes, libc::MADV_HUGEPAGE);
        }
        let populate = match prefault_of() {
            Prefault::Off => false,
            Prefault::All => true,
            Prefault::OutsideHugePages => !huge,
        };
        if bytes >= PREFAULT_MIN_BYTES && populate {
            // Populating writable only faults in zero pages where none are
            // mapped yet; failure (a kernel before 5.14) leaves the buffer as it was.
            madvise_pages(ptr, bytes, libc::MADV_POPULATE_WRITE);
        }
    }
    #[cfg(not(all(target_os = "linux", not(feature = "portable"))))]
    let _ = (ptr, bytes);
}

/// One `madvise(advice)` over the whole 4 KiB pages of `[ptr, ptr + bytes)`.
#[cfg(all(target_os = "linux", not(feature = "portable")))]
#[allow(unsafe_code)] // one madvise call; see the SAFETY comment
fn madvise_pages(ptr: *const u8, bytes: usize, advice: libc::c_int) {
    let page = 4096usize;
    let start = (ptr as usize).div_ceil(page) * page;
    let end = (ptr as usize + bytes) / page * page;
    if end > start {
        // SAFETY: `[start, end)` lies inside an allocation this process owns
        // and may write (the caller's fresh buffer); the two advices used
        // (MADV_HUGEPAGE, MADV_POPULATE_WRITE) never change its contents or
        // validity, and a refusal is ignored.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, advice);
        }
    }
}

/// `n` zeroed values of `T` (`vec![T::default(); n]` for plain numbers,
/// which the allocator hands out as untouched zero pages), advised onto
/// huge pages when large.
pub fn zeroed<T: Clone + Default>(n: usize) -> Vec<T> {
    let v = vec![T::default(); n];
    advise(v.as_ptr().cast(), n * std::mem::size_of::<T>());
    v
}

/// An empty vector with room for `n` values, advised onto huge pages when
/// large (for outputs filled by `extend`).
pub fn with_capacity<T>(n: usize) -> Vec<T> {
    let v: Vec<T> = Vec::with_capacity(n);
    advise(v.as_ptr().cast(), n * std::mem::size_of::<T>());
    v
}

/// An owned copy of `src`, its buffer advised onto huge pages when large.
pub fn copy_of(src: &[u8]) -> Vec<u8> {
    let mut v = with_capacity(src.len());
    v.extend_from_slice(src);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advised_buffers_hold_the_same_values() {
        let src: Vec<u8> = (0..(HUGE_MIN_BYTES + 12345)).map(|i| (i % 251) as u8).collect();
        assert_eq!(copy_of(&src), src);
        let z: Vec<f32> = zeroed(HUGE_MIN_BYTES);
        assert!(z.iter().all(|&x| x == 0.0));
        let mut e: Vec<u16> = with_capacity(3 << 20);
        e.extend(0..10);
        assert_eq!(e.len(), 10);
        // Pre-faulted: the same values, and the setting is scoped.
        let (c, z) = with_prefault(true, || {
            assert!(prefault());
            (copy_of(&src), zeroed::<f32>(PREFAULT_MIN_BYTES))
        });
        assert!(!prefault());
        assert_eq!(c, src);
        assert!(z.iter().all(|&x| x == 0.0));
    }
}
